package directory

import (
	"fmt"
	"maps"
	"net/http"
	"strings"
)

func (d *Directory) groupHandlers() resourceHandlers {
	return resourceHandlers{
		rs:      groupResource,
		list:    d.listGroups,
		create:  d.createGroup,
		get:     d.getGroup,
		replace: d.replaceGroup,
		patch:   d.patchGroup,
		delete:  d.deleteGroup,
	}
}

var membersDef = groupCore.attr("members")

func groupKey(displayName string) string { return strings.ToLower(displayName) }

func validateGroup(attrs map[string]any) error {
	if name, _ := attrs["displayName"].(string); strings.TrimSpace(name) == "" {
		return badRequest(scimInvalidValue, "displayName is required")
	}
	return nil
}

// memberNode exposes one member to a members[...] value filter.
type memberNode struct {
	d    *Directory
	id   string
	base string
}

func (n memberNode) get(name string) any {
	switch name {
	case "value":
		return n.id
	case "type":
		return "User"
	case "$ref":
		return n.base + "/Users/" + n.id
	case "display":
		if u := n.d.st.users[n.id]; u != nil {
			return u.display()
		}
	}
	return nil
}

// memberValues renders the members with the given ids, in that order.
func (d *Directory) memberValues(ids []string, base string) []any {
	out := make([]any, 0, len(ids))
	for _, id := range ids {
		n := memberNode{d: d, id: id, base: base}
		m := map[string]any{"value": id, "type": "User", "$ref": n.get("$ref")}
		if disp, ok := n.get("display").(string); ok {
			m["display"] = disp
		}
		out = append(out, m)
	}
	return out
}

// groupNode exposes a stored group to filters; members are built only when
// a filter asks for them.
type groupNode struct {
	d    *Directory
	g    *group
	base string
}

func (n groupNode) get(name string) any {
	switch name {
	case "id":
		return n.g.id
	case "meta":
		return n.d.groupMeta(n.g, n.base)
	case "members":
		if n.g.members.len() == 0 {
			return nil
		}
		return n.d.memberValues(n.g.members.ids, n.base)
	}
	return n.g.attrs[name]
}

func (d *Directory) groupMeta(g *group, base string) map[string]any {
	return resourceMeta("Group", base+"/Groups/"+g.id, g.created, g.modified, g.version)
}

func (d *Directory) renderGroup(g *group, base string, proj projection) map[string]any {
	out := make(map[string]any, len(g.attrs)+4)
	for k, v := range g.attrs {
		out[k] = v
	}
	out["schemas"] = []string{groupSchema}
	out["id"] = g.id
	out["meta"] = d.groupMeta(g, base)
	if g.members.len() > 0 && proj.wants("members") {
		out["members"] = d.memberValues(d.memberOrder(g), base)
	}
	return proj.apply(out)
}

func (d *Directory) groupResponse(r *http.Request, g *group, status int) *response {
	base := d.baseURL(r)
	resp := &response{status: status, etag: etag(g.version)}
	if status == http.StatusCreated {
		resp.location = base + "/Groups/" + g.id
	}
	if status == http.StatusOK && r.Method != http.MethodGet && wantsMinimal(r) {
		resp.status = http.StatusNoContent
		return resp
	}
	q := r.URL.Query()
	resp.body = d.renderGroup(g, base, newProjection(groupResource, splitList(q.Get("attributes")), splitList(q.Get("excludedAttributes"))))
	return resp
}

func (d *Directory) findGroup(id string) (*group, error) {
	g := d.st.groups[id]
	if g == nil {
		return nil, notFound("Group %s not found", id)
	}
	return g, nil
}

// groupForWrite finds the group a write names and checks the request's If-Match against its
// version (412 on a mismatch). The caller holds d.mu.
func (d *Directory) groupForWrite(r *http.Request, id string) (*group, error) {
	g, err := d.findGroup(id)
	if err != nil {
		return nil, err
	}
	if err := checkIfMatch(r, etag(g.version)); err != nil {
		return nil, err
	}
	return g, nil
}

func (d *Directory) listGroups(r *http.Request, q listQuery) (*response, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	base := d.baseURL(r)
	candidates := d.st.groupOrder
	if attr, v, ok := eqLookup(q.expr, groupResource); ok {
		switch attr {
		case "displayName":
			candidates = nil
			if g := d.st.groupByName[groupKey(v)]; g != nil {
				candidates = []*group{g}
			}
		case "id":
			candidates = nil
			if g := d.st.groups[v]; g != nil {
				candidates = []*group{g}
			}
		}
	}
	matched := candidates
	if q.match != nil {
		matched = make([]*group, 0, min(len(candidates), 64))
		for _, g := range candidates {
			if q.match(groupNode{d: d, g: g, base: base}) {
				matched = append(matched, g)
			}
		}
	}
	q = d.capPage(q)
	proj := q.proj
	if d.variations.on(varMembersNotInList) {
		proj = proj.without("members") // a trimmed list view: members only by id
	}
	pg := page(matched, q)
	resources := make([]any, len(pg))
	for i, g := range pg {
		resources[i] = d.renderGroup(g, base, proj)
	}
	return newListResponse(len(matched), q, resources), nil
}

func (d *Directory) getGroup(r *http.Request, id string) (*response, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	g, err := d.findGroup(id)
	if err != nil {
		return nil, err
	}
	if notModified(r, etag(g.version)) {
		return &response{status: http.StatusNotModified, etag: etag(g.version)}, nil
	}
	return d.groupResponse(r, g, http.StatusOK), nil
}

// readGroup reads a POST or PUT body: the attributes without members, and
// the members apart.
func readGroup(r *http.Request) (attrs map[string]any, members any, err error) {
	body, err := readObject(r)
	if err != nil {
		return nil, nil, err
	}
	attrs, err = normalizeResource(groupResource, body)
	if err != nil {
		return nil, nil, err
	}
	members = attrs["members"]
	delete(attrs, "members")
	if err := validateGroup(attrs); err != nil {
		return nil, nil, err
	}
	return attrs, members, nil
}

// memberIDs reads a members value (an array of {value} or one such object).
// With mustExist, every id must be a user of the directory.
func (d *Directory) memberIDs(value any, mustExist bool) ([]string, error) {
	if value == nil {
		return nil, nil
	}
	var ids []string
	for _, e := range asList(value) {
		m, ok := e.(map[string]any)
		if !ok {
			return nil, badRequest(scimInvalidValue, "a member must be an object with a value")
		}
		v, _ := hasKey(m, "value")
		id, _ := v.(string)
		if id == "" {
			return nil, badRequest(scimInvalidValue, "a member needs a non-empty string value")
		}
		if mustExist && d.st.users[id] == nil {
			return nil, badRequest(scimInvalidValue, "member %q is not a user of this directory", id)
		}
		ids = append(ids, id)
	}
	return ids, nil
}

func (d *Directory) createGroup(r *http.Request) (*response, error) {
	attrs, members, err := readGroup(r)
	if err != nil {
		return nil, err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	name := attrs["displayName"].(string)
	if d.st.groupByName[groupKey(name)] != nil {
		return nil, conflict("a group named %q already exists", name)
	}
	ids, err := d.memberIDs(members, true)
	if err != nil {
		return nil, err
	}
	now := d.timestamp()
	g := &group{id: d.newID(), seq: d.st.nextSeq(), attrs: attrs, members: newMemberList(), created: now, modified: now, version: 1}
	d.st.groups[g.id] = g
	d.st.groupOrder = append(d.st.groupOrder, g)
	d.st.groupByName[groupKey(name)] = g
	next := newMemberList()
	for _, id := range ids {
		next.add(id, false)
	}
	d.setMembers(g, next)
	return d.groupResponse(r, g, http.StatusCreated), nil
}

// renameGroup moves the group in the name index, refusing a taken name.
func (d *Directory) renameGroup(g *group, next map[string]any) error {
	if err := validateGroup(next); err != nil {
		return err
	}
	oldKey, newName := groupKey(g.displayName()), next["displayName"].(string)
	newKey := groupKey(newName)
	if newKey == oldKey {
		return nil
	}
	if other := d.st.groupByName[newKey]; other != nil && other != g {
		return conflict("a group named %q already exists", newName)
	}
	delete(d.st.groupByName, oldKey)
	d.st.groupByName[newKey] = g
	return nil
}

func (d *Directory) replaceGroup(r *http.Request, id string) (*response, error) {
	attrs, members, err := readGroup(r)
	if err != nil {
		return nil, err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	g, err := d.groupForWrite(r, id)
	if err != nil {
		return nil, err
	}
	ids, err := d.memberIDs(members, true)
	if err != nil {
		return nil, err
	}
	if err := d.renameGroup(g, attrs); err != nil {
		return nil, err
	}
	next := newMemberList()
	if !d.faults.on(faultGroupPutDropsMembers) {
		for _, id := range ids {
			next.add(id, false)
		}
	}
	d.storeGroup(g, attrs, next)
	return d.groupResponse(r, g, http.StatusOK), nil
}

func (d *Directory) patchGroup(r *http.Request, id string) (*response, error) {
	ops, err := readPatch(r, d.faults.on(faultEntraOpCaseSensitive))
	if err != nil {
		return nil, err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	g, err := d.groupForWrite(r, id)
	if err != nil {
		return nil, err
	}
	base := d.baseURL(r)
	next := copyAttrs(g.attrs)
	members := g.members.clone()
	p := newPatcher(groupResource, next)
	p.special = func(op patchOp, t target, value any) (bool, error) {
		if t.ext != nil || t.def != membersDef {
			return false, nil
		}
		return true, d.patchMembers(members, op, t, value, base)
	}
	for _, op := range ops {
		if d.faults.on(faultRenameWipesMembers) && op.op == "replace" && op.path == "" {
			if m, ok := op.value.(map[string]any); ok {
				if _, has := hasKey(m, "members"); !has {
					members.clear() // applied as a full replace of the group
				}
			}
		}
		if err := p.applyOne(op); err != nil {
			return nil, err
		}
	}
	if err := d.renameGroup(g, next); err != nil {
		return nil, err
	}
	d.storeGroup(g, next, members)
	return d.groupResponse(r, g, http.StatusOK), nil
}

// storeGroup makes attrs and members the group's state. The version and
// lastModified move only if the group really changed (RFC 7644 §3.14):
// Okta's rename with the name the group has, or a re-add of a member, is no
// change; members are compared as a multiset, as they have no order.
func (d *Directory) storeGroup(g *group, attrs map[string]any, members *memberList) {
	changed := !equivalent(g.attrs, attrs) || !maps.Equal(g.members.count, members.count)
	g.attrs = attrs
	d.setMembers(g, members)
	if changed {
		d.touchGroup(g)
	}
}

// patchMembers applies one PATCH operation on a group's members to ml, the
// working copy. Correct behaviour: add skips existing members, replace sets
// the list (an empty list empties it), remove with a value filter removes
// the matching members, remove without a path filter removes all members or
// the listed ones.
func (d *Directory) patchMembers(ml *memberList, op patchOp, t target, value any, base string) error {
	if t.sub != nil {
		return badRequest(scimInvalidPath, "sub-attributes of members cannot be changed")
	}
	if t.filter != nil {
		if op.op != "remove" {
			return badRequest(scimInvalidPath, "a members value filter is only supported with remove")
		}
		switch {
		case d.faults.on(faultFilteredRemoveAll):
			ml.clear()
		case d.faults.on(faultFilteredRemoveIgnored):
		default:
			ml.removeIf(func(id string) bool { return t.filter(memberNode{d: d, id: id, base: base}) })
		}
		return nil
	}
	switch op.op {
	case "add":
		ids, err := d.memberIDs(value, true)
		if err != nil {
			return err
		}
		if d.faults.on(faultReaddMemberConflict) {
			for _, id := range ids {
				if ml.has(id) {
					return conflict("user %s is already a member of the group", id)
				}
			}
		}
		if op.path != "" && d.faults.on(faultAddAsReplace) {
			ml.clear()
		}
		for _, id := range ids {
			ml.add(id, d.faults.on(faultReaddDuplicates))
		}
	case "replace":
		ids, err := d.memberIDs(value, true)
		if err != nil {
			return err
		}
		if len(ids) == 0 && d.faults.on(faultEmptyReplaceIgnored) {
			return nil
		}
		ml.clear()
		for _, id := range ids {
			ml.add(id, false)
		}
	case "remove":
		ids, err := d.memberIDs(value, false)
		if err != nil {
			return err
		}
		if value == nil || d.faults.on(faultRemoveValueListEmpty) {
			ml.clear() // (the fault: the value list taken as "remove the attribute")
			return nil
		}
		drop := make(map[string]bool, len(ids))
		for _, id := range ids {
			drop[id] = true
		}
		ml.removeIf(func(id string) bool { return drop[id] })
	}
	return nil
}

// setMembers makes next the group's member list, keeping the user->groups
// index and writing member-add/member-remove events for the difference
// (counted as multisets, in list order). O(old + new members).
func (d *Directory) setMembers(g *group, next *memberList) {
	old := g.members
	removed := map[string]int{}
	for id, n := range old.count {
		if diff := n - next.count[id]; diff > 0 {
			removed[id] = diff
		}
		if next.count[id] == 0 {
			delete(d.st.memberOf[id], g.id)
			if len(d.st.memberOf[id]) == 0 {
				delete(d.st.memberOf, id)
			}
		}
	}
	for _, id := range old.ids {
		if removed[id] > 0 {
			removed[id]--
			d.record(Event{Type: EventMemberRemove, UserID: id, GroupID: g.id,
				Message: fmt.Sprintf("User %s removed from group %s", id, g.displayName())})
		}
	}
	added := map[string]int{}
	for id, n := range next.count {
		if diff := n - old.count[id]; diff > 0 {
			added[id] = diff
		}
		if old.count[id] == 0 {
			set := d.st.memberOf[id]
			if set == nil {
				set = map[string]struct{}{}
				d.st.memberOf[id] = set
			}
			set[g.id] = struct{}{}
		}
	}
	for _, id := range next.ids {
		if added[id] > 0 {
			added[id]--
			d.record(Event{Type: EventMemberAdd, UserID: id, GroupID: g.id,
				Message: fmt.Sprintf("User %s added to group %s", id, g.displayName())})
		}
	}
	g.members = next
}

func (d *Directory) touchGroup(g *group) {
	g.modified = d.timestamp()
	g.version++
}

func (d *Directory) deleteGroup(r *http.Request, id string) (*response, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	g, err := d.groupForWrite(r, id)
	if err != nil {
		return nil, err
	}
	for uid := range g.members.count {
		delete(d.st.memberOf[uid], g.id)
		if len(d.st.memberOf[uid]) == 0 {
			delete(d.st.memberOf, uid)
		}
	}
	delete(d.st.groups, g.id)
	delete(d.st.groupByName, groupKey(g.displayName()))
	d.st.removeGroupFromOrder(g)
	return &response{status: http.StatusNoContent}, nil
}

package directory

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"
)

// updateKind says which request changes a user; faults only act on the
// requests their catalogue row describes (PUT and PATCH).
type updateKind int

const (
	updatePut updateKind = iota
	updatePatch
	updateRestore // Okta's re-POST of a deactivated user
)

func (d *Directory) userHandlers() resourceHandlers {
	return resourceHandlers{
		rs:      userResource,
		exact:   d.faults.on(faultLookupCaseSensitive),
		list:    d.listUsers,
		create:  d.createUser,
		get:     d.getUser,
		replace: d.replaceUser,
		patch:   d.patchUser,
		delete:  d.deleteUser,
	}
}

// userKey is the key of the userName index and uniqueness check: userName is
// case-insensitive (RFC 7643 §4.1.1) except under lookup-case-sensitive.
func (d *Directory) userKey(name string) string {
	if d.faults.on(faultLookupCaseSensitive) {
		return name
	}
	return strings.ToLower(name)
}

func validateUser(attrs map[string]any) error {
	if name, _ := attrs["userName"].(string); strings.TrimSpace(name) == "" {
		return badRequest(scimInvalidValue, "userName is required")
	}
	return nil
}

// userNode exposes a stored user, with its computed attributes, to filters.
type userNode struct {
	d    *Directory
	u    *user
	base string
}

func (n userNode) get(name string) any {
	switch name {
	case "id":
		return n.u.id
	case "meta":
		return n.d.userMeta(n.u, n.base)
	case "groups":
		if gs := n.d.userGroups(n.u, n.base); gs != nil {
			return gs
		}
		return nil
	case ExtensionSchema:
		if n.u.accountID == "" {
			return nil
		}
		return map[string]any{"atlassianAccountId": n.u.accountID}
	}
	return n.u.attrs[name]
}

func resourceMeta(resourceType, location string, created, modified time.Time, version uint64) map[string]any {
	return map[string]any{
		"resourceType": resourceType,
		"created":      formatTime(created),
		"lastModified": formatTime(modified),
		"location":     location,
		"version":      etag(version),
	}
}

func (d *Directory) userMeta(u *user, base string) map[string]any {
	return resourceMeta("User", base+"/Users/"+u.id, u.created, u.modified, u.version)
}

// userGroups computes User.groups from group membership.
func (d *Directory) userGroups(u *user, base string) []any {
	gs := d.st.groupsOf(u.id)
	if len(gs) == 0 {
		return nil
	}
	out := make([]any, len(gs))
	for i, g := range gs {
		out[i] = map[string]any{
			"value":   g.id,
			"$ref":    base + "/Groups/" + g.id,
			"display": g.displayName(),
			"type":    "direct",
		}
	}
	return out
}

func (d *Directory) renderUser(u *user, base string, proj projection) map[string]any {
	out := make(map[string]any, len(u.attrs)+5)
	var exts []string
	for k, v := range u.attrs {
		out[k] = v
		if isURN(k) {
			exts = append(exts, k)
		}
	}
	slices.Sort(exts)
	if u.accountID != "" {
		out[ExtensionSchema] = map[string]any{"atlassianAccountId": u.accountID}
		exts = append(exts, ExtensionSchema)
	}
	out["schemas"] = append([]string{userSchema}, exts...)
	out["id"] = u.id
	out["meta"] = d.userMeta(u, base)
	if proj.wants("groups") {
		if gs := d.userGroups(u, base); gs != nil {
			out["groups"] = gs
		}
	}
	return proj.apply(out)
}

// userResponse answers with one user (or no body under Prefer: return=minimal).
func (d *Directory) userResponse(r *http.Request, u *user, status int) *response {
	base := d.baseURL(r)
	resp := &response{status: status, etag: etag(u.version)}
	if status == http.StatusCreated {
		resp.location = base + "/Users/" + u.id
	}
	if status == http.StatusOK && r.Method != http.MethodGet && wantsMinimal(r) {
		resp.status = http.StatusNoContent
		return resp
	}
	q := r.URL.Query()
	resp.body = d.renderUser(u, base, newProjection(userResource, splitList(q.Get("attributes")), splitList(q.Get("excludedAttributes"))))
	return resp
}

func (d *Directory) findUser(id string) (*user, error) {
	u := d.st.users[id]
	if u == nil {
		return nil, notFound("User %s not found", id)
	}
	return u, nil
}

// userForWrite finds the user a write names and checks the request's If-Match against its
// version (412 on a mismatch). The caller holds d.mu.
func (d *Directory) userForWrite(r *http.Request, id string) (*user, error) {
	u, err := d.findUser(id)
	if err != nil {
		return nil, err
	}
	if err := checkIfMatch(r, etag(u.version)); err != nil {
		return nil, err
	}
	return u, nil
}

func (d *Directory) listUsers(r *http.Request, q listQuery) (*response, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	base := d.baseURL(r)
	candidates := d.st.userOrder
	if attr, v, ok := eqLookup(q.expr, userResource); ok {
		switch attr {
		case "userName":
			candidates = nil
			if u := d.st.userByName[d.userKey(v)]; u != nil {
				candidates = []*user{u}
			}
		case "id":
			candidates = nil
			if u := d.st.users[v]; u != nil {
				candidates = []*user{u}
			}
		}
	}
	matched := candidates
	if q.match != nil {
		hide := d.hidesInactive(q)
		matched = make([]*user, 0, min(len(candidates), 64))
		for _, u := range candidates {
			if hide && !u.active() {
				continue
			}
			if q.match(userNode{d: d, u: u, base: base}) {
				matched = append(matched, u)
			}
		}
	}
	q = d.capPage(q)
	pg := page(matched, q)
	resources := make([]any, len(pg))
	for i, u := range pg {
		resources[i] = d.renderUser(u, base, q.proj)
	}
	return newListResponse(len(matched), q, resources), nil
}

func (d *Directory) getUser(r *http.Request, id string) (*response, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	u, err := d.findUser(id)
	if err != nil {
		return nil, err
	}
	if notModified(r, etag(u.version)) {
		return &response{status: http.StatusNotModified, etag: etag(u.version)}, nil
	}
	return d.userResponse(r, u, http.StatusOK), nil
}

// createUser answers POST /Users. A POST carrying the externalId of a
// deactivated user restores that user (Okta's reactivation), keeping its id,
// link and memberships: 201 by default, 200 under inactive-hidden (as
// servers that hide deactivated users from lookups answer).
func (d *Directory) createUser(r *http.Request) (*response, error) {
	body, err := readObject(r)
	if err != nil {
		return nil, err
	}
	attrs, err := normalizeResource(userResource, body)
	if err != nil {
		return nil, err
	}
	if err := validateUser(attrs); err != nil {
		return nil, err
	}
	if _, ok := attrs["active"]; !ok {
		attrs["active"] = true
	}
	dedupeEmails(attrs)
	d.mu.Lock()
	defer d.mu.Unlock()
	if ext, _ := attrs["externalId"].(string); ext != "" {
		if old := d.inactiveByExternalID(ext); old != nil {
			if d.faults.on(faultReactivateConflict) {
				return nil, conflict("a user with externalId %q already exists", ext)
			}
			if err := d.updateUser(old, attrs, updateRestore, true); err != nil {
				return nil, err
			}
			status := http.StatusCreated
			if d.variations.on(varInactiveHidden) {
				status = http.StatusOK
			}
			return d.userResponse(r, old, status), nil
		}
	}
	name := attrs["userName"].(string)
	if d.st.userByName[d.userKey(name)] != nil {
		return nil, conflict("userName %q is already taken", name)
	}
	d.settlePrimary(attrs, "", false)
	now := d.timestamp()
	u := &user{id: d.newID(), seq: d.st.nextSeq(), attrs: attrs, created: now, modified: now, version: 1}
	d.st.users[u.id] = u
	d.st.userOrder = append(d.st.userOrder, u)
	d.st.userByName[d.userKey(name)] = u
	d.trackActive(u)
	d.record(Event{Type: EventUserCreate, UserID: u.id, Message: fmt.Sprintf("User %s created with userName %s", u.id, name)})
	d.link(u)
	return d.userResponse(r, u, http.StatusCreated), nil
}

// inactiveByExternalID finds the oldest deactivated user with externalId ext.
func (d *Directory) inactiveByExternalID(ext string) *user {
	var found *user
	for u := range d.st.inactive {
		if u.externalID() == ext && (found == nil || u.seq < found.seq) {
			found = u
		}
	}
	return found
}

// trackActive keeps the set of deactivated users up to date.
func (d *Directory) trackActive(u *user) {
	if u.active() {
		delete(d.st.inactive, u)
	} else {
		d.st.inactive[u] = true
	}
}

// link links a new user to the account with its email (a seeded one, or one
// created for it as acct-<localpart>).
func (d *Directory) link(u *user) {
	email := accountEmail(u.attrs)
	key := strings.ToLower(email)
	id, ok := d.st.accountByEmail[key]
	if !ok {
		id = d.st.newAccountID(email)
		d.st.accounts[id] = Account{ID: id, Email: email}
		d.st.accountByEmail[key] = id
	}
	u.accountID = id
	kind := "unmanaged"
	if d.managed(email) {
		kind = "managed"
	}
	d.record(Event{Type: EventLink, UserID: u.id, AccountID: id,
		Message: fmt.Sprintf("User with ID %s, primary email %s, linked to %s atlassian account %s.", u.id, email, kind, id)})
}

// updateUser replaces a user's attributes with next, the state a PUT, PATCH
// or restoring POST computed, and applies the org model: an unmanaged user
// whose primary email really changes is unlinked and leaves every group.
// emailsTouched says whether the request carried emails at all. The version
// and lastModified move only if the user really changed (RFC 7644 §3.14).
func (d *Directory) updateUser(u *user, next map[string]any, kind updateKind, emailsTouched bool) error {
	if err := validateUser(next); err != nil {
		return err
	}
	faulty := kind != updateRestore
	oldEmail := accountEmail(u.attrs)
	d.settlePrimary(next, primaryEmail(emailList(u.attrs)), faulty && emailsTouched)

	oldKey, newName := d.userKey(u.userName()), next["userName"].(string)
	if newKey := d.userKey(newName); newKey != oldKey {
		if other := d.st.userByName[newKey]; other != nil && other != u {
			return conflict("userName %q is already taken", newName)
		}
	}

	newEmail := accountEmail(next)
	unmanaged := !d.managed(oldEmail)
	emailChanged := !d.sameEmail(oldEmail, newEmail, faulty)
	// repush is a write the ACCESS-1003 family of faults acts on: any PUT or
	// PATCH carrying emails for an unmanaged user.
	repush := faulty && emailsTouched && unmanaged
	if repush && d.faults.on(faultAccess1003) {
		emailChanged = true // ACCESS-1003: any email update counts
	}
	if repush && d.faults.on(faultEmailsCaseAndOrder) && reorderedWithCaseChange(emailList(u.attrs), emailList(next)) {
		emailChanged = true // two no-op variations together, taken for an email change
	}

	before, beforeAccount, wasActive := u.attrs, u.accountID, u.active()
	delete(d.st.userByName, oldKey)
	u.attrs = next
	d.st.userByName[d.userKey(newName)] = u
	switch {
	case emailChanged && unmanaged:
		d.unlinkForEmailChange(u, newEmail)
	case repush:
		d.repushFaults(u, newEmail)
	}
	switch isActive := u.active(); {
	case wasActive && !isActive:
		d.record(Event{Type: EventUserDeactivate, UserID: u.id, AccountID: u.accountID, Message: fmt.Sprintf("User %s deactivated", u.id)})
	case !wasActive && isActive:
		d.record(Event{Type: EventUserReactivate, UserID: u.id, AccountID: u.accountID, Message: fmt.Sprintf("User %s reactivated", u.id)})
	}
	d.trackActive(u)
	if u.accountID != beforeAccount || !equivalent(before, u.attrs) {
		d.touchUser(u)
	}
	return nil
}

// unlinkForEmailChange is Atlassian's reaction to an email update of an
// unmanaged user: the account link goes, so do the synced group memberships.
func (d *Directory) unlinkForEmailChange(u *user, email string) {
	acct := u.accountID
	u.accountID = ""
	d.record(Event{Type: EventUnlink, UserID: u.id, AccountID: acct, Message: unlinkMessage(u.id, email)})
	d.removeFromGroups(u, func(*group) bool { return true })
}

// repushFaults applies the faults that act on a re-push to an unmanaged user
// whose email did not change (see updateUser). The caller holds d.mu.
func (d *Directory) repushFaults(u *user, email string) {
	if d.faults.on(faultRelinkOnRepush) && u.accountID != "" {
		// ACCESS-1396/1737: the account is re-created, not re-linked. A link
		// event, but no unlink line.
		id := d.st.newAccountID(email)
		d.st.accounts[id] = Account{ID: id, Email: email}
		u.accountID = id
		d.record(Event{Type: EventLink, UserID: u.id, AccountID: id,
			Message: fmt.Sprintf("User with ID %s, primary email %s, linked to new unmanaged atlassian account %s.", u.id, email, id)})
	}
	if d.faults.on(faultAccess1003Queued) {
		// The audit line now; the unlink after the queue delay, without a
		// second line.
		d.record(Event{Type: EventUnlink, UserID: u.id, AccountID: u.accountID, Message: unlinkMessage(u.id, email)})
		d.later(d.queueDelay, u, func(u *user) {
			if u.accountID != "" {
				u.accountID = ""
				d.touchUser(u)
			}
			d.removeFromGroups(u, func(*group) bool { return true })
		})
	}
	if d.faults.on(faultAccess1003Delayed) {
		d.later(d.delay, u, func(u *user) {
			linked := u.accountID != ""
			d.unlinkForEmailChange(u, accountEmail(u.attrs))
			if linked {
				d.touchUser(u)
			}
		})
	}
}

// removeFromGroups takes the user out of every group for which drop is true.
func (d *Directory) removeFromGroups(u *user, drop func(*group) bool) {
	for _, g := range d.st.groupsOf(u.id) {
		if !drop(g) {
			continue
		}
		g.members.remove(u.id)
		delete(d.st.memberOf[u.id], g.id)
		d.record(Event{Type: EventMemberRemove, UserID: u.id, GroupID: g.id,
			Message: fmt.Sprintf("User %s removed from group %s", u.id, g.displayName())})
		d.touchGroup(g)
	}
	if len(d.st.memberOf[u.id]) == 0 {
		delete(d.st.memberOf, u.id)
	}
}

func (d *Directory) touchUser(u *user) {
	u.modified = d.timestamp()
	u.version++
}

func (d *Directory) replaceUser(r *http.Request, id string) (*response, error) {
	body, err := readObject(r)
	if err != nil {
		return nil, err
	}
	attrs, err := normalizeResource(userResource, body)
	if err != nil {
		return nil, err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	u, err := d.userForWrite(r, id)
	if err != nil {
		return nil, err
	}
	switch v, ok := attrs["active"]; {
	case !ok:
		if stored, had := u.attrs["active"]; had {
			attrs["active"] = stored // an omitted active keeps its value rather than becoming unset
		}
	case v == true && d.faults.on(faultActiveFlipped):
		attrs["active"] = false // the re-push of an active user suspends it
	}
	dedupeEmails(attrs)
	if d.faults.on(faultExternalIDDropped) && !d.managed(accountEmail(u.attrs)) {
		delete(attrs, "externalId")
	}
	_, emailsTouched := hasKey(body, "emails")
	if emailsTouched && d.faults.on(faultEmailsMergedOnPut) {
		setOrDelete(attrs, "emails", mergeEmails(emailList(u.attrs), emailList(attrs)))
	}
	if err := d.updateUser(u, attrs, updatePut, emailsTouched); err != nil {
		return nil, err
	}
	if groups, ok := hasKey(body, "groups"); ok && d.faults.on(faultPutGroupsClears) {
		keep := map[string]bool{}
		list, _ := groups.([]any)
		for _, e := range list {
			if m, ok := e.(map[string]any); ok {
				if v, ok := m["value"].(string); ok {
					keep[v] = true
				}
			}
		}
		d.removeFromGroups(u, func(g *group) bool { return !keep[g.id] })
	}
	if d.faults.on(faultPutReissuesID) {
		d.reissue(u)
	}
	return d.userResponse(r, u, http.StatusOK), nil
}

// reissue is the put-reissues-id fault: the user is deleted and inserted
// again, so it gets a new id and loses its link and memberships.
func (d *Directory) reissue(u *user) {
	d.removeFromGroups(u, func(*group) bool { return true })
	oldID := u.id
	delete(d.st.users, oldID)
	u.id = d.newID()
	d.st.users[u.id] = u
	d.touchUser(u)
	if acct := u.accountID; acct != "" {
		u.accountID = ""
		d.record(Event{Type: EventUnlink, UserID: u.id, AccountID: acct,
			Message: fmt.Sprintf("User with ID %s re-created as %s, %s.", oldID, u.id, UnlinkAuditPattern)})
	}
}

func (d *Directory) patchUser(r *http.Request, id string) (*response, error) {
	ops, err := readPatch(r, d.faults.on(faultEntraOpCaseSensitive))
	if err != nil {
		return nil, err
	}
	if d.faults.on(faultEntraStringBool) {
		caseSensitiveActive(ops)
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	u, err := d.userForWrite(r, id)
	if err != nil {
		return nil, err
	}
	next := copyAttrs(u.attrs)
	p := newPatcher(userResource, next)
	if err := p.apply(ops); err != nil {
		return nil, err
	}
	if p.touched["emails"] {
		dedupeEmails(next)
	}
	if err := d.updateUser(u, next, updatePatch, p.touched["emails"]); err != nil {
		return nil, err
	}
	return d.userResponse(r, u, http.StatusOK), nil
}

// caseSensitiveActive is the entra-string-bool fault: an active sent as a
// string is true only if it is exactly "true", so Entra's "True" (the default
// mapping's Switch expression) reads as false. JSON booleans are unaffected.
func caseSensitiveActive(ops []patchOp) {
	read := func(v any) any {
		if s, ok := v.(string); ok {
			return s == "true"
		}
		return v
	}
	for i, op := range ops {
		switch m, isMap := op.value.(map[string]any); {
		case strings.EqualFold(op.path, "active"):
			ops[i].value = read(op.value)
		case op.path == "" && isMap:
			for k, v := range m {
				if strings.EqualFold(k, "active") {
					m[k] = read(v)
				}
			}
		}
	}
}

func (d *Directory) deleteUser(r *http.Request, id string) (*response, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	u, err := d.userForWrite(r, id)
	if err != nil {
		return nil, err
	}
	d.removeFromGroups(u, func(*group) bool { return true })
	delete(d.st.users, u.id)
	delete(d.st.userByName, d.userKey(u.userName()))
	delete(d.st.inactive, u)
	d.st.removeUserFromOrder(u)
	return &response{status: http.StatusNoContent}, nil
}

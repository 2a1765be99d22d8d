package elimity

import (
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/elimity-com/scim"
	scimerrors "github.com/elimity-com/scim/errors"
	"github.com/elimity-com/scim/optional"
)

// groupHandler is the library's callback set for /Groups.
type groupHandler struct{ s *Server }

func (h groupHandler) Create(r *http.Request, attrs scim.ResourceAttributes) (scim.Resource, error) {
	s := h.s
	st := s.st
	st.mu.Lock()
	defer st.mu.Unlock()
	name, ext, members, err := s.groupFields(attrs)
	if err != nil {
		return scim.Resource{}, err
	}
	now := time.Now().UTC()
	g := &group{id: newID(), seq: st.nextSeq(), displayName: name, externalID: ext, members: members, created: now, modified: now}
	st.addGroup(g)
	return s.groupResource(g), nil
}

func (h groupHandler) Get(r *http.Request, id string) (scim.Resource, error) {
	s := h.s
	s.st.mu.Lock()
	defer s.st.mu.Unlock()
	g := s.st.groups[id]
	if g == nil {
		return scim.Resource{}, scimerrors.ScimErrorResourceNotFound(id)
	}
	return s.groupResource(g), nil
}

func (h groupHandler) GetAll(r *http.Request, params scim.ListRequestParams) (scim.Page, error) {
	s := h.s
	f := s.groups.listFilter(params)
	s.st.mu.Lock()
	defer s.st.mu.Unlock()
	var matched []*group
	for _, g := range s.st.groupOrder {
		ok, err := f.match(func() map[string]any { return s.groupView(g) })
		if err != nil {
			return scim.Page{}, err
		}
		if ok {
			matched = append(matched, g)
		}
	}
	resources := []scim.Resource{}
	for _, g := range page(matched, params.StartIndex, params.Count) {
		resources = append(resources, s.groupResource(g))
	}
	return scim.Page{TotalResults: len(matched), Resources: resources}, nil
}

func (h groupHandler) Replace(r *http.Request, id string, attrs scim.ResourceAttributes) (scim.Resource, error) {
	s := h.s
	st := s.st
	st.mu.Lock()
	defer st.mu.Unlock()
	g := st.groups[id]
	if g == nil {
		return scim.Resource{}, scimerrors.ScimErrorResourceNotFound(id)
	}
	name, ext, members, err := s.groupFields(attrs)
	if err != nil {
		return scim.Resource{}, err
	}
	g.displayName, g.externalID = name, ext
	st.setMembers(g, members)
	g.modified = time.Now().UTC()
	return s.groupResource(g), nil
}

func (h groupHandler) Patch(r *http.Request, id string, ops []scim.PatchOperation) (scim.Resource, error) {
	s := h.s
	st := s.st
	st.mu.Lock()
	defer st.mu.Unlock()
	g := st.groups[id]
	if g == nil {
		return scim.Resource{}, scimerrors.ScimErrorResourceNotFound(id)
	}
	// The group as attributes (members as {value, display, type, $ref}), so that the library's
	// evaluator can match members[value eq "…"]; the operations apply to it, then it is stored.
	view := s.groupAttrs(g)
	for _, op := range ops {
		membersPath := op.Path != nil && strings.EqualFold(op.Path.AttributePath.AttributeName, "members")
		filtered := membersPath && op.Path.ValueExpression != nil
		if op.Op == scim.PatchOperationRemove && filtered && s.on(VariantFilteredRemoveIgnored) {
			continue
		}
		if op.Op == scim.PatchOperationAdd && membersPath && !filtered && s.on(VariantAddAsReplace) {
			op.Op = scim.PatchOperationReplace
		}
		if err := s.groups.apply(view, op); err != nil {
			return scim.Resource{}, err
		}
		if op.Op == scim.PatchOperationReplace && op.Path == nil && !hasKey(op.Value, "members") && s.on(VariantRenameWipesMembers) {
			delete(view, "members") // the pathless replace taken as a replace of the whole group
		}
	}
	name, ext, members, err := s.groupFields(view)
	if err != nil {
		return scim.Resource{}, err
	}
	g.displayName, g.externalID = name, ext
	st.setMembers(g, members)
	g.modified = time.Now().UTC()
	return s.groupResource(g), nil
}

func (h groupHandler) Delete(r *http.Request, id string) error {
	s := h.s
	s.st.mu.Lock()
	defer s.st.mu.Unlock()
	g := s.st.groups[id]
	if g == nil {
		return scimerrors.ScimErrorResourceNotFound(id)
	}
	s.st.deleteGroup(g)
	return nil
}

// groupFields checks a group's attributes and returns what is stored: a displayName that is
// not empty, the externalId, and the member ids, each an existing user or group, once each
// (members is a set, RFC 7643 §4.2), in the order given.
func (s *Server) groupFields(attrs map[string]any) (name, ext string, members []string, err error) {
	name, _ = attrs["displayName"].(string)
	if strings.TrimSpace(name) == "" {
		return "", "", nil, badValue("displayName is required and must not be empty")
	}
	ext, _ = attrs["externalId"].(string)
	for _, e := range asList(attrs["members"]) {
		m, _ := e.(map[string]any)
		id, _ := m["value"].(string)
		if id == "" {
			return "", "", nil, badValue("a member needs a value")
		}
		if s.st.users[id] == nil && s.st.groups[id] == nil {
			return "", "", nil, badValue("member %q is no user or group", id)
		}
		if !slices.Contains(members, id) {
			members = append(members, id)
		}
	}
	return name, ext, members, nil
}

// groupAttrs is a group's attributes, members rendered with their display, type and $ref.
func (s *Server) groupAttrs(g *group) map[string]any {
	attrs := map[string]any{"displayName": g.displayName}
	if g.externalID != "" {
		attrs["externalId"] = g.externalID
	}
	var members []any
	for _, id := range g.members {
		m := map[string]any{"value": id}
		if u := s.st.users[id]; u != nil {
			display := u.userName()
			if d, _ := u.attrs["displayName"].(string); d != "" {
				display = d
			}
			m["display"], m["type"], m["$ref"] = display, "User", s.base+"/Users/"+id
		} else if sub := s.st.groups[id]; sub != nil {
			m["display"], m["type"], m["$ref"] = sub.displayName, "Group", s.base+"/Groups/"+id
		}
		members = append(members, m)
	}
	if len(members) > 0 {
		attrs["members"] = members
	}
	return attrs
}

// groupView is what a filter sees of a group.
func (s *Server) groupView(g *group) map[string]any {
	view := s.groupAttrs(g)
	view["id"] = g.id
	view["meta"] = map[string]any{
		"resourceType": "Group",
		"created":      g.created.Format(time.RFC3339),
		"lastModified": g.modified.Format(time.RFC3339),
		"location":     s.base + "/Groups/" + g.id,
	}
	return view
}

func (s *Server) groupResource(g *group) scim.Resource {
	attrs := s.groupAttrs(g)
	var ext optional.String
	if g.externalID != "" {
		ext = optional.NewString(g.externalID)
		delete(attrs, "externalId")
	}
	created, modified := g.created, g.modified
	return scim.Resource{ID: g.id, ExternalID: ext, Attributes: attrs, Meta: scim.Meta{Created: &created, LastModified: &modified}}
}

// hasKey says whether a pathless operation's value holds an attribute.
func hasKey(value any, key string) bool {
	m, _ := value.(map[string]any)
	for k := range m {
		if strings.EqualFold(k, key) {
			return true
		}
	}
	return false
}

package elimity

import (
	"encoding/json"
	"io"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/elimity-com/scim"
	scimerrors "github.com/elimity-com/scim/errors"
	"github.com/elimity-com/scim/optional"
)

// userHandler is the library's callback set for /Users.
type userHandler struct{ s *Server }

func (h userHandler) Create(r *http.Request, attrs scim.ResourceAttributes) (scim.Resource, error) {
	s := h.s
	next, err := s.cleanUser(attrs)
	if err != nil {
		return scim.Resource{}, err
	}
	if _, ok := next["active"]; !ok {
		next["active"] = true
	}
	st := s.st
	st.mu.Lock()
	defer st.mu.Unlock()
	now := time.Now().UTC()
	name := next["userName"].(string)
	// Okta's re-POST after deactivate → reactivate → reassign carries the externalId of the
	// deactivated user: the record is restored (same id, link and groups), not duplicated.
	if ext, _ := next["externalId"].(string); ext != "" {
		if old := st.inactiveByExternalID(ext); old != nil {
			if s.userNameTaken(name, old) {
				return scim.Resource{}, taken(name)
			}
			st.setUserAttrs(old, next, now)
			return s.userResource(old), nil
		}
	}
	if s.userNameTaken(name, nil) {
		return scim.Resource{}, taken(name)
	}
	u := &user{id: newID(), seq: st.nextSeq(), attrs: next, accountID: st.newAccount(), created: now, modified: now}
	st.addUser(u)
	return s.userResource(u), nil
}

func (h userHandler) Get(r *http.Request, id string) (scim.Resource, error) {
	s := h.s
	s.st.mu.Lock()
	defer s.st.mu.Unlock()
	u := s.st.users[id]
	if u == nil {
		return scim.Resource{}, scimerrors.ScimErrorResourceNotFound(id)
	}
	return s.userResource(u), nil
}

func (h userHandler) GetAll(r *http.Request, params scim.ListRequestParams) (scim.Page, error) {
	s := h.s
	f := s.users.listFilter(params)
	st := s.st
	st.mu.Lock()
	defer st.mu.Unlock()
	candidates := st.userOrder
	if name, ok := userNameEq(f); ok {
		candidates = slices.Clone(st.byName[nameKey(name)])
		slices.SortFunc(candidates, func(a, b *user) int { return a.seq - b.seq })
	}
	var matched []*user
	for _, u := range candidates {
		ok, err := f.match(func() map[string]any { return s.userView(u) })
		if err != nil {
			return scim.Page{}, err
		}
		if ok {
			matched = append(matched, u)
		}
	}
	resources := []scim.Resource{}
	for _, u := range page(matched, params.StartIndex, params.Count) {
		resources = append(resources, s.userResource(u))
	}
	return scim.Page{TotalResults: len(matched), Resources: resources}, nil
}

func (h userHandler) Replace(r *http.Request, id string, attrs scim.ResourceAttributes) (scim.Resource, error) {
	s := h.s
	body := rawBody(r)
	next, err := s.cleanUser(attrs)
	if err != nil {
		return scim.Resource{}, err
	}
	st := s.st
	st.mu.Lock()
	defer st.mu.Unlock()
	u := st.users[id]
	if u == nil {
		return scim.Resource{}, scimerrors.ScimErrorResourceNotFound(id)
	}
	// A PUT without active keeps the status (RFC 7644 §3.5.1 lets the server assign a value to
	// an omitted attribute) rather than suspending the user.
	if _, ok := next["active"]; !ok {
		if v, had := u.attrs["active"]; had {
			next["active"] = v
		}
	}
	name := next["userName"].(string)
	if s.userNameTaken(name, u) {
		return scim.Resource{}, taken(name)
	}
	unmanaged := !s.managed(primaryEmail(u.attrs))
	now := time.Now().UTC()
	st.setUserAttrs(u, next, now)
	if _, carries := topLevel(body, "emails"); carries && unmanaged && s.on(VariantAccess1003) {
		s.unlink(u, now)
	}
	if groups, carries := topLevel(body, "groups"); carries && s.on(VariantPutGroupsClears) {
		keep := map[string]bool{}
		var list []struct {
			Value string `json:"value"`
		}
		json.Unmarshal(groups, &list)
		for _, g := range list {
			keep[g.Value] = true
		}
		for _, g := range st.groupsOf(u.id) {
			if !keep[g.id] {
				st.setMembers(g, slices.DeleteFunc(slices.Clone(g.members), func(m string) bool { return m == u.id }))
				g.modified = now
			}
		}
	}
	return s.userResource(u), nil
}

func (h userHandler) Patch(r *http.Request, id string, ops []scim.PatchOperation) (scim.Resource, error) {
	s := h.s
	st := s.st
	st.mu.Lock()
	defer st.mu.Unlock()
	u := st.users[id]
	if u == nil {
		return scim.Resource{}, scimerrors.ScimErrorResourceNotFound(id)
	}
	// The operations apply to a copy: one that fails leaves the user as it was.
	next := copyAttrs(u.attrs)
	emailsTouched := false
	for _, op := range ops {
		if err := s.users.apply(next, op); err != nil {
			return scim.Resource{}, err
		}
		emailsTouched = emailsTouched || touches(op, "emails")
	}
	next, err := s.cleanUser(next)
	if err != nil {
		return scim.Resource{}, err
	}
	name := next["userName"].(string)
	if s.userNameTaken(name, u) {
		return scim.Resource{}, taken(name)
	}
	unmanaged := !s.managed(primaryEmail(u.attrs))
	now := time.Now().UTC()
	st.setUserAttrs(u, next, now)
	if emailsTouched && unmanaged && s.on(VariantAccess1003) {
		s.unlink(u, now)
	}
	return s.userResource(u), nil
}

func (h userHandler) Delete(r *http.Request, id string) error {
	s := h.s
	s.st.mu.Lock()
	defer s.st.mu.Unlock()
	u := s.st.users[id]
	if u == nil {
		return scimerrors.ScimErrorResourceNotFound(id)
	}
	s.st.deleteUser(u)
	return nil
}

// unlink is the access-1003 variant's reaction: the account link goes, and so do the user's
// group memberships.
func (s *Server) unlink(u *user, now time.Time) {
	u.accountID = ""
	for _, g := range s.st.groupsOf(u.id) {
		s.st.setMembers(g, slices.DeleteFunc(slices.Clone(g.members), func(m string) bool { return m == u.id }))
		g.modified = now
	}
}

// cleanUser is the stored form of validated attributes: the password (write-only) and the
// extension (read-only) dropped, empty values unset. It checks what the schema cannot say: a
// userName that is not empty, one primary value at most.
func (s *Server) cleanUser(attrs map[string]any) (map[string]any, error) {
	next := make(map[string]any, len(attrs))
	for k, v := range attrs {
		if k == "password" || k == "groups" || s.users.extension(k) != "" {
			continue
		}
		switch x := v.(type) {
		case []any:
			if len(x) == 0 {
				continue
			}
		case map[string]any:
			if len(x) == 0 {
				continue
			}
		}
		next[k] = v
	}
	name, _ := next["userName"].(string)
	if strings.TrimSpace(name) == "" {
		return nil, badValue("userName is required and must not be empty")
	}
	for _, k := range []string{"emails", "phoneNumbers", "ims", "photos", "addresses", "entitlements", "roles", "x509Certificates"} {
		primaries := 0
		for _, e := range asList(next[k]) {
			if m, ok := e.(map[string]any); ok && m["primary"] == true {
				primaries++
			}
		}
		if primaries > 1 {
			return nil, badValue("%s: the primary value true may appear only once (RFC 7643 §2.4)", k)
		}
	}
	return next, nil
}

func taken(name string) scimerrors.ScimError {
	return scimError(http.StatusConflict, scimerrors.ScimTypeUniqueness, "userName %q is already taken", name)
}

// userNameTaken says whether a user other than except holds the userName, compared as the
// schema's caseExact says (case-insensitively, RFC 7643 §4.1.1).
func (s *Server) userNameTaken(name string, except *user) bool {
	for _, u := range s.st.byName[nameKey(name)] {
		if u == except {
			continue
		}
		if s.on(VariantLookupCaseSensitive) && u.userName() != name {
			continue
		}
		return true
	}
	return false
}

// inactiveByExternalID is the oldest deactivated user with that externalId.
func (st *state) inactiveByExternalID(ext string) *user {
	for _, u := range st.byExternal[ext] {
		if !u.active() {
			return u
		}
	}
	return nil
}

// userResource is a user as the library answers it: a copy of the attributes, the groups
// computed from membership, and the link extension when linked.
func (s *Server) userResource(u *user) scim.Resource {
	attrs := copyAttrs(u.attrs)
	var ext optional.String
	if v, ok := attrs["externalId"].(string); ok {
		ext = optional.NewString(v)
		delete(attrs, "externalId")
	}
	if groups := s.userGroups(u); len(groups) > 0 {
		attrs["groups"] = groups
	}
	if u.accountID != "" {
		attrs[ExtensionSchema] = map[string]any{"accountId": u.accountID}
	}
	created, modified := u.created, u.modified
	return scim.Resource{ID: u.id, ExternalID: ext, Attributes: attrs, Meta: scim.Meta{Created: &created, LastModified: &modified}}
}

// userGroups is the read-only groups attribute (RFC 7643 §4.1.2).
func (s *Server) userGroups(u *user) []any {
	var out []any
	for _, g := range s.st.groupsOf(u.id) {
		out = append(out, map[string]any{
			"value":   g.id,
			"$ref":    s.base + "/Groups/" + g.id,
			"display": g.displayName,
			"type":    "direct",
		})
	}
	return out
}

// userView is what a filter sees of a user.
func (s *Server) userView(u *user) map[string]any {
	m := make(map[string]any, len(u.attrs)+4)
	for k, v := range u.attrs {
		m[k] = v
	}
	m["id"] = u.id
	m["meta"] = map[string]any{
		"resourceType": "User",
		"created":      u.created.Format(time.RFC3339),
		"lastModified": u.modified.Format(time.RFC3339),
		"location":     s.base + "/Users/" + u.id,
	}
	if groups := s.userGroups(u); len(groups) > 0 {
		m["groups"] = groups
	}
	if u.accountID != "" {
		m[ExtensionSchema] = map[string]any{"accountId": u.accountID}
		m[LinkAttribute] = u.accountID
	}
	return m
}

// touches says whether a PATCH operation names an attribute, by its path or as a key of a
// pathless value.
func touches(op scim.PatchOperation, name string) bool {
	if op.Path != nil {
		return strings.EqualFold(op.Path.AttributePath.AttributeName, name)
	}
	values, _ := op.Value.(map[string]any)
	for k := range values {
		if strings.EqualFold(strings.SplitN(k, ".", 2)[0], name) {
			return true
		}
	}
	return false
}

// rawBody is the request body as the client sent it (the library leaves a fresh reader in
// r.Body after reading it), for what validation drops: read-only attributes a variant honours.
func rawBody(r *http.Request) map[string]json.RawMessage {
	b, err := io.ReadAll(r.Body)
	if err != nil {
		return nil
	}
	var m map[string]json.RawMessage
	json.Unmarshal(b, &m)
	return m
}

// topLevel finds a top-level key of a body, case-insensitively as attribute names are.
func topLevel(body map[string]json.RawMessage, key string) (json.RawMessage, bool) {
	for k, v := range body {
		if strings.EqualFold(k, key) {
			return v, true
		}
	}
	return nil, false
}

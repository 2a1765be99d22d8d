package harness

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"sort"
	"strings"

	"github.com/scimreplay/scimreplay/internal/jsonscan"
)

// UserState is what a force sync must not move for one user: its SCIM identity and its link,
// each as the target answered it (nothing here is worked out by the harness).
type UserState struct {
	ID         string `json:"id"`
	UserName   string `json:"userName"` // as the target stores it
	ExternalID string `json:"externalId,omitempty"`
	// Active is the target's active flag; nil when it returns none (RFC 7643 makes it optional).
	Active *bool `json:"active,omitempty"`
	// PrimaryEmail is the email the target flags primary, lower-cased (emails are
	// caseExact=false); "" when it flags none.
	PrimaryEmail string   `json:"primaryEmail,omitempty"`
	Emails       []string `json:"emails,omitempty"` // lower-cased, sorted
	Link         string   `json:"link,omitempty"`   // linked account; "" = none
}

// Key is the user's userName, lower-cased as RFC 7643 makes userName case-insensitive: two
// users of one key are duplicates.
func (u *UserState) Key() string { return strings.ToLower(u.UserName) }

// IsActive reports whether the target says the user is active (true when it says nothing).
func (u *UserState) IsActive() bool { return u.Active == nil || *u.Active }

// GroupState is a group and its member multiset (member ids sorted, duplicates kept).
type GroupState struct {
	ID          string   `json:"id"`
	DisplayName string   `json:"displayName"`
	Members     []string `json:"members"`
	// ReadByID says the members come from GET /Groups/{id}: the list page left them out.
	ReadByID bool `json:"readById,omitempty"`
}

// Key is the group's displayName, lower-cased: displayName is caseExact=false (RFC 7643 §4.2).
func (g *GroupState) Key() string { return strings.ToLower(g.DisplayName) }

// Snapshot is the state of the users and groups in scope at one moment.
type Snapshot struct {
	Users  []UserState  `json:"users"`
	Groups []GroupState `json:"groups"`
	// Audit holds the audit-probe lines that match its pattern, in the target's order.
	Audit []string `json:"audit,omitempty"`
	// LinkProbed says whether links were read (a target without a link probe has none).
	LinkProbed bool `json:"linkProbed"`
	// AuditProbed says whether the audit log was read.
	AuditProbed bool `json:"auditProbed,omitempty"`
	// UsersRead and GroupsRead say how each was read (ReadPaged or ReadByScope, see
	// TakeSnapshot); Fallback says why a read that could go by filter was paged ("" if none was).
	UsersRead  string `json:"usersRead,omitempty"`
	GroupsRead string `json:"groupsRead,omitempty"`
	Fallback   string `json:"fallback,omitempty"`
}

// Memberships counts the members of every group (a member twice counts twice).
func (s *Snapshot) Memberships() int {
	n := 0
	for _, g := range s.Groups {
		n += len(g.Members)
	}
	return n
}

// Linked counts the users with a linked account.
func (s *Snapshot) Linked() int {
	n := 0
	for _, u := range s.Users {
		if u.Link != "" {
			n++
		}
	}
	return n
}

// Scope limits a snapshot to what a scenario created or touched, so a gate can run against a
// shared server with other data in it. An empty scope takes everything.
type Scope struct {
	UserNames  []string // matched case-insensitively; also finds duplicates of these people
	UserIDs    []string // users the scenario knows by id: one no page lists is read by id
	GroupIDs   []string // likewise for groups
	GroupNames []string // matched case-insensitively
}

func (s Scope) empty() bool {
	return len(s.UserNames)+len(s.UserIDs)+len(s.GroupIDs)+len(s.GroupNames) == 0
}

func set(xs []string, lower bool) map[string]bool {
	m := make(map[string]bool, len(xs))
	for _, x := range xs {
		if lower {
			x = strings.ToLower(x)
		}
		m[x] = true
	}
	return m
}

// Probes say how to read links and audit lines from a target.
type Probes struct {
	Link  LinkProbe
	Audit AuditProbe
}

// TakeSnapshot reads the users and groups in scope and the probes. It reads each resource type
// the cheaper of two ways, decided by the first page of its listing (totalResults):
//   - by filter and id, when the scope needs fewer requests than paging through everything the
//     target holds (a scenario of 10 users on a shared server of 100k): each userName in scope
//     by `userName eq "…"` (which also finds a second user of that userName), each group name by
//     `displayName eq "…"`, and each id no filter found by GET /Users/{id} or /Groups/{id} (404:
//     gone), snapshotWorkers requests at a time. A target that cannot filter so is paged instead,
//     and Fallback says why: a filter answered a status other than 200 or 404, or no SCIM list,
//     or resources of another name (it ignored the filter), or it tells case apart (one request
//     asks for a user or group found with the case of its name swapped: RFC 7643 makes userName
//     and displayName caseExact=false, and such a filter would miss a duplicate stored under a
//     case-changed name, which a listing shows);
//   - page by page otherwise, and always with an empty scope (everything), keeping those in scope
//     (streaming: memory is bounded by the state kept, not by the target's size). A user or group
//     the scope knows by id that no page lists is read by id: if the target serves it there, the
//     listing ended early, which is a ProtocolError (the run could not be done); if it answers
//     404, it is gone.
//
// Either way, what a list view (a page or a filter's answer) leaves out is read by id, never
// taken as absent: a group with no members attribute, and the link attribute when no user read
// from a list view carries it.
func TakeSnapshot(ctx context.Context, c *Client, scope Scope, probes Probes) (*Snapshot, error) {
	snap := &Snapshot{LinkProbed: probes.Link.Enabled(), AuditProbed: probes.Audit.Enabled()}
	var linkAttr []string
	if probes.Link.Attribute != "" {
		linkAttr = splitAttrPath(probes.Link.Attribute)
	}
	if err := readUsers(ctx, c, scope, linkAttr, snap); err != nil {
		return nil, fmt.Errorf("snapshot users: %w", err)
	}
	if err := readGroups(ctx, c, scope, snap); err != nil {
		return nil, fmt.Errorf("snapshot groups: %w", err)
	}
	if probes.Link.Path != "" {
		if err := probeLinks(ctx, c, probes.Link, snap); err != nil {
			return nil, probeFailed("link", err)
		}
	}
	if probes.Audit.Enabled() {
		lines, err := probeAudit(ctx, c, probes.Audit)
		if err != nil {
			return nil, probeFailed("audit", err)
		}
		snap.Audit = lines
	}
	sortSnapshot(snap)
	return snap, nil
}

// sortSnapshot orders users and groups by key, then id: however they were read, a snapshot of
// one state is one value.
func sortSnapshot(snap *Snapshot) {
	sort.SliceStable(snap.Users, func(i, j int) bool {
		if ki, kj := snap.Users[i].Key(), snap.Users[j].Key(); ki != kj {
			return ki < kj
		}
		return snap.Users[i].ID < snap.Users[j].ID
	})
	sort.SliceStable(snap.Groups, func(i, j int) bool {
		if ki, kj := snap.Groups[i].Key(), snap.Groups[j].Key(); ki != kj {
			return ki < kj
		}
		return snap.Groups[i].ID < snap.Groups[j].ID
	})
}

// pageUsers reads the users in scope page by page (see TakeSnapshot). With first, the listing
// asks it on the first page whether to go on; stopped says it did not.
func pageUsers(ctx context.Context, c *Client, scope Scope, linkAttr []string, snap *Snapshot, first func(total, n int) bool) (stopped bool, err error) {
	all := scope.empty()
	names, uids := set(scope.UserNames, true), set(scope.UserIDs, false)
	listed := map[string]bool{}
	hook := noteStop(first, &stopped)
	// listIDs reads every page into one buffer: nothing below keeps raw.
	err = c.listIDs(ctx, "/Users", "", hook, func(_ string, raw json.RawMessage) error {
		u, err := decodeUser(raw, linkAttr)
		if err != nil {
			return &ProtocolError{Msg: fmt.Sprintf("a user in GET /Users is not a JSON object: %v", err)}
		}
		listed[u.ID] = true
		if !all && !names[u.Key()] && !uids[u.ID] {
			return nil
		}
		snap.Users = append(snap.Users, u)
		return nil
	})
	if err != nil || stopped {
		return stopped, err
	}
	for _, id := range scope.UserIDs {
		if listed[id] {
			continue
		}
		m, err := getResource(ctx, c, "/Users/", id)
		if err != nil {
			return false, err
		}
		if m != nil {
			return false, listingEndedEarly("/Users", "user", id)
		}
		listed[id] = true // gone: asked once
	}
	if linkAttr != nil && snap.Linked() == 0 {
		// Some servers leave extension attributes out of list views: read each user by id.
		return false, readLinksByID(ctx, c, snap.Users, linkAttr)
	}
	return false, nil
}

// readLinksByID reads the link attribute of each user by id, snapshotWorkers at a time.
func readLinksByID(ctx context.Context, c *Client, users []UserState, linkAttr []string) error {
	return inParallel(ctx, len(users), func(ctx context.Context, i int) error {
		m, err := getResource(ctx, c, "/Users/", users[i].ID)
		if m != nil {
			users[i].Link = stringAt(m, linkAttr)
		}
		return err
	})
}

// noteStop is first (nil stays nil), noting in stopped when it says not to go on.
func noteStop(first func(total, n int) bool, stopped *bool) func(total, n int) bool {
	if first == nil {
		return nil
	}
	return func(total, n int) bool {
		*stopped = !first(total, n)
		return !*stopped
	}
}

// pageGroups reads the groups in scope page by page, as pageUsers does users.
func pageGroups(ctx context.Context, c *Client, scope Scope, snap *Snapshot, first func(total, n int) bool) (stopped bool, err error) {
	all := scope.empty()
	gids, gnames := set(scope.GroupIDs, false), set(scope.GroupNames, true)
	listed := map[string]bool{}
	hook := noteStop(first, &stopped)
	var byID []int // groups whose list entry has no members
	err = c.listIDs(ctx, "/Groups", "", hook, func(_ string, raw json.RawMessage) error {
		g, hasMembers, err := groupState(raw)
		if err != nil {
			return &ProtocolError{Msg: fmt.Sprintf("a group in GET /Groups does not decode: %v", err)}
		}
		listed[g.ID] = true
		if !all && !gids[g.ID] && !gnames[g.Key()] {
			return nil
		}
		if !hasMembers {
			byID = append(byID, len(snap.Groups))
		}
		snap.Groups = append(snap.Groups, g)
		return nil
	})
	if err != nil || stopped {
		return stopped, err
	}
	for _, id := range scope.GroupIDs {
		if listed[id] {
			continue
		}
		raw, err := getRaw(ctx, c, "/Groups/", id)
		if err != nil {
			return false, err
		}
		if raw != nil {
			return false, listingEndedEarly("/Groups", "group", id)
		}
		listed[id] = true
	}
	snap.Groups, err = readMembersByID(ctx, c, snap.Groups, byID)
	return false, err
}

// readMembersByID reads by id the groups at the indexes byID (ascending), whose list entry had no
// members attribute, snapshotWorkers at a time, and drops those gone (404) meanwhile.
func readMembersByID(ctx context.Context, c *Client, groups []GroupState, byID []int) ([]GroupState, error) {
	gone := make([]bool, len(groups))
	err := inParallel(ctx, len(byID), func(ctx context.Context, k int) error {
		g := &groups[byID[k]]
		raw, err := getRaw(ctx, c, "/Groups/", g.ID)
		if err != nil {
			return err
		}
		if raw == nil {
			gone[byID[k]] = true // removed between the list and this read
			return nil
		}
		full, _, err := groupState(raw)
		if err != nil {
			return &ProtocolError{Msg: fmt.Sprintf("GET /Groups/%s does not decode: %v", g.ID, err)}
		}
		g.Members, g.ReadByID = full.Members, true
		return nil
	})
	if err != nil {
		return nil, err
	}
	kept := groups[:0]
	for i, g := range groups {
		if !gone[i] {
			kept = append(kept, g)
		}
	}
	return kept, nil
}

func listingEndedEarly(list, what, id string) error {
	return &ProtocolError{Msg: fmt.Sprintf("GET %s listed no %s with id %s, but GET %s/%s answers it: the listing ended early (a totalResults or a page shorter than what the target holds), so a snapshot from it would miss resources",
		list, what, id, list, url.PathEscape(id))}
}

// groupState decodes a group; hasMembers says whether it carried a members attribute at all
// (an explicit [] is an empty group; no attribute says nothing).
func groupState(raw []byte) (GroupState, bool, error) {
	var g struct {
		ID          string `json:"id"`
		DisplayName string `json:"displayName"`
		Members     *[]struct {
			Value string `json:"value"`
		} `json:"members"`
	}
	if err := json.Unmarshal(raw, &g); err != nil {
		return GroupState{}, false, err
	}
	gs := GroupState{ID: g.ID, DisplayName: g.DisplayName, Members: []string{}}
	if g.Members == nil {
		return gs, false, nil
	}
	for _, m := range *g.Members {
		gs.Members = append(gs.Members, m.Value)
	}
	sort.Strings(gs.Members)
	return gs, true, nil
}

// getRaw reads one resource by id: its body, or nil when the target answers 404.
func getRaw(ctx context.Context, c *Client, prefix, id string) ([]byte, error) {
	resp, err := c.Do(ctx, http.MethodGet, prefix+url.PathEscape(id), nil, nil)
	if err != nil {
		return nil, err
	}
	switch resp.Status {
	case http.StatusOK:
		return resp.Body, nil
	case http.StatusNotFound:
		return nil, nil
	}
	return nil, &StatusError{Method: http.MethodGet, Path: prefix + id, Want: []int{200, 404}, Got: resp.Status, Body: snippet(resp.Body)}
}

// getResource is getRaw decoded as an object.
func getResource(ctx context.Context, c *Client, prefix, id string) (map[string]any, error) {
	raw, err := getRaw(ctx, c, prefix, id)
	if raw == nil || err != nil {
		return nil, err
	}
	return asObject(prefix, id, raw)
}

// asObject is the body of GET prefix+id decoded as an object.
func asObject(prefix, id string, raw []byte) (map[string]any, error) {
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil || m == nil {
		return nil, &ProtocolError{Msg: fmt.Sprintf("GET %s%s is not a JSON object: %s", prefix, id, snippet(raw))}
	}
	return m, nil
}

// decodeUser is a user of a list page as json.Unmarshal into a map, then userState and the link
// attribute at linkAttr (when not nil), read it; but it decodes only the members those look at
// (id, userName, externalId, active, emails, the link's first key, in any letter case), skipping
// the rest unread (meta, name, groups, schemas…): decoding every member of 100k users into maps
// was most of a snapshot's own CPU. raw must be valid JSON (a checked page's resource); what the
// scanner does not read plainly (a key with an escape or a non-ASCII byte, no object) is decoded
// whole. TestDecodeUserMatchesUnmarshal holds the two together.
func decodeUser(raw []byte, linkAttr []string) (UserState, error) {
	m := make(map[string]any, 8)
	var err error
	plain := jsonscan.EachMember(raw, func(k, v []byte) {
		if err != nil || !userMember(k, linkAttr) {
			return
		}
		var x any
		err = json.Unmarshal(v, &x)
		m[string(k)] = x
	})
	if !plain || err != nil {
		m = nil
		if err := json.Unmarshal(raw, &m); err != nil {
			return UserState{}, err
		}
	}
	u := userState(m)
	if linkAttr != nil {
		u.Link = stringAt(m, linkAttr)
	}
	return u, nil
}

// userMember says whether userState or the link attribute reads the member key.
func userMember(k []byte, linkAttr []string) bool {
	for _, name := range [...]string{"id", "userName", "externalId", "active", "emails"} {
		if jsonscan.EqualFold(k, name) {
			return true
		}
	}
	return len(linkAttr) > 0 && jsonscan.EqualFold(k, linkAttr[0])
}

func userState(m map[string]any) UserState {
	u := UserState{}
	attr := func(m map[string]any, name string) any { v, _ := lookup(m, name); return v }
	u.ID, _ = attr(m, "id").(string)
	u.UserName, _ = attr(m, "userName").(string)
	u.ExternalID, _ = attr(m, "externalId").(string)
	switch a := attr(m, "active").(type) {
	case bool:
		u.Active = &a
	case string: // Entra's default dialect sends "True"/"False"; some servers echo it
		if b, ok := parseBool(a); ok {
			u.Active = &b
		}
	}
	emails, _ := attr(m, "emails").([]any)
	for _, e := range emails {
		em, _ := e.(map[string]any)
		v, _ := attr(em, "value").(string)
		v = strings.ToLower(strings.TrimSpace(v))
		if v == "" {
			continue
		}
		u.Emails = append(u.Emails, v)
		if isTrue(attr(em, "primary")) && u.PrimaryEmail == "" {
			u.PrimaryEmail = v
		}
	}
	sort.Strings(u.Emails)
	return u
}

func parseBool(s string) (bool, bool) {
	switch {
	case strings.EqualFold(s, "true"):
		return true, true
	case strings.EqualFold(s, "false"):
		return false, true
	}
	return false, false
}

func isTrue(v any) bool {
	switch x := v.(type) {
	case bool:
		return x
	case string:
		b, ok := parseBool(x)
		return ok && b
	}
	return false
}

// splitAttrPath splits a SCIM attribute path into keys: a schema URN prefix
// ("urn:…:1.0:atlassianAccountId") is one key, then dotted sub-attributes.
func splitAttrPath(p string) []string {
	if strings.HasPrefix(strings.ToLower(p), "urn:") {
		i := strings.LastIndex(p, ":")
		rest := strings.Split(p[i+1:], ".")
		return append([]string{p[:i]}, rest...)
	}
	return strings.Split(p, ".")
}

// lookup finds attribute name in m, case-insensitively as SCIM attribute names are (RFC 7643
// §2.1): "ID" and "UserName" are "id" and "userName".
func lookup(m map[string]any, name string) (any, bool) {
	if v, ok := m[name]; ok {
		return v, true
	}
	for k, v := range m {
		if strings.EqualFold(k, name) {
			return v, true
		}
	}
	return nil, false
}

// stringAt follows keys case-insensitively (SCIM attribute names are) and returns the string
// found, or "".
func stringAt(m map[string]any, keys []string) string {
	var cur any = m
	for _, k := range keys {
		obj, ok := cur.(map[string]any)
		if !ok {
			return ""
		}
		v, ok := lookup(obj, k)
		if !ok {
			return ""
		}
		cur = v
	}
	switch v := cur.(type) {
	case string:
		return v
	case float64, bool:
		return fmt.Sprint(v)
	}
	return ""
}

// probeLinks reads links from an HTTP endpoint of the target. A path with {{id}} is asked once
// per user, snapshotWorkers users at a time: a 404, or a pointer that leads nowhere, means that
// user has no link. A path without it is asked once and its pointer must name an object from user
// id to account.
func probeLinks(ctx context.Context, c *Client, p LinkProbe, snap *Snapshot) error {
	if strings.Contains(p.Path, "{{id}}") {
		return inParallel(ctx, len(snap.Users), func(ctx context.Context, i int) error {
			u := &snap.Users[i]
			path := strings.ReplaceAll(p.Path, "{{id}}", url.PathEscape(u.ID))
			doc, err := getJSON(ctx, c, path, http.StatusNotFound)
			if err != nil {
				return err
			}
			if doc == nil {
				return nil // 404: no link for this user
			}
			v, err := jsonPointer(doc, p.Pointer)
			if err != nil {
				return nil // no link for this user
			}
			if u.Link, err = scalarString(v); err != nil {
				return fmt.Errorf("link probe %s at %q: %w", path, p.Pointer, err)
			}
			return nil
		})
	}
	doc, err := getJSON(ctx, c, p.Path)
	if err != nil {
		return err
	}
	v, err := jsonPointer(doc, p.Pointer)
	if err != nil {
		return fmt.Errorf("link probe %s: %w", p.Path, err)
	}
	links, ok := v.(map[string]any)
	if !ok {
		return fmt.Errorf("link probe %s at %q is not an object from user id to account", p.Path, p.Pointer)
	}
	for i := range snap.Users {
		if snap.Users[i].Link, err = scalarString(links[snap.Users[i].ID]); err != nil {
			return fmt.Errorf("link probe %s at %q, user %s: %w", p.Path, p.Pointer, snap.Users[i].ID, err)
		}
	}
	return nil
}

// scalarString is a linked account as text: a string or number; null is no link.
func scalarString(v any) (string, error) {
	switch x := v.(type) {
	case string:
		return x, nil
	case nil:
		return "", nil
	case float64, bool:
		return fmt.Sprint(x), nil
	}
	return "", fmt.Errorf("the account is %T, not a string or number", v)
}

// getJSON GETs a path from the target's root; a status in absent answers a nil document.
func getJSON(ctx context.Context, c *Client, path string, absent ...int) (any, error) {
	resp, err := c.DoRoot(ctx, http.MethodGet, path, nil, nil)
	if err != nil {
		return nil, err
	}
	if slices.Contains(absent, resp.Status) {
		return nil, nil
	}
	if resp.Status != http.StatusOK {
		return nil, fmt.Errorf("GET %s answered %d: %s", path, resp.Status, snippet(resp.Body))
	}
	var doc any
	if err := resp.JSON(&doc); err != nil {
		return nil, fmt.Errorf("GET %s: %w", path, err)
	}
	return doc, nil
}

// jsonPointer resolves an RFC 6901 pointer in a decoded JSON document.
func jsonPointer(doc any, ptr string) (any, error) {
	if ptr == "" || ptr == "/" {
		return doc, nil
	}
	if !strings.HasPrefix(ptr, "/") {
		return nil, fmt.Errorf("JSON pointer %q must start with /", ptr)
	}
	cur := doc
	for _, tok := range strings.Split(ptr[1:], "/") {
		tok = strings.ReplaceAll(strings.ReplaceAll(tok, "~1", "/"), "~0", "~")
		switch c := cur.(type) {
		case map[string]any:
			v, ok := c[tok]
			if !ok {
				return nil, fmt.Errorf("JSON pointer %q: no member %q", ptr, tok)
			}
			cur = v
		case []any:
			var i int
			if _, err := fmt.Sscanf(tok, "%d", &i); err != nil || i < 0 || i >= len(c) {
				return nil, fmt.Errorf("JSON pointer %q: bad index %q", ptr, tok)
			}
			cur = c[i]
		default:
			return nil, fmt.Errorf("JSON pointer %q: %q is not inside an object or array", ptr, tok)
		}
	}
	return cur, nil
}

func probeAudit(ctx context.Context, c *Client, p AuditProbe) ([]string, error) {
	re, err := regexp.Compile(p.Pattern)
	if err != nil {
		return nil, fmt.Errorf("audit pattern: %w", err)
	}
	resp, err := c.DoRoot(ctx, http.MethodGet, p.Path, nil, nil)
	if err != nil {
		return nil, err
	}
	if resp.Status != http.StatusOK {
		return nil, fmt.Errorf("GET %s answered %d: %s", p.Path, resp.Status, snippet(resp.Body))
	}
	if cannotMatch(re, resp.Body) {
		return nil, nil
	}
	var lines []string
	var doc any
	if json.Unmarshal(resp.Body, &doc) == nil {
		walkStrings(doc, func(s string) {
			if re.MatchString(s) {
				lines = append(lines, s)
			}
		})
		return lines, nil
	}
	for _, l := range strings.Split(string(resp.Body), "\n") {
		if re.MatchString(l) {
			lines = append(lines, strings.TrimSpace(l))
		}
	}
	return lines, nil
}

// cannotMatch reports, without decoding, that no line or JSON string of body can match re: re
// is a plain literal, the body holds no escape (so every decoded string is a piece of the raw
// bytes) and the literal is nowhere in it. An audit log grows with every user a run provisions
// and is read by both snapshots; with no unlink line in it, which is what a passing gate sees,
// decoding and walking it was the costliest part of a large snapshot.
func cannotMatch(re *regexp.Regexp, body []byte) bool {
	lit, complete := re.LiteralPrefix()
	// (Decoding turns invalid UTF-8 into U+FFFD, which the raw bytes lack; regexp never reports
	// a complete literal holding U+FFFD, and the test covers that case.)
	return complete && lit != "" && bytes.IndexByte(body, '\\') < 0 && !bytes.Contains(body, []byte(lit))
}

// walkStrings visits every string in a JSON document in document order (object keys sorted,
// since Go maps have none).
func walkStrings(v any, fn func(string)) {
	switch x := v.(type) {
	case string:
		fn(x)
	case []any:
		for _, e := range x {
			walkStrings(e, fn)
		}
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			walkStrings(x[k], fn)
		}
	}
}

// probeFailed says a probe could not be read: the profile's probe does not fit the target, so the
// run could not be done (not a regression of the target).
func probeFailed(which string, err error) error {
	if IsCouldNotRun(err) {
		return fmt.Errorf("snapshot: %s probe: %w", which, err)
	}
	return &ProtocolError{Msg: fmt.Sprintf("snapshot: the %s probe cannot be read: %v", which, err)}
}

// IsCouldNotRun reports whether err means the run could not be done (target unreachable, not
// answering, not speaking SCIM) rather than a regression of the target.
func IsCouldNotRun(err error) bool {
	var te *TransportError
	var pe *ProtocolError
	var th *ThrottledError
	var nv *NotVisibleError
	return errors.As(err, &te) || errors.As(err, &pe) || errors.As(err, &th) || errors.As(err, &nv)
}

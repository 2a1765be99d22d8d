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
)

// UserState is what a force sync must not move for one user: its SCIM identity and its link.
type UserState struct {
	ID           string   `json:"id"`
	UserName     string   `json:"userName"` // as the target stores it
	ExternalID   string   `json:"externalId,omitempty"`
	Active       bool     `json:"active"`
	PrimaryEmail string   `json:"primaryEmail,omitempty"` // lower-cased (emails are caseExact=false)
	Emails       []string `json:"emails,omitempty"`       // lower-cased, sorted
	Link         string   `json:"link,omitempty"`         // linked account; "" = none
}

// Key is the user's identity across snapshots: the userName, lower-cased as RFC 7643 makes
// userName case-insensitive.
func (u UserState) Key() string { return strings.ToLower(u.UserName) }

// GroupState is a group and its member multiset (member ids sorted, duplicates kept).
type GroupState struct {
	ID          string   `json:"id"`
	DisplayName string   `json:"displayName"`
	Members     []string `json:"members"`
}

// Snapshot is the state of the users and groups in scope at one moment.
type Snapshot struct {
	Users  []UserState  `json:"users"`
	Groups []GroupState `json:"groups"`
	// Audit holds the audit-probe lines that match its pattern, in the target's order.
	Audit []string `json:"audit,omitempty"`
	// LinkProbed says whether links were read (a target without a link probe has none).
	LinkProbed bool `json:"linkProbed"`
}

// Scope limits a snapshot to what a scenario created or touched, so a gate can run against a
// shared server with other data in it. An empty scope takes everything.
type Scope struct {
	UserNames  []string // matched case-insensitively; also finds duplicates of these people
	UserIDs    []string
	GroupIDs   []string
	GroupNames []string
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

// TakeSnapshot lists users and groups page by page (streaming: memory is bounded by the state
// kept, not by the target's size), keeps those in scope, and reads the probes.
func TakeSnapshot(ctx context.Context, c *Client, scope Scope, probes Probes) (*Snapshot, error) {
	all := scope.empty()
	names, uids := set(scope.UserNames, true), set(scope.UserIDs, false)
	gids, gnames := set(scope.GroupIDs, false), set(scope.GroupNames, false)
	snap := &Snapshot{LinkProbed: probes.Link.Enabled()}
	var linkAttr []string
	if probes.Link.Attribute != "" {
		linkAttr = splitAttrPath(probes.Link.Attribute)
	}
	// ListIDs reads every page into one buffer: nothing below keeps raw.
	err := c.ListIDs(ctx, "/Users", "", func(_ string, raw json.RawMessage) error {
		var m map[string]any
		if err := json.Unmarshal(raw, &m); err != nil {
			return &ProtocolError{Msg: fmt.Sprintf("a user in GET /Users is not a JSON object: %v", err)}
		}
		u := userState(m)
		if !all && !names[u.Key()] && !uids[u.ID] {
			return nil
		}
		if linkAttr != nil {
			u.Link = stringAt(m, linkAttr)
		}
		snap.Users = append(snap.Users, u)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("snapshot users: %w", err)
	}
	err = c.ListIDs(ctx, "/Groups", "", func(_ string, raw json.RawMessage) error {
		var g struct {
			ID          string `json:"id"`
			DisplayName string `json:"displayName"`
			Members     []struct {
				Value string `json:"value"`
			} `json:"members"`
		}
		if err := json.Unmarshal(raw, &g); err != nil {
			return &ProtocolError{Msg: fmt.Sprintf("a group in GET /Groups does not decode: %v", err)}
		}
		if !all && !gids[g.ID] && !gnames[g.DisplayName] {
			return nil
		}
		gs := GroupState{ID: g.ID, DisplayName: g.DisplayName, Members: make([]string, 0, len(g.Members))}
		for _, m := range g.Members {
			gs.Members = append(gs.Members, m.Value)
		}
		sort.Strings(gs.Members)
		snap.Groups = append(snap.Groups, gs)
		return nil
	})
	if err != nil {
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
	sort.SliceStable(snap.Users, func(i, j int) bool { return snap.Users[i].Key() < snap.Users[j].Key() })
	sort.SliceStable(snap.Groups, func(i, j int) bool { return snap.Groups[i].DisplayName < snap.Groups[j].DisplayName })
	return snap, nil
}

func userState(m map[string]any) UserState {
	u := UserState{}
	attr := func(m map[string]any, name string) any { v, _ := lookup(m, name); return v }
	u.ID, _ = attr(m, "id").(string)
	u.UserName, _ = attr(m, "userName").(string)
	u.ExternalID, _ = attr(m, "externalId").(string)
	switch a := attr(m, "active").(type) {
	case bool:
		u.Active = a
	case nil:
		u.Active = true // RFC 7643: active is optional; absent is not "deactivated"
	case string:
		u.Active = strings.EqualFold(a, "true")
	}
	emails, _ := attr(m, "emails").([]any)
	first := ""
	for _, e := range emails {
		em, _ := e.(map[string]any)
		v, _ := attr(em, "value").(string)
		v = strings.ToLower(strings.TrimSpace(v))
		if v == "" {
			continue
		}
		u.Emails = append(u.Emails, v)
		if first == "" {
			first = v
		}
		if p, _ := attr(em, "primary").(bool); p && u.PrimaryEmail == "" {
			u.PrimaryEmail = v
		}
	}
	if u.PrimaryEmail == "" {
		u.PrimaryEmail = first
	}
	sort.Strings(u.Emails)
	return u
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
// per user: a 404, or a pointer that leads nowhere, means that user has no link. A path without
// it is asked once and its pointer must name an object from user id to account.
func probeLinks(ctx context.Context, c *Client, p LinkProbe, snap *Snapshot) error {
	if strings.Contains(p.Path, "{{id}}") {
		for i := range snap.Users {
			u := &snap.Users[i]
			path := strings.ReplaceAll(p.Path, "{{id}}", url.PathEscape(u.ID))
			doc, err := getJSON(ctx, c, path, http.StatusNotFound)
			if err != nil {
				return err
			}
			if doc == nil {
				continue // 404: no link for this user
			}
			v, err := JSONPointer(doc, p.Pointer)
			if err != nil {
				continue // no link for this user
			}
			if u.Link, err = scalarString(v); err != nil {
				return fmt.Errorf("link probe %s at %q: %w", path, p.Pointer, err)
			}
		}
		return nil
	}
	doc, err := getJSON(ctx, c, p.Path)
	if err != nil {
		return err
	}
	v, err := JSONPointer(doc, p.Pointer)
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

// JSONPointer resolves an RFC 6901 pointer in a decoded JSON document.
func JSONPointer(doc any, ptr string) (any, error) {
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
	return errors.As(err, &te) || errors.As(err, &pe)
}

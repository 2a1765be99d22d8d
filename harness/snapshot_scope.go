package harness

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/scimreplay/scimreplay/internal/workers"
)

// How a snapshot read the users or the groups in scope (Snapshot.UsersRead and GroupsRead).
const (
	// ReadPaged: every page of GET /Users (or /Groups), keeping those in scope.
	ReadPaged = "page by page"
	// ReadByScope: a filter per name in scope and GET by id per id no filter found.
	ReadByScope = "by filter and id"
)

// snapshotWorkers bounds the requests a snapshot has in flight at once where it reads
// resources one by one (by filter, by id, the per-user link probe).
const snapshotWorkers = 8

// byScopeIsCheaper says whether reading a scope of names and ids resource by resource sends
// fewer requests than paging through the listing whose first page held n of total resources. A
// scope names its resources and gives their ids (an Okta run's does), so the ids are counted as
// found by the names' filters, and one request more checks the filter's case.
func byScopeIsCheaper(names, ids, total, n int) bool {
	requests := max(names, ids) + 1
	if n <= 0 || total <= n {
		return false // the first page held everything there is
	}
	pages := (total + n - 1) / n
	return requests < pages
}

// readUsers fills snap.Users with the users in scope, by scope or paged (see TakeSnapshot).
func readUsers(ctx context.Context, c *Client, scope Scope, linkAttr []string, snap *Snapshot) error {
	names, ids := foldedUnique(scope.UserNames), unique(scope.UserIDs)
	byScope := false
	stopped, err := pageUsers(ctx, c, scope, linkAttr, snap, func(total, n int) bool {
		byScope = !scope.empty() && byScopeIsCheaper(len(names), len(ids), total, n)
		return !byScope
	})
	if err != nil || !stopped {
		snap.UsersRead = ReadPaged
		return err
	}
	why, err := usersByScope(ctx, c, names, ids, linkAttr, snap)
	if err != nil || why == "" {
		snap.UsersRead = ReadByScope
		return err
	}
	snap.Users, snap.UsersRead = nil, ReadPaged
	snap.addFallback(why)
	_, err = pageUsers(ctx, c, scope, linkAttr, snap, nil)
	return err
}

// readGroups fills snap.Groups with the groups in scope, as readUsers does users.
func readGroups(ctx context.Context, c *Client, scope Scope, snap *Snapshot) error {
	names, ids := foldedUnique(scope.GroupNames), unique(scope.GroupIDs)
	byScope := false
	stopped, err := pageGroups(ctx, c, scope, snap, func(total, n int) bool {
		byScope = !scope.empty() && byScopeIsCheaper(len(names), len(ids), total, n)
		return !byScope
	})
	if err != nil || !stopped {
		snap.GroupsRead = ReadPaged
		return err
	}
	why, err := groupsByScope(ctx, c, names, ids, snap)
	if err != nil || why == "" {
		snap.GroupsRead = ReadByScope
		return err
	}
	snap.Groups, snap.GroupsRead = nil, ReadPaged
	snap.addFallback(why)
	_, err = pageGroups(ctx, c, scope, snap, nil)
	return err
}

func (s *Snapshot) addFallback(why string) {
	if s.Fallback != "" {
		s.Fallback += "; "
	}
	s.Fallback += why
}

// cannotFilter is why a target cannot be read by filter; it ends the lookups not yet done.
type cannotFilter struct{ why string }

func (e *cannotFilter) Error() string { return e.why }

// byName reads every resource of resource whose attr equals one of names (lower-cased), by
// `attr eq "name"`, snapshotWorkers at a time. decode makes a resource of one answer into its
// state and its name; a name that is not the one asked for (lower-cased) means the target did
// not apply the filter. It answers the states found for each name in names' order, or why the
// target cannot be read by filter ("" when it can).
func byName[T any](ctx context.Context, c *Client, resource, attr string, names []string, decode func(raw json.RawMessage) (T, string, error)) ([][]T, string, error) {
	found := make([][]T, len(names))
	err := inParallel(ctx, len(names), func(ctx context.Context, i int) error {
		filter := attr + " eq " + QuoteFilterValue(names[i])
		err := c.ListIDs(ctx, resource, filter, func(_ string, raw json.RawMessage) error {
			st, name, err := decode(raw)
			if err != nil {
				return err
			}
			if strings.ToLower(name) != names[i] {
				return &cannotFilter{fmt.Sprintf("GET %s?filter=%s answered one named %q: the target does not apply the filter", resource, filter, name)}
			}
			found[i] = append(found[i], st)
			return nil
		})
		if refused := filterRefused(err); refused != "" {
			return &cannotFilter{fmt.Sprintf("GET %s?filter=%s %s", resource, filter, refused)}
		}
		return err
	})
	var cf *cannotFilter
	if errors.As(err, &cf) {
		return nil, cf.why, nil
	}
	return found, "", err
}

// filterRefused says how a filter's listing failed when the failure means the target cannot
// filter so (a status other than 200, 404 and 401, or an answer that is no SCIM list), and ""
// for a failure that paging would meet as well (no answer, a bad token, throttling).
func filterRefused(err error) string {
	var se *StatusError
	var pe *ProtocolError
	var cf *cannotFilter
	switch {
	case err == nil || errors.As(err, &cf):
		return ""
	case errors.As(err, &se) && se.Got != 401:
		return fmt.Sprintf("answered %d", se.Got)
	case errors.As(err, &pe):
		return "did not answer a SCIM list: " + pe.Msg
	}
	return ""
}

// usersByScope reads the users in scope resource by resource (see TakeSnapshot) into snap.Users,
// or says why it cannot (snap.Users is then to be read again).
func usersByScope(ctx context.Context, c *Client, names, ids []string, linkAttr []string, snap *Snapshot) (string, error) {
	found, why, err := byName(ctx, c, "/Users", "userName", names, func(raw json.RawMessage) (UserState, string, error) {
		u, err := decodeUser(raw, linkAttr)
		if err != nil {
			return UserState{}, "", &ProtocolError{Msg: fmt.Sprintf("a user in GET /Users?filter=… is not a JSON object: %v", err)}
		}
		return u, u.UserName, nil
	})
	if err != nil || why != "" {
		return why, err
	}
	seen := map[string]bool{}
	for _, us := range found {
		for _, u := range us {
			if !seen[u.ID] {
				seen[u.ID] = true
				snap.Users = append(snap.Users, u)
			}
		}
	}
	if linkAttr != nil && len(snap.Users) > 0 && snap.Linked() == 0 {
		// The filter's answers are list views, which some servers trim as pages: read by id.
		if err := readLinksByID(ctx, c, snap.Users, linkAttr); err != nil {
			return "", err
		}
	}
	byID, err := readByIDs(ctx, c, "/Users/", unseen(ids, seen), func(id string, raw []byte) (UserState, error) {
		m, err := asObject("/Users/", id, raw)
		if err != nil {
			return UserState{}, err
		}
		u := userState(m)
		if linkAttr != nil {
			u.Link = stringAt(m, linkAttr)
		}
		return u, nil
	})
	if err != nil {
		return "", err
	}
	snap.Users = append(snap.Users, byID...)
	if len(names) == 0 {
		return "", nil // no name looked up: no filter to trust
	}
	i := indexWithCase(len(snap.Users), func(i int) string { return snap.Users[i].UserName })
	if i < 0 {
		return "", nil
	}
	return foldsCase(ctx, c, "/Users", "userName", snap.Users[i].ID, snap.Users[i].UserName)
}

// groupsByScope reads the groups in scope resource by resource, as usersByScope does users.
func groupsByScope(ctx context.Context, c *Client, names, ids []string, snap *Snapshot) (string, error) {
	type listed struct {
		g          GroupState
		hasMembers bool
	}
	found, why, err := byName(ctx, c, "/Groups", "displayName", names, func(raw json.RawMessage) (listed, string, error) {
		g, hasMembers, err := groupState(raw)
		if err != nil {
			return listed{}, "", &ProtocolError{Msg: fmt.Sprintf("a group in GET /Groups?filter=… does not decode: %v", err)}
		}
		return listed{g, hasMembers}, g.DisplayName, nil
	})
	if err != nil || why != "" {
		return why, err
	}
	seen := map[string]bool{}
	var noMembers []int
	for _, gs := range found {
		for _, l := range gs {
			if !seen[l.g.ID] {
				seen[l.g.ID] = true
				if !l.hasMembers {
					noMembers = append(noMembers, len(snap.Groups))
				}
				snap.Groups = append(snap.Groups, l.g)
			}
		}
	}
	if snap.Groups, err = readMembersByID(ctx, c, snap.Groups, noMembers); err != nil {
		return "", err
	}
	byID, err := readByIDs(ctx, c, "/Groups/", unseen(ids, seen), func(id string, raw []byte) (GroupState, error) {
		g, _, err := groupState(raw)
		if err != nil {
			return GroupState{}, &ProtocolError{Msg: fmt.Sprintf("GET /Groups/%s does not decode: %v", id, err)}
		}
		return g, nil
	})
	if err != nil {
		return "", err
	}
	snap.Groups = append(snap.Groups, byID...)
	if len(names) == 0 {
		return "", nil
	}
	i := indexWithCase(len(snap.Groups), func(i int) string { return snap.Groups[i].DisplayName })
	if i < 0 {
		return "", nil
	}
	return foldsCase(ctx, c, "/Groups", "displayName", snap.Groups[i].ID, snap.Groups[i].DisplayName)
}

// indexWithCase is the first of n names that has a letter with another case, or -1.
func indexWithCase(n int, name func(int) string) int {
	for i := 0; i < n; i++ {
		if s := name(i); swapCase(s) != s {
			return i
		}
	}
	return -1
}

// foldsCase asks for the resource id, named value, by `attr eq` with the case of every letter of
// value swapped: a target whose filter tells case apart (RFC 7643 makes userName and displayName
// caseExact=false) would miss a duplicate stored under a case-changed name, so it is paged
// instead. It answers why not ("" when the filter found it).
func foldsCase(ctx context.Context, c *Client, resource, attr, id, value string) (string, error) {
	filter := attr + " eq " + QuoteFilterValue(swapCase(value))
	found := false
	err := c.ListIDs(ctx, resource, filter, func(got string, _ json.RawMessage) error {
		found = found || got == id
		return nil
	})
	if err != nil {
		if refused := filterRefused(err); refused != "" {
			return fmt.Sprintf("GET %s?filter=%s %s", resource, filter, refused), nil
		}
		return "", err
	}
	if !found {
		return fmt.Sprintf("GET %s?filter=%s does not find %s (%q): the filter tells case apart, so it would miss a duplicate under a case-changed name", resource, filter, id, value), nil
	}
	return "", nil
}

// swapCase turns every upper-case letter of s to lower case and every lower-case one to upper.
func swapCase(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case unicode.IsUpper(r):
			return unicode.ToLower(r)
		case unicode.IsLower(r):
			return unicode.ToUpper(r)
		}
		return r
	}, s)
}

// QuoteFilterValue is s as a SCIM filter's string value: a JSON string (RFC 7644 §3.4.2.2),
// escaping only what JSON requires, as the IdPs write it ("R&D", not json.Marshal's
// "R\u0026D", which a server's filter parser need not decode).
func QuoteFilterValue(s string) string {
	var b strings.Builder
	b.Grow(len(s) + 2)
	b.WriteByte('"')
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == '"' || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r < 0x20:
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	b.WriteByte('"')
	return b.String()
}

// foldedUnique is xs lower-cased, each once, in first-seen order.
func foldedUnique(xs []string) []string {
	out := make([]string, 0, len(xs))
	seen := make(map[string]bool, len(xs))
	for _, x := range xs {
		x = strings.ToLower(x)
		if !seen[x] {
			seen[x] = true
			out = append(out, x)
		}
	}
	return out
}

// unique is xs, each once, in first-seen order.
func unique(xs []string) []string {
	out := make([]string, 0, len(xs))
	seen := make(map[string]bool, len(xs))
	for _, x := range xs {
		if !seen[x] {
			seen[x] = true
			out = append(out, x)
		}
	}
	return out
}

// readByIDs reads the resources with the given ids, snapshotWorkers at a time, each decoded by
// decode, in the order of ids; an id the target answers 404 for (gone) is left out.
func readByIDs[T any](ctx context.Context, c *Client, prefix string, ids []string, decode func(id string, raw []byte) (T, error)) ([]T, error) {
	got := make([]*T, len(ids))
	err := inParallel(ctx, len(ids), func(ctx context.Context, i int) error {
		raw, err := getRaw(ctx, c, prefix, ids[i])
		if raw == nil || err != nil {
			return err // nil, nil: 404, gone
		}
		v, err := decode(ids[i], raw)
		if err != nil {
			return err
		}
		got[i] = &v
		return nil
	})
	if err != nil {
		return nil, err
	}
	var out []T
	for _, v := range got {
		if v != nil {
			out = append(out, *v)
		}
	}
	return out, nil
}

// inParallel runs do(ctx, 0) … do(ctx, n-1) on up to snapshotWorkers goroutines (see
// workers.Run: the first failure cancels the rest, and is the error).
func inParallel(ctx context.Context, n int, do func(ctx context.Context, i int) error) error {
	return workers.Run(ctx, n, snapshotWorkers, do)
}

// unseen is ids that seen does not hold yet, each once, in order; it marks them seen.
func unseen(ids []string, seen map[string]bool) []string {
	var rest []string
	for _, id := range ids {
		if !seen[id] {
			seen[id] = true
			rest = append(rest, id)
		}
	}
	return rest
}

package harness

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/scimreplay/scimreplay/internal/multiset"
)

// Change says, in words, what moved for one user or group.
type Change struct {
	Kind    string   `json:"kind"`    // "user" or "group"
	Subject string   `json:"subject"` // the userName or the group's displayName
	Class   string   `json:"class"`   // "unmanaged", "managed" or "" (groups, or no verified domains known)
	Details []string `json:"details"` // "link acct-7 → none", "groups {jira-users} → {}"
}

// String renders the change as one line:
// `bob@partner.example (unmanaged): link acct-7 → none; groups {jira-users} → {}`.
func (c Change) String() string {
	head := c.Subject
	if c.Kind == "group" {
		head = "group " + c.Subject
	}
	if c.Class != "" {
		head += " (" + c.Class + ")"
	}
	return head + ": " + strings.Join(c.Details, "; ")
}

// Diff is everything a force sync moved, people first.
type Diff struct {
	Changes []Change `json:"changes"`
	// NewAudit holds audit lines matching the unlink pattern that appeared during the sync.
	NewAudit []string `json:"newAudit,omitempty"`
	// SeenAfter is when the change was first seen, counted from the last request of the
	// scenario, when it was seen by a re-read inside the settle window (0: at the first read).
	SeenAfter time.Duration `json:"seenAfter,omitempty"`
	// Settle is the settle window the after-state was held to (0: none).
	Settle time.Duration `json:"settle,omitempty"`
}

// Empty reports whether nothing moved.
func (d Diff) Empty() bool { return len(d.Changes) == 0 && len(d.NewAudit) == 0 }

// String is the diff as a reader wants it: one line per user or group, then the audit lines,
// then when a change was seen if a re-read in the settle window saw it.
func (d Diff) String() string {
	var b strings.Builder
	for _, c := range d.Changes {
		b.WriteString(c.String())
		b.WriteByte('\n')
	}
	for _, a := range d.NewAudit {
		b.WriteString("audit: ")
		b.WriteString(a)
		b.WriteByte('\n')
	}
	if d.SeenAfter > 0 && !d.Empty() {
		fmt.Fprintf(&b, "(seen %s after the last request, within the settle window of %s: the target changed this in the background)\n",
			d.SeenAfter.Round(10*time.Millisecond), d.Settle)
	}
	return strings.TrimSuffix(b.String(), "\n")
}

// Classifier tells managed users (true) from unmanaged ones by email. A nil Classifier means
// the target's verified domains are unknown: no user is called managed or unmanaged.
type Classifier func(email string) bool

// Check is one invariant Compare judges.
type Check string

// The checks of Compare. Each is load-bearing: the detection matrix proves, for every check,
// that some fault of the reference directory goes unseen without it.
const (
	// CheckIdentity: no user or group appears or disappears; each keeps its id; a user keeps
	// its userName and a group its displayName (both compared case-insensitively).
	CheckIdentity Check = "identity"
	// CheckExternalID: each user keeps its externalId.
	CheckExternalID Check = "externalId"
	// CheckActive: each user keeps its active flag, where the target returns one.
	CheckActive Check = "active"
	// CheckEmails: each user keeps its emails (values, lower-cased, as a multiset) and the
	// primary email where the target flags one.
	CheckEmails Check = "emails"
	// CheckLink: each user keeps its linked account, where a link probe reads it.
	CheckLink Check = "link"
	// CheckMembership: each group keeps its member multiset (a duplicate member is a change).
	CheckMembership Check = "membership"
	// CheckAudit: no unlink line appears in the audit log, where an audit probe reads it.
	CheckAudit Check = "audit"
)

var checkOrder = [...]Check{CheckIdentity, CheckExternalID, CheckActive, CheckEmails, CheckLink, CheckMembership, CheckAudit}

// Checks lists every check of Compare.
func Checks() []Check { return slices.Clone(checkOrder[:]) }

// CompareOptions tune Compare.
type CompareOptions struct {
	// Managed classes users as managed or unmanaged; nil when the verified domains are unknown.
	Managed Classifier
	// Skip leaves checks out. Only the harness's own tests do that, to show each check is
	// load-bearing; a gate judges every check.
	Skip []Check
}

// Compare reports what changed between two snapshots of the same scope, every check on.
func Compare(before, after *Snapshot, managed Classifier) Diff {
	return CompareWith(before, after, CompareOptions{Managed: managed})
}

// CompareWith reports what changed between two snapshots of the same scope. Users and groups
// are paired by id; a user (or group) whose id is gone is paired with the one new user of the
// same userName (or group of the same displayName, case-insensitively), so a reissued id reads
// as "id A → B". Member multisets, links and the normalised identity attributes are compared by
// meaning, never as bytes, and only where both snapshots could see them: links where both were
// probed, the audit log where both read it, a primary email where the target flagged one.
func CompareWith(before, after *Snapshot, o CompareOptions) Diff {
	c := comparer{o: o, before: before, after: after}
	for _, k := range o.Skip {
		c.skip |= checkBit(k)
	}
	c.links = before.LinkProbed && after.LinkProbed && c.on(CheckLink)
	users := pairUsers(before.Users, after.Users)
	groups := pairGroups(before.Groups, after.Groups)
	c.userMap = map[string]string{}
	for _, p := range users {
		if p.b != nil && p.a != nil && p.b.ID != p.a.ID {
			c.userMap[p.b.ID] = p.a.ID
		}
	}
	var d Diff
	groupChanges, suspects := c.groups(groups)
	bg, ag := c.userGroups(groups, suspects)
	d.Changes = append(c.users(users, bg, ag), groupChanges...)
	if c.on(CheckAudit) && before.AuditProbed && after.AuditProbed {
		d.NewAudit = newLines(before.Audit, after.Audit)
	}
	return d
}

type checkSet uint16

func checkBit(k Check) checkSet {
	for i, c := range checkOrder {
		if c == k {
			return 1 << i
		}
	}
	return 0
}

type comparer struct {
	o             CompareOptions
	skip          checkSet
	before, after *Snapshot
	links         bool
	userMap       map[string]string           // before user id → after user id, where a pair's id changed
	groupMap      map[*GroupState]*GroupState // before group → the group it is paired with after (nil: gone)
}

func (c *comparer) on(k Check) bool { return c.skip&checkBit(k) == 0 }

// pair is one user or group before (b) and after (a); one side is nil when it appeared or
// disappeared.
type pair[T any] struct{ b, a *T }

// one is the pair's before side, else its after side.
func (p pair[T]) one() *T {
	if p.b != nil {
		return p.b
	}
	return p.a
}

type (
	userPair  = pair[UserState]
	groupPair = pair[GroupState]
)

// pairUsers pairs by id, then the users left over by userName where exactly one is left on
// each side. Pairs come sorted by userName (lower-cased), then id.
func pairUsers(before, after []UserState) []userPair {
	return pairBy(before, after, func(u *UserState) string { return u.ID }, (*UserState).Key)
}

func pairGroups(before, after []GroupState) []groupPair {
	return pairBy(before, after, func(g *GroupState) string { return g.ID }, (*GroupState).Key)
}

// sideIDs are the ids of a run's elements before and after.
func sideIDs[T any](ps []pair[T], id func(*T) string) (before, after []string) {
	for _, p := range ps {
		if p.b != nil {
			before = append(before, id(p.b))
		}
		if p.a != nil {
			after = append(after, id(p.a))
		}
	}
	return before, after
}

// runs splits pairs sorted by key into the runs that share one key (the users of one userName,
// the groups of one displayName).
func runs[T any](ps []pair[T], key func(*T) string) [][]pair[T] {
	var out [][]pair[T]
	for start := 0; start < len(ps); {
		end := start + 1
		for end < len(ps) && key(ps[end].one()) == key(ps[start].one()) {
			end++
		}
		out = append(out, ps[start:end])
		start = end
	}
	return out
}

// pairBy pairs the elements of two snapshots by id, then those left over by key where exactly
// one is left on each side; the rest stay alone. The result is sorted by key.
func pairBy[T any](before, after []T, id, key func(*T) string) []pair[T] {
	type keyed struct {
		key, id string
		p       pair[T]
	}
	byID := make(map[string]int, len(after))
	for j := range after {
		if _, dup := byID[id(&after[j])]; !dup {
			byID[id(&after[j])] = j
		}
	}
	used := make([]bool, len(after))
	out := make([]keyed, 0, len(before)+4)
	var leftB []*T
	for i := range before {
		b := &before[i]
		if j, ok := byID[id(b)]; ok && !used[j] {
			used[j] = true
			out = append(out, keyed{key(b), id(b), pair[T]{b, &after[j]}})
			continue
		}
		leftB = append(leftB, b)
	}
	var leftA []*T
	for j := range after {
		if !used[j] {
			leftA = append(leftA, &after[j])
		}
	}
	if len(leftB)+len(leftA) > 0 {
		nb, na := map[string]int{}, map[string]int{}
		for _, b := range leftB {
			nb[key(b)]++
		}
		for _, a := range leftA {
			na[key(a)]++
		}
		lone := map[string]*T{} // the one after-element left of a key, if one before-element is too
		for _, a := range leftA {
			if k := key(a); na[k] == 1 && nb[k] == 1 {
				lone[k] = a
			}
		}
		for _, b := range leftB {
			if a, ok := lone[key(b)]; ok {
				out = append(out, keyed{key(b), id(b), pair[T]{b, a}})
				delete(lone, key(b))
				continue
			}
			out = append(out, keyed{key(b), id(b), pair[T]{b: b}})
		}
		for _, a := range leftA {
			k := key(a)
			if na[k] == 1 && nb[k] == 1 {
				continue // paired above
			}
			out = append(out, keyed{k, id(a), pair[T]{a: a}})
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].key != out[j].key {
			return out[i].key < out[j].key
		}
		return out[i].id < out[j].id
	})
	ps := make([]pair[T], len(out))
	for i, k := range out {
		ps[i] = k.p
	}
	return ps
}

// users words the changes of every user, unmanaged users first.
func (c *comparer) users(pairs []userPair, bg, ag map[string][]*GroupState) []Change {
	var out []Change
	for _, same := range runs(pairs, (*UserState).Key) {
		ch := Change{Kind: "user", Subject: same[0].one().Key(), Class: c.classOf(same)}
		bIDs, aIDs := sideIDs(same, func(u *UserState) string { return u.ID })
		if c.on(CheckIdentity) {
			switch {
			case len(bIDs) == 0:
				ch.Details = append(ch.Details, fmt.Sprintf("appeared (id %s)", strings.Join(aIDs, ", ")))
			case len(aIDs) == 0:
				ch.Details = append(ch.Details, fmt.Sprintf("disappeared (id %s)", strings.Join(bIDs, ", ")))
			case len(aIDs) > len(bIDs):
				ch.Details = append(ch.Details, fmt.Sprintf("duplicated: %d users with this userName (ids %s)", len(aIDs), strings.Join(aIDs, ", ")))
			case len(aIDs) < len(bIDs):
				ch.Details = append(ch.Details, fmt.Sprintf("%d users with this userName → %d (ids %s → %s)", len(bIDs), len(aIDs), strings.Join(bIDs, ", "), strings.Join(aIDs, ", ")))
			}
		}
		full := 0
		for _, p := range same {
			if p.b != nil && p.a != nil {
				full++
			}
		}
		for _, p := range same {
			if p.b == nil || p.a == nil {
				continue
			}
			details := c.userDetails(p.b, p.a)
			if c.on(CheckMembership) {
				if g1, g2 := bg[p.b.ID], ag[p.a.ID]; !c.sameGroups(g1, g2) {
					details = append(details, fmt.Sprintf("groups %s → %s", multiset.Format(groupNames(g1)), multiset.Format(groupNames(g2))))
				}
			}
			if full > 1 && len(details) > 0 {
				details[0] = "id " + p.b.ID + ": " + details[0] // two users of one userName, each by its id
			}
			ch.Details = append(ch.Details, details...)
		}
		if len(ch.Details) > 0 {
			out = append(out, ch)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return classRank(out[i].Class) < classRank(out[j].Class) })
	return out
}

func (c *comparer) userDetails(b, a *UserState) []string {
	var out []string
	if c.on(CheckIdentity) {
		if b.ID != a.ID {
			out = append(out, fmt.Sprintf("id %s → %s", b.ID, a.ID))
		}
		if b.Key() != a.Key() {
			out = append(out, fmt.Sprintf("userName %s → %s", b.UserName, a.UserName))
		}
	}
	if c.on(CheckExternalID) && b.ExternalID != a.ExternalID {
		out = append(out, fmt.Sprintf("externalId %s → %s", none(b.ExternalID), none(a.ExternalID)))
	}
	if c.on(CheckActive) && b.Active != nil && (a.Active == nil || *a.Active != *b.Active) {
		after := "not returned"
		if a.Active != nil {
			after = fmt.Sprint(*a.Active)
		}
		out = append(out, fmt.Sprintf("active %t → %s", *b.Active, after))
	}
	if c.on(CheckEmails) {
		// A primary is judged only where the target flagged one before: a primary the harness
		// worked out itself (say, "the first email") would be a value it derived, not read.
		if b.PrimaryEmail != "" && b.PrimaryEmail != a.PrimaryEmail {
			out = append(out, fmt.Sprintf("primary email %s → %s", b.PrimaryEmail, none(a.PrimaryEmail)))
		}
		if !sameMultiset(b.Emails, a.Emails) {
			out = append(out, fmt.Sprintf("emails %s → %s", multiset.Format(b.Emails), multiset.Format(a.Emails)))
		}
	}
	if c.links && b.Link != a.Link {
		out = append(out, fmt.Sprintf("link %s → %s", none(b.Link), none(a.Link)))
	}
	return out
}

// classOf names a user managed or unmanaged by its primary email (the flagged one, else its
// userName); "" when the verified domains are unknown.
func (c *comparer) classOf(pairs []userPair) string {
	if c.o.Managed == nil {
		return ""
	}
	email := pairs[0].one().Key()
	for _, p := range pairs {
		if p.b != nil && p.b.PrimaryEmail != "" {
			email = p.b.PrimaryEmail
			break
		}
		if p.a != nil && p.a.PrimaryEmail != "" {
			email = p.a.PrimaryEmail
		}
	}
	if c.o.Managed(email) {
		return "managed"
	}
	return "unmanaged"
}

func classRank(c string) int {
	switch c {
	case "unmanaged":
		return 0
	case "managed":
		return 1
	}
	return 2
}

// groups words the changes of every group, and returns the ids (before and after) of the users
// whose groups may have moved: the members of groups whose member multiset changed, appeared or
// disappeared. Only those users' groups are indexed: in a large org where little moved, indexing
// every membership would cost more than the rest of the diff.
func (c *comparer) groups(pairs []groupPair) ([]Change, map[string]bool) {
	var out []Change
	suspects := map[string]bool{}
	suspect := func(ids []string) {
		for _, id := range ids {
			suspects[id] = true
		}
	}
	var bname, aname map[string]string // user id → userName, built when a group's members moved
	for _, same := range runs(pairs, (*GroupState).Key) {
		subject := same[0].one().DisplayName // the name a group had before, where it had one
		for _, p := range same {
			if p.b != nil {
				subject = p.b.DisplayName
				break
			}
		}
		bIDs, aIDs := sideIDs(same, func(g *GroupState) string { return g.ID })
		ch := Change{Kind: "group", Subject: subject}
		if c.on(CheckIdentity) {
			switch {
			case len(bIDs) == 0:
				ch.Details = append(ch.Details, fmt.Sprintf("appeared (id %s)", strings.Join(aIDs, ", ")))
			case len(aIDs) == 0:
				ch.Details = append(ch.Details, fmt.Sprintf("disappeared (id %s)", strings.Join(bIDs, ", ")))
			case len(aIDs) != len(bIDs):
				ch.Details = append(ch.Details, fmt.Sprintf("%d groups with this name → %d", len(bIDs), len(aIDs)))
			}
		}
		for _, p := range same {
			switch {
			case p.b == nil:
				suspect(p.a.Members)
				continue
			case p.a == nil:
				suspect(p.b.Members)
				continue
			}
			if c.on(CheckIdentity) {
				if p.b.ID != p.a.ID {
					ch.Details = append(ch.Details, fmt.Sprintf("id %s → %s", p.b.ID, p.a.ID))
				}
				if p.b.Key() != p.a.Key() {
					ch.Details = append(ch.Details, fmt.Sprintf("displayName %s → %s", p.b.DisplayName, p.a.DisplayName))
				}
			}
			if c.sameMembers(p.b.Members, p.a.Members) {
				continue
			}
			suspect(p.b.Members)
			suspect(p.a.Members)
			if c.on(CheckMembership) {
				if bname == nil {
					bname, aname = userNames(c.before), userNames(c.after)
				}
				ch.Details = append(ch.Details, fmt.Sprintf("members %s → %s",
					multiset.Format(names(p.b.Members, bname)), multiset.Format(names(p.a.Members, aname))))
			}
		}
		if len(ch.Details) > 0 {
			out = append(out, ch)
		}
	}
	return out, suspects
}

// sameMembers compares a group's members before (carried over to the after ids of users whose id
// changed) and after, as multisets.
func (c *comparer) sameMembers(before, after []string) bool {
	if len(c.userMap) == 0 {
		return sameMultiset(before, after)
	}
	mapped := make([]string, len(before))
	for i, id := range before {
		if to, ok := c.userMap[id]; ok {
			id = to
		}
		mapped[i] = id
	}
	return sameMultiset(mapped, after)
}

// userGroups maps each suspect user id to the groups holding it, in each snapshot.
func (c *comparer) userGroups(pairs []groupPair, suspects map[string]bool) (bg, ag map[string][]*GroupState) {
	bg, ag = map[string][]*GroupState{}, map[string][]*GroupState{}
	if len(suspects) == 0 {
		return bg, ag
	}
	for b, a := range c.userMap { // a suspect is one person under both of its ids
		if suspects[b] || suspects[a] {
			suspects[b], suspects[a] = true, true
		}
	}
	for _, p := range pairs {
		for _, side := range []struct {
			g *GroupState
			m map[string][]*GroupState
		}{{p.b, bg}, {p.a, ag}} {
			if side.g == nil {
				continue
			}
			for _, id := range side.g.Members {
				if suspects[id] {
					side.m[id] = append(side.m[id], side.g)
				}
			}
		}
	}
	c.groupMap = map[*GroupState]*GroupState{}
	for _, p := range pairs {
		if p.b != nil {
			c.groupMap[p.b] = p.a // nil when the group disappeared
		}
	}
	return bg, ag
}

// sameGroups compares a user's groups before (as the groups they were paired with after) and
// after, as multisets of group ids: a group that disappeared counts as a group the user left.
func (c *comparer) sameGroups(before, after []*GroupState) bool {
	if len(before) != len(after) {
		return false
	}
	b, a := make([]string, len(before)), make([]string, len(after))
	for i, g := range before {
		to := c.groupMap[g]
		if to == nil {
			return false
		}
		b[i] = to.ID
	}
	for i, g := range after {
		a[i] = g.ID
	}
	return sameMultiset(b, a)
}

func groupNames(gs []*GroupState) []string {
	out := make([]string, len(gs))
	for i, g := range gs {
		out[i] = g.DisplayName
	}
	return out
}

func userNames(s *Snapshot) map[string]string {
	m := make(map[string]string, len(s.Users))
	for _, u := range s.Users {
		m[u.ID] = u.UserName
	}
	return m
}

func names(ids []string, byID map[string]string) []string {
	out := make([]string, len(ids))
	for i, id := range ids {
		if n, ok := byID[id]; ok {
			out[i] = n
		} else {
			out[i] = id
		}
	}
	return out
}

func none(s string) string {
	if s == "" {
		return "none"
	}
	return s
}

// sameMultiset compares two lists as multisets (order ignored, multiplicity kept).
func sameMultiset(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	if slices.Equal(a, b) { // the common case (nothing moved, same order) needs no map
		return true
	}
	count := make(map[string]int, len(a))
	for _, x := range a {
		count[x]++
	}
	for _, x := range b {
		count[x]--
		if count[x] < 0 {
			return false
		}
	}
	return true
}

// newLines returns the lines of after beyond what before held (audit logs only grow); if the
// log was rotated or reset, every line not in before.
func newLines(before, after []string) []string {
	if len(after) >= len(before) && sameMultiset(before, after[:len(before)]) {
		return append([]string(nil), after[len(before):]...)
	}
	seen := map[string]int{}
	for _, l := range before {
		seen[l]++
	}
	var out []string
	for _, l := range after {
		if seen[l] > 0 {
			seen[l]--
			continue
		}
		out = append(out, l)
	}
	return out
}

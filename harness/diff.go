package harness

import (
	"fmt"
	"slices"
	"sort"
	"strings"
)

// Change says, in words, what moved for one user or group.
type Change struct {
	Kind    string   `json:"kind"`    // "user" or "group"
	Subject string   `json:"subject"` // the userName or the group's displayName
	Class   string   `json:"class"`   // "unmanaged", "managed" or "" for groups
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
}

// Empty reports whether nothing moved.
func (d Diff) Empty() bool { return len(d.Changes) == 0 && len(d.NewAudit) == 0 }

// String is the diff as a reader wants it: one line per user or group, then the audit lines.
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
	return strings.TrimSuffix(b.String(), "\n")
}

// Classifier tells managed users (true) from unmanaged ones by email.
type Classifier func(email string) bool

// Compare reports what changed between two snapshots of the same scope. Users are matched by
// userName (case-insensitively), groups by displayName; ids, member multisets, links and the
// normalised identity attributes are compared by meaning, never as bytes.
func Compare(before, after *Snapshot, managed Classifier) Diff {
	var d Diff
	bu, au := indexUsers(before), indexUsers(after)
	bg, ag := groupsOfSuspects(before, after, bu, au)

	keys := unionKeys(bu, au)
	var users []Change
	for _, k := range keys {
		bs, as := bu[k], au[k]
		c := Change{Kind: "user", Subject: k, Class: classOf(k, bs, as, managed)}
		switch {
		case len(bs) == 0:
			c.Details = append(c.Details, fmt.Sprintf("appeared (id %s)", idsOf(as)))
		case len(as) == 0:
			c.Details = append(c.Details, fmt.Sprintf("disappeared (id %s)", idsOf(bs)))
		case len(as) > len(bs):
			c.Details = append(c.Details, fmt.Sprintf("duplicated: %d users with this userName (ids %s)", len(as), idsOf(as)))
		case len(as) < len(bs):
			c.Details = append(c.Details, fmt.Sprintf("%d users with this userName → %d (ids %s → %s)", len(bs), len(as), idsOf(bs), idsOf(as)))
		}
		if len(bs) > 0 && len(as) > 0 {
			c.Details = append(c.Details, userDetails(bs[0], as[0], before.LinkProbed && after.LinkProbed)...)
			if g1, g2 := bg[bs[0].ID], ag[as[0].ID]; !sameMultiset(g1, g2) {
				c.Details = append(c.Details, fmt.Sprintf("groups %s → %s", fmtSet(g1), fmtSet(g2)))
			}
		}
		if len(c.Details) > 0 {
			users = append(users, c)
		}
	}
	sort.SliceStable(users, func(i, j int) bool {
		ri, rj := classRank(users[i].Class), classRank(users[j].Class)
		if ri != rj {
			return ri < rj
		}
		return users[i].Subject < users[j].Subject
	})
	d.Changes = append(d.Changes, users...)

	bgi, agi := indexGroups(before), indexGroups(after)
	var bname, aname map[string]string // user id → userName, built when a group's members moved
	for _, k := range unionKeys(bgi, agi) {
		bs, as := bgi[k], agi[k]
		c := Change{Kind: "group", Subject: k}
		switch {
		case len(bs) == 0:
			c.Details = append(c.Details, fmt.Sprintf("appeared (id %s)", groupIDs(as)))
		case len(as) == 0:
			c.Details = append(c.Details, fmt.Sprintf("disappeared (id %s)", groupIDs(bs)))
		default:
			if len(as) != len(bs) {
				c.Details = append(c.Details, fmt.Sprintf("%d groups with this name → %d", len(bs), len(as)))
			}
			b, a := bs[0], as[0]
			if b.ID != a.ID {
				c.Details = append(c.Details, fmt.Sprintf("id %s → %s", b.ID, a.ID))
			}
			if !sameMultiset(b.Members, a.Members) {
				if bname == nil {
					bname, aname = userNames(before), userNames(after)
				}
				c.Details = append(c.Details, fmt.Sprintf("members %s → %s",
					fmtSet(names(b.Members, bname)), fmtSet(names(a.Members, aname))))
			}
		}
		if len(c.Details) > 0 {
			d.Changes = append(d.Changes, c)
		}
	}
	d.NewAudit = newLines(before.Audit, after.Audit)
	return d
}

func userDetails(b, a UserState, links bool) []string {
	var out []string
	if b.ID != a.ID {
		out = append(out, fmt.Sprintf("id %s → %s", b.ID, a.ID))
	}
	if b.ExternalID != a.ExternalID {
		out = append(out, fmt.Sprintf("externalId %s → %s", none(b.ExternalID), none(a.ExternalID)))
	}
	if b.Active != a.Active {
		out = append(out, fmt.Sprintf("active %t → %t", b.Active, a.Active))
	}
	if b.PrimaryEmail != a.PrimaryEmail {
		out = append(out, fmt.Sprintf("primary email %s → %s", none(b.PrimaryEmail), none(a.PrimaryEmail)))
	}
	if !sameMultiset(b.Emails, a.Emails) {
		out = append(out, fmt.Sprintf("emails %s → %s", fmtSet(b.Emails), fmtSet(a.Emails)))
	}
	if links && b.Link != a.Link {
		out = append(out, fmt.Sprintf("link %s → %s", none(b.Link), none(a.Link)))
	}
	return out
}

func classOf(key string, bs, as []UserState, managed Classifier) string {
	if managed == nil {
		return ""
	}
	email := key
	switch {
	case len(bs) > 0 && bs[0].PrimaryEmail != "":
		email = bs[0].PrimaryEmail
	case len(as) > 0 && as[0].PrimaryEmail != "":
		email = as[0].PrimaryEmail
	}
	if managed(email) {
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

func indexUsers(s *Snapshot) map[string][]UserState {
	m := make(map[string][]UserState, len(s.Users))
	for _, u := range s.Users {
		m[u.Key()] = append(m[u.Key()], u)
	}
	return m
}

func indexGroups(s *Snapshot) map[string][]GroupState {
	m := make(map[string][]GroupState, len(s.Groups))
	for _, g := range s.Groups {
		m[g.DisplayName] = append(m[g.DisplayName], g)
	}
	return m
}

// groupsOfSuspects returns, for each snapshot, the display names of the groups holding each user
// whose groups may have moved. A user keeps its groups when its id is unchanged and no group
// named like one of its groups changed its member multiset (groups of one name taken together),
// so only the members of changed groups and users with a new id are indexed: in a large org
// where little moved, indexing every membership would cost more than the rest of the diff.
func groupsOfSuspects(before, after *Snapshot, bu, au map[string][]UserState) (bg, ag map[string][]string) {
	bmem, amem := membersByName(before), membersByName(after)
	suspects := map[string]bool{} // user ids, indexed in both snapshots
	for name, bm := range bmem {
		if am, ok := amem[name]; !ok || !sameMultiset(bm, am) {
			for _, id := range bm {
				suspects[id] = true
			}
		}
	}
	for name, am := range amem {
		if bm, ok := bmem[name]; !ok || !sameMultiset(bm, am) {
			for _, id := range am {
				suspects[id] = true
			}
		}
	}
	for k, bs := range bu {
		if as := au[k]; len(bs) > 0 && len(as) > 0 && bs[0].ID != as[0].ID {
			suspects[bs[0].ID], suspects[as[0].ID] = true, true
		}
	}
	return groupsByUser(before, suspects), groupsByUser(after, suspects)
}

// membersByName is every group's members, the members of groups sharing a name together.
func membersByName(s *Snapshot) map[string][]string {
	m := make(map[string][]string, len(s.Groups))
	for _, g := range s.Groups {
		if prev, ok := m[g.DisplayName]; ok {
			m[g.DisplayName] = append(slices.Clip(prev), g.Members...)
		} else {
			m[g.DisplayName] = g.Members
		}
	}
	return m
}

// groupsByUser maps each user id in only to the display names of the groups holding it.
func groupsByUser(s *Snapshot, only map[string]bool) map[string][]string {
	m := make(map[string][]string, len(only))
	if len(only) == 0 {
		return m
	}
	for _, g := range s.Groups {
		for _, id := range g.Members {
			if only[id] {
				m[id] = append(m[id], g.DisplayName)
			}
		}
	}
	return m
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

func unionKeys[V any](a, b map[string]V) []string {
	keys := make([]string, 0, len(a)+len(b))
	for k := range a {
		keys = append(keys, k)
	}
	for k := range b {
		if _, ok := a[k]; !ok {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	return keys
}

func idsOf(us []UserState) string {
	ids := make([]string, len(us))
	for i, u := range us {
		ids[i] = u.ID
	}
	return strings.Join(ids, ", ")
}

func groupIDs(gs []GroupState) string {
	ids := make([]string, len(gs))
	for i, g := range gs {
		ids[i] = g.ID
	}
	return strings.Join(ids, ", ")
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

// FormatSet renders a multiset as the diff words it, {a, b×2}, sorted (for reports that show
// the states themselves).
func FormatSet(xs []string) string { return fmtSet(xs) }

// fmtSet renders a multiset as {a, b×2}, sorted.
func fmtSet(xs []string) string {
	count := map[string]int{}
	for _, x := range xs {
		count[x]++
	}
	keys := make([]string, 0, len(count))
	for k := range count {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k
		if count[k] > 1 {
			parts[i] = fmt.Sprintf("%s×%d", k, count[k])
		}
	}
	return "{" + strings.Join(parts, ", ") + "}"
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

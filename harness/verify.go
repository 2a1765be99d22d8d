package harness

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"
)

// NotVisibleError means a snapshot cannot show what the gate must judge (no link for anybody,
// none of the memberships provisioning made): comparing it would pass having checked nothing,
// so the run could not be done. The message says what to fix.
type NotVisibleError struct{ Msg string }

func (e *NotVisibleError) Error() string { return e.Msg }

// Expectations are what provisioning gave the target, so that a before snapshot that cannot
// show it is caught instead of judged.
type Expectations struct {
	// GroupMembers maps a group's id to the ids of the users provisioning made its members.
	GroupMembers map[string][]string
	// GroupNames maps a group's id to its displayName, for messages.
	GroupNames map[string]string
}

// CheckVisible says whether the before snapshot can show what the invariants watch: with a link
// probe, at least one user in scope must have a linked account (else the probe reads the wrong
// place and every user is "none" before and after); and every group provisioning gave members
// must show at least one of them (else members are not returned where the harness reads them).
func CheckVisible(before *Snapshot, exp Expectations, link LinkProbe) error {
	if before.LinkProbed && len(before.Users) > 0 && before.Linked() == 0 {
		fix := "check --target-link-attribute (linkProbe.attribute in a profile): " + link.Attribute
		if link.Path != "" {
			fix = fmt.Sprintf("check --target-link-path and --target-link-pointer (linkProbe.path and .pointer): %s at %s", link.Path, link.Pointer)
		}
		return &NotVisibleError{Msg: fmt.Sprintf("link probe found no account for any of %d users: %s", len(before.Users), fix)}
	}
	byID := make(map[string]*GroupState, len(before.Groups))
	for i := range before.Groups {
		byID[before.Groups[i].ID] = &before.Groups[i]
	}
	ids := make([]string, 0, len(exp.GroupMembers))
	for id := range exp.GroupMembers {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		given := exp.GroupMembers[id]
		if len(given) == 0 {
			continue
		}
		name := exp.GroupNames[id]
		if name == "" {
			name = id
		}
		g := byID[id]
		if g == nil {
			return &NotVisibleError{Msg: fmt.Sprintf("group %s (id %s), which provisioning created, is not in the snapshot before the force sync: GET /Groups does not list it", name, id)}
		}
		seen := set(g.Members, false)
		found := false
		for _, u := range given {
			if seen[u] {
				found = true
				break
			}
		}
		if !found {
			where := "GET /Groups returns"
			if g.ReadByID {
				where = "GET /Groups and GET /Groups/" + id + " return"
			}
			return &NotVisibleError{Msg: fmt.Sprintf("group %s (id %s) was given %d members by provisioning, but the snapshot before the force sync shows none of them: %s no members for it, so memberships could not be judged",
				name, id, len(given), where)}
		}
	}
	return nil
}

// Coverage is what a scenario's verdict rests on: what the snapshots could see. Every report
// states it, so a pass that checked little says so.
type Coverage struct {
	Users       int `json:"users"`       // users in scope before the force sync
	Groups      int `json:"groups"`      // groups in scope before the force sync
	Memberships int `json:"memberships"` // members of those groups before the force sync
	// GroupsReadByID counts groups read by id, as list pages left their members out.
	GroupsReadByID int `json:"groupsReadById,omitempty"`
	// UsersRead and GroupsRead say how the snapshot read them (ReadPaged, ReadByScope), Fallback
	// why a filter could not be used where it would have been (see TakeSnapshot).
	UsersRead  string `json:"usersRead,omitempty"`
	GroupsRead string `json:"groupsRead,omitempty"`
	Fallback   string `json:"fallback,omitempty"`
	// LinkProbe says how links were read ("attribute X", "path P at pointer Q"); "" none.
	LinkProbe string `json:"linkProbe,omitempty"`
	Linked    int    `json:"linked"` // users with a linked account before the force sync
	// AuditProbe is the audit log's path; "" when it was not read.
	AuditProbe string `json:"auditProbe,omitempty"`
	// Classified says whether verified domains are known, so users are classed managed or
	// unmanaged; Unmanaged counts the unmanaged users then.
	Classified bool `json:"classified"`
	Unmanaged  int  `json:"unmanaged,omitempty"`
	// Settle is the window the after-state was held to (0: read once), Reads how often it was read.
	Settle time.Duration `json:"settle"`
	Reads  int           `json:"reads,omitempty"`
	// Retries counts the requests sent again after a 429, RetryWaited the time spent waiting.
	Retries     int64         `json:"retries,omitempty"`
	RetryWaited time.Duration `json:"retryWaited,omitempty"`
}

// NewCoverage reads what a before snapshot covers.
func NewCoverage(before *Snapshot, probes Probes, managed Classifier) Coverage {
	c := Coverage{Users: len(before.Users), Groups: len(before.Groups), Memberships: before.Memberships(), Classified: managed != nil,
		UsersRead: before.UsersRead, GroupsRead: before.GroupsRead, Fallback: before.Fallback}
	for _, g := range before.Groups {
		if g.ReadByID {
			c.GroupsReadByID++
		}
	}
	switch l := probes.Link; {
	case l.Attribute != "":
		c.LinkProbe = "attribute " + l.Attribute
	case l.Path != "":
		c.LinkProbe = "path " + l.Path + " at " + l.Pointer
	}
	if before.LinkProbed {
		c.Linked = before.Linked()
	}
	if before.AuditProbed {
		c.AuditProbe = probes.Audit.Path
	}
	if managed != nil {
		for i := range before.Users {
			email := before.Users[i].PrimaryEmail
			if email == "" {
				email = before.Users[i].UserName
			}
			if !managed(email) {
				c.Unmanaged++
			}
		}
	}
	return c
}

// NoLinkProbe is what a report says of a run without a link probe: links are the headline
// invariant, so it is said at the start and in every summary.
const NoLinkProbe = "links not checked: no link probe (set --target-link-attribute, or --target-link-path and --target-link-pointer, or linkProbe in the target profile)"

// NoVerifiedDomains is what a report says when managed and unmanaged users cannot be told apart.
const NoVerifiedDomains = "managed/unmanaged unknown: no verified domains (set --target-verified-domains or verifiedDomains in the target profile)"

// String is the coverage in words, one clause per invariant's reach:
// "4 users (2 unmanaged), 2 groups with 6 memberships; links: 4 of 4 users linked (attribute …);
// audit: /admin/audit; after-state held 2s (8 reads); no retries".
func (c Coverage) String() string { return strings.Join(c.Clauses(), "; ") }

// Clauses are the parts of String.
func (c Coverage) Clauses() []string {
	who := plural(c.Users, "user")
	if c.Classified {
		who += fmt.Sprintf(" (%d unmanaged)", c.Unmanaged)
	}
	scope := fmt.Sprintf("%s, %s with %s seen before the sync", who, plural(c.Groups, "group"), plural(c.Memberships, "membership"))
	if c.GroupsReadByID > 0 {
		scope += fmt.Sprintf(" (%d read by id: list pages leave members out)", c.GroupsReadByID)
	}
	out := []string{scope}
	if read := c.read(); read != "" {
		out = append(out, read)
	}
	if c.LinkProbe == "" {
		out = append(out, NoLinkProbe)
	} else {
		out = append(out, fmt.Sprintf("links: %d of %d users linked (%s)", c.Linked, c.Users, c.LinkProbe))
	}
	if c.AuditProbe == "" {
		out = append(out, "audit not checked: no audit probe")
	} else {
		out = append(out, "audit: "+c.AuditProbe)
	}
	if !c.Classified {
		out = append(out, NoVerifiedDomains)
	}
	if c.Settle > 0 {
		out = append(out, fmt.Sprintf("after-state held %s (%s)", c.Settle, plural(c.Reads, "read")))
	} else {
		out = append(out, "after-state read once (settle off)")
	}
	if c.Retries > 0 {
		out = append(out, fmt.Sprintf("%s after 429 (%s waited)", plural(int(c.Retries), "retry"), c.RetryWaited.Round(time.Millisecond)))
	}
	return out
}

// read is how the users and groups were read, in words: "users and groups read by filter and
// id", "users read page by page (why), groups by filter and id"; "" when not known.
func (c Coverage) read() string {
	var s string
	switch {
	case c.UsersRead == "" && c.GroupsRead == "":
		return ""
	case c.UsersRead == c.GroupsRead:
		s = "users and groups read " + c.UsersRead
	default:
		s = fmt.Sprintf("users read %s, groups %s", none(c.UsersRead), none(c.GroupsRead))
	}
	if c.Fallback != "" {
		s += " (" + c.Fallback + ")"
	}
	return s
}

// Short is the coverage as a progress line shows it: "4 users, 2 groups, 6 memberships, 4/4
// linked, audit, read by filter and id, settle 2s".
func (c Coverage) Short() string {
	parts := []string{plural(c.Users, "user"), plural(c.Groups, "group"), plural(c.Memberships, "membership")}
	if c.LinkProbe == "" {
		parts = append(parts, "links not checked")
	} else {
		parts = append(parts, fmt.Sprintf("%d/%d linked", c.Linked, c.Users))
	}
	if c.AuditProbe != "" {
		parts = append(parts, "audit")
	}
	// Paging is said only where a filter was refused: it is what a gate of its own container does.
	switch {
	case c.Fallback != "":
		parts = append(parts, "paged: a filter was refused")
	case c.UsersRead == ReadByScope || c.GroupsRead == ReadByScope:
		parts = append(parts, "read by filter and id")
	}
	if c.Settle > 0 {
		parts = append(parts, "settle "+c.Settle.String())
	}
	if c.Retries > 0 {
		parts = append(parts, plural(int(c.Retries), "retry"))
	}
	return strings.Join(parts, ", ")
}

func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	if strings.HasSuffix(what, "y") {
		return fmt.Sprintf("%d %sies", n, what[:len(what)-1])
	}
	return fmt.Sprintf("%d %ss", n, what)
}

// DefaultSettle is how long the after-state is held by default (see Settle). The reference
// directory's delayed fault applies its unlink about a second after the write; under make
// test's load a re-read sees it 1.0–1.3 s after the last request, so 2 s catches it with room
// to spare while adding 2 s per scenario. A server whose background work takes longer needs a
// longer window.
const DefaultSettle = 2 * time.Second

// settleEvery is the pause between re-reads of the after-state.
const settleEvery = 250 * time.Millisecond

// Settle holds the after-state to a window: many servers apply part of a write later (a queue,
// a background job; Atlassian's unlink among them), so one read right after the last request
// would miss it. It reads the state with take and judges it with judge, at once and then again
// every 250ms until window has passed since last (the end of the last request); the first
// read whose diff is not empty ends it, the diff saying when it was seen. Gomega's Consistently
// is the model. With window 0 the state is read once.
func Settle(ctx context.Context, last time.Time, window time.Duration, take func(context.Context) (*Snapshot, error), judge func(*Snapshot) Diff) (*Snapshot, Diff, int, error) {
	for reads := 1; ; reads++ {
		snap, err := take(ctx)
		if err != nil {
			return nil, Diff{}, reads, err
		}
		d := judge(snap)
		d.Settle = window
		elapsed := time.Since(last)
		if !d.Empty() {
			if reads > 1 {
				d.SeenAfter = max(elapsed, time.Millisecond)
			}
			return snap, d, reads, nil
		}
		if window <= 0 || elapsed >= window {
			return snap, d, reads, nil
		}
		t := time.NewTimer(min(settleEvery, window-elapsed))
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, Diff{}, reads, ctx.Err()
		case <-t.C:
		}
	}
}

package reports

import (
	"bytes"
	_ "embed"
	"fmt"
	"html/template"
	"io"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/scimreplay/scimreplay/harness"
	"github.com/scimreplay/scimreplay/internal/multiset"
)

//go:embed report.tmpl
var htmlTemplate string

var reportTemplate = template.Must(template.New("report").Parse(htmlTemplate))

type htmlRun struct {
	Name, Verdict, VerdictClass string
	Targets                     []string
	Tally                       Tally
	Time, Generated             string
	Cases                       []htmlCase
	Groups                      []htmlGroup // Cases by identity provider, for the tables
	NotRun                      []string
	Caveats                     []string
}

// htmlGroup is the cases of one identity provider (Title "" for none).
type htmlGroup struct {
	Title string
	Cases []htmlCase
}

type htmlCase struct {
	Case
	Anchor, Mark, Class, Moved, Time string
	Checked                          string // the coverage in a few words
	Body                             string // the failure: diff in words, or the message
	HasSnapshots                     bool
	Users                            []userRow
	Groups                           []groupRow
	NewAudit                         []string
	AuditBefore                      int
}

type userRow struct {
	Name, Class, Moved                string
	LinkBefore, LinkAfter             string
	GroupsBefore, GroupsAfter         string
	Changed, LinkChanged, GroupsMoved bool
	Gone, New                         bool // in before only, in after only
}

type groupRow struct {
	Name, ID, Moved string
	Before, After   string
	Changed         bool
	Gone, New       bool
}

// WriteHTML writes report.html: one self-contained page (inline style, no script, no external
// asset) with the verdict, a table of cases and, per case, before/after tables of every user's
// link and groups and every group's members, changed cells highlighted, and the audit lines.
func WriteHTML(w io.Writer, run *Run, secrets ...string) error {
	code := run.Code()
	v := htmlRun{
		Name: run.title(), Verdict: run.Verdict(code), Targets: run.Targets(), Tally: run.Tally(),
		Time: roundDuration(run.Time), Generated: time.Now().UTC().Format(time.RFC3339),
		VerdictClass: [...]string{"pass", "fail", "cnr"}[min(code, 2)],
		Caveats:      run.Caveats(),
	}
	for i, c := range run.Cases {
		if c.Status == Skipped {
			v.NotRun = append(v.NotRun, c.Name)
			continue
		}
		v.Cases = append(v.Cases, htmlCaseOf(i, c))
	}
	for _, g := range groupByIdP(v.Cases, func(h htmlCase) string { return h.IdP() }) {
		hg := htmlGroup{Cases: g.items}
		if g.idp != "" {
			hg.Title = IdPTitle(g.idp)
		}
		v.Groups = append(v.Groups, hg)
	}
	var b bytes.Buffer
	if err := reportTemplate.Execute(&b, v); err != nil {
		return fmt.Errorf("report.html: %w", err)
	}
	_, err := io.WriteString(w, clean(b.String(), secrets))
	return err
}

func htmlCaseOf(i int, c Case) htmlCase {
	h := htmlCase{Case: c, Anchor: fmt.Sprintf("case-%d", i+1), Mark: caseMark(c), Moved: Moved(c), Time: roundDuration(c.Time), Checked: checked(c)}
	switch {
	case c.Status == Passed:
		h.Class = "pass"
	case c.Verdict == VerdictRegression:
		h.Class = "fail"
	default:
		h.Class = "cnr"
	}
	if c.Failed() {
		h.Body = failureBody(c)
	}
	changes := map[string]harness.Change{}
	if c.Diff != nil {
		for _, ch := range c.Diff.Changes {
			changes[ch.Kind+"\x00"+strings.ToLower(ch.Subject)] = ch
		}
		h.NewAudit = c.Diff.NewAudit
	}
	if c.Snapshots != nil && c.Snapshots.Before != nil && c.Snapshots.After != nil {
		h.HasSnapshots = true
		h.Users = userRows(c.Snapshots.Before, c.Snapshots.After, changes, c.VerifiedDomains)
		h.Groups = groupRows(c.Snapshots.Before, c.Snapshots.After, changes)
		h.AuditBefore = len(c.Snapshots.Before.Audit)
	}
	return h
}

func userRows(before, after *harness.Snapshot, changes map[string]harness.Change, domains []string) []userRow {
	bu, au := firstByKey(before.Users), firstByKey(after.Users)
	bg, ag := groupNamesByUser(before), groupNamesByUser(after)
	var rows []userRow
	for _, k := range sortedKeys(bu, au) {
		b, inB := bu[k]
		a, inA := au[k]
		r := userRow{Name: k, Gone: !inA, New: !inB}
		if inB {
			r.LinkBefore, r.GroupsBefore = orNone(b.Link), multiset.Format(bg[b.ID])
		}
		if inA {
			r.LinkAfter, r.GroupsAfter = orNone(a.Link), multiset.Format(ag[a.ID])
		}
		r.LinkChanged = inA && inB && before.LinkProbed && after.LinkProbed && b.Link != a.Link
		r.GroupsMoved = inA && inB && r.GroupsBefore != r.GroupsAfter
		if ch, ok := changes["user\x00"+k]; ok {
			r.Changed, r.Class, r.Moved = true, ch.Class, strings.Join(ch.Details, "; ")
		}
		r.Changed = r.Changed || r.Gone || r.New || r.LinkChanged || r.GroupsMoved
		if r.Class == "" && len(domains) > 0 {
			email := k
			if inB && b.PrimaryEmail != "" {
				email = b.PrimaryEmail
			}
			r.Class = "unmanaged"
			if (harness.TargetSpec{VerifiedDomains: domains}).Managed(email) {
				r.Class = "managed"
			}
		}
		rows = append(rows, r)
	}
	return rows
}

func groupRows(before, after *harness.Snapshot, changes map[string]harness.Change) []groupRow {
	bg, ag := map[string]harness.GroupState{}, map[string]harness.GroupState{}
	for _, g := range before.Groups {
		if _, dup := bg[g.Key()]; !dup {
			bg[g.Key()] = g
		}
	}
	for _, g := range after.Groups {
		if _, dup := ag[g.Key()]; !dup {
			ag[g.Key()] = g
		}
	}
	bn, an := namesByID(before), namesByID(after)
	var rows []groupRow
	for _, k := range sortedKeys(bg, ag) {
		b, inB := bg[k]
		a, inA := ag[k]
		r := groupRow{Name: k, Gone: !inA, New: !inB}
		if inA {
			r.Name, r.ID, r.After = a.DisplayName, a.ID, memberString(a.Members, an)
		}
		if inB {
			r.Name, r.ID, r.Before = b.DisplayName, b.ID, memberString(b.Members, bn)
		}
		if ch, ok := changes["group\x00"+k]; ok {
			r.Changed, r.Moved = true, strings.Join(ch.Details, "; ")
		}
		r.Changed = r.Changed || r.Gone || r.New || r.Before != r.After
		rows = append(rows, r)
	}
	return rows
}

func firstByKey(us []harness.UserState) map[string]harness.UserState {
	m := make(map[string]harness.UserState, len(us))
	for _, u := range us {
		if _, dup := m[u.Key()]; !dup {
			m[u.Key()] = u
		}
	}
	return m
}

func groupNamesByUser(s *harness.Snapshot) map[string][]string {
	m := map[string][]string{}
	for _, g := range s.Groups {
		for _, id := range g.Members {
			m[id] = append(m[id], g.DisplayName)
		}
	}
	return m
}

func namesByID(s *harness.Snapshot) map[string]string {
	m := make(map[string]string, len(s.Users))
	for _, u := range s.Users {
		m[u.ID] = u.UserName
	}
	return m
}

func memberString(ids []string, names map[string]string) string {
	out := make([]string, len(ids))
	for i, id := range ids {
		if n, ok := names[id]; ok {
			out[i] = n
		} else {
			out[i] = id
		}
	}
	return multiset.Format(out)
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}

// sortedKeys is the union of two maps' keys, sorted.
func sortedKeys[V any](a, b map[string]V) []string {
	union := make(map[string]bool, len(a)+len(b))
	for k := range a {
		union[k] = true
	}
	for k := range b {
		union[k] = true
	}
	return slices.Sorted(maps.Keys(union))
}

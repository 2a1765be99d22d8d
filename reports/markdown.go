package reports

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/scimreplay/scimreplay/harness"
)

// Verdict is the one-line verdict of an exit code, as the gate prints it and the reports head.
func Verdict(code int) string {
	switch code {
	case 0:
		return "PASS — every link and membership held (exit 0)"
	case 1:
		return "FAIL — the target changed link or membership state, or failed Okta's traffic (exit 1)"
	default:
		return "COULD NOT RUN — the run could not be done (exit 2)"
	}
}

// Verdict is the package's Verdict for the run, naming the identity providers whose traffic its cases are:
// "failed Okta's traffic" in a run of Okta's alone (as Verdict says), "failed Okta's or
// Microsoft Entra ID's traffic" in a run of both.
func (r *Run) Verdict(code int) string {
	v := Verdict(code)
	var names []string
	for _, g := range ByIdP(r.Cases) {
		if g.Title != "" {
			names = append(names, g.Title+"'s")
		}
	}
	if code != 1 || len(names) == 0 || len(names) == 1 && names[0] == "Okta's" {
		return v
	}
	return strings.Replace(v, "Okta's traffic", strings.Join(names, " or ")+" traffic", 1)
}

func verdictMark(code int) string {
	switch code {
	case 0:
		return "✅"
	case 1:
		return "❌"
	}
	return "⚠️"
}

func caseMark(c Case) string {
	switch {
	case c.Status == Passed:
		return "✅ pass"
	case c.Status == Skipped:
		return "⏭ skipped"
	case c.Verdict == VerdictRegression:
		return "❌ fail"
	}
	return "⚠️ could not run"
}

// maxMarkdownBytes keeps the summary under GitHub's limit for a pull-request comment (65,536
// characters); the job summary allows more, but a reader wants the gist there too.
const maxMarkdownBytes = 60 << 10

// maxChangesListed bounds the changes listed per case in the summary; report.html has them all.
const maxChangesListed = 50

// WriteMarkdown writes the summary: the verdict, a table of the cases per identity provider
// (headed by its name) and, for each failed case,
// every changed user and group with before → after and the new audit lines. It is sized for a
// CI job summary or a pull-request comment.
func WriteMarkdown(w io.Writer, run *Run, secrets ...string) error {
	code := run.Code()
	t := run.Tally()
	var b strings.Builder
	fmt.Fprintf(&b, "## %s %s: %s\n\n", verdictMark(code), run.title(), run.Verdict(code))
	if t := run.Targets(); len(t) > 0 {
		fmt.Fprintf(&b, "**Target:** %s  \n", strings.Join(mapStrings(t, code1), ", "))
	}
	fmt.Fprintf(&b, "**Cases:** %d passed, %d failed, %d could not run", t.Passed, t.Regressions, t.CouldNotRun)
	if t.Skipped > 0 {
		fmt.Fprintf(&b, ", %d not run (filtered or skipped)", t.Skipped)
	}
	fmt.Fprintf(&b, " · %s\n\n", roundDuration(run.Time))
	if cv := run.Caveats(); len(cv) > 0 {
		b.WriteString("**Not checked in this run:**\n\n")
		for _, c := range cv {
			fmt.Fprintf(&b, "- %s\n", c)
		}
		b.WriteString("\n")
	}

	var ran []Case
	for _, c := range run.Cases {
		if c.Status != Skipped {
			ran = append(ran, c)
		}
	}
	// One table per identity provider, each under its name.
	for _, g := range ByIdP(ran) {
		if g.Title != "" {
			fmt.Fprintf(&b, "### %s\n\n", g.Title)
		}
		b.WriteString("| result | case | scenario file | what moved | checked | time |\n|---|---|---|---|---|---|\n")
		for _, c := range g.Cases {
			fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s |\n", caseMark(c), code1(c.Name), code1(c.ScenarioFile),
				cell(Moved(c)), cell(checked(c)), roundDuration(c.Time))
		}
		b.WriteString("\n")
	}

	var details strings.Builder
	omitted := 0
	for _, c := range ran {
		if !c.Failed() {
			continue
		}
		section := caseMarkdown(c)
		if b.Len()+details.Len()+len(section) > maxMarkdownBytes {
			omitted++
			continue
		}
		details.WriteString(section)
	}
	b.WriteString(details.String())
	if omitted > 0 {
		fmt.Fprintf(&b, "_%d more failed cases are not shown here for size; see report.html or junit.xml._\n", omitted)
	}
	_, err := io.WriteString(w, clean(b.String(), secrets))
	return err
}

func caseMarkdown(c Case) string {
	var b strings.Builder
	fmt.Fprintf(&b, "### %s %s\n\n", caseMark(c), c.Name)
	if c.ScenarioFile != "" {
		fmt.Fprintf(&b, "Scenario %s against %s.\n\n", code1(c.ScenarioFile), code1(c.Target))
	}
	if c.Coverage != nil {
		fmt.Fprintf(&b, "Checked: %s.\n\n", cell(c.Coverage.String()))
	}
	if c.Diff == nil || c.Diff.Empty() {
		b.WriteString("```\n" + firstLines(c.Message, 30) + "\n```\n\n")
		return b.String()
	}
	var users, groups []harness.Change
	for _, ch := range c.Diff.Changes {
		if ch.Kind == "group" {
			groups = append(groups, ch)
		} else {
			users = append(users, ch)
		}
	}
	if len(users) > 0 {
		b.WriteString("| user | class | before → after |\n|---|---|---|\n")
		writeCapped(&b, users, func(ch harness.Change) string {
			return fmt.Sprintf("| %s | %s | %s |\n", code1(ch.Subject), ch.Class, cell(strings.Join(ch.Details, "\n")))
		})
		b.WriteString("\n")
	}
	if len(groups) > 0 {
		b.WriteString("| group | before → after |\n|---|---|\n")
		writeCapped(&b, groups, func(ch harness.Change) string {
			return fmt.Sprintf("| %s | %s |\n", code1(ch.Subject), cell(strings.Join(ch.Details, "\n")))
		})
		b.WriteString("\n")
	}
	if len(c.Diff.NewAudit) > 0 {
		b.WriteString("New audit lines:\n\n```\n")
		for i, a := range c.Diff.NewAudit {
			if i == maxChangesListed {
				fmt.Fprintf(&b, "… %d more\n", len(c.Diff.NewAudit)-i)
				break
			}
			b.WriteString(strings.ReplaceAll(a, "```", "'''") + "\n")
		}
		b.WriteString("```\n\n")
	}
	return b.String()
}

// checked is a case's coverage in a few words ("–" when no snapshot was taken).
func checked(c Case) string {
	if c.Coverage == nil {
		return "–"
	}
	return c.Coverage.Short()
}

// Caveats are what the run did not check, once each (no link probe, no audit probe, no
// verified domains, settle off), from the cases' coverage.
func (r *Run) Caveats() []string {
	var out []string
	seen := map[string]bool{}
	add := func(s string) {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	for _, c := range r.Cases {
		cv := c.Coverage
		if cv == nil {
			continue
		}
		if cv.LinkProbe == "" {
			add(harness.NoLinkProbe)
		}
		if cv.AuditProbe == "" {
			add("audit log: no audit probe")
		}
		if !cv.Classified {
			add(harness.NoVerifiedDomains)
		}
		if cv.Settle == 0 {
			add("background changes: settle off (the after-state was read once)")
		}
	}
	return out
}

func writeCapped(b *strings.Builder, changes []harness.Change, row func(harness.Change) string) {
	for i, ch := range changes {
		if i == maxChangesListed {
			fmt.Fprintf(b, "| … | %d more, see report.html | |\n", len(changes)-i)
			return
		}
		b.WriteString(row(ch))
	}
}

// Moved says in a few words what a case moved: "1 user, 2 groups, 1 audit line", the first line
// of the failure when nothing was compared, or "nothing".
func Moved(c Case) string {
	switch {
	case c.Diff != nil && !c.Diff.Empty():
		users, groups := 0, 0
		for _, ch := range c.Diff.Changes {
			if ch.Kind == "group" {
				groups++
			} else {
				users++
			}
		}
		var parts []string
		if users > 0 {
			parts = append(parts, plural(users, "user"))
		}
		if groups > 0 {
			parts = append(parts, plural(groups, "group"))
		}
		if n := len(c.Diff.NewAudit); n > 0 {
			parts = append(parts, plural(n, "audit line"))
		}
		return strings.Join(parts, ", ")
	case c.Failed():
		first, _, _ := strings.Cut(strings.TrimSpace(c.Message), "\n")
		return first
	}
	return "nothing"
}

func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return fmt.Sprintf("%d %ss", n, what)
}

func firstLines(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	if len(lines) > n {
		lines = append(lines[:n], fmt.Sprintf("… (%d more lines)", len(lines)-n))
	}
	return strings.Join(lines, "\n")
}

// cell makes text safe inside a Markdown table cell.
func cell(s string) string {
	s = strings.NewReplacer("|", `\|`, "<", "&lt;", ">", "&gt;", "\r", "").Replace(s)
	return strings.ReplaceAll(strings.TrimSpace(s), "\n", "<br>")
}

// code1 is s as an inline code span that is safe in a table cell ("" for empty s).
func code1(s string) string {
	if s == "" {
		return ""
	}
	s = strings.NewReplacer("|", `\|`, "\n", " ", "\r", "").Replace(s)
	fence := "`"
	for strings.Contains(s, fence) {
		fence += "`"
	}
	if strings.HasPrefix(s, "`") || strings.HasSuffix(s, "`") {
		s = " " + s + " "
	}
	return fence + s + fence
}

func mapStrings(xs []string, f func(string) string) []string {
	out := make([]string, len(xs))
	for i, x := range xs {
		out[i] = f(x)
	}
	return out
}

func roundDuration(d time.Duration) string {
	switch {
	case d <= 0:
		return "–"
	case d < time.Second:
		return d.Round(time.Millisecond).String()
	}
	return d.Round(100 * time.Millisecond).String()
}

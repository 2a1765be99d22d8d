package reports

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/scimreplay/scimreplay/harness"
)

func render(t *testing.T, run *Run) (md, page string) {
	t.Helper()
	var m, h bytes.Buffer
	if err := WriteMarkdown(&m, run, knownToken); err != nil {
		t.Fatal(err)
	}
	if err := WriteHTML(&h, run, knownToken); err != nil {
		t.Fatal(err)
	}
	return m.String(), h.String()
}

func TestMarkdownSummary(t *testing.T) {
	md, _ := render(t, fixtureRun())
	for _, want := range []string{
		"## ❌ scimreplay gate: FAIL — the target changed link or membership state, or failed Okta's traffic (exit 1)\n",
		"**Target:** `reference-directory (scimreplay/directory:dev)`",
		"**Cases:** 1 passed, 1 failed, 1 could not run, 1 not run (filtered or skipped)",
		"| ✅ pass | `forcesync/okta/identical-repush` | `okta/identical-repush.yaml` | nothing | 2 users, 2 groups, 4 memberships, 2/2 linked, audit, settle 2s | 1.5s |",
		"| ❌ fail | `forcesync/okta/case-change` | `okta/case-change.yaml` | 1 user, 2 groups, 1 audit line | 2 users, 2 groups, 4 memberships, 2/2 linked, audit, settle 2s | 1.5s |",
		"Checked: 2 users (1 unmanaged), 2 groups with 4 memberships seen before the sync; links: 2 of 2 users linked (attribute urn:x:atlassianAccountId); audit: /admin/audit; after-state held 2s (9 reads).",
		"| ⚠️ could not run | `forcesync/okta/paging` | `okta/paging.yaml` | could not run: target reference-directory not ready after 1s: connection refused |",
		"| `bob@partner.example` | unmanaged | link acct-bob → none<br>groups {confluence-users, jira-users} → {} |",
		"| `confluence-users` | members {alice@acme.example, bob@partner.example} → {alice@acme.example} |",
		"```\n" + auditLine + "\n```",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("summary.md lacks %q:\n%s", want, md)
		}
	}
	if strings.Contains(md, "Not checked in this run") {
		t.Errorf("a run that checked everything names caveats:\n%s", md)
	}
	if strings.Contains(md, "group-push |") {
		t.Errorf("a case that did not run has a row:\n%s", md)
	}
	if strings.Contains(md, "alice@acme.example` |") {
		t.Errorf("a user that did not change is listed:\n%s", md)
	}
}

func TestMarkdownPassAndSizeBound(t *testing.T) {
	run := fixtureRun()
	pass := &Run{Name: "scimreplay gate", Cases: []Case{run.Cases[0]}}
	md, _ := render(t, pass)
	if !strings.HasPrefix(md, "## ✅ scimreplay gate: PASS — every link and membership held (exit 0)") {
		t.Errorf("summary of a passing run:\n%s", md)
	}

	// A huge regression: the summary stays within a PR comment and says what it left out.
	big := run.Cases[1]
	d := *big.Diff
	for len(d.Changes) < 5000 {
		d.Changes = append(d.Changes, d.Changes[0])
	}
	big.Diff = &d
	many := &Run{Name: "gate"}
	for i := 0; i < 30; i++ {
		many.Cases = append(many.Cases, big)
	}
	var b bytes.Buffer
	if err := WriteMarkdown(&b, many); err != nil {
		t.Fatal(err)
	}
	md = b.String()
	if len(md) > 65536 {
		t.Errorf("summary.md is %d bytes, over GitHub's comment limit", len(md))
	}
	for _, want := range []string{fmt.Sprintf("| … | %d more, see report.html | |", len(d.Changes)-2-maxChangesListed), "more failed cases are not shown here for size"} {
		if !strings.Contains(md, want) {
			t.Errorf("the bounded summary lacks %q", want)
		}
	}
}

func TestMarkdownEscapesTableCells(t *testing.T) {
	run := fixtureRun()
	c := run.Cases[2]
	c.Message = "could not run: a|b <script>\nsecond line"
	md, _ := render(t, &Run{Cases: []Case{c}})
	if !strings.Contains(md, `could not run: a\|b &lt;script&gt; |`) {
		t.Errorf("the cell is not escaped:\n%s", md)
	}
}

func TestHTMLReport(t *testing.T) {
	_, page := render(t, fixtureRun())
	for _, want := range []string{
		"<title>scimreplay gate: FAIL",
		`<h1 class="fail">`,
		`<a href="#case-2">forcesync/okta/case-change</a>`,
		// bob's link and groups moved: both cells highlighted, before and after
		"<tr class=\"changed\"><td><code>bob@partner.example</code></td><td>unmanaged</td>\n" +
			`<td class="changed">acct-bob</td><td class="changed">none</td>` + "\n" +
			`<td class="changed">{confluence-users, jira-users}</td><td class="changed">{}</td>`,
		// alice did not move: no highlight
		"<tr><td><code>alice@acme.example</code></td><td>managed</td>\n<td>acct-alice</td><td>acct-alice</td>",
		`<td class="changed">{alice@acme.example, bob@partner.example}</td><td class="changed">{alice@acme.example}</td>`,
		`<pre class="audit">` + auditLine,
		"<summary>Requests sent</summary><pre>2 requests sent:",
		"<summary>Target logs</summary>",
		"could not run: target reference-directory not ready after 1s",
		"Not run (filtered or skipped): forcesync/okta/group-push",
	} {
		if !strings.Contains(page, want) {
			t.Errorf("report.html lacks %q", want)
		}
	}
	if n := strings.Count(page, `class="changed"`); n != 11 {
		t.Errorf("%d changed markers, want 11 (bob's row and 4 cells, 2 group rows and 4 cells)", n)
	}
}

// report.html must open anywhere, offline: no script, stylesheet, image, font or frame from
// elsewhere, and no link out of the page.
func TestHTMLReferencesNoExternalAsset(t *testing.T) {
	_, page := render(t, fixtureRun())
	for _, re := range []*regexp.Regexp{
		regexp.MustCompile(`(?i)\bsrc\s*=`),
		regexp.MustCompile(`(?i)<(script|link|img|iframe|object|embed)\b`),
		regexp.MustCompile(`(?i)@import|url\(`),
		regexp.MustCompile(`(?i)href\s*=\s*"[^#]`),
	} {
		if m := re.FindString(page); m != "" {
			t.Errorf("report.html references an external asset: %q", m)
		}
	}
}

func TestHTMLEscapesWhatTheTargetSent(t *testing.T) {
	run := fixtureRun()
	run.Cases[1].Logs = `<script>alert("x")</script>`
	_, page := render(t, run)
	if strings.Contains(page, "<script>") || !strings.Contains(page, "&lt;script&gt;") {
		t.Error("target logs reach the page unescaped")
	}
}

// A known token planted in the logs, the requests and the output never reaches an artefact.
func TestTokensNeverAppearInAnyArtefact(t *testing.T) {
	dir := t.TempDir()
	if err := FilesIn(dir).Write(fixtureRun(), knownToken); err != nil {
		t.Fatal(err)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 3 {
		t.Fatalf("%d files written, want junit.xml, summary.md, report.html", len(entries))
	}
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		for _, secret := range []string{knownToken, bearerValue} {
			if bytes.Contains(b, []byte(secret)) {
				t.Errorf("%s holds the secret %q", e.Name(), secret)
			}
		}
		if e.Name() == "junit.xml" && !bytes.Contains(b, []byte("[REDACTED]")) {
			t.Errorf("junit.xml should show where a secret was removed")
		}
	}
}

// A run without a link probe, audit probe or verified domains says so at the top of both human
// reports, once, and each case says what it checked.
func TestReportsSayWhatWasNotChecked(t *testing.T) {
	run := fixtureRun()
	bare := harness.Coverage{Users: 3, Groups: 1, Memberships: 3, Settle: 2 * time.Second, Reads: 8}
	for i := range run.Cases {
		if run.Cases[i].Coverage != nil {
			run.Cases[i].Coverage = &bare
		}
	}
	md, page := render(t, run)
	for _, doc := range []string{md, page} {
		for _, want := range []string{"Not checked in this run", harness.NoLinkProbe, harness.NoVerifiedDomains, "no audit probe"} {
			if strings.Count(doc, want) < 1 {
				t.Errorf("report lacks %q:\n%s", want, doc)
			}
		}
	}
	if strings.Count(md, "- "+harness.NoLinkProbe) != 1 {
		t.Errorf("the caveat is not said once:\n%s", md)
	}
	if !strings.Contains(page, "<strong>Checked:</strong> 3 users, 1 group with 3 memberships seen before the sync; "+harness.NoLinkProbe) {
		t.Errorf("report.html lacks the case's coverage:\n%s", page)
	}
}

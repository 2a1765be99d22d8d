package main

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/scimreplay/scimreplay/fakes/directory"
	"github.com/scimreplay/scimreplay/fakes/reference"
)

// --parallel 2 runs two child gates, each with its own containers; the parent merges their JUnit
// in catalogue order, writes the human reports beside it and exits as a single gate would.
// `scimreplay report` then re-renders the same reports from that JUnit alone.
func TestGateParallelThenReport(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	junit := filepath.Join(dir, "junit.xml")
	r := runCLI(t, nil, "gate", "--parallel", "2", "--reference-faults", "access-1003", "--junit", junit,
		"--label-filter", "scenario:identical-repush || scenario:aiw-put || scenario:push-now-full-list")
	if r.code != 1 {
		t.Fatalf("exit %d, want 1 (access-1003 is caught by identical-repush)\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	for _, want := range []string{
		"gate: 3 scenarios in 2 processes\n",
		"[1/2] started: aiw-put, push-now-full-list\n",
		"[2/2] started: identical-repush\n",
		"[2/2] scenario 1/1 identical-repush (okta/identical-repush.yaml)\n",
		"[2/2]   target started: reference-directory\n",
		"[1/2]   PASS aiw-put (",
		"\nPASS aiw-put — checked 3 users, 2 groups, 5 memberships, 3/3 linked, audit, settle 2s\nFAIL identical-repush — checked 4 users, 2 groups, 6 memberships, 4/4 linked, audit, settle 2s\n    the force sync changed link or membership state:\n    bob@partner.example (unmanaged): link acct-bob → none",
		"\nPASS push-now-full-list — checked ",
		"\nverdict: FAIL",
	} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("output lacks %q:\n%s", want, r.stdout)
		}
	}

	s := readJUnit(t, junit)
	var names []string
	for _, suite := range s.TestSuites {
		for _, tc := range suite.TestCases {
			names = append(names, tc.Name)
		}
	}
	if strings.Join(names, " ") != "forcesync/okta/aiw-put forcesync/okta/identical-repush forcesync/okta/push-now-full-list" {
		t.Errorf("merged testcases %q, want the three in catalogue order", names)
	}
	if s.Tests != 3 || s.Failures != 1 {
		t.Errorf("merged totals: %d tests, %d failures", s.Tests, s.Failures)
	}
	if xmllint, err := exec.LookPath("xmllint"); err == nil {
		if out, err := exec.Command(xmllint, "--noout", "--schema", "../../reports/testdata/junit.xsd", junit).CombinedOutput(); err != nil {
			t.Errorf("the merged JUnit violates the schema: %s", out)
		}
	}
	summary := readFile(t, filepath.Join(dir, "summary.md"))
	for _, want := range []string{
		"## ❌ scimreplay gate: FAIL",
		"| ❌ fail | `forcesync/okta/identical-repush` | `okta/identical-repush.yaml` | 2 users, 2 groups, 2 audit lines |",
		"| `bob@partner.example` | unmanaged | link acct-bob → none<br>groups {confluence-users, jira-users} → {} |",
	} {
		if !strings.Contains(summary, want) {
			t.Errorf("summary.md lacks %q:\n%s", want, summary)
		}
	}
	page := readFile(t, filepath.Join(dir, "report.html"))
	if !strings.Contains(page, `<td class="changed">acct-bob</td><td class="changed">none</td>`) {
		t.Errorf("report.html does not highlight bob's lost link")
	}

	// Re-render from the JUnit alone: the same summary, times aside.
	again := filepath.Join(dir, "again")
	rr := runCLI(t, nil, "report", "--out", again, junit)
	if rr.code != 0 {
		t.Fatalf("report: exit %d\n%s\n%s", rr.code, rr.stdout, rr.stderr)
	}
	if !strings.Contains(rr.stdout, "FAIL — the target changed link or membership state") {
		t.Errorf("report does not state the verdict: %s", rr.stdout)
	}
	times := regexp.MustCompile(`\d+(\.\d+)?(ms|s)\b|–`)
	if got, want := times.ReplaceAllString(readFile(t, filepath.Join(again, "summary.md")), "T"), times.ReplaceAllString(summary, "T"); got != want {
		t.Errorf("re-rendered summary.md differs:\n--- from the gate\n%s\n--- from the JUnit\n%s", want, got)
	}
	if page2 := readFile(t, filepath.Join(again, "report.html")); !strings.Contains(page2, `<td class="changed">acct-bob</td><td class="changed">none</td>`) {
		t.Errorf("the re-rendered report.html lost the before/after tables")
	}
}

func TestReportBadInputExits2(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.xml")
	if err := os.WriteFile(bad, []byte("<testsuites>\n<testsuite name='a'>\n</testsuites>\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for name, tc := range map[string]struct {
		args []string
		want string
	}{
		"no file":   {[]string{"report"}, "usage: scimreplay report"},
		"missing":   {[]string{"report", filepath.Join(dir, "none.xml")}, "none.xml: no such file"},
		"malformed": {[]string{"report", bad}, bad + ":3: element <testsuite> closed by </testsuites>"},
	} {
		t.Run(name, func(t *testing.T) {
			r := runCLI(t, nil, tc.args...)
			if r.code != 2 || !strings.Contains(r.stderr, tc.want) {
				t.Fatalf("exit %d, stderr %q; want 2 and %q", r.code, r.stderr, tc.want)
			}
		})
	}
}

// The token a gate authenticates with never reaches its artefacts or its output, even when the
// target writes it into its own log: here the directory is told to treat the token as its
// verified domain, so its start-up line names it, and the access-1003 fault makes the scenario
// fail, so the target log is attached.
func TestGateArtefactsNeverHoldTheToken(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	if err := reference.BuildImage(ctx, ""); err != nil {
		t.Fatal(err)
	}
	const token = "srt_known_token_6f2c9e1d4b7a"
	dir := t.TempDir()
	r := runCLI(t, nil, "gate", "--target-image", reference.ImageTag, "--target-token", token,
		"--target-env", "DIRECTORY_TOKEN={{token}}", "--target-env", "DIRECTORY_VERIFIED_DOMAINS={{token}}",
		"--target-env", "DIRECTORY_FAULTS=access-1003", "--target-verified-domains", reference.VerifiedDomain,
		"--target-link-attribute", directory.ExtensionSchema+":atlassianAccountId",
		"--target-audit-path", "/admin/audit", "--target-audit-pattern", directory.UnlinkAuditPattern,
		"--label-filter", "scenario:identical-repush", "--junit", filepath.Join(dir, "junit.xml"))
	if r.code != 1 {
		t.Fatalf("exit %d, want 1\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	junit := readFile(t, filepath.Join(dir, "junit.xml"))
	if !strings.Contains(junit, "verified domains [[REDACTED]]") {
		t.Fatalf("the target log with the token was not attached, so this test proves nothing:\n%s", junit)
	}
	for name, text := range map[string]string{
		"junit.xml": junit, "summary.md": readFile(t, filepath.Join(dir, "summary.md")),
		"report.html": readFile(t, filepath.Join(dir, "report.html")), "stdout": r.stdout, "stderr": r.stderr,
	} {
		if strings.Contains(text, token) {
			t.Errorf("%s holds the token", name)
		}
	}
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

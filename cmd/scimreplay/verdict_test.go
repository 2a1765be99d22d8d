package main

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/onsi/ginkgo/v2/types"

	"github.com/scimreplay/scimreplay/reports"
)

func TestPrintVerdictBoundsEachDiff(t *testing.T) {
	t.Parallel()
	var lines []string
	for i := 0; i < 40; i++ {
		lines = append(lines, fmt.Sprintf("user%03d@partner.example (unmanaged): link acct-%d → none", i, i))
	}
	run := &reports.Run{Cases: []reports.Case{
		{Name: "forcesync/okta/large-org-paging", Status: reports.Failed, Verdict: reports.VerdictRegression, Message: strings.Join(lines, "\n")},
		{Name: "forcesync/okta/identical-repush", Status: reports.Passed},
	}}
	var out bytes.Buffer
	printVerdict(&out, run, 1)
	s := out.String()
	if !strings.Contains(s, "user024@partner.example") || strings.Contains(s, "user025@partner.example") {
		t.Fatalf("the first %d lines are shown, no more:\n%s", maxVerdictLines, s)
	}
	if !strings.Contains(s, "… 15 more lines in the JUnit and summary.md") {
		t.Fatalf("the cut is not said:\n%s", s)
	}
	if !strings.Contains(s, "PASS identical-repush") || !strings.Contains(s, "FAIL large-org-paging") {
		t.Fatalf("every scenario is listed:\n%s", s)
	}
}

// A run of both catalogues names each case with its IdP, Okta's first, as the reports group them.
func TestPrintVerdictOfTwoIdPs(t *testing.T) {
	run := &reports.Run{Cases: []reports.Case{
		{Name: "forcesync/entra/restart-provisioning", Status: reports.Passed},
		{Name: "forcesync/okta/identical-repush", Status: reports.Failed, Verdict: reports.VerdictRegression, Message: "bob@partner.example (unmanaged): link acct-7 → none"},
		{Name: "forcesync/entra/membership-readd", Status: reports.Passed},
	}}
	var out bytes.Buffer
	printVerdict(&out, run, 1)
	want := "\nFAIL okta/identical-repush\n    bob@partner.example (unmanaged): link acct-7 → none\nPASS entra/restart-provisioning\nPASS entra/membership-readd\n"
	if !strings.HasPrefix(out.String(), want) {
		t.Fatalf("got\n%s\nwant it to start\n%s", out.String(), want)
	}
	if !strings.Contains(out.String(), "verdict: FAIL — the target changed link or membership state, or failed Okta's or Microsoft Entra ID's traffic (exit 1)") {
		t.Errorf("the verdict does not name both IdPs:\n%s", out.String())
	}
}

// With Ginkgo's own output not shown, what only it used to say reaches the user another way.
func TestUnreportedOutcomes(t *testing.T) {
	t.Parallel()
	panicked := types.Report{SpecReports: types.SpecReports{{LeafNodeType: types.NodeTypeIt, State: types.SpecStatePanicked}}}
	for name, tc := range map[string]struct {
		code      int
		passed    bool
		reportErr error
		verbose   bool
		report    types.Report
		want      int
		stdout    string
		stderr    string
	}{
		"reports not written":             {exitOK, true, errors.New("write /x/junit.xml: permission denied"), false, types.Report{}, exitCannotRun, "", "scimreplay gate: write /x/junit.xml: permission denied\n"},
		"a regression, reports unwritten": {exitRegression, true, errors.New("write x: full"), false, types.Report{}, exitCannotRun, "", "write x: full"},
		"Ginkgo failed after the report":  {exitOK, false, nil, false, types.Report{}, exitCannotRun, "", "Ginkgo failed the suite after its report was taken"},
		"a regression Ginkgo failed too":  {exitRegression, false, nil, false, types.Report{}, exitRegression, "", ""},
		"a panic":                         {exitCannotRun, false, nil, false, panicked, exitCannotRun, "run again with -v for where", ""},
		"a panic, verbose":                {exitCannotRun, false, nil, true, panicked, exitCannotRun, "", ""},
		"a pass":                          {exitOK, true, nil, false, types.Report{}, exitOK, "", ""},
	} {
		t.Run(name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			got := unreported(tc.code, tc.passed, tc.reportErr, tc.verbose, tc.report, &stdout, &stderr, "gate")
			if got != tc.want {
				t.Errorf("exit %d, want %d", got, tc.want)
			}
			for what, w := range map[string]struct{ got, want string }{"stdout": {stdout.String(), tc.stdout}, "stderr": {stderr.String(), tc.stderr}} {
				if w.want == "" && w.got != "" || !strings.Contains(w.got, w.want) {
					t.Errorf("%s %q, want %q", what, w.got, w.want)
				}
			}
		})
	}
}

// A suite node that failed (no Docker daemon) fails every check unseen: conformance's verdict
// says why itself.
func TestPrintConformanceSaysWhyNothingRan(t *testing.T) {
	t.Parallel()
	r := types.Report{SuiteSucceeded: false, SpecReports: types.SpecReports{
		{LeafNodeType: types.NodeTypeBeforeSuite, State: types.SpecStateFailed, Failure: types.Failure{Message: "no Docker daemon answers at DOCKER_HOST=unix:///x"}},
		{LeafNodeType: types.NodeTypeIt, State: types.SpecStateSkipped, LeafNodeText: "finds a user"},
	}}
	var out bytes.Buffer
	printConformance(&out, r, exitCannotRun)
	if want := "COULD NOT RUN [BeforeSuite]\n    no Docker daemon answers at DOCKER_HOST=unix:///x\nverdict: COULD NOT RUN"; !strings.Contains(out.String(), want) {
		t.Errorf("output lacks %q:\n%s", want, out.String())
	}
	interrupted := types.Report{SuiteSucceeded: false, SpecialSuiteFailureReasons: []string{"Interrupted by User"}}
	out.Reset()
	printConformance(&out, interrupted, exitCannotRun)
	if want := "COULD NOT RUN the suite\n    Interrupted by User\n"; !strings.Contains(out.String(), want) {
		t.Errorf("output lacks %q:\n%s", want, out.String())
	}
}

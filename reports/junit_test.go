package reports

import (
	"bytes"
	"encoding/xml"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/onsi/ginkgo/v2/reporters"
	"github.com/onsi/ginkgo/v2/types"

	"github.com/scimreplay/scimreplay/reports/internal/xsd"
)

const schemaPath = "testdata/junit.xsd"

// CheckSchema validates a JUnit file against testdata/junit.xsd with the Go validator and, where
// it is installed, with xmllint too.
func checkSchema(t *testing.T, path string) []string {
	t.Helper()
	f, err := os.Open(schemaPath)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	schema, err := xsd.Compile(f)
	if err != nil {
		t.Fatal(err)
	}
	doc, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer doc.Close()
	var msgs []string
	for _, e := range schema.Validate(doc) {
		msgs = append(msgs, e.Error())
	}
	return msgs
}

func xmllint(t *testing.T, path string) (ok bool, out string) {
	t.Helper()
	bin, err := exec.LookPath("xmllint")
	if err != nil {
		t.Skip("xmllint is not installed (Debian: libxml2-utils); the Go schema check above still ran")
	}
	b, err := exec.Command(bin, "--noout", "--schema", schemaPath, path).CombinedOutput()
	return err == nil, string(b)
}

func writeFixtureJUnit(t *testing.T) (string, []byte) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "junit.xml")
	if err := WriteJUnit(path, fixtureRun(), knownToken); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return path, b
}

func TestJUnitIsValidAgainstTheCommonSchema(t *testing.T) {
	path, _ := writeFixtureJUnit(t)
	if errs := checkSchema(t, path); len(errs) > 0 {
		t.Fatalf("junit.xml violates %s:\n%s", schemaPath, strings.Join(errs, "\n"))
	}
	t.Run("xmllint", func(t *testing.T) {
		if ok, out := xmllint(t, path); !ok {
			t.Fatalf("xmllint rejects junit.xml:\n%s", out)
		}
	})
}

// Ginkgo's own JUnit carries extensions (testcase status, testcase properties, testsuites
// disabled) that the common schema rejects: the check can fail, and this is why the reports
// write their own.
func TestGinkgosJUnitFailsTheSchemaCheck(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ginkgo.xml")
	if err := reporters.GenerateJUnitReportWithConfig(fixtureReport(), path, reporters.JunitReportConfig{}); err != nil {
		t.Fatal(err)
	}
	errs := strings.Join(checkSchema(t, path), "\n")
	for _, want := range []string{`attribute "status" is not allowed`, `attribute "disabled" is not allowed`} {
		if !strings.Contains(errs, want) {
			t.Errorf("the schema check should report %q; it said:\n%s", want, errs)
		}
	}
	t.Run("xmllint", func(t *testing.T) {
		if ok, out := xmllint(t, path); ok {
			t.Fatalf("xmllint accepts Ginkgo's JUnit, so the schema checks nothing:\n%s", out)
		}
	})
}

func TestJUnitReadsAsCIToolsReadIt(t *testing.T) {
	_, b := writeFixtureJUnit(t)
	var suites reporters.JUnitTestSuites
	if err := xml.Unmarshal(b, &suites); err != nil {
		t.Fatalf("Ginkgo's JUnit types cannot read it: %v", err)
	}
	if suites.Tests != 4 || suites.Failures != 2 || suites.Errors != 0 {
		t.Errorf("totals: %d tests, %d failures, %d errors; want 4, 2, 0", suites.Tests, suites.Failures, suites.Errors)
	}
	byName := map[string]reporters.JUnitTestSuite{}
	for _, s := range suites.TestSuites {
		if len(s.TestCases) != 1 {
			t.Fatalf("suite %q has %d testcases, want 1", s.Name, len(s.TestCases))
		}
		byName[s.TestCases[0].Name] = s
	}
	var names []string
	for _, s := range suites.TestSuites {
		names = append(names, s.TestCases[0].Name)
	}
	want := []string{"forcesync/okta/identical-repush", "forcesync/okta/case-change", "forcesync/okta/paging", "forcesync/okta/group-push"}
	if !reflect.DeepEqual(names, want) {
		t.Fatalf("testcase names %q, want %q (the passed BeforeSuite is no testcase)", names, want)
	}

	fail := byName["forcesync/okta/case-change"]
	tc := fail.TestCases[0]
	if tc.Classname != "reference-directory" {
		t.Errorf("classname %q, want the target", tc.Classname)
	}
	for prop, want := range map[string]string{
		"target": "reference-directory", "target-image": "scimreplay/directory:dev",
		"scenario-file": "okta/case-change.yaml", "verdict": "regression",
		"checked": fixtureCoverage.String(),
	} {
		if got := fail.Properties.WithName(prop); got != want {
			t.Errorf("property %s = %q, want %q", prop, got, want)
		}
	}
	if !strings.Contains(fail.Properties.WithName("coverage"), `"linked":2`) {
		t.Errorf("the coverage property is missing: %q", fail.Properties.WithName("coverage"))
	}
	if !strings.Contains(fail.Properties.WithName("snapshots"), `"before":{"users":[`) {
		t.Errorf("the snapshots property is missing or not compact JSON: %.200q", fail.Properties.WithName("snapshots"))
	}
	if tc.Failure == nil || tc.Failure.Type != "regression" {
		t.Fatalf("failure %+v, want a <failure type=regression>", tc.Failure)
	}
	wantBody := "bob@partner.example (unmanaged): link acct-bob → none; groups {confluence-users, jira-users} → {}\n" +
		"group confluence-users: members {alice@acme.example, bob@partner.example} → {alice@acme.example}"
	if !strings.HasPrefix(tc.Failure.Description, wantBody) {
		t.Errorf("the failure body is not the human diff:\n%s", tc.Failure.Description)
	}
	if !strings.Contains(tc.Failure.Description, "audit: "+auditLine) {
		t.Errorf("the failure body lacks the audit line:\n%s", tc.Failure.Description)
	}
	if strings.Contains(tc.Failure.Description, "forcesync.go") {
		t.Errorf("the failure body names a line of the harness:\n%s", tc.Failure.Description)
	}
	if !strings.Contains(tc.Failure.Message, "bob@partner.example (unmanaged): link acct-bob → none") {
		t.Errorf("the failure message lacks the diff: %q", tc.Failure.Message)
	}
	for _, want := range []string{"=== requests sent ===\n2 requests sent:", "PUT /scim/v2/Users/u-bob → 200", "=== target logs ===\ndirectory: serving with token"} {
		if !strings.Contains(tc.SystemOut, want) {
			t.Errorf("system-out lacks %q:\n%s", want, tc.SystemOut)
		}
	}
	if !strings.Contains(tc.SystemErr, "STEP: starting the target reference-directory") || strings.Contains(tc.SystemErr, "\x1b[") {
		t.Errorf("system-err should hold the steps without colour codes: %q", tc.SystemErr)
	}

	pass := byName["forcesync/okta/identical-repush"].TestCases[0]
	if pass.Failure != nil || pass.SystemOut != "" || pass.SystemErr != "" {
		t.Errorf("a passed case carries failure or output: %+v", pass)
	}
	if skip := byName["forcesync/okta/group-push"].TestCases[0]; skip.Skipped == nil || skip.Skipped.Message != "not selected" {
		t.Errorf("the filtered case should be <skipped message=\"not selected\">: %+v", skip.Skipped)
	}
	if cnr := byName["forcesync/okta/paging"]; cnr.Properties.WithName("verdict") != "could-not-run" ||
		!strings.Contains(cnr.TestCases[0].Failure.Description, "not ready after 1s") {
		t.Errorf("the case that could not run lost its verdict or reason: %+v", cnr)
	}
}

func TestJUnitRoundTrip(t *testing.T) {
	want := fixtureRun()
	var b bytes.Buffer
	if err := EncodeJUnit(&b, want); err != nil {
		t.Fatal(err)
	}
	got, err := DecodeJUnit(&b)
	if err != nil {
		t.Fatal(err)
	}
	if got.Code() != 1 || want.Code() != 1 {
		t.Fatalf("code %d after the round trip (%d before), want 1", got.Code(), want.Code())
	}
	if len(got.Cases) != len(want.Cases) {
		t.Fatalf("%d cases, want %d", len(got.Cases), len(want.Cases))
	}
	for i := range want.Cases {
		w, g := want.Cases[i], got.Cases[i]
		w.Output, g.Output = "", "" // cleaned of colour codes on the way out
		w.Requests, w.Logs = clean(w.Requests, nil), clean(w.Logs, nil)
		w.Labels, g.Labels = nil, nil
		w.Time, g.Time = w.Time.Round(time.Millisecond), g.Time.Round(time.Millisecond)
		w.Start, g.Start = time.Time{}, time.Time{}
		if !reflect.DeepEqual(w, g) {
			t.Errorf("case %d differs after the round trip:\nwant %+v\ngot  %+v", i, w, g)
		}
	}
	if l := got.Cases[0].Labels; !reflect.DeepEqual(l, []string{"idp:okta", "scenario:identical-repush"}) {
		t.Errorf("labels %q", l)
	}
}

func TestDecodeJUnitSaysWhereItBreaks(t *testing.T) {
	for name, tc := range map[string]struct{ doc, want string }{
		"syntax":  {"<testsuites>\n<testsuite name='a'>\n</testsuites>", "3: element <testsuite> closed by </testsuites>"},
		"no root": {"<html/>", "1: not a JUnit <testsuites> document"},
		"bad diff property": {`<testsuites><testsuite name="a" tests="1" failures="0" errors="0"><properties>
<property name="diff" value="{"/></properties><testcase name="a" classname="t" time="0"/></testsuite></testsuites>`,
			`testsuite "a": property diff`},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := DecodeJUnit(strings.NewReader(tc.doc))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want one containing %q", err, tc.want)
			}
		})
	}
}

func TestCodeFollowsTheGateRules(t *testing.T) {
	run := fixtureRun()
	if run.Code() != 1 {
		t.Fatalf("a regression and a could-not-run: code %d, want 1 (a regression outranks)", run.Code())
	}
	onlyCNR := &Run{Cases: []Case{run.Cases[0], run.Cases[2], run.Cases[3]}}
	if onlyCNR.Code() != 2 {
		t.Fatalf("code %d, want 2", onlyCNR.Code())
	}
	if pass := (&Run{Cases: []Case{run.Cases[0], run.Cases[3]}}); pass.Code() != 0 {
		t.Fatalf("code %d, want 0", pass.Code())
	}
	// A timed-out spec and a failed BeforeSuite could not run; a failed It with no verdict entry
	// is the target's regression.
	r := fixtureReport()
	r.SpecReports[0].State = types.SpecStateFailed
	r.SpecReports[0].Failure.Message = "no Docker daemon answers"
	r.SpecReports[1].State = types.SpecStateTimedout
	r.SpecReports[2].ReportEntries = nil
	run = FromGinkgo(r, Options{Suite: "forcesync"})
	got := map[string]string{}
	for _, c := range run.Cases {
		got[c.Name] = string(c.Status) + "/" + c.Verdict
	}
	want := map[string]string{
		"forcesync/[BeforeSuite]":         "failed/could-not-run",
		"forcesync/okta/identical-repush": "failed/could-not-run",
		"forcesync/okta/case-change":      "failed/regression",
		"forcesync/okta/paging":           "failed/could-not-run",
		"forcesync/okta/group-push":       "skipped/",
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %v\nwant %v", got, want)
	}
}

func TestOversizedSnapshotsAreDroppedAndSaidSo(t *testing.T) {
	r := fixtureReport()
	big := snap("acct-bob", true)
	for i := 0; len(big.Users) < 4000; i++ {
		big.Users = append(big.Users, big.Users[0])
	}
	r.SpecReports[1].ReportEntries[2] = entry(EntrySnapshots, snapshotsJSON(big, big))
	run := FromGinkgo(r, Options{})
	c := run.Cases[0]
	if c.Snapshots != nil || !strings.Contains(c.SnapshotsOmitted, "over the") {
		t.Fatalf("snapshots kept (%v) or no reason given (%q)", c.Snapshots != nil, c.SnapshotsOmitted)
	}
	var b bytes.Buffer
	if err := EncodeJUnit(&b, run); err != nil {
		t.Fatal(err)
	}
	if b.Len() > MaxSnapshotsBytes {
		t.Fatalf("the JUnit is %d bytes", b.Len())
	}
	if !strings.Contains(b.String(), `name="snapshots-omitted"`) {
		t.Fatal("the JUnit does not say the snapshots were dropped")
	}
}

func TestMergeKeepsTheScenarioOrder(t *testing.T) {
	run := fixtureRun()
	a := &Run{Cases: []Case{run.Cases[2], run.Cases[0]}, Time: time.Second, Start: t0.Add(time.Second)}
	b := &Run{Cases: []Case{run.Cases[1]}, Time: 2 * time.Second, Start: t0}
	m := Merge("gate", []string{"identical-repush", "case-change", "paging"}, a, nil, b)
	var names []string
	for _, c := range m.Cases {
		names = append(names, c.Scenario())
	}
	if !reflect.DeepEqual(names, []string{"identical-repush", "case-change", "paging"}) || m.Time != 2*time.Second || !m.Start.Equal(t0) {
		t.Fatalf("merged %q, time %s, start %s", names, m.Time, m.Start)
	}
}

// No report names a line of scimreplay's own source (a build machine's path to
// suites/forcesync/forcesync.go, or to the harness): a failure located there, or a panic, keeps
// only its words. A failure in a team's own suite keeps its file:line, which is theirs to read.
func TestReportsLeaveOutTheHarnessSourceLocations(t *testing.T) {
	report := fixtureReport()
	spec := func(name string) types.SpecReport {
		return types.SpecReport{ContainerHierarchyTexts: []string{"ours"}, LeafNodeType: types.NodeTypeIt, LeafNodeText: name, StartTime: t0}
	}
	team := spec("keeps-links")
	team.State = types.SpecStateFailed
	team.Failure = types.Failure{Message: "link acct-bob moved", Location: types.CodeLocation{FileName: "/src/acme/scim/suite_test.go", LineNumber: 57}}
	crash := spec("panics")
	crash.State = types.SpecStatePanicked
	crash.Failure = types.Failure{Message: "Test Panicked", ForwardedPanic: "runtime error: index out of range [3] with length 3",
		Location: types.CodeLocation{FileName: sourceRoot + "harness/diff.go", LineNumber: 88, FullStackTrace: sourceRoot + "harness/diff.go:88 +0x1d"}}
	setup := types.SpecReport{LeafNodeType: types.NodeTypeBeforeSuite, State: types.SpecStateFailed,
		Failure: types.Failure{Message: "no Docker daemon answers", Location: types.CodeLocation{FileName: sourceRoot + "fakes/reference/suite.go", LineNumber: 35}}}
	report.SpecReports = append(report.SpecReports, team, crash, setup)
	run := FromGinkgo(report, Options{Name: "scimreplay gate", Suite: "forcesync", Target: "reference-directory"})

	var junit bytes.Buffer
	if err := EncodeJUnit(&junit, run); err != nil {
		t.Fatal(err)
	}
	md, page := render(t, run)
	goLine := regexp.MustCompile(`[\w./-]+\.go:\d+`)
	for name, text := range map[string]string{"junit.xml": junit.String(), "summary.md": md, "report.html": page} {
		for _, loc := range goLine.FindAllString(text, -1) {
			if loc != "/src/acme/scim/suite_test.go:57" {
				t.Errorf("%s names a source location of the harness: %s", name, loc)
			}
		}
		if strings.Contains(text, sourceRoot) {
			t.Errorf("%s holds the build machine's path %s", name, sourceRoot)
		}
		for _, words := range []string{"link acct-bob → none", "no Docker daemon answers", "panic: runtime error: index out of range"} {
			if !strings.Contains(text, words) {
				t.Errorf("%s lost the failure's words %q", name, words)
			}
		}
	}
	if !strings.Contains(junit.String(), "at /src/acme/scim/suite_test.go:57") {
		t.Errorf("the JUnit lost the location of a team's own failing line:\n%s", junit.String())
	}
}

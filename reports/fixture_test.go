package reports

import (
	"encoding/json"
	"time"

	"github.com/onsi/ginkgo/v2/types"

	"github.com/scimreplay/scimreplay/harness"
)

// A token the fixture plants in every free-text field a report publishes; no artefact may hold it.
const (
	knownToken  = "srt_4f1d2c3b4a5968778695a4b3c2d1e0f1"
	bearerValue = "eyJhbGciOi.bearer-only-credential"
)

var active = true

var t0 = time.Date(2026, 11, 28, 17, 37, 28, 0, time.UTC)

func entry(name string, v any) types.ReportEntry {
	return types.ReportEntry{Name: name, Visibility: types.ReportEntryVisibilityNever, Value: types.WrapEntryValue(v)}
}

func snap(bobLink string, bobGroups bool, audit ...string) *harness.Snapshot {
	s := &harness.Snapshot{
		LinkProbed: true, AuditProbed: true,
		Users: []harness.UserState{
			{ID: "u-alice", UserName: "alice@acme.example", ExternalID: "00u1", Active: &active, PrimaryEmail: "alice@acme.example", Emails: []string{"alice@acme.example"}, Link: "acct-alice"},
			{ID: "u-bob", UserName: "bob@partner.example", ExternalID: "00u2", Active: &active, PrimaryEmail: "bob@partner.example", Emails: []string{"bob@partner.example"}, Link: bobLink},
		},
		Groups: []harness.GroupState{
			{ID: "g-conf", DisplayName: "confluence-users", Members: []string{"u-alice"}},
			{ID: "g-jira", DisplayName: "jira-users", Members: []string{"u-alice"}},
		},
		Audit: audit,
	}
	if bobGroups {
		s.Groups[0].Members = []string{"u-alice", "u-bob"}
		s.Groups[1].Members = []string{"u-alice", "u-bob"}
	}
	return s
}

func snapshotsJSON(before, after *harness.Snapshot) string {
	b, err := json.MarshalIndent(map[string]any{"before": before, "after": after}, "", "  ")
	if err != nil {
		panic(err)
	}
	return string(b)
}

// fixtureCoverage is what both snapshotted cases checked.
var fixtureCoverage = harness.Coverage{Users: 2, Groups: 2, Memberships: 4, LinkProbe: "attribute urn:x:atlassianAccountId", Linked: 2,
	AuditProbe: "/admin/audit", Classified: true, Unmanaged: 1, Settle: 2 * time.Second, Reads: 9}

const auditLine = "Email update to unmanaged user with ID u-bob, primary email bob@partner.example, unlinked any associated atlassian account."

// fixtureReport is a finished force-sync suite as Ginkgo reports it: a passed setup node, a
// passing scenario, a regression (ACCESS-1003), a scenario that could not run and one not selected.
func fixtureReport() types.Report {
	okBefore := snap("acct-bob", true)
	badBefore, badAfter := snap("acct-bob", true), snap("", false, auditLine)
	diff := harness.Compare(badBefore, badAfter, harness.TargetSpec{VerifiedDomains: []string{"acme.example"}}.Managed)
	it := func(name string) types.SpecReport {
		return types.SpecReport{
			ContainerHierarchyTexts:  []string{"forcesync", "okta"},
			ContainerHierarchyLabels: [][]string{{"idp:okta"}, {}},
			LeafNodeType:             types.NodeTypeIt,
			LeafNodeText:             name,
			LeafNodeLabels:           []string{"scenario:" + name},
			StartTime:                t0,
			RunTime:                  1500 * time.Millisecond,
		}
	}
	pass := it("identical-repush")
	pass.State = types.SpecStatePassed
	pass.ReportEntries = types.ReportEntries{
		entry(EntryScenarioFile, "okta/identical-repush.yaml"),
		entry(EntryCoverage, fixtureCoverage),
		entry(EntrySnapshots, snapshotsJSON(okBefore, snap("acct-bob", true))),
	}

	fail := it("case-change")
	fail.State = types.SpecStateFailed
	fail.Failure = types.Failure{
		Message: "the force sync changed link or membership state:\n" + diff.String(),
		// where Ginkgo records the failure: a line of the harness, which no report may name
		Location: types.CodeLocation{FileName: sourceRoot + "suites/forcesync/forcesync.go", LineNumber: 194},
	}
	fail.SpecEvents = types.SpecEvents{{SpecEventType: types.SpecEventByStart, Message: "starting the target reference-directory"}}
	fail.CapturedGinkgoWriterOutput = "\x1b[1mContainer started\x1b[0m with Authorization: Bearer " + bearerValue + "\n"
	fail.ReportEntries = types.ReportEntries{
		entry(EntryScenarioFile, "okta/case-change.yaml"),
		entry(EntryCoverage, fixtureCoverage),
		entry(EntrySnapshots, snapshotsJSON(badBefore, badAfter)),
		entry(EntryDiff, diff),
		entry(EntryVerdict, VerdictRegression),
		entry(EntryLogs, "directory: serving with token "+knownToken+"\n"),
		entry(EntryRequests, "2 requests sent:\nGET /scim/v2/Users?access_token="+knownToken+" → 200\nPUT /scim/v2/Users/u-bob → 200"),
	}

	cnr := it("paging")
	cnr.State = types.SpecStateFailed
	cnr.Failure = types.Failure{Message: "could not run: target reference-directory not ready after 1s: connection refused"}
	cnr.ReportEntries = types.ReportEntries{entry(EntryScenarioFile, "okta/paging.yaml"), entry(EntryVerdict, VerdictCouldNotRun)}

	skipped := it("group-push")
	skipped.State = types.SpecStateSkipped

	setup := types.SpecReport{LeafNodeType: types.NodeTypeBeforeSuite, State: types.SpecStatePassed}
	return types.Report{
		SuiteDescription: "Force sync",
		SuiteSucceeded:   false,
		StartTime:        t0,
		RunTime:          6 * time.Second,
		SpecReports:      types.SpecReports{setup, pass, fail, cnr, skipped},
	}
}

func fixtureRun() *Run {
	return FromGinkgo(fixtureReport(), Options{
		Name: "scimreplay gate", Suite: "forcesync", Target: "reference-directory",
		TargetImage: "scimreplay/directory:dev", VerifiedDomains: []string{"acme.example"},
	})
}

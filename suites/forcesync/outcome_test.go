package forcesync

import (
	"testing"

	"github.com/onsi/ginkgo/v2/types"

	"github.com/scimreplay/scimreplay/reports"
)

func spec(state types.SpecState, node types.NodeType, verdict string) types.SpecReport {
	s := types.SpecReport{State: state, LeafNodeType: node, LeafNodeText: "s"}
	if verdict != "" {
		s.ReportEntries = types.ReportEntries{{Name: reports.EntryVerdict, Value: types.WrapEntryValue(verdict)}}
	}
	return s
}

func TestOutcome(t *testing.T) {
	it, before := types.NodeTypeIt, types.NodeTypeBeforeSuite
	for name, c := range map[string]struct {
		specs []types.SpecReport
		ok    bool
		want  int
	}{
		"all passed":                   {[]types.SpecReport{spec(types.SpecStatePassed, it, "")}, true, 0},
		"state moved":                  {[]types.SpecReport{spec(types.SpecStateFailed, it, reports.VerdictRegression)}, false, 1},
		"failed assertion, no verdict": {[]types.SpecReport{spec(types.SpecStateFailed, it, "")}, false, 1},
		"target never started":         {[]types.SpecReport{spec(types.SpecStateFailed, it, reports.VerdictCouldNotRun)}, false, 2},
		"timed out":                    {[]types.SpecReport{spec(types.SpecStateTimedout, it, "")}, false, 2},
		"aborted":                      {[]types.SpecReport{spec(types.SpecStateAborted, it, "")}, false, 2},
		"panicked":                     {[]types.SpecReport{spec(types.SpecStatePanicked, it, "")}, false, 2},
		"no Docker daemon":             {[]types.SpecReport{spec(types.SpecStateFailed, before, "")}, false, 2},
		"suite failed, no spec did":    {[]types.SpecReport{spec(types.SpecStatePassed, it, "")}, false, 2},
		"a regression outranks":        {[]types.SpecReport{spec(types.SpecStateFailed, it, reports.VerdictCouldNotRun), spec(types.SpecStateFailed, it, reports.VerdictRegression)}, false, 1},
	} {
		r := types.Report{SuiteSucceeded: c.ok, SpecReports: c.specs}
		if got := Outcome(r); got != c.want {
			t.Errorf("%s: Outcome = %d, want %d", name, got, c.want)
		}
	}
}

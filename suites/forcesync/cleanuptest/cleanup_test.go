// Package cleanuptest proves that a panic in a force-sync spec still removes the spec's
// container: Ginkgo recovers the panic, runs the spec's DeferCleanup and the suite's AfterSuite
// (framework.Suite.TearDown).
// It is its own package because a package runs one Ginkgo suite.
package cleanuptest

import (
	"context"
	"fmt"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	. "github.com/onsi/ginkgo/v2"
	"github.com/onsi/ginkgo/v2/types"
	. "github.com/onsi/gomega"

	"github.com/scimreplay/scimreplay/fakes/reference"
	"github.com/scimreplay/scimreplay/harness"
	"github.com/scimreplay/scimreplay/harness/scenario"
	"github.com/scimreplay/scimreplay/suites/forcesync"
	"github.com/scimreplay/scimreplay/suites/framework"
)

// panicOnce is a progress writer that panics the first time it is told the target started,
// that is inside the spec, with the target's container running; it notes the run's containers
// just before.
type panicOnce struct {
	runID   string
	fired   atomic.Bool
	running []harness.SweptContainer
}

func (p *panicOnce) Write(b []byte) (int, error) {
	if strings.Contains(string(b), "target started") && p.fired.CompareAndSwap(false, true) {
		p.running, _ = harness.ListRun(context.Background(), p.runID)
		panic("a bug in a spec, with its target running")
	}
	return len(b), nil
}

// suiteT records the suite's failure without failing this test: a failed suite is expected.
type suiteT struct{ failed bool }

func (s *suiteT) Fail() { s.failed = true }

func TestPanicInASpecLeavesNoContainer(t *testing.T) {
	all, err := forcesync.LoadScenarios("")
	if err != nil {
		t.Fatal(err)
	}
	var one []*scenario.Scenario
	for _, sc := range all {
		if sc.Name == "identical-repush" {
			one = append(one, sc)
		}
	}
	if len(one) != 1 {
		t.Fatal("the catalogue has no identical-repush scenario")
	}
	runID := fmt.Sprintf("panic-%d", os.Getpid())
	progress := &panicOnce{runID: runID}
	suite := &framework.Suite{Target: reference.Target(nil, nil), RunID: runID, Progress: progress}
	reference.SuiteNodes(suite, true, "")
	forcesync.Specs(suite, forcesync.Okta, one)
	var report Report
	ReportAfterSuite("outcome", func(r Report) { report = r })
	RegisterFailHandler(Fail)
	st := &suiteT{}
	RunSpecs(st, "cleanup after a panic")

	if !progress.fired.Load() || len(progress.running) != 1 || progress.running[0].State != "running" {
		t.Fatalf("the spec did not panic with its target running (%v): the test proves nothing", progress.running)
	}
	if !st.failed {
		t.Error("a suite with a panicking spec did not fail")
	}
	var panicked int
	for _, s := range report.SpecReports {
		if s.LeafNodeType == types.NodeTypeIt && s.State == types.SpecStatePanicked {
			panicked++
		}
	}
	if panicked != 1 {
		t.Errorf("%d panicked specs, want 1", panicked)
	}
	if code := forcesync.Outcome(report); code != 2 {
		t.Errorf("outcome %d, want 2 (could not run)", code)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	left, err := harness.ListRun(ctx, runID)
	if err != nil {
		t.Fatal(err)
	}
	if len(left) > 0 {
		t.Errorf("containers of the panicked run survived it: %v", left)
		_, _ = harness.RemoveRun(ctx, runID)
	}
}

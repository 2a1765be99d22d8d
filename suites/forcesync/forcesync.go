// Package forcesync is the Ginkgo suite that proves a SCIM server keeps link and membership state
// through an identity provider's force sync. The spec tree is built by Define from a Config, so
// the same suite runs under `go test` (suite_test.go) and under `scimreplay gate`.
package forcesync

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	. "github.com/onsi/ginkgo/v2"
	"github.com/onsi/ginkgo/v2/types"
	. "github.com/onsi/gomega"

	"github.com/scimreplay/scimreplay/fakes/okta"
	"github.com/scimreplay/scimreplay/fakes/reference"
	"github.com/scimreplay/scimreplay/harness"
	"github.com/scimreplay/scimreplay/harness/matchers"
	"github.com/scimreplay/scimreplay/harness/scenario"
	"github.com/scimreplay/scimreplay/reports"
)

// Config is what one suite run gates.
type Config struct {
	Target harness.TargetSpec
	// Reference means Target is the built-in reference directory, whose image the suite builds.
	Reference      bool
	Scenarios      []*scenario.Scenario
	JUnitPath      string        // written from ReportAfterSuite when set
	ReportsDir     string        // summary.md and report.html go here (default: beside JUnitPath)
	RequestTimeout time.Duration // per request; harness.DefaultRequestTimeout when 0
	RunID          string        // labels every container of the run
	// Progress gets lines a person can follow on long runs (nil: GinkgoWriter).
	Progress io.Writer
}

// Verdict entry values, attached to each spec's report so a caller can tell a regression of the
// target (exit 1) from a run that could not be done (exit 2).
const (
	VerdictEntry = reports.EntryVerdict
	CouldNotRun  = reports.VerdictCouldNotRun
	Regression   = reports.VerdictRegression
)

// Report entry names: what the reports show of a spec (package reports reads them).
const (
	EntryDiff         = reports.EntryDiff
	EntryRequests     = reports.EntryRequests
	EntryLogs         = reports.EntryLogs
	EntrySnapshots    = reports.EntrySnapshots
	EntryScenarioFile = reports.EntryScenarioFile
	EntryCoverage     = reports.EntryCoverage
)

// Define builds the spec tree for cfg: one It per scenario, labelled idp:okta and
// scenario:<name>, so each is its own JUnit testcase and can be chosen with --label-filter.
func Define(cfg *Config) {
	var progress io.Writer = GinkgoWriter
	if cfg.Progress != nil {
		progress = cfg.Progress
	}
	BeforeSuite(func(ctx SpecContext) {
		harness.SetDockerLog(GinkgoWriter)
		if cfg.Target.URL != "" {
			return // a server already running: no container, no Docker daemon needed
		}
		Expect(harness.CheckDocker(ctx)).To(Succeed())
		if cfg.Reference {
			By("building the reference directory image " + reference.ImageTag)
			Expect(reference.BuildImage(ctx)).To(Succeed())
		}
	}, NodeTimeout(5*time.Minute))
	// The run's last cleanup layer (see harness/cleanup.go): remove every container this process
	// started under the run's label, however its spec ended. It also runs after a first interrupt.
	AfterSuite(func(ctx SpecContext) {
		waitTerminations()
		if cfg.Target.URL != "" {
			return // no container was started
		}
		removed, err := harness.RemoveOwn(ctx, cfg.RunID)
		for _, c := range removed {
			fmt.Fprintf(GinkgoWriter, "removed container %s\n", c)
		}
		if err != nil {
			fmt.Fprintf(GinkgoWriter, "remove the run's containers: %v\n", err)
		}
	}, NodeTimeout(time.Minute))

	if cfg.JUnitPath != "" || cfg.ReportsDir != "" {
		ReportAfterSuite("reports", func(r Report) {
			Expect(WriteReports(r, cfg)).To(Succeed())
		})
	}
	ReportAfterEach(func(r SpecReport) {
		if r.LeafNodeType == types.NodeTypeIt && r.State != types.SpecStateSkipped {
			fmt.Fprintf(progress, "  %s\n", progressResult(r))
		}
	})

	// Links are the headline invariant: a run that cannot check them says so before it starts.
	for _, line := range Caveats(cfg.Target) {
		fmt.Fprintln(progress, line)
	}

	// forcesync/okta/<scenario>: the JUnit testcase name (see package reports).
	Describe("forcesync", func() {
		Describe("okta", func() {
			for i, sc := range cfg.Scenarios {
				It(sc.Name, Label(ScenarioLabels(sc)...), func(ctx SpecContext) {
					AddReportEntry(EntryScenarioFile, sc.File, ReportEntryVisibilityNever)
					fmt.Fprintf(progress, "scenario %d/%d %s (%s)\n", i+1, len(cfg.Scenarios), sc.Name, sc.File)
					runScenario(ctx, cfg, sc, progress)
				}, NodeTimeout(10*time.Minute))
			}
		})
	})
}

// Caveats are what a run against target will not check, said at its start: no link probe,
// no audit probe, no verified domains.
func Caveats(target harness.TargetSpec) []string {
	var out []string
	if !target.LinkProbe.Enabled() {
		out = append(out, "note: "+harness.NoLinkProbe)
	}
	if !target.AuditProbe.Enabled() {
		out = append(out, "note: audit not checked: no audit probe (set --target-audit-path and --target-audit-pattern)")
	}
	if len(target.VerifiedDomains) == 0 {
		out = append(out, "note: "+harness.NoVerifiedDomains)
	}
	return out
}

// ScenarioLabels are the labels of a scenario's spec, which --label-filter matches.
func ScenarioLabels(sc *scenario.Scenario) []string {
	return append([]string{"idp:okta", "scenario:" + sc.Name}, sc.Labels...)
}

// progressResult is the line that closes a scenario in the progress output.
func progressResult(r SpecReport) string {
	run := reports.FromGinkgo(types.Report{SpecReports: types.SpecReports{r}, SuiteSucceeded: true}, reports.Options{})
	c := run.Cases[0]
	switch {
	case c.Status == reports.Passed && c.Coverage != nil:
		return fmt.Sprintf("PASS %s (checked %s) (%s)", r.LeafNodeText, c.Coverage.Short(), r.RunTime.Round(time.Millisecond))
	case c.Status == reports.Passed:
		return fmt.Sprintf("PASS %s (%s)", r.LeafNodeText, r.RunTime.Round(time.Millisecond))
	case c.Verdict == Regression:
		return fmt.Sprintf("FAIL %s: %s (%s)", r.LeafNodeText, reports.Moved(c), r.RunTime.Round(time.Millisecond))
	}
	return fmt.Sprintf("COULD NOT RUN %s: %s", r.LeafNodeText, reports.Moved(c))
}

// ReportRun reads a finished suite's report as package reports models it.
func ReportRun(r Report, cfg *Config) *reports.Run {
	return reports.FromGinkgo(r, ReportOptions(cfg.Target, "forcesync"))
}

// ReportOptions describe a target to package reports; suite names failed suite nodes
// (<suite>/[BeforeSuite]), the suite description when empty.
func ReportOptions(target harness.TargetSpec, suite string) reports.Options {
	spec := target.WithDefaults()
	image := spec.Image
	switch {
	case spec.Dockerfile != "":
		image = spec.Dockerfile
	case spec.URL != "":
		image = harness.RedactURL(spec.URL)
	}
	return reports.Options{
		Name: "scimreplay gate", Suite: suite, Target: spec.Name, TargetImage: image,
		VerifiedDomains: spec.VerifiedDomains,
	}
}

// WriteJUnit writes any suite's JUnit XML (see package reports) for a target.
func WriteJUnit(r Report, path string, target harness.TargetSpec) error {
	return reports.WriteJUnit(path, reports.FromGinkgo(r, ReportOptions(target, "")), target.Token)
}

// WriteReports writes junit.xml to cfg.JUnitPath, and summary.md and report.html to
// cfg.ReportsDir or, by default, beside the JUnit file.
func WriteReports(r Report, cfg *Config) error {
	dir := cfg.ReportsDir
	if dir == "" {
		dir = filepath.Dir(cfg.JUnitPath)
	}
	return reports.HumanIn(cfg.JUnitPath, dir).Write(ReportRun(r, cfg), cfg.Target.Token)
}

// couldNotRun fails the spec as a run that could not be done (exit 2).
// startFailure is the first failure to start the target in this process, if any.
var startFailure atomic.Pointer[startFailed]

type startFailed struct{ scenario, reason string }

func couldNotRun(format string, args ...any) {
	AddReportEntry(VerdictEntry, CouldNotRun)
	Fail(fmt.Sprintf("could not run: "+format, args...), 1)
}

// targetFailed fails the spec as a regression of the target (exit 1).
func targetFailed(format string, args ...any) {
	AddReportEntry(VerdictEntry, Regression)
	Fail(fmt.Sprintf(format, args...), 1)
}

// explain readies a replay or snapshot error for the report: it adds why the target's container
// stopped (killed, OOM, exit code) when it did, and redacts the token, which a careless target
// may echo in an error body.
func explain(ctx context.Context, target *harness.Target, err error) error {
	if err == nil {
		return nil
	}
	if harness.IsCouldNotRun(err) {
		if why := target.ContainerExit(ctx); why != "" {
			err = fmt.Errorf("%w; %s", err, why)
		}
	}
	return harness.RedactError(err, target.Spec.Token)
}

// terminations are the targets being removed in the background: a spec does not wait for its
// container to stop and go (a quarter of a small scenario's time on the gate, measured by
// make bench); the suite's AfterSuite waits for every one before its own sweep.
var (
	terminations  sync.WaitGroup
	terminateMu   sync.Mutex
	terminateErrs []error
)

func terminateInBackground(t *harness.Target) {
	terminations.Go(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if err := t.Terminate(ctx); err != nil {
			terminateMu.Lock()
			terminateErrs = append(terminateErrs, err)
			terminateMu.Unlock()
		}
	})
}

// waitTerminations waits for the background removals and logs any that failed (the AfterSuite's
// sweep by run label then removes what is left).
func waitTerminations() {
	terminations.Wait()
	terminateMu.Lock()
	defer terminateMu.Unlock()
	for _, err := range terminateErrs {
		fmt.Fprintf(GinkgoWriter, "terminate target: %v\n", err)
	}
	terminateErrs = nil
}

// check classifies a replay error: a run that could not be done (exit 2), or a regression of
// the target (exit 1).
func check(err error) {
	if err == nil {
		return
	}
	if okta.IsCouldNotRun(err) {
		couldNotRun("%v", err)
	}
	// Only err's own text is used: it is the redacted one (an error it wraps may hold the
	// token a careless target echoed).
	var pe *okta.PhaseError
	if errors.As(err, &pe) {
		targetFailed("%s: the target failed Okta's traffic: %s", pe.Phase, strings.TrimPrefix(err.Error(), pe.Phase+": "))
	}
	targetFailed("the target failed Okta's traffic: %v", err)
}

func runScenario(ctx context.Context, cfg *Config, sc *scenario.Scenario, progress io.Writer) {
	spec := cfg.Target
	spec.Labels = harness.RunLabels(cfg.RunID)
	if cfg.Reference {
		spec.Token = harness.RandomToken()
	}

	if first := startFailure.Load(); first != nil {
		// The same target already failed to start in this run: waiting out its startup
		// timeout again for every scenario would only make the verdict late.
		couldNotRun("the target did not start for scenario %s: %s", first.scenario, first.reason)
	}
	By("starting the target " + spec.WithDefaults().Name)
	target, err := harness.Run(ctx, spec)
	DeferCleanup(func() { terminateInBackground(target) })
	var requests harness.ExchangeLog
	DeferCleanup(func(ctx SpecContext) {
		if !CurrentSpecReport().Failed() {
			return
		}
		if logs, err := target.Logs(ctx); err == nil && logs != "" {
			AddReportEntry(EntryLogs, ReportEntryVisibilityNever, logs)
		}
		if s := requests.String(); s != "" {
			AddReportEntry(EntryRequests, ReportEntryVisibilityNever, s)
		}
	}, NodeTimeout(time.Minute))
	if err != nil {
		startFailure.CompareAndSwap(nil, &startFailed{scenario: sc.Name, reason: err.Error()})
		couldNotRun("%v", err)
	}
	fmt.Fprintf(progress, "  target started: %s\n", target.Spec.Name)

	client, err := target.Client(ctx)
	if err != nil {
		couldNotRun("%v", err)
	}
	if cfg.RequestTimeout > 0 {
		client.Timeout = cfg.RequestTimeout
	}
	client.Observe(requests.Add)
	replayer := &okta.Replayer{Client: client, Progress: progress}
	res, err := replayer.Replay(ctx, sc, cfg.RunID, okta.Options{
		Probes:  harness.Probes{Link: spec.LinkProbe, Audit: spec.AuditProbe},
		Managed: spec.Classifier(),
		Settle:  spec.SettleWindow(),
		Step:    func(s string) { By(s) },
	})
	if res.Before != nil {
		AddReportEntry(EntryCoverage, ReportEntryVisibilityNever, res.Coverage)
	}
	if res.Before != nil && res.After != nil {
		if b, err := json.MarshalIndent(map[string]any{"before": res.Before, "after": res.After}, "", "  "); err == nil {
			AddReportEntry(EntrySnapshots, ReportEntryVisibilityNever, harness.Redact(string(b), target.Spec.Token))
		}
	}
	check(explain(ctx, target, err))
	if !res.Diff.Empty() {
		AddReportEntry(EntryDiff, ReportEntryVisibilityNever, res.Diff)
		AddReportEntry(VerdictEntry, Regression)
	}
	Expect(res.Diff).To(matchers.MoveNothing())
}

// Outcome reads a finished suite's report: 0 every invariant held, 1 the target regressed, 2 the
// run could not be done. The rule is the reports package's (reports.Run.Code over the cases of
// reports.FromGinkgo), so the exit code and the reports never disagree.
func Outcome(r types.Report) int {
	return reports.FromGinkgo(r, reports.Options{}).Code()
}

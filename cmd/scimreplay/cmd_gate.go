package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/onsi/ginkgo/v2"
	"github.com/onsi/ginkgo/v2/types"

	"github.com/scimreplay/scimreplay/harness"
	"github.com/scimreplay/scimreplay/reports"
	"github.com/scimreplay/scimreplay/suites/forcesync"
)

func init() {
	register("gate", "replay recorded force syncs against a SCIM target and check links and memberships (exit 0/1/2)", runGate)
}

// runGate runs the Ginkgo force-sync specs in this process, as a suite of its own that uses the
// framework as any team's suite does (its own BeforeSuite, AfterSuite and ReportAfterSuite): the
// same specs `make test` runs.
func runGate(args []string, stdout, stderr io.Writer) int {
	sigs := watchSignals()
	defer sigs.stop()
	fs := flag.NewFlagSet("gate", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var opts forcesync.Options
	opts.Bind(fs, os.Getenv)
	var ref referenceFlags
	ref.bind(fs, os.Getenv)
	labelFilter := fs.String("label-filter", "", "run only the scenarios whose labels match this Ginkgo label filter, e.g. 'scenario:identical-repush'")
	verbose := fs.Bool("v", false, "verbose: add Ginkgo's detail to the output (every step and timeline of every scenario, failure blocks, a panic's stack)")
	parallel := fs.Int("parallel", 1, "run the scenarios in N processes side by side, each starting its own containers")
	reportsDir := fs.String("reports-dir", "", "write summary.md and report.html here (default: beside --junit)")
	shard := fs.String("shard", "", "run only these scenarios, a comma list of names (what --parallel gives each process)")
	sweepAfter := fs.Duration("sweep-stale-after", 10*time.Minute, "first remove containers of earlier runs whose gate process is gone and that are at least this old (0: no sweep)")
	if err := fs.Parse(args); err != nil {
		return exitCannotRun
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "scimreplay gate: unexpected arguments %q\n", fs.Args())
		return exitCannotRun
	}
	if err := checkLabelFilter(*labelFilter); err != nil {
		fmt.Fprintf(stderr, "scimreplay gate: --label-filter: %v\n", err)
		return exitCannotRun
	}
	if *parallel < 1 {
		fmt.Fprintf(stderr, "scimreplay gate: --parallel must be at least 1\n")
		return exitCannotRun
	}
	bad := func(err error) int {
		fmt.Fprintf(stderr, "scimreplay gate: %v\n", err)
		return exitCannotRun
	}
	spec, buildReference, err := ref.target(&opts.Target)
	defer ref.close() // the reference directory served in process, if any
	if err != nil {
		return bad(err)
	}
	suite, err := opts.Suite(spec)
	if err != nil {
		return bad(err)
	}
	scs, err := opts.Load(spec, suite.ID())
	if err != nil {
		return bad(err)
	}
	if scs, err = selectScenarios(scs, *labelFilter, *shard); err != nil {
		return bad(err)
	}
	if *parallel > 1 && *shard == "" && len(scs) > 1 {
		return runParallel(args, scs, *parallel, opts.JUnit, *reportsDir, stdout, stderr)
	}
	suite.Progress = stdout
	fmt.Fprintf(stdout, "run %s: its containers carry the label %s=%s\n", suite.ID(), harness.LabelRun, suite.ID())
	for _, line := range forcesync.Caveats(spec) {
		fmt.Fprintln(stdout, line)
	}
	quietDocker()
	// Every gate sweeps what crashed runs left (without a Docker daemon there is nothing to do);
	// only a run that starts containers has its own to remove at the end.
	if *sweepAfter > 0 {
		sweepStale(stdout, stderr, *sweepAfter)
	}
	if s := sigs.received(); s != nil {
		fmt.Fprintf(stdout, "interrupted by %s before the run started (exit 2)\n", signalName(s))
		return exitCannotRun
	}
	lifecycle(suite, buildReference)
	var report types.Report
	var reportErr error
	ginkgo.ReportAfterSuite("reports", func(r ginkgo.Report) {
		report = r
		if opts.JUnit != "" || *reportsDir != "" {
			reportErr = forcesync.WriteReports(r, spec, opts.JUnit, *reportsDir)
		}
	})
	forcesync.SpecsByIdP(suite, scs, opts.EntraDialect)

	passed := runSuite("Force sync", *labelFilter, *verbose, stdout)
	code := forcesync.Outcome(report)
	code = unreported(code, passed, reportErr, *verbose, report, stdout, stderr, "gate")
	if spec.URL == "" {
		removeOwn(stdout, stderr, sigs, suite.ID())
	}
	if s := sigs.received(); s != nil {
		fmt.Fprintf(stdout, "\ninterrupted by %s: the remaining scenarios were skipped and the run's containers removed\n", signalName(s))
		if code != exitRegression {
			code = exitCannotRun
		}
	}
	printVerdict(stdout, forcesync.ReportRun(report, spec), code)
	return code
}

// removeOwn makes sure no container of this run outlives it, whatever the specs did (a second
// interrupt skips their cleanups); a further signal gives up here, leaving the rest to the next
// run's sweep.
func removeOwn(stdout, stderr io.Writer, sigs *signalWatch, runID string) {
	ctx, cancel := sigs.cleanupContext(time.Minute)
	defer cancel()
	removed, err := harness.RemoveOwn(ctx, runID)
	if len(removed) > 0 {
		fmt.Fprintf(stdout, "removed %d container(s) the run's specs left\n", len(removed))
	}
	if err != nil {
		fmt.Fprintf(stderr, "scimreplay gate: remove the run's containers: %v\n", err)
	}
}

// sweepStale removes the containers crashed or killed earlier runs left (see harness.SweepStale);
// it never touches a run whose gate process is still alive.
func sweepStale(stdout, stderr io.Writer, minAge time.Duration) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	swept, err := harness.SweepStale(ctx, harness.SweepOptions{MinAge: minAge})
	for _, c := range swept {
		fmt.Fprintf(stdout, "removed a stale container: %s\n", c)
	}
	if err != nil {
		fmt.Fprintf(stderr, "scimreplay gate: sweep stale containers: %v\n", err)
		return // no Docker daemon: the suite says so
	}
	if images, err := harness.PruneImages(ctx, minAge); len(images) > 0 {
		fmt.Fprintf(stdout, "removed %d image(s) that earlier builds left untagged\n", len(images))
	} else if err != nil {
		fmt.Fprintf(stderr, "scimreplay gate: prune images: %v\n", err)
	}
}

func checkLabelFilter(f string) error {
	if f == "" {
		return nil
	}
	_, err := types.ParseLabelFilter(f)
	return err
}

// maxVerdictLines bounds each failed scenario's diff in the closing list; the JUnit and the
// human reports (and -v's Ginkgo output) hold it whole.
const maxVerdictLines = 25

func printVerdict(w io.Writer, r *reports.Run, code int) {
	fmt.Fprintln(w)
	// A run of more than one IdP's catalogue names each case by its IdP too (the same scenario
	// name may be in both), in the reports' order: suite nodes, then Okta, then Entra.
	groups := reports.ByIdP(r.Cases)
	idps := 0
	var cases []reports.Case
	for _, g := range groups {
		if g.IdP != "" {
			idps++
		}
		cases = append(cases, g.Cases...)
	}
	for _, c := range cases {
		if c.Status == reports.Skipped {
			continue
		}
		name := c.Scenario()
		if idps > 1 && c.IdP() != "" {
			name = c.IdP() + "/" + name
		}
		status := "PASS"
		switch {
		case c.Failed() && c.Verdict == reports.VerdictRegression:
			status = "FAIL"
		case c.Failed():
			status = "COULD NOT RUN"
		}
		if c.Coverage != nil {
			fmt.Fprintf(w, "%s %s — checked %s\n", status, name, c.Coverage.Short())
		} else {
			fmt.Fprintf(w, "%s %s\n", status, name)
		}
		if c.Failed() {
			lines := strings.Split(strings.TrimSpace(c.Message), "\n")
			shown := lines
			if len(lines) > maxVerdictLines {
				shown = lines[:maxVerdictLines]
			}
			for _, line := range shown {
				fmt.Fprintf(w, "    %s\n", line)
			}
			if len(shown) < len(lines) {
				fmt.Fprintf(w, "    … %d more lines in the JUnit and summary.md\n", len(lines)-len(shown))
			}
		}
	}
	for _, cv := range r.Caveats() {
		fmt.Fprintln(w, "not checked: "+cv)
	}
	fmt.Fprintln(w, "verdict: "+r.Verdict(code))
}

package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/onsi/ginkgo/v2"
	"github.com/onsi/ginkgo/v2/types"
	"github.com/onsi/gomega"

	"github.com/scimreplay/scimreplay/reports"
	"github.com/scimreplay/scimreplay/suites/forcesync"
)

func init() {
	register("gate", "replay recorded force syncs against a SCIM target and check links and memberships (exit 0/1/2)", runGate)
}

// gateT is the testing.T stand-in Ginkgo reports a failed suite to.
type gateT struct{ failed bool }

func (t *gateT) Fail() { t.failed = true }

// runGate runs the Ginkgo force-sync suite in this process: the same suite `make test` runs.
func runGate(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("gate", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var opts forcesync.Options
	opts.Bind(fs, os.Getenv)
	labelFilter := fs.String("label-filter", "", "run only the scenarios whose labels match this Ginkgo label filter, e.g. 'scenario:identical-repush'")
	verbose := fs.Bool("v", false, "verbose: show every step of every scenario")
	parallel := fs.Int("parallel", 1, "run the scenarios in N processes side by side, each starting its own containers")
	reportsDir := fs.String("reports-dir", "", "write summary.md and report.html here (default: beside --junit)")
	shard := fs.String("shard", "", "run only these scenarios, a comma list of names (what --parallel gives each process)")
	if err := fs.Parse(args); err != nil {
		return exitCannotRun
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "scimreplay gate: unexpected arguments %q\n", fs.Args())
		return exitCannotRun
	}
	cfg, err := opts.Config()
	if err != nil {
		fmt.Fprintf(stderr, "scimreplay gate: %v\n", err)
		return exitCannotRun
	}
	if cfg.Scenarios, err = selectScenarios(cfg.Scenarios, *labelFilter, *shard); err != nil {
		fmt.Fprintf(stderr, "scimreplay gate: %v\n", err)
		return exitCannotRun
	}
	cfg.ReportsDir = *reportsDir
	if *parallel < 1 {
		fmt.Fprintf(stderr, "scimreplay gate: --parallel must be at least 1\n")
		return exitCannotRun
	}
	if *parallel > 1 && *shard == "" && len(cfg.Scenarios) > 1 {
		return runParallel(args, cfg.Scenarios, *parallel, opts.JUnit, *reportsDir, stdout, stderr)
	}
	cfg.Progress = stdout
	forcesync.Define(cfg)
	var report types.Report
	ginkgo.ReportAfterSuite("outcome", func(r ginkgo.Report) { report = r })

	suiteCfg, repCfg := ginkgo.GinkgoConfiguration()
	suiteCfg.LabelFilter = *labelFilter
	repCfg.NoColor = os.Getenv("NO_COLOR") != "" || os.Getenv("CI") != ""
	repCfg.ForceNewlines = true // so each progress line starts a line of its own, after Ginkgo's dot
	if *verbose {
		repCfg.Verbose = true
	}
	if err := checkLabelFilter(*labelFilter); err != nil {
		fmt.Fprintf(stderr, "scimreplay gate: --label-filter: %v\n", err)
		return exitCannotRun
	}
	gomega.RegisterFailHandler(ginkgo.Fail)
	t := &gateT{}
	ginkgo.RunSpecs(t, "Force sync", suiteCfg, repCfg)
	code := forcesync.Outcome(report)
	printVerdict(stdout, forcesync.ReportRun(report, cfg), code)
	return code
}

func checkLabelFilter(f string) error {
	if f == "" {
		return nil
	}
	_, err := types.ParseLabelFilter(f)
	return err
}

func printVerdict(w io.Writer, r *reports.Run, code int) {
	fmt.Fprintln(w)
	for _, c := range r.Cases {
		if c.Status == reports.Skipped {
			continue
		}
		status := "PASS"
		if c.Failed() {
			status = "FAIL"
		}
		fmt.Fprintf(w, "%s %s\n", status, c.Scenario())
		if c.Failed() {
			for _, line := range strings.Split(strings.TrimSpace(c.Message), "\n") {
				fmt.Fprintf(w, "    %s\n", line)
			}
		}
	}
	fmt.Fprintln(w, "verdict: "+reports.Verdict(code))
}

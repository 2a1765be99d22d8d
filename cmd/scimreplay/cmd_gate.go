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
	cfg.Progress = stdout
	forcesync.Define(cfg)
	var report types.Report
	ginkgo.ReportAfterSuite("outcome", func(r ginkgo.Report) { report = r })

	suiteCfg, repCfg := ginkgo.GinkgoConfiguration()
	suiteCfg.LabelFilter = *labelFilter
	repCfg.NoColor = os.Getenv("NO_COLOR") != "" || os.Getenv("CI") != ""
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
	printVerdict(stdout, report, code)
	return code
}

func checkLabelFilter(f string) error {
	if f == "" {
		return nil
	}
	_, err := types.ParseLabelFilter(f)
	return err
}

func printVerdict(w io.Writer, r types.Report, code int) {
	fmt.Fprintln(w)
	for _, s := range r.SpecReports {
		if s.LeafNodeType != types.NodeTypeIt || s.State == types.SpecStateSkipped {
			continue
		}
		status := "PASS"
		if s.Failed() {
			status = "FAIL"
		}
		fmt.Fprintf(w, "%s %s\n", status, s.LeafNodeText)
		if s.Failed() {
			for _, line := range strings.Split(strings.TrimSpace(s.Failure.Message), "\n") {
				fmt.Fprintf(w, "    %s\n", line)
			}
		}
	}
	switch code {
	case exitOK:
		fmt.Fprintln(w, "verdict: PASS — every link and membership held (exit 0)")
	case exitRegression:
		fmt.Fprintln(w, "verdict: FAIL — the target changed link or membership state, or failed Okta's traffic (exit 1)")
	default:
		fmt.Fprintln(w, "verdict: COULD NOT RUN — see the reasons above (exit 2)")
	}
}

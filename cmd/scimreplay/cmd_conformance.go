package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"github.com/onsi/ginkgo/v2"
	"github.com/onsi/ginkgo/v2/types"

	"github.com/scimreplay/scimreplay/reports"
	"github.com/scimreplay/scimreplay/suites/conformance"
	"github.com/scimreplay/scimreplay/suites/forcesync"
	"github.com/scimreplay/scimreplay/suites/framework"
)

func init() {
	register("conformance", "check that a SCIM target does what Okta and Entra require before any sync can be trusted (exit 0/1/2)", runConformance)
}

// runConformance runs the Ginkgo conformance suite in this process: the same suite `make test`
// runs (suites/conformance), with the gate's target flags.
func runConformance(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("conformance", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var opts framework.Flags
	opts.Bind(fs, os.Getenv)
	var ref referenceFlags
	ref.bind(fs, os.Getenv)
	labelFilter := fs.String("label-filter", "", "run only the checks whose labels match this Ginkgo label filter, e.g. 'conformance:lookup-case-insensitive'")
	verbose := fs.Bool("v", false, "verbose: add Ginkgo's detail to the output (every step and timeline of every check, failure blocks, a panic's stack)")
	list := fs.Bool("list", false, "list the checks and their labels, and exit")
	if err := fs.Parse(args); err != nil {
		return exitCannotRun
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "scimreplay conformance: unexpected arguments %q\n", fs.Args())
		return exitCannotRun
	}
	if *list {
		for _, c := range conformance.Checks() {
			fmt.Fprintf(stdout, "%-45s %s\n", conformance.LabelPrefix+c.Name, c.Requirement)
		}
		return exitOK
	}
	if err := checkLabelFilter(*labelFilter); err != nil {
		fmt.Fprintf(stderr, "scimreplay conformance: --label-filter: %v\n", err)
		return exitCannotRun
	}
	spec, buildReference, err := ref.target(&opts.Target)
	defer ref.close() // the reference directory served in process, if any
	if err != nil {
		fmt.Fprintf(stderr, "scimreplay conformance: %v\n", err)
		return exitCannotRun
	}
	suite, err := opts.Suite(spec)
	if err != nil {
		fmt.Fprintf(stderr, "scimreplay conformance: %v\n", err)
		return exitCannotRun
	}
	suite.Progress = stdout
	quietDocker()
	lifecycle(suite, buildReference)
	var report types.Report
	var reportErr error
	ginkgo.ReportAfterSuite("outcome", func(r ginkgo.Report) {
		report = r
		if opts.JUnit != "" {
			run := reports.FromGinkgo(r, forcesync.ReportOptions(spec, ""))
			reportErr = reports.WriteJUnit(opts.JUnit, run, spec.Token)
		}
	})
	conformance.Specs(suite)
	passed := runSuite("Conformance", *labelFilter, *verbose, stdout)
	code := forcesync.Outcome(report)
	code = unreported(code, passed, reportErr, *verbose, report, stdout, stderr, "conformance")
	printConformance(stdout, report, code)
	return code
}

func printConformance(w io.Writer, r types.Report, code int) {
	fmt.Fprintln(w)
	// In the order of the checks, whatever order the specs ran in.
	rank := map[string]int{}
	for i, c := range conformance.Checks() {
		rank[c.Requirement] = i
	}
	specs := slices.Clone(r.SpecReports)
	slices.SortStableFunc(specs, func(a, b types.SpecReport) int { return rank[a.LeafNodeText] - rank[b.LeafNodeText] })
	var missing []string
	anyFailed := false
	ran := map[string]bool{} // the identity providers whose checks ran
	for _, s := range specs {
		anyFailed = anyFailed || s.Failed()
		if s.LeafNodeType != types.NodeTypeIt {
			if s.Failed() { // a suite node (no Docker daemon, the image build): no check could run
				fmt.Fprintf(w, "COULD NOT RUN [%s]\n", s.LeafNodeType)
				indentLines(w, failureText(s))
			}
			continue
		}
		if s.State == types.SpecStateSkipped && s.Failure.Message == "" {
			continue
		}
		label := strings.Join(s.Labels(), " ")
		for _, l := range s.Labels() {
			if strings.HasPrefix(l, conformance.LabelPrefix) {
				label = l
			}
			if idp, ok := strings.CutPrefix(l, "idp:"); ok {
				ran[idp] = true
			}
		}
		status := "PASS"
		switch {
		case s.Failed():
			status = "FAIL"
			missing = append(missing, label)
		case s.State == types.SpecStateSkipped:
			status = "SKIP"
		}
		fmt.Fprintf(w, "%s %-45s %s\n", status, label, s.LeafNodeText)
		if s.Failed() || s.State == types.SpecStateSkipped {
			indentLines(w, failureText(s))
		}
	}
	if !r.SuiteSucceeded && !anyFailed && len(r.SpecialSuiteFailureReasons) > 0 {
		fmt.Fprintln(w, "COULD NOT RUN the suite")
		indentLines(w, strings.Join(r.SpecialSuiteFailureReasons, "\n"))
	}
	var idps []string
	for _, idp := range []struct{ label, name string }{{"okta", "Okta"}, {"entra", "Entra"}} {
		if ran[idp.label] {
			idps = append(idps, idp.name)
		}
	}
	requires := "Okta requires"
	switch len(idps) {
	case 1:
		requires = idps[0] + " requires"
	case 2:
		requires = idps[0] + " and " + idps[1] + " require"
	}
	switch code {
	case exitOK:
		fmt.Fprintf(w, "verdict: PASS — the target does what %s (exit 0)\n", requires)
	case exitRegression:
		fmt.Fprintf(w, "verdict: FAIL — the target lacks what %s: %s (exit 1)\n", requires, strings.Join(missing, ", "))
	default:
		fmt.Fprintln(w, "verdict: COULD NOT RUN — see the reasons above (exit 2)")
	}
}

// failureText is a failed or skipped spec's reason, a panic's value included.
func failureText(s types.SpecReport) string {
	text := s.Failure.Message
	if s.State == types.SpecStatePanicked && s.Failure.ForwardedPanic != "" {
		text += "\npanic: " + s.Failure.ForwardedPanic
	}
	return strings.TrimSpace(text)
}

func indentLines(w io.Writer, text string) {
	for _, line := range strings.Split(text, "\n") {
		fmt.Fprintf(w, "    %s\n", line)
	}
}

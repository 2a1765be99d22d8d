package main

import (
	"fmt"
	"io"
	"os"

	"github.com/onsi/ginkgo/v2"
	"github.com/onsi/ginkgo/v2/formatter"
	"github.com/onsi/ginkgo/v2/types"
	"github.com/onsi/gomega"
	"golang.org/x/term"
)

// gateT is the testing.T stand-in Ginkgo reports a failed suite to.
type gateT struct{ failed bool }

func (t *gateT) Fail() { t.failed = true }

// runSuite runs the specs registered so far in this process, as the gate and conformance do, and
// reports whether Ginkgo saw the suite pass.
//
// What a user reads is the command's own: the progress lines (framework.Suite.Progress) and the
// closing verdict, which carries every failure's words; the reports hold the rest. Ginkgo's own
// console reporter — per-spec blocks and timelines, failure blocks with the harness's source
// locations, the "Ran N of M Specs" banner — only interleaves with them, so it writes nowhere
// unless verbose, when it writes its full detail (timelines as they happen) to stdout.
//
// Ginkgo has no option for that (ReporterConfig has no writer and no mute, onsi/ginkgo#1485):
// RunSpecs hands its default reporter formatter.ColorableStdOut, an exported variable it reads
// when it starts, so that is set for the run and put back after. In verbose mode GinkgoWriter
// (each spec's own lines: testcontainers') streams to the process's stdout, which is stdout
// whenever the command runs as the scimreplay binary.
func runSuite(description, labelFilter string, verbose bool, stdout io.Writer) bool {
	suiteCfg, repCfg := ginkgo.GinkgoConfiguration()
	suiteCfg.LabelFilter = labelFilter
	repCfg.NoColor = !colourful(stdout, os.Getenv)
	repCfg.Verbose = verbose
	repCfg.ForceNewlines = true // a progress line never continues a line Ginkgo left open

	out := io.Discard
	if verbose {
		out = stdout
	}
	saved := formatter.ColorableStdOut
	formatter.ColorableStdOut = out
	defer func() { formatter.ColorableStdOut = saved }()

	gomega.RegisterFailHandler(ginkgo.Fail)
	t := &gateT{}
	ginkgo.RunSpecs(t, description, suiteCfg, repCfg)
	return !t.failed
}

// colourful reports whether w may get ANSI colour: it is a terminal, and neither NO_COLOR
// (no-color.org: set and not empty) nor CI is set. A file, a pipe or a CI log gets none.
func colourful(w io.Writer, getenv func(string) string) bool {
	if getenv("NO_COLOR") != "" || getenv("CI") != "" {
		return false
	}
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// panicked reports whether a spec or suite node of the finished suite panicked: its reason is in
// the verdict, and where it panicked only in Ginkgo's detail (-v).
func panicked(r types.Report) bool {
	for _, s := range r.SpecReports {
		if s.State == types.SpecStatePanicked {
			return true
		}
	}
	return false
}

// unreported adds to a finished suite's exit code (code, from its report) what the report
// cannot say, now that Ginkgo's own output is not shown: the reports could not be written
// (reportErr; exit 2, as a parallel gate's merge does), Ginkgo failed the suite after the report
// was taken (passed false with a report that passed: exit 2, never a silent pass), and a panic's
// whereabouts, which only -v shows.
func unreported(code int, passed bool, reportErr error, verbose bool, r types.Report, stdout, stderr io.Writer, cmd string) int {
	if reportErr != nil {
		fmt.Fprintf(stderr, "scimreplay %s: %v\n", cmd, reportErr)
		code = max(code, exitCannotRun)
	} else if !passed && code == exitOK {
		fmt.Fprintf(stderr, "scimreplay %s: Ginkgo failed the suite after its report was taken; run again with -v for Ginkgo's detail\n", cmd)
		code = exitCannotRun
	}
	if !verbose && panicked(r) {
		fmt.Fprintln(stdout, "a spec panicked: its reason is below; run again with -v for where (Ginkgo's stack trace)")
	}
	return code
}

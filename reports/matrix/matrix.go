// Package matrix runs the detection matrix, the harness's own regression test: the gate against
// the reference directory once with no fault, which must pass every scenario, and once per fault
// mode, which at least one scenario must catch. Each row is a child `scimreplay gate
// --reference-faults X` process (Ginkgo's RunSpecs runs once per process), a few at a time; the
// matrix reads what each found from its JUnit.
package matrix

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/scimreplay/scimreplay/reports"
)

// Row verdicts.
const (
	Caught      = "CAUGHT"        // a fault turned at least one scenario red
	Missed      = "MISSED"        // a fault went through every scenario unseen
	Pass        = "PASS"          // the clean directory passed every scenario
	FalseAlarm  = "FAIL"          // the clean directory failed a scenario
	CouldNotRun = "COULD NOT RUN" // the gate could not be run
)

// CleanRow names the row of the directory with no fault.
const CleanRow = "(none: clean directory)"

// Exit codes, as the gate's.
const (
	exitOK         = 0
	exitRegression = 1
	exitCannotRun  = 2
)

// Row is one gate run: the reference directory with one fault on, or none.
type Row struct {
	Fault    string // "" for the clean directory
	Dir      string // its junit.xml, summary.md, report.html and gate.log
	Code     int    // the gate's exit code
	Elapsed  time.Duration
	CaughtBy []string // scenarios that failed with a regression
	Broken   []string // scenarios that could not run
	Err      string   // why the row has no result
}

// Name is the fault, or CleanRow.
func (r *Row) Name() string {
	if r.Fault == "" {
		return CleanRow
	}
	return r.Fault
}

// Verdict judges the row.
func (r *Row) Verdict() string {
	switch {
	case r.Err != "":
		return CouldNotRun
	case r.Fault == "" && len(r.CaughtBy) > 0:
		return FalseAlarm
	case r.Fault == "" && len(r.Broken) == 0 && r.Code == exitOK:
		return Pass
	case r.Fault != "" && len(r.CaughtBy) > 0:
		return Caught
	case r.Fault != "" && len(r.Broken) == 0 && r.Code == exitOK:
		return Missed
	}
	return CouldNotRun
}

// Summary is the row as one progress line.
func (r *Row) Summary() string {
	v := r.Verdict()
	s := fmt.Sprintf("%s: %s", r.Name(), v)
	switch {
	case v == Caught:
		s += " by " + strings.Join(r.CaughtBy, ", ")
	case v == FalseAlarm:
		s += ": the clean directory failed " + strings.Join(r.CaughtBy, ", ")
	case r.Err != "":
		s += ": " + r.Err
	case len(r.Broken) > 0:
		s += ": could not run " + strings.Join(r.Broken, ", ")
	}
	return s + fmt.Sprintf(" (%s)", r.Elapsed.Round(100*time.Millisecond))
}

// Options say what to run.
type Options struct {
	Exe      string   // the scimreplay binary
	Out      string   // each row's reports go to Out/runs/<fault or clean>/
	Faults   []string // the fault modes, one row each, after the clean row
	GateArgs []string // more flags for every gate (--scenarios, --label-filter)
	Jobs     int      // gates at a time (at least 1)
	Progress io.Writer
}

// Run runs every row, Jobs at a time, and returns them in order. Cancelling ctx interrupts the
// gates still running, so they remove their containers.
func Run(ctx context.Context, o Options) []*Row {
	rows := []*Row{{Fault: "", Dir: filepath.Join(o.Out, "runs", "clean")}}
	for _, f := range o.Faults {
		rows = append(rows, &Row{Fault: f, Dir: filepath.Join(o.Out, "runs", f)})
	}
	progress := o.Progress
	if progress == nil {
		progress = io.Discard
	}
	var mu sync.Mutex
	sem := make(chan struct{}, max(o.Jobs, 1))
	var wg sync.WaitGroup
	for i, row := range rows {
		sem <- struct{}{} // rows start in order, at most Jobs at a time
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			row.run(ctx, o.Exe, o.GateArgs)
			mu.Lock()
			defer mu.Unlock()
			fmt.Fprintf(progress, "  [%d/%d] %s\n", i+1, len(rows), row.Summary())
		}()
	}
	wg.Wait()
	return rows
}

// run gates the reference directory with the row's fault and reads what the gate found.
func (r *Row) run(ctx context.Context, exe string, gateArgs []string) {
	start := time.Now()
	defer func() { r.Elapsed = time.Since(start) }()
	if err := os.MkdirAll(r.Dir, 0o755); err != nil {
		r.Err = err.Error()
		return
	}
	logPath := filepath.Join(r.Dir, "gate.log")
	log, err := os.Create(logPath)
	if err != nil {
		r.Err = err.Error()
		return
	}
	defer log.Close()
	junit := filepath.Join(r.Dir, "junit.xml")
	os.Remove(junit) // a result of an earlier run must not pass for this one's
	args := append([]string{"gate", "--reference-faults=" + r.Fault, "--junit=" + junit}, gateArgs...)
	cmd := Command(ctx, exe, args...)
	cmd.Env = append(os.Environ(), "NO_COLOR=1")
	cmd.Stdout, cmd.Stderr = log, log
	r.Code = ExitCode(cmd.Run())
	if r.Code < 0 {
		r.Err = fmt.Sprintf("the gate did not run to its end; see %s", logPath)
		return
	}
	run, err := reports.ReadJUnit(junit)
	if err != nil {
		r.Err = fmt.Sprintf("the gate (exit %d) left no readable JUnit: %v; see %s", r.Code, err, logPath)
		return
	}
	for _, c := range run.Cases {
		switch {
		case !c.Failed():
		case c.Verdict == reports.VerdictRegression:
			r.CaughtBy = append(r.CaughtBy, c.Scenario())
		default:
			r.Broken = append(r.Broken, c.Scenario())
		}
	}
	if r.Code == exitCannotRun && len(r.Broken) == 0 && len(r.CaughtBy) == 0 {
		r.Err = fmt.Sprintf("the gate could not run (exit 2); see %s", logPath)
	}
}

// WriteTable prints the matrix (fault, verdict, the scenarios that caught it: the longest column
// last) and returns its exit code: 1 when a fault went uncaught or the clean directory failed,
// else 2 when a row could not be run, else 0.
func WriteTable(w io.Writer, rows []*Row) int {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "fault\tverdict\tcaught by")
	code := exitOK
	for _, r := range rows {
		v := r.Verdict()
		by := strings.Join(r.CaughtBy, ", ")
		if by == "" {
			by = "—"
		}
		if len(r.Broken) > 0 {
			by += fmt.Sprintf(" (could not run: %s)", strings.Join(r.Broken, ", "))
		}
		if r.Err != "" {
			by += " (" + r.Err + ")"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\n", r.Name(), v, by)
		switch v {
		case Missed, FalseAlarm:
			code = exitRegression
		case CouldNotRun:
			if code == exitOK {
				code = exitCannotRun
			}
		}
	}
	tw.Flush()
	return code
}

// Verdict is the matrix's closing line for its exit code.
func Verdict(code int) string {
	switch code {
	case exitOK:
		return "matrix: PASS — every fault mode is caught and the clean directory passes (exit 0)"
	case exitRegression:
		return "matrix: FAIL — a fault mode went uncaught or the clean directory failed (exit 1)"
	}
	return "matrix: COULD NOT RUN — a gate run could not be done (exit 2)"
}

// Command is a child scimreplay process as the matrix and the parallel gate start it: in a
// process group of its own, so a Ctrl-C at the terminal reaches only the parent, which passes on
// exactly one interrupt when ctx is cancelled (a second would make the child's Ginkgo skip its
// cleanups); a child still running two minutes later is killed.
func Command(ctx context.Context, exe string, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, exe, args...)
	cmd.Cancel = func() error { return cmd.Process.Signal(os.Interrupt) }
	cmd.WaitDelay = 2 * time.Minute
	ownProcessGroup(cmd)
	return cmd
}

// ExitCode is a finished command's exit code, or -1 when it did not run or was killed.
func ExitCode(err error) int {
	if err == nil {
		return 0
	}
	var ee *exec.ExitError
	if errors.As(err, &ee) && ee.ExitCode() >= 0 {
		return ee.ExitCode()
	}
	return -1
}

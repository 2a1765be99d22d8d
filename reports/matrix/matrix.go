// Package matrix runs the detection matrix, the harness's own regression test: the gate against
// the reference directory once with no fault, which must pass every scenario; once per fault
// mode, which at least one scenario must catch; and once per variation (a behaviour a correct
// server may show), which must pass every scenario like the clean directory. Each row is a child
// `scimreplay gate --reference-faults X` (or `--reference-variations V`) process (Ginkgo's
// RunSpecs runs once per process), a few at a time; the matrix reads what each found from its
// JUnit, and from the snapshots there whether each check of harness.Compare is load-bearing.
package matrix

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/scimreplay/scimreplay/harness"
	"github.com/scimreplay/scimreplay/reports"
)

// Row verdicts.
const (
	Caught      = "CAUGHT"        // a fault turned at least one scenario red
	Missed      = "MISSED"        // a fault went through every scenario unseen
	Pass        = "PASS"          // the clean directory passed every scenario
	FalseAlarm  = "FAIL"          // the clean directory failed a scenario
	CouldNotRun = "COULD NOT RUN" // the gate could not be run
	// ExploreOnly: an explore-only fault went through every scenario, as it must (no catalogue
	// scenario sends the combination of no-op variations it needs; scimreplay explore does).
	ExploreOnly = "EXPLORE ONLY"
)

// CleanRow names the row of the directory with no fault.
const CleanRow = "(none: clean directory)"

// Exit codes, as the gate's.
const (
	exitOK         = 0
	exitRegression = 1
	exitCannotRun  = 2
)

// Row is one gate run: the reference directory with one fault on, one variation on, or neither.
type Row struct {
	Fault     string // "" for the clean directory and variation rows
	Variation string // "" for the clean directory and fault rows
	// ExploreOnly marks a fault that no catalogue scenario triggers by design: the catalogue
	// missing it is its expected verdict, ExploreOnly, not Missed.
	ExploreOnly bool
	Dir         string // its junit.xml, summary.md, report.html and gate.log
	// Args are the row's own gate flags (its fault or variation, its settle window).
	Args     []string
	Code     int // the gate's exit code
	Elapsed  time.Duration
	CaughtBy []string // scenarios that failed with a regression
	Broken   []string // scenarios that could not run
	Err      string   // why the row has no result
}

// Name is the fault, the variation, or CleanRow.
func (r *Row) Name() string {
	switch {
	case r.Fault != "":
		return r.Fault
	case r.Variation != "":
		return r.Variation
	}
	return CleanRow
}

// Verdict judges the row: a fault row must be caught, the clean row and a variation row must
// pass every scenario. An explore-only fault's row that passes every scenario is ExploreOnly,
// which is no failure: by design only scimreplay explore sends what triggers it.
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
	case r.Fault != "" && len(r.Broken) == 0 && r.Code == exitOK && r.ExploreOnly:
		return ExploreOnly
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
	case v == ExploreOnly:
		s += ": " + exploreOnlyNote(r.Fault)
	case v == FalseAlarm && r.Variation != "":
		s += ": a correct server's variation failed " + strings.Join(r.CaughtBy, ", ")
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
	Exe        string   // the scimreplay binary
	Out        string   // each row's reports go to Out/runs/<fault, variation or clean>/
	Faults     []string // the fault modes, one row each, after the clean row
	Variations []string // the variations, one row each, after the faults
	// Background names the faults that act after the write is answered, which only a re-read
	// in the settle window sees. Every other fault row runs with --settle 0: a window only adds
	// detections (its first read is the one read of a window of 0), so a fault caught without
	// one is caught with one, and the rows that must stay green (the clean directory and every
	// variation) keep the gate's default window.
	Background []string
	// ExploreOnly names the faults no catalogue scenario triggers by design (see Row.ExploreOnly).
	ExploreOnly []string
	GateArgs    []string // more flags for every gate (--scenarios, --label-filter, --reference-loopback)
	Jobs        int      // gates at a time (at least 1)
	// WindowParallel, above 1, has each row that keeps the settle window (the clean directory,
	// the variations, the background faults) gate its scenarios in that many processes
	// (--parallel): such a row's time is mostly the window's waiting, 2 s per scenario.
	WindowParallel int
	Progress       io.Writer
}

// Rows lists the matrix's rows in order: the clean directory, each fault, each variation.
func (o Options) Rows() []*Row {
	var window []string // the flags of a row that keeps the settle window
	if o.WindowParallel > 1 {
		window = []string{fmt.Sprintf("--parallel=%d", o.WindowParallel)}
	}
	rows := []*Row{{Dir: filepath.Join(o.Out, "runs", "clean"), Args: slices.Clone(window)}}
	for _, f := range o.Faults {
		args := []string{"--reference-faults=" + f}
		if slices.Contains(o.Background, f) {
			args = append(args, window...)
		} else {
			args = append(args, "--settle=0")
		}
		rows = append(rows, &Row{Fault: f, ExploreOnly: slices.Contains(o.ExploreOnly, f), Dir: filepath.Join(o.Out, "runs", f), Args: args})
	}
	for _, v := range o.Variations {
		rows = append(rows, &Row{Variation: v, Dir: filepath.Join(o.Out, "runs", v), Args: append([]string{"--reference-variations=" + v}, window...)})
	}
	return rows
}

// Run runs every row, Jobs at a time, and returns them in order. Cancelling ctx interrupts the
// gates still running, so they remove their containers.
func Run(ctx context.Context, o Options) []*Row {
	rows := o.Rows()
	progress := o.Progress
	if progress == nil {
		progress = io.Discard
	}
	var mu sync.Mutex
	sem := make(chan struct{}, max(o.Jobs, 1))
	var wg sync.WaitGroup
	for _, i := range startOrder(rows) {
		row := rows[i]
		sem <- struct{}{} // at most Jobs at a time
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			row.run(ctx, o.Exe, append(slices.Clip(row.Args), o.GateArgs...))
			mu.Lock()
			defer mu.Unlock()
			fmt.Fprintf(progress, "  [%d/%d] %s\n", i+1, len(rows), row.Summary())
		}()
	}
	wg.Wait()
	return rows
}

// keepsWindow says whether the row gates with the settle window (every row but the fault rows
// that run with --settle=0): such a row takes many times as long as one without.
func (r *Row) keepsWindow() bool { return !slices.Contains(r.Args, "--settle=0") }

// startOrder is the order the rows start in: the long ones, which keep the settle window, first,
// then the others, each group in table order. Started in table order, the long rows (the
// variations are last) would start when the short ones are done and run on alone at the end.
func startOrder(rows []*Row) []int {
	var long, short []int
	for i, r := range rows {
		if r.keepsWindow() {
			long = append(long, i)
		} else {
			short = append(short, i)
		}
	}
	return append(long, short...)
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
	args := append([]string{"gate", "--junit=" + junit}, gateArgs...)
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

// WriteTable prints the matrix in two halves — the clean directory and the faults (verdict, the
// scenarios that caught each: the longest column last; an explore-only fault's row says so), then
// the variations (verdict, the scenarios they failed) — and returns its exit code: 1 when a fault
// (not an explore-only one) went uncaught, or the
// clean directory or a variation failed (a false red), else 2 when a row could not be run,
// else 0.
func WriteTable(w io.Writer, rows []*Row) int {
	code := exitOK
	half := func(head string, keep func(*Row) bool) {
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, head)
		for _, r := range rows {
			if !keep(r) {
				continue
			}
			v := r.Verdict()
			by := strings.Join(r.CaughtBy, ", ")
			switch {
			case v == ExploreOnly:
				by = "— (" + exploreOnlyNote(r.Fault) + ")"
			case by == "":
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
	}
	half("fault\tverdict\tcaught by", func(r *Row) bool { return r.Variation == "" })
	if slices.ContainsFunc(rows, func(r *Row) bool { return r.Variation != "" }) {
		fmt.Fprintln(w)
		half("variation (a correct server's)\tverdict\tfailed by", func(r *Row) bool { return r.Variation != "" })
	}
	return code
}

// LoadBearing says, for each check of harness.Compare, which faults no scenario catches with
// that check left out, worked out again from the snapshots each fault row's gate took (so the
// matrix costs no gate per check). A fault caught by an unexpected status, or whose snapshots
// were too large to keep, stays caught whatever check is left out. A check that no fault needs
// is not load-bearing: deleting it would go unnoticed.
func LoadBearing(rows []*Row) (map[harness.Check][]string, error) {
	out := map[harness.Check][]string{}
	for _, r := range rows {
		if r.Fault == "" || r.Verdict() != Caught {
			continue
		}
		run, err := reports.ReadJUnit(filepath.Join(r.Dir, "junit.xml"))
		if err != nil {
			return nil, fmt.Errorf("fault %s: %w", r.Fault, err)
		}
		for _, check := range harness.Checks() {
			caught := false
			for _, c := range run.Cases {
				if !c.Failed() || c.Verdict != reports.VerdictRegression {
					continue
				}
				if c.Snapshots == nil || c.Snapshots.Before == nil || c.Snapshots.After == nil {
					caught = true // by a status, or the snapshots were not kept
					break
				}
				d := harness.CompareWith(c.Snapshots.Before, c.Snapshots.After, harness.CompareOptions{Skip: []harness.Check{check}})
				if !d.Empty() {
					caught = true
					break
				}
			}
			if !caught {
				out[check] = append(out[check], r.Fault)
			}
		}
	}
	return out, nil
}

// WriteLoadBearing prints, per check, the faults that go unseen without it, and returns the
// checks that no fault needs.
func WriteLoadBearing(w io.Writer, lb map[harness.Check][]string) (idle []harness.Check) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "check\tmissed without it")
	for _, c := range harness.Checks() {
		faults := lb[c]
		by := strings.Join(faults, ", ")
		if len(faults) == 0 {
			by = "— (not load-bearing: no fault needs it)"
			idle = append(idle, c)
		}
		fmt.Fprintf(tw, "%s\t%s\n", c, by)
	}
	tw.Flush()
	return idle
}

// exploreOnlyNote says why an explore-only fault's row has no scenario, and what finds it.
func exploreOnlyNote(fault string) string {
	return "explore-only: no catalogue scenario sends the combination it needs; scimreplay explore --reference-faults " + fault + " finds it"
}

// Verdict is the matrix's closing line for its exit code.
func Verdict(code int) string {
	switch code {
	case exitOK:
		return "matrix: PASS — every fault mode is caught but the explore-only ones, which are left to scimreplay explore, and the clean directory and every variation pass (exit 0)"
	case exitRegression:
		return "matrix: FAIL — a fault mode went uncaught, or the clean directory or a variation failed (exit 1)"
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

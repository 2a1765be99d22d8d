package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/scimreplay/scimreplay/fakes/directory"
	"github.com/scimreplay/scimreplay/reports"
)

func init() {
	register("matrix", "gate the reference directory once per fault mode and once clean; print which scenarios catch each fault (exit 0/1/2)", runMatrix)
}

// Row verdicts of the detection matrix.
const (
	rowCaught      = "CAUGHT"
	rowMissed      = "MISSED"
	rowPass        = "PASS"
	rowFalseAlarm  = "FAIL"
	rowCouldNotRun = "COULD NOT RUN"
)

const cleanRow = "(none: clean directory)"

// matrixRow is one gate run of the matrix: the reference directory with one fault on, or none.
type matrixRow struct {
	fault    string // "" for the clean directory
	dir      string // where its junit.xml, reports and gate.log go
	code     int
	elapsed  time.Duration
	caughtBy []string // scenarios that failed with a regression
	broken   []string // scenarios that could not run
	err      string   // why the row has no result
	verdict  string
}

func (r *matrixRow) name() string {
	if r.fault == "" {
		return cleanRow
	}
	return r.fault
}

// runMatrix is the harness's own regression test: every fault mode of the reference directory
// must turn at least one scenario red, and the directory with no fault must pass them all. Each
// row is a child `scimreplay gate --reference-faults X` (Ginkgo's RunSpecs runs once per
// process), at most --jobs at a time.
func runMatrix(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("matrix", flag.ContinueOnError)
	fs.SetOutput(stderr)
	out := fs.String("out", "reports", "write matrix.txt here, and each row's gate reports under runs/<fault>/")
	jobs := fs.Int("jobs", 2, "run this many gates at a time")
	faultList := fs.String("faults", "", "comma list of the fault modes to check (default: every one, see `scimreplay faults`)")
	scenarios := fs.String("scenarios", "", "passed to each gate: scenario files or directories (default: the built-in catalogue)")
	labelFilter := fs.String("label-filter", "", "passed to each gate: run only the scenarios whose labels match")
	if err := fs.Parse(args); err != nil {
		return exitCannotRun
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "scimreplay matrix: unexpected arguments %q\n", fs.Args())
		return exitCannotRun
	}
	if *jobs < 1 {
		fmt.Fprintln(stderr, "scimreplay matrix: --jobs must be at least 1")
		return exitCannotRun
	}
	faults, err := directory.ParseFaults(*faultList)
	if err != nil {
		fmt.Fprintf(stderr, "scimreplay matrix: --faults: %v\n", err)
		return exitCannotRun
	}
	if len(faults) == 0 {
		for _, f := range directory.Faults() {
			faults = append(faults, f.Name)
		}
	}
	exe, err := os.Executable()
	if err != nil {
		fmt.Fprintf(stderr, "scimreplay matrix: %v\n", err)
		return exitCannotRun
	}
	var gateArgs []string
	if *scenarios != "" {
		gateArgs = append(gateArgs, "--scenarios="+*scenarios)
	}
	if *labelFilter != "" {
		gateArgs = append(gateArgs, "--label-filter="+*labelFilter)
	}

	rows := []*matrixRow{{fault: "", dir: filepath.Join(*out, "runs", "clean")}}
	for _, f := range faults {
		rows = append(rows, &matrixRow{fault: f, dir: filepath.Join(*out, "runs", f)})
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	fmt.Fprintf(stdout, "matrix: %d gate runs (clean + %d faults), %d at a time; each row's reports go to %s\n",
		len(rows), len(faults), *jobs, filepath.Join(*out, "runs", "<fault>"))
	start := time.Now()
	var mu sync.Mutex
	sem := make(chan struct{}, *jobs)
	var wg sync.WaitGroup
	for i, row := range rows {
		sem <- struct{}{} // rows start in order, at most --jobs at a time
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			row.run(ctx, exe, gateArgs)
			mu.Lock()
			defer mu.Unlock()
			fmt.Fprintf(stdout, "  [%d/%d] %s\n", i+1, len(rows), row.summary())
		}()
	}
	wg.Wait()

	var table strings.Builder
	code := writeMatrix(&table, rows)
	fmt.Fprintf(&table, "\n%s (%s)\n", matrixVerdict(code), time.Since(start).Round(time.Second))
	fmt.Fprint(stdout, "\n"+table.String())
	if err := os.WriteFile(filepath.Join(*out, "matrix.txt"), []byte(table.String()), 0o644); err != nil {
		fmt.Fprintf(stderr, "scimreplay matrix: %v\n", err)
		code = max(code, exitCannotRun)
	}
	return code
}

// run gates the reference directory with the row's fault and reads what the gate found.
func (r *matrixRow) run(ctx context.Context, exe string, gateArgs []string) {
	start := time.Now()
	defer func() { r.elapsed = time.Since(start) }()
	if err := os.MkdirAll(r.dir, 0o755); err != nil {
		r.err = err.Error()
		return
	}
	logPath := filepath.Join(r.dir, "gate.log")
	log, err := os.Create(logPath)
	if err != nil {
		r.err = err.Error()
		return
	}
	defer log.Close()
	junit := filepath.Join(r.dir, "junit.xml")
	os.Remove(junit) // a result of an earlier run must not pass for this one's
	args := append([]string{"gate", "--reference-faults=" + r.fault, "--junit=" + junit}, gateArgs...)
	cmd := exec.CommandContext(ctx, exe, args...)
	cmd.Cancel = func() error { return cmd.Process.Signal(os.Interrupt) }
	ownProcessGroup(cmd)
	cmd.WaitDelay = 2 * time.Minute
	cmd.Env = append(os.Environ(), "NO_COLOR=1")
	cmd.Stdout, cmd.Stderr = log, log
	r.code = exitCode(cmd.Run())
	run, err := reports.ReadJUnit(junit)
	if err != nil {
		r.err = fmt.Sprintf("the gate (exit %d) left no readable JUnit: %v; see %s", r.code, err, logPath)
		return
	}
	for _, c := range run.Cases {
		switch {
		case !c.Failed():
		case c.Verdict == reports.VerdictRegression:
			r.caughtBy = append(r.caughtBy, c.Scenario())
		default:
			r.broken = append(r.broken, c.Scenario())
		}
	}
	if r.code == exitCannotRun && len(r.broken) == 0 && len(r.caughtBy) == 0 {
		r.err = fmt.Sprintf("the gate could not run (exit 2); see %s", logPath)
	}
}

func (r *matrixRow) judge() string {
	switch {
	case r.err != "":
		return rowCouldNotRun
	case r.fault == "" && len(r.caughtBy) > 0:
		return rowFalseAlarm
	case r.fault == "" && len(r.broken) == 0 && r.code == exitOK:
		return rowPass
	case r.fault != "" && len(r.caughtBy) > 0:
		return rowCaught
	case r.fault != "" && len(r.broken) == 0 && r.code == exitOK:
		return rowMissed
	}
	return rowCouldNotRun
}

func (r *matrixRow) summary() string {
	v := r.judge()
	s := fmt.Sprintf("%s: %s", r.name(), v)
	switch {
	case v == rowCaught:
		s += " by " + strings.Join(r.caughtBy, ", ")
	case v == rowFalseAlarm:
		s += ": the clean directory failed " + strings.Join(r.caughtBy, ", ")
	case r.err != "":
		s += ": " + r.err
	case len(r.broken) > 0:
		s += ": could not run " + strings.Join(r.broken, ", ")
	}
	return s + fmt.Sprintf(" (%s)", r.elapsed.Round(100*time.Millisecond))
}

// writeMatrix prints the table (fault, verdict, the scenarios that caught it: the longest column
// last) and returns the matrix's exit code: 1 when a fault went uncaught
// or the clean directory failed, else 2 when a row could not be run, else 0.
func writeMatrix(w io.Writer, rows []*matrixRow) int {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "fault\tverdict\tcaught by")
	code := exitOK
	for _, r := range rows {
		v := r.judge()
		by := strings.Join(r.caughtBy, ", ")
		if by == "" {
			by = "—"
		}
		if len(r.broken) > 0 {
			by += fmt.Sprintf(" (could not run: %s)", strings.Join(r.broken, ", "))
		}
		if r.err != "" {
			by += " (" + r.err + ")"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\n", r.name(), v, by)
		switch v {
		case rowMissed, rowFalseAlarm:
			code = exitRegression
		case rowCouldNotRun:
			if code == exitOK {
				code = exitCannotRun
			}
		}
	}
	tw.Flush()
	return code
}

func matrixVerdict(code int) string {
	switch code {
	case exitOK:
		return "matrix: PASS — every fault mode is caught and the clean directory passes (exit 0)"
	case exitRegression:
		return "matrix: FAIL — a fault mode went uncaught or the clean directory failed (exit 1)"
	}
	return "matrix: COULD NOT RUN — a gate run could not be done (exit 2)"
}

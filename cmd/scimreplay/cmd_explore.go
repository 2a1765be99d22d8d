package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/scimreplay/scimreplay/explore"
	"github.com/scimreplay/scimreplay/fakes/entra"
	"github.com/scimreplay/scimreplay/fakes/reference"
	"github.com/scimreplay/scimreplay/harness"
	"github.com/scimreplay/scimreplay/reports"
	"github.com/scimreplay/scimreplay/suites/forcesync"
	"github.com/scimreplay/scimreplay/suites/framework"
)

func init() {
	register("explore", "send generated no-op re-pushes of small orgs and shrink a failing run to a scenario the gate replays (exit 0/1/2)", runExplore)
}

// runExplore is `scimreplay explore`: one target for the whole exploration (the gate's target
// flags; the reference directory by default), many generated runs against it (package
// explore), and what was found written as the gate writes it: a scenario file for the minimal
// failing case, the line that replays it, JUnit, summary.md and report.html.
func runExplore(args []string, stdout, stderr io.Writer) int {
	sigs := watchSignals()
	defer sigs.stop()
	fs := flag.NewFlagSet("explore", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var opts framework.Flags
	opts.Bind(fs, os.Getenv)
	var ref referenceFlags
	ref.bind(fs, os.Getenv)
	idp := fs.String("idp", "okta", "the identity provider whose pushes to generate (available: "+strings.Join(explore.Names(), ", ")+")")
	entraDialect := fs.String("entra-dialect", "", "with --idp entra, Entra's PATCH dialect of every run: default (capitalised ops, \"True\"/\"False\") or aadOptscim062020 (the Tenant URL flag); empty: drawn per run (each scenario written pins its own)")
	seed := fs.Uint64("seed", 0, "seed of the generated runs; the same seed on the same server gives the same runs (0: a random seed, printed)")
	runs := fs.Int("runs", 100, fmt.Sprintf("stop after this many passing runs (at most %d)", explore.MaxRuns))
	limit := fs.Duration("time", 5*time.Minute, "stop after this long, shrinking included")
	shrinkTime := fs.Duration("shrink-time", 2*time.Minute, "shrink a failing run for at most this long")
	out := fs.String("out", filepath.Join("reports", "explore"), "write the minimal failing case here, as a scenario file")
	reportsDir := fs.String("reports-dir", "", "write summary.md and report.html here (default: beside --junit)")
	if err := fs.Parse(args); err != nil {
		return exitCannotRun
	}
	bad := func(format string, args ...any) int {
		fmt.Fprintf(stderr, "scimreplay explore: "+format+"\n", args...)
		return exitCannotRun
	}
	if fs.NArg() > 0 {
		return bad("unexpected arguments %q", fs.Args())
	}
	dialect, err := explore.Lookup(*idp)
	if err != nil {
		return bad("%v", err)
	}
	if *entraDialect != "" {
		if dialect.VariantFlag != "--entra-dialect" {
			return bad("--entra-dialect applies to --idp entra, not --idp %s", dialect.Name)
		}
		if _, err := entra.ParseDialect(*entraDialect); err != nil {
			return bad("--entra-dialect: %v", err)
		}
	}
	switch {
	case *runs < 1 || *runs > explore.MaxRuns:
		return bad("--runs must be between 1 and %d, not %d", explore.MaxRuns, *runs)
	case *limit <= 0:
		return bad("--time must be positive, not %s", *limit)
	case *shrinkTime <= 0:
		return bad("--shrink-time must be positive, not %s", *shrinkTime)
	case *out == "":
		return bad("--out must name a directory")
	}
	spec, buildReference, err := ref.target(&opts.Target)
	defer ref.close()
	if err != nil {
		return bad("%v", err)
	}
	suite, err := opts.Suite(spec) // checks --request-timeout and --run-id
	if err != nil {
		return bad("%v", err)
	}
	runID := suite.ID()

	ctx, stopSignals := sigs.context() // cancelled only once sigs knows the signal, so the end says it
	defer stopSignals()
	if spec.URL == "" {
		fmt.Fprintf(stdout, "run %s: its containers carry the label %s=%s\n", runID, harness.LabelRun, runID)
	}
	for _, line := range forcesync.Caveats(spec) {
		fmt.Fprintln(stdout, line)
	}
	target, stopTarget, err := startTarget(ctx, spec, buildReference, runID, stdout)
	defer stopTarget(sigs, stdout, stderr)
	if err != nil {
		code := exitCannotRun
		fmt.Fprintf(stdout, "COULD NOT RUN: %v\n", harness.RedactError(err, spec.Token))
		return code
	}
	base, err := target.Client(ctx)
	if err != nil {
		fmt.Fprintf(stdout, "COULD NOT RUN: %v\n", err)
		return exitCannotRun
	}
	newClient := func() *harness.Client {
		c := base.Clone() // the target URL's query (?aadOptscim062020) included
		c.Timeout = opts.RequestTimeout
		return c
	}
	o := explore.Options{
		Dialect: dialect, Variant: *entraDialect, NewClient: newClient,
		Probes:  harness.Probes{Link: target.Spec.LinkProbe, Audit: target.Spec.AuditProbe},
		Managed: target.Spec.Classifier(), Settle: target.Spec.SettleWindow(),
		Seed: *seed, Runs: *runs, Time: *limit, ShrinkTime: *shrinkTime, RunID: shortRunID(runID), Progress: stdout,
	}
	if len(target.Spec.VerifiedDomains) > 0 {
		o.ManagedDomain = target.Spec.VerifiedDomains[0]
	}
	if !opts.Target.Given() {
		// The reference directory is emptied before each run, which keeps every snapshot small
		// however long the exploration; a server of your own keeps what each run made.
		o.Reset = func(ctx context.Context) error {
			resp, err := newClient().DoRoot(ctx, "POST", "/admin/reset", nil, nil)
			if err == nil && resp.Status/100 != 2 {
				err = fmt.Errorf("POST /admin/reset answered %d", resp.Status)
			}
			return err
		}
	}
	if o.Seed == 0 {
		o.Seed = explore.RandomSeed()
	}
	name := dialect.Name
	switch {
	case *entraDialect != "":
		name += " (dialect " + *entraDialect + ")"
	case len(dialect.Variants) > 0:
		name += " (" + strings.Join(dialect.Variants, " or ") + ", drawn per run)"
	}
	fmt.Fprintf(stdout, "explore: %s against %s, seed %d (the same seed explores the same runs again): up to %d runs of at most %d users, %d groups and %d pushes, for at most %s (shrinking a failure for at most %s); settle %s\n",
		name, target.Spec.WithDefaults().Name, o.Seed, *runs, explore.MaxUsers, explore.MaxGroups, explore.MaxPushes, *limit, *shrinkTime, o.Settle)
	res := explore.Run(ctx, o)

	var file, reproduce, note string
	if res.Found() {
		text, err := res.MinimalScenario()
		if err == nil {
			file = filepath.Join(*out, res.Name()+".yaml")
			err = writeScenario(file, text)
		}
		if err != nil {
			fmt.Fprintf(stderr, "scimreplay explore: %v\n", err)
			file = ""
		}
		if file != "" {
			reproduce, note = gateLine(fs, dialect, file)
		}
	}
	var logs string
	if res.Found() && target.Container != nil {
		lctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		logs, _ = target.Logs(lctx)
		cancel()
	}
	run := res.Report(forcesync.ReportOptions(target.Spec, "explore"), file, reproduce, logs)
	code := run.Code()
	if opts.JUnit != "" || *reportsDir != "" {
		if err := reports.HumanIn(opts.JUnit, reportsDirOr(*reportsDir, opts.JUnit)).Write(run, target.Spec.Token); err != nil {
			fmt.Fprintf(stderr, "scimreplay explore: %v\n", err)
			code = max(code, exitCannotRun)
		}
	}
	printExplored(stdout, res, file, reproduce, note, sigs)
	printVerdict(stdout, run, code)
	return code
}

// startTarget starts the target once for the whole exploration: the reference image built
// first when it is the target; a container labelled with the run's id. stop removes it and any
// container the run left, bounded by a minute and by a further signal.
func startTarget(ctx context.Context, spec harness.TargetSpec, buildReference bool, runID string, stdout io.Writer) (*harness.Target, func(*signalWatch, io.Writer, io.Writer), error) {
	nothing := func(*signalWatch, io.Writer, io.Writer) {}
	if spec.URL == "" {
		quietDocker()
		if err := harness.CheckDocker(ctx); err != nil {
			return nil, nothing, err
		}
		if buildReference {
			self, _ := os.Executable()
			if err := reference.BuildImage(ctx, self); err != nil {
				return nil, nothing, err
			}
		}
	}
	spec.Labels = harness.RunLabels(runID)
	t, err := harness.Run(ctx, spec)
	stop := func(sigs *signalWatch, stdout, stderr io.Writer) {
		if spec.URL != "" {
			return
		}
		cctx, cancel := sigs.cleanupContext(time.Minute)
		defer cancel()
		if err := t.Terminate(cctx); err != nil {
			fmt.Fprintf(stderr, "scimreplay explore: remove the target: %v\n", err)
		}
		removeOwn(stdout, stderr, sigs, runID)
	}
	if err == nil {
		fmt.Fprintf(stdout, "target started: %s\n", t.Spec.Name)
	}
	return t, stop, err
}

// shortRunID keeps a run id short enough that the names of every run's org stay readable.
func shortRunID(id string) string {
	if len(id) > 8 {
		return id[len(id)-8:]
	}
	return id
}

func reportsDirOr(dir, junit string) string {
	if dir != "" {
		return dir
	}
	return filepath.Dir(junit)
}

// writeScenario writes a scenario file through a temporary file and a rename.
func writeScenario(path string, text []byte) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, text, 0o644); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

// gateLine is the `scimreplay gate` command that replays the scenario file against the same
// target: the target, reference and request flags explore was given (its own ones left out),
// the dialect's, and --scenarios. A token given by flag is not printed: note says so.
func gateLine(fs *flag.FlagSet, d *explore.Dialect, file string) (line, note string) {
	parts := []string{"scimreplay", "gate"}
	fs.Visit(func(f *flag.Flag) {
		switch {
		case f.Name == "target-token":
			note = "give the gate the same token (--target-token or $SCIMREPLAY_TARGET_TOKEN)"
			return
		case f.Name == "target-env":
			for _, kv := range *f.Value.(*harness.EnvFlag) {
				parts = append(parts, "--target-env", shellQuote(kv))
			}
			return
		case strings.HasPrefix(f.Name, "target-"), strings.HasPrefix(f.Name, "reference-"), f.Name == "settle", f.Name == "request-timeout":
		default:
			return // explore's own flags, --junit, --run-id
		}
		if b, ok := f.Value.(interface{ IsBoolFlag() bool }); ok && b.IsBoolFlag() {
			if f.Value.String() == "true" {
				parts = append(parts, "--"+f.Name)
			} else {
				parts = append(parts, "--"+f.Name+"=false")
			}
			return
		}
		parts = append(parts, "--"+f.Name, shellQuote(f.Value.String()))
	})
	parts = append(parts, d.GateArgs...)
	parts = append(parts, "--scenarios", shellQuote(file))
	return strings.Join(parts, " "), note
}

// printExplored says what the exploration did and found, before the verdict.
func printExplored(w io.Writer, res *explore.Result, file, reproduce, note string, sigs *signalWatch) {
	fmt.Fprintln(w)
	if s := sigs.received(); s != nil {
		fmt.Fprintf(w, "interrupted by %s: what was found so far is written below\n", signalName(s))
	}
	switch {
	case res.Err != nil && !res.Found():
		fmt.Fprintf(w, "explore: could not run after %d runs: %v\n", res.Runs, res.Err)
		return
	case !res.Found():
		why := "its runs were done"
		switch res.Stopped {
		case "time":
			why = "its time was up"
		case "interrupted":
			why = "it was interrupted"
		}
		fmt.Fprintf(w, "explore: %d runs (seed %d) moved nothing; it stopped because %s (%s)\n", res.Runs, res.Seed, why, res.Elapsed.Round(time.Millisecond))
		return
	}
	fmt.Fprintf(w, "explore: run %d of seed %d failed: %s\n", res.First.Try, res.Seed, res.First.Case.Size())
	switch {
	case res.NotReproduced:
		fmt.Fprintln(w, "explore: it did not fail again when re-run, so it was not shrunk")
	case res.Stopped != "":
		fmt.Fprintf(w, "explore: shrinking stopped (%s) after %d runs at %s\n", stoppedWords(res.Stopped), res.Tries, res.Minimal.Case.Size())
	default:
		fmt.Fprintf(w, "explore: shrunk in %d runs to %s\n", res.Tries, res.Minimal.Case.Size())
	}
	if v := res.Minimal.Case.Variant; v != "" {
		fmt.Fprintf(w, "  in %s's %s dialect (the scenario pins it)\n", res.Dialect.Name, v)
	}
	for i, p := range res.Minimal.Case.Pushes {
		fmt.Fprintf(w, "  push %d of %d: %s\n", i+1, len(res.Minimal.Case.Pushes), p.Describe())
	}
	for _, line := range strings.Split(strings.TrimSpace(res.Minimal.What()), "\n") {
		fmt.Fprintf(w, "    %s\n", line)
	}
	if res.Err != nil {
		fmt.Fprintf(w, "explore: then it could not go on: %v\n", res.Err)
	}
	if file == "" {
		return
	}
	fmt.Fprintf(w, "wrote the minimal failing case: %s\n", file)
	fmt.Fprintf(w, "reproduce it: %s\n", reproduce)
	if note != "" {
		fmt.Fprintf(w, "  (%s)\n", note)
	}
}

func stoppedWords(s string) string {
	if s == "time" {
		return "its time was up"
	}
	return "interrupted"
}

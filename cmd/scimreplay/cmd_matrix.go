package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/scimreplay/scimreplay/fakes/directory"
	"github.com/scimreplay/scimreplay/reports/matrix"
)

func init() {
	register("matrix", "gate the reference directory once clean, once per fault mode and once per variation; print which scenarios catch each fault and that every variation passes (exit 0/1/2)", runMatrix)
}

// runMatrix runs the detection matrix (package reports/matrix) and prints its table.
func runMatrix(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("matrix", flag.ContinueOnError)
	fs.SetOutput(stderr)
	out := fs.String("out", "reports", "write matrix.txt here, and each row's gate reports under runs/<fault>/")
	jobs := fs.Int("jobs", 4, "run this many gates at a time")
	windowParallel := fs.Int("window-parallel", 4, "gate the scenarios of each row that keeps the settle window (clean, variations, background faults) in this many processes")
	faultList := fs.String("faults", "", "comma list of the fault modes to check (default: every one, see `scimreplay faults`)")
	variationList := fs.String("variations", "", "comma list of the variations to check (default: every one; \"none\" for none)")
	loopback := fs.Bool("loopback", true, "gate the directory served in each gate's own process (no containers); false gates its image in containers")
	scenarios := fs.String("scenarios", "", "passed to each gate: scenario files or directories (default: the built-in catalogue)")
	labelFilter := fs.String("label-filter", "", "passed to each gate: run only the scenarios whose labels match")
	idp := fs.String("idp", "", "passed to each gate: okta, entra or all (default: all)")
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
	var variations []string
	if *variationList != "none" {
		if variations, err = directory.ParseVariations(*variationList); err != nil {
			fmt.Fprintf(stderr, "scimreplay matrix: --variations: %v\n", err)
			return exitCannotRun
		}
		if len(variations) == 0 {
			for _, v := range directory.Variations() {
				variations = append(variations, v.Name)
			}
		}
	}
	var background, exploreOnly []string
	for _, f := range directory.Faults() {
		if f.Background {
			background = append(background, f.Name)
		}
		if f.ExploreOnly {
			exploreOnly = append(exploreOnly, f.Name)
		}
	}
	exe, err := os.Executable()
	if err != nil {
		fmt.Fprintf(stderr, "scimreplay matrix: %v\n", err)
		return exitCannotRun
	}
	o := matrix.Options{Exe: exe, Out: *out, Faults: faults, Variations: variations, Background: background, ExploreOnly: exploreOnly, Jobs: *jobs, WindowParallel: *windowParallel, Progress: stdout}
	if *loopback {
		o.GateArgs = append(o.GateArgs, "--reference-loopback")
	}
	if *scenarios != "" {
		o.GateArgs = append(o.GateArgs, "--scenarios="+*scenarios)
	}
	if *labelFilter != "" {
		o.GateArgs = append(o.GateArgs, "--label-filter="+*labelFilter)
	}
	if *idp != "" {
		o.GateArgs = append(o.GateArgs, "--idp="+*idp)
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	fmt.Fprintf(stdout, "matrix: %d gate runs (clean + %d faults + %d variations), %d at a time; each row's reports go to %s\n",
		len(faults)+len(variations)+1, len(faults), len(variations), *jobs, filepath.Join(*out, "runs", "<row>"))
	start := time.Now()
	rows := matrix.Run(ctx, o)

	var table strings.Builder
	code := matrix.WriteTable(&table, rows)
	if lb, err := matrix.LoadBearing(rows); err != nil {
		fmt.Fprintf(&table, "\nload-bearing checks: %v\n", err)
		code = max(code, exitCannotRun)
	} else if len(faults) == len(directory.Faults()) && *scenarios == "" && *labelFilter == "" && (*idp == "" || *idp == "all") {
		// Only the whole catalogue, every fault, can show every check load-bearing.
		table.WriteString("\n")
		if idle := matrix.WriteLoadBearing(&table, lb); len(idle) > 0 && code == exitOK {
			code = exitRegression
		}
	}
	fmt.Fprintf(&table, "\n%s (%s)\n", matrix.Verdict(code), time.Since(start).Round(time.Second))
	fmt.Fprint(stdout, "\n"+table.String())
	if err := os.WriteFile(filepath.Join(*out, "matrix.txt"), []byte(table.String()), 0o644); err != nil {
		fmt.Fprintf(stderr, "scimreplay matrix: %v\n", err)
		code = max(code, exitCannotRun)
	}
	return code
}

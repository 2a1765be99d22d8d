package main

import (
	"flag"
	"fmt"
	"io"
	"path/filepath"

	"github.com/scimreplay/scimreplay/reports"
)

func init() {
	register("report", "re-render summary.md and report.html from gate JUnit files (exit 0, or 2 on bad input)", runReport)
}

// runReport re-renders the human reports from one or more JUnit files that a gate wrote (several
// are merged: the shards of a run, or runs against several targets).
func runReport(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("report", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: scimreplay report [--out DIR] JUNIT.xml...")
		fs.PrintDefaults()
	}
	out := fs.String("out", "", "write summary.md and report.html here (default: beside the first JUnit file)")
	if err := fs.Parse(args); err != nil {
		return exitCannotRun
	}
	if fs.NArg() == 0 {
		fs.Usage()
		return exitCannotRun
	}
	var runs []*reports.Run
	for _, path := range fs.Args() {
		r, err := reports.ReadJUnit(path)
		if err != nil {
			fmt.Fprintf(stderr, "scimreplay report: %v\n", err)
			return exitCannotRun
		}
		if len(r.Cases) == 0 {
			fmt.Fprintf(stderr, "scimreplay report: %s holds no testcase\n", path)
			return exitCannotRun
		}
		runs = append(runs, r)
	}
	run := runs[0]
	if len(runs) > 1 {
		run = reports.Merge(runs[0].Name, nil, runs...)
	}
	dir := *out
	if dir == "" {
		dir = filepath.Dir(fs.Arg(0))
	}
	files := reports.FilesIn(dir)
	files.JUnit = ""
	if err := files.Write(run); err != nil {
		fmt.Fprintf(stderr, "scimreplay report: %v\n", err)
		return exitCannotRun
	}
	t := run.Tally()
	fmt.Fprintf(stdout, "%s: %d passed, %d failed, %d could not run\n", run.Verdict(run.Code()), t.Passed, t.Regressions, t.CouldNotRun)
	fmt.Fprintf(stdout, "wrote %s and %s\n", files.Summary, files.HTML)
	return exitOK
}

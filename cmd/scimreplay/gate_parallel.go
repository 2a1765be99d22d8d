package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"maps"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/onsi/ginkgo/v2/types"

	"github.com/scimreplay/scimreplay/harness/scenario"
	"github.com/scimreplay/scimreplay/reports"
	"github.com/scimreplay/scimreplay/reports/matrix"
	"github.com/scimreplay/scimreplay/suites/forcesync"
)

// selectScenarios keeps the scenarios whose labels match the label filter (Ginkgo's own matcher,
// on the labels the suite gives each spec) and, for a shard, whose names it lists. Choosing
// nothing is bad input: a gate that checks nothing must not pass.
func selectScenarios(scs []*scenario.Scenario, labelFilter, shard string) ([]*scenario.Scenario, error) {
	match := func([]string) bool { return true }
	if strings.TrimSpace(labelFilter) != "" {
		f, err := types.ParseLabelFilter(labelFilter)
		if err != nil {
			return nil, fmt.Errorf("--label-filter: %w", err)
		}
		match = f
	}
	only := map[string]bool{}
	for _, n := range splitList(shard) {
		only[n] = true
	}
	sharded, missing := len(only) > 0, maps.Clone(only)
	var out []*scenario.Scenario
	for _, sc := range scs {
		if !match(forcesync.ScenarioLabels(forcesync.IdPFor(sc, ""), sc)) || (sharded && !only[sc.Name]) {
			continue
		}
		delete(missing, sc.Name)
		out = append(out, sc)
	}
	for n := range missing {
		return nil, fmt.Errorf("--shard: no selected scenario is named %q", n)
	}
	if len(out) == 0 {
		names := make([]string, len(scs))
		for i, sc := range scs {
			names[i] = sc.Name
		}
		return nil, fmt.Errorf("--label-filter %q matches none of the %d scenarios (%s)", labelFilter, len(scs), strings.Join(names, ", "))
	}
	return out, nil
}

// shards deals the scenarios round-robin into at most n groups, so long and short scenarios
// of a catalogue sorted by name spread evenly.
func shards(scs []*scenario.Scenario, n int) [][]string {
	n = min(n, len(scs))
	out := make([][]string, n)
	for i, sc := range scs {
		out[i%n] = append(out[i%n], sc.Name)
	}
	return out
}

// runParallel runs the gate as n child processes of this binary, each gating a shard of the
// scenarios with its own containers on random host ports and its own JUnit in a temporary
// directory; then it merges the JUnit, writes the reports and works out the exit code. Ginkgo's
// in-process RunSpecs cannot run specs in parallel itself, and each child is an ordinary gate.
func runParallel(args []string, selected []*scenario.Scenario, n int, junit, reportsDir string, stdout, stderr io.Writer) int {
	groups := shards(selected, n)
	exe, err := os.Executable()
	if err != nil {
		fmt.Fprintf(stderr, "scimreplay gate: --parallel: %v\n", err)
		return exitCannotRun
	}
	tmp, err := os.MkdirTemp("", "scimreplay-gate-")
	if err != nil {
		fmt.Fprintf(stderr, "scimreplay gate: --parallel: %v\n", err)
		return exitCannotRun
	}
	defer os.RemoveAll(tmp)

	// A signal to this process reaches each child as one SIGINT, so its specs clean up their
	// containers (see matrix.Command).
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	start := time.Now()
	fmt.Fprintf(stdout, "gate: %d scenarios in %d processes\n", len(selected), len(groups))
	out := &lockedWriter{w: stdout}
	codes := make([]int, len(groups))
	var wg sync.WaitGroup
	for i, names := range groups {
		dir := filepath.Join(tmp, fmt.Sprintf("shard-%d", i+1))
		prefix := fmt.Sprintf("[%d/%d] ", i+1, len(groups))
		childArgs := append(append([]string{"gate"}, args...),
			"--parallel=1", "--shard="+strings.Join(names, ","),
			"--junit="+filepath.Join(dir, "junit.xml"), "--reports-dir="+dir)
		cmd := matrix.Command(ctx, exe, childArgs...)
		lw := &lineWriter{prefix: prefix, w: out}
		cmd.Stdout, cmd.Stderr = lw, lw
		wg.Add(1)
		go func() {
			defer wg.Done()
			fmt.Fprintf(out, "%sstarted: %s\n", prefix, strings.Join(names, ", "))
			err := cmd.Run()
			lw.Flush()
			codes[i] = matrix.ExitCode(err)
			if codes[i] < 0 {
				fmt.Fprintf(out, "%scould not run the child gate: %v\n", prefix, err)
				codes[i] = exitCannotRun
			}
		}()
	}
	wg.Wait()

	var runs []*reports.Run
	code := exitOK
	for i := range groups {
		path := filepath.Join(tmp, fmt.Sprintf("shard-%d", i+1), "junit.xml")
		r, err := reports.ReadJUnit(path)
		if err != nil {
			fmt.Fprintf(stderr, "scimreplay gate: shard %d (exit %d) left no readable JUnit: %v\n", i+1, codes[i], err)
			codes[i] = max(codes[i], exitCannotRun)
		} else {
			runs = append(runs, r)
		}
		switch {
		case codes[i] == exitRegression:
			code = exitRegression
		case codes[i] != exitOK && code == exitOK:
			code = exitCannotRun
		}
	}
	order := make([]string, len(selected))
	for i, sc := range selected {
		order[i] = sc.Name
	}
	merged := reports.Merge("scimreplay gate", order, runs...)
	merged.Start, merged.Time = start, time.Since(start)
	if c := merged.Code(); c == exitRegression || (c == exitCannotRun && code == exitOK) {
		code = c
	}
	if junit != "" || reportsDir != "" {
		if reportsDir == "" {
			reportsDir = filepath.Dir(junit)
		}
		if err := reports.HumanIn(junit, reportsDir).Write(merged); err != nil {
			fmt.Fprintf(stderr, "scimreplay gate: %v\n", err)
			code = max(code, exitCannotRun)
		}
	}
	printVerdict(stdout, merged, code)
	return code
}

type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// lineWriter writes whole lines, each with a prefix, so children's output interleaves by line.
type lineWriter struct {
	mu     sync.Mutex
	prefix string
	w      io.Writer
	buf    bytes.Buffer
}

func (l *lineWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.buf.Write(p)
	for {
		i := bytes.IndexByte(l.buf.Bytes(), '\n')
		if i < 0 {
			return len(p), nil
		}
		line := l.buf.Next(i + 1)
		if _, err := io.WriteString(l.w, l.prefix+string(line)); err != nil {
			return len(p), err
		}
	}
}

// Flush writes a last line without its newline.
func (l *lineWriter) Flush() {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.buf.Len() > 0 {
		io.WriteString(l.w, l.prefix+l.buf.String()+"\n")
		l.buf.Reset()
	}
}

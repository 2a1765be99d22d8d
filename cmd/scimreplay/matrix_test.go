package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/scimreplay/scimreplay/fakes/directory"
)

// TestDetectionMatrix is the harness's own regression test: every fault mode of the reference
// directory must turn at least one scenario of the catalogue red, and the directory with no
// fault must pass every scenario. A change that weakens an assertion, or a fault mode that no
// scenario exercises, turns it red. The table is logged either way.
func TestDetectionMatrix(t *testing.T) {
	if testing.Short() {
		t.Skip("the matrix gates the whole catalogue once per fault mode")
	}
	out := t.TempDir()
	r := runCLIWithin(t, 7*time.Minute, nil, "matrix", "--out", out, "--jobs", "2")
	table, err := os.ReadFile(filepath.Join(out, "matrix.txt"))
	if err != nil {
		t.Fatalf("no matrix.txt (exit %d): %v\n%s\n%s", r.code, err, r.stdout, r.stderr)
	}
	t.Logf("detection matrix:\n%s", table)
	if r.code != 0 {
		t.Fatalf("matrix exit %d, want 0 (every fault caught, the clean directory passing)\n%s\n%s", r.code, r.stdout, r.stderr)
	}

	verdicts := map[string]string{}
	for _, line := range strings.Split(string(table), "\n")[1:] {
		if f := strings.Fields(strings.Replace(line, "(none: clean directory)", "clean", 1)); len(f) >= 2 {
			verdicts[f[0]] = f[1]
		}
	}
	if v := verdicts["clean"]; v != "PASS" {
		t.Errorf("clean directory: %q, want PASS", v)
	}
	for _, f := range directory.Faults() {
		if v := verdicts[f.Name]; v != "CAUGHT" {
			t.Errorf("fault %s: %q, want CAUGHT", f.Name, v)
		}
		for _, name := range []string{"junit.xml", "summary.md", "report.html", "gate.log"} {
			if _, err := os.Stat(filepath.Join(out, "runs", f.Name, name)); err != nil {
				t.Errorf("fault %s: %v", f.Name, err)
			}
		}
	}
	// The table says what the gate found: ACCESS-1003 is caught by the identical re-push.
	if !regexp.MustCompile(`(?m)^access-1003 +CAUGHT +.*\bidentical-repush\b`).Match(table) {
		t.Errorf("access-1003 is not caught by identical-repush:\n%s", table)
	}
}

func TestMatrixBadInputExits2(t *testing.T) {
	for name, args := range map[string][]string{
		"unknown fault": {"matrix", "--faults", "no-such-fault"},
		"no jobs":       {"matrix", "--jobs", "0"},
		"stray":         {"matrix", "extra"},
	} {
		t.Run(name, func(t *testing.T) {
			if r := runCLI(t, nil, args...); r.code != 2 {
				t.Fatalf("exit %d, want 2\n%s\n%s", r.code, r.stdout, r.stderr)
			}
		})
	}
}

// A matrix whose catalogue cannot catch a fault says so and exits 1: here the only scenario is
// the identical re-push, which no group fault touches.
func TestMatrixReportsAnUncaughtFault(t *testing.T) {
	out := t.TempDir()
	r := runCLIWithin(t, 3*time.Minute, nil, "matrix", "--out", out,
		"--faults", "access-1003,empty-replace-ignored", "--label-filter", "scenario:identical-repush")
	if r.code != 1 {
		t.Fatalf("exit %d, want 1\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	for _, want := range []*regexp.Regexp{
		regexp.MustCompile(`(?m)^\(none: clean directory\) +PASS +—$`),
		regexp.MustCompile(`(?m)^access-1003 +CAUGHT +identical-repush$`),
		regexp.MustCompile(`(?m)^empty-replace-ignored +MISSED +—$`),
		regexp.MustCompile(`(?m)^matrix: FAIL — a fault mode went uncaught`),
	} {
		if !want.MatchString(r.stdout) {
			t.Errorf("output lacks %s:\n%s", want, r.stdout)
		}
	}
}

package main

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
)

// Soak settings: `make test` runs the short version (3 runs of one scenario); `make soak` runs
// SCIMREPLAY_SOAK_RUNS=20 of the whole catalogue (SCIMREPLAY_SOAK_FILTER empty), with
// SCIMREPLAY_SOAK_FLAGS for extra gate flags such as --parallel.
func soakSettings(t *testing.T) (runs int, filter string, extra []string) {
	runs, filter = 3, theScenario
	if v := os.Getenv("SCIMREPLAY_SOAK_RUNS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 1000 {
			t.Fatalf("SCIMREPLAY_SOAK_RUNS=%q is not a count from 1 to 1000", v)
		}
		runs = n
	}
	if v, ok := os.LookupEnv("SCIMREPLAY_SOAK_FILTER"); ok {
		filter = v
	}
	return runs, filter, strings.Fields(os.Getenv("SCIMREPLAY_SOAK_FLAGS"))
}

var (
	uuidRE     = regexp.MustCompile(`(?i)\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b`)
	longHexRE  = regexp.MustCompile(`(?i)\b[0-9a-f]{12,}\b`)
	hostPortRE = regexp.MustCompile(`(127\.0\.0\.1|localhost|\[::1\]):\d+`)
	durationRE = regexp.MustCompile(`\b\d+(\.\d+)?(ns|µs|ms|s|m)\b`)
)

// normalise removes what legitimately differs between two runs of the same gate: the ids the
// target assigns, ports, durations.
func normalise(s string) string {
	s = uuidRE.ReplaceAllString(s, "<id>")
	s = longHexRE.ReplaceAllString(s, "<hex>")
	s = hostPortRE.ReplaceAllString(s, "<host>")
	return durationRE.ReplaceAllString(s, "<duration>")
}

// outcome is a gate run as the soak compares it: exit code and, per scenario, its normalised
// failure message ("" for a pass).
type outcome struct {
	code     int
	verdicts map[string]string
}

func (o outcome) String() string {
	names := make([]string, 0, len(o.verdicts))
	for n := range o.verdicts {
		names = append(names, n)
	}
	sort.Strings(names)
	var b strings.Builder
	fmt.Fprintf(&b, "exit %d\n", o.code)
	for _, n := range names {
		fmt.Fprintf(&b, "%s: %s\n", n, o.verdicts[n])
	}
	return b.String()
}

func soakRun(t *testing.T, i int, filter string, args ...string) outcome {
	t.Helper()
	dir := t.TempDir()
	runID := fmt.Sprintf("%s-%d", testRunID(t), i)
	args = append([]string{"gate", "--run-id", runID, "--junit", filepath.Join(dir, "junit.xml")}, args...)
	if filter != "" {
		args = append(args, "--label-filter", filter)
	}
	r := runCLI(t, nil, args...)
	expectNoContainers(t, runID)
	o := outcome{code: r.code, verdicts: map[string]string{}}
	if r.code == 2 {
		t.Fatalf("run %d could not run:\n%s\n%s", i, r.stdout, r.stderr)
	}
	for _, s := range readJUnit(t, filepath.Join(dir, "junit.xml")).TestSuites {
		for _, tc := range s.TestCases {
			v := "passed"
			if tc.Failure != nil {
				v = normalise(tc.Failure.Message)
			}
			o.verdicts[tc.Name] = v
		}
	}
	return o
}

// The same gate, run again and again, gives the same verdict every time: green against the clean
// directory, red against access-1003 with the same diff (ids normalised) — no flakes.
func TestSoak(t *testing.T) {
	t.Parallel()
	runs, filter, extra := soakSettings(t)
	for _, tc := range []struct {
		name string
		args []string
		code int
	}{
		{"clean directory", nil, 0},
		{"access-1003", []string{"--reference-faults", "access-1003"}, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var first outcome
			for i := 1; i <= runs; i++ {
				o := soakRun(t, i, filter, append(append([]string(nil), tc.args...), extra...)...)
				if o.code != tc.code {
					t.Fatalf("run %d of %d: exit %d, want %d\n%s", i, runs, o.code, tc.code, o)
				}
				if len(o.verdicts) == 0 {
					t.Fatalf("run %d: the JUnit holds no testcase", i)
				}
				if i == 1 {
					first = o
					t.Logf("run 1 of %d:\n%s", runs, o)
					continue
				}
				if o.String() != first.String() {
					t.Fatalf("run %d differs from run 1 (a flake):\nrun 1:\n%s\nrun %d:\n%s", i, first, i, o)
				}
			}
		})
	}
}

package matrix

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/scimreplay/scimreplay/fakes/directory"
	"github.com/scimreplay/scimreplay/harness"
	"github.com/scimreplay/scimreplay/reports"
)

// binary is the scimreplay CLI the rows run: $SCIMREPLAY_BINARY (the Makefile builds it) or one
// built now. The children inherit the environment the harness needs without a registry.
func binary(t *testing.T) string {
	t.Helper()
	for k, v := range map[string]string{"TESTCONTAINERS_RYUK_DISABLED": "true", "TESTCONTAINERS_HOST_OVERRIDE": "127.0.0.1"} {
		if os.Getenv(k) == "" {
			t.Setenv(k, v)
		}
	}
	if b := os.Getenv("SCIMREPLAY_BINARY"); b != "" {
		if _, err := os.Stat(b); err == nil {
			return b
		}
	}
	bin := filepath.Join(t.TempDir(), "scimreplay")
	cmd := exec.Command("go", "build", "-o", bin, "github.com/scimreplay/scimreplay/cmd/scimreplay")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	t.Setenv("SCIMREPLAY_BINARY", bin)
	return bin
}

func run(t *testing.T, within time.Duration, o Options) (rows []*Row, table string, code int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), within)
	defer cancel()
	o.Exe, o.Out = binary(t), t.TempDir()
	var b strings.Builder
	o.Progress = &b
	rows = Run(ctx, o)
	var tb strings.Builder
	code = WriteTable(&tb, rows)
	t.Logf("progress:\n%s", b.String())
	return rows, tb.String(), code
}

// TestDetectionMatrix is the harness's own regression test: every fault mode of the reference
// directory must turn at least one scenario of the catalogue red, and the directory with no fault
// must pass every scenario. A change that weakens an assertion, or a fault mode that no scenario
// exercises, turns it red. The table is logged either way.
func TestDetectionMatrix(t *testing.T) {
	if testing.Short() {
		t.Skip("the matrix gates the whole catalogue once per fault mode and variation")
	}
	var faults, background, exploreOnly, variations []string
	for _, f := range directory.Faults() {
		faults = append(faults, f.Name)
		if f.Background {
			background = append(background, f.Name)
		}
		if f.ExploreOnly {
			exploreOnly = append(exploreOnly, f.Name)
		}
	}
	for _, v := range directory.Variations() {
		variations = append(variations, v.Name)
	}
	// The directory served in each gate's process: the container path is gated end to end by
	// suites/forcesync and the CLI tests.
	rows, table, code := run(t, 8*time.Minute, Options{Faults: faults, Variations: variations, Background: background,
		ExploreOnly: exploreOnly, Jobs: 6, WindowParallel: 4, GateArgs: []string{"--reference-loopback"}})
	t.Logf("detection matrix:\n%s\n%s", table, Verdict(code))
	if code != 0 {
		t.Fatalf("matrix exit %d, want 0 (every fault caught, the clean directory and every variation passing)", code)
	}
	if len(rows) != len(faults)+len(variations)+1 || rows[0].Verdict() != Pass {
		t.Fatalf("%d rows, the first %s; want the clean directory passing, then one row per fault and variation", len(rows), rows[0].Summary())
	}
	for _, r := range rows[1:] {
		want := Caught
		switch {
		case r.Variation != "":
			want = Pass
		case r.ExploreOnly:
			want = ExploreOnly // the catalogue misses it by design; cmd/scimreplay's explore tests find it
		}
		if r.Verdict() != want {
			t.Errorf("%s, want %s", r.Summary(), want)
		}
		for _, name := range []string{"junit.xml", "summary.md", "report.html", "gate.log"} {
			if _, err := os.Stat(filepath.Join(r.Dir, name)); err != nil {
				t.Errorf("row %s: %v", r.Name(), err)
			}
		}
	}
	// The table says what the gate found: ACCESS-1003 is caught by the identical re-push.
	if !regexp.MustCompile(`(?m)^access-1003 +CAUGHT +.*\bidentical-repush\b`).MatchString(table) {
		t.Errorf("access-1003 is not caught by identical-repush:\n%s", table)
	}
	if !regexp.MustCompile(`(?m)^emails-case-and-order +EXPLORE ONLY +— \(explore-only: no catalogue scenario sends the combination it needs; scimreplay explore --reference-faults emails-case-and-order finds it\)$`).MatchString(table) {
		t.Errorf("the explore-only fault's row does not say so:\n%s", table)
	}
	if !regexp.MustCompile(`(?m)^members-not-in-list +PASS +—$`).MatchString(table) {
		t.Errorf("the variations' half is missing:\n%s", table)
	}

	// How late the background fault's change was seen: the measurement behind the default
	// settle window (harness.DefaultSettle), under whatever load make test puts on the machine.
	for _, r := range rows {
		if !slices.Contains(background, r.Fault) {
			continue
		}
		run, err := reports.ReadJUnit(filepath.Join(r.Dir, "junit.xml"))
		if err != nil {
			t.Fatal(err)
		}
		var seen []time.Duration
		for _, c := range run.Cases {
			if c.Diff != nil && c.Diff.SeenAfter > 0 {
				seen = append(seen, c.Diff.SeenAfter.Round(10*time.Millisecond))
			}
		}
		slices.Sort(seen)
		t.Logf("%s: the change was seen %v after the last request (settle window %s)", r.Fault, seen, harness.DefaultSettle)
	}

	// Every check of harness.Compare is load-bearing end to end: worked out again from the
	// snapshots these gates took, each check left out lets some fault through.
	lb, err := LoadBearing(rows)
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	idle := WriteLoadBearing(&b, lb)
	t.Logf("load-bearing checks:\n%s", b.String())
	if len(idle) > 0 {
		t.Errorf("checks no fault needs (deleting them would go unnoticed): %v", idle)
	}
	for check, fault := range map[harness.Check]string{
		harness.CheckLink: "relink-on-repush", harness.CheckExternalID: "externalid-dropped",
		harness.CheckActive: "active-flipped-on-repush", harness.CheckAudit: "access-1003-queued",
		harness.CheckEmails: "emails-merged-on-put",
	} {
		if !slices.Contains(lb[check], fault) {
			t.Errorf("without the %s check, %s should go unseen; missed without it: %v", check, fault, lb[check])
		}
	}
}

// A matrix whose catalogue cannot catch a fault says so and exits 1: here the only scenario is
// the identical re-push, which no group fault touches.
func TestMatrixReportsAnUncaughtFault(t *testing.T) {
	rows, table, code := run(t, 3*time.Minute, Options{
		Faults: []string{"access-1003", "empty-replace-ignored"}, Jobs: 2,
		GateArgs: []string{"--label-filter=scenario:identical-repush", "--reference-loopback"},
	})
	if code != 1 {
		t.Fatalf("exit %d, want 1\n%s", code, table)
	}
	for _, want := range []*regexp.Regexp{
		regexp.MustCompile(`(?m)^\(none: clean directory\) +PASS +—$`),
		regexp.MustCompile(`(?m)^access-1003 +CAUGHT +identical-repush$`),
		regexp.MustCompile(`(?m)^empty-replace-ignored +MISSED +—$`),
	} {
		if !want.MatchString(table) {
			t.Errorf("table lacks %s:\n%s", want, table)
		}
	}
	if rows[2].Code != 0 {
		t.Errorf("the gate that missed the fault exited %d, want 0", rows[2].Code)
	}
}

func TestVerdictsAndExitCode(t *testing.T) {
	clean := &Row{Code: 0}
	caught := &Row{Fault: "a", Code: 1, CaughtBy: []string{"s1", "s2"}}
	missed := &Row{Fault: "b", Code: 0}
	falseAlarm := &Row{Code: 1, CaughtBy: []string{"s1"}}
	broken := &Row{Fault: "c", Code: 2, Broken: []string{"s3"}}
	caughtDespiteBroken := &Row{Fault: "d", Code: 1, CaughtBy: []string{"s1"}, Broken: []string{"s3"}}
	noJUnit := &Row{Fault: "e", Code: 2, Err: "the gate could not run"}
	exploreOnly := &Row{Fault: "f", ExploreOnly: true, Code: 0}
	exploreOnlyCaught := &Row{Fault: "g", ExploreOnly: true, Code: 1, CaughtBy: []string{"s1"}}
	for _, tc := range []struct {
		row  *Row
		want string
	}{
		{clean, Pass}, {caught, Caught}, {missed, Missed}, {falseAlarm, FalseAlarm},
		{broken, CouldNotRun}, {caughtDespiteBroken, Caught}, {noJUnit, CouldNotRun},
		{exploreOnly, ExploreOnly}, {exploreOnlyCaught, Caught},
	} {
		if got := tc.row.Verdict(); got != tc.want {
			t.Errorf("%+v: %s, want %s", tc.row, got, tc.want)
		}
	}
	for _, tc := range []struct {
		rows []*Row
		want int
	}{
		{[]*Row{clean, caught, caughtDespiteBroken}, 0},
		{[]*Row{clean, caught, missed}, 1},
		{[]*Row{falseAlarm, caught}, 1},
		{[]*Row{clean, broken}, 2},
		{[]*Row{clean, broken, missed}, 1},      // an uncaught fault outranks a row that could not run
		{[]*Row{clean, caught, exploreOnly}, 0}, // the catalogue missing an explore-only fault is no failure
	} {
		var b strings.Builder
		if got := WriteTable(&b, tc.rows); got != tc.want {
			t.Errorf("exit %d, want %d:\n%s", got, tc.want, b.String())
		}
	}
	var b strings.Builder
	WriteTable(&b, []*Row{clean, caughtDespiteBroken, noJUnit})
	for _, want := range []string{
		"fault                    verdict        caught by\n",
		"(none: clean directory)  PASS           —\n",
		"d                        CAUGHT         s1 (could not run: s3)\n",
		"e                        COULD NOT RUN  — (the gate could not run)\n",
	} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("table lacks %q:\n%s", want, b.String())
		}
	}
}

// The rows that keep the settle window gate their scenarios in WindowParallel processes; the
// fault rows that act at once read once, in one process.
func TestRowsArgs(t *testing.T) {
	rows := Options{Out: "o", Faults: []string{"a", "slow"}, Background: []string{"slow"}, Variations: []string{"v"}, WindowParallel: 2}.Rows()
	want := map[string][]string{
		CleanRow: {"--parallel=2"},
		"a":      {"--reference-faults=a", "--settle=0"},
		"slow":   {"--reference-faults=slow", "--parallel=2"},
		"v":      {"--reference-variations=v", "--parallel=2"},
	}
	for _, r := range rows {
		if !slices.Equal(r.Args, want[r.Name()]) {
			t.Errorf("row %s: args %q, want %q", r.Name(), r.Args, want[r.Name()])
		}
	}
	if r := (Options{Variations: []string{"v"}}).Rows(); len(r[0].Args) != 0 || !slices.Equal(r[1].Args, []string{"--reference-variations=v"}) {
		t.Errorf("without WindowParallel: %q, %q", r[0].Args, r[1].Args)
	}
}

// The rows that keep the settle window start first, each group in table order: started in table
// order, the variations (last in the table, each many times as long as a fault row) would run on
// alone at the end.
func TestStartOrderPutsTheWindowRowsFirst(t *testing.T) {
	rows := Options{Out: "o", Faults: []string{"a", "slow", "b"}, Background: []string{"slow"}, Variations: []string{"v", "w"}, WindowParallel: 2}.Rows()
	var names []string
	for _, i := range startOrder(rows) {
		names = append(names, rows[i].Name())
	}
	if want := []string{CleanRow, "slow", "v", "w", "a", "b"}; !slices.Equal(names, want) {
		t.Errorf("start order %q, want %q", names, want)
	}
}

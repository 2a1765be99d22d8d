package main

import (
	"bufio"
	"context"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/scimreplay/scimreplay/harness"
	"github.com/scimreplay/scimreplay/harness/scenario"
)

// exploreJUnit reads an exploration's JUnit: testcase name → failed.
func exploreJUnit(t *testing.T, path string) map[string]bool {
	t.Helper()
	cases := map[string]bool{}
	for _, s := range readJUnit(t, path).TestSuites {
		for _, tc := range s.TestCases {
			cases[tc.Name] = tc.Failure != nil || tc.Error != nil
		}
	}
	return cases
}

// Fifty generated runs of no-op pushes move nothing on the clean reference directory (served in
// process) nor on the independent elimity-based server (on loopback, keeping every run's data:
// no reset), and the reports say so.
func TestExploreCorrectServersFindNothing(t *testing.T) {
	t.Parallel()
	t.Run("reference directory", func(t *testing.T) {
		dir := t.TempDir()
		r := runCLI(t, nil, "explore", "--reference-loopback", "--settle", "0", "--seed", "1", "--runs", "50",
			"--out", filepath.Join(dir, "found"), "--junit", filepath.Join(dir, "junit.xml"))
		if r.code != 0 {
			t.Fatalf("exit %d, want 0\n%s\n%s", r.code, r.stdout, r.stderr)
		}
		for _, want := range []string{"explore: run 1/50 passed; 0 failures; ", "explore: 50 runs (seed 1) moved nothing; it stopped because its runs were done", "PASS exploration — checked "} {
			if !strings.Contains(r.stdout, want) {
				t.Errorf("output lacks %q:\n%s", want, r.stdout)
			}
		}
		if cases := exploreJUnit(t, filepath.Join(dir, "junit.xml")); len(cases) != 1 || cases["explore/okta/exploration"] {
			t.Errorf("JUnit testcases %v, want the exploration alone, passed", cases)
		}
		for _, name := range []string{"summary.md", "report.html"} {
			if _, err := os.Stat(filepath.Join(dir, name)); err != nil {
				t.Error(err)
			}
		}
		if _, err := os.Stat(filepath.Join(dir, "found")); !os.IsNotExist(err) {
			t.Errorf("nothing was found, yet --out was written: %v", err)
		}
	})
	t.Run("elimity", func(t *testing.T) {
		token := harness.RandomToken()
		args := append([]string{"explore", "--target-url", elimityOnLoopback(t, token), "--settle", "0", "--seed", "1", "--runs", "50", "--out", t.TempDir()}, elimityProbes()...)
		r := runCLI(t, []string{"SCIMREPLAY_TARGET_TOKEN=" + token}, args...)
		if r.code != 0 || !strings.Contains(r.stdout, "explore: 50 runs (seed 1) moved nothing") {
			t.Fatalf("exit %d, want 0 after 50 runs\n%s\n%s", r.code, r.stdout, r.stderr)
		}
	})
}

var (
	firstFailRE = regexp.MustCompile(`explore: run \d+ of seed \d+ failed: (\d+) users? \(\d+ unmanaged\), \d+ groups?, \d+ push(?:es)? \((\d+) requests?\)`)
	reproduceRE = regexp.MustCompile(`(?m)^reproduce it: scimreplay (gate .*)$`)
	sentRE      = regexp.MustCompile(`forceSync: (\d+) requests sent`)
)

// reproduce runs the gate line explore printed and returns its result.
func reproduce(t *testing.T, exploreOut string) result {
	t.Helper()
	m := reproduceRE.FindStringSubmatch(exploreOut)
	if m == nil {
		t.Fatalf("no reproduce line in:\n%s", exploreOut)
	}
	return runCLI(t, nil, strings.Fields(m[1])...)
}

func atoi(t *testing.T, s string) int {
	t.Helper()
	n, err := strconv.Atoi(s)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// With access-1003 on (the reference directory's image, in a container: the path a user
// takes), explore finds a failure, shrinks it and writes it as a scenario that turns the gate
// red on its own, with fewer users and requests than the run that first failed.
func TestExploreFindsAccess1003AndShrinksItToAScenario(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	r := runCLI(t, nil, "explore", "--reference-faults", "access-1003", "--settle", "0", "--seed", "1", "--runs", "50",
		"--out", filepath.Join(dir, "found"), "--junit", filepath.Join(dir, "junit.xml"))
	if r.code != 1 {
		t.Fatalf("exit %d, want 1\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	first := firstFailRE.FindStringSubmatch(r.stdout)
	if first == nil {
		t.Fatalf("no first failing run in:\n%s", r.stdout)
	}
	file := filepath.Join(dir, "found", "explore-okta-seed-1.yaml")
	sc, err := scenario.LoadFile(file)
	if err != nil {
		t.Fatalf("the minimal failing case does not load: %v\n%s", err, r.stdout)
	}
	if !strings.Contains(sc.Source, "scimreplay explore --idp okta --seed 1") || !strings.Contains(sc.Source, "user-") {
		t.Errorf("source: names neither the seed nor the generator: %s", sc.Source)
	}
	if users := len(sc.Org.Users); users >= atoi(t, first[1]) {
		t.Errorf("the scenario has %d users, the first failing run %s", users, first[1])
	}
	if !strings.Contains(r.stdout, "reproduce it: scimreplay gate --reference-faults access-1003 --settle 0 --scenarios "+file+"\n") {
		t.Errorf("the reproduce line is not the gate with the same target and the file:\n%s", r.stdout)
	}
	cases := exploreJUnit(t, filepath.Join(dir, "junit.xml"))
	if len(cases) != 2 || cases["explore/okta/exploration"] || !cases["explore/okta/explore-okta-seed-1"] {
		t.Errorf("JUnit testcases %v, want the exploration (passed) and the minimal case (failed)", cases)
	}

	g := reproduce(t, r.stdout)
	if g.code != 1 || !strings.Contains(g.stdout, "(unmanaged): link acct-") {
		t.Fatalf("the shrunk scenario's gate: exit %d, want 1 naming the unlinked user\n%s\n%s", g.code, g.stdout, g.stderr)
	}
	sent := sentRE.FindStringSubmatch(g.stdout)
	if sent == nil || atoi(t, sent[1]) >= atoi(t, first[2]) {
		t.Errorf("the shrunk scenario sent %v force-sync requests, the first failing run %s", sent, first[2])
	}
}

// emails-case-and-order fires only when one push both reorders and re-cases the emails: the
// catalogue never sends that, so the gate stays green, and explore finds it.
func TestExploreFindsWhatTheCatalogueMisses(t *testing.T) {
	t.Parallel()
	gate := runCLI(t, nil, "gate", "--reference-loopback", "--reference-faults", "emails-case-and-order", "--settle", "0")
	if gate.code != 0 {
		t.Fatalf("the catalogue's gate: exit %d, want 0 (no scenario sends the combination)\n%s\n%s", gate.code, gate.stdout, gate.stderr)
	}
	dir := t.TempDir()
	r := runCLI(t, nil, "explore", "--reference-loopback", "--reference-faults", "emails-case-and-order", "--settle", "0",
		"--seed", "1", "--runs", "50", "--out", dir)
	if r.code != 1 || !strings.Contains(r.stdout, "emails reordered") {
		t.Fatalf("explore: exit %d, want 1 with a push that reorders the emails\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	if g := reproduce(t, r.stdout); g.code != 1 {
		t.Fatalf("the shrunk scenario's gate: exit %d, want 1\n%s\n%s", g.code, g.stdout, g.stderr)
	}
	// The README's example is this very exploration: its shrinking line and the file's steps.
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	section := string(readme)[strings.Index(string(readme), "## scimreplay explore"):]
	shrunk := regexp.MustCompile(`(?m)^explore: shrunk in .*$`).FindString(section)
	if shrunk == "" || !strings.Contains(r.stdout, shrunk+"\n") {
		t.Errorf("the README says %q; explore printed:\n%s", shrunk, r.stdout)
	}
	file, err := os.ReadFile(filepath.Join(dir, "explore-okta-seed-1.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	yml := regexp.MustCompile("(?s)```yaml\n(.*?)```").FindStringSubmatch(section)
	if yml == nil || !strings.Contains(string(file), yml[1]) {
		t.Errorf("the README's YAML is not an excerpt of the file explore wrote:\n%s", file)
	}
}

func TestExploreBadInputExits2(t *testing.T) {
	t.Parallel()
	for name, c := range map[string]struct {
		args []string
		want string
	}{
		"entra dialect on okta": {[]string{"--entra-dialect", "default"}, "--entra-dialect applies to --idp entra, not --idp okta"},
		"unknown entra dialect": {[]string{"--idp", "entra", "--entra-dialect", "v2"}, `unknown Entra dialect "v2"`},
		"unknown idp":           {[]string{"--idp", "pingone"}, `unknown --idp "pingone"`},
		"no runs":               {[]string{"--runs", "0"}, "--runs must be between 1 and"},
		"no time":               {[]string{"--time", "0s"}, "--time must be positive"},
		"unknown fault":         {[]string{"--reference-faults", "no-such-fault"}, "unknown fault"},
		"fault on a URL":        {[]string{"--target-url", "http://127.0.0.1:9", "--reference-faults", "access-1003"}, "applies to the reference directory"},
		"stray":                 {[]string{"extra"}, "unexpected arguments"},
	} {
		t.Run(name, func(t *testing.T) {
			r := runCLI(t, nil, append([]string{"explore"}, c.args...)...)
			if r.code != 2 || !strings.Contains(r.stderr, c.want) {
				t.Fatalf("exit %d, want 2 saying %q\n%s\n%s", r.code, c.want, r.stdout, r.stderr)
			}
		})
	}
}

// Ctrl-C stops an exploration and it still writes its reports: nothing found, so it could not
// finish (exit 2), and says after how many runs.
func TestExploreInterruptedWritesItsReports(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute) // a safety net, not a measure
	defer cancel()
	cmd := exec.CommandContext(ctx, scimreplayBinary(t), "explore", "--reference-loopback", "--settle", "0", "--runs", "100000",
		"--time", "10m", "--junit", filepath.Join(dir, "junit.xml"))
	cmd.Env = append(os.Environ(), "NO_COLOR=1")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var out strings.Builder
	sc := bufio.NewScanner(stdout)
	for sc.Scan() {
		out.WriteString(sc.Text() + "\n")
		if strings.HasPrefix(sc.Text(), "explore: run 1/100000 passed") {
			if err := cmd.Process.Signal(os.Interrupt); err != nil {
				t.Fatal(err)
			}
			break
		}
	}
	rest, _ := io.ReadAll(stdout)
	out.Write(rest)
	err = cmd.Wait()
	code := cmd.ProcessState.ExitCode()
	if code != 2 {
		t.Fatalf("exit %d (%v), want 2\n%s", code, err, out.String())
	}
	for _, want := range []string{"interrupted by SIGINT", "it stopped because it was interrupted", "COULD NOT RUN exploration"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
	if cases := exploreJUnit(t, filepath.Join(dir, "junit.xml")); !cases["explore/okta/exploration"] {
		t.Errorf("JUnit testcases %v, want the exploration, could not run", cases)
	}
}

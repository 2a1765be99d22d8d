package main

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// ginkgoMarks are what Ginkgo's own console reporter writes: its banner, spec blocks and
// timelines, failure blocks and summary. None belongs in the gate's default output.
var ginkgoMarks = []string{"Running Suite", "Random Seed", "Will run ", "STEP:", "[It]", "•", "------", "[FAILED]", "Summarizing", "Ran 1 of", "Timeline"}

// harnessLocation is a source location of this module as Ginkgo records one: the absolute path
// of a build without -trimpath, or the module path of one with it.
var harnessLocation = regexp.MustCompile(`forcesync\.go:|/harness/|\.go:[0-9]`)

// runCLIToFile runs the CLI with its stdout and stderr regular files — not a terminal, as in a CI
// log or `> out.txt` — and NO_COLOR and CI unset (env may set them again).
func runCLIToFile(t *testing.T, env []string, args ...string) result {
	t.Helper()
	dir := t.TempDir()
	stdout, err := os.Create(filepath.Join(dir, "stdout"))
	if err != nil {
		t.Fatal(err)
	}
	defer stdout.Close()
	stderr, err := os.Create(filepath.Join(dir, "stderr"))
	if err != nil {
		t.Fatal(err)
	}
	defer stderr.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, scimreplayBinary(t), args...)
	cmd.Cancel = func() error { return cmd.Process.Signal(os.Interrupt) }
	cmd.WaitDelay = time.Minute
	cmd.Env = append(uncolouredEnv(), env...)
	cmd.Stdout, cmd.Stderr = stdout, stderr
	err = cmd.Run()
	code := 0
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("run scimreplay: %v", err)
	}
	return result{code, readFile(t, stdout.Name()), readFile(t, stderr.Name())}
}

// uncolouredEnv is this process's environment without what turns colour off (NO_COLOR, CI), so a
// test sees what the output does by itself, plus the settings Docker-backed runs need here.
func uncolouredEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if k, _, _ := strings.Cut(kv, "="); k != "NO_COLOR" && k != "CI" {
			env = append(env, kv)
		}
	}
	env = append(env, "TESTCONTAINERS_RYUK_DISABLED=true")
	if os.Getenv("TESTCONTAINERS_HOST_OVERRIDE") == "" {
		env = append(env, "TESTCONTAINERS_HOST_OVERRIDE=127.0.0.1")
	}
	return env
}

func expectNoGinkgoOutput(t *testing.T, out string) {
	t.Helper()
	if strings.Contains(out, "\x1b[") {
		t.Errorf("the output holds ANSI escapes:\n%q", out)
	}
	for _, mark := range ginkgoMarks {
		if strings.Contains(out, mark) {
			t.Errorf("the output holds Ginkgo's %q:\n%s", mark, out)
		}
	}
}

func expectContains(t *testing.T, what, text string, wants ...string) {
	t.Helper()
	for _, want := range wants {
		if !strings.Contains(text, want) {
			t.Errorf("%s lacks %q:\n%s", what, want, text)
		}
	}
}

// A gate's console output, written to a file as a CI log is, is the harness's own: the progress
// lines and the closing verdict with every failure's words, without Ginkgo's banner, timelines,
// failure blocks or colour; -v brings Ginkgo's detail back, still without colour off a
// terminal. Its reports name no source location of the harness and keep the diff.
func TestGateOutputIsTheHarnessOwn(t *testing.T) {
	t.Parallel()
	progress := []string{"scenario 1/1 identical-repush (okta/identical-repush.yaml)\n", "  target started: reference-directory\n", "  provision: 12 requests sent\n", "  forceSync: "}
	t.Run("green", func(t *testing.T) {
		r := runCLIToFile(t, nil, "gate", "--label-filter", theScenario, "--run-id", testRunID(t))
		if r.code != 0 {
			t.Fatalf("exit %d, want 0\n%s\n%s", r.code, r.stdout, r.stderr)
		}
		expectNoGinkgoOutput(t, r.stdout)
		expectContains(t, "stdout", r.stdout, progress...)
		expectContains(t, "stdout", r.stdout, "  PASS identical-repush (checked 4 users", "\nPASS identical-repush — checked 4 users", "\nverdict: PASS")
	})
	red := []string{"--reference-faults", "access-1003", "--label-filter", theScenario}
	diff := "bob@partner.example (unmanaged): link acct-bob → none; groups {confluence-users, jira-users} → {}"
	t.Run("red", func(t *testing.T) {
		dir := t.TempDir()
		r := runCLIToFile(t, nil, append([]string{"gate", "--junit", filepath.Join(dir, "junit.xml"), "--run-id", testRunID(t)}, red...)...)
		if r.code != 1 {
			t.Fatalf("exit %d, want 1\n%s\n%s", r.code, r.stdout, r.stderr)
		}
		expectNoGinkgoOutput(t, r.stdout)
		expectContains(t, "stdout", r.stdout, progress...)
		expectContains(t, "stdout", r.stdout, "  FAIL identical-repush: 2 users, 2 groups, 2 audit lines",
			"\nFAIL identical-repush — checked 4 users", "    "+diff+"\n", "primary email bob@partner.example, unlinked any associated atlassian account.", "\nverdict: FAIL")
		if loc := harnessLocation.FindString(r.stdout); loc != "" {
			t.Errorf("stdout names a source location of the harness (%s):\n%s", loc, r.stdout)
		}
		for name, words := range map[string]string{"junit.xml": diff, "summary.md": "link acct-bob → none", "report.html": "acct-bob"} {
			text := readFile(t, filepath.Join(dir, name))
			if loc := harnessLocation.FindString(text); loc != "" {
				i := strings.Index(text, loc)
				t.Errorf("%s names a source location of the harness: …%s…", name, text[max(0, i-80):min(len(text), i+40)])
			}
			expectContains(t, name, text, words)
		}
	})
	t.Run("red -v", func(t *testing.T) {
		r := runCLIToFile(t, nil, append([]string{"gate", "-v", "--run-id", testRunID(t)}, red...)...)
		if r.code != 1 {
			t.Fatalf("exit %d, want 1\n%s\n%s", r.code, r.stdout, r.stderr)
		}
		if strings.Contains(r.stdout, "\x1b[") {
			t.Errorf("-v to a file holds ANSI escapes although NO_COLOR and CI are unset:\n%q", r.stdout)
		}
		expectContains(t, "-v stdout", r.stdout, "Running Suite: Force sync", "STEP: starting the target reference-directory",
			"Creating container for image", "[It] identical-repush", "[FAILED]", "Ran 1 of 1 Specs")
		expectContains(t, "-v stdout", r.stdout, progress...)
		expectContains(t, "-v stdout", r.stdout, "\nFAIL identical-repush — checked 4 users", "    "+diff+"\n", "\nverdict: FAIL")
	})
}

// conformance prints its own verdict, one line per check, and nothing of Ginkgo's; its JUnit
// names no line of the harness.
func TestConformanceOutputIsTheHarnessOwn(t *testing.T) {
	t.Parallel()
	junit := filepath.Join(t.TempDir(), "junit.xml")
	r := runCLIToFile(t, nil, "conformance", "--reference-loopback", "--reference-faults", "lookup-case-sensitive",
		"--label-filter", "conformance:lookup-case-insensitive", "--junit", junit)
	if r.code != 1 {
		t.Fatalf("exit %d, want 1\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	expectNoGinkgoOutput(t, r.stdout)
	expectContains(t, "stdout", r.stdout, "FAIL conformance:lookup-case-insensitive", "verdict: FAIL — the target lacks what Okta requires: conformance:lookup-case-insensitive (exit 1)")
	if text := readFile(t, junit); harnessLocation.MatchString(text) {
		t.Errorf("the JUnit names a source location of the harness (%s)", harnessLocation.FindString(text))
	}
}

// A gate that cannot write its reports says so and exits 2: the error used to be only in
// Ginkgo's output, and the exit code 0.
func TestGateSaysWhenItCannotWriteItsReports(t *testing.T) {
	t.Parallel()
	notADir := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(notADir, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	r := runCLIToFile(t, nil, "gate", "--reference-loopback", "--settle", "0", "--label-filter", theScenario, "--junit", filepath.Join(notADir, "junit.xml"))
	if r.code != 2 {
		t.Fatalf("exit %d, want 2\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	expectContains(t, "stderr", r.stderr, "scimreplay gate: write "+filepath.Join(notADir, "junit.xml"))
	expectContains(t, "stdout", r.stdout, "\nPASS identical-repush", "\nverdict: COULD NOT RUN")
}

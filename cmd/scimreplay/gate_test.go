package main

import (
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/onsi/ginkgo/v2/reporters"
)

// scimreplayBinary is the static CLI under test: $SCIMREPLAY_BINARY (the Makefile builds it)
// or one built now.
func scimreplayBinary(t *testing.T) string {
	t.Helper()
	if b := os.Getenv("SCIMREPLAY_BINARY"); b != "" {
		if _, err := os.Stat(b); err == nil {
			return b
		}
	}
	bin := filepath.Join(t.TempDir(), "scimreplay")
	cmd := exec.Command("go", "build", "-o", bin, ".")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// buildOnce builds an image once per test binary, however many parallel tests ask for it; a build
// that fails is tried again by the next test that asks.
type buildOnce struct {
	mu   sync.Mutex
	done bool
}

func (b *buildOnce) do(t *testing.T, build func(*testing.T)) {
	t.Helper()
	b.mu.Lock()
	defer b.mu.Unlock()
	if !b.done {
		build(t) // a t.Fatal in it ends the test here, done still false
		b.done = true
	}
}

type result struct {
	code   int
	stdout string
	stderr string
}

func runCLI(t *testing.T, env []string, args ...string) result {
	t.Helper()
	return runCLIWithin(t, 4*time.Minute, env, args...)
}

// runCLIWithin runs the CLI, interrupting it (so it removes its containers) after timeout.
func runCLIWithin(t *testing.T, timeout time.Duration, env []string, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, scimreplayBinary(t), args...)
	cmd.Cancel = func() error { return cmd.Process.Signal(os.Interrupt) }
	cmd.WaitDelay = time.Minute
	cmd.Env = append(append(os.Environ(), "TESTCONTAINERS_RYUK_DISABLED=true", "NO_COLOR=1"), env...)
	if os.Getenv("TESTCONTAINERS_HOST_OVERRIDE") == "" {
		cmd.Env = append(cmd.Env, "TESTCONTAINERS_HOST_OVERRIDE=127.0.0.1")
	}
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("run scimreplay: %v", err)
	}
	return result{code, out.String(), errb.String()}
}

func readJUnit(t *testing.T, path string) reporters.JUnitTestSuites {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var suites reporters.JUnitTestSuites
	if err := xml.Unmarshal(b, &suites); err != nil {
		t.Fatalf("JUnit does not parse: %v", err)
	}
	return suites
}

func TestGateCleanDirectoryPasses(t *testing.T) {
	t.Parallel()
	junit := filepath.Join(t.TempDir(), "junit.xml")
	r := runCLI(t, nil, "gate", "--junit", junit, "--label-filter", "scenario:identical-repush")
	if r.code != 0 {
		t.Fatalf("exit %d, want 0\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	s := readJUnit(t, junit)
	if s.Tests < 1 || s.Failures != 0 {
		t.Fatalf("JUnit: %d tests, %d failures", s.Tests, s.Failures)
	}
}

func TestReproduceAccess1003GoesRedAndNamesUnmanagedUsers(t *testing.T) {
	t.Parallel()
	junit := filepath.Join(t.TempDir(), "junit.xml")
	r := runCLI(t, nil, "gate", "--reference-faults", "access-1003", "--junit", junit, "--label-filter", "scenario:identical-repush")
	if r.code != 1 {
		t.Fatalf("exit %d, want 1\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	for _, want := range []string{
		"bob@partner.example (unmanaged): link acct-bob → none; groups {confluence-users, jira-users} → {}",
		"carol@contractor.example (unmanaged): link acct-carol → none; groups {jira-users} → {}",
		"Email update to unmanaged user with ID ",
		"primary email bob@partner.example, unlinked any associated atlassian account.",
	} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("output lacks %q:\n%s", want, r.stdout)
		}
	}
	if strings.Contains(r.stdout, "alice@acme.example (managed)") {
		t.Errorf("a managed user that kept its link is named as changed:\n%s", r.stdout)
	}
	s := readJUnit(t, junit)
	var msg string
	for _, suite := range s.TestSuites {
		for _, tc := range suite.TestCases {
			if tc.Failure != nil {
				msg += tc.Failure.Message
			}
		}
	}
	if !strings.Contains(msg, "bob@partner.example (unmanaged): link acct-bob → none") {
		t.Errorf("the diff is not the JUnit failure message: %q", msg)
	}
}

func TestGateBadInputExits2(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.yaml")
	if err := os.WriteFile(bad, []byte("version: 1\nname: bad\nsource: s\nforceSync:\n  - method: GET\n    path: Users\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for name, args := range map[string][]string{
		"unknown fault":  {"gate", "--reference-faults", "no-such-fault"},
		"bad scenario":   {"gate", "--scenarios", bad},
		"unknown flag":   {"gate", "--no-such-flag"},
		"two targets":    {"gate", "--target-image", "x:y", "--target-url", "http://127.0.0.1:1"},
		"unknown cmd":    {"frobnicate"},
		"stray argument": {"gate", "extra"},
	} {
		t.Run(name, func(t *testing.T) {
			r := runCLI(t, nil, args...)
			if r.code != 2 {
				t.Fatalf("exit %d, want 2\n%s\n%s", r.code, r.stdout, r.stderr)
			}
			if name == "bad scenario" && !strings.Contains(r.stderr, bad+":6:11: path \"Users\" must start with /") {
				t.Fatalf("no file:line:col in %q", r.stderr)
			}
			if name == "unknown fault" && !strings.Contains(r.stderr, "access-1003") {
				t.Fatalf("the error should list the known faults: %q", r.stderr)
			}
		})
	}
}

func TestGateWithoutDockerDaemonSaysSo(t *testing.T) {
	t.Parallel()
	r := runCLI(t, []string{"DOCKER_HOST=unix://" + filepath.Join(t.TempDir(), "no-docker.sock")}, "gate", "--label-filter", "scenario:identical-repush")
	if r.code != 2 {
		t.Fatalf("exit %d, want 2\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	if !strings.Contains(r.stdout+r.stderr, "no Docker daemon answers") {
		t.Fatalf("the message must name the missing daemon:\n%s\n%s", r.stdout, r.stderr)
	}
	// In words, not as Gomega's dump of an error value.
	if strings.Contains(r.stdout, "Expected success") || strings.Contains(r.stdout, "*errors.") {
		t.Errorf("the reason is a matcher's dump, not words:\n%s", r.stdout)
	}
	if !strings.Contains(r.stdout, "COULD NOT RUN [BeforeSuite]\n    could not run: ") {
		t.Errorf("the verdict does not carry the reason:\n%s", r.stdout)
	}
}

func TestGateUnreachableURLExits2(t *testing.T) {
	t.Parallel()
	r := runCLI(t, nil, "gate", "--target-url", "http://127.0.0.1:9", "--target-startup-timeout", "1s",
		"--label-filter", "scenario:identical-repush || scenario:aiw-put")
	if r.code != 2 {
		t.Fatalf("exit %d, want 2\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	if !strings.Contains(r.stdout, "not ready after 1s") {
		t.Fatalf("no reason given:\n%s", r.stdout)
	}
	// The second scenario does not wait out the startup timeout again; it says why.
	if !strings.Contains(r.stdout, "could not run: the target did not start for aiw-put: run target: target http://127.0.0.1:9 not ready after 1s") {
		t.Fatalf("the later scenario does not name the earlier start failure:\n%s", r.stdout)
	}
}

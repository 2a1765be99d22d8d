//go:build linux

package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
	"unsafe"
)

// openPTY opens a pseudo-terminal: the controlling side and the terminal a child writes to.
func openPTY(t *testing.T) (control, tty *os.File) {
	t.Helper()
	control, err := os.OpenFile("/dev/ptmx", os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Skipf("no pseudo-terminal here: %v", err)
	}
	var n, unlock uint32
	if _, _, e := syscall.Syscall(syscall.SYS_IOCTL, control.Fd(), syscall.TIOCSPTLCK, uintptr(unsafe.Pointer(&unlock))); e != 0 {
		t.Fatalf("unlock the pseudo-terminal: %v", e)
	}
	if _, _, e := syscall.Syscall(syscall.SYS_IOCTL, control.Fd(), syscall.TIOCGPTN, uintptr(unsafe.Pointer(&n))); e != 0 {
		t.Fatalf("number the pseudo-terminal: %v", e)
	}
	tty, err = os.OpenFile(fmt.Sprintf("/dev/pts/%d", n), os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Fatal(err)
	}
	return control, tty
}

// runCLIOnTerminal runs the CLI with its stdout and stderr a terminal, NO_COLOR and CI unset
// (env may set them again), and returns what it wrote there.
func runCLIOnTerminal(t *testing.T, env []string, args ...string) (int, string) {
	t.Helper()
	return onTerminal(t, env, false, "", args...)
}

// runCLIAnswering is runCLIOnTerminal with the terminal its stdin too, at which answer is typed;
// what it returns holds the typed answer, echoed.
func runCLIAnswering(t *testing.T, answer string, args ...string) (int, string) {
	t.Helper()
	return onTerminal(t, nil, true, answer, args...)
}

func onTerminal(t *testing.T, env []string, stdin bool, answer string, args ...string) (int, string) {
	t.Helper()
	control, tty := openPTY(t)
	defer control.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, scimreplayBinary(t), args...)
	cmd.Env = append(uncolouredEnv(), env...)
	cmd.Stdout, cmd.Stderr = tty, tty
	if stdin {
		cmd.Stdin = tty
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	tty.Close() // the child holds the terminal now: reading ends when it exits
	// The terminal holds a typed line until the CLI reads it, whenever it asks.
	if _, err := io.WriteString(control, answer); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	read := make(chan struct{})
	go func() { io.Copy(&out, control); close(read) }() // ends with EIO once the child is gone
	err := cmd.Wait()
	<-read
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return code, strings.ReplaceAll(out.String(), "\r\n", "\n")
}

// On a terminal -v shows Ginkgo's detail in colour, unless NO_COLOR is set: the positive control
// for TestGateOutputIsTheHarnessOwn, whose files get none. The default output has no Ginkgo
// detail on a terminal either.
func TestGateColourOnlyOnATerminal(t *testing.T) {
	t.Parallel()
	args := []string{"gate", "--reference-loopback", "--settle", "0", "--label-filter", theScenario}
	code, out := runCLIOnTerminal(t, nil, append(args, "-v")...)
	if code != 0 {
		t.Fatalf("exit %d, want 0\n%s", code, out)
	}
	if !strings.Contains(out, "\x1b[") || !strings.Contains(out, "Ran 1 of 1 Specs") {
		t.Errorf("-v on a terminal shows no coloured Ginkgo detail:\n%q", out)
	}
	code, out = runCLIOnTerminal(t, []string{"NO_COLOR=1"}, append(args, "-v")...)
	if code != 0 || strings.Contains(out, "\x1b[") || !strings.Contains(out, "Ran 1 of 1 Specs") {
		t.Errorf("-v with NO_COLOR on a terminal: exit %d, want 0, Ginkgo's detail and no ANSI escape:\n%q", code, out)
	}
	code, out = runCLIOnTerminal(t, nil, args...)
	if code != 0 {
		t.Fatalf("exit %d, want 0\n%s", code, out)
	}
	expectNoGinkgoOutput(t, out)
	expectContains(t, "the terminal", out, "  PASS identical-repush (checked", "\nverdict: PASS")
}

// With nobody naming the verified domains, init asks for them at a terminal: what looks like a
// domain is kept (an address, a path or a phrase is not), and the profile lists it; an empty
// answer leaves the marked placeholder. (In a script or CI it does not ask: TestInitURLTarget
// and the others name them or get the placeholder.)
func TestInitAsksForTheVerifiedDomainsAtATerminal(t *testing.T) {
	t.Parallel()
	const token = "srt_init_pty_token_51c2"
	root := serveDirectory(t, "/scim/v2", token)
	for _, c := range []struct {
		name, answer, want string
	}{
		{"answered", "acme.example, bob@partner.example, not a domain, /scim\n", `verifiedDomains: ["acme.example"]`},
		{"left empty", "\n", `# verifiedDomains: ["example.com"]`},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			out := filepath.Join(t.TempDir(), "scimreplay.yaml")
			code, term := runCLIAnswering(t, c.answer, "init", "--target-url", root+"/scim/v2", "--target-token", token, "--out", out)
			if code != 0 {
				t.Fatalf("exit %d, want 0\n%s", code, term)
			}
			if !strings.Contains(term, "verified domains of the server (users elsewhere are unmanaged), comma-separated, empty to leave a placeholder: ") {
				t.Errorf("init did not ask for the verified domains:\n%s", term)
			}
			profile := readFile(t, out)
			if !strings.Contains(profile, c.want) {
				t.Errorf("the profile lacks %s:\n%s", c.want, profile)
			}
			if c.name == "answered" && strings.Contains(profile, "partner.example") {
				t.Errorf("an address was taken for a domain:\n%s", profile)
			}
			if strings.Contains(profile+term, token) {
				t.Error("the token was written")
			}
		})
	}
}

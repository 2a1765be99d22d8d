package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/scimreplay/scimreplay/fakes/directory"
	"github.com/scimreplay/scimreplay/fakes/okta"
	"github.com/scimreplay/scimreplay/fakes/reference"
	"github.com/scimreplay/scimreplay/harness"
	"github.com/scimreplay/scimreplay/harness/record"
	"github.com/scimreplay/scimreplay/harness/scenario"
	"github.com/scimreplay/scimreplay/scenarios"
)

const recordToken = "srt_cli_record_9d8c7b6a5f4e3d2c1b0a"

func directoryServer(t *testing.T) *httptest.Server {
	t.Helper()
	d, err := directory.New(directory.Config{Token: recordToken, VerifiedDomains: []string{reference.VerifiedDomain}})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(d)
	t.Cleanup(srv.Close)
	return srv
}

// startRecord runs `scimreplay record` as a process and returns it with the proxy's URL.
func startRecord(t *testing.T, args ...string) (*exec.Cmd, string, *bytes.Buffer) {
	t.Helper()
	cmd := exec.Command(scimreplayBinary(t), append([]string{"record", "--listen", "127.0.0.1:0"}, args...)...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	pipe, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	addr := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(pipe)
		for sc.Scan() {
			if rest, ok := strings.CutPrefix(sc.Text(), "recording on "); ok {
				addr <- strings.Fields(rest)[0]
			}
		}
	}()
	select {
	case a := <-addr:
		return cmd, a, &stderr
	case <-time.After(30 * time.Second):
		t.Fatalf("record did not start: %s", stderr.String())
	}
	return nil, "", nil
}

func waitExit(t *testing.T, cmd *exec.Cmd) int {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return ee.ExitCode()
		}
		if err != nil {
			t.Fatal(err)
		}
		return 0
	case <-time.After(30 * time.Second):
		t.Fatal("record did not stop within 30s of the signal")
	}
	return -1
}

// TestRecordWritesTheScenarioOnSIGTERM puts the recording proxy between the fake Okta and a
// directory, stops it with SIGTERM, and checks the file: no token, pseudonymised, and it
// replays against a fresh directory with nothing moved.
func TestRecordWritesTheScenarioOnSIGTERM(t *testing.T) {
	t.Parallel()
	upstream := directoryServer(t)
	out := filepath.Join(t.TempDir(), "recorded.yaml")
	cmd, proxy, stderr := startRecord(t, "--upstream", upstream.URL+"/scim/v2", "--out", out, "--pseudonymise")

	scs, err := scenarios.Okta()
	if err != nil {
		t.Fatal(err)
	}
	var sc *scenario.Scenario
	for _, s := range scs {
		if s.Name == "identical-repush" {
			sc = s
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	c := harness.NewClient(proxy, recordToken)
	c.Timeout = 10 * time.Second
	p := &okta.Replayer{Client: c}
	run := okta.NewRun(sc, "rec")
	if err := p.Phase(ctx, run, "provision", sc.Provision); err != nil {
		t.Fatal(err)
	}
	resp, err := http.Post(proxy+record.PhasePath+"forceSync", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if err := p.Phase(ctx, run, "forceSync", sc.ForceSync); err != nil {
		t.Fatal(err)
	}

	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if code := waitExit(t, cmd); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	for _, leak := range []string{recordToken, "bob@partner.example", "Brown", "Okta-Gen-"} {
		if strings.Contains(string(b), leak) {
			t.Errorf("the recording holds %q", leak)
		}
	}
	rsc, err := scenario.Parse(out, b)
	if err != nil {
		t.Fatal(err)
	}
	if rsc.Name != "recorded" || len(rsc.Provision) == 0 || len(rsc.ForceSync) != 8 {
		t.Fatalf("%s: %d provision, %d forceSync steps (want 8: GET + PUT for 4 users)", rsc.Name, len(rsc.Provision), len(rsc.ForceSync))
	}
	fresh := directoryServer(t)
	spec := reference.Target(nil, nil)
	rc := harness.NewClient(fresh.URL+"/scim/v2", recordToken)
	res, err := (&okta.Replayer{Client: rc}).Replay(ctx, rsc, "replay", okta.Options{Probes: harness.Probes{Link: spec.LinkProbe}, Managed: spec.Classifier()})
	if err != nil {
		t.Fatal(err)
	}
	if d := res.Diff; !d.Empty() || len(res.After.Users) != 4 {
		t.Fatalf("replay: %d users, diff %s", len(res.After.Users), d)
	}
}

func TestRecordSIGINTWithNothingRecordedWritesNothing(t *testing.T) {
	t.Parallel()
	out := filepath.Join(t.TempDir(), "empty.yaml")
	cmd, _, stderr := startRecord(t, "--upstream", "http://127.0.0.1:9/scim/v2", "--out", out)
	if err := cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	if code := waitExit(t, cmd); code != exitCannotRun || !strings.Contains(stderr.String(), "nothing was recorded") {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	if _, err := os.Stat(out); err == nil {
		t.Fatal("a file was written")
	}
}

func TestRecordBadFlagsExit2(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	for _, args := range [][]string{
		{"record", "--out", filepath.Join(dir, "o.yaml")},
		{"record", "--upstream", "http://127.0.0.1:9"},
		{"record", "--upstream", "ftp://x", "--out", filepath.Join(dir, "o.yaml")},
		{"record", "--upstream", "http://admin:s3cret@127.0.0.1:9/scim/v2", "--out", filepath.Join(dir, "o.yaml")},
		{"record", "--upstream", "http://127.0.0.1:9", "--out", filepath.Join(dir, "o.yaml"), "--phase", "later"},
		{"record", "--upstream", "http://127.0.0.1:9", "--out", filepath.Join(dir, "missing", "o.yaml")},
		{"record", "--upstream", "http://127.0.0.1:9", "--out", filepath.Join(dir, "o.yaml"), "--listen", "not-an-address"},
		{"record", "--upstream", "http://127.0.0.1:9", "--out", filepath.Join(dir, "o.yaml"), "--idp", "azure"},
	} {
		var stdout, stderr bytes.Buffer
		if code := dispatch(args, &stdout, &stderr); code != exitCannotRun || stderr.Len() == 0 {
			t.Errorf("%q: exit %d, stderr %q", args, code, stderr.String())
		}
		if strings.Contains(stderr.String(), "s3cret") {
			t.Errorf("%q: the password reached stderr: %q", args, stderr.String())
		}
	}
}

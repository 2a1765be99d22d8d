package main

// Reliability: against targets that misbehave, the gate ends with a specific reason and exit 1
// or 2 within its timeouts, and no container of the run survives it — whether it ends normally,
// with a failure, by a signal, or is killed outright (then the next run's sweep removes it).

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/moby/moby/client"
	"github.com/testcontainers/testcontainers-go"

	"github.com/scimreplay/scimreplay/fakes/directory"
	"github.com/scimreplay/scimreplay/fakes/misbehave"
	"github.com/scimreplay/scimreplay/fakes/reference"
	"github.com/scimreplay/scimreplay/harness"
	"github.com/scimreplay/scimreplay/reports"
)

// Each gate here runs theScenario, and a directory that is not the built-in reference target is
// described with referenceProbes (both in target_test.go).

// misbehavingURL serves the reference directory behind h on 127.0.0.1 and returns its URL.
func misbehavingURL(t *testing.T, token string, h *misbehave.Handler) string {
	t.Helper()
	d, err := directory.New(directory.Config{Token: token, VerifiedDomains: []string{reference.VerifiedDomain}})
	if err != nil {
		t.Fatal(err)
	}
	h.Next = d
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv.URL
}

// misbehaveImage builds the misbehaving target image (once per test binary).
func misbehaveImage(t *testing.T) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	quietDocker()
	tag, err := misbehave.BuildImage(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return tag
}

// imageTargetFlags gate the misbehave image in mode, armed by the audit read before the force
// sync, after skip more requests.
func imageTargetFlags(image string, mode misbehave.Mode, skip int) []string {
	return append([]string{
		"--target-image", image,
		"--target-env", "DIRECTORY_TOKEN={{token}}",
		"--target-env", "DIRECTORY_VERIFIED_DOMAINS=" + reference.VerifiedDomain,
		"--target-env", "MISBEHAVE_MODE=" + string(mode),
		"--target-env", fmt.Sprintf("MISBEHAVE_SKIP=%d", skip),
	}, referenceProbes()...)
}

// runContainers lists the containers (any state) that carry run id runID.
func runContainers(t *testing.T, runID string) []string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	quietDocker()
	list, err := harness.ListRun(ctx, runID)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, c := range list {
		out = append(out, fmt.Sprintf("%.12s %s (%s)", c.ID, c.Name, c.State))
	}
	return out
}

// expectNoContainers fails when any container of the run survived, and removes it so that one
// failure does not leak into the next test.
func expectNoContainers(t *testing.T, runID string) {
	t.Helper()
	if left := runContainers(t, runID); len(left) > 0 {
		t.Errorf("containers of run %s survived it: %v", runID, left)
		_, _ = harness.RemoveRun(context.Background(), runID)
	}
}

// testRunID is a run id unique to this test process and test, so that a check by run label sees
// only this test's containers.
func testRunID(t *testing.T) string {
	name := strings.Trim(nonIDChars.ReplaceAllString(strings.ToLower(t.Name()), "-"), "-")
	return fmt.Sprintf("t%d-%.40s", os.Getpid(), name)
}

var nonIDChars = regexp.MustCompile(`[^a-z0-9.]+`)

// Each misbehaviour ends the gate with its own reason and the documented exit code, within the
// configured timeouts. The target is a directory on 127.0.0.1 that works through provisioning
// and the snapshot, then misbehaves from the force sync on.
func TestGateTargetFaults(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name    string
		mode    misbehave.Mode
		trigger string // "": from the first request
		skip    int
		args    []string
		code    int
		reasons []string
		within  time.Duration
	}{
		{"answers 500", misbehave.Status500, misbehave.DefaultTrigger, 1, nil, 1,
			[]string{"forceSync: ", "answered 500, Okta expects 200"}, time.Minute},
		{"answers invalid JSON", misbehave.InvalidJSON, misbehave.DefaultTrigger, 0, nil, 2,
			[]string{"could not run: forceSync: ", "answered 200 with a body that is not JSON"}, time.Minute},
		{"answers JSON that is not SCIM", misbehave.NonSCIM, misbehave.DefaultTrigger, 0, nil, 2,
			[]string{"could not run: snapshot after: ", "not a SCIM ListResponse (no totalResults)"}, time.Minute},
		{"answers with the wrong content type", misbehave.WrongContentType, misbehave.DefaultTrigger, 0, nil, 2,
			[]string{"could not run: forceSync: ", `answered 200 with Content-Type "text/html; charset=utf-8"`}, time.Minute},
		{"never answers a request", misbehave.Hang, misbehave.DefaultTrigger, 0, []string{"--request-timeout", "2s"}, 2,
			[]string{"could not run: forceSync: ", "no answer within the request timeout of 2s"}, 40 * time.Second},
		{"never answers at startup", misbehave.Hang, "", 0, []string{"--target-startup-timeout", "2s"}, 2,
			[]string{"could not run: ", "not ready after 2s"}, 40 * time.Second},
		// A server already running has nothing to wait for: its readiness is bounded by the
		// request timeout (a few tries), not by the startup timeout, here ten minutes.
		{"never answers at startup, request timeout first", misbehave.Hang, "", 0, []string{"--request-timeout", "2s", "--target-startup-timeout", "10m"}, 2,
			[]string{"could not run: ", "did not answer GET /scim/v2/ServiceProviderConfig within 2s (3 tries)"}, time.Minute},
		{"closes the connection half way", misbehave.HalfClose, misbehave.DefaultTrigger, 0, nil, 2,
			[]string{"could not run: forceSync: ", "closed the connection before answering in full: unexpected EOF"}, time.Minute},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			const token = "srt_faults_test_token_0123456789"
			h := &misbehave.Handler{Mode: tc.mode, Trigger: tc.trigger, Skip: tc.skip}
			url := misbehavingURL(t, token, h)
			junit := filepath.Join(t.TempDir(), "junit.xml")
			args := append([]string{"gate", "--target-url", url, "--target-token", token, "--label-filter", theScenario,
				"--junit", junit, "--run-id", testRunID(t)}, referenceProbes()...)
			start := time.Now()
			r := runCLI(t, nil, append(args, tc.args...)...)
			took := time.Since(start)
			if r.code != tc.code {
				t.Fatalf("exit %d, want %d\n%s\n%s", r.code, tc.code, r.stdout, r.stderr)
			}
			if took > tc.within {
				t.Errorf("the gate took %s, more than %s", took, tc.within)
			}
			verdict := verdictBlock(r.stdout)
			t.Logf("exit %d after %s:%s", r.code, took.Round(time.Millisecond), verdict)
			for _, want := range tc.reasons {
				if !strings.Contains(verdict, want) {
					t.Errorf("the verdict lacks %q:\n%s", want, verdict)
				}
			}
			if h.Misbehaved() == 0 {
				t.Error("the fault never struck: the test proves nothing")
			}
			if s := readJUnit(t, junit); s.Failures+s.Errors == 0 {
				t.Errorf("JUnit records no failure")
			}
		})
	}
}

// verdictBlock is the gate's closing summary: one PASS/FAIL line per scenario with its reason.
func verdictBlock(stdout string) string {
	i := strings.LastIndex(stdout, "\nPASS ")
	for _, mark := range []string{"\nFAIL ", "\nCOULD NOT RUN "} {
		if j := strings.LastIndex(stdout, mark); j >= 0 && (i < 0 || j < i) {
			i = j
		}
	}
	if i < 0 {
		return stdout
	}
	return stdout[i:]
}

// A target container killed mid force sync (docker kill: SIGKILL, as the OOM killer does) ends
// the run as could-not-run, names the container's exit, and the dead container is removed. The
// target holds the first force-sync request, so the kill lands while the gate waits on it.
func TestGateTargetContainerKilledMidForceSync(t *testing.T) {
	t.Parallel()
	image := misbehaveImage(t)
	runID := testRunID(t)
	g := startGate(t, append([]string{"gate", "--label-filter", theScenario, "--run-id", runID, "--request-timeout", "5m"},
		imageTargetFlags(image, misbehave.Hang, 0)...)...)
	g.waitRunning(t, runID)
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	cli, err := testcontainers.NewDockerClientWithOpts(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer cli.Close()
	id := waitForLog(ctx, t, cli, runID, "misbehave: hang ")
	if _, err := cli.ContainerKill(ctx, id, client.ContainerKillOptions{Signal: "KILL"}); err != nil {
		t.Fatal(err)
	}
	killed := time.Now()
	code := g.wait(t, time.Minute)
	if code != 2 {
		t.Fatalf("exit %d, want 2\n%s", code, g.output())
	}
	if took := time.Since(killed); took > 30*time.Second {
		t.Errorf("the gate took %s after the kill", took)
	}
	verdict := verdictBlock(g.output())
	t.Logf("exit %d:%s", code, verdict)
	for _, want := range []string{"could not run: forceSync: ", "the target container is exited, exit code 137 (killed with SIGKILL"} {
		if !strings.Contains(verdict, want) {
			t.Errorf("the verdict lacks %q:\n%s", want, verdict)
		}
	}
	expectNoContainers(t, runID)
}

// waitForLog waits until the run's one container has written want, and returns its id.
func waitForLog(ctx context.Context, t *testing.T, cli *testcontainers.DockerClient, runID, want string) string {
	t.Helper()
	for ctx.Err() == nil {
		list, err := cli.ContainerList(ctx, client.ContainerListOptions{Filters: client.Filters{}.Add("label", harness.LabelRun+"="+runID)})
		if err != nil {
			t.Fatal(err)
		}
		if len(list.Items) == 1 {
			rc, err := cli.ContainerLogs(ctx, list.Items[0].ID, client.ContainerLogsOptions{ShowStdout: true, ShowStderr: true})
			if err == nil {
				b, _ := io.ReadAll(io.LimitReader(rc, 1<<20))
				rc.Close()
				if bytes.Contains(b, []byte(want)) {
					return list.Items[0].ID
				}
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("run %s's container never logged %q", runID, want)
	return ""
}

// The normal end and a failed spec leave no container (the soak test checks this on every run
// too); a panic in a spec is covered by suites/forcesync/cleanuptest.
func TestGateRemovesItsContainersOnEveryEnd(t *testing.T) {
	t.Parallel()
	for name, args := range map[string][]string{
		"passing run": nil,
		"failing run": {"--reference-faults", "access-1003"},
	} {
		t.Run(name, func(t *testing.T) {
			runID := testRunID(t)
			r := runCLI(t, nil, append([]string{"gate", "--label-filter", theScenario, "--run-id", runID}, args...)...)
			if r.code != 0 && r.code != 1 {
				t.Fatalf("exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
			}
			expectNoContainers(t, runID)
		})
	}
}

// gateProcess is a gate started in the background, its output captured.
type gateProcess struct {
	cmd  *exec.Cmd
	out  safeBuffer
	done chan error
}

func (g *gateProcess) output() string { return g.out.String() }

func startGate(t *testing.T, args ...string) *gateProcess {
	t.Helper()
	g := &gateProcess{done: make(chan error, 1)}
	g.cmd = exec.Command(scimreplayBinary(t), args...)
	g.cmd.Env = append(os.Environ(), "TESTCONTAINERS_RYUK_DISABLED=true", "NO_COLOR=1")
	if os.Getenv("TESTCONTAINERS_HOST_OVERRIDE") == "" {
		g.cmd.Env = append(g.cmd.Env, "TESTCONTAINERS_HOST_OVERRIDE=127.0.0.1")
	}
	g.cmd.Stdout, g.cmd.Stderr = &g.out, &g.out
	if err := g.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { g.done <- g.cmd.Wait() }()
	t.Cleanup(func() {
		if g.cmd.ProcessState == nil {
			_ = g.cmd.Process.Kill()
			<-g.done
		}
	})
	return g
}

// waitRunning waits until the run has a running container and the gate has begun the force
// sync (bounded).
func (g *gateProcess) waitRunning(t *testing.T, runID string) {
	t.Helper()
	deadline := time.Now().Add(90 * time.Second)
	for time.Now().Before(deadline) {
		running := false
		for _, c := range runContainers(t, runID) {
			running = running || strings.HasSuffix(c, "(running)")
		}
		if running && strings.Contains(g.output(), "  provision: ") {
			return
		}
		select {
		case err := <-g.done:
			g.done <- err
			t.Fatalf("the gate ended before its container ran: %v\n%s", err, g.output())
		case <-time.After(200 * time.Millisecond):
		}
	}
	t.Fatalf("no running container of run %s after 90s\n%s", runID, g.output())
}

// wait returns the gate's exit code, failing if it takes longer than d.
func (g *gateProcess) wait(t *testing.T, d time.Duration) int {
	t.Helper()
	select {
	case <-g.done:
		return g.cmd.ProcessState.ExitCode()
	case <-time.After(d):
		t.Fatalf("the gate did not end within %s of the signal\n%s", d, g.output())
	}
	return -1
}

// SIGINT and SIGTERM to a gate mid force sync (its target never answers, so the run would
// otherwise wait out a 5-minute request timeout): it stops at once, says why, exits 2, and
// removes its container — also when a second SIGINT makes Ginkgo skip the spec's cleanup.
func TestGateSignalRemovesItsContainers(t *testing.T) {
	t.Parallel()
	image := misbehaveImage(t)
	for _, signals := range [][]syscall.Signal{{syscall.SIGINT}, {syscall.SIGTERM}, {syscall.SIGINT, syscall.SIGINT}} {
		sig := signals[0]
		t.Run(fmt.Sprint(signals), func(t *testing.T) {
			runID := testRunID(t)
			g := startGate(t, append([]string{"gate", "--label-filter", theScenario, "--run-id", runID, "--request-timeout", "5m"},
				imageTargetFlags(image, misbehave.Hang, 0)...)...)
			g.waitRunning(t, runID)
			for i, s := range signals {
				if i > 0 {
					time.Sleep(50 * time.Millisecond)
				}
				if err := g.cmd.Process.Signal(s); err != nil {
					t.Fatal(err)
				}
			}
			signalled := time.Now()
			code := g.wait(t, 60*time.Second)
			out := g.output()
			t.Logf("exit %d %s after %s:%s", code, sig, time.Since(signalled).Round(time.Millisecond), verdictBlock(out))
			if code != 2 {
				t.Errorf("exit %d, want 2\n%s", code, out)
			}
			name := map[syscall.Signal]string{syscall.SIGINT: "SIGINT", syscall.SIGTERM: "SIGTERM"}[sig]
			if !strings.Contains(out, "interrupted by "+name) {
				t.Errorf("the output does not say it was interrupted by %s:\n%s", name, out)
			}
			expectNoContainers(t, runID)
		})
	}
}

// A gate killed outright (SIGKILL: no handler runs) leaves its container; the next gate's start
// sweeps it, because that gate's process is gone — but never the container of a run still in
// progress, even an old one.
func TestStaleContainersAreSweptLiveOnesKept(t *testing.T) {
	t.Parallel()
	image := misbehaveImage(t)
	args := func(runID string) []string {
		return append([]string{"gate", "--label-filter", theScenario, "--run-id", runID, "--request-timeout", "5m", "--sweep-stale-after", "0"},
			imageTargetFlags(image, misbehave.Hang, 0)...)
	}
	crashed, live := testRunID(t)+"-crashed", testRunID(t)+"-live"
	g := startGate(t, args(crashed)...)
	g.waitRunning(t, crashed)
	if err := g.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	g.wait(t, 30*time.Second)
	if len(runContainers(t, crashed)) == 0 {
		t.Fatal("SIGKILL left no container: the sweep has nothing to prove")
	}
	defer expectNoContainers(t, crashed)

	alive := startGate(t, args(live)...)
	alive.waitRunning(t, live)
	defer func() {
		_ = alive.cmd.Process.Signal(syscall.SIGTERM)
		alive.wait(t, 60*time.Second)
		expectNoContainers(t, live)
	}()

	dry := runCLI(t, nil, "sweep", "--dry-run")
	if !strings.Contains(dry.stdout, "(run "+crashed+",") || strings.Contains(dry.stdout, "(run "+live+",") {
		t.Fatalf("dry run should name the crashed run only:\n%s", dry.stdout)
	}
	if len(runContainers(t, crashed)) == 0 {
		t.Fatal("--dry-run removed a container")
	}
	// The next gate (here of a directory on 127.0.0.1, so it starts no container) sweeps first.
	const token = "srt_sweep_test_token_0123456789"
	url := misbehavingURL(t, token, &misbehave.Handler{})
	r := runCLI(t, nil, append([]string{"gate", "--sweep-stale-after", "1ms", "--label-filter", theScenario,
		"--target-url", url, "--target-token", token}, referenceProbes()...)...)
	if r.code != 0 {
		t.Errorf("the next gate: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	if !strings.Contains(r.stdout, "removed a stale container") || !strings.Contains(r.stdout, "(run "+crashed+",") {
		t.Errorf("the next gate did not sweep the crashed run:\n%s\n%s", r.stdout, r.stderr)
	}
	if left := runContainers(t, crashed); len(left) > 0 {
		t.Errorf("the crashed run's containers survived the sweep: %v", left)
	}
	if len(runContainers(t, live)) == 0 {
		t.Errorf("the sweep removed the container of a run still in progress")
	}
}

// exitsAtStart is an image whose server gives up while starting, as a misconfigured one does:
// it logs its boot, then the reason — with the token it was handed, as careless servers echo
// their config — and exits 2. Built FROM scratch around a static binary, as a fixed repo:tag.
const exitsAtStart = "scimreplay-test/exits-at-start:dev"

const exitsAtStartMain = `package main

import (
	"fmt"
	"os"
)

func main() {
	for i := 1; i <= 25; i++ {
		fmt.Printf("boot step %02d\n", i)
	}
	fmt.Printf("fatal: SCIM_TOKEN %s is not accepted: DATABASE_URL is not set\n", os.Getenv("SCIM_TOKEN"))
	os.Exit(2)
}
`

var exitsAtStartBuilt buildOnce

func buildExitsAtStart(t *testing.T) { t.Helper(); exitsAtStartBuilt.do(t, buildExitsAtStartNow) }

func buildExitsAtStartNow(t *testing.T) {
	t.Helper()
	dir := t.TempDir()
	for name, text := range map[string]string{
		"go.mod":     "module exitsatstart\n\ngo 1.22\n",
		"main.go":    exitsAtStartMain,
		"Dockerfile": "FROM scratch\nCOPY exits /exits\nUSER 65534:65534\nENTRYPOINT [\"/exits\"]\n",
	} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	build := exec.CommandContext(ctx, "go", "build", "-trimpath", "-o", "exits", ".")
	build.Dir = dir
	build.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOFLAGS=", "GOTOOLCHAIN=local")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	quietDocker()
	if _, err := harness.BuildImage(ctx, dir, exitsAtStart); err != nil {
		t.Fatal(err)
	}
}

// A container that exits while starting: the gate says how it ended and shows the last lines of
// its log — the server's own reason — token redacted, on the console and in every report,
// instead of testcontainers' bare "container exited with code 2".
func TestGateContainerExitsWhileStarting(t *testing.T) {
	t.Parallel()
	buildExitsAtStart(t)
	const token = "srt_exits_at_start_0123456789abcdef"
	const reason = "fatal: SCIM_TOKEN " + harness.Redacted + " is not accepted: DATABASE_URL is not set"
	runID := testRunID(t)
	dir := t.TempDir()
	junit := filepath.Join(dir, "junit.xml")
	r := runCLI(t, []string{"SCIMREPLAY_TARGET_TOKEN=" + token}, "gate", "--target-image", exitsAtStart,
		"--target-env", "SCIM_TOKEN={{token}}", "--target-startup-timeout", "30s",
		"--label-filter", "scenario:identical-repush || scenario:aiw-put", "--run-id", runID, "--junit", junit)
	if r.code != 2 {
		t.Fatalf("exit %d, want 2\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	// The closing verdict: the scenario that started the target shows why it stopped; the other
	// names that failure in one line, without the log again.
	i := strings.Index(r.stdout, "\nCOULD NOT RUN ")
	if i < 0 {
		t.Fatalf("no scenario could not run:\n%s", r.stdout)
	}
	closing := r.stdout[i:]
	t.Logf("verdict:%s", closing)
	var first, later string
	for _, block := range strings.Split(closing, "\nCOULD NOT RUN ")[1:] {
		if strings.Contains(block, "the target did not start for ") {
			later = block
		} else {
			first = block
		}
	}
	for _, want := range []string{"container exited with code 2\n", "the last 20 of its 26 log lines:", "boot step 07", reason} {
		if !strings.Contains(first, want) {
			t.Errorf("the verdict lacks %q:\n%s", want, closing)
		}
	}
	if strings.Contains(first, "boot step 06") {
		t.Errorf("the verdict shows more than the log's last 20 lines:\n%s", closing)
	}
	if !strings.Contains(later, "exited with code 2 (its log is in that spec's report)") || strings.Contains(later, "boot step") {
		t.Errorf("the later scenario should name the first failure in one line:\n%s", closing)
	}
	run, err := reports.ReadJUnit(junit)
	if err != nil {
		t.Fatal(err)
	}
	inJUnit := false
	for _, c := range run.Cases {
		inJUnit = inJUnit || strings.Contains(c.Message, "exited with code 2") && strings.Contains(c.Message, reason)
	}
	if !inJUnit {
		t.Errorf("no JUnit failure message holds the exit code and the reason: %+v", run.Cases)
	}
	summary, err := os.ReadFile(filepath.Join(dir, "summary.md"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(summary), reason) {
		t.Errorf("summary.md lacks the reason:\n%s", summary)
	}
	for name, text := range map[string]string{"stdout": r.stdout, "stderr": r.stderr, "summary.md": string(summary), "junit.xml": readFile(t, junit)} {
		if strings.Contains(text, token) {
			t.Errorf("%s holds the token", name)
		}
	}
	expectNoContainers(t, runID)
}

// A container that runs but never gets ready within its startup timeout: the reason says so,
// and what the container logged meanwhile.
func TestGateContainerNeverReadyShowsItsLog(t *testing.T) {
	t.Parallel()
	image := misbehaveImage(t)
	runID := testRunID(t)
	args := append([]string{"gate", "--label-filter", theScenario, "--run-id", runID, "--target-startup-timeout", "3s",
		"--target-env", "MISBEHAVE_TRIGGER=none"}, imageTargetFlags(image, misbehave.Hang, 0)...)
	r := runCLI(t, nil, args...)
	if r.code != 2 {
		t.Fatalf("exit %d, want 2\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	verdict := verdictBlock(r.stdout)
	t.Logf("verdict:%s", verdict)
	for _, want := range []string{"could not run: run target " + image + ": not ready after 3s (its startup timeout): ", "misbehave: hang GET /scim/v2/ServiceProviderConfig"} {
		if !strings.Contains(verdict, want) {
			t.Errorf("the verdict lacks %q:\n%s", want, verdict)
		}
	}
	expectNoContainers(t, runID)
}

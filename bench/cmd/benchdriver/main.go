// Command benchdriver measures scimreplay on this machine and prints one figure per line,
// `name value unit` (progress goes to stderr). `make bench` runs it.
//
// Every figure is measured in one run: the diff of in-memory snapshots; the replay engine
// against a plain net/http loop on the same container; provisioning and a force sync of generated
// orgs of 1k, 10k and 100k users, each in a child process so its peak RSS is the harness's own;
// and `scimreplay gate` end to end on the Okta catalogue.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	stdlog "log"
	"net/url"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/scimreplay/scimreplay/bench"
	tclog "github.com/testcontainers/testcontainers-go/log"

	"github.com/scimreplay/scimreplay/harness"
	"github.com/scimreplay/scimreplay/internal/gctune"
)

// Environment of a child run: the target it talks to (the token never goes on a command line).
const (
	envURL   = "SCIMREPLAY_BENCH_URL"
	envToken = "SCIMREPLAY_BENCH_TOKEN"
	// Process ids whose CPU time the child reports: the target's, and Docker's port proxy's.
	envTargetPID = "SCIMREPLAY_BENCH_TARGET_PID"
	envProxyPIDs = "SCIMREPLAY_BENCH_PROXY_PIDS"
)

type options struct {
	orgs                  []org // measured smallest first; growth from each to the next
	users, groups         int   // the child's org
	unmanaged             float64
	concurrency           int
	overheadUsers, rounds int
	diffUsers, diffGroups int
	gateBin               string
	only                  string
	profileDir            string
}

func main() {
	var o options
	child := flag.Bool("child", false, "internal: run one provision + force sync against $"+envURL+" and print JSON")
	orgs := flag.String("orgs", "1000:50,10000:500,100000:5000", "the generated orgs whose provisioning and force sync are measured, users:groups, smallest first (growth is printed from each to the next)")
	flag.IntVar(&o.users, "users", 0, "internal, with -child: users in the org")
	flag.IntVar(&o.groups, "groups", 0, "internal, with -child: groups in the org")
	flag.Float64Var(&o.unmanaged, "unmanaged", 0.3, "fraction of unmanaged users")
	flag.IntVar(&o.concurrency, "concurrency", 8, "the generated force sync's concurrency: (iterations side by side; 0 sequential)")
	flag.IntVar(&o.overheadUsers, "overhead-users", 100, "users replayed per round of the overhead comparison")
	flag.IntVar(&o.rounds, "rounds", 81, "pairs of rounds (replay, plain) of the overhead comparison; the median pair ratio is reported")
	flag.IntVar(&o.diffUsers, "diff-users", 100000, "users in each in-memory snapshot of the diff figure")
	flag.IntVar(&o.diffGroups, "diff-groups", 5000, "groups in each in-memory snapshot of the diff figure")
	flag.StringVar(&o.gateBin, "scimreplay", "bin/scimreplay", "the scimreplay binary whose gate is timed")
	flag.StringVar(&o.only, "only", "", "comma list of figures groups to measure: diff,overhead,forcesync,gate (default all)")
	flag.StringVar(&o.profileDir, "profile", "", "write CPU profiles (the overhead rounds, each force sync) and allocation profiles (each child run) into this directory")
	flag.Parse()
	if flag.NArg() > 0 {
		fmt.Fprintf(os.Stderr, "benchdriver: unexpected arguments %q\n", flag.Args())
		os.Exit(2)
	}
	var err error
	if o.orgs, err = parseOrgs(*orgs); err != nil {
		fmt.Fprintf(os.Stderr, "benchdriver: -orgs: %v\n", err)
		os.Exit(2)
	}
	for _, g := range strings.Split(o.only, ",") {
		switch strings.TrimSpace(g) {
		case "", "diff", "overhead", "forcesync", "gate":
		default:
			fmt.Fprintf(os.Stderr, "benchdriver: -only: unknown figure group %q (diff, overhead, forcesync, gate)\n", g)
			os.Exit(2)
		}
	}

	// The Makefile's defaults, for a driver started by hand: no reaper (its image cannot be
	// pulled without a registry) and no guessed bridge address.
	for k, v := range map[string]string{"TESTCONTAINERS_RYUK_DISABLED": "true", "TESTCONTAINERS_HOST_OVERRIDE": "127.0.0.1"} {
		if _, ok := os.LookupEnv(k); !ok {
			os.Setenv(k, v)
		}
	}
	gctune.Apply() // the harness's process as `scimreplay gate` runs it
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if *child {
		if err := runChild(ctx, o); err != nil {
			fmt.Fprintf(os.Stderr, "benchdriver child: %v\n", err)
			os.Exit(1)
		}
		return
	}
	if err := run(ctx, o, os.Stdout); err != nil {
		fmt.Fprintf(os.Stderr, "benchdriver: %v\n", err)
		os.Exit(1)
	}
}

func (o options) wants(group string) bool {
	if o.only == "" {
		return true
	}
	for _, g := range strings.Split(o.only, ",") {
		if strings.TrimSpace(g) == group {
			return true
		}
	}
	return false
}

func progress(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "bench: "+format+"\n", args...)
}

// figure prints one line of the result.
func figure(w io.Writer, name string, value float64, unit string) {
	switch {
	case value >= 100:
		fmt.Fprintf(w, "%s %.0f %s\n", name, value, unit)
	case value >= 10:
		fmt.Fprintf(w, "%s %.1f %s\n", name, value, unit)
	default:
		fmt.Fprintf(w, "%s %.3f %s\n", name, value, unit)
	}
}

func run(ctx context.Context, o options, out io.Writer) error {
	start := time.Now()
	tclog.SetDefault(stdlog.New(io.Discard, "", 0)) // testcontainers' own lines would drown the figures
	progress("%d CPUs, %s", runtime.NumCPU(), runtime.Version())
	// Every figure is wall time on a machine others may be using: the load says how busy it was.
	if load, err := loadAverage(); err == nil {
		figure(out, "load_average_1m_at_start", load, "procs")
	}
	if o.wants("overhead") || o.wants("forcesync") || o.wants("gate") {
		if err := harness.CheckDocker(ctx); err != nil {
			return err
		}
	}
	// The overhead first: the diff's snapshots of 100k users leave this process a heap some
	// hundred MB large, which made the rounds after it measurably slower (1.13-1.14 against
	// 1.08-1.11 measured alone).
	if o.wants("overhead") {
		if err := overheadFigures(ctx, o, out); err != nil {
			return err
		}
	}
	if o.wants("diff") {
		if err := diffFigures(o, out); err != nil {
			return err
		}
	}
	if o.wants("forcesync") {
		if err := forceSyncFigures(ctx, o, out); err != nil {
			return err
		}
	}
	if o.wants("gate") {
		if err := gateFigure(ctx, o, out); err != nil {
			return err
		}
	}
	if load, err := loadAverage(); err == nil {
		figure(out, "load_average_1m_at_end", load, "procs")
	}
	figure(out, "bench_seconds", time.Since(start).Seconds(), "s")
	progress("done in %s", time.Since(start).Round(time.Second))
	return nil
}

func diffFigures(o options, out io.Writer) error {
	sizes := []int{o.diffUsers / 100, o.diffUsers / 10, o.diffUsers}
	reps := []int{41, 15, 7} // more runs where one is short, so a busy machine's stalls wash out
	var ms []float64
	for i, n := range sizes {
		groups := max(o.diffGroups*n/o.diffUsers, 1)
		before, after, cu, cg := bench.SnapshotPair(n, groups, 0.01)
		d, diff := bench.CompareTime(before, after, reps[i])
		if got := len(diff.Changes); got < cu+cg {
			return fmt.Errorf("diff of %d users: %d changes found, at least %d made", n, got, cu+cg)
		}
		progress("diff of %d users, %d groups (%d + %d changed): %s", n, groups, cu, cg, d)
		ms = append(ms, float64(d.Microseconds())/1000)
	}
	figure(out, fmt.Sprintf("snapshot_diff_%s_ms", kilo(sizes[2])), ms[2], "ms")
	figure(out, fmt.Sprintf("snapshot_diff_growth_%s_to_%s", kilo(sizes[0]), kilo(sizes[1])), ms[1]/ms[0], "x")
	figure(out, fmt.Sprintf("snapshot_diff_growth_%s_to_%s", kilo(sizes[1]), kilo(sizes[2])), ms[2]/ms[1], "x")
	return nil
}

func kilo(n int) string {
	if n%1000 == 0 {
		return fmt.Sprintf("%dk", n/1000)
	}
	return fmt.Sprint(n)
}

// withTarget starts a fresh reference directory for fn and removes it afterwards.
func withTarget(ctx context.Context, fn func(*harness.Target, *harness.Client) error) (err error) {
	t, err := bench.StartReference(ctx)
	defer func() {
		tctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if terr := t.Terminate(tctx); terr != nil && err == nil {
			err = terr
		}
	}()
	if err != nil {
		return err
	}
	c, err := t.Client(ctx)
	if err != nil {
		return err
	}
	return fn(t, c)
}

func overheadFigures(ctx context.Context, o options, out io.Writer) error {
	return withTarget(ctx, func(_ *harness.Target, c *harness.Client) error {
		sc, err := bench.Generate(bench.OrgSpec{Users: o.overheadUsers, Groups: max(o.overheadUsers/20, 1), Unmanaged: o.unmanaged})
		if err != nil {
			return err
		}
		run, _, err := bench.Provision(ctx, c, sc)
		if err != nil {
			return err
		}
		stopProfile, err := startProfile(o.profileDir, "cpu-overhead.pprof")
		if err != nil {
			return err
		}
		res, err := bench.ReplayOverhead(ctx, c, run, sc.ForceSync, o.rounds)
		stopProfile()
		if err != nil {
			return err
		}
		per := func(d time.Duration) float64 { return float64(d.Microseconds()) / float64(res.Requests) }
		progress("overhead: %d requests per round, median round replay %s (%.0f µs/request), plain %s (%.0f µs/request)",
			res.Requests, res.Replay, per(res.Replay), res.Plain, per(res.Plain))
		figure(out, "replay_overhead_ratio", res.Ratio(), "x")
		figure(out, "replay_overhead_ratio_p25", res.PairRatioP25, "x")
		figure(out, "replay_overhead_ratio_p75", res.PairRatioP75, "x")
		figure(out, "replay_request_us", per(res.Replay), "us")
		figure(out, "plain_request_us", per(res.Plain), "us")
		// The client's CPU a request on each side (its goroutines and garbage collection
		// included; getrusage counts in 1-4 ms ticks, so rounds of ~200 requests are coarse).
		figure(out, "replay_request_cpu_us", per(res.ReplayCPU), "us")
		figure(out, "plain_request_cpu_us", per(res.PlainCPU), "us")
		return nil
	})
}

// childResult is what a child run reports.
type childResult struct {
	ProvisionSeconds float64 `json:"provisionSeconds"`
	SyncSeconds      float64 `json:"syncSeconds"`
	ReplaySeconds    float64 `json:"replaySeconds"`
	SnapshotSeconds  float64 `json:"snapshotSeconds"`
	DiffSeconds      float64 `json:"diffSeconds"`
	Requests         int64   `json:"requests"`
	PeakRSSMB        float64 `json:"peakRSSMB"`
	// CPU seconds the harness process used, so a loaded machine can be told from a slow harness.
	ProvisionCPU float64 `json:"provisionCPU"`
	SyncCPU      float64 `json:"syncCPU"`
	// The same for the target and for Docker's userland port proxy during each.
	TargetProvisionCPU float64 `json:"targetProvisionCPU"`
	ProxyProvisionCPU  float64 `json:"proxyProvisionCPU"`
	TargetSyncCPU      float64 `json:"targetSyncCPU"`
	ProxySyncCPU       float64 `json:"proxySyncCPU"`
}

// org is the size of a generated org.
type org struct{ users, groups int }

// parseOrgs reads "1000:50,10000:500": users:groups, growing.
func parseOrgs(s string) ([]org, error) {
	var out []org
	for _, f := range strings.Split(s, ",") {
		u, g, ok := strings.Cut(strings.TrimSpace(f), ":")
		users, err1 := strconv.Atoi(u)
		groups, err2 := strconv.Atoi(g)
		if !ok || err1 != nil || err2 != nil || users < 1 || groups < 0 {
			return nil, fmt.Errorf("%q is not users:groups", f)
		}
		if len(out) > 0 && users <= out[len(out)-1].users {
			return nil, fmt.Errorf("%q: the orgs must grow, smallest first", s)
		}
		out = append(out, org{users, groups})
	}
	return out, nil
}

func forceSyncFigures(ctx context.Context, o options, out io.Writer) error {
	results := make([]childResult, len(o.orgs))
	for i, g := range o.orgs {
		var err error
		if results[i], err = forceSyncChild(ctx, o, g.users, g.groups); err != nil {
			return err
		}
	}
	for i, g := range o.orgs {
		res, n := results[i], kilo(g.users)
		figure(out, "forcesync_"+n+"_seconds", res.SyncSeconds, "s")
		figure(out, "forcesync_"+n+"_cpu_harness_seconds", res.SyncCPU, "s")
		figure(out, "forcesync_"+n+"_cpu_target_seconds", res.TargetSyncCPU, "s")
		figure(out, "forcesync_"+n+"_cpu_docker_proxy_seconds", res.ProxySyncCPU, "s")
		figure(out, "forcesync_"+n+"_peak_rss_mb", res.PeakRSSMB, "MB")
		figure(out, "provision_"+n+"_seconds", res.ProvisionSeconds, "s")
		figure(out, "provision_"+n+"_cpu_harness_seconds", res.ProvisionCPU, "s")
		figure(out, "provision_"+n+"_cpu_target_seconds", res.TargetProvisionCPU, "s")
		figure(out, "provision_"+n+"_cpu_docker_proxy_seconds", res.ProxyProvisionCPU, "s")
	}
	for i := 1; i < len(o.orgs); i++ {
		a, b := results[i-1], results[i]
		s, l := kilo(o.orgs[i-1].users), kilo(o.orgs[i].users)
		figure(out, "forcesync_growth_"+s+"_to_"+l, b.SyncSeconds/a.SyncSeconds, "x")
		figure(out, "provision_growth_"+s+"_to_"+l, b.ProvisionSeconds/a.ProvisionSeconds, "x")
		figure(out, "forcesync_peak_rss_growth_"+s+"_to_"+l, b.PeakRSSMB/a.PeakRSSMB, "x")
	}
	return nil
}

// forceSyncChild starts a fresh reference directory and runs the provision and force sync of a
// generated org in a child process, whose peak RSS the kernel reports on its exit.
func forceSyncChild(ctx context.Context, o options, users, groups int) (childResult, error) {
	var res childResult
	err := withTarget(ctx, func(t *harness.Target, c *harness.Client) error {
		exe, err := os.Executable()
		if err != nil {
			return err
		}
		args := []string{"-child", "-users", fmt.Sprint(users), "-groups", fmt.Sprint(groups),
			"-unmanaged", fmt.Sprint(o.unmanaged), "-concurrency", fmt.Sprint(o.concurrency)}
		if o.profileDir != "" {
			args = append(args, "-profile", o.profileDir)
		}
		cmd := exec.CommandContext(ctx, exe, args...)
		cmd.Env = append(os.Environ(), envURL+"="+c.BaseURL, envToken+"="+c.Token)
		if info, err := t.Container.Inspect(ctx); err == nil && info.State != nil {
			cmd.Env = append(cmd.Env, envTargetPID+"="+strconv.Itoa(info.State.Pid))
		}
		if u, err := url.Parse(c.BaseURL); err == nil {
			var pids []string
			for _, p := range bench.ProxyPIDs(u.Port()) {
				pids = append(pids, strconv.Itoa(p))
			}
			cmd.Env = append(cmd.Env, envProxyPIDs+"="+strings.Join(pids, ","))
		}
		cmd.Stderr = os.Stderr
		stdout, err := cmd.Output()
		if err != nil {
			return fmt.Errorf("child run of %d users: %w", users, err)
		}
		if err := json.Unmarshal(stdout, &res); err != nil {
			return fmt.Errorf("child run of %d users printed %q: %w", users, stdout, err)
		}
		// The child's own VmHWM: the kernel's rusage maxrss of a child starts from the parent's
		// high-water mark (Go forks with vfork, and exec keeps the old mm's peak).
		progress("%d users, %d groups: provision %.2fs (CPU: harness %.2fs, target %.2fs, docker-proxy %.2fs); force sync %.2fs (replay %.2fs, snapshots %.2fs, diff %.0fms, %d requests; CPU: harness %.2fs, target %.2fs, docker-proxy %.2fs); peak RSS %.0f MB",
			users, groups, res.ProvisionSeconds, res.ProvisionCPU, res.TargetProvisionCPU, res.ProxyProvisionCPU, res.SyncSeconds, res.ReplaySeconds, res.SnapshotSeconds, res.DiffSeconds*1000, res.Requests,
			res.SyncCPU, res.TargetSyncCPU, res.ProxySyncCPU, res.PeakRSSMB)
		return nil
	})
	return res, err
}

// runChild is the harness process of one measured run: generate the org, provision it, force
// sync it with both snapshots and the diff, print the timings as JSON.
func runChild(ctx context.Context, o options) error {
	url, token := os.Getenv(envURL), os.Getenv(envToken)
	if url == "" {
		return errors.New("$" + envURL + " is not set")
	}
	c := harness.NewClient(url, token)
	sc, err := bench.Generate(bench.OrgSpec{Users: o.users, Groups: o.groups, Unmanaged: o.unmanaged, Concurrency: o.concurrency})
	if err != nil {
		return err
	}
	targetPIDs, proxyPIDs := pidList(os.Getenv(envTargetPID)), pidList(os.Getenv(envProxyPIDs))
	cpu0, target0, proxy0 := bench.CPUTime(), bench.CPUOf(targetPIDs), bench.CPUOf(proxyPIDs)
	run, prov, err := bench.Provision(ctx, c, sc)
	if err != nil {
		return fmt.Errorf("provision: %w", err)
	}
	// The profiles cover the measured force sync, not the provisioning before it.
	stopProfile, err := startProfile(o.profileDir, fmt.Sprintf("cpu-%d.pprof", o.users))
	if err != nil {
		return err
	}
	defer stopProfile()
	cpu1, target1, proxy1 := bench.CPUTime(), bench.CPUOf(targetPIDs), bench.CPUOf(proxyPIDs)
	res, err := bench.ForceSync(ctx, c, run)
	if err != nil {
		return err
	}
	cpu2, target2, proxy2 := bench.CPUTime(), bench.CPUOf(targetPIDs), bench.CPUOf(proxyPIDs)
	if o.profileDir != "" {
		f, err := os.Create(filepath.Join(o.profileDir, fmt.Sprintf("heap-%d.pprof", o.users)))
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.Lookup("allocs").WriteTo(f, 0); err != nil {
			return err
		}
	}
	peak, err := bench.PeakRSSMB()
	if err != nil {
		return err
	}
	return json.NewEncoder(os.Stdout).Encode(childResult{
		ProvisionSeconds:   prov.Seconds(),
		SyncSeconds:        res.Total.Seconds(),
		ReplaySeconds:      res.Replay.Seconds(),
		SnapshotSeconds:    res.Snapshots.Seconds(),
		DiffSeconds:        res.Diff.Seconds(),
		Requests:           res.Requests,
		PeakRSSMB:          peak,
		ProvisionCPU:       (cpu1 - cpu0).Seconds(),
		SyncCPU:            (cpu2 - cpu1).Seconds(),
		TargetProvisionCPU: (target1 - target0).Seconds(),
		ProxyProvisionCPU:  (proxy1 - proxy0).Seconds(),
		TargetSyncCPU:      (target2 - target1).Seconds(),
		ProxySyncCPU:       (proxy2 - proxy1).Seconds(),
	})
}

// gateFigure times `scimreplay gate` on the whole Okta catalogue against the reference
// directory, image build and container starts included. The reference image was built by the
// figures before (or is built now), so this is the warm figure a CI job on a kept runner sees.
// It is taken twice: as a user runs it (each scenario's after-state held over the default settle
// window) and with --settle 0, the harness's own cost; their difference is the waiting.
func gateFigure(ctx context.Context, o options, out io.Writer) error {
	for _, run := range []struct {
		name string
		args []string
	}{{"gate_seconds", nil}, {"gate_settle0_seconds", []string{"--settle", "0"}}} {
		junit := filepath.Join(os.TempDir(), fmt.Sprintf("scimreplay-bench-junit-%d.xml", os.Getpid()))
		start := time.Now()
		// --idp okta: the figure is the Okta catalogue's, as the README's goal states it.
		cmd := exec.CommandContext(ctx, o.gateBin, append([]string{"gate", "--idp", "okta", "--junit", junit}, run.args...)...)
		output, err := cmd.CombinedOutput()
		elapsed := time.Since(start)
		os.Remove(junit)
		if err != nil {
			return fmt.Errorf("%s gate: %w\n%s", o.gateBin, err, output)
		}
		progress("gate %v: %s", run.args, strings.TrimSpace(lastLine(string(output))))
		figure(out, run.name, elapsed.Seconds(), "s")
	}
	return nil
}

// startProfile writes a CPU profile to dir/name until the returned func is called; with no dir
// it does nothing.
func startProfile(dir, name string) (func(), error) {
	if dir == "" {
		return func() {}, nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	f, err := os.Create(filepath.Join(dir, name))
	if err != nil {
		return nil, err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, err
	}
	return func() {
		pprof.StopCPUProfile()
		f.Close()
	}, nil
}

// loadAverage is the 1-minute load average from /proc/loadavg.
func loadAverage() (float64, error) {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return 0, err
	}
	f := strings.Fields(string(b))
	if len(f) == 0 {
		return 0, errors.New("/proc/loadavg is empty")
	}
	return strconv.ParseFloat(f[0], 64)
}

func pidList(s string) []int {
	var out []int
	for _, f := range strings.Split(s, ",") {
		if pid, err := strconv.Atoi(strings.TrimSpace(f)); err == nil && pid > 0 {
			out = append(out, pid)
		}
	}
	return out
}

func lastLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.LastIndexByte(s, '\n'); i >= 0 {
		return s[i+1:]
	}
	return s
}

package explore

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"pgregory.net/rapid"

	"github.com/scimreplay/scimreplay/fakes/directory"
	"github.com/scimreplay/scimreplay/fakes/okta"
	"github.com/scimreplay/scimreplay/fakes/reference"
	"github.com/scimreplay/scimreplay/harness"
	"github.com/scimreplay/scimreplay/harness/scenario"
)

// directoryOptions explores a reference directory served in this test's process with the given
// faults and variations on, settle 0 (its faults act at once) and, when reset, its /admin/reset
// before every run (else every run's names are its own, as on a server that keeps them).
func directoryOptions(t *testing.T, seed uint64, runs int, faults, variations []string, reset bool) Options {
	t.Helper()
	spec := reference.Target(faults, variations)
	d, err := directory.New(directory.Config{Token: spec.Token, VerifiedDomains: spec.VerifiedDomains, Faults: faults, Variations: variations})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(d.Close)
	// Served in process: cmd/scimreplay's explore tests run explore over HTTP.
	newClient := func() *harness.Client {
		c := harness.NewClient("http://directory.test"+directory.DefaultBasePath, spec.Token)
		c.HTTP = &http.Client{Transport: harness.HandlerTransport(d)}
		c.Timeout = 10 * time.Second
		c.MaxRetryAfter = 10 * time.Millisecond // throttle-429 asks for 1s: honoured, capped for speed
		return c
	}
	var resetFn func(context.Context) error
	if reset {
		resetFn = func(ctx context.Context) error {
			_, err := newClient().DoRoot(ctx, "POST", "/admin/reset", nil, nil)
			return err
		}
	}
	return Options{
		Dialect:   Okta,
		NewClient: newClient,
		Reset:     resetFn,
		Probes:    harness.Probes{Link: spec.LinkProbe, Audit: spec.AuditProbe},
		Managed:   spec.Classifier(), ManagedDomain: reference.VerifiedDomain,
		Seed: seed, Runs: runs, Time: 2 * time.Minute, ShrinkTime: time.Minute, RunID: "t",
	}
}

func explore(t *testing.T, o Options) *Result {
	t.Helper()
	var progress strings.Builder
	o.Progress = &progress
	res := Run(context.Background(), o)
	t.Logf("seed %d: %d runs, %d tries, %s\n%s", res.Seed, res.Runs, res.Tries, res.Elapsed.Round(time.Millisecond), progress.String())
	if res.Err != nil {
		t.Fatalf("could not run: %v", res.Err)
	}
	return res
}

// Every generated run renders as a scenario the loader reads, and the same seed always draws
// the same run; across seeds every generator is drawn.
func TestGeneratedRunsAreScenariosAndDeterministic(t *testing.T) {
	gen := rapid.Custom(func(t *rapid.T) *Case { return DrawCase(t, Okta, "acme.example") })
	seen := map[string]bool{}
	for seed := 1; seed <= 150; seed++ {
		c := gen.Example(seed)
		text, err := c.Scenario(Okta, Meta{Name: "x", Source: "test"})
		if err != nil {
			t.Fatal(err)
		}
		sc, err := scenario.Parse("x.yaml", text)
		if err != nil {
			t.Fatalf("seed %d: %v\n%s", seed, err, text)
		}
		if sc.IdP != scenario.IdPOkta {
			t.Fatalf("seed %d: idp %q, want okta", seed, sc.IdP)
		}
		again, _ := gen.Example(seed).Scenario(Okta, Meta{Name: "x", Source: "test"})
		if string(again) != string(text) {
			t.Fatalf("seed %d drew two different runs:\n%s\n---\n%s", seed, text, again)
		}
		for _, g := range c.Generators() {
			seen[g] = true
		}
	}
	for _, g := range Okta.Generators {
		if !seen[g.Name] {
			t.Errorf("generator %s was never drawn in 150 seeds", g.Name)
		}
	}
}

// With each variation a correct server may show on, no generated run moves anything: every
// push is a no-op. (cmd/scimreplay's tests explore the clean directory and an independent server.)
func TestCorrectVariationsPassEveryRun(t *testing.T) {
	for _, v := range directory.Variations() {
		t.Run(v.Name, func(t *testing.T) {
			res := explore(t, directoryOptions(t, 7, 10, nil, []string{v.Name}, true))
			if res.Found() {
				t.Fatalf("run %d failed on a correct server (%s): %s\n%s", res.First.Try, res.First.Case.Size(), res.First.What(), mustScenario(t, res.First.Case))
			}
			if res.Runs != 10 || res.Stopped != "" {
				t.Fatalf("%d runs judged (stopped: %q), want 10", res.Runs, res.Stopped)
			}
		})
	}
}

func mustScenario(t *testing.T, c *Case) string {
	t.Helper()
	b, err := c.Scenario(Okta, Meta{Name: "x", Source: "test"})
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// The same seed on the same server gives the same runs, the same failure and the same shrunk
// case.
func TestSameSeedSameRunsAndVerdict(t *testing.T) {
	var got [2]*Result
	for i := range got {
		got[i] = explore(t, directoryOptions(t, 1, 50, []string{"access-1003"}, nil, true))
		if !got[i].Found() {
			t.Fatalf("access-1003 went unseen in %d runs", got[i].Runs)
		}
	}
	a, b := got[0], got[1]
	if a.First.Try != b.First.Try || a.Tries != b.Tries {
		t.Fatalf("run %d failed and %d runs shrank it, then run %d and %d runs", a.First.Try, a.Tries, b.First.Try, b.Tries)
	}
	for _, pair := range [][2]*Case{{a.First.Case, b.First.Case}, {a.Minimal.Case, b.Minimal.Case}} {
		if x, y := mustScenario(t, pair[0]), mustScenario(t, pair[1]); x != y {
			t.Fatalf("the same seed drew two cases:\n%s\n---\n%s", x, y)
		}
	}
}

// emails-case-and-order needs two no-op variations in one push; explore finds it and shrinks
// the run to one unmanaged user with two emails and the one push that reorders and re-cases
// them, smaller than the run that first failed.
func TestShrinksTheCombinationFaultToItsTwoVariations(t *testing.T) {
	res := explore(t, directoryOptions(t, 1, 50, []string{"emails-case-and-order"}, nil, true))
	if !res.Found() {
		t.Fatalf("emails-case-and-order went unseen in %d runs", res.Runs)
	}
	first, min := res.First.Case, res.Minimal.Case
	t.Logf("run %d: %s; shrunk in %d runs to %s:\n%s", res.First.Try, first.Size(), res.Tries, min.Size(), mustScenario(t, min))
	if len(min.Org.Users) != 1 || !min.Org.Users[0].Unmanaged || min.Org.Users[0].Emails() != 2 || len(min.Org.Groups) != 0 || len(min.Pushes) != 1 {
		t.Fatalf("minimal case %s, want 1 unmanaged user with two emails, no group, 1 push", min.Size())
	}
	vs := strings.Join(min.Pushes[0].Variations, "; ")
	if !strings.Contains(vs, "emails reordered") || !strings.Contains(vs, " case") {
		t.Errorf("the minimal push's variations %q lack the reorder or the case change", vs)
	}
	if min.Requests() >= first.Requests() && len(min.Org.Users) >= len(first.Org.Users) {
		t.Errorf("shrinking kept %s of the first failing run's %s", min.Size(), first.Size())
	}
	text, err := res.MinimalScenario()
	if err != nil {
		t.Fatal(err)
	}
	sc, err := scenario.Parse("min.yaml", text)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(sc.Source, "--seed 1") || !strings.Contains(sc.Source, "user-put") && !strings.Contains(sc.Source, "user-patch") {
		t.Errorf("source: names neither the seed nor the generator: %s", sc.Source)
	}
}

// An exploration interrupted while it shrinks keeps the smallest failing case reached so far;
// one whose time is up before its first run judges nothing and says why.
func TestStopsKeepWhatWasFound(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	o := directoryOptions(t, 1, 50, []string{"access-1003"}, nil, true)
	d := *Okta
	replays, failedAt := 0, 0
	d.Replay = func(ctx context.Context, c *harness.Client, sc *scenario.Scenario, runID string, oo okta.Options) (*okta.Result, error) {
		res, err := Okta.Replay(ctx, c, sc, runID, oo)
		replays++
		if failedAt == 0 && err == nil && !res.Diff.Empty() {
			failedAt = replays
		}
		if failedAt > 0 && replays == failedAt+5 {
			cancel() // Ctrl-C while shrinking
		}
		return res, err
	}
	o.Dialect = &d
	res := Run(ctx, o)
	if res.Err != nil || res.Stopped != "interrupted" || !res.Found() {
		t.Fatalf("stopped %q, err %v, found %v; want interrupted with the failure kept", res.Stopped, res.Err, res.Found())
	}
	if res.Tries > 5 || res.Minimal == nil || res.Minimal.Case.Requests() > res.First.Case.Requests() {
		t.Fatalf("%d shrink runs after the interrupt; minimal %v", res.Tries, res.Minimal)
	}

	o = directoryOptions(t, 1, 50, nil, nil, true)
	o.Time = time.Nanosecond
	if res := Run(context.Background(), o); res.Stopped != "time" || res.Runs != 0 || res.Found() || res.Err != nil {
		t.Fatalf("with no time: stopped %q after %d runs, found %v, err %v", res.Stopped, res.Runs, res.Found(), res.Err)
	}
}

// A target that cannot be reached is a run that could not be done, never a failure to shrink.
func TestUnreachableTargetCouldNotRun(t *testing.T) {
	srv := httptest.NewServer(nil)
	url := srv.URL
	srv.Close()
	o := directoryOptions(t, 1, 50, nil, nil, false)
	o.NewClient = func() *harness.Client { return harness.NewClient(url+"/scim/v2", "t") }
	res := Run(context.Background(), o)
	if res.Err == nil || res.Found() || res.Runs != 0 {
		t.Fatalf("err %v, found %v, %d runs; want could not run", res.Err, res.Found(), res.Runs)
	}
	t.Logf("could not run: %v", res.Err)
}

func TestLookup(t *testing.T) {
	if d, err := Lookup("okta"); err != nil || d != Okta {
		t.Fatalf("okta: %v", err)
	}
	if d, err := Lookup("entra"); err != nil || d != Entra {
		t.Fatalf("entra: %v", err)
	}
	if _, err := Lookup("pingone"); err == nil || !strings.Contains(err.Error(), `unknown --idp "pingone" (available: entra, okta)`) {
		t.Fatalf("unknown: %v", err)
	}
}

// Package explore finds the force-sync bugs nobody catalogued: it generates many small orgs,
// provisions each as an identity provider does, sends a random sequence of pushes each of which
// is a no-op by SCIM's rules, and judges the same invariants as the gate (harness.Compare, through
// the dialect's replay: okta.Replayer.Replay). When a run fails, pgregory.net/rapid shrinks it —
// fewer users, groups, pushes and variations — to a minimal failing case, which Result writes as
// a version-1 scenario that `scimreplay gate --scenarios` replays: a found bug becomes a
// regression test.
//
// Every run is a scenario: the generator renders it (Case.Scenario), scenario.Parse reads it back
// and the dialect's replay engine sends exactly that, so the file written for a failure is what
// failed. A run's names are its own (forcesync.UniqueForRun), so runs never meet on a server that
// keeps their data, and shrinking, which re-runs the property many times, needs no reset (a
// target that has one, as the reference directory's /admin/reset, may give it: Options.Reset).
//
// The same seed on the same server gives the same orgs, pushes and verdict; the order in which
// concurrent pushes interleave is the server's.
package explore

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"runtime"
	"strings"
	"time"

	"pgregory.net/rapid"

	"github.com/scimreplay/scimreplay/fakes/okta"
	"github.com/scimreplay/scimreplay/harness"
	"github.com/scimreplay/scimreplay/harness/scenario"
	"github.com/scimreplay/scimreplay/suites/forcesync"
)

// Sizes of a generated run: small, so a run is quick and its failure easy to read.
const (
	MaxUsers  = 6
	MaxGroups = 3
	MaxPushes = 8
)

// MaxRuns bounds --runs: rapid draws at most this many runs before it stops.
const MaxRuns = 100_000

// Options say what to explore, against what, for how long.
type Options struct {
	Dialect *Dialect
	// Variant fixes the dialect's variant of every run (Entra: its PATCH dialect); "" draws
	// one per run among Dialect.Variants.
	Variant string
	// NewClient gives a SCIM client for the target, one per run (each run's request log is its own).
	NewClient func() *harness.Client
	Probes    harness.Probes
	Managed   harness.Classifier
	// ManagedDomain is the domain of the org's managed users: the target's verified domain
	// (acme.example when empty).
	ManagedDomain string
	// Settle holds each run's after-state this long (harness.Settle).
	Settle time.Duration
	// Reset, when set, empties the target before each run.
	Reset func(context.Context) error
	// Seed starts rapid's random stream (0: a random seed, reported in Result.Seed).
	Seed uint64
	// Runs caps the runs before a failure; Time caps the whole exploration, shrinking included;
	// ShrinkTime caps the shrinking (rapid.shrinktime).
	Runs       int
	Time       time.Duration
	ShrinkTime time.Duration
	// RunID is this exploration's id: each run's names carry it and the run's number.
	RunID string
	// Progress gets a line at the start, at every failure and at most every ProgressEvery
	// (default 2s) in between: runs done, failures found, time left.
	Progress      io.Writer
	ProgressEvery time.Duration
}

// Failure is one failing run: the generated case, what its replay saw, and the requests sent.
type Failure struct {
	// Try is the run's number: among the explored runs for Result.First, among all runs for
	// Result.Minimal.
	Try    int
	Case   *Case
	Result *okta.Result
	// Err is the target's wrong answer to a push (an unexpected status); nil when state moved.
	Err      error
	Requests string
}

// StateMoved reports whether the failure is a change of state (not a wrong answer).
func (f *Failure) StateMoved() bool { return f.Err == nil }

// What is what went wrong, in words: the diff, or the wrong answer.
func (f *Failure) What() string {
	if f.Err != nil {
		return f.Err.Error()
	}
	return f.Result.Diff.String()
}

// Result is what an exploration did and found.
type Result struct {
	Dialect *Dialect
	// Variant is the dialect's variant every run was fixed to ("" when drawn per run).
	Variant string
	Seed    uint64
	// Runs are the runs judged before the first failure (all of them when none failed); Tries
	// the runs rapid made while reproducing and shrinking it.
	Runs, Tries int
	Elapsed     time.Duration
	// Stopped says why the exploration ended before its runs were done: "time", "interrupted"
	// or "" (the runs were done, or a failure was shrunk).
	Stopped string
	// Err is why it could not be done (the target could not be reached or read).
	Err error
	// First is the first failing run, Minimal the smallest failing case shrinking reached (the
	// same as First when nothing smaller failed).
	First, Minimal *Failure
	// NotReproduced says the first failure did not fail again when rapid re-ran it, so it was
	// not shrunk.
	NotReproduced bool
	// Coverage is what the explored runs' verdicts rested on, summed over the runs: users,
	// groups, memberships and links each run's snapshot saw, reads and retries.
	Coverage *harness.Coverage
	// Pushes counts the explored runs' pushes by generator.
	Pushes map[string]int
	// Log is rapid's own account of the check.
	Log string
}

// Found reports whether a failure was found.
func (r *Result) Found() bool { return r.First != nil }

// Run explores until Runs runs passed, a failure is shrunk, Time is up or ctx is cancelled
// (Result.Stopped says which). The result holds what was found so far in every case; Result.Err
// is set when the exploration could not be done.
func Run(ctx context.Context, o Options) *Result {
	if o.ProgressEvery <= 0 {
		o.ProgressEvery = 2 * time.Second
	}
	if o.ManagedDomain == "" {
		o.ManagedDomain = "acme.example"
	}
	e := &explorer{o: o, ctx: ctx, start: time.Now(), res: &Result{Dialect: o.Dialect, Variant: o.Variant, Seed: o.Seed, Pushes: map[string]int{}}}
	e.deadline = e.start.Add(o.Time)
	if e.res.Seed == 0 {
		e.res.Seed = RandomSeed()
	}
	switch {
	case o.Runs < 1 || o.Runs > MaxRuns:
		e.res.Err = fmt.Errorf("--runs must be between 1 and %d, not %d", MaxRuns, o.Runs)
	case o.Time <= 0 || o.ShrinkTime <= 0:
		e.res.Err = errors.New("--time and --shrink-time must be positive")
	case o.Variant != "" && !contains(o.Dialect.Variants, o.Variant):
		e.res.Err = fmt.Errorf("%s has no variant %q", o.Dialect.Name, o.Variant)
	}
	if e.res.Err != nil {
		return e.res
	}
	log, escaped := check(checkSettings{seed: e.res.Seed, checks: o.Runs, shrinkTime: o.ShrinkTime}, e.prop)
	e.res.Log = log
	if escaped != nil && e.res.Err == nil && e.res.First == nil {
		e.res.Err = fmt.Errorf("internal error: %v", escaped)
	}
	if e.res.First != nil && !e.reproduced && e.res.Stopped == "" && e.res.Err == nil {
		e.res.NotReproduced = true
	}
	if e.res.First != nil && e.res.Minimal == nil {
		e.res.Minimal = e.res.First
	}
	e.res.Elapsed = time.Since(e.start)
	return e.res
}

// RandomSeed is a seed for an exploration that was given none: random, never 0 (rapid's "pick
// one"), short enough to type.
func RandomSeed() uint64 {
	for {
		var b [8]byte
		_, _ = rand.Read(b[:])
		if s := binary.LittleEndian.Uint64(b[:]) % 1_000_000_000; s != 0 {
			return s
		}
	}
}

type explorer struct {
	o               Options
	ctx             context.Context
	start, deadline time.Time
	shrinkDeadline  time.Time
	res             *Result
	runs            int  // every run, for the names of its org
	kind            bool // the first failure's: StateMoved
	reproduced      bool // a run after the first failing one failed the same way
	lastProgress    time.Time
}

// stopIfDone ends the check (rapid's goroutine) when the exploration must stop: the time is
// up, it was interrupted or it cannot go on.
func (e *explorer) stopIfDone() {
	switch {
	case e.res.Err != nil:
	case e.ctx.Err() != nil:
		e.res.Stopped = "interrupted"
	case time.Now().After(e.deadline):
		e.res.Stopped = "time"
	case e.res.First != nil && time.Now().After(e.shrinkDeadline):
		e.res.Stopped = "time"
	default:
		return
	}
	runtime.Goexit()
}

// prop is the property rapid checks: a generated run of no-op pushes moves nothing. Its two
// failures are told apart by where they fail (rapid shrinks a failure only to the same one):
// state that moved, or a wrong answer to a push.
func (e *explorer) prop(t *rapid.T) {
	e.stopIfDone()
	c := e.drawCase(t)
	f, err := e.evaluate(c)
	if err != nil {
		if e.ctx.Err() == nil {
			e.res.Err = err
		}
		e.stopIfDone()
		runtime.Goexit()
	}
	shrinking := e.res.First != nil
	if shrinking {
		e.res.Tries++
	} else {
		e.res.Runs++
		for _, p := range c.Pushes {
			e.res.Pushes[p.Generator]++
		}
	}
	if f == nil {
		e.progress()
		return
	}
	if !shrinking {
		f.Try = e.res.Runs
		e.res.First, e.kind = f, f.StateMoved()
		e.shrinkDeadline = time.Now().Add(e.o.ShrinkTime)
		e.printf("run %d FAILED (%s): %s; shrinking it (for at most %s)", f.Try, c.Size(), firstLine(f.What()), e.o.ShrinkTime)
	}
	if f.StateMoved() != e.kind {
		t.Fatalf("another failure than the one being shrunk") // rapid keeps to the first one's
	}
	if shrinking {
		f.Try = e.res.Runs + e.res.Tries
		e.reproduced = true
	}
	e.res.Minimal = f
	e.progress()
	if f.StateMoved() {
		t.Fatalf("a no-op push moved the target's state")
	}
	t.Fatalf("the target answered a no-op push wrongly")
}

// evaluate replays one generated case; an error means the run could not be done.
func (e *explorer) evaluate(c *Case) (*Failure, error) {
	e.runs++
	d := e.o.Dialect
	text, err := c.Scenario(d, Meta{Name: "explore-" + d.Name, Source: "scimreplay explore, run in progress"})
	if err != nil {
		return nil, err
	}
	sc, err := scenario.Parse(fmt.Sprintf("explore-run-%d.yaml", e.runs), text)
	if err != nil {
		return nil, fmt.Errorf("internal error: a generated run does not load as a scenario: %w\n%s", err, text)
	}
	tag := fmt.Sprintf("%s-%d", e.o.RunID, e.runs)
	sc = forcesync.UniqueForRun(sc, tag)
	if e.o.Reset != nil {
		if err := e.o.Reset(e.ctx); err != nil {
			return nil, fmt.Errorf("reset the target before run %d: %w", e.runs, err)
		}
	}
	client := e.o.NewClient()
	var log harness.ExchangeLog
	client.Observe(log.Add)
	res, err := d.Replay(e.ctx, client, sc, tag, okta.Options{Probes: e.o.Probes, Managed: e.o.Managed, Settle: e.o.Settle})
	if res != nil && res.Before != nil && e.res.First == nil {
		e.res.Coverage = sumCoverage(e.res.Coverage, res.Coverage)
	}
	switch {
	case err != nil && okta.IsCouldNotRun(err):
		return nil, err
	case err != nil:
		return &Failure{Case: c, Result: res, Err: err, Requests: log.String()}, nil
	case !res.Diff.Empty():
		return &Failure{Case: c, Result: res, Requests: log.String()}, nil
	}
	return nil, nil
}

var (
	givenNames       = []string{"Ada", "Ben", "Cleo", "Dan", "Eva", "Finn"}
	familyNames      = []string{"Abbott", "Baker", "Chen", "Diaz", "Evans", "Fox"}
	unmanagedDomains = []string{"partner.example", "contractor.example"}
	groupNames       = []string{"jira-users", "confluence-users", "bitbucket-users"}
)

type userTraits struct{ unmanaged, secondEmail bool }

var traitsGen = rapid.Custom(func(t *rapid.T) userTraits {
	return userTraits{rapid.Bool().Draw(t, "unmanaged"), rapid.Bool().Draw(t, "second email")}
})

func (e *explorer) drawCase(t *rapid.T) *Case {
	return DrawCaseIn(t, e.o.Dialect, e.o.ManagedDomain, e.o.Variant)
}

// DrawCase draws a run of the dialect's pushes: an org of 1 to MaxUsers users, managed (on
// managedDomain) and not, some with a second email, 0 to MaxGroups groups whose members are
// drawn independently (so they overlap), and 1 to MaxPushes pushes of the dialect's generators
// that apply to that org, each maybe sent twice. Lists are rapid's slices, so shrinking can drop
// any user, group or push, not only the last. A dialect with variants has the run's drawn first.
func DrawCase(t *rapid.T, d *Dialect, managedDomain string) *Case {
	return DrawCaseIn(t, d, managedDomain, "")
}

// DrawCaseIn is DrawCase in the dialect's variant given ("" draws it, when the dialect has
// any; shrinking tends to the first, its default).
func DrawCaseIn(t *rapid.T, d *Dialect, managedDomain, variant string) *Case {
	if variant == "" && len(d.Variants) > 0 {
		variant = d.Variants[rapid.IntRange(0, len(d.Variants)-1).Draw(t, "variant")]
	}
	traits := rapid.SliceOfN(traitsGen, 1, MaxUsers).Draw(t, "users")
	var org Org
	for i, tr := range traits {
		u := User{Key: fmt.Sprintf("u%d", i+1), GivenName: givenNames[i], FamilyName: familyNames[i], Unmanaged: tr.unmanaged}
		domain := managedDomain
		if u.Unmanaged {
			domain = unmanagedDomains[i%len(unmanagedDomains)]
		}
		u.UserName = strings.ToLower(u.GivenName) + "@" + domain
		if tr.secondEmail && !d.OneEmail {
			u.SecondEmail = strings.ToLower(u.GivenName+"."+u.FamilyName) + "@home.example"
		}
		org.Users = append(org.Users, u)
	}
	// A group's members are a bit mask over user positions, one draw of the same size whatever
	// the number of users, so dropping a user does not shift what every later draw means.
	masks := rapid.SliceOfN(rapid.IntRange(0, 1<<MaxUsers-1), 0, MaxGroups).Draw(t, "groups")
	for i, mask := range masks {
		g := Group{Key: groupNames[i], DisplayName: groupNames[i]}
		for j := range org.Users {
			if mask&(1<<j) != 0 {
				g.Members = append(g.Members, j)
			}
		}
		org.Groups = append(org.Groups, g)
	}
	pushGen := rapid.Custom(func(t *rapid.T) Push {
		var gens []*Generator
		for _, g := range d.Generators {
			if g.Applies == nil || g.Applies(&org) {
				gens = append(gens, g)
			}
		}
		g := gens[rapid.IntRange(0, len(gens)-1).Draw(t, "generator")]
		p := g.Draw(t, &org)
		p.Generator = g.Name
		p.Repeated = rapid.Bool().Draw(t, "sent twice")
		return p
	})
	pushes := rapid.SliceOfN(pushGen, 1, MaxPushes).Draw(t, "pushes")
	return &Case{Org: org, Pushes: pushes, Variant: variant}
}

func (e *explorer) left() time.Duration {
	end := e.deadline
	if e.res.First != nil && e.shrinkDeadline.Before(end) {
		end = e.shrinkDeadline
	}
	return max(time.Until(end), 0).Round(time.Second)
}

// progress says how far the exploration is, at most every ProgressEvery (the first run's line
// always comes).
func (e *explorer) progress() {
	first := e.res.Runs == 1 && e.res.First == nil
	if !first && time.Since(e.lastProgress) < e.o.ProgressEvery {
		return
	}
	if e.res.First == nil {
		e.printf("run %d/%d passed; 0 failures; %s left", e.res.Runs, e.o.Runs, e.left())
		return
	}
	e.printf("shrinking the failure of run %d: %s tried, the smallest failing case %s; %s left",
		e.res.First.Try, plural(e.res.Tries, "run"), e.res.Minimal.Case.Size(), e.left())
}

func (e *explorer) printf(format string, args ...any) {
	e.lastProgress = time.Now()
	if e.o.Progress != nil {
		fmt.Fprintf(e.o.Progress, "explore: "+format+"\n", args...)
	}
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(strings.TrimSpace(s), "\n")
	return s
}

// sumCoverage adds one run's coverage to the exploration's.
func sumCoverage(sum *harness.Coverage, c harness.Coverage) *harness.Coverage {
	if sum == nil {
		return &c
	}
	s := *sum
	s.Users += c.Users
	s.Groups += c.Groups
	s.Memberships += c.Memberships
	s.GroupsReadByID += c.GroupsReadByID
	s.Linked += c.Linked
	s.Unmanaged += c.Unmanaged
	s.Reads += c.Reads
	s.Retries += c.Retries
	s.RetryWaited += c.RetryWaited
	return &s
}

package idp

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/scimreplay/scimreplay/harness"
	"github.com/scimreplay/scimreplay/harness/scenario"
)

// Options say how Replay judges a scenario.
type Options struct {
	// Probes read links and the audit log.
	Probes harness.Probes
	// Managed classes users as managed or unmanaged; nil when the verified domains are unknown.
	Managed harness.Classifier
	// Settle holds the after-state this long after the last request (0: read once).
	Settle time.Duration
	// Step, when set, hears each step a reader should see ("provisioning the org as Okta
	// does"), for Ginkgo's By.
	Step func(string)
}

// Result is a whole scenario's replay: the run's state, the snapshots either side of the force
// sync, what moved, and what the verdict rests on.
type Result struct {
	Run           *Run
	Before, After *harness.Snapshot
	Diff          harness.Diff
	Coverage      harness.Coverage
}

// PhaseError is a failure of one phase of Replay: "provision", "snapshot before", "forceSync",
// "verify" or "snapshot after".
type PhaseError struct {
	Phase string
	Err   error
}

func (e *PhaseError) Error() string { return e.Phase + ": " + e.Err.Error() }
func (e *PhaseError) Unwrap() error { return e.Err }

// Replay runs a scenario end to end: provision (the IdP's first push when the scenario has
// none), snapshot, a check that the snapshot can show what provisioning made (links, the
// memberships it gave: see harness.CheckVisible), forceSync Repeat times, verify, then the
// after-state held over the settle window and compared (harness.Settle). The error is a
// *PhaseError; the result holds what was done so far. A non-empty Diff with a nil error is a
// regression of the target.
func (p *Replayer) Replay(ctx context.Context, sc *scenario.Scenario, runID string, o Options) (*Result, error) {
	res := &Result{Run: NewRun(sc, runID)}
	step := func(s string) {
		if o.Step != nil {
			o.Step(s)
		}
	}
	defer func() {
		res.Coverage.Retries, res.Coverage.RetryWaited = p.Client.Retries(), p.Client.RetryWaited()
	}()
	provision := sc.Provision
	if len(provision) == 0 && p.IdP != nil {
		provision = p.IdP.Provision(sc.File)
	}
	step("provisioning the org as " + p.idpName() + " does")
	if err := p.Phase(ctx, res.Run, "provision", provision); err != nil {
		return res, &PhaseError{"provision", err}
	}
	step("taking the snapshot before the force sync")
	var err error
	if res.Before, err = harness.TakeSnapshot(ctx, p.Client, res.Run.Scope(), o.Probes); err != nil {
		return res, &PhaseError{"snapshot before", err}
	}
	res.Coverage = harness.NewCoverage(res.Before, o.Probes, o.Managed)
	res.Coverage.Settle = o.Settle
	if err := harness.CheckVisible(res.Before, res.Run.Expected(), o.Probes.Link); err != nil {
		return res, &PhaseError{"snapshot before", err}
	}
	for i := 0; i < max(sc.Repeat, 1); i++ {
		step(fmt.Sprintf("replaying the recorded force sync (%d/%d)", i+1, max(sc.Repeat, 1)))
		if err := p.Phase(ctx, res.Run, "forceSync", sc.ForceSync); err != nil {
			return res, &PhaseError{"forceSync", err}
		}
	}
	if len(sc.Verify) > 0 {
		step("running the verify steps")
		if err := p.Phase(ctx, res.Run, "verify", sc.Verify); err != nil {
			return res, &PhaseError{"verify", err}
		}
	}
	last := time.Now()
	if o.Settle > 0 {
		step(fmt.Sprintf("holding the state after the force sync for %s", o.Settle))
	} else {
		step("taking the snapshot after the force sync")
	}
	scope := res.Run.Scope()
	take := func(ctx context.Context) (*harness.Snapshot, error) {
		return harness.TakeSnapshot(ctx, p.Client, scope, o.Probes)
	}
	judge := func(after *harness.Snapshot) harness.Diff {
		return harness.CompareWith(res.Before, after, harness.CompareOptions{Managed: o.Managed})
	}
	after, d, reads, err := harness.Settle(ctx, last, o.Settle, take, judge)
	res.Coverage.Reads = reads
	if err != nil {
		return res, &PhaseError{"snapshot after", err}
	}
	res.After, res.Diff = after, d
	return res, nil
}

// Expected is what the IdP's provisioning gave the target: the members of each org group, by the
// ids the target assigned. It is empty unless the provision macro ran (a scenario with its own
// provisioning steps gives what they say, which the replay does not model).
func (r *Run) Expected() harness.Expectations {
	e := harness.Expectations{GroupMembers: map[string][]string{}, GroupNames: map[string]string{}}
	if !r.provisioned {
		return e
	}
	for _, g := range r.Scenario.Org.Groups {
		gid, ok := r.GroupIDs[g.Key]
		if !ok {
			continue
		}
		e.GroupNames[gid] = g.DisplayName
		for _, k := range g.Members {
			if id, ok := r.UserIDs[k]; ok {
				e.GroupMembers[gid] = append(e.GroupMembers[gid], id)
			}
		}
	}
	return e
}

// IsCouldNotRun reports whether a Replay error means the run could not be done (the target was
// unreachable or spoke no SCIM, the scenario cannot be replayed as written, the snapshot could
// not see what it must judge) rather than a regression of the target.
func IsCouldNotRun(err error) bool {
	return harness.IsCouldNotRun(err) || IsScenarioError(err) || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)
}

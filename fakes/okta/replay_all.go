package okta

import (
	"context"
	"fmt"

	"github.com/scimreplay/scimreplay/harness"
	"github.com/scimreplay/scimreplay/harness/scenario"
)

// Result is a whole scenario's replay: the run's state and the snapshots either side of the
// force sync.
type Result struct {
	Run           *Run
	Before, After *harness.Snapshot
}

// Diff is what the force sync moved.
func (r *Result) Diff(managed harness.Classifier) harness.Diff {
	return harness.Compare(r.Before, r.After, managed)
}

// Replay runs a scenario end to end the way the suite does, without Ginkgo: provision (Okta's
// default push when the scenario has none), snapshot, forceSync Repeat times, verify, snapshot.
// The error says which phase failed; the result holds what was done so far.
func (p *Replayer) Replay(ctx context.Context, sc *scenario.Scenario, runID string, probes harness.Probes) (*Result, error) {
	res := &Result{Run: NewRun(sc, runID)}
	provision := sc.Provision
	if len(provision) == 0 {
		provision = []scenario.Step{{Okta: "provision", Pos: scenario.Pos{File: sc.File}}}
	}
	if err := p.Phase(ctx, res.Run, "provision", provision); err != nil {
		return res, fmt.Errorf("provision: %w", err)
	}
	var err error
	if res.Before, err = harness.TakeSnapshot(ctx, p.Client, res.Run.Scope(), probes); err != nil {
		return res, fmt.Errorf("snapshot before: %w", err)
	}
	for i := 0; i < max(sc.Repeat, 1); i++ {
		if err := p.Phase(ctx, res.Run, "forceSync", sc.ForceSync); err != nil {
			return res, fmt.Errorf("forceSync: %w", err)
		}
	}
	if len(sc.Verify) > 0 {
		if err := p.Phase(ctx, res.Run, "verify", sc.Verify); err != nil {
			return res, fmt.Errorf("verify: %w", err)
		}
	}
	if res.After, err = harness.TakeSnapshot(ctx, p.Client, res.Run.Scope(), probes); err != nil {
		return res, fmt.Errorf("snapshot after: %w", err)
	}
	return res, nil
}

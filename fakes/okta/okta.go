// Package okta is the fake Okta: it provisions a scenario's org into a SCIM target the way
// Okta's SCIM client does and replays recorded traffic against it, re-binding the ids the
// target assigns. The replay engine is fakes/idp's; this package adds Okta's macros (okta:
// provision, assign, listUsers, listGroups).
package okta

import (
	"context"
	"io"

	"github.com/scimreplay/scimreplay/fakes/idp"
	"github.com/scimreplay/scimreplay/harness"
	"github.com/scimreplay/scimreplay/harness/scenario"
)

// Replayer sends a scenario's phases to one target as Okta does.
type Replayer struct {
	Client *harness.Client
	// Progress, when set, gets one line per phase and a count of requests sent.
	Progress io.Writer
}

// The replay's state and results are the engine's, shared with the other identity providers.
type (
	// Run is the state of one scenario's replay (see idp.Run).
	Run = idp.Run
	// Options say how Replay judges a scenario (see idp.Options).
	Options = idp.Options
	// Result is a whole scenario's replay (see idp.Result).
	Result = idp.Result
	// PhaseError is a failure of one phase of Replay (see idp.PhaseError).
	PhaseError = idp.PhaseError
	// StepError places a failure at its step in the scenario file (see idp.StepError).
	StepError = idp.StepError
	// ScenarioError means the scenario cannot be replayed as written (see idp.ScenarioError).
	ScenarioError = idp.ScenarioError
)

// NewRun starts the replay state of a scenario.
func NewRun(sc *scenario.Scenario, runID string) *Run { return idp.NewRun(sc, runID) }

func (p *Replayer) engine() *idp.Replayer {
	return &idp.Replayer{Client: p.Client, Progress: p.Progress, IdP: oktaIdP{}}
}

// Replay runs a scenario end to end as Okta: provision (okta: provision when the scenario has
// no provision steps), snapshot, forceSync Repeat times, verify, then the after-state held over
// the settle window and compared (see idp.Replayer.Replay). The error is a *PhaseError; the
// result holds what was done so far. A non-empty Diff with a nil error is a regression of the
// target.
func (p *Replayer) Replay(ctx context.Context, sc *scenario.Scenario, runID string, o Options) (*Result, error) {
	return p.engine().Replay(ctx, sc, runID, o)
}

// Phase replays steps. It stops at the first failure.
func (p *Replayer) Phase(ctx context.Context, r *Run, name string, steps []scenario.Step) error {
	return p.engine().Phase(ctx, r, name, steps)
}

// IsCouldNotRun reports whether a Replay error means the run could not be done (the target was
// unreachable or spoke no SCIM, the scenario cannot be replayed as written, the snapshot could
// not see what it must judge) rather than a regression of the target.
func IsCouldNotRun(err error) bool { return idp.IsCouldNotRun(err) }

// IsScenarioError reports whether err is a problem of the scenario rather than of the target.
func IsScenarioError(err error) bool { return idp.IsScenarioError(err) }

// oktaIdP is Okta's part of the replay: its macros and its first push of the org.
type oktaIdP struct{}

func (oktaIdP) Name() string { return "Okta" }

func (oktaIdP) Provision(file string) []scenario.Step {
	return []scenario.Step{{Okta: "provision", Pos: scenario.Pos{File: file}}}
}

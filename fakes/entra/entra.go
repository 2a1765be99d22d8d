// Package entra is the fake Microsoft Entra ID provisioning service: it provisions a scenario's
// org into a SCIM target the way Entra's SCIM client does and replays its cycles — Test
// Connection, the initial cycle, incremental updates, the full cycle that "Restart
// provisioning" starts, soft delete, group membership — in either of Entra's PATCH dialects.
// The replay engine is fakes/idp's; this package adds Entra's macros (entra: steps).
//
// The request shapes are Microsoft Learn's: "Tutorial: Develop and plan provisioning for a SCIM
// endpoint in Microsoft Entra ID" (the request examples, Test Connection), "Known issues and
// resolutions with SCIM 2.0 protocol compliance of the Microsoft Entra user provisioning
// service" (the aadOptscim062020 flag's before and after), and "How application provisioning
// works in Microsoft Entra ID" (the cycles, matching, Restart provisioning).
package entra

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/scimreplay/scimreplay/fakes/idp"
	"github.com/scimreplay/scimreplay/harness"
	"github.com/scimreplay/scimreplay/harness/scenario"
)

// Entra's PATCH dialects (see scenario.EntraDialectDefault and EntraDialectSCIM062020).
const (
	// DialectDefault: capitalised ops ("Replace"), "True"/"False" strings, one op per attribute,
	// members removed by value list.
	DialectDefault = scenario.EntraDialectDefault
	// DialectSCIM062020: the aadOptscim062020 flag on the Tenant URL: lower-case ops, JSON
	// booleans, several attributes in one path-less replace with dotted keys, members removed
	// by a filtered path.
	DialectSCIM062020 = scenario.EntraDialectSCIM062020
)

// ParseDialect checks a dialect name; "" is DialectDefault.
func ParseDialect(s string) (string, error) {
	switch s {
	case "", DialectDefault:
		return DialectDefault, nil
	case DialectSCIM062020:
		return s, nil
	}
	return "", fmt.Errorf("unknown Entra dialect %q (valid: %s)", s, strings.Join(scenario.EntraDialects, ", "))
}

// Header is what Entra's requests carry besides the token and the body's Content-Type: nothing
// Learn documents (it names no User-Agent and no Accept), so none of Okta's headers. Give it to
// the client that replays Entra's traffic (harness.NewClient starts with Okta's).
func Header() http.Header { return http.Header{} }

// Replayer sends a scenario's phases to one target as Entra's provisioning service does.
type Replayer struct {
	Client *harness.Client
	// Progress, when set, gets one line per phase and a count of requests sent.
	Progress io.Writer
	// Dialect is the PATCH dialect of a scenario that pins none (DialectDefault when ""):
	// the gate's --entra-dialect.
	Dialect string
}

// The replay's state and results are the engine's, shared with Okta's fake.
type (
	// Options say how Replay judges a scenario (see idp.Options).
	Options = idp.Options
	// Result is a whole scenario's replay (see idp.Result).
	Result = idp.Result
)

// DialectOf is the dialect a scenario is replayed in: the one it pins, else fallback (the
// gate's), else DialectDefault.
func DialectOf(sc *scenario.Scenario, fallback string) string {
	switch {
	case sc.Entra.Dialect != "":
		return sc.Entra.Dialect
	case fallback != "":
		return fallback
	}
	return DialectDefault
}

func (p *Replayer) engine(sc *scenario.Scenario) *idp.Replayer {
	matching := sc.Entra.Matching
	if matching == "" {
		matching = scenario.EntraMatchUserName
	}
	return &idp.Replayer{Client: p.Client, Progress: p.Progress, IdP: entraIdP{dialect: DialectOf(sc, p.Dialect), matching: matching}}
}

// Replay runs an Entra scenario end to end: provision (entra: provision, Entra's initial cycle,
// when the scenario has no provision steps), snapshot, forceSync Repeat times, verify, then the
// after-state held over the settle window and compared (see idp.Replayer.Replay), in the
// scenario's dialect (DialectOf). The error is an *idp.PhaseError; the result holds what was done
// so far. A non-empty Diff with a nil error is a regression of the target.
func (p *Replayer) Replay(ctx context.Context, sc *scenario.Scenario, runID string, o Options) (*Result, error) {
	if sc.IdP != scenario.IdPEntra {
		return &Result{}, &idp.PhaseError{Phase: "provision", Err: &idp.ScenarioError{Msg: fmt.Sprintf("%s is an %s scenario, not Entra's (idp: entra)", sc.File, sc.IdP)}}
	}
	if p.Progress != nil {
		how := "the gate's"
		if sc.Entra.Dialect != "" {
			how = "pinned by the scenario"
		}
		fmt.Fprintf(p.Progress, "  Entra dialect %s (%s)\n", DialectOf(sc, p.Dialect), how)
	}
	return p.engine(sc).Replay(ctx, sc, runID, o)
}

// Phase replays steps of sc's run r. It stops at the first failure.
func (p *Replayer) Phase(ctx context.Context, r *idp.Run, name string, steps []scenario.Step) error {
	return p.engine(r.Scenario).Phase(ctx, r, name, steps)
}

// entraIdP is Entra's part of the replay: its macros, in one dialect, matching users by one
// attribute.
type entraIdP struct {
	dialect  string
	matching string
}

func (entraIdP) Name() string { return "Entra ID" }

func (entraIdP) Provision(file string) []scenario.Step {
	return []scenario.Step{{Entra: "provision", Pos: scenario.Pos{File: file}}}
}

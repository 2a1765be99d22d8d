// Package forcesync holds the Ginkgo specs that prove a SCIM server keeps link and membership
// state through an identity provider's force sync. Specs registers them in any suite — yours,
// next to your own BeforeSuite, or scimreplay's gate — against the target of a framework.Suite;
// it knows nothing of any particular server, only the harness.TargetSpec it is given.
package forcesync

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	"github.com/onsi/ginkgo/v2/types"
	. "github.com/onsi/gomega"

	"github.com/scimreplay/scimreplay/fakes/entra"
	"github.com/scimreplay/scimreplay/fakes/idp"
	"github.com/scimreplay/scimreplay/fakes/okta"
	"github.com/scimreplay/scimreplay/harness"
	"github.com/scimreplay/scimreplay/harness/matchers"
	"github.com/scimreplay/scimreplay/harness/scenario"
	"github.com/scimreplay/scimreplay/reports"
	"github.com/scimreplay/scimreplay/suites/framework"
)

// IdP is an identity provider whose traffic the specs replay: its scenarios (those whose idp:
// is Name) form the spec tree forcesync/<Name>/<scenario>, labelled idp:<Name>.
type IdP struct {
	Name string
	// title names it in failures ("the target failed Entra ID's traffic").
	title string
	// replay runs one scenario end to end against a client (see idp.Replayer.Replay).
	replay func(ctx context.Context, c *harness.Client, progress io.Writer, sc *scenario.Scenario, runID string, o idp.Options) (*idp.Result, error)
}

// Okta replays Okta's SCIM client (fakes/okta).
var Okta = IdP{Name: scenario.IdPOkta, title: "Okta", replay: func(ctx context.Context, c *harness.Client, progress io.Writer, sc *scenario.Scenario, runID string, o idp.Options) (*idp.Result, error) {
	return (&okta.Replayer{Client: c, Progress: progress}).Replay(ctx, sc, runID, o)
}}

// Entra replays Microsoft Entra ID's provisioning service (fakes/entra), in the default PATCH
// dialect where a scenario pins none; EntraDialect chooses another.
var Entra = EntraDialect(entra.DialectDefault)

// EntraDialect is Entra replayed in dialect (entra.DialectDefault or DialectSCIM062020) where a
// scenario pins none.
func EntraDialect(dialect string) IdP {
	return IdP{Name: scenario.IdPEntra, title: "Entra ID", replay: func(ctx context.Context, c *harness.Client, progress io.Writer, sc *scenario.Scenario, runID string, o idp.Options) (*idp.Result, error) {
		c.Header = entra.Header() // the spec's own client: Entra sends none of Okta's headers
		return (&entra.Replayer{Client: c, Progress: progress, Dialect: dialect}).Replay(ctx, sc, runID, o)
	}}
}

// IdPFor is the identity provider whose traffic sc is, Entra in entraDialect ("" for the
// default).
func IdPFor(sc *scenario.Scenario, entraDialect string) IdP {
	if sc.IdP == scenario.IdPEntra {
		return EntraDialect(entraDialect)
	}
	return Okta
}

// SpecsByIdP registers Specs once per identity provider the scenarios are for, Okta's first,
// each with its own scenarios in their order: forcesync/okta/…, then forcesync/entra/…, Entra
// in entraDialect where a scenario pins none. It returns true, as Specs does.
func SpecsByIdP(s *framework.Suite, scs []*scenario.Scenario, entraDialect string) bool {
	for _, p := range []IdP{Okta, EntraDialect(entraDialect)} {
		var mine []*scenario.Scenario
		for _, sc := range scs {
			if sc.IdP == p.Name {
				mine = append(mine, sc)
			}
		}
		if len(mine) > 0 {
			Specs(s, p, mine)
		}
	}
	return true
}

// Specs registers the force-sync specs of one identity provider's scenarios:
// Describe("forcesync") > Describe(p.Name) > one It per scenario, each with a target of its own
// from s (framework.Suite.NewFramework), so each scenario is its own JUnit testcase, labelled
// idp:<name>, scenario:<name> and its own labels for --label-filter. Each spec provisions the
// org as the IdP does, snapshots the target, replays the recorded force sync, holds the state
// over the target's settle window and fails if anything moved, in words. Call it where specs may
// be declared, before RunSpecs: in a container of your own, or at the top level of a suite file
// as `var _ = forcesync.Specs(…)` (it returns true, as Describe does). The target is read when
// each spec starts, so a suite may set s.Target in its own BeforeSuite. Each scenario must be
// p's (its idp:); another IdP's could not run (SpecsByIdP sorts a mixed list).
func Specs(s *framework.Suite, p IdP, scs []*scenario.Scenario) bool {
	index := make(map[string]int, len(scs))
	for i, sc := range scs {
		index[sc.Name] = i + 1
	}
	Describe("forcesync", func() {
		Describe(p.Name, Label("idp:"+p.Name), func() {
			ReportAfterEach(func(r SpecReport) {
				if r.LeafNodeType == types.NodeTypeIt && r.State != types.SpecStateSkipped {
					fmt.Fprintf(s.Out(), "  %s\n", progressResult(r))
				}
			})
			BeforeEach(func() {
				name := CurrentSpecReport().LeafNodeText
				sc := scs[index[name]-1]
				fmt.Fprintf(s.Out(), "scenario %d/%d %s (%s)\n", index[name], len(scs), name, sc.File)
			})
			f := s.NewFramework()
			for _, sc := range scs {
				It(sc.Name, Label(ScenarioLabels(p, sc)...), func(ctx SpecContext) {
					AddReportEntry(reports.EntryScenarioFile, sc.File, ReportEntryVisibilityNever)
					runScenario(ctx, f, p, sc)
				}, NodeTimeout(10*time.Minute))
			}
		})
	})
	return true
}

// Caveats are what a run against target will not check, for a runner to say at its start: no
// link probe (links are the headline invariant), no audit probe, no verified domains.
func Caveats(target harness.TargetSpec) []string {
	var out []string
	if !target.LinkProbe.Enabled() {
		out = append(out, "note: "+harness.NoLinkProbe)
	}
	if !target.AuditProbe.Enabled() {
		out = append(out, "note: audit not checked: no audit probe (set --target-audit-path and --target-audit-pattern)")
	}
	if len(target.VerifiedDomains) == 0 {
		out = append(out, "note: "+harness.NoVerifiedDomains)
	}
	return out
}

// ScenarioLabels are the labels of a scenario's spec, which --label-filter matches.
func ScenarioLabels(p IdP, sc *scenario.Scenario) []string {
	return append([]string{"idp:" + p.Name, "scenario:" + sc.Name}, sc.Labels...)
}

// progressResult is the line that closes a scenario in the progress output.
func progressResult(r SpecReport) string {
	run := reports.FromGinkgo(types.Report{SpecReports: types.SpecReports{r}, SuiteSucceeded: true}, reports.Options{})
	c := run.Cases[0]
	switch {
	case c.Status == reports.Passed && c.Coverage != nil:
		return fmt.Sprintf("PASS %s (checked %s) (%s)", r.LeafNodeText, c.Coverage.Short(), r.RunTime.Round(time.Millisecond))
	case c.Status == reports.Passed:
		return fmt.Sprintf("PASS %s (%s)", r.LeafNodeText, r.RunTime.Round(time.Millisecond))
	case c.Verdict == reports.VerdictRegression:
		return fmt.Sprintf("FAIL %s: %s (%s)", r.LeafNodeText, reports.Moved(c), r.RunTime.Round(time.Millisecond))
	}
	return fmt.Sprintf("COULD NOT RUN %s: %s", r.LeafNodeText, reports.Moved(c))
}

// ReportOptions describe a target to package reports; suite names failed suite nodes
// (<suite>/[BeforeSuite]), the suite description when empty.
func ReportOptions(target harness.TargetSpec, suite string) reports.Options {
	spec := target.WithDefaults()
	image := spec.Image
	switch {
	case spec.Dockerfile != "":
		image = spec.Dockerfile
	case spec.URL != "":
		image = harness.RedactURL(spec.URL)
	}
	return reports.Options{
		Name: "scimreplay gate", Suite: suite, Target: spec.Name, TargetImage: image,
		VerifiedDomains: spec.VerifiedDomains,
	}
}

// ReportRun reads a finished suite's report as package reports models it.
func ReportRun(r Report, target harness.TargetSpec) *reports.Run {
	return reports.FromGinkgo(r, ReportOptions(target, "forcesync"))
}

// WriteReports writes junit.xml to junit (when set), and summary.md and report.html to dir or,
// when dir is empty, beside the JUnit file: call it from your ReportAfterSuite. The target's
// token is redacted from all of them.
func WriteReports(r Report, target harness.TargetSpec, junit, dir string) error {
	if dir == "" {
		dir = filepath.Dir(junit)
	}
	return reports.HumanIn(junit, dir).Write(ReportRun(r, target), target.Token)
}

// Outcome reads a finished suite's report: 0 every invariant held, 1 the target regressed, 2 the
// run could not be done. The rule is the reports package's (reports.Run.Code over the cases of
// reports.FromGinkgo), so the exit code and the reports never disagree.
func Outcome(r types.Report) int {
	return reports.FromGinkgo(r, reports.Options{}).Code()
}

// check classifies a replay error: a run that could not be done (exit 2), or a regression of
// the target (exit 1). Only err's own text is used: it is the redacted one (an error it wraps
// may hold the token a careless target echoed).
func check(p IdP, err error) {
	if err == nil {
		return
	}
	if idp.IsCouldNotRun(err) {
		framework.CouldNotRun("%v", err)
	}
	var pe *idp.PhaseError
	if errors.As(err, &pe) {
		framework.Regression("%s: the target failed %s's traffic: %s", pe.Phase, p.title, strings.TrimPrefix(err.Error(), pe.Phase+": "))
	}
	framework.Regression("the target failed %s's traffic: %v", p.title, err)
}

func runScenario(ctx context.Context, f *framework.Framework, p IdP, sc *scenario.Scenario) {
	if sc.IdP != p.Name {
		framework.CouldNotRun("%s is a scenario for %s (idp: %s), not for %s", sc.File, sc.IdP, sc.IdP, p.Name)
	}
	spec := f.Target.Spec
	res, err := p.replay(ctx, f.Client(ctx), f.Suite.Out(), sc, f.Suite.ID(), idp.Options{
		Probes:  harness.Probes{Link: spec.LinkProbe, Audit: spec.AuditProbe},
		Managed: spec.Classifier(),
		Settle:  spec.SettleWindow(),
		Step:    func(s string) { By(s) },
	})
	if res.Before != nil {
		AddReportEntry(reports.EntryCoverage, ReportEntryVisibilityNever, res.Coverage)
	}
	if res.Before != nil && res.After != nil {
		if b, err := json.MarshalIndent(map[string]any{"before": res.Before, "after": res.After}, "", "  "); err == nil {
			AddReportEntry(reports.EntrySnapshots, ReportEntryVisibilityNever, harness.Redact(string(b), spec.Token))
		}
	}
	check(p, f.Explain(ctx, err))
	if !res.Diff.Empty() {
		AddReportEntry(reports.EntryDiff, ReportEntryVisibilityNever, res.Diff)
		AddReportEntry(reports.EntryVerdict, reports.VerdictRegression)
	}
	Expect(res.Diff).To(matchers.MoveNothing())
}

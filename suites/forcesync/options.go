package forcesync

import (
	"flag"
	"fmt"
	"os"
	"strings"

	"github.com/scimreplay/scimreplay/fakes/entra"
	"github.com/scimreplay/scimreplay/harness"
	"github.com/scimreplay/scimreplay/harness/scenario"
	"github.com/scimreplay/scimreplay/scenarios"
	"github.com/scimreplay/scimreplay/suites/framework"
)

// Options are the settings of a force-sync run as flags: the framework's (the target, JUnit,
// request timeout, run id), the scenarios, the identity providers whose scenarios run and
// Entra's PATCH dialect. scimreplay gate and `go test ./suites/forcesync -args …` bind the same
// ones.
type Options struct {
	framework.Flags
	Scenarios string
	// IdP keeps the scenarios of one identity provider: IdPAll (the default), "okta" or "entra".
	IdP string
	// EntraDialect is the PATCH dialect of the Entra scenarios that pin none (entra.Dialect…).
	EntraDialect string
}

// IdPAll selects every identity provider's scenarios.
const IdPAll = "all"

// Bind registers the flags on fs, with env var defaults from getenv.
func (o *Options) Bind(fs *flag.FlagSet, getenv func(string) string) {
	o.Flags.Bind(fs, getenv)
	fs.StringVar(&o.Scenarios, "scenarios", getenv("SCIMREPLAY_SCENARIOS"), "comma list of scenario files or directories (default: the built-in catalogues, Okta's and Entra's)")
	fs.StringVar(&o.IdP, "idp", or(getenv("SCIMREPLAY_IDP"), IdPAll), "replay the scenarios of this identity provider: okta, entra or all (a scenario says its own with idp:)")
	fs.StringVar(&o.EntraDialect, "entra-dialect", or(getenv("SCIMREPLAY_ENTRA_DIALECT"), entra.DialectDefault), "Entra's PATCH dialect where a scenario pins none: default (capitalised ops, \"True\"/\"False\") or aadOptscim062020 (the Tenant URL flag)")
}

func or(v, def string) string {
	if v == "" {
		return def
	}
	return v
}

// Load reads the scenarios to replay against target in run runID: the files and directories
// given, else the built-in catalogues, keeping those of the identity provider --idp names.
// Against a server already running (a URL target), which may be shared and outlives the run,
// every scenario's names are made unique to the run (UniqueForRun), so runs neither collide nor
// see each other. Errors mean bad input (exit 2): an unknown --idp or --entra-dialect, or an
// --idp no scenario is for.
func (o *Options) Load(target harness.TargetSpec, runID string) ([]*scenario.Scenario, error) {
	if _, err := entra.ParseDialect(o.EntraDialect); err != nil {
		return nil, fmt.Errorf("--entra-dialect: %w", err)
	}
	all, err := LoadScenarios(o.Scenarios)
	if err != nil {
		return nil, err
	}
	scs, err := ForIdP(all, o.IdP)
	if err != nil {
		return nil, err
	}
	if target.URL != "" {
		for i, sc := range scs {
			scs[i] = UniqueForRun(sc, runID)
		}
	}
	return scs, nil
}

// ForIdP keeps the scenarios for one identity provider ("okta", "entra"), or all of them
// (IdPAll or ""). Keeping none is an error: a run that checks nothing must not pass.
func ForIdP(scs []*scenario.Scenario, p string) ([]*scenario.Scenario, error) {
	switch p {
	case "", IdPAll:
		return scs, nil
	case scenario.IdPOkta, scenario.IdPEntra:
	default:
		return nil, fmt.Errorf("--idp must be okta, entra or all, not %q", p)
	}
	var out []*scenario.Scenario
	for _, sc := range scs {
		if sc.IdP == p {
			out = append(out, sc)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("--idp %s: none of the %d scenarios is for %s (a scenario says idp: %s)", p, len(scs), p, p)
	}
	return out, nil
}

// LoadScenarios loads a comma list of files and directories, or the built-in catalogues (Okta's,
// then Entra's) when list is empty.
func LoadScenarios(list string) ([]*scenario.Scenario, error) {
	if strings.TrimSpace(list) == "" {
		return scenarios.All()
	}
	var out []*scenario.Scenario
	seen := map[string]string{}
	for _, p := range strings.Split(list, ",") {
		p = strings.TrimSpace(p)
		if p == "" {
			continue
		}
		st, err := os.Stat(p)
		if err != nil {
			return nil, fmt.Errorf("scenarios: %w", err)
		}
		var scs []*scenario.Scenario
		if st.IsDir() {
			scs, err = scenario.LoadFS(os.DirFS(p), ".")
			for _, sc := range scs {
				sc.File = p + "/" + strings.TrimPrefix(sc.File, "./")
			}
		} else {
			var sc *scenario.Scenario
			sc, err = scenario.LoadFile(p)
			scs = []*scenario.Scenario{sc}
		}
		if err != nil {
			return nil, err
		}
		for _, sc := range scs {
			if prev, ok := seen[sc.Name]; ok {
				return nil, fmt.Errorf("%s: scenario name %q is already used by %s", sc.File, sc.Name, prev)
			}
			seen[sc.Name] = sc.File
			out = append(out, sc)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("scenarios: %q holds no scenario", list)
	}
	return out, nil
}

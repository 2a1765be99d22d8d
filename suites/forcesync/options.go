package forcesync

import (
	"flag"
	"fmt"
	"os"
	"strings"

	"github.com/scimreplay/scimreplay/harness"
	"github.com/scimreplay/scimreplay/harness/scenario"
	"github.com/scimreplay/scimreplay/scenarios"
	"github.com/scimreplay/scimreplay/suites/framework"
)

// Options are the settings of a force-sync run as flags: the framework's (the target, JUnit,
// request timeout, run id) and the scenarios. scimreplay gate and `go test ./suites/forcesync
// -args …` bind the same ones.
type Options struct {
	framework.Flags
	Scenarios string
}

// Bind registers the flags on fs, with env var defaults from getenv.
func (o *Options) Bind(fs *flag.FlagSet, getenv func(string) string) {
	o.Flags.Bind(fs, getenv)
	fs.StringVar(&o.Scenarios, "scenarios", getenv("SCIMREPLAY_SCENARIOS"), "comma list of scenario files or directories (default: the built-in Okta catalogue)")
}

// Load reads the scenarios to replay against target in run runID: the files and directories
// given, else the built-in catalogue. Against a server already running (a URL target), which
// may be shared and outlives the run, every scenario's names are made unique to the run
// (UniqueForRun), so runs neither collide nor see each other. Errors mean bad input (exit 2).
func (o *Options) Load(target harness.TargetSpec, runID string) ([]*scenario.Scenario, error) {
	scs, err := LoadScenarios(o.Scenarios)
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

// LoadScenarios loads a comma list of files and directories, or the built-in catalogue when
// list is empty.
func LoadScenarios(list string) ([]*scenario.Scenario, error) {
	if strings.TrimSpace(list) == "" {
		return scenarios.Okta()
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

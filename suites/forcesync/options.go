package forcesync

import (
	"crypto/rand"
	"encoding/hex"
	"flag"
	"fmt"
	"os"
	"regexp"
	"strings"
	"time"

	"github.com/scimreplay/scimreplay/fakes/directory"
	"github.com/scimreplay/scimreplay/fakes/reference"
	"github.com/scimreplay/scimreplay/harness"
	"github.com/scimreplay/scimreplay/harness/scenario"
	"github.com/scimreplay/scimreplay/scenarios"
)

// TargetOptions are the flags every suite shares (the force-sync gate and the conformance
// suite): which target, and how to talk to it.
type TargetOptions struct {
	Target              harness.TargetFlags
	ReferenceFaults     string
	ReferenceVariations string
	// ReferenceLoopback serves the reference directory in this process instead of a container.
	ReferenceLoopback bool
	JUnit             string
	RequestTimeout    time.Duration

	stops []func()
}

// Bind registers the flags on fs, with env var defaults from getenv.
func (o *TargetOptions) Bind(fs *flag.FlagSet, getenv func(string) string) {
	o.Target.Bind(fs, getenv)
	fs.StringVar(&o.ReferenceFaults, "reference-faults", getenv("SCIMREPLAY_REFERENCE_FAULTS"), "comma list of fault modes to switch on in the reference directory (see `scimreplay faults`)")
	fs.StringVar(&o.ReferenceVariations, "reference-variations", getenv("SCIMREPLAY_REFERENCE_VARIATIONS"), "comma list of variations (behaviours a correct server may show) to switch on in the reference directory (see `scimreplay faults`)")
	fs.BoolVar(&o.ReferenceLoopback, "reference-loopback", getenv("SCIMREPLAY_REFERENCE_LOOPBACK") != "", "serve the reference directory in this process on 127.0.0.1 (no container, no Docker daemon; the scenarios share it as a server already running)")
	fs.StringVar(&o.JUnit, "junit", getenv("SCIMREPLAY_JUNIT"), "write a JUnit XML report to this file")
	fs.DurationVar(&o.RequestTimeout, "request-timeout", harness.DefaultRequestTimeout, "give up on a request after this long (Okta waits 60s)")
}

// ResolveTarget is the target the --target-* flags (or a profile) name, else the reference
// directory with --reference-faults and --reference-variations on: its image (reference is then
// true), or with --reference-loopback the directory served in this process until Close (a URL
// target). Errors mean bad input (exit 2).
func (o *TargetOptions) ResolveTarget() (spec harness.TargetSpec, isReference bool, err error) {
	if o.RequestTimeout <= 0 {
		return spec, false, fmt.Errorf("--request-timeout must be positive")
	}
	if o.Target.Given() {
		for flag, set := range map[string]bool{"--reference-faults": o.ReferenceFaults != "", "--reference-variations": o.ReferenceVariations != "", "--reference-loopback": o.ReferenceLoopback} {
			if set {
				return spec, false, fmt.Errorf("%s applies to the reference directory, not to --target-* targets", flag)
			}
		}
		// A container target without a token gets a random one from harness.Run.
		spec, err = o.Target.Spec()
		return spec, false, err
	}
	faults, err := directory.ParseFaults(o.ReferenceFaults)
	if err != nil {
		return spec, false, fmt.Errorf("--reference-faults: %w", err)
	}
	variations, err := directory.ParseVariations(o.ReferenceVariations)
	if err != nil {
		return spec, false, fmt.Errorf("--reference-variations: %w", err)
	}
	settle, err := o.Target.SettleFlag()
	if err != nil {
		return spec, false, err
	}
	if o.ReferenceLoopback {
		spec, stop, err := reference.Serve(faults, variations)
		if err != nil {
			return spec, false, err
		}
		o.stops = append(o.stops, stop)
		spec.Settle = settle
		return spec, false, nil
	}
	spec = reference.Target(faults, variations)
	spec.Settle = settle
	return spec, true, nil
}

// Close stops what ResolveTarget started (the reference directory served in process).
func (o *TargetOptions) Close() {
	for _, stop := range o.stops {
		stop()
	}
	o.stops = nil
}

// Options are the settings of a gate run as flags: shared by `scimreplay gate` and by
// `go test ./suites/forcesync -args …`, so both run the same suite the same way.
type Options struct {
	TargetOptions
	Scenarios string
	RunID     string // labels the run's containers; default a random id
}

// Bind registers the flags on fs, with env var defaults from getenv.
func (o *Options) Bind(fs *flag.FlagSet, getenv func(string) string) {
	o.TargetOptions.Bind(fs, getenv)
	fs.StringVar(&o.Scenarios, "scenarios", getenv("SCIMREPLAY_SCENARIOS"), "comma list of scenario files or directories (default: the built-in Okta catalogue)")
	fs.StringVar(&o.RunID, "run-id", getenv("SCIMREPLAY_RUN_ID"), "id of this run, on every container as label "+harness.LabelRun+" (default random)")
}

// Config checks the options and builds the suite's Config; errors mean bad input (exit 2).
// Against a --target-url server, which may be shared and outlives the run, every scenario's
// names are made unique to the run (UniqueForRun), so runs neither collide nor see each other.
func (o *Options) Config() (*Config, error) {
	cfg := &Config{JUnitPath: o.JUnit, RequestTimeout: o.RequestTimeout, RunID: NewRunID()}
	if o.RunID != "" {
		if !runIDPattern.MatchString(o.RunID) {
			return nil, fmt.Errorf("--run-id %q: use 1-64 letters, digits, '.', '_' or '-'", o.RunID)
		}
		cfg.RunID = o.RunID
	}
	spec, isRef, err := o.ResolveTarget()
	if err != nil {
		return nil, err
	}
	cfg.Target, cfg.Reference = spec, isRef
	scs, err := LoadScenarios(o.Scenarios)
	if err != nil {
		return nil, err
	}
	if spec.URL != "" {
		for i, sc := range scs {
			scs[i] = UniqueForRun(sc, cfg.RunID)
		}
	}
	cfg.Scenarios = scs
	return cfg, nil
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

var runIDPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)

// NewRunID is a short random id that labels one run's containers.
func NewRunID() string {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

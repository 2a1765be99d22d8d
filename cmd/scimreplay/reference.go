package main

import (
	"flag"
	"fmt"
	"io"
	stdlog "log"
	"os"
	"sync"

	tclog "github.com/testcontainers/testcontainers-go/log"

	"github.com/scimreplay/scimreplay/fakes/directory"
	"github.com/scimreplay/scimreplay/fakes/reference"
	"github.com/scimreplay/scimreplay/harness"
	"github.com/scimreplay/scimreplay/suites/framework"
)

// referenceFlags are the CLI's default target: with no --target-* flag, the commands gate
// scimreplay's own reference directory. Only the CLI knows it; the suites know a TargetSpec.
type referenceFlags struct {
	faults, variations string
	loopback           bool

	stops []func()
}

func (r *referenceFlags) bind(fs *flag.FlagSet, getenv func(string) string) {
	fs.StringVar(&r.faults, "reference-faults", getenv("SCIMREPLAY_REFERENCE_FAULTS"), "comma list of fault modes to switch on in the reference directory (see `scimreplay faults`)")
	fs.StringVar(&r.variations, "reference-variations", getenv("SCIMREPLAY_REFERENCE_VARIATIONS"), "comma list of variations (behaviours a correct server may show) to switch on in the reference directory (see `scimreplay faults`)")
	fs.BoolVar(&r.loopback, "reference-loopback", getenv("SCIMREPLAY_REFERENCE_LOOPBACK") != "", "serve the reference directory in this process on 127.0.0.1 (no container, no Docker daemon; the scenarios share it as a server already running)")
}

// target is the target the --target-* flags (or a profile) name, else the reference directory
// with its faults and variations on: its image (buildImage is then true: the suite builds it
// first), or with --reference-loopback the directory served in this process until close (a URL
// target). Errors mean bad input (exit 2).
func (r *referenceFlags) target(f *harness.TargetFlags) (spec harness.TargetSpec, buildImage bool, err error) {
	if f.Given() {
		for flag, set := range map[string]bool{"--reference-faults": r.faults != "", "--reference-variations": r.variations != "", "--reference-loopback": r.loopback} {
			if set {
				return spec, false, fmt.Errorf("%s applies to the reference directory, not to --target-* targets", flag)
			}
		}
		// A container target without a token gets a random one from harness.Run.
		spec, err = f.Spec()
		return spec, false, err
	}
	faults, err := directory.ParseFaults(r.faults)
	if err != nil {
		return spec, false, fmt.Errorf("--reference-faults: %w", err)
	}
	variations, err := directory.ParseVariations(r.variations)
	if err != nil {
		return spec, false, fmt.Errorf("--reference-variations: %w", err)
	}
	settle, err := f.SettleFlag()
	if err != nil {
		return spec, false, err
	}
	if r.loopback {
		spec, stop, err := reference.Serve(faults, variations)
		if err != nil {
			return spec, false, err
		}
		r.stops = append(r.stops, stop)
		spec.Settle = settle
		return spec, false, nil
	}
	spec = reference.Target(faults, variations)
	spec.Settle = settle
	return spec, true, nil
}

// close stops what target started (the reference directory served in process).
func (r *referenceFlags) close() {
	for _, stop := range r.stops {
		stop()
	}
	r.stops = nil
}

// lifecycle registers the command's own suite-level nodes around s: set-up (the Docker daemon;
// the reference image, built from this very binary, when it is the target) and the run's last
// clean-up.
func lifecycle(s *framework.Suite, buildReference bool) {
	self, _ := os.Executable()
	reference.SuiteNodes(s, buildReference, self)
}

// quietDocker sends testcontainers' process-wide log (its connection banner) nowhere: the
// command's own output is the progress lines; each container's lines go to its spec's output.
func quietDocker() {
	quietOnce.Do(func() { tclog.SetDefault(stdlog.New(io.Discard, "", 0)) })
}

// quietOnce: parallel tests and the gate's goroutines call quietDocker; the logger is set once.
var quietOnce sync.Once

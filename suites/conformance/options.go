package conformance

import (
	"flag"

	"github.com/scimreplay/scimreplay/suites/forcesync"
)

// Options are the settings of a conformance run as flags, the same target flags as the gate's:
// shared by `scimreplay conformance` and `go test ./suites/conformance -args …`.
type Options struct {
	forcesync.TargetOptions
}

// Bind registers the flags on fs, with env var defaults from getenv.
func (o *Options) Bind(fs *flag.FlagSet, getenv func(string) string) {
	o.TargetOptions.Bind(fs, getenv)
}

// Config checks the options and builds the suite's Config; errors mean bad input (exit 2).
func (o *Options) Config() (*Config, error) {
	spec, isRef, err := o.ResolveTarget()
	if err != nil {
		return nil, err
	}
	return &Config{Target: spec, Reference: isRef, JUnitPath: o.JUnit, RequestTimeout: o.RequestTimeout, RunID: forcesync.NewRunID()}, nil
}

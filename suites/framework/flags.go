package framework

import (
	"flag"
	"fmt"
	"regexp"
	"time"

	"github.com/scimreplay/scimreplay/harness"
)

// Flags are the settings every suite takes from its command line (scimreplay's commands, or
// `go test … -args`), with env var defaults: the target (--target-*, a profile), where the JUnit
// goes, the request timeout and the run id.
type Flags struct {
	Target         harness.TargetFlags
	JUnit          string
	RequestTimeout time.Duration
	RunID          string
}

// Bind registers the flags on fs, with env var defaults from getenv (pass os.Getenv).
func (o *Flags) Bind(fs *flag.FlagSet, getenv func(string) string) {
	o.Target.Bind(fs, getenv)
	fs.StringVar(&o.JUnit, "junit", getenv("SCIMREPLAY_JUNIT"), "write a JUnit XML report to this file")
	fs.DurationVar(&o.RequestTimeout, "request-timeout", harness.DefaultRequestTimeout, "give up on a request after this long (Okta waits 60s)")
	fs.StringVar(&o.RunID, "run-id", getenv("SCIMREPLAY_RUN_ID"), "id of this run, on every container as label "+harness.LabelRun+" (default random)")
}

var runIDPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)

// Suite checks the flags and returns the Suite gating target (the --target-* flags' Spec, or
// a default a runner chose); errors mean bad input (exit 2).
func (o *Flags) Suite(target harness.TargetSpec) (*Suite, error) {
	if o.RequestTimeout <= 0 {
		return nil, fmt.Errorf("--request-timeout must be positive")
	}
	if o.RunID != "" && !runIDPattern.MatchString(o.RunID) {
		return nil, fmt.Errorf("--run-id %q: use 1-64 letters, digits, '.', '_' or '-'", o.RunID)
	}
	return &Suite{Target: target, RunID: o.RunID, RequestTimeout: o.RequestTimeout}, nil
}

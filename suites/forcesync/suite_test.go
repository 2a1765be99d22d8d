package forcesync_test

import (
	"flag"
	"os"
	"testing"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/scimreplay/scimreplay/fakes/reference"
	"github.com/scimreplay/scimreplay/suites/forcesync"
)

var opts forcesync.Options

// referenceSettle is the settle window of the default run against the reference directory.
const referenceSettle = 300 * time.Millisecond

func init() { opts.Bind(flag.CommandLine, os.Getenv) }

// TestForceSync gates the target given by flags with the scenario catalogue:
// go test ./suites/forcesync -args -target-image=… By default (no target flag) it gates the
// reference directory's image, built first: the container path end to end. Only this test
// knows the reference directory; the specs know the TargetSpec they are given.
func TestForceSync(t *testing.T) {
	RegisterFailHandler(Fail)
	spec, isReference, err := reference.TargetOr(&opts.Target)
	if err != nil {
		t.Fatal(err)
	}
	if isReference && spec.Settle == nil {
		// The reference directory writes as it answers: each scenario's after-state is held (and
		// re-read) over a short window rather than the default 2 s, which would be most of this
		// package's time. The default window, and the background faults it exists for, are
		// gated end to end by the CLI's tests and the detection matrix.
		window := referenceSettle
		spec.Settle = &window
	}
	suite, err := opts.Suite(spec)
	if err != nil {
		t.Fatal(err)
	}
	scs, err := opts.Load(spec, suite.ID())
	if err != nil {
		t.Fatal(err)
	}
	reference.SuiteNodes(suite, isReference, "")
	forcesync.SpecsByIdP(suite, scs, opts.EntraDialect)
	RunSpecs(t, "Force sync", Label("suite:forcesync"))
}

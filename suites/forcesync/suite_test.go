package forcesync_test

import (
	"flag"
	"os"
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/scimreplay/scimreplay/fakes/reference"
	"github.com/scimreplay/scimreplay/suites/forcesync"
)

var opts forcesync.Options

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

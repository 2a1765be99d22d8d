package conformance_test

import (
	"flag"
	"os"
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/scimreplay/scimreplay/fakes/reference"
	"github.com/scimreplay/scimreplay/suites/conformance"
	"github.com/scimreplay/scimreplay/suites/framework"
)

var opts framework.Flags

func init() { opts.Bind(flag.CommandLine, os.Getenv) }

// TestConformance checks the target given by flags for what Okta requires:
// go test ./suites/conformance -args -target-image=… By default (no target flag) it checks the
// reference directory's image, built first.
func TestConformance(t *testing.T) {
	RegisterFailHandler(Fail)
	spec, isReference, err := reference.TargetOr(&opts.Target)
	if err != nil {
		t.Fatal(err)
	}
	suite, err := opts.Suite(spec)
	if err != nil {
		t.Fatal(err)
	}
	reference.SuiteNodes(suite, isReference, "")
	conformance.Specs(suite)
	RunSpecs(t, "Conformance", Label("suite:conformance"))
}

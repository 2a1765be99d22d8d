package conformance_test

import (
	"flag"
	"os"
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/scimreplay/scimreplay/suites/conformance"
)

var opts conformance.Options

func init() { opts.Bind(flag.CommandLine, os.Getenv) }

// TestConformance checks the target given by flags (default: the reference directory with no
// fault) for what Okta requires: go test ./suites/conformance -args -target-image=…
func TestConformance(t *testing.T) {
	RegisterFailHandler(Fail)
	cfg, err := opts.Config()
	if err != nil {
		t.Fatal(err)
	}
	conformance.Define(cfg)
	RunSpecs(t, "Conformance", Label("suite:conformance"))
}

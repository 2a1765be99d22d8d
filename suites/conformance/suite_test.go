package conformance_test

import (
	"flag"
	"os"
	"testing"
	"time"

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
	spec, isReference := reference.Target(nil, nil), true
	if opts.Target.Given() {
		s, err := opts.Target.Spec()
		if err != nil {
			t.Fatal(err)
		}
		spec, isReference = s, false
	}
	suite, err := opts.Suite(spec)
	if err != nil {
		t.Fatal(err)
	}
	BeforeSuite(func(ctx SpecContext) {
		Expect(suite.SetUp(ctx)).To(Succeed())
		if isReference {
			Expect(reference.BuildImage(ctx, "")).To(Succeed())
		}
	}, NodeTimeout(5*time.Minute))
	AfterSuite(func(ctx SpecContext) { Expect(suite.TearDown(ctx)).To(Succeed()) }, NodeTimeout(time.Minute))
	conformance.Specs(suite)
	RunSpecs(t, "Conformance", Label("suite:conformance"))
}

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

func init() { opts.Bind(flag.CommandLine, os.Getenv) }

// TestForceSync gates the target given by flags with the scenario catalogue:
// go test ./suites/forcesync -args -target-image=… By default (no target flag) it gates the
// reference directory's image, built first: the container path end to end. Only this test
// knows the reference directory; the specs know the TargetSpec they are given.
func TestForceSync(t *testing.T) {
	RegisterFailHandler(Fail)
	spec, isReference := reference.Target(nil, nil), true
	if opts.Target.Given() {
		s, err := opts.Target.Spec()
		if err != nil {
			t.Fatal(err)
		}
		spec, isReference = s, false
	} else if settle, err := opts.Target.SettleFlag(); err != nil {
		t.Fatal(err)
	} else {
		spec.Settle = settle
	}
	suite, err := opts.Suite(spec)
	if err != nil {
		t.Fatal(err)
	}
	scs, err := opts.Load(spec, suite.ID())
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
	forcesync.Specs(suite, forcesync.Okta, scs)
	RunSpecs(t, "Force sync", Label("suite:forcesync"))
}

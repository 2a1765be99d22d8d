package reference

import (
	"fmt"
	"time"

	. "github.com/onsi/ginkgo/v2"

	"github.com/scimreplay/scimreplay/harness"
	"github.com/scimreplay/scimreplay/suites/framework"
)

// TargetOr is the target the --target-* flags name, else the reference directory with no fault
// (isReference then true: its image must be built first): the default of scimreplay's own
// suites under `go test`. The --settle flag applies to either.
func TargetOr(f *harness.TargetFlags) (spec harness.TargetSpec, isReference bool, err error) {
	if f.Given() {
		spec, err = f.Spec()
		return spec, false, err
	}
	spec = Target(nil, nil)
	if spec.Settle, err = f.SettleFlag(); err != nil {
		return spec, false, err
	}
	return spec, true, nil
}

// SuiteNodes registers the suite-level nodes a suite of scimreplay's own needs around s, as any
// suite using the framework writes them: a BeforeSuite that calls s.SetUp and, when buildImage
// is set, builds the reference image from binary (see BuildImage), and an AfterSuite that calls
// s.TearDown. (The specs themselves register none: a team's suite writes its own.)
func SuiteNodes(s *framework.Suite, buildImage bool, binary string) {
	BeforeSuite(func(ctx SpecContext) {
		if err := s.SetUp(ctx); err != nil {
			framework.CouldNotRun("%v", err) // in words: no Docker daemon, a sweep that failed
		}
		if buildImage {
			By("building the reference directory image " + ImageTag)
			if err := BuildImage(ctx, binary); err != nil {
				framework.CouldNotRun("%v", err)
			}
		}
	}, NodeTimeout(5*time.Minute))
	AfterSuite(func(ctx SpecContext) {
		if err := s.TearDown(ctx); err != nil {
			fmt.Fprintln(GinkgoWriter, err) // the verdict stands; the next run's sweep removes what is left
		}
	}, NodeTimeout(time.Minute))
}

package framework_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	. "github.com/onsi/ginkgo/v2"
	"github.com/onsi/ginkgo/v2/types"
	. "github.com/onsi/gomega"

	"github.com/scimreplay/scimreplay/harness"
	"github.com/scimreplay/scimreplay/suites/framework"
)

// suiteT records the suite's failure without failing this test: one suite here fails on purpose.
type suiteT struct{ failed bool }

func (s *suiteT) Fail() { s.failed = true }

// Two Suites in one process share nothing: the one whose target never starts fails its specs as
// could-not-run (the second naming the first failure, without waiting out a startup timeout
// again), while the other's specs, in the same run, get a started target, a client that logs
// into their own request log, and pass.
func TestTwoSuitesDoNotMeet(t *testing.T) {
	live := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/scim+json")
		_, _ = w.Write([]byte(`{"totalResults":0,"Resources":[]}`))
	}))
	defer live.Close()
	dead := &framework.Suite{Target: harness.TargetSpec{Name: "dead", URL: "http://127.0.0.1:9", StartupTimeout: 300 * time.Millisecond}}
	ok := &framework.Suite{Target: harness.TargetSpec{Name: "live", URL: live.URL}}

	BeforeSuite(func(ctx SpecContext) {
		Expect(dead.SetUp(ctx)).To(Succeed())
		Expect(ok.SetUp(ctx)).To(Succeed())
	})
	AfterSuite(func(ctx SpecContext) {
		Expect(dead.TearDown(ctx)).To(Succeed())
		Expect(ok.TearDown(ctx)).To(Succeed())
	})
	Describe("dead", Ordered, ContinueOnFailure, func() {
		f := dead.NewFramework()
		It("first", func() { Expect(f.Target).NotTo(BeNil()) })
		It("second", func() { Expect(f.Target).NotTo(BeNil()) })
	})
	Describe("live", Ordered, func() {
		f := ok.NewFramework()
		It("lists users", func(ctx SpecContext) {
			resp, err := f.Client(ctx).Do(ctx, http.MethodGet, "/Users", nil, nil)
			Expect(err).NotTo(HaveOccurred())
			Expect(resp.Status).To(Equal(http.StatusOK))
			Expect(f.Requests().String()).To(ContainSubstring("GET /scim/v2/Users → 200"))
		})
	})
	var report Report
	ReportAfterSuite("outcome", func(r Report) { report = r })
	RegisterFailHandler(Fail)
	st := &suiteT{}
	RunSpecs(st, "two suites")

	if !st.failed {
		t.Fatal("a suite whose target never starts did not fail")
	}
	got := map[string]string{}
	for _, s := range report.SpecReports {
		if s.LeafNodeType != types.NodeTypeIt {
			continue
		}
		got[s.FullText()] = s.State.String() + ": " + s.Failure.Message
	}
	if v := got["dead first"]; !strings.HasPrefix(v, "failed: could not run: run target: target http://127.0.0.1:9 not ready after 300ms") {
		t.Errorf("dead first: %s", v)
	}
	if v := got["dead second"]; !strings.HasPrefix(v, "failed: could not run: the target did not start for first: run target:") {
		t.Errorf("dead second: %s", v)
	}
	if v := got["live lists users"]; v != "passed: " {
		t.Errorf("the other suite's spec: %s", v)
	}
}

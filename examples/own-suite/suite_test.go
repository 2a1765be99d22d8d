// Package ownsuite is a SCIM server team's own Ginkgo suite using scimreplay as a library: its
// own BeforeSuite builds and starts "their" server with testcontainers-go (a small stand-in:
// the elimity-based server of fakes/elimity, built from source here), the library's force-sync
// specs are registered against it, and one hand-written spec uses the harness and the
// PreserveLinksAndMemberships matcher directly. `make test` runs it; copy it into your own
// repository and point it at your server.
package ownsuite_test

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/testcontainers/testcontainers-go"
	"github.com/testcontainers/testcontainers-go/wait"

	"github.com/scimreplay/scimreplay/fakes/elimity"
	"github.com/scimreplay/scimreplay/fakes/okta"
	"github.com/scimreplay/scimreplay/harness"
	"github.com/scimreplay/scimreplay/harness/matchers"
	"github.com/scimreplay/scimreplay/harness/scenario"
	"github.com/scimreplay/scimreplay/scenarios"
	"github.com/scimreplay/scimreplay/suites/forcesync"
	"github.com/scimreplay/scimreplay/suites/framework"
)

func TestOurServer(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "Our SCIM server")
}

// The team's server under test, started once for the suite, and its token.
var token = harness.RandomToken()

var suite = &framework.Suite{} // its Target is filled in once our server runs

var _ = BeforeSuite(func(ctx SpecContext) {
	By("building our server's image")
	image := buildImage(ctx)
	By("starting our server")
	server, err := testcontainers.Run(ctx, image,
		testcontainers.WithExposedPorts("8080/tcp"),
		testcontainers.WithEnv(map[string]string{"ELIMITY_TOKEN": token, "ELIMITY_VERIFIED_DOMAINS": "acme.example"}),
		testcontainers.WithWaitStrategy(wait.ForHTTP("/scim/v2/ServiceProviderConfig").WithPort("8080/tcp").
			WithStatusCodeMatcher(func(s int) bool { return s == http.StatusOK || s == http.StatusUnauthorized })),
	)
	DeferCleanup(func(ctx SpecContext) { Expect(testcontainers.TerminateContainer(server)).To(Succeed()) })
	Expect(err).NotTo(HaveOccurred())
	endpoint, err := server.PortEndpoint(ctx, "8080/tcp", "http")
	Expect(err).NotTo(HaveOccurred())

	// What scimreplay needs to know of it: where it is, its token, where it shows an account
	// link, which domains are verified.
	suite.Target = harness.TargetSpec{
		Name:            "our-scim-server",
		URL:             endpoint + "/scim/v2", // its SCIM base URL, as Okta and Entra are given it
		Token:           token,
		VerifiedDomains: []string{"acme.example"},
		LinkProbe:       harness.LinkProbe{Attribute: elimity.LinkAttribute},
	}
	Expect(suite.SetUp(ctx)).To(Succeed())
}, NodeTimeout(5*time.Minute))

var _ = AfterSuite(func(ctx SpecContext) { Expect(suite.TearDown(ctx)).To(Succeed()) }, NodeTimeout(time.Minute))

// The library's force-sync specs, one per scenario: a team would take the whole catalogue
// (scenarios.Okta()); a few keep this example quick. Our server is shared by every spec, so
// each scenario's names are made unique to the run.
var _ = forcesync.Specs(suite, forcesync.Okta, chosen("identical-repush", "email-case-changed", "push-now-full-list"))

func chosen(names ...string) []*scenario.Scenario {
	all, err := scenarios.Okta()
	if err != nil {
		panic(err)
	}
	var out []*scenario.Scenario
	for _, sc := range all {
		for _, n := range names {
			if sc.Name == n {
				out = append(out, forcesync.UniqueForRun(sc, suite.ID()))
			}
		}
	}
	return out
}

// A spec of our own: our users are provisioned as Okta does, then our own code re-pushes one of
// them, and the matcher says whether links and memberships held.
var _ = Describe("our own re-push", func() {
	f := suite.NewFramework()

	It("keeps an unmanaged user's link when its email comes back in upper case", func(ctx SpecContext) {
		org, err := scenario.Parse("our-org.yaml", []byte(`version: 1
name: our-org
source: our own org
org:
  users:
    - {key: ann, userName: ann@acme.example, givenName: Ann, familyName: Archer}
    - {key: zed, userName: zed@partner.example, givenName: Zed, familyName: Zhang}
  groups:
    - {key: staff, displayName: staff, members: [ann, zed]}
forceSync:
  - okta: listUsers
`))
		Expect(err).NotTo(HaveOccurred())
		org = forcesync.UniqueForRun(org, suite.ID())
		client := f.Client(ctx)
		replayer := &okta.Replayer{Client: client}
		run := okta.NewRun(org, suite.ID())
		Expect(replayer.Phase(ctx, run, "provision", []scenario.Step{{Okta: "provision"}})).To(Succeed())

		probes := harness.Probes{Link: suite.Target.LinkProbe}
		before, err := harness.TakeSnapshot(ctx, client, run.Scope(), probes)
		Expect(err).NotTo(HaveOccurred())

		By("re-pushing zed with his email in upper case, as our own sync job does")
		zed, _ := org.Org.UserByKey("zed")
		profile := zed.Profile()
		profile["emails"] = []any{map[string]any{"primary": true, "type": "work", "value": "ZED" + zed.UserName[3:]}}
		body, err := json.Marshal(profile)
		Expect(err).NotTo(HaveOccurred())
		resp, err := client.Do(ctx, http.MethodPut, "/Users/"+run.UserIDs["zed"], body, nil)
		Expect(err).NotTo(HaveOccurred())
		Expect(resp.Status).To(Equal(http.StatusOK))

		after, err := harness.TakeSnapshot(ctx, client, run.Scope(), probes)
		Expect(err).NotTo(HaveOccurred())
		Expect(after).To(matchers.PreserveLinksAndMemberships(before, suite.Target.Classifier()))
	})
})

// buildImage builds our server FROM scratch around its static binary, under a fixed tag.
func buildImage(ctx context.Context) string {
	GinkgoHelper()
	dir := GinkgoT().TempDir()
	build := exec.CommandContext(ctx, "go", "build", "-trimpath", "-o", filepath.Join(dir, "server"), "github.com/scimreplay/scimreplay/fakes/elimity/cmd/elimity-scim")
	build.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux")
	out, err := build.CombinedOutput()
	Expect(err).NotTo(HaveOccurred(), "go build: %s", out)
	Expect(os.WriteFile(filepath.Join(dir, "Dockerfile"), []byte("FROM scratch\nCOPY server /server\nUSER 65534:65534\nEXPOSE 8080\nENTRYPOINT [\"/server\"]\n"), 0o644)).To(Succeed())
	tag, err := harness.BuildImage(ctx, dir, "scimreplay-example/our-scim-server:dev")
	Expect(err).NotTo(HaveOccurred())
	return tag
}

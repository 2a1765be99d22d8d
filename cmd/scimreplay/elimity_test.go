package main

import (
	"context"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/scimreplay/scimreplay/fakes/elimity"
	"github.com/scimreplay/scimreplay/harness"
)

// elimityImage is the second, independent target: a SCIM server on github.com/elimity-com/scim
// (fakes/elimity), which nobody here wrote the protocol handling of, built FROM scratch around
// its static binary under a fixed tag.
const elimityImage = "scimreplay-test/elimity-scim:dev"

func buildElimityImage(t *testing.T) {
	t.Helper()
	dir := t.TempDir()
	build := exec.Command("go", "build", "-trimpath", "-o", filepath.Join(dir, "elimity-scim"), "github.com/scimreplay/scimreplay/fakes/elimity/cmd/elimity-scim")
	build.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build elimity-scim: %v\n%s", err, out)
	}
	dockerfile := `FROM scratch
COPY elimity-scim /elimity-scim
USER 65534:65534
EXPOSE 8080
ENTRYPOINT ["/elimity-scim"]
`
	if err := os.WriteFile(filepath.Join(dir, "Dockerfile"), []byte(dockerfile), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	quietDocker()
	if _, err := harness.BuildImage(ctx, dir, elimityImage); err != nil {
		t.Fatal(err)
	}
}

// elimityProbes are what a team gating that server would give: its link attribute and its
// verified domain (it has no audit log).
func elimityProbes() []string {
	return []string{"--target-link-attribute", elimity.LinkAttribute, "--target-verified-domains", "acme.example"}
}

// TestGateIndependentTarget gates the elimity-based server the way a SCIM team gates its own:
// by image, with the whole catalogue, green; and, served on loopback with a harmful variant
// on, red for that variant.
func TestGateIndependentTarget(t *testing.T) {
	buildElimityImage(t)
	t.Run("the whole catalogue passes the image", func(t *testing.T) {
		junit := filepath.Join(t.TempDir(), "junit.xml")
		args := append([]string{"gate", "--parallel", "2", "--junit", junit, "--target-image", elimityImage,
			"--target-env", "ELIMITY_TOKEN={{token}}", "--target-env", "ELIMITY_VERIFIED_DOMAINS=acme.example"}, elimityProbes()...)
		r := runCLI(t, nil, args...)
		if r.code != 0 {
			t.Fatalf("exit %d, want 0: a server correct by the RFCs must pass\n%s\n%s", r.code, r.stdout, r.stderr)
		}
		if !strings.Contains(r.stdout, "PASS identical-repush — checked 4 users, 2 groups, 6 memberships, 4/4 linked, settle 2s") {
			t.Errorf("the verdict does not say what was checked:\n%s", r.stdout)
		}
		if !strings.Contains(r.stdout, "not checked: audit log: no audit probe") {
			t.Errorf("the run does not say the audit log went unchecked:\n%s", r.stdout)
		}
	})
	// A URL target's names are made unique to the run: bob+<tag>@partner.example.
	for _, c := range []struct{ variant, scenario, want string }{
		{"access-1003", "identical-repush", `bob\+[0-9a-f-]+@partner\.example \(unmanaged\): link acct-\d+ → none; groups \{confluence-users-[0-9a-f-]+, jira-users-[0-9a-f-]+\} → \{\}`},
		{"rename-wipes-members", "group-rename-with-membership", `group jira-users-[0-9a-f-]+: members \{alice\+[0-9a-f-]+@acme\.example, bob\+[0-9a-f-]+@partner\.example\} → \{\}`},
	} {
		t.Run("red with "+c.variant, func(t *testing.T) {
			token := harness.RandomToken()
			srv, err := elimity.New(elimity.Config{Token: token, VerifiedDomains: []string{"acme.example"}, Variants: []string{c.variant}})
			if err != nil {
				t.Fatal(err)
			}
			ts := httptest.NewServer(srv)
			defer ts.Close()
			args := append([]string{"gate", "--target-url", ts.URL, "--label-filter", "scenario:" + c.scenario}, elimityProbes()...)
			r := runCLI(t, []string{"SCIMREPLAY_TARGET_TOKEN=" + token}, args...)
			if r.code != 1 || !regexp.MustCompile(c.want).MatchString(r.stdout) {
				t.Fatalf("exit %d, want 1 saying %q\n%s\n%s", r.code, c.want, r.stdout, r.stderr)
			}
		})
	}
}

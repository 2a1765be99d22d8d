package main

// Gating any SCIM server: an image given only by name, a server already running at a URL (shared
// with other data and other runs), a profile file; bad profiles; the gate without a link probe;
// container logs in the report of a failed spec.

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/scimreplay/scimreplay/fakes/reference"
	"github.com/scimreplay/scimreplay/harness"
	"github.com/scimreplay/scimreplay/reports"
	"github.com/scimreplay/scimreplay/suites/forcesync"
)

// theScenario keeps each gate run short: the force sync ACCESS-1003 was filed with.
const theScenario = "scenario:identical-repush"

// referenceProbes describe the reference directory's verified domain and its link and audit
// probes to a gate that does not know it is the reference directory.
func referenceProbes() []string {
	ref := reference.Target(nil, nil)
	return []string{
		"--target-verified-domains", strings.Join(ref.VerifiedDomains, ","),
		"--target-link-attribute", ref.LinkProbe.Attribute,
		"--target-audit-path", ref.AuditProbe.Path,
		"--target-audit-pattern", ref.AuditProbe.Pattern,
	}
}

// altImage is a second, differently configured directory image: another port, another base
// path, configured by its CMD, its token from the environment. It is built FROM scratch around
// the static CLI, once per test binary, as a fixed repo:tag.
const altImage = "scimreplay-test/alt-directory:dev"

var altImageBuilt buildOnce

func buildAltImage(t *testing.T) { t.Helper(); altImageBuilt.do(t, buildAltImageNow) }

func buildAltImageNow(t *testing.T) {
	t.Helper()
	dir := t.TempDir()
	if err := copyBinary(scimreplayBinary(t), filepath.Join(dir, "scimreplay")); err != nil {
		t.Fatal(err)
	}
	dockerfile := `FROM scratch
COPY scimreplay /scimreplay
USER 65534:65534
ENTRYPOINT ["/scimreplay", "directory"]
CMD ["--addr", ":9191", "--base-path", "/api/scim/v2"]
`
	if err := os.WriteFile(filepath.Join(dir, "Dockerfile"), []byte(dockerfile), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	quietDocker()
	if _, err := harness.BuildImage(ctx, dir, altImage); err != nil {
		t.Fatal(err)
	}
}

func copyBinary(src, dst string) error {
	b, err := os.ReadFile(src)
	if err != nil {
		return err
	}
	return os.WriteFile(dst, b, 0o755)
}

// altImageFlags gate altImage given only by name: port, base path, its env, the probes.
func altImageFlags(env ...string) []string {
	args := []string{"--target-image", altImage, "--target-port", "9191", "--target-base-path", "/api/scim/v2",
		"--target-startup-timeout", "30s", "--target-env", "DIRECTORY_TOKEN={{token}}",
		"--target-env", "DIRECTORY_VERIFIED_DOMAINS=" + reference.VerifiedDomain}
	for _, e := range env {
		args = append(args, "--target-env", e)
	}
	return append(args, referenceProbes()...)
}

func TestGateImageGivenOnlyByName(t *testing.T) {
	t.Parallel()
	buildAltImage(t)
	t.Run("passes", func(t *testing.T) {
		r := runCLI(t, nil, append([]string{"gate", "--label-filter", theScenario}, altImageFlags()...)...)
		if r.code != 0 {
			t.Fatalf("exit %d, want 0\n%s\n%s", r.code, r.stdout, r.stderr)
		}
	})
	t.Run("goes red with its fault, logs in the report", func(t *testing.T) {
		junit := filepath.Join(t.TempDir(), "junit.xml")
		r := runCLI(t, nil, append([]string{"gate", "--junit", junit, "--label-filter", theScenario}, altImageFlags("DIRECTORY_FAULTS=access-1003")...)...)
		if r.code != 1 {
			t.Fatalf("exit %d, want 1\n%s\n%s", r.code, r.stdout, r.stderr)
		}
		if want := "bob@partner.example (unmanaged): link acct-bob → none"; !strings.Contains(r.stdout, want) {
			t.Errorf("output lacks %q:\n%s", want, r.stdout)
		}
		logs := caseLogs(t, junit, true)
		if !strings.Contains(logs, "serving SCIM at http://") || !strings.Contains(logs, ":9191/api/scim/v2") {
			t.Errorf("the failed spec's report lacks the container's log:\n%s", logs)
		}
		if strings.Contains(logs, "srt_") {
			t.Errorf("the container log in the report holds a token:\n%s", logs)
		}
	})
	t.Run("conformance, with a random token handed to the container", func(t *testing.T) {
		r := runCLI(t, nil, append([]string{"conformance"}, altImageFlags()...)...)
		if r.code != 0 {
			t.Fatalf("exit %d, want 0\n%s\n%s", r.code, r.stdout, r.stderr)
		}
		if !strings.Contains(r.stdout, "PASS conformance:auth-required") {
			t.Errorf("auth-required must run and pass: the container got the run's random token\n%s", r.stdout)
		}
		// Without {{token}} in its env the container checks no token: the check must see it.
		r = runCLI(t, nil, append([]string{"conformance", "--label-filter", "conformance:auth-required"}, altImageFlags("DIRECTORY_TOKEN=")...)...)
		if r.code != 1 || !strings.Contains(r.stdout, "FAIL conformance:auth-required") {
			t.Fatalf("exit %d, want 1 naming auth-required\n%s\n%s", r.code, r.stdout, r.stderr)
		}
	})
}

// caseLogs is the target log the report holds for its failed cases (failed true) or for its
// passed ones, read back with the reports package.
func caseLogs(t *testing.T, junit string, failed bool) string {
	t.Helper()
	run, err := reports.ReadJUnit(junit)
	if err != nil {
		t.Fatal(err)
	}
	var logs []string
	n := 0
	for _, c := range run.Cases {
		if c.Failed() == failed {
			n++
			logs = append(logs, c.Logs)
		}
	}
	if n == 0 {
		t.Fatalf("the report has no case with failed=%t", failed)
	}
	return strings.Join(logs, "")
}

// A passing spec attaches no container log.
func TestGatePassingSpecAttachesNoLogs(t *testing.T) {
	t.Parallel()
	junit := filepath.Join(t.TempDir(), "junit.xml")
	r := runCLI(t, nil, "gate", "--junit", junit, "--label-filter", theScenario)
	if r.code != 0 {
		t.Fatalf("exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	if logs := caseLogs(t, junit, false); logs != "" {
		t.Errorf("a passed case carries the target's logs: %s", logs)
	}
}

// sharedDirectory runs `scimreplay directory` on 127.0.0.1 (a free port) as a server that
// outlives gate runs, and returns its URL.
func sharedDirectory(t *testing.T, token string, faults string) string {
	t.Helper()
	cmd := exec.Command(scimreplayBinary(t), "directory", "--addr", "127.0.0.1:0", "--token", token,
		"--verified-domains", reference.VerifiedDomain, "--faults", faults)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	found := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if _, rest, ok := strings.Cut(sc.Text(), "serving SCIM at "); ok {
				found <- strings.TrimSuffix(strings.Fields(rest)[0], "/scim/v2")
				break
			}
		}
		_, _ = io.Copy(io.Discard, out)
	}()
	select {
	case u := <-found:
		return u
	case <-time.After(20 * time.Second):
		t.Fatal("scimreplay directory did not say where it serves")
	}
	return ""
}

// scim sends one request to a SCIM server with a token and decodes the JSON answer.
func scim(t *testing.T, method, url, token string, body any) map[string]any {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, url, rd)
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/scim+json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var doc map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&doc)
	if resp.StatusCode/100 != 2 {
		t.Fatalf("%s %s: %d %v", method, url, resp.StatusCode, doc)
	}
	return doc
}

// populate fills a server with data of others: the scenario's own userNames and group names
// (another team synced the same people), and 110 more users, so snapshots must page. It returns
// a function reading the state of that data, to compare after the runs.
func populate(t *testing.T, base, token string) func() string {
	t.Helper()
	var ids []string
	names := []string{"alice@acme.example", "bob@partner.example", "carol@contractor.example", "dave@acme.example"}
	for i := 0; i < 110; i++ {
		names = append(names, fmt.Sprintf("other-%03d@elsewhere.example", i))
	}
	for _, n := range names {
		u := scim(t, http.MethodPost, base+"/scim/v2/Users", token, map[string]any{
			"schemas": []any{"urn:ietf:params:scim:schemas:core:2.0:User"}, "userName": n,
			"emails": []any{map[string]any{"value": n, "primary": true}}, "active": true})
		ids = append(ids, u["id"].(string))
	}
	var groups []string
	for _, g := range []string{"jira-users", "confluence-users", "others"} {
		doc := scim(t, http.MethodPost, base+"/scim/v2/Groups", token, map[string]any{
			"schemas": []any{"urn:ietf:params:scim:schemas:core:2.0:Group"}, "displayName": g,
			"members": []any{map[string]any{"value": ids[1]}, map[string]any{"value": ids[2]}, map[string]any{"value": ids[5]}}})
		groups = append(groups, doc["id"].(string))
	}
	return func() string { return othersState(t, base, token, ids, groups) }
}

// othersState is what must not move of the others' data: their users and groups as served.
func othersState(t *testing.T, base, token string, users, groups []string) string {
	t.Helper()
	var b strings.Builder
	for _, id := range users {
		u := scim(t, http.MethodGet, base+"/scim/v2/Users/"+id, token, nil)
		fmt.Fprintf(&b, "%s %v %v %v %v\n", id, u["userName"], u["active"], u["emails"], u["urn:scim:schemas:extension:atlassian-external:1.0"])
	}
	for _, id := range groups {
		g := scim(t, http.MethodGet, base+"/scim/v2/Groups/"+id, token, nil)
		fmt.Fprintf(&b, "%s %v %v\n", id, g["displayName"], g["members"])
	}
	return b.String()
}

func TestGateSharedURLServer(t *testing.T) {
	t.Parallel()
	const token = "shared-token-0123456789"
	urlFlags := func(u string) []string {
		return append([]string{"gate", "--target-url", u, "--label-filter", theScenario}, referenceProbes()...)
	}
	t.Run("others' data neither fails nor appears; runs do not collide", func(t *testing.T) {
		u := sharedDirectory(t, token, "")
		state := populate(t, u, token)
		before := state()
		for run := 1; run <= 2; run++ {
			r := runCLI(t, []string{"SCIMREPLAY_TARGET_TOKEN=" + token}, urlFlags(u)...)
			if r.code != 0 {
				t.Fatalf("run %d: exit %d, want 0\n%s\n%s", run, r.code, r.stdout, r.stderr)
			}
		}
		if after := state(); after != before {
			t.Errorf("the gate runs changed the others' data:\nbefore\n%s\nafter\n%s", before, after)
		}
	})
	t.Run("a regression names only the run's users", func(t *testing.T) {
		u := sharedDirectory(t, token, "access-1003")
		populate(t, u, token)
		r := runCLI(t, nil, append(urlFlags(u), "--target-token", token)...)
		if r.code != 1 {
			t.Fatalf("exit %d, want 1\n%s\n%s", r.code, r.stdout, r.stderr)
		}
		if !strings.Contains(r.stdout, "(unmanaged): link acct-bob+") || !strings.Contains(r.stdout, "bob+") {
			t.Errorf("the diff must name the run's bob (bob+<tag>@partner.example):\n%s", r.stdout)
		}
		for _, other := range []string{"bob@partner.example", "other-0", "group jira-users:", "group others"} {
			if strings.Contains(r.stdout, other) {
				t.Errorf("the others' data (%s) appears in the verdict:\n%s", other, r.stdout)
			}
		}
	})
}

// buildReferenceImage builds scimreplay/directory:dev, for tests that gate it not as the
// built-in reference target (which builds it itself) but as any image.
var referenceImageBuilt buildOnce

func buildReferenceImage(t *testing.T) { t.Helper(); referenceImageBuilt.do(t, buildReferenceImageNow) }

func buildReferenceImageNow(t *testing.T) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	quietDocker()
	if err := reference.BuildImage(ctx, ""); err != nil {
		t.Fatal(err)
	}
}

func TestGateByProfile(t *testing.T) {
	t.Parallel()
	buildReferenceImage(t)
	profile := filepath.Join("..", "..", "examples", "target-profile.yaml")
	r := runCLI(t, nil, "gate", "--target-profile", profile, "--label-filter", theScenario)
	if r.code != 0 {
		t.Fatalf("exit %d, want 0\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	// A flag adds to the profile's env: the same target with its fault on goes red.
	r = runCLI(t, []string{"SCIMREPLAY_TARGET_PROFILE=" + profile}, "gate", "--target-env", "DIRECTORY_FAULTS=access-1003", "--label-filter", theScenario)
	if r.code != 1 || !strings.Contains(r.stdout, "bob@partner.example (unmanaged): link acct-bob → none") {
		t.Fatalf("exit %d, want 1 with the diff\n%s\n%s", r.code, r.stdout, r.stderr)
	}
}

func TestBadProfileExits2WithFileLine(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	for name, c := range map[string]struct{ text, want string }{
		"unknown key": {"image: scimreplay/directory:dev\nimgae: x\n", ":2:1: unknown key \"imgae\" in the target profile"},
		"bad port":    {"image: scimreplay/directory:dev\nport: eighty\n", ":2:7: port must be a number from 1 to 65535"},
		"bad probe":   {"image: scimreplay/directory:dev\nauditProbe:\n  path: /admin/audit\n  pattern: \"(\"\n", ":4:12: auditProbe.pattern must be a non-empty regular expression"},
	} {
		file := filepath.Join(dir, strings.ReplaceAll(name, " ", "-")+".yaml")
		if err := os.WriteFile(file, []byte(c.text), 0o644); err != nil {
			t.Fatal(err)
		}
		for _, cmd := range []string{"gate", "conformance"} {
			t.Run(cmd+" "+name, func(t *testing.T) {
				r := runCLI(t, nil, cmd, "--target-profile", file)
				if r.code != 2 {
					t.Fatalf("exit %d, want 2\n%s\n%s", r.code, r.stdout, r.stderr)
				}
				if !strings.Contains(r.stderr, file+c.want) {
					t.Fatalf("stderr lacks %q:\n%s", file+c.want, r.stderr)
				}
			})
		}
	}
}

// Without a link probe the gate still checks each user's SCIM identity and duplicates.
func TestGateWithoutLinkProbe(t *testing.T) {
	t.Parallel()
	buildReferenceImage(t)
	bare := func(fault, scenario string) result {
		return runCLI(t, nil, "gate", "--target-image", reference.ImageTag, "--target-env", "DIRECTORY_TOKEN={{token}}",
			"--target-env", "DIRECTORY_FAULTS="+fault, "--target-verified-domains", reference.VerifiedDomain,
			"--label-filter", "scenario:"+scenario)
	}
	r := bare("put-reissues-id", "identical-repush")
	if r.code != 1 || !strings.Contains(r.stdout, "bob@partner.example (unmanaged): id ") {
		t.Fatalf("a new id is an identity change: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	if strings.Contains(r.stdout, "link acct-") || strings.Contains(r.stdout, "→ none") {
		t.Errorf("no link probe, yet the diff speaks of links:\n%s", r.stdout)
	}
	r = bare("lookup-case-sensitive", "reassign-username-case")
	if r.code != 1 || !strings.Contains(r.stdout, "duplicated: 2 users with this userName") {
		t.Fatalf("a duplicate user must be named: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
}

// A server already running needs no Docker daemon: the gate must not ask for one.
func TestGateURLTargetNeedsNoDocker(t *testing.T) {
	t.Parallel()
	const token = "no-docker-token-0123456789"
	u := sharedDirectory(t, token, "")
	r := runCLI(t, []string{"DOCKER_HOST=tcp://127.0.0.1:1", "SCIMREPLAY_TARGET_TOKEN=" + token},
		append([]string{"gate", "--target-url", u, "--label-filter", theScenario}, referenceProbes()...)...)
	if r.code != 0 {
		t.Fatalf("exit %d, want 0 with no Docker daemon for a URL target\n%s\n%s", r.code, r.stdout, r.stderr)
	}
}

// --target-url is the SCIM base URL, as Okta's "SCIM connector base URL" or Entra's "Tenant
// URL" give it, path included: the whole catalogue gates the reference directory served at
// http://127.0.0.1:PORT/scim/v2 (never sending /scim/v2/scim/v2/…), green when it is clean and
// red with its access-1003 fault. The probes stay on the server's root.
func TestGateCatalogueOnATargetURLWithItsBasePath(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name   string
		faults []string
		code   int
	}{
		{"clean", nil, 0},
		{"access-1003", []string{"access-1003"}, 1},
	} {
		t.Run(c.name, func(t *testing.T) {
			spec, stop, err := reference.Serve(c.faults, nil)
			if err != nil {
				t.Fatal(err)
			}
			defer stop()
			if spec.BasePath != "/scim/v2" || strings.Count(spec.URL, "/") != 2 {
				t.Fatalf("reference.Serve gives %s with base path %s: this test wants the path in the URL", spec.URL, spec.BasePath)
			}
			baseURL := spec.URL + spec.BasePath
			r := runCLI(t, []string{"SCIMREPLAY_TARGET_TOKEN=" + spec.Token},
				append([]string{"gate", "--target-url", baseURL, "--settle", "0"}, referenceProbes()...)...)
			if r.code != c.code {
				t.Fatalf("exit %d, want %d\n%s\n%s", r.code, c.code, r.stdout, r.stderr)
			}
			if strings.Contains(r.stdout, "/scim/v2/scim/v2") {
				t.Errorf("a request went to the base path twice:\n%s", r.stdout)
			}
			scenarios, err := forcesync.LoadScenarios("")
			if err != nil {
				t.Fatal(err)
			}
			status := map[int]string{0: "PASS", 1: "FAIL"}[c.code]
			if n := strings.Count(r.stdout, "\n"+status+" "); n == 0 || (c.code == 0 && n != len(scenarios)) {
				t.Errorf("%d scenarios %s of %d in the catalogue:\n%s", n, status, len(scenarios), verdictBlock(r.stdout))
			}
			if c.code == 1 && !strings.Contains(r.stdout, "(unmanaged): link acct-bob+") {
				t.Errorf("the regression does not name the run's unmanaged bob:\n%s", r.stdout)
			}
		})
	}
}

package main

import (
	"bufio"
	"context"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/scimreplay/scimreplay/fakes/elimity"
	"github.com/scimreplay/scimreplay/harness"
)

// elimityImage is the second, independent target: a SCIM server on github.com/elimity-com/scim
// (fakes/elimity), which nobody here wrote the protocol handling of, built FROM scratch around
// its static binary under a fixed tag.
const elimityImage = "scimreplay-test/elimity-scim:dev"

var elimityImageBuilt buildOnce

func buildElimityImage(t *testing.T) { t.Helper(); elimityImageBuilt.do(t, buildElimityImageNow) }

func buildElimityImageNow(t *testing.T) {
	t.Helper()
	dir := filepath.Dir(elimityBinary(t))
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

// elimityBin is the elimity-scim binary, static (the image is built around it), built once for
// the package's tests into a directory removed when they end.
var elimityBin struct {
	mu   sync.Mutex
	path string
}

func elimityBinary(t *testing.T) string {
	t.Helper()
	elimityBin.mu.Lock()
	defer elimityBin.mu.Unlock()
	if elimityBin.path != "" {
		return elimityBin.path
	}
	dir, err := os.MkdirTemp("", "scimreplay-elimity-")
	if err != nil {
		t.Fatal(err)
	}
	atExit(func() { os.RemoveAll(dir) })
	bin := filepath.Join(dir, "elimity-scim")
	build := exec.Command("go", "build", "-trimpath", "-o", bin, "github.com/scimreplay/scimreplay/fakes/elimity/cmd/elimity-scim")
	build.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build elimity-scim: %v\n%s", err, out)
	}
	elimityBin.path = bin
	return bin
}

// elimityOnLoopback serves the elimity-based server from that binary on 127.0.0.1, in a process
// of its own, until the test ends, and returns its URL; its log is shown if the test fails. Not
// in the test's own process: there, built with -race, the server's work was most of the CPU of
// the tests that gate it over a URL.
func elimityOnLoopback(t *testing.T, token string, variants ...string) string {
	t.Helper()
	cmd := exec.Command(elimityBinary(t))
	cmd.Env = append(os.Environ(), "ELIMITY_ADDR=127.0.0.1:0", "ELIMITY_TOKEN="+token,
		"ELIMITY_VERIFIED_DOMAINS=acme.example", "ELIMITY_VARIANTS="+strings.Join(variants, ","))
	endsWithTheTests(cmd)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var log tailBuffer
	addr := make(chan string, 1)
	drained := make(chan struct{})
	go func() { // every line to the log; the first "listening on" line's address to addr
		defer close(drained)
		listening := regexp.MustCompile(`listening on (127\.0\.0\.1:\d+),`)
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			log.WriteLine(sc.Text())
			if m := listening.FindStringSubmatch(sc.Text()); m != nil {
				select {
				case addr <- m[1]:
				default:
				}
			}
		}
		io.Copy(io.Discard, stderr) // after a line too long to scan: the server must not block on its log
	}()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		done := make(chan error, 1)
		go func() { <-drained; done <- cmd.Wait() }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
		if t.Failed() {
			t.Logf("elimity-scim's log (its end):\n%s", log.String())
		}
	})
	select {
	case a := <-addr:
		return "http://" + a
	case <-drained:
		t.Fatalf("elimity-scim ended before it listened:\n%s", log.String())
	case <-time.After(30 * time.Second):
		t.Fatalf("elimity-scim did not listen within 30s:\n%s", log.String())
	}
	return ""
}

// tailBuffer keeps the last 64 KiB of the lines written to it.
type tailBuffer struct {
	mu sync.Mutex
	b  []byte
}

func (b *tailBuffer) WriteLine(line string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.b = append(append(b.b, line...), '\n')
	if over := len(b.b) - 64<<10; over > 0 {
		b.b = b.b[over:]
	}
}

func (b *tailBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return string(b.b)
}

// elimityProbes are what a team gating that server would give: its link attribute and its
// verified domain (it has no audit log).
func elimityProbes() []string {
	return []string{"--target-link-attribute", elimity.LinkAttribute, "--target-verified-domains", "acme.example"}
}

// entraStringBoolFinding is what the elimity-based server makes of Entra's default dialect, a
// finding this test records: github.com/elimity-com/scim validates a PATCH value against the
// attribute's type and refuses active "True"/"False" (strings, which the default mapping's
// Switch expression writes) with 400 invalidValue. RFC 7643 types active as a boolean, so the
// library is strict rather than wrong; Entra's other shapes (capitalised ops, the ADSCIM group
// schema, meta and roles: [] on create, members by value list with "$ref": null, the flag's
// dotted path-less replace) it takes.
const entraStringBoolFinding = `answered 400, Entra ID expects 200 or 204; body {"schemas":["urn:ietf:params:scim:api:messages:2.0:Error"],"scimType":"invalidValue",` +
	`"detail":"A required value was missing, or the value specified was not compatible with the operation or attribute type, or resource schema.","status":"400"} ` +
	`(the request carried Entra's capitalised ops (Replace), active as a string ("True"/"False"))`

// entraRefusedByElimity are the Entra scenarios that send the string booleans in the default
// dialect, sorted: exactly these fail, each at its first PATCH of a user.
var entraRefusedByElimity = []string{"full-cycle-twice", "restart-provisioning", "restart-provisioning-externalid", "soft-delete-restore"}

// TestGateIndependentTarget gates the elimity-based server the way a SCIM team gates its own:
// by image, with the Okta catalogue, green; served on loopback, with Entra's catalogue: green
// but for the string booleans of its default dialect (the finding above), which the
// aadOptscim062020 flag's JSON booleans avoid where a scenario does not pin the default; and
// with a harmful variant on, red for that variant.
func TestGateIndependentTarget(t *testing.T) {
	t.Parallel()
	buildElimityImage(t)
	t.Run("the Okta catalogue passes the image", func(t *testing.T) {
		junit := filepath.Join(t.TempDir(), "junit.xml")
		args := append([]string{"gate", "--idp", "okta", "--parallel", "2", "--junit", junit, "--target-image", elimityImage,
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
	// Served on loopback: what the server makes of Entra's shapes does not depend on how it runs.
	for _, c := range []struct {
		dialect string
		refused []string
	}{
		{"default", entraRefusedByElimity},
		{"aadOptscim062020", []string{"soft-delete-restore"}}, // it pins the default dialect
	} {
		t.Run("the Entra catalogue in the "+c.dialect+" dialect", func(t *testing.T) {
			token := harness.RandomToken()
			url := elimityOnLoopback(t, token)
			junit := filepath.Join(t.TempDir(), "junit.xml")
			r := runCLI(t, []string{"SCIMREPLAY_TARGET_TOKEN=" + token}, append([]string{"gate", "--target-url", url, "--idp", "entra",
				"--entra-dialect", c.dialect, "--settle", "0", "--junit", junit}, elimityProbes()...)...)
			var failed []string
			for _, tc := range cases(t, junit) {
				if !tc.Failed() {
					continue
				}
				failed = append(failed, tc.Scenario())
				if !strings.Contains(tc.Message, entraStringBoolFinding) {
					t.Errorf("%s failed otherwise than by the finding:\n%s", tc.Name, tc.Message)
				}
			}
			slices.Sort(failed)
			if r.code != 1 || !slices.Equal(failed, c.refused) {
				t.Errorf("exit %d, failed %v; want 1 and exactly %v (the scenarios with Entra's string booleans)\n%s", r.code, failed, c.refused, r.stdout)
			}
		})
	}
	// A URL target's names are made unique to the run: bob+<tag>@partner.example.
	for _, c := range []struct{ variant, scenario, want string }{
		{"access-1003", "identical-repush", `bob\+[0-9a-f-]+@partner\.example \(unmanaged\): link acct-\d+ → none; groups \{confluence-users-[0-9a-f-]+, jira-users-[0-9a-f-]+\} → \{\}`},
		{"rename-wipes-members", "group-rename-with-membership", `group jira-users-[0-9a-f-]+: members \{alice\+[0-9a-f-]+@acme\.example, bob\+[0-9a-f-]+@partner\.example\} → \{\}`},
	} {
		t.Run("red with "+c.variant, func(t *testing.T) {
			token := harness.RandomToken()
			url := elimityOnLoopback(t, token, c.variant)
			args := append([]string{"gate", "--target-url", url, "--label-filter", "scenario:" + c.scenario}, elimityProbes()...)
			r := runCLI(t, []string{"SCIMREPLAY_TARGET_TOKEN=" + token}, args...)
			if r.code != 1 || !regexp.MustCompile(c.want).MatchString(r.stdout) {
				t.Fatalf("exit %d, want 1 saying %q\n%s\n%s", r.code, c.want, r.stdout, r.stderr)
			}
		})
	}
}

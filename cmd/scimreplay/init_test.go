package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/scimreplay/scimreplay/fakes/directory"
	"github.com/scimreplay/scimreplay/fakes/elimity"
	"github.com/scimreplay/scimreplay/fakes/reference"
	"github.com/scimreplay/scimreplay/harness"
	"github.com/scimreplay/scimreplay/internal/testnet"
)

// serveDirectory serves a reference directory in this process at basePath, with faults on.
func serveDirectory(t *testing.T, basePath, token string, faults ...string) string {
	t.Helper()
	d, err := directory.New(directory.Config{Token: token, BasePath: basePath, VerifiedDomains: []string{reference.VerifiedDomain}, Faults: faults})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(d)
	t.Cleanup(func() { srv.Close(); d.Close() })
	return srv.URL
}

// count is how many resources of a kind the directory holds.
func count(t *testing.T, base, token, resource string) int {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, base+"/"+resource, nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var l struct{ TotalResults int }
	if err := json.NewDecoder(resp.Body).Decode(&l); err != nil {
		t.Fatal(err)
	}
	return l.TotalResults
}

// init against a URL target finds the base path the given one is not, the token's need and the
// link, writes a profile that loads, and leaves nothing on the server; the profile gates the
// server green, and a server with the link-moving fault red.
func TestInitURLTarget(t *testing.T) {
	t.Parallel()
	const token = "srt_init_url_token_3b9f"
	root := serveDirectory(t, "/api/scim/v2", token)
	out := filepath.Join(t.TempDir(), "scimreplay.yaml")
	r := runCLI(t, nil, "init", "--target-url", root+"/scim/v2", "--target-token", token,
		"--target-verified-domains", reference.VerifiedDomain, "--out", out)
	if r.code != 0 {
		t.Fatalf("exit %d, want 0\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	expectContains(t, "init's output", r.stdout,
		"SCIM API at "+root+"/api/scim/v2 (found after /scim/v2: ServiceProviderConfig answered 404",
		"token: needed: without it GET /Users answered 401",
		"link: "+directory.ExtensionSchema+":atlassianAccountId",
		"removed the 4 users and groups init created on",
		"next: SCIMREPLAY_TARGET_TOKEN=… scimreplay gate --target-profile "+out)
	profile := readFile(t, out)
	expectContains(t, "the profile", profile,
		`url: "`+root+`/api/scim/v2"`,
		`attribute: "`+directory.ExtensionSchema+`:atlassianAccountId"`,
		`verifiedDomains: ["`+reference.VerifiedDomain+`"]`,
		"# Audit log: none named",
		"#   group list pages: carry members")
	if strings.Contains(profile, token) || strings.Contains(r.stdout+r.stderr, token) {
		t.Error("the token was written")
	}
	spec, err := harness.LoadProfile(out)
	if err != nil {
		t.Fatalf("the profile does not load: %v", err)
	}
	if spec.LinkProbe.Attribute == "" {
		t.Fatal("the profile has no link probe")
	}
	base := root + "/api/scim/v2"
	if u, g := count(t, base, token, "Users"), count(t, base, token, "Groups"); u+g != 0 {
		t.Fatalf("init left %d users and %d groups on the server", u, g)
	}

	green := runCLI(t, []string{"SCIMREPLAY_TARGET_TOKEN=" + token}, "gate", "--target-profile", out,
		"--label-filter", "scenario:identical-repush", "--settle", "0")
	if green.code != 0 {
		t.Fatalf("the profile does not gate the server green: exit %d\n%s\n%s", green.code, green.stdout, green.stderr)
	}
	expectContains(t, "the green gate", green.stdout, "linked")
	faulty := serveDirectory(t, "/api/scim/v2", token, "relink-on-repush")
	red := runCLI(t, []string{"SCIMREPLAY_TARGET_TOKEN=" + token}, "gate", "--target-profile", out,
		"--target-url", faulty+"/api/scim/v2", "--label-filter", "scenario:identical-repush", "--settle", "0")
	if red.code != 1 {
		t.Fatalf("the profile does not gate the link-moving fault red: exit %d\n%s\n%s", red.code, red.stdout, red.stderr)
	}
	expectContains(t, "the red gate", red.stdout, "(unmanaged): link acct-")
}

// Given no path at all, init finds SCIM under the usual ones; a server without a token says so.
func TestInitFindsTheBasePathAndNoToken(t *testing.T) {
	t.Parallel()
	root := serveDirectory(t, "/scim", "")
	out := filepath.Join(t.TempDir(), "p.yaml")
	r := runCLI(t, nil, "init", "--target-url", root, "--out", out)
	if r.code != 0 {
		t.Fatalf("exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	expectContains(t, "init's output", r.stdout, "SCIM API at "+root+"/scim (found after /scim/v2:", "token: no token given")
	expectContains(t, "the profile", readFile(t, out), `url: "`+root+`/scim"`, "TODO(scimreplay init): list your server's verified domains")

	// --target-base-path, for a URL given without a path, is the base path tried first.
	other := serveDirectory(t, "/api/scim/v2", "")
	r = runCLI(t, nil, "init", "--target-url", other, "--target-base-path", "/api/scim/v2", "--out", out, "--force")
	if r.code != 0 {
		t.Fatalf("exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	expectContains(t, "init's output", r.stdout, "SCIM API at "+other+"/api/scim/v2 (the base path given answers as SCIM)")

	// A base URL's query (Entra's tenant URLs carry one) goes with every request and into the profile.
	var queries []string
	d, err := directory.New(directory.Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		queries = append(queries, r.URL.RawQuery)
		d.ServeHTTP(w, r)
	}))
	defer srv.Close()
	r = runCLI(t, nil, "init", "--target-url", srv.URL+"/scim/v2?aadOptscim062020", "--out", out, "--force")
	if r.code != 0 {
		t.Fatalf("exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	expectContains(t, "the profile", readFile(t, out), `url: "`+srv.URL+`/scim/v2?aadOptscim062020"`)
	if len(queries) == 0 {
		t.Fatal("no request reached the server")
	}
	for _, q := range queries {
		if !strings.Contains(q, "aadOptscim062020") {
			t.Fatalf("a request went without the base URL's query: %q", q)
		}
	}
}

// Bad input: each a one-line reason and exit 2, nothing written.
func TestInitBadInput(t *testing.T) {
	t.Parallel()
	closed := testnet.RefusedURL(t)
	notSCIM := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/" {
			fmt.Fprint(w, "<html>hello</html>")
			return
		}
		http.NotFound(w, r)
	}))
	defer notSCIM.Close()
	withToken := serveDirectory(t, "", "srt_the_right_one")
	for _, c := range []struct {
		name string
		args []string
		want string
	}{
		{"unreachable", []string{"--target-url", closed}, "scimreplay init: cannot reach " + closed + ": "},
		{"no SCIM at all", []string{"--target-url", notSCIM.URL}, "scimreplay init: no SCIM API at " + notSCIM.URL + ": tried /scim/v2: ServiceProviderConfig answered 404, Users answered 404;"},
		{"401 with the token given", []string{"--target-url", withToken + "/scim/v2", "--target-token", "srt_a_wrong_one"}, "answered 401 with the token given: check --target-token"},
		{"401 without a token", []string{"--target-url", withToken + "/scim/v2"}, "answered 401 without a token: give the server's bearer token with --target-token"},
		{"no target", nil, "scimreplay init: name the server: --target-image IMG, --target-dockerfile DIR or --target-url URL"},
	} {
		t.Run(c.name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "p.yaml")
			r := runCLIWithin(t, time.Minute, nil, append([]string{"init", "--out", out}, c.args...)...)
			if r.code != 2 {
				t.Fatalf("exit %d, want 2\n%s\n%s", r.code, r.stdout, r.stderr)
			}
			if lines := strings.Split(strings.TrimSpace(r.stderr), "\n"); len(lines) != 1 || !strings.Contains(lines[0], c.want) {
				t.Errorf("stderr is not the one line %q:\n%s", c.want, r.stderr)
			}
			if _, err := os.Stat(out); err == nil {
				t.Error("a profile was written")
			}
		})
	}
}

// --out never overwrites without --force.
func TestInitKeepsAnExistingProfile(t *testing.T) {
	t.Parallel()
	root := serveDirectory(t, "", "")
	out := filepath.Join(t.TempDir(), "scimreplay.yaml")
	if err := os.WriteFile(out, []byte("mine\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	r := runCLIWithin(t, time.Minute, nil, "init", "--target-url", root, "--out", out)
	if r.code != 2 || !strings.Contains(r.stderr, out+" exists: give --force to overwrite it") {
		t.Fatalf("exit %d\n%s", r.code, r.stderr)
	}
	if readFile(t, out) != "mine\n" {
		t.Fatal("the existing file was changed")
	}
	if r := runCLIWithin(t, time.Minute, nil, "init", "--target-url", root, "--out", out, "--force"); r.code != 0 {
		t.Fatalf("with --force: exit %d\n%s", r.code, r.stderr)
	}
	if !strings.Contains(readFile(t, out), "linkProbe:") {
		t.Fatal("--force did not write the profile")
	}
}

// init against container images: the reference directory, and the independent elimity-based
// server whose link lives under another attribute (accountId). Each profile gates its server
// green and the server's link-moving fault red; nothing outlives the run.
func TestInitContainerTargets(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	if err := reference.BuildImage(ctx, ""); err != nil {
		t.Fatal(err)
	}
	buildElimityImage(t)
	for _, c := range []struct {
		name, image, link string
		env               []string
		fault             string
	}{
		{"reference directory", reference.ImageTag, directory.ExtensionSchema + ":atlassianAccountId",
			[]string{"DIRECTORY_TOKEN={{token}}", "DIRECTORY_VERIFIED_DOMAINS=" + reference.VerifiedDomain}, "DIRECTORY_FAULTS=relink-on-repush"},
		{"elimity", elimityImage, elimity.LinkAttribute,
			[]string{"ELIMITY_TOKEN={{token}}", "ELIMITY_VERIFIED_DOMAINS=acme.example"}, "ELIMITY_VARIANTS=access-1003"},
	} {
		t.Run(c.name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "scimreplay.yaml")
			args := []string{"init", "--target-image", c.image, "--target-verified-domains", "acme.example", "--out", out}
			for _, e := range c.env {
				args = append(args, "--target-env", e)
			}
			r := runCLI(t, nil, args...)
			if r.code != 0 {
				t.Fatalf("exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
			}
			expectContains(t, "init's output", r.stdout, "link: "+c.link+" (", "removed the container and the 4 users and groups init created in it")
			if m := regexp.MustCompile(harness.LabelRun + `=([0-9a-f]+)`).FindStringSubmatch(r.stdout); m == nil {
				t.Error("init does not name its run's label")
			} else if left, err := harness.ListRun(ctx, m[1]); err != nil || len(left) > 0 {
				t.Errorf("containers outlived init: %v %v", left, err)
			}
			profile := readFile(t, out)
			expectContains(t, "the profile", profile, `image: "`+c.image+`"`, `attribute: "`+c.link+`"`, `basePath: "/scim/v2"`, "{{token}}")
			green := runCLI(t, nil, "gate", "--target-profile", out, "--label-filter", "scenario:identical-repush", "--settle", "0")
			if green.code != 0 {
				t.Fatalf("the profile does not gate %s green: exit %d\n%s\n%s", c.image, green.code, green.stdout, green.stderr)
			}
			red := runCLI(t, nil, "gate", "--target-profile", out, "--target-env", c.fault, "--label-filter", "scenario:identical-repush", "--settle", "0")
			if red.code != 1 {
				t.Fatalf("the profile does not gate %s red with %s: exit %d\n%s\n%s", c.image, c.fault, red.code, red.stdout, red.stderr)
			}
			expectContains(t, "the red gate", red.stdout, "(unmanaged): link acct-")
		})
	}
}

// A server without ServiceProviderConfig, Schemas and ResourceTypes, whose list pages omit
// members and whose links are served on a path of its own: init copes, checks the link path and
// audit probe it is given, and writes them.
func TestInitChecksWhatItIsGiven(t *testing.T) {
	t.Parallel()
	const token = "srt_init_given_7d1e"
	d, err := directory.New(directory.Config{Token: token, VerifiedDomains: []string{reference.VerifiedDomain}, Variations: []string{"members-not-in-list"}})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch p := r.URL.Path; {
		case strings.HasSuffix(p, "/ServiceProviderConfig"), strings.HasSuffix(p, "/Schemas"), strings.HasSuffix(p, "/ResourceTypes"):
			http.NotFound(w, r)
		case strings.HasPrefix(p, "/links/"):
			// the account a user is linked to, read from the directory's own view of the user
			rec := httptest.NewRecorder()
			req := httptest.NewRequest(http.MethodGet, "/scim/v2/Users/"+strings.TrimPrefix(p, "/links/"), nil)
			req.Header.Set("Authorization", r.Header.Get("Authorization"))
			d.ServeHTTP(rec, req)
			var u map[string]map[string]any
			_ = json.Unmarshal(rec.Body.Bytes(), &u)
			w.Header().Set("Content-Type", "application/json")
			_ = json.NewEncoder(w).Encode(map[string]any{"account": u[directory.ExtensionSchema]["atlassianAccountId"]})
		default:
			d.ServeHTTP(w, r)
		}
	}))
	defer srv.Close()
	out := filepath.Join(t.TempDir(), "p.yaml")
	r := runCLI(t, nil, "init", "--target-url", srv.URL+"/scim/v2", "--target-token", token, "--out", out,
		"--target-link-path", "/links/{{id}}", "--target-link-pointer", "/account",
		"--target-audit-path", "/admin/audit", "--target-audit-pattern", directory.UnlinkAuditPattern)
	if r.code != 0 {
		t.Fatalf("exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	expectContains(t, "init's output", r.stdout, "SCIM API at "+srv.URL+"/scim/v2 (the base path given answers as SCIM)",
		"link: the link probe given shows a distinct link for each of the 3 users created",
		"audit: the audit path given answers 200")
	expectContains(t, "the profile", readFile(t, out),
		"#   ServiceProviderConfig: none (GET /ServiceProviderConfig answered 404)",
		"#   Schemas: none (GET /Schemas answered 404)",
		"#   ResourceTypes: none (GET /ResourceTypes answered 404)",
		"#   group list pages: omit members; the harness reads each group by id for them",
		"linkProbe:\n  path: \"/links/{{id}}\"\n  pointer: \"/account\"",
		"auditProbe:\n  path: \"/admin/audit\"")
	if _, err := harness.LoadProfile(out); err != nil {
		t.Fatalf("the profile does not load: %v", err)
	}
}

// A server whose second page is empty though totalResults says there are more gets a paging
// warning, not "honoured": the harness stops such a listing as ended early.
func TestInitWarnsOfAnEmptyPage(t *testing.T) {
	t.Parallel()
	const token = "srt_init_paging_token_77d0"
	d, err := directory.New(directory.Config{Token: token, VerifiedDomains: []string{reference.VerifiedDomain}})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if q := r.URL.Query(); r.URL.Path == "/scim/v2/Users" && q.Get("startIndex") == "2" && q.Get("count") == "1" {
			w.Header().Set("Content-Type", "application/scim+json")
			fmt.Fprint(w, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:ListResponse"],"totalResults":3,"itemsPerPage":0,"startIndex":2,"Resources":[]}`)
			return
		}
		d.ServeHTTP(w, r)
	}))
	t.Cleanup(func() { srv.Close(); d.Close() })
	r := runCLI(t, nil, "init", "--target-url", srv.URL+"/scim/v2", "--target-token", token,
		"--target-verified-domains", reference.VerifiedDomain, "--out", filepath.Join(t.TempDir(), "p.yaml"))
	expectContains(t, "init's output", r.stdout, "paging: an empty page (startIndex=1: 1 resources, startIndex=2: 0) with totalResults 3", "(warning)")
	if strings.Contains(r.stdout, "startIndex and count honoured") {
		t.Errorf("init calls the paging honoured:\n%s", r.stdout)
	}
}

// A gateway that answers 403 for a path it does not route does not end the search: the SCIM
// API at a later common base path is found.
func TestInitLooksPastAGateway403(t *testing.T) {
	t.Parallel()
	const token = "srt_init_gateway_token_1e4a"
	d, err := directory.New(directory.Config{Token: token, BasePath: "/api/scim/v2", VerifiedDomains: []string{reference.VerifiedDomain}})
	if err != nil {
		t.Fatal(err)
	}
	gateway := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/scim/") {
			http.Error(w, `{"message":"Missing Authentication Token"}`, http.StatusForbidden)
			return
		}
		d.ServeHTTP(w, r)
	}))
	t.Cleanup(func() { gateway.Close(); d.Close() })
	r := runCLI(t, nil, "init", "--target-url", gateway.URL, "--target-token", token,
		"--target-verified-domains", reference.VerifiedDomain, "--out", filepath.Join(t.TempDir(), "p.yaml"))
	if r.code != 0 {
		t.Fatalf("exit %d, want 0\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	expectContains(t, "init's output", r.stdout, "SCIM API at "+gateway.URL+"/api/scim/v2 (found after /scim/v2: answered 403")
}

// A per-user date-time the server adds (an updatedAt in an extension, different for each user
// and the same on a re-read) is not taken for the link, though an extension ranks first: it
// would move on every write and turn each gate red.
func TestInitDoesNotTakeATimestampForTheLink(t *testing.T) {
	t.Parallel()
	const token = "srt_init_time_token_9c31"
	d, err := directory.New(directory.Config{Token: token, VerifiedDomains: []string{reference.VerifiedDomain}})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := httptest.NewRecorder()
		d.ServeHTTP(rec, r)
		body := rec.Body.Bytes()
		var u map[string]any
		if r.Method == http.MethodGet && strings.HasPrefix(r.URL.Path, "/scim/v2/Users/") && rec.Code == http.StatusOK && json.Unmarshal(body, &u) == nil {
			at := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(len(body)+int(u["id"].(string)[0])) * time.Millisecond)
			u["urn:example:acme:2.0:User"] = map[string]any{"updatedAt": at.Format(time.RFC3339Nano)}
			body, _ = json.Marshal(u)
		}
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		w.Header().Del("Content-Length")
		w.WriteHeader(rec.Code)
		w.Write(body)
	}))
	t.Cleanup(func() { srv.Close(); d.Close() })
	r := runCLI(t, nil, "init", "--target-url", srv.URL+"/scim/v2", "--target-token", token,
		"--target-verified-domains", reference.VerifiedDomain, "--out", filepath.Join(t.TempDir(), "p.yaml"))
	if r.code != 0 {
		t.Fatalf("exit %d, want 0\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	expectContains(t, "init's output", r.stdout, "link: "+directory.ExtensionSchema+":atlassianAccountId (")
	if strings.Contains(r.stdout, "updatedAt") {
		t.Errorf("the timestamp was taken for a link or a candidate:\n%s", r.stdout)
	}
}

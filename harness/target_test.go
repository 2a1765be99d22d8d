package harness

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/scimreplay/scimreplay/internal/testnet"
)

// A target URL is the SCIM base URL, as Okta's "SCIM connector base URL" and Entra's "Tenant
// URL": its path is the base path; a URL without one takes the base path given (or the
// default); the origin stays the root the probes are read from.
func TestTargetURLIsTheSCIMBaseURL(t *testing.T) {
	for _, c := range []struct {
		name, url, basePath       string
		base, root, ready, target string // BasePath, RootURL, ReadyPath, BaseURL after defaults
	}{
		{"path in the URL", "http://127.0.0.1:1/scim/v2", "",
			"/scim/v2", "http://127.0.0.1:1", "/scim/v2/ServiceProviderConfig", "http://127.0.0.1:1/scim/v2"},
		{"trailing slash", "http://127.0.0.1:1/scim/v2/", "",
			"/scim/v2", "http://127.0.0.1:1", "/scim/v2/ServiceProviderConfig", "http://127.0.0.1:1/scim/v2"},
		{"the same base path given too", "http://127.0.0.1:1/scim/v2", "/scim/v2/",
			"/scim/v2", "http://127.0.0.1:1", "/scim/v2/ServiceProviderConfig", "http://127.0.0.1:1/scim/v2"},
		{"a deeper path", "https://scim.example.test/tenants/acme/scim", "",
			"/tenants/acme/scim", "https://scim.example.test", "/tenants/acme/scim/ServiceProviderConfig", "https://scim.example.test/tenants/acme/scim"},
		{"no path: the base path given", "http://127.0.0.1:1", "/api/scim",
			"/api/scim", "http://127.0.0.1:1", "/api/scim/ServiceProviderConfig", "http://127.0.0.1:1/api/scim"},
		{"path / only: the base path given", "http://127.0.0.1:1/", "/api/scim",
			"/api/scim", "http://127.0.0.1:1", "/api/scim/ServiceProviderConfig", "http://127.0.0.1:1/api/scim"},
		{"no path, no base path: the default", "http://127.0.0.1:1", "",
			"/scim/v2", "http://127.0.0.1:1", "/scim/v2/ServiceProviderConfig", "http://127.0.0.1:1/scim/v2"},
		{"base path /", "http://127.0.0.1:1", "/",
			"/", "http://127.0.0.1:1", "/ServiceProviderConfig", "http://127.0.0.1:1"},
		{"Entra's flag: out of the base path, kept for requests", "https://scim.example.test/scim?aadOptscim062020", "",
			"/scim", "https://scim.example.test", "/scim/ServiceProviderConfig", "https://scim.example.test/scim?aadOptscim062020"},
		{"an escaped path stays escaped", "http://127.0.0.1:1/a%20b/scim", "",
			"/a%20b/scim", "http://127.0.0.1:1", "/a%20b/scim/ServiceProviderConfig", "http://127.0.0.1:1/a%20b/scim"},
	} {
		t.Run(c.name, func(t *testing.T) {
			spec := TargetSpec{URL: c.url, BasePath: c.basePath}
			if err := spec.Validate(); err != nil {
				t.Fatalf("Validate: %v", err)
			}
			spec = spec.WithDefaults()
			if err := spec.Validate(); err != nil {
				t.Fatalf("Validate after WithDefaults: %v", err)
			}
			if spec.BasePath != c.base || spec.ReadyPath != c.ready {
				t.Errorf("base path %q, ready path %q; want %q, %q", spec.BasePath, spec.ReadyPath, c.base, c.ready)
			}
			tg := &Target{Spec: spec}
			root, err := tg.RootURL(context.Background())
			if err != nil || root != c.root {
				t.Errorf("RootURL = %q (%v), want the origin %q", root, err, c.root)
			}
			base, err := tg.BaseURL(context.Background())
			if err != nil || base != c.target {
				t.Errorf("BaseURL = %q (%v), want %q", base, err, c.target)
			}
		})
	}
	t.Run("a container's base path /", func(t *testing.T) {
		s := TargetSpec{Image: "a:b", BasePath: "/"}.WithDefaults()
		if s.BasePath != "/" || s.ReadyPath != "/ServiceProviderConfig" {
			t.Errorf("base path %q, ready path %q: want / and /ServiceProviderConfig", s.BasePath, s.ReadyPath)
		}
	})
}

// A URL with a path and another base path given explicitly cannot be read one way or the other:
// an error naming both, from the spec, the flags, their env vars and a profile. The flag's
// default is not a base path given.
func TestTargetURLPathAndAnotherBasePathIsAnError(t *testing.T) {
	const url = "http://127.0.0.1:1/scim/v2"
	wantBoth := func(t *testing.T, err error, other string) {
		t.Helper()
		if err == nil {
			t.Fatal("no error")
		}
		for _, want := range []string{"target url " + url + " has the SCIM base path /scim/v2", "the base path " + other + " is given too"} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("error\n  %v\nlacks\n  %s", err, want)
			}
		}
	}
	t.Run("spec", func(t *testing.T) {
		wantBoth(t, TargetSpec{URL: url, BasePath: "/api"}.Validate(), "/api")
		// Run checks before it waits for anything.
		_, err := Run(context.Background(), TargetSpec{URL: url, BasePath: "/api"})
		wantBoth(t, err, "/api")
	})
	t.Run("flag", func(t *testing.T) {
		_, err := parseFlags(t, nil, "--target-url", url, "--target-base-path", "/api").Spec()
		wantBoth(t, err, "/api")
	})
	t.Run("env var", func(t *testing.T) {
		_, err := parseFlags(t, map[string]string{"SCIMREPLAY_TARGET_BASE_PATH": "/api"}, "--target-url", url).Spec()
		wantBoth(t, err, "/api")
	})
	t.Run("profile, at its line", func(t *testing.T) {
		_, err := ParseProfile("p.yaml", []byte("url: "+url+"\nbasePath: /api\n"))
		wantBoth(t, err, "/api")
		if err != nil && !strings.HasPrefix(err.Error(), "p.yaml:2:11: basePath: ") {
			t.Errorf("error %v: want it at p.yaml:2:11", err)
		}
	})
	t.Run("the flag's default is no base path given", func(t *testing.T) {
		s, err := parseFlags(t, nil, "--target-url", "http://127.0.0.1:1/api/scim").Spec()
		if err != nil {
			t.Fatal(err)
		}
		if got := s.WithDefaults().BasePath; got != "/api/scim" {
			t.Errorf("base path %q, want the URL's /api/scim", got)
		}
	})
	t.Run("the same path, a trailing slash apart", func(t *testing.T) {
		if _, err := parseFlags(t, nil, "--target-url", url+"/", "--target-base-path", "/scim/v2").Spec(); err != nil {
			t.Error(err)
		}
	})
}

func TestTargetURLsThatCannotBeUsed(t *testing.T) {
	for raw, want := range map[string]string{
		"http://user:pw@127.0.0.1:1/scim/v2":  "holds user:password@, which is never sent",
		"http://127.0.0.1:1/scim/v2#frag":     "holds a #fragment",
		"ftp://127.0.0.1/scim":                "is not an http(s) URL",
		"http:///scim/v2":                     "is not an http(s) URL",
		"http://127.0.0.1:1/scim/v2?token=ab": "", // a query is allowed (and redacted when shown)
	} {
		err := TargetSpec{URL: raw}.Validate()
		switch {
		case want == "" && err != nil:
			t.Errorf("%s: %v", raw, err)
		case want != "" && (err == nil || !strings.Contains(err.Error(), want)):
			t.Errorf("%s: error %v, want %q", raw, err, want)
		case err != nil && strings.Contains(err.Error(), ":pw@"):
			t.Errorf("%s: the error shows the password: %v", raw, err)
		}
	}
}

// recorder is a SCIM server at the root of its origin that records every request URI.
type recorder struct {
	mu   sync.Mutex
	uris []string
}

func (rec *recorder) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rec.mu.Lock()
	rec.uris = append(rec.uris, r.RequestURI)
	rec.mu.Unlock()
	w.Header().Set("Content-Type", "application/scim+json")
	switch strings.TrimPrefix(r.URL.Path, "/scim") {
	case "/ServiceProviderConfig":
		fmt.Fprint(w, `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"]}`)
	case "/Users":
		fmt.Fprint(w, `{"totalResults":1,"startIndex":1,"itemsPerPage":1,"Resources":[{"id":"u1","userName":"bob@partner.example","active":true}]}`)
	case "/Groups":
		fmt.Fprint(w, `{"totalResults":1,"startIndex":1,"itemsPerPage":1,"Resources":[{"id":"g1","displayName":"jira-users","members":[{"value":"u1"}]}]}`)
	case "/Users/u1":
		fmt.Fprint(w, `{"id":"u1","userName":"bob@partner.example","active":true}`)
	case "/admin/audit":
		w.Header().Set("Content-Type", "text/plain")
		fmt.Fprint(w, "nothing happened\n")
	case "/admin/links/u1":
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"accountId":"acct-bob"}`)
	default:
		w.WriteHeader(http.StatusNotFound)
		fmt.Fprint(w, `{"detail":"not found"}`)
	}
}

func (rec *recorder) seen() []string {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	return append([]string(nil), rec.uris...)
}

// With --target-base-path / the SCIM API is the server's root: no request, readiness and
// probes included, has a doubled slash.
func TestRootBasePathSendsNoDoubleSlash(t *testing.T) {
	rec := &recorder{}
	srv := httptest.NewServer(rec)
	defer srv.Close()
	ctx := context.Background()
	tg, err := Run(ctx, TargetSpec{URL: srv.URL, BasePath: "/", StartupTimeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	base, err := tg.BaseURL(ctx)
	if err != nil || base != srv.URL {
		t.Errorf("BaseURL = %q (%v), want the origin %q", base, err, srv.URL)
	}
	c, err := tg.Client(ctx)
	if err != nil {
		t.Fatal(err)
	}
	probes := Probes{Link: LinkProbe{Path: "/admin/links/{{id}}", Pointer: "/accountId"}, Audit: AuditProbe{Path: "/admin/audit", Pattern: "unlinked"}}
	snap, err := TakeSnapshot(ctx, c, Scope{}, probes)
	if err != nil {
		t.Fatal(err)
	}
	if len(snap.Users) != 1 || snap.Users[0].Link != "acct-bob" || len(snap.Groups) != 1 {
		t.Errorf("snapshot %+v: want bob linked and one group", snap)
	}
	if _, err := c.Do(ctx, http.MethodGet, "Users/u1", nil, nil); err != nil {
		t.Fatal(err)
	}
	uris := rec.seen()
	for _, u := range uris {
		if strings.Contains(u, "//") {
			t.Errorf("request %s has a doubled slash", u)
		}
	}
	paths := map[string]bool{}
	for _, u := range uris {
		p, _, _ := strings.Cut(u, "?")
		paths[p] = true
	}
	for _, want := range []string{"/ServiceProviderConfig", "/Users", "/Groups", "/Users/u1", "/admin/audit", "/admin/links/u1"} {
		if !paths[want] {
			t.Errorf("no request to %s; requests: %v", want, uris)
		}
	}
}

// A base URL's query (Entra's tenant URLs may carry ?aadOptscim062020) goes with every SCIM
// request, before the request's own, as `record --upstream` forwards it; never into the base
// path, and not to the probes, whose paths are from the server's root.
func TestTargetURLQueryGoesWithEverySCIMRequest(t *testing.T) {
	rec := &recorder{}
	srv := httptest.NewServer(rec)
	defer srv.Close()
	ctx := context.Background()
	tg, err := Run(ctx, TargetSpec{URL: srv.URL + "/scim?aadOptscim062020", StartupTimeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	c, err := tg.Client(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if c.BaseURL != srv.URL+"/scim" || c.Query != "aadOptscim062020" {
		t.Errorf("client base %q, query %q", c.BaseURL, c.Query)
	}
	if _, err := TakeSnapshot(ctx, c, Scope{}, Probes{Audit: AuditProbe{Path: "/admin/audit", Pattern: "unlinked"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Do(ctx, http.MethodGet, "/Users?filter=userName+eq+%22bob%22", nil, nil); err != nil {
		t.Fatal(err)
	}
	uris := rec.seen()
	want := map[string]bool{
		"/scim/ServiceProviderConfig?aadOptscim062020":              false,
		"/scim/Users?aadOptscim062020&filter=userName+eq+%22bob%22": false,
		"/admin/audit": false,
	}
	for _, u := range uris {
		if _, ok := want[u]; ok {
			want[u] = true
		}
		p, q, _ := strings.Cut(u, "?")
		switch {
		case strings.HasPrefix(p, "/scim/") && !strings.HasPrefix(q, "aadOptscim062020"):
			t.Errorf("SCIM request %s lacks the base URL's query", u)
		case strings.HasPrefix(p, "/admin/") && q != "":
			t.Errorf("probe %s got a query", u)
		}
	}
	for u, seen := range want {
		if !seen {
			t.Errorf("no request %s; requests: %v", u, uris)
		}
	}
}

// silentListener accepts connections and never answers on them; it counts them.
func silentListener(t *testing.T) (string, *atomic.Int64) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var accepted atomic.Int64
	var conns []net.Conn
	var mu sync.Mutex
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			accepted.Add(1)
			mu.Lock()
			conns = append(conns, c) // held open, never read or written
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			c.Close()
		}
	})
	return "http://" + ln.Addr().String(), &accepted
}

// A server already running that accepts connections but never answers is given ReadyTries
// tries, each bounded by the request timeout, not the startup timeout: here 10 minutes, which
// the run must end far inside of.
func TestURLTargetReadinessIsBoundedByTheRequestTimeout(t *testing.T) {
	u, accepted := silentListener(t)
	start := time.Now()
	_, err := Run(context.Background(), TargetSpec{URL: u + "/scim/v2", StartupTimeout: 10 * time.Minute}, WithRequestTimeout(300*time.Millisecond))
	took := time.Since(start)
	if err == nil {
		t.Fatal("a server that never answers was taken as ready")
	}
	want := fmt.Sprintf("run target: target %s/scim/v2 did not answer GET /scim/v2/ServiceProviderConfig within 300ms (%d tries)", u, ReadyTries)
	if err.Error() != want {
		t.Errorf("error\n  %v\nwant\n  %s", err, want)
	}
	if took > time.Minute {
		t.Errorf("took %s: the startup timeout, not the request timeout, bounded the wait", took)
	}
	if n := accepted.Load(); n != ReadyTries {
		t.Errorf("%d connections, want one per try (%d)", n, ReadyTries)
	}
}

// Each way a URL target fails its readiness check has its own reason.
func TestURLTargetReadinessReasons(t *testing.T) {
	notFound := httptest.NewServer(http.NotFoundHandler())
	defer notFound.Close()
	refused := testnet.RefusedURL(t) // a port nobody listens on
	silent, _ := silentListener(t)
	for _, c := range []struct {
		name    string
		spec    TargetSpec
		timeout time.Duration
		want    string
	}{
		{"a wrong base path", TargetSpec{URL: notFound.URL + "/api", StartupTimeout: time.Minute}, time.Second,
			fmt.Sprintf("target %s/api is not ready after %d tries: GET /api/ServiceProviderConfig answered 404 (2xx or 401 means ready): is %s/api the SCIM base URL?", notFound.URL, ReadyTries, notFound.URL)},
		{"nobody listens", TargetSpec{URL: refused, StartupTimeout: time.Minute}, time.Second,
			fmt.Sprintf("target %s is not ready after %d tries: GET /scim/v2/ServiceProviderConfig: dial tcp", refused, ReadyTries)},
		{"the startup timeout comes first", TargetSpec{URL: silent, StartupTimeout: 500 * time.Millisecond}, time.Minute,
			fmt.Sprintf("target %s not ready after 500ms: GET /scim/v2/ServiceProviderConfig got no answer", silent)},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := Run(context.Background(), c.spec, WithRequestTimeout(c.timeout))
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("error\n  %v\nwant\n  %s", err, c.want)
			}
		})
	}
}

// A container's last log lines, for the reason of a failed start: the last n, each redacted and
// cut short, and how many there were.
func TestLastLines(t *testing.T) {
	const token = "srt_lastlines_0123456789"
	var log strings.Builder
	for i := 1; i <= 30; i++ {
		fmt.Fprintf(&log, "boot step %02d\n", i)
	}
	fmt.Fprintf(&log, "config: token %s rejected\r\n", token)
	log.WriteString(strings.Repeat("x", 2000) + token + "\n")
	log.WriteString("last line without a newline")
	lines, total, err := lastLines(strings.NewReader(log.String()), 5, token)
	if err != nil {
		t.Fatal(err)
	}
	if total != 33 || len(lines) != 5 {
		t.Fatalf("%d lines of %d, want 5 of 33: %q", len(lines), total, lines)
	}
	want := []string{"boot step 29", "boot step 30", "config: token " + Redacted + " rejected", strings.Repeat("x", 500) + "…", "last line without a newline"}
	for i := range want {
		if lines[i] != want[i] {
			t.Errorf("line %d = %.60q, want %.60q", i, lines[i], want[i])
		}
	}
}

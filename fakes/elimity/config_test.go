package elimity_test

import (
	"bytes"
	"log"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/scimreplay/scimreplay/fakes/elimity"
)

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestConfigFromEnv(t *testing.T) {
	cfg, err := elimity.ConfigFromEnv(env(map[string]string{
		"ELIMITY_TOKEN":            "s3cret",
		"ELIMITY_VERIFIED_DOMAINS": " acme.example, ,example.org ",
		"ELIMITY_VARIANTS":         "access-1003,rename-wipes-members",
		"ELIMITY_BASE_PATH":        "/api/scim/",
	}))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Token != "s3cret" || cfg.BasePath != "/api/scim/" ||
		!slices.Equal(cfg.VerifiedDomains, []string{"acme.example", "example.org"}) ||
		!slices.Equal(cfg.Variants, []string{"access-1003", "rename-wipes-members"}) {
		t.Errorf("config %+v", cfg)
	}
	cfg, err = elimity.ConfigFromEnv(env(nil))
	if err != nil || cfg.Token != "" || len(cfg.Variants) != 0 {
		t.Errorf("empty environment: %+v, %v", cfg, err)
	}
}

func TestConfigFromEnvRejectsUnknownVariants(t *testing.T) {
	for _, v := range []string{"no-such-variant", "access-1003,bogus", "ACCESS-1003"} {
		_, err := elimity.ConfigFromEnv(env(map[string]string{"ELIMITY_VARIANTS": v}))
		if err == nil || !strings.Contains(err.Error(), "unknown variant") {
			t.Errorf("ELIMITY_VARIANTS=%s: %v", v, err)
		}
	}
	if _, err := elimity.New(elimity.Config{Variants: []string{"bogus"}}); err == nil {
		t.Error("New took an unknown variant")
	}
	if _, err := elimity.ConfigFromEnv(env(map[string]string{"ELIMITY_BASE_PATH": "scim/v2"})); err == nil {
		t.Error("a base path without / was taken")
	}
}

func TestVariantsAreDescribed(t *testing.T) {
	seen := map[string]bool{}
	for _, v := range elimity.Variants() {
		if v.Name == "" || v.Description == "" || seen[v.Name] {
			t.Errorf("variant %+v", v)
		}
		seen[v.Name] = true
		if _, err := elimity.New(elimity.Config{Variants: []string{v.Name}}); err != nil {
			t.Errorf("%s: %v", v.Name, err)
		}
	}
	for _, want := range []string{"access-1003", "put-groups-clears", "rename-wipes-members", "filtered-remove-ignored"} {
		if !seen[want] {
			t.Errorf("no variant %s", want)
		}
	}
}

func TestTokenIsRequired(t *testing.T) {
	f := newFixture(t)
	for _, auth := range []string{"", "Bearer wrong", "Basic " + testToken, testToken} {
		req, _ := http.NewRequest(http.MethodGet, f.ts.URL+"/scim/v2/Users", nil)
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("Authorization %q answered %d", auth, resp.StatusCode)
		}
	}
	if status, _ := f.do(http.MethodGet, "/ServiceProviderConfig", nil); status != http.StatusOK {
		t.Errorf("ServiceProviderConfig with the token answered %d", status)
	}
}

func TestNoTokenConfiguredNeedsNone(t *testing.T) {
	srv, err := elimity.New(elimity.Config{})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv)
	defer ts.Close()
	resp, err := http.Get(ts.URL + "/scim/v2/ServiceProviderConfig")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("readiness answered %d", resp.StatusCode)
	}
}

func TestBasePath(t *testing.T) {
	srv, err := elimity.New(elimity.Config{BasePath: "/api/scim/"})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv)
	defer ts.Close()
	for path, want := range map[string]int{
		"/api/scim/Users":                 http.StatusOK,
		"/api/scim/ServiceProviderConfig": http.StatusOK,
		"/scim/v2/Users":                  http.StatusNotFound,
		"/api/scimUsers":                  http.StatusNotFound,
		"/api/scim/v2/Users":              http.StatusNotFound, // the library would strip /v2 by itself
	} {
		resp, err := http.Get(ts.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Errorf("GET %s answered %d, want %d", path, resp.StatusCode, want)
		}
	}
}

func TestLogRequestsLogsNoCredentials(t *testing.T) {
	var buf bytes.Buffer
	srv, err := elimity.New(elimity.Config{Token: testToken})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(elimity.LogRequests(srv, log.New(&buf, "", 0)))
	defer ts.Close()
	for _, auth := range []string{"Bearer " + testToken, "Bearer not-the-token"} {
		req, _ := http.NewRequest(http.MethodGet, ts.URL+"/scim/v2/Users?filter=userName%20eq%20%22a%40b.example%22", nil)
		req.Header.Set("Authorization", auth)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	out := buf.String()
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 2 || !strings.HasPrefix(lines[0], "GET /scim/v2/Users 200 ") || !strings.HasPrefix(lines[1], "GET /scim/v2/Users 401 ") {
		t.Errorf("log:\n%s", out)
	}
	for _, secret := range []string{testToken, "not-the-token", "Bearer", "a@b.example"} {
		if strings.Contains(out, secret) {
			t.Errorf("the log holds %q:\n%s", secret, out)
		}
	}
}

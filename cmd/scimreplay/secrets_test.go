package main

import (
	"bytes"
	"encoding/json"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/scimreplay/scimreplay/fakes/misbehave"
)

// knownToken is the secret the tests look for; long and unusual, so a hit is never a fluke.
const knownToken = "srt_KNOWN_s3cret_7f3a91c2e5d84b06"

// safeBuffer is a bytes.Buffer the target's handler goroutines write to.
type safeBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *safeBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *safeBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// artefacts maps every file under dir, and the given outputs, to their content.
func artefacts(t *testing.T, dir string, outputs map[string]string) map[string]string {
	t.Helper()
	all := map[string]string{}
	for k, v := range outputs {
		all[k] = v
	}
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(path)
		all[path] = string(b)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return all
}

// expectNoSecret fails for every artefact that holds the token, in any case or split by JSON
// escaping.
func expectNoSecret(t *testing.T, all map[string]string) {
	t.Helper()
	escaped, _ := json.Marshal(knownToken)
	for name, content := range all {
		for _, needle := range []string{knownToken, strings.ToLower(knownToken), strings.Trim(string(escaped), `"`)} {
			if strings.Contains(content, needle) {
				i := strings.Index(content, needle)
				t.Errorf("%s holds the token: …%s…", name, content[max(0, i-120):min(len(content), i+len(needle)+40)])
				break
			}
		}
	}
}

// A failing gate of a careless target (it echoes the Authorization header in its 500 bodies)
// with a known token: the token is in none of the files the run writes (JUnit with the
// requests sent, summary.md, report.html) nor in its verbose stdout and stderr; and a HAR full
// of the token imports to a scenario without it. TestGateArtefactsNeverHoldTheToken covers a
// target that writes the token into its container log. The checks that the target saw the
// token and that the requests were attached make sure there was something to leak.
func TestNoArtefactHoldsTheToken(t *testing.T) {
	t.Parallel()
	t.Run("url target", func(t *testing.T) {
		var seen safeBuffer
		url := misbehavingURL(t, knownToken, &misbehave.Handler{Mode: misbehave.Status500, Trigger: misbehave.DefaultTrigger, Skip: 1, LogAuth: &seen})
		dir := t.TempDir()
		r := runCLI(t, nil, append([]string{"gate", "-v", "--target-url", url, "--target-token", knownToken,
			"--label-filter", theScenario, "--junit", filepath.Join(dir, "junit.xml"), "--reports-dir", dir}, referenceProbes()...)...)
		if r.code != 1 {
			t.Fatalf("exit %d, want 1\n%s\n%s", r.code, r.stdout, r.stderr)
		}
		if !strings.Contains(seen.String(), "Bearer "+knownToken) {
			t.Fatal("the target never saw the token: the test proves nothing")
		}
		all := artefacts(t, dir, map[string]string{"stdout": r.stdout, "stderr": r.stderr})
		if !strings.Contains(all[filepath.Join(dir, "junit.xml")], "requests sent") {
			t.Error("the JUnit holds no requests entry: nothing was at risk")
		}
		expectNoSecret(t, all)
	})
	t.Run("import-har", func(t *testing.T) {
		dir := t.TempDir()
		har := filepath.Join(dir, "traffic.har")
		entry := func(method, url, reqBody, respBody string, status int) map[string]any {
			e := map[string]any{
				"request": map[string]any{"method": method, "url": url, "headers": []any{
					map[string]any{"name": "Authorization", "value": "Bearer " + knownToken},
					map[string]any{"name": "Cookie", "value": "session=" + knownToken},
				}},
				"response": map[string]any{"status": status, "content": map[string]any{"mimeType": "application/scim+json", "text": respBody}},
			}
			if reqBody != "" {
				e["request"].(map[string]any)["postData"] = map[string]any{"mimeType": "application/scim+json", "text": reqBody}
			}
			return e
		}
		doc := map[string]any{"log": map[string]any{"version": "1.2", "entries": []any{
			entry("POST", "https://scim.example/scim/v2/Users?access_token="+knownToken,
				`{"userName":"bob@partner.example","emails":[{"value":"bob@partner.example","primary":true}]}`,
				`{"id":"1","userName":"bob@partner.example","detail":"seen Authorization Bearer `+knownToken+`"}`, 201),
			entry("PUT", "https://scim.example/scim/v2/Users/1", `{"id":"1","userName":"bob@partner.example","note":"`+knownToken+`"}`,
				`{"id":"1","userName":"bob@partner.example"}`, 200),
		}}}
		b, _ := json.Marshal(doc)
		if err := os.WriteFile(har, b, 0o600); err != nil {
			t.Fatal(err)
		}
		out := filepath.Join(t.TempDir(), "imported.yaml")
		r := runCLI(t, nil, "import-har", har, "--out", out, "--pseudonymise")
		if r.code != 0 {
			t.Fatalf("exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
		}
		all := artefacts(t, filepath.Dir(out), map[string]string{"stdout": r.stdout, "stderr": r.stderr})
		if !strings.Contains(all[out], "Users") {
			t.Fatalf("the imported scenario holds no traffic: nothing was at risk\n%s", all[out])
		}
		expectNoSecret(t, all)
	})
}

// The gate talks only to the target it was given: with HTTP(S)_PROXY pointing at a recorder,
// not even the readiness probe of a --target-url goes through the proxy (it would carry the
// target's address, and the SCIM traffic the token).
func TestGateIgnoresProxySettings(t *testing.T) {
	t.Parallel()
	var proxied atomic.Int64
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		proxied.Add(1)
		w.WriteHeader(http.StatusOK)
	}))
	defer proxy.Close()
	r := runCLI(t, []string{"HTTP_PROXY=" + proxy.URL, "HTTPS_PROXY=" + proxy.URL, "http_proxy=" + proxy.URL, "https_proxy=" + proxy.URL, "NO_PROXY=", "no_proxy="},
		"gate", "--target-url", "http://scim.target.invalid:8080", "--target-token", knownToken,
		"--target-startup-timeout", "2s", "--label-filter", theScenario)
	if r.code != 2 {
		t.Fatalf("exit %d, want 2\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	if n := proxied.Load(); n != 0 {
		t.Errorf("%d requests went through the proxy", n)
	}
	if !strings.Contains(r.stdout, "not ready after 2s") {
		t.Errorf("no reason given:\n%s", r.stdout)
	}
}

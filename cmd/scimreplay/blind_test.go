package main

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/scimreplay/scimreplay/fakes/directory"
	"github.com/scimreplay/scimreplay/fakes/reference"
	"github.com/scimreplay/scimreplay/harness"
)

// blindDirectory serves the reference directory on loopback through rewrite, which may change
// any JSON answer (the path and the decoded body are given) to make the target hide things.
func blindDirectory(t *testing.T, token string, rewrite func(path string, body map[string]any)) string {
	t.Helper()
	d, err := directory.New(directory.Config{Token: token, VerifiedDomains: []string{reference.VerifiedDomain}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(d.Close)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := httptest.NewRecorder()
		d.ServeHTTP(rec, r)
		var body map[string]any
		out := rec.Body.Bytes()
		if json.Unmarshal(out, &body) == nil && r.Method == http.MethodGet {
			rewrite(r.URL.Path, body)
			out, _ = json.Marshal(body)
		}
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		w.Header().Del("Content-Length")
		w.WriteHeader(rec.Code)
		_, _ = w.Write(out)
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

// A gate that cannot see what it must judge never passes: each blind spot is a could-not-run
// (exit 2) whose reason says what to fix.
func TestGateThatCannotSeeCouldNotRun(t *testing.T) {
	t.Parallel()
	token := harness.RandomToken()
	env := []string{"SCIMREPLAY_TARGET_TOKEN=" + token}
	gate := func(t *testing.T, url string, extra ...string) result {
		t.Helper()
		args := append([]string{"gate", "--target-url", url, "--label-filter", theScenario, "--settle", "0"}, referenceProbes()...)
		return runCLI(t, env, append(args, extra...)...)
	}
	expect := func(t *testing.T, r result, want string) {
		t.Helper()
		if r.code != 2 || !regexp.MustCompile(want).MatchString(r.stdout) {
			t.Fatalf("exit %d, want 2 saying %q\n%s\n%s", r.code, want, r.stdout, r.stderr)
		}
	}
	t.Run("a link probe that reads the wrong place", func(t *testing.T) {
		url := blindDirectory(t, token, func(string, map[string]any) {})
		expect(t, gate(t, url, "--target-link-attribute", "urn:example:wrong:1.0:accountId"),
			`link probe found no account for any of 4 users: check --target-link-attribute \(linkProbe.attribute in a profile\): urn:example:wrong:1.0:accountId`)
	})
	t.Run("members returned nowhere", func(t *testing.T) {
		url := blindDirectory(t, token, func(path string, body map[string]any) {
			if strings.Contains(path, "/Groups") {
				delete(body, "members")
				for _, r := range asList(body["Resources"]) {
					delete(r, "members")
				}
			}
		})
		expect(t, gate(t, url), `group (jira|confluence)-users-[0-9a-f-]+ \(id [^)]+\) was given 3 members by provisioning, but the snapshot before the force sync shows none of them: GET /Groups and GET /Groups/\S+ return no members for it`)
	})
	t.Run("a listing that ends early", func(t *testing.T) {
		url := blindDirectory(t, token, func(path string, body map[string]any) {
			if strings.HasSuffix(path, "/Users") && body["totalResults"] != nil {
				if rs := asList(body["Resources"]); len(rs) > 1 {
					body["Resources"], body["totalResults"], body["itemsPerPage"] = []any{rs[0]}, 1, 1
				}
			}
		})
		expect(t, gate(t, url), `GET /Users listed no user with id \S+, but GET /Users/\S+ answers it: the listing ended early`)
	})
	t.Run("a recording that never created what it sends", func(t *testing.T) {
		file := filepath.Join(t.TempDir(), "force-sync-only.yaml")
		doc := `version: 1
name: force-sync-only
source: a force sync recorded without the provisioning before it
rebind: auto
forceSync:
  - method: GET
    path: /Users/9200a6a1-b942-44df-bf53-529ef95b8e3f
    response:
      status: 200
      body: {id: 9200a6a1-b942-44df-bf53-529ef95b8e3f, userName: person001@acme.example}
`
		if err := os.WriteFile(file, []byte(doc), 0o644); err != nil {
			t.Fatal(err)
		}
		url := blindDirectory(t, token, func(string, map[string]any) {})
		args := append([]string{"gate", "--target-url", url, "--scenarios", file, "--settle", "0"}, referenceProbes()...)
		expect(t, runCLI(t, env, args...), `force-sync-only.yaml:6:5: GET /Users/9200a6a1-b942-44df-bf53-529ef95b8e3f: the recording's id 9200a6a1-b942-44df-bf53-529ef95b8e3f is sent here, but no earlier answer of this target paired it`)
	})
}

func asList(v any) []map[string]any {
	l, _ := v.([]any)
	var out []map[string]any
	for _, e := range l {
		if m, ok := e.(map[string]any); ok {
			out = append(out, m)
		}
	}
	return out
}

package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/scimreplay/scimreplay/fakes/directory"
	"github.com/scimreplay/scimreplay/harness"
	"github.com/scimreplay/scimreplay/suites/conformance"
)

// entraServer is the reference directory with one behaviour changed in front of it: a bug that
// breaks Entra's traffic, or a choice the RFCs leave a server, which the Entra checks must pass.
type entraServer struct {
	name string
	wrap func(next http.Handler) http.Handler
	// fail and skip are the Entra checks that must fail and be skipped; every other Entra check
	// must pass.
	fail, skip []string
}

// scimError answers as a SCIM server refusing a request (RFC 7644 §3.12).
func scimError(w http.ResponseWriter, status int, scimType, detail string) {
	w.Header().Set("Content-Type", "application/scim+json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]any{
		"schemas": []string{"urn:ietf:params:scim:api:messages:2.0:Error"},
		"status":  fmt.Sprint(status), "scimType": scimType, "detail": detail,
	})
}

// patchOps hands the operations of a PATCH request to edit, which may change them in place,
// answer the request itself (true) or let it through with the edited body.
func patchOps(next http.Handler, edit func(w http.ResponseWriter, ops []map[string]any) ([]map[string]any, bool)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPatch {
			next.ServeHTTP(w, r)
			return
		}
		body, _ := io.ReadAll(r.Body)
		var doc map[string]any
		if json.Unmarshal(body, &doc) == nil {
			var ops []map[string]any
			for _, o := range asSlice(doc["Operations"]) {
				if m, ok := o.(map[string]any); ok {
					ops = append(ops, m)
				}
			}
			edited, answered := edit(w, ops)
			if answered {
				return
			}
			if len(edited) == 0 {
				w.WriteHeader(http.StatusNoContent) // every operation dropped: "done"
				return
			}
			doc["Operations"] = edited
			body, _ = json.Marshal(doc)
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		r.ContentLength = int64(len(body))
		next.ServeHTTP(w, r)
	})
}

func asSlice(v any) []any { s, _ := v.([]any); return s }

func isActive(op map[string]any) bool {
	p, _ := op["path"].(string)
	_, isString := op["value"].(string)
	return strings.EqualFold(p, "active") && isString
}

// isValueListRemove is Entra's default-dialect member removal: remove path=members with a value.
func isValueListRemove(op map[string]any) bool {
	o, _ := op["op"].(string)
	p, _ := op["path"].(string)
	return strings.EqualFold(o, "remove") && strings.EqualFold(p, "members") && op["value"] != nil
}

func entraServers() []entraServer {
	return []entraServer{
		{name: "op-case-sensitive", // resync-bugs.md: entra-op-case-sensitive
			wrap: func(next http.Handler) http.Handler {
				return patchOps(next, func(w http.ResponseWriter, ops []map[string]any) ([]map[string]any, bool) {
					for _, op := range ops {
						if o, _ := op["op"].(string); o != strings.ToLower(o) {
							scimError(w, http.StatusBadRequest, "invalidSyntax", "unknown op "+o)
							return nil, true
						}
					}
					return ops, false
				})
			},
			fail: []string{"entra-patch-capitalised-ops", "entra-active-string", "entra-group-add-members", "entra-group-remove-member"}},
		{name: "string-bool-case-sensitive", // resync-bugs.md: entra-string-bool
			wrap: func(next http.Handler) http.Handler {
				return patchOps(next, func(w http.ResponseWriter, ops []map[string]any) ([]map[string]any, bool) {
					for _, op := range ops {
						if isActive(op) {
							op["value"] = op["value"] == "true"
						}
					}
					return ops, false
				})
			},
			fail: []string{"entra-active-string"}},
		{name: "string-bool-refused (a correct server's choice)",
			wrap: func(next http.Handler) http.Handler {
				return patchOps(next, func(w http.ResponseWriter, ops []map[string]any) ([]map[string]any, bool) {
					for _, op := range ops {
						if isActive(op) {
							scimError(w, http.StatusBadRequest, "invalidValue", "active must be a boolean")
							return nil, true
						}
					}
					return ops, false
				})
			},
			skip: []string{"entra-active-string"}},
		{name: "remove-valuelist-empties", // resync-bugs.md: remove-valuelist-empties
			wrap: func(next http.Handler) http.Handler {
				return patchOps(next, func(w http.ResponseWriter, ops []map[string]any) ([]map[string]any, bool) {
					for _, op := range ops {
						if isValueListRemove(op) {
							delete(op, "value") // read as RFC 7644 §3.5.2.2's remove without a filter
						}
					}
					return ops, false
				})
			},
			fail: []string{"entra-group-remove-member"}},
		{name: "remove-valuelist-ignored",
			wrap: func(next http.Handler) http.Handler {
				return patchOps(next, func(w http.ResponseWriter, ops []map[string]any) ([]map[string]any, bool) {
					return slices.DeleteFunc(ops, isValueListRemove), false
				})
			},
			fail: []string{"entra-group-remove-member"}},
		{name: "remove-valuelist-refused (a correct server's choice)",
			wrap: func(next http.Handler) http.Handler {
				return patchOps(next, func(w http.ResponseWriter, ops []map[string]any) ([]map[string]any, bool) {
					if slices.ContainsFunc(ops, isValueListRemove) {
						scimError(w, http.StatusBadRequest, "invalidValue", "remove takes a filter, not a value")
						return nil, true
					}
					return ops, false
				})
			},
			skip: []string{"entra-group-remove-member"}},
		{name: "excludedAttributes-refused",
			wrap: func(next http.Handler) http.Handler {
				return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					if r.URL.Query().Has("excludedAttributes") {
						scimError(w, http.StatusBadRequest, "invalidSyntax", "unknown parameter excludedAttributes")
						return
					}
					next.ServeHTTP(w, r)
				})
			},
			fail: []string{"entra-group-lookup-excluded", "entra-group-get-excluded"}},
		{name: "excludedAttributes-ignored (a correct server's choice)",
			wrap: func(next http.Handler) http.Handler {
				return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					q := r.URL.Query()
					q.Del("excludedAttributes")
					r.URL.RawQuery = q.Encode()
					next.ServeHTTP(w, r)
				})
			}},
		{name: "externalId-filter-refused",
			wrap: func(next http.Handler) http.Handler {
				return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					if strings.Contains(strings.ToLower(r.URL.Query().Get("filter")), "externalid") {
						scimError(w, http.StatusBadRequest, "invalidFilter", "externalId cannot be filtered on")
						return
					}
					next.ServeHTTP(w, r)
				})
			},
			fail: []string{"entra-test-connection", "entra-lookup-externalId"}},
		{name: "adscim-schema-refused",
			wrap: func(next http.Handler) http.Handler {
				return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					body, _ := io.ReadAll(r.Body)
					if r.Method == http.MethodPost && bytes.Contains(body, []byte("schemas.microsoft.com")) {
						scimError(w, http.StatusBadRequest, "invalidValue", "unknown schema")
						return
					}
					r.Body = io.NopCloser(bytes.NewReader(body))
					next.ServeHTTP(w, r)
				})
			},
			fail: []string{"entra-group-create"}},
	}
}

// Each Entra check fails on the server with the bug it stands for, and on no other: every
// other Entra check passes there. A server making a choice the RFCs allow passes them all, a
// refusal of Entra's non-compliant default dialect being skipped with the reason.
func TestConformanceEntraChecksFailOnTheirBug(t *testing.T) {
	t.Parallel()
	for _, es := range entraServers() {
		t.Run(es.name, func(t *testing.T) {
			t.Parallel()
			token := harness.RandomToken()
			d, err := directory.New(directory.Config{Token: token})
			if err != nil {
				t.Fatal(err)
			}
			ts := httptest.NewServer(es.wrap(d))
			defer ts.Close()
			r := runCLI(t, []string{"SCIMREPLAY_TARGET_TOKEN=" + token}, "conformance", "--target-url", ts.URL, "--label-filter", "idp:entra")
			want := map[string]string{}
			for _, c := range conformance.Checks() {
				if c.IdP() == "entra" {
					want[conformance.LabelPrefix+c.Name] = "PASS"
				}
			}
			for _, n := range es.fail {
				want[conformance.LabelPrefix+n] = "FAIL"
			}
			for _, n := range es.skip {
				want[conformance.LabelPrefix+n] = "SKIP"
			}
			got := checkResults(r.stdout)
			if !maps.Equal(got, want) {
				for _, k := range slices.Sorted(maps.Keys(want)) {
					if got[k] != want[k] {
						t.Errorf("%s: %q, want %q", k, got[k], want[k])
					}
				}
				t.Fatalf("output:\n%s\n%s", r.stdout, r.stderr)
			}
			wantCode := 0
			if len(es.fail) > 0 {
				wantCode = 1
			}
			if r.code != wantCode {
				t.Errorf("exit %d, want %d\n%s", r.code, wantCode, r.stdout)
			}
		})
	}
}

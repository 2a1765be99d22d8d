package elimity_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"

	"github.com/scimreplay/scimreplay/fakes/elimity"
)

const (
	schemaUser    = "urn:ietf:params:scim:schemas:core:2.0:User"
	schemaGroup   = "urn:ietf:params:scim:schemas:core:2.0:Group"
	schemaPatchOp = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
	schemaError   = "urn:ietf:params:scim:api:messages:2.0:Error"
	schemaList    = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
	testToken     = "test-token"
)

// fixture is a server behind httptest, spoken to as Okta does.
type fixture struct {
	t  *testing.T
	ts *httptest.Server
}

func newFixture(t *testing.T, variants ...string) *fixture {
	t.Helper()
	srv, err := elimity.New(elimity.Config{Token: testToken, VerifiedDomains: []string{verifiedDomain}, Variants: variants})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)
	return &fixture{t: t, ts: ts}
}

// do sends one request under the base path with Okta's headers and decodes a JSON answer.
func (f *fixture) do(method, path string, body any) (int, map[string]any) {
	f.t.Helper()
	status, _, doc := f.doRaw(method, path, body)
	return status, doc
}

func (f *fixture) doRaw(method, path string, body any) (int, http.Header, map[string]any) {
	f.t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			f.t.Fatal(err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, f.ts.URL+elimity.DefaultBasePath+path, rd)
	if err != nil {
		f.t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+testToken)
	req.Header.Set("Accept", "application/scim+json")
	req.Header.Set("User-Agent", "Okta SCIM Client 1.0.0")
	if body != nil {
		req.Header.Set("Content-Type", "application/scim+json; charset=utf-8")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		f.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		f.t.Fatal(err)
	}
	var doc map[string]any
	if len(bytes.TrimSpace(raw)) > 0 {
		if err := json.Unmarshal(raw, &doc); err != nil {
			f.t.Fatalf("%s %s answered %d with no JSON object: %s", method, path, resp.StatusCode, raw)
		}
	}
	return resp.StatusCode, resp.Header, doc
}

// must is do expecting one of the statuses.
func (f *fixture) must(method, path string, body any, want ...int) map[string]any {
	f.t.Helper()
	status, doc := f.do(method, path, body)
	if !slices.Contains(want, status) {
		f.t.Fatalf("%s %s answered %d, want %v: %v", method, path, status, want, doc)
	}
	return doc
}

// oktaUser is Okta's create body for a user.
func oktaUser(userName, given, family string) map[string]any {
	return map[string]any{
		"schemas":     []any{schemaUser},
		"userName":    userName,
		"name":        map[string]any{"givenName": given, "familyName": family},
		"emails":      []any{map[string]any{"primary": true, "value": userName, "type": "work"}},
		"displayName": given + " " + family,
		"locale":      "en-US",
		"externalId":  "00u" + family + given,
		"groups":      []any{},
		"password":    "Okta-Gen-Secret1",
		"active":      true,
	}
}

func (f *fixture) createUser(userName, given, family string) string {
	f.t.Helper()
	return str(f.must(http.MethodPost, "/Users", oktaUser(userName, given, family), http.StatusCreated)["id"])
}

func (f *fixture) createGroup(name string, members ...string) string {
	f.t.Helper()
	id := str(f.must(http.MethodPost, "/Groups", map[string]any{"schemas": []any{schemaGroup}, "displayName": name, "members": []any{}}, http.StatusCreated)["id"])
	if len(members) > 0 {
		f.patch("/Groups/"+id, map[string]any{"op": "add", "path": "members", "value": memberList(members...)})
	}
	return id
}

func memberList(ids ...string) []any {
	out := []any{}
	for _, id := range ids {
		out = append(out, map[string]any{"value": id, "display": id})
	}
	return out
}

// patch sends a PatchOp with the operations and expects 200 or 204.
func (f *fixture) patch(path string, ops ...map[string]any) map[string]any {
	f.t.Helper()
	return f.must(http.MethodPatch, path, patchOp(ops...), http.StatusOK, http.StatusNoContent)
}

func patchOp(ops ...map[string]any) map[string]any {
	list := make([]any, len(ops))
	for i, op := range ops {
		list[i] = op
	}
	return map[string]any{"schemas": []any{schemaPatchOp}, "Operations": list}
}

// members is a group's member ids, sorted.
func (f *fixture) members(groupID string) []string {
	f.t.Helper()
	g := f.must(http.MethodGet, "/Groups/"+groupID, nil, http.StatusOK)
	var out []string
	for _, m := range list(g["members"]) {
		out = append(out, str(obj(m)["value"]))
	}
	slices.Sort(out)
	return out
}

// link is a user's accountId, "" when unlinked.
func (f *fixture) link(userID string) string {
	f.t.Helper()
	u := f.must(http.MethodGet, "/Users/"+userID, nil, http.StatusOK)
	return str(obj(u[elimity.ExtensionSchema])["accountId"])
}

func str(v any) string         { s, _ := v.(string); return s }
func obj(v any) map[string]any { m, _ := v.(map[string]any); return m }
func list(v any) []any         { l, _ := v.([]any); return l }

func sorted(xs ...string) []string {
	out := slices.Clone(xs)
	slices.Sort(out)
	return out
}

// wantError checks a SCIM Error response (RFC 7644 §3.12).
func wantError(t *testing.T, doc map[string]any, status, scimType string) {
	t.Helper()
	if !slices.Contains(list(doc["schemas"]), any(schemaError)) {
		t.Errorf("error body without the Error schema: %v", doc)
	}
	if str(doc["status"]) != status {
		t.Errorf("error status %v, want %q", doc["status"], status)
	}
	if scimType != "" && str(doc["scimType"]) != scimType {
		t.Errorf("scimType %v, want %q", doc["scimType"], scimType)
	}
}

package directory

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	filter "github.com/scim2/filter-parser/v2"
)

// fuzzDirectory is a small org served in-process (no sockets).
func fuzzDirectory(f *testing.F) (*Directory, string, string) {
	f.Helper()
	d, err := New(Config{VerifiedDomains: []string{"acme.example"}})
	if err != nil {
		f.Fatal(err)
	}
	call := func(method, path string, body any) map[string]any {
		data, _ := json.Marshal(body)
		rec := httptest.NewRecorder()
		d.ServeHTTP(rec, httptest.NewRequest(method, path, strings.NewReader(string(data))))
		var out map[string]any
		_ = json.Unmarshal(rec.Body.Bytes(), &out)
		if rec.Code >= 300 {
			f.Fatalf("%s %s: %d %s", method, path, rec.Code, rec.Body)
		}
		return out
	}
	u := call("POST", "/scim/v2/Users", userBody("a@acme.example", "a@acme.example", "00uA"))["id"].(string)
	call("POST", "/scim/v2/Users", userBody("b@partner.example", "b@partner.example", "00uB"))
	g := call("POST", "/scim/v2/Groups", map[string]any{"displayName": "eng", "members": members(u)})["id"].(string)
	return d, u, g
}

func serve(d *Directory, req *http.Request) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	d.ServeHTTP(rec, req)
	return rec
}

// FuzzFilter: any filter string gets 200 or a 400 invalidFilter, never a
// panic or a 500; a string filter-parser rejects is always a 400.
func FuzzFilter(f *testing.F) {
	for _, seed := range []string{
		`userName eq "a@acme.example"`,
		`emails[type eq "work" and value co "@"]`,
		`not (active eq true) or meta.created gt "2020-01-01T00:00:00Z"`,
		`urn:ietf:params:scim:schemas:core:2.0:User:name.givenName pr`,
		`members[value eq "x"]`,
		`userName eq`,
		`((`,
		`emails[type eq "work"].value eq "x"`,
		`userName eq "\u00e9\"\\"`,
		`title gt 12.5e3`,
	} {
		f.Add(seed)
	}
	d, _, _ := fuzzDirectory(f)
	f.Fuzz(func(t *testing.T, s string) {
		_, parseErr := filter.ParseFilter([]byte(s))
		for _, endpoint := range []string{"/scim/v2/Users", "/scim/v2/Groups"} {
			rec := serve(d, httptest.NewRequest("GET", endpoint+"?filter="+url.QueryEscape(s), nil))
			switch {
			case rec.Code == http.StatusOK:
				if parseErr != nil && strings.TrimSpace(s) != "" {
					t.Fatalf("%q: 200 although filter-parser rejects it: %v", s, parseErr)
				}
			case rec.Code == http.StatusBadRequest:
				if !strings.Contains(rec.Body.String(), scimInvalidFilter) {
					t.Fatalf("%q: 400 without invalidFilter: %s", s, rec.Body)
				}
			default:
				t.Fatalf("%q: status %d: %s", s, rec.Code, rec.Body)
			}
		}
	})
}

// FuzzPatchPath: any PATCH path on a user or a group gets 200 or a 400
// (invalidPath, invalidFilter, noTarget, mutability, invalidValue), never a
// panic or a 500.
func FuzzPatchPath(f *testing.F) {
	for _, seed := range []string{
		`members[value eq "x"]`,
		`emails[type eq "work"].value`,
		`name.givenName`,
		`urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value`,
		`urn:ietf:params:scim:schemas:extension:enterprise:2.0:User`,
		`members[value eq`,
		`id`,
		`emails[not (type eq "work")]`,
		`]`,
	} {
		f.Add(seed, "remove")
		f.Add(seed, "replace")
	}
	d, u, g := fuzzDirectory(f)
	f.Fuzz(func(t *testing.T, path, opName string) {
		for _, target := range []string{"/scim/v2/Users/" + u, "/scim/v2/Groups/" + g} {
			for _, value := range []any{"x", []any{map[string]any{"value": u}}, map[string]any{"value": "v", "type": "work"}} {
				body, _ := json.Marshal(patchBody(map[string]any{"op": opName, "path": path, "value": value}))
				rec := serve(d, httptest.NewRequest("PATCH", target, strings.NewReader(string(body))))
				if rec.Code != http.StatusOK && rec.Code != http.StatusBadRequest && rec.Code != http.StatusConflict {
					t.Fatalf("%s %q %v: status %d: %s", opName, path, value, rec.Code, rec.Body)
				}
				if _, err := filter.ParsePath([]byte(path)); err != nil && strings.TrimSpace(path) != "" && rec.Code == http.StatusOK {
					t.Fatalf("%s %q: 200 although filter-parser rejects the path: %v", opName, path, err)
				}
			}
		}
	})
}

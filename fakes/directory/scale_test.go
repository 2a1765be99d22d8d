package directory

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestLargeOrg builds an org of 10,000 users and 500 groups through the API
// and walks it the way Okta does. It asserts counts, not timings; the work
// only finishes in reasonable time if no operation is quadratic.
func TestLargeOrg(t *testing.T) {
	if testing.Short() {
		t.Skip("large org skipped in -short mode")
	}
	const nUsers, nGroups, perGroup = 10000, 500, 100
	d, err := New(Config{VerifiedDomains: []string{"acme.example"}})
	if err != nil {
		t.Fatal(err)
	}
	call := func(method, path string, body any) map[string]any {
		t.Helper()
		var rd *strings.Reader
		if body != nil {
			data, _ := json.Marshal(body)
			rd = strings.NewReader(string(data))
		} else {
			rd = strings.NewReader("")
		}
		rec := httptest.NewRecorder()
		d.ServeHTTP(rec, httptest.NewRequest(method, path, rd))
		if rec.Code >= 300 {
			t.Fatalf("%s %s: %d %s", method, path, rec.Code, rec.Body)
		}
		var out map[string]any
		_ = json.Unmarshal(rec.Body.Bytes(), &out)
		return out
	}
	users := make([]string, nUsers)
	for i := range users {
		email := fmt.Sprintf("user%05d@acme.example", i)
		users[i] = call("POST", "/scim/v2/Users", userBody(email, email, fmt.Sprintf("00u%05d", i)))["id"].(string)
	}
	for g := range nGroups {
		gid := call("POST", "/scim/v2/Groups", map[string]any{"displayName": fmt.Sprintf("group-%03d", g), "members": []any{}})["id"].(string)
		var ms []string
		for k := range perGroup {
			ms = append(ms, users[(g*perGroup+k)%nUsers])
		}
		call("PATCH", "/scim/v2/Groups/"+gid, patchBody(op("replace", "members", members(ms...))))
	}
	// Okta's lookup of every user by userName hits the index.
	for i := 0; i < nUsers; i += 7 {
		r := call("GET", fmt.Sprintf("/scim/v2/Users?filter=userName+eq+%%22USER%05d%%40acme.example%%22", i), nil)
		if r["totalResults"] != float64(1) {
			t.Fatalf("lookup %d: %v", i, r["totalResults"])
		}
	}
	seen := 0
	for start := 1; start <= nUsers; start += 100 {
		r := call("GET", fmt.Sprintf("/scim/v2/Users?startIndex=%d&count=100", start), nil)
		seen += len(r["Resources"].([]any))
	}
	if seen != nUsers {
		t.Fatalf("paged through %d users, want %d", seen, nUsers)
	}
	r := call("GET", "/scim/v2/Groups?count=500", nil)
	if r["totalResults"] != float64(nGroups) {
		t.Fatalf("groups: %v", r["totalResults"])
	}
	u := call("GET", "/scim/v2/Users/"+users[0], nil)
	if gs := u["groups"].([]any); len(gs) != nGroups*perGroup/nUsers {
		t.Fatalf("user 0 in %d groups", len(gs))
	}
	if got := call("GET", "/scim/v2/Users?count=0", nil)["totalResults"]; got != float64(nUsers) {
		t.Fatalf("totalResults %v", got)
	}
	_ = http.StatusOK
}

package directory

import (
	"net/http"
	"net/url"
	"slices"
	"testing"
)

// filterFixture makes three users with varied attributes; alice is in "eng".
func filterFixture(t *testing.T) (*harness, map[string]string) {
	h := newHarness(t)
	alice := userBody("alice@acme.example", "alice@acme.example", "00uA")
	alice["displayName"] = "Alice Smith"
	alice["title"] = "Engineer"
	alice["emails"] = []any{
		map[string]any{"value": "alice@acme.example", "type": "work", "primary": true},
		map[string]any{"value": "alice@home.example", "type": "home"},
	}
	bob := userBody("Bob@Partner.example", "bob@partner.example", "00uB")
	bob["displayName"] = "Bob"
	bob["active"] = false
	carol := userBody("carol@acme.example", "carol@acme.example", "00uC")
	carol[enterpriseSchema] = map[string]any{"department": "Sales"}
	ids := map[string]string{}
	for name, body := range map[string]map[string]any{"alice": alice, "bob": bob, "carol": carol} {
		ids[name] = h.must(http.StatusCreated, "POST", "/scim/v2/Users", body).body["id"].(string)
	}
	h.createGroup("eng", ids["alice"])
	return h, ids
}

func listUserNames(t *testing.T, h *harness, query string) []string {
	t.Helper()
	r := h.must(http.StatusOK, "GET", "/scim/v2/Users?"+query, nil)
	var names []string
	res, _ := r.body["Resources"].([]any)
	for _, u := range res {
		names = append(names, u.(map[string]any)["userName"].(string))
	}
	slices.Sort(names)
	return names
}

func TestFilterOperators(t *testing.T) {
	h, ids := filterFixture(t)
	const (
		alice = "alice@acme.example"
		bob   = "Bob@Partner.example"
		carol = "carol@acme.example"
	)
	for _, tc := range []struct {
		filter string
		want   []string
	}{
		{`userName eq "ALICE@acme.example"`, []string{alice}},
		{`UserName Eq "alice@acme.example"`, []string{alice}},
		{`userName ne "alice@acme.example"`, []string{bob, carol}},
		{`userName co "PARTNER"`, []string{bob}},
		{`userName sw "car"`, []string{carol}},
		{`userName ew ".EXAMPLE"`, []string{alice, bob, carol}},
		{`userName gt "b"`, []string{bob, carol}},
		{`userName ge "carol@acme.example"`, []string{carol}},
		{`userName lt "b"`, []string{alice}},
		{`userName le "alice@acme.example"`, []string{alice}},
		{`title pr`, []string{alice}},
		{`not (title pr)`, []string{bob, carol}},
		{`active eq false`, []string{bob}},
		{`active eq true and userName sw "a"`, []string{alice}},
		{`userName sw "a" or userName sw "b"`, []string{alice, bob}},
		{`(displayName eq "x" or displayName eq "BOB") and active eq false`, []string{bob}},
		{`emails[type eq "home" and value co "HOME"]`, []string{alice}},
		{`emails[not (type eq "work")]`, []string{alice}},
		{`emails.value eq "BOB@partner.example"`, []string{bob}},
		{`emails co "home.example"`, []string{alice}},
		{`emails.type eq "home" or name.givenName eq "nobody"`, []string{alice}},
		{`externalId eq "00ua"`, nil},
		{`externalId eq "00uA"`, []string{alice}},
		{`urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department eq "sales"`, []string{carol}},
		{`urn:ietf:params:scim:schemas:core:2.0:User:userName eq "carol@acme.example"`, []string{carol}},
		{`meta.created gt "2000-01-01T00:00:00Z"`, []string{alice, bob, carol}},
		{`meta.lastModified lt "2000-01-01T00:00:00Z"`, nil},
		{`meta.resourceType eq "User" and groups.display eq "ENG"`, []string{alice}},
		{`groups pr`, []string{alice}},
		{`urn:scim:schemas:extension:atlassian-external:1.0:atlassianAccountId eq "acct-7"`, []string{bob}},
		{`id eq "` + ids["carol"] + `"`, []string{carol}},
		{`displayName eq "say \"hi\""`, nil},
	} {
		t.Run(tc.filter, func(t *testing.T) {
			got := listUserNames(t, h, "filter="+url.QueryEscape(tc.filter))
			slices.Sort(tc.want)
			if !slices.Equal(got, tc.want) {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}
}

func TestFilterInvalid(t *testing.T) {
	h, _ := filterFixture(t)
	for _, f := range []string{
		`userName eq`,
		`userName xx "a"`,
		`nosuch eq "a"`,
		`active gt true`,
		`active eq "yes"`,
		`userName eq 1`,
		`name eq "x"`,
		`emails[nosuch eq "x"]`,
		`userName eq "a" and`,
		`(`,
		`meta.created gt "yesterday"`,
		`urn:example:unknown:attr eq "x"`,
		`userName eq "unterminated`,
	} {
		t.Run(f, func(t *testing.T) {
			r := h.must(http.StatusBadRequest, "GET", "/scim/v2/Users?filter="+url.QueryEscape(f), nil)
			if r.body["scimType"] != scimInvalidFilter || r.body["status"] != "400" {
				t.Errorf("error body %s", r.raw)
			}
		})
	}
}

func TestGroupFilters(t *testing.T) {
	h := newHarness(t)
	a := h.createUser("a@acme.example")
	eng := h.createGroup("Engineering", a)
	h.createGroup("Sales")
	for _, tc := range []struct {
		filter string
		want   int
	}{
		{`displayName eq "engineering"`, 1},
		{`displayName sw "S"`, 1},
		{`members[value eq "` + a + `"]`, 1},
		{`members.value eq "` + a + `"`, 1},
		{`members pr`, 1},
		{`not (members pr)`, 1},
		{`id eq "` + eng + `"`, 1},
		{`displayName eq "nope"`, 0},
	} {
		r := h.must(http.StatusOK, "GET", "/scim/v2/Groups?filter="+url.QueryEscape(tc.filter), nil)
		if got := r.body["totalResults"]; got != float64(tc.want) {
			t.Errorf("%s: totalResults %v, want %d", tc.filter, got, tc.want)
		}
	}
}

func TestPaging(t *testing.T) {
	h := newHarness(t)
	var ids []string
	for _, n := range []string{"u1", "u2", "u3", "u4", "u5"} {
		ids = append(ids, h.createUser(n+"@acme.example"))
	}
	pageIDs := func(r reply) []string {
		var out []string
		res, _ := r.body["Resources"].([]any)
		for _, u := range res {
			out = append(out, u.(map[string]any)["id"].(string))
		}
		return out
	}
	r := h.must(http.StatusOK, "GET", "/scim/v2/Users?startIndex=2&count=2", nil)
	if got := pageIDs(r); !slices.Equal(got, ids[1:3]) {
		t.Errorf("page 2..3 = %v, want %v (creation order)", got, ids[1:3])
	}
	if r.body["totalResults"] != float64(5) || r.body["startIndex"] != float64(2) || r.body["itemsPerPage"] != float64(2) {
		t.Errorf("list header %s", r.raw)
	}
	if !slices.Contains(r.body["schemas"].([]any), any(listSchema)) {
		t.Errorf("schemas %v", r.body["schemas"])
	}

	r = h.must(http.StatusOK, "GET", "/scim/v2/Users?count=0", nil)
	if _, has := r.body["Resources"]; has || r.body["totalResults"] != float64(5) || r.body["itemsPerPage"] != float64(0) {
		t.Errorf("count=0: %s", r.raw)
	}
	r = h.must(http.StatusOK, "GET", "/scim/v2/Users?startIndex=9&count=100", nil)
	if res, ok := r.body["Resources"].([]any); !ok || len(res) != 0 || r.body["totalResults"] != float64(5) {
		t.Errorf("past the end: %s", r.raw)
	}
	r = h.must(http.StatusOK, "GET", "/scim/v2/Users?startIndex=0&count=-3", nil)
	if r.body["startIndex"] != float64(1) || r.body["itemsPerPage"] != float64(0) {
		t.Errorf("startIndex=0&count=-3: %s", r.raw)
	}
	r = h.must(http.StatusOK, "GET", "/scim/v2/Users?filter="+url.QueryEscape(`userName eq "nobody@x.example"`), nil)
	if res, ok := r.body["Resources"].([]any); !ok || len(res) != 0 || r.body["totalResults"] != float64(0) {
		t.Errorf("no match: want an empty Resources array, got %s", r.raw)
	}
	h.must(http.StatusBadRequest, "GET", "/scim/v2/Users?count=ten", nil)

	// Okta pages with startIndex += count until totalResults is reached.
	var all []string
	for start := 1; ; start += 2 {
		r := h.must(http.StatusOK, "GET", "/scim/v2/Users?count=2&startIndex="+itoa(start), nil)
		all = append(all, pageIDs(r)...)
		if start+2 > int(r.body["totalResults"].(float64)) {
			break
		}
	}
	if !slices.Equal(all, ids) {
		t.Errorf("paged through %v, want %v", all, ids)
	}
}

func TestSearchAndProjection(t *testing.T) {
	h, _ := filterFixture(t)
	r := h.must(http.StatusOK, "POST", "/scim/v2/Users/.search", map[string]any{
		"schemas":    []string{searchSchema},
		"filter":     `userName sw "a"`,
		"attributes": []string{"userName", "name.givenName"},
		"count":      10,
	})
	res := r.body["Resources"].([]any)
	if len(res) != 1 {
		t.Fatalf(".search: %s", r.raw)
	}
	u := res[0].(map[string]any)
	for _, k := range []string{"id", "schemas", "userName", "name"} {
		if _, ok := u[k]; !ok {
			t.Errorf(".search with attributes: %s missing in %v", k, u)
		}
	}
	if _, ok := u["emails"]; ok {
		t.Errorf("attributes did not drop emails: %v", u)
	}
	r = h.must(http.StatusOK, "GET", "/scim/v2/Groups?excludedAttributes=members", nil)
	for _, g := range r.body["Resources"].([]any) {
		if _, ok := g.(map[string]any)["members"]; ok {
			t.Errorf("excludedAttributes=members returned members")
		}
	}
}

package directory

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"
)

// variationCase is one variation's demonstration: run performs, on a fresh
// directory, requests whose answers the variation changes and reports what
// it saw of the variation ("" means the directory behaved as without it).
// Whatever it reports, run fails the test if an answer is not one a correct
// server may give: a variation is never a defect.
type variationCase struct {
	variation string
	run       func(h *harness) (varied string)
}

func listedMembers(h *harness, method, path string, body any) (withMembers int) {
	h.t.Helper()
	r := h.must(http.StatusOK, method, path, body)
	for _, g := range r.body["Resources"].([]any) {
		if _, ok := g.(map[string]any)["members"]; ok {
			withMembers++
		}
	}
	return withMembers
}

func memberOrder(h *harness, method, path string) string {
	h.t.Helper()
	r := h.must(http.StatusOK, method, path, nil)
	g := r.body
	if rs, ok := r.body["Resources"].([]any); ok {
		g = rs[0].(map[string]any)
	}
	var ids []string
	ms, _ := g["members"].([]any)
	for _, m := range ms {
		ids = append(ids, m.(map[string]any)["value"].(string))
	}
	return strings.Join(ids, ",")
}

// pageThrough reads a list with startIndex paging as RFC 7644 §3.4.2.4 has
// it: the next page starts after the items this page held.
func pageThrough(h *harness, path string, count int) (ids []string, pages int) {
	h.t.Helper()
	for start := 1; ; pages++ {
		r := h.must(http.StatusOK, "GET", fmt.Sprintf("%s?startIndex=%d&count=%d", path, start, count), nil)
		total := int(r.body["totalResults"].(float64))
		per := int(r.body["itemsPerPage"].(float64))
		rs := r.body["Resources"].([]any)
		if per != len(rs) || int(r.body["startIndex"].(float64)) != start {
			h.t.Errorf("page at %d: itemsPerPage %d, startIndex %v for %d resources", start, per, r.body["startIndex"], len(rs))
		}
		for _, res := range rs {
			ids = append(ids, res.(map[string]any)["id"].(string))
		}
		if per == 0 || start+per > total {
			return ids, pages + 1
		}
		start += per
	}
}

var variationCases = []variationCase{
	{varMembersNotInList, func(h *harness) string {
		a := h.createUser("a@acme.example")
		g := h.createGroup("eng", a)
		if ids := h.memberIDs(g); !equalStrings(ids, []string{a}) {
			h.t.Errorf("GET /Groups/{id}: members %v", ids)
		}
		listed := listedMembers(h, "GET", "/scim/v2/Groups", nil)
		searched := listedMembers(h, "POST", "/scim/v2/Groups/.search", map[string]any{"schemas": []string{searchSchema}})
		filtered := listedMembers(h, "GET", "/scim/v2/Groups?filter="+url.QueryEscape(`displayName eq "eng"`), nil)
		// A members filter still finds the group: only the view is trimmed.
		byMember := h.must(http.StatusOK, "GET", "/scim/v2/Groups?filter="+url.QueryEscape(fmt.Sprintf("members[value eq %q]", a)), nil)
		if byMember.body["totalResults"] != float64(1) {
			h.t.Errorf("filter on members found %v groups", byMember.body["totalResults"])
		}
		if listed+searched+filtered == 0 {
			return "list, search and filtered list leave members out"
		}
		if listed == 0 || searched == 0 || filtered == 0 {
			h.t.Errorf("members left out of some list views only: list %d, search %d, filtered %d", listed, searched, filtered)
		}
		return ""
	}},
	{varThrottle429, func(h *harness) string {
		// Throttling is counted on every SCIM request, /admin excluded; the
		// harness of this case sees every third request refused.
		var refused []int
		for i := 1; i <= 6; i++ {
			h.must(http.StatusOK, "GET", "/admin/audit", nil)
			req, _ := http.NewRequest("POST", h.srv.URL+"/scim/v2/Users", strings.NewReader(
				fmt.Sprintf(`{"userName":"u%d@acme.example"}`, i)))
			req.Header.Set("Authorization", "Bearer "+testToken)
			r := h.send(req)
			switch r.status {
			case http.StatusCreated:
			case http.StatusTooManyRequests:
				refused = append(refused, i)
				if r.header.Get("Retry-After") != "1" || r.body["status"] != "429" || r.body["schemas"].([]any)[0] != errorSchema {
					h.t.Errorf("429 without Retry-After: 1 or the Error schema: %v %s", r.header, r.raw)
				}
			default:
				h.t.Errorf("request %d: %d %s", i, r.status, r.raw)
			}
		}
		// A refused request did nothing: its user does not exist.
		created := h.must(http.StatusOK, "GET", "/scim/v2/Users?count=0", nil)
		if want := float64(6 - len(refused)); created.body["totalResults"] != want {
			h.t.Errorf("%v users, want %v: a refused POST created its user", created.body["totalResults"], want)
		}
		if len(refused) == 0 {
			return ""
		}
		return fmt.Sprintf("requests %v refused", refused)
	}},
	{varMembersShuffled, func(h *harness) string {
		var ids []string
		for i := range 5 {
			ids = append(ids, h.createUser(fmt.Sprintf("m%d@acme.example", i)))
		}
		g := h.createGroup("eng", ids...)
		two := h.createGroup("pair", ids[0], ids[1])
		var shuffled []string
		for _, path := range []string{"/scim/v2/Groups/" + g, "/scim/v2/Groups?filter=" + url.QueryEscape(`displayName eq "eng"`), "/scim/v2/Groups/" + two} {
			want := ids
			if strings.HasSuffix(path, two) {
				want = ids[:2]
			}
			var orders []string
			for range 6 {
				orders = append(orders, memberOrder(h, "GET", path))
			}
			if orders[0] == "" && strings.Contains(path, "?") {
				continue // a list view without members (members-not-in-list)
			}
			distinct := map[string]bool{}
			for _, o := range orders {
				distinct[o] = true
				if !sameMultiset(strings.Split(o, ","), want) {
					h.t.Errorf("%s: members %s, want %v in any order", path, o, want)
				}
			}
			if len(distinct) == 1 {
				continue // the same order every time: not shuffled
			}
			shuffled = append(shuffled, fmt.Sprintf("%d orders in 6 reads of %s", len(distinct), path))
			for i := 1; i < len(orders); i++ {
				if orders[i] == orders[i-1] {
					h.t.Errorf("%s: the same order twice in a row: %s", path, orders[i])
				}
			}
		}
		return strings.Join(shuffled, "; ")
	}},
	{varSmallPages, func(h *harness) string {
		var want []string
		for i := range 10 {
			want = append(want, h.createUser(fmt.Sprintf("p%d@acme.example", i)))
		}
		got, pages := pageThrough(h, "/scim/v2/Users", 100)
		if !equalStrings(got, want) {
			h.t.Errorf("paged through %v, want %v", got, want)
		}
		if got, _ := pageThrough(h, "/scim/v2/Users", 3); !equalStrings(got, want) {
			h.t.Errorf("pages of 3: %v", got)
		}
		r := h.must(http.StatusOK, "POST", "/scim/v2/Users/.search", map[string]any{"schemas": []string{searchSchema}, "count": 50})
		if r.body["totalResults"] != float64(10) || int(r.body["itemsPerPage"].(float64)) != len(r.body["Resources"].([]any)) {
			h.t.Errorf(".search page: %s", r.raw)
		}
		if r := h.must(http.StatusOK, "GET", "/scim/v2/Users?count=0", nil); r.body["totalResults"] != float64(10) || r.body["Resources"] != nil {
			h.t.Errorf("count=0: %s", r.raw)
		}
		if pages == 1 {
			return ""
		}
		return fmt.Sprintf("10 users in %d pages", pages)
	}},
	{varInactiveHidden, func(h *harness) string {
		bob := unmanagedInGroup(h)
		h.must(http.StatusOK, "PATCH", "/scim/v2/Users/"+bob, patchBody(op("replace", "", map[string]any{"active": false})))
		var varied []string
		lookup := h.must(http.StatusOK, "GET", "/scim/v2/Users?filter="+url.QueryEscape(`userName eq "bob@partner.example"`), nil)
		search := h.must(http.StatusOK, "POST", "/scim/v2/Users/.search", map[string]any{"filter": `externalId eq "00u-bob@partner.example"`})
		if lookup.body["totalResults"] == float64(0) && search.body["totalResults"] == float64(0) {
			varied = append(varied, "filtered lookups hide the deactivated user")
		}
		if u := h.user(bob); u["active"] != false {
			h.t.Errorf("GET by id: active %v", u["active"])
		}
		if all := h.must(http.StatusOK, "GET", "/scim/v2/Users", nil); all.body["totalResults"] != float64(1) {
			h.t.Errorf("unfiltered list: %v users", all.body["totalResults"])
		}
		// Okta, finding nothing, POSTs the profile again.
		r := h.do("POST", "/scim/v2/Users", bobBody("bob@partner.example"))
		if r.status == http.StatusOK {
			varied = append(varied, "restore answered 200")
		} else if r.status != http.StatusCreated {
			h.t.Errorf("re-POST answered %d %s", r.status, r.raw)
		}
		if r.body["id"] != bob || r.body["active"] != true || linkOf(r.body) != "acct-7" || len(r.body["groups"].([]any)) != 1 {
			h.t.Errorf("re-POST did not restore the user: %s", r.raw)
		}
		if n := len(h.unlinkEvents()); n != 0 {
			h.t.Errorf("%d unlink events", n)
		}
		if lookup := h.must(http.StatusOK, "GET", "/scim/v2/Users?filter="+url.QueryEscape(`userName eq "bob@partner.example"`), nil); lookup.body["totalResults"] != float64(1) {
			h.t.Errorf("the restored user is not found by lookup")
		}
		return strings.Join(varied, "; ")
	}},
	{varSequentialIDs, func(h *harness) string {
		a := h.createUser("a@acme.example")
		g := h.createGroup("eng", a)
		b := h.createUser("b@acme.example")
		if a == g || a == b || g == b {
			h.t.Errorf("ids not unique: %s %s %s", a, g, b)
		}
		if got := h.memberIDs(g); !equalStrings(got, []string{a}) {
			h.t.Errorf("members %v", got)
		}
		if a == "1" && g == "2" && b == "3" {
			return "ids 1, 2, 3"
		}
		return ""
	}},
}

// TestVariations shows, for every variation, its behaviour with it on and
// the same requests answered the ordinary way with it off; either way every
// answer is one a correct server may give.
func TestVariations(t *testing.T) {
	if len(variationCases) != len(variationCatalogue) {
		t.Fatalf("%d variation demonstrations for %d variations", len(variationCases), len(variationCatalogue))
	}
	for _, vc := range variationCases {
		t.Run(vc.variation, func(t *testing.T) {
			off := newHarness(t)
			off.retry429 = false
			if got := vc.run(off); got != "" {
				t.Errorf("variation off: %s", got)
			}
			on := newVariedHarness(t, []string{vc.variation})
			on.retry429 = false
			if got := vc.run(on); got == "" {
				t.Errorf("variation on: the directory behaved as without it")
			} else {
				t.Logf("variation on: %s", got)
			}
		})
	}
}

// TestVariationIsolation: with any variation on, every other variation's
// demonstration still shows the ordinary behaviour, and stays correct.
func TestVariationIsolation(t *testing.T) {
	for _, on := range variationCatalogue {
		for _, vc := range variationCases {
			if vc.variation == on.Name || on.Name == varThrottle429 {
				continue // throttle-429 is covered by the fault demonstrations, which retry
			}
			t.Run(on.Name+"/"+vc.variation, func(t *testing.T) {
				if got := vc.run(newVariedHarness(t, []string{on.Name})); got != "" {
					t.Errorf("with %s on, the %s demonstration varied: %s", on.Name, vc.variation, got)
				}
			})
		}
	}
}

// TestFaultModesUnderVariations: variations and faults combine, and a
// variation neither hides a fault nor breaks a correct directory: every
// fault demonstration is correct with the variation alone and broken with
// the fault added.
func TestFaultModesUnderVariations(t *testing.T) {
	for _, v := range variationCatalogue {
		for _, fc := range faultCases {
			t.Run(v.Name+"/"+fc.fault, func(t *testing.T) {
				if got := fc.run(newVariedHarness(t, []string{v.Name})); got != "" {
					t.Errorf("%s alone: %s", v.Name, got)
				}
				if got := fc.run(newVariedHarness(t, []string{v.Name}, fc.fault)); got == "" {
					t.Errorf("%s with %s: the requests worked, want the broken behaviour", v.Name, fc.fault)
				}
			})
		}
	}
}

// TestThrottleCounting checks throttle-429's determinism: with the default N
// the 40th SCIM request is the first refused, /admin requests do not count,
// and a reset starts the count again.
func TestThrottleCounting(t *testing.T) {
	d, err := New(Config{Variations: []string{varThrottle429}})
	if err != nil {
		t.Fatal(err)
	}
	get := func(path string) int {
		rec := httptest.NewRecorder()
		d.ServeHTTP(rec, httptest.NewRequest("GET", path, nil))
		return rec.Code
	}
	var refused []int
	for i := 1; i <= 2*DefaultThrottleEvery; i++ {
		if get("/admin/audit") != http.StatusOK {
			t.Fatal("an /admin request was refused")
		}
		path := "/scim/v2/Users"
		if i%2 == 0 {
			path = "/scim/v2/ServiceProviderConfig"
		}
		if get(path) == http.StatusTooManyRequests {
			refused = append(refused, i)
		}
	}
	if !slices.Equal(refused, []int{DefaultThrottleEvery, 2 * DefaultThrottleEvery}) {
		t.Errorf("refused requests %v, want %d and %d", refused, DefaultThrottleEvery, 2*DefaultThrottleEvery)
	}
	rec := httptest.NewRecorder()
	d.ServeHTTP(rec, httptest.NewRequest("POST", "/admin/reset", nil))
	for i := 1; i < DefaultThrottleEvery; i++ {
		if get("/scim/v2/Users") != http.StatusOK {
			t.Fatalf("request %d after reset refused", i)
		}
	}
	if get("/scim/v2/Users") != http.StatusTooManyRequests {
		t.Error("the 40th request after a reset was not refused")
	}
}

// TestSequentialIDsRestartOnReset: the shared counter starts again with the
// state, and put-reissues-id draws its new id from it.
func TestSequentialIDsRestartOnReset(t *testing.T) {
	h := newVariedHarness(t, []string{varSequentialIDs}, faultPutReissuesID)
	h.createUser("a@acme.example")
	h.createGroup("eng")
	r := h.must(http.StatusOK, "PUT", "/scim/v2/Users/1", userBody("a@acme.example", "a@acme.example", "00u-a"))
	if r.body["id"] != "3" {
		t.Errorf("reissued id %v, want 3", r.body["id"])
	}
	h.must(http.StatusNoContent, "POST", "/admin/reset", nil)
	if id := h.createUser("a@acme.example"); id != "1" {
		t.Errorf("first id after reset %q, want 1", id)
	}
}

func TestVariationCatalogue(t *testing.T) {
	want := []string{"members-not-in-list", "throttle-429", "members-shuffled", "small-pages", "inactive-hidden", "sequential-ids"}
	var got []string
	for _, v := range Variations() {
		got = append(got, v.Name)
		if v.Description == "" || strings.Contains(v.Description, "\n") {
			t.Errorf("%s: want a one-line description, got %q", v.Name, v.Description)
		}
		if slices.ContainsFunc(Faults(), func(f Fault) bool { return f.Name == v.Name }) {
			t.Errorf("%s is both a fault and a variation", v.Name)
		}
	}
	if !slices.Equal(got, want) {
		t.Fatalf("Variations() = %v, want %v", got, want)
	}
	Variations()[0].Name = "mutated"
	if Variations()[0].Name != want[0] {
		t.Fatal("Variations() exposes the catalogue to mutation")
	}
}

func TestParseVariations(t *testing.T) {
	got, err := ParseVariations(" small-pages , throttle-429,")
	if err != nil || !slices.Equal(got, []string{"small-pages", "throttle-429"}) {
		t.Fatalf("ParseVariations = %v, %v", got, err)
	}
	if got, err := ParseVariations(""); got != nil || err != nil {
		t.Fatalf(`ParseVariations("") = %v, %v`, got, err)
	}
	_, err = ParseVariations("small-pages,access-1003")
	if err == nil || !strings.Contains(err.Error(), `variation "access-1003"`) || !strings.Contains(err.Error(), "sequential-ids") {
		t.Fatalf("unknown variation: err = %v, want it to name it and list the valid ones", err)
	}
	for _, cfg := range []Config{
		{Variations: []string{"bogus"}},
		{Variations: []string{varThrottle429}, ThrottleEvery: 1},
		{ThrottleEvery: -3},
		{QueueDelay: -1},
		{Delay: -1},
	} {
		if _, err := New(cfg); err == nil {
			t.Errorf("New(%+v): no error", cfg)
		}
	}
	if _, err := New(Config{Variations: []string{varSmallPages, varThrottle429}, Faults: []string{faultAccess1003}}); err != nil {
		t.Errorf("variations with a fault: %v", err)
	}
}

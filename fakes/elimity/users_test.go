package elimity_test

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/scimreplay/scimreplay/fakes/elimity"
)

// lookup is Okta's user lookup, escaped as Okta escapes it.
func lookup(userName string) string {
	q := strings.ReplaceAll(url.QueryEscape(fmt.Sprintf("userName eq %q", userName)), "+", "%20")
	return "/Users?filter=" + q + "&startIndex=1&count=100"
}

func TestCreateUserAnswersTheFullResource(t *testing.T) {
	f := newFixture(t)
	status, hdr, u := f.doRaw(http.MethodPost, "/Users", oktaUser("alice@acme.example", "Alice", "Archer"))
	if status != http.StatusCreated {
		t.Fatalf("POST /Users answered %d: %v", status, u)
	}
	id := str(u["id"])
	if id == "" || str(u["userName"]) != "alice@acme.example" || str(u["externalId"]) != "00uArcherAlice" || u["active"] != true {
		t.Errorf("resource: %v", u)
	}
	if str(obj(u["name"])["givenName"]) != "Alice" || str(obj(list(u["emails"])[0])["value"]) != "alice@acme.example" {
		t.Errorf("name or emails lost: %v", u)
	}
	if _, ok := u["password"]; ok {
		t.Error("password is returned; it is write-only and returned never")
	}
	if _, ok := u["groups"]; ok {
		t.Errorf("groups of a user in no group: %v", u["groups"])
	}
	if acct := str(obj(u[elimity.ExtensionSchema])["accountId"]); !strings.HasPrefix(acct, "acct-") {
		t.Errorf("no account link assigned: %v", u)
	}
	if !slices.Contains(list(u["schemas"]), any(elimity.ExtensionSchema)) {
		t.Errorf("schemas %v lack the extension", u["schemas"])
	}
	loc := "/scim/v2/Users/" + id
	if hdr.Get("Location") != loc || str(obj(u["meta"])["location"]) != loc || str(obj(u["meta"])["resourceType"]) != "User" {
		t.Errorf("Location %q, meta %v, want %s", hdr.Get("Location"), u["meta"], loc)
	}
	if got := f.must(http.MethodGet, "/Users/"+id, nil, http.StatusOK); str(obj(got[elimity.ExtensionSchema])["accountId"]) != str(obj(u[elimity.ExtensionSchema])["accountId"]) {
		t.Errorf("GET shows another link than POST: %v", got)
	}
}

func TestLinksAreDistinctPerUser(t *testing.T) {
	f := newFixture(t)
	a, b := f.createUser("alice@acme.example", "Alice", "Archer"), f.createUser("bob@partner.example", "Bob", "Brown")
	if la, lb := f.link(a), f.link(b); la == "" || la == lb {
		t.Errorf("links %q and %q", la, lb)
	}
}

func TestLookupMatchesUserNameCaseInsensitively(t *testing.T) {
	f := newFixture(t)
	id := f.createUser("Erin.Evans@acme.example", "Erin", "Evans")
	for _, name := range []string{"Erin.Evans@acme.example", "erin.evans@acme.example", "ERIN.EVANS@ACME.EXAMPLE"} {
		page := f.must(http.MethodGet, lookup(name), nil, http.StatusOK)
		res := list(page["Resources"])
		if page["totalResults"] != 1.0 || len(res) != 1 || str(obj(res[0])["id"]) != id {
			t.Errorf("lookup %q: %v", name, page)
		}
	}
	// Okta's +-encoded form too.
	page := f.must(http.MethodGet, "/Users?filter=userName+eq+%22erin.evans%40acme.example%22&startIndex=1&count=100", nil, http.StatusOK)
	if page["totalResults"] != 1.0 {
		t.Errorf("+-encoded lookup: %v", page)
	}
}

func TestLookupWithoutMatchIsAnEmptyListResponse(t *testing.T) {
	f := newFixture(t)
	f.createUser("alice@acme.example", "Alice", "Archer")
	page := f.must(http.MethodGet, lookup("nobody@acme.example"), nil, http.StatusOK)
	if !slices.Contains(list(page["schemas"]), any(schemaList)) {
		t.Errorf("not a ListResponse: %v", page)
	}
	res, ok := page["Resources"].([]any)
	if page["totalResults"] != 0.0 || page["startIndex"] != 1.0 || page["itemsPerPage"] != 0.0 || !ok || len(res) != 0 {
		t.Errorf("empty lookup: %v", page)
	}
}

func TestCreateConflictsOnUserNameCaseInsensitively(t *testing.T) {
	f := newFixture(t)
	f.createUser("bob@partner.example", "Bob", "Brown")
	for _, name := range []string{"bob@partner.example", "Bob@Partner.Example"} {
		body := oktaUser(name, "Robert", "Brown")
		status, doc := f.do(http.MethodPost, "/Users", body)
		if status != http.StatusConflict {
			t.Errorf("POST %s answered %d, want 409", name, status)
		}
		wantError(t, doc, "409", "uniqueness")
	}
	if page := f.must(http.MethodGet, "/Users", nil, http.StatusOK); page["totalResults"] != 1.0 {
		t.Errorf("a conflicting POST stored a user: %v", page["totalResults"])
	}
}

func TestGetUnknownUserIs404(t *testing.T) {
	f := newFixture(t)
	status, doc := f.do(http.MethodGet, "/Users/no-such-id", nil)
	if status != http.StatusNotFound {
		t.Fatalf("status %d", status)
	}
	wantError(t, doc, "404", "")
}

func TestPagingIsStableAndCountsWhatItReturns(t *testing.T) {
	f := newFixture(t)
	var want []string
	for i := range 250 {
		want = append(want, f.createUser(fmt.Sprintf("user%03d@acme.example", i), "U", fmt.Sprint(i)))
	}
	var got []string
	for _, start := range []int{1, 101, 201} {
		page := f.must(http.MethodGet, fmt.Sprintf("/Users?startIndex=%d&count=100", start), nil, http.StatusOK)
		res := list(page["Resources"])
		wantItems := min(100, 250-start+1)
		if page["totalResults"] != 250.0 || page["startIndex"] != float64(start) || page["itemsPerPage"] != float64(wantItems) || len(res) != wantItems {
			t.Errorf("page at %d: totalResults %v startIndex %v itemsPerPage %v, %d resources", start, page["totalResults"], page["startIndex"], page["itemsPerPage"], len(res))
		}
		for _, r := range res {
			got = append(got, str(obj(r)["id"]))
		}
	}
	if !slices.Equal(got, want) {
		t.Error("paging does not list the users once each in creation order")
	}
	if page := f.must(http.MethodGet, "/Users?startIndex=1&count=0", nil, http.StatusOK); page["totalResults"] != 250.0 || len(list(page["Resources"])) != 0 {
		t.Errorf("count=0: %v resources, totalResults %v", len(list(page["Resources"])), page["totalResults"])
	}
	if page := f.must(http.MethodGet, "/Users?startIndex=300&count=100", nil, http.StatusOK); page["totalResults"] != 250.0 || len(list(page["Resources"])) != 0 {
		t.Errorf("past the end: %v", page)
	}
}

// Okta's profile push: GET, then a PUT echoing the answer with its profile on top, which
// carries "groups": [] and the read-only attributes the GET showed.
func TestPutReplacesAndIgnoresReadOnlyAttributes(t *testing.T) {
	f := newFixture(t)
	id := f.createUser("alice@acme.example", "Alice", "Archer")
	g := f.createGroup("jira-users", id)
	u := f.must(http.MethodGet, "/Users/"+id, nil, http.StatusOK)
	link := str(obj(u[elimity.ExtensionSchema])["accountId"])
	if len(list(u["groups"])) != 1 || str(obj(list(u["groups"])[0])["value"]) != g || str(obj(list(u["groups"])[0])["display"]) != "jira-users" {
		t.Fatalf("groups not computed from membership: %v", u["groups"])
	}
	u["id"] = "forged-id"
	u["groups"] = []any{}
	u["meta"] = map[string]any{"resourceType": "User", "created": "2001-01-01T00:00:00Z"}
	u[elimity.ExtensionSchema] = map[string]any{"accountId": "acct-forged"}
	u["displayName"] = "Alice A. Archer"
	delete(u, "locale") // left out of a PUT: cleared
	delete(u, "active") // left out: keeps its value
	u["password"] = "new-secret"
	got := f.must(http.MethodPut, "/Users/"+id, u, http.StatusOK)
	if str(got["id"]) != id || str(got["displayName"]) != "Alice A. Archer" {
		t.Errorf("PUT answer: %v", got)
	}
	if _, ok := got["locale"]; ok {
		t.Errorf("locale left out of the PUT is still there: %v", got["locale"])
	}
	if got["active"] != true {
		t.Errorf("active left out of the PUT became %v", got["active"])
	}
	if _, ok := got["password"]; ok {
		t.Error("password returned")
	}
	if l := f.link(id); l != link {
		t.Errorf("link %q → %q", link, l)
	}
	if m := f.members(g); !slices.Equal(m, []string{id}) {
		t.Errorf("PUT with groups: [] moved the membership: %v", m)
	}
	if status, _ := f.do(http.MethodGet, "/Users/forged-id", nil); status != http.StatusNotFound {
		t.Errorf("a PUT body's id created a user (%d)", status)
	}
}

func TestPutUserNameTakenConflicts(t *testing.T) {
	f := newFixture(t)
	f.createUser("alice@acme.example", "Alice", "Archer")
	id := f.createUser("dave@acme.example", "Dave", "Dunn")
	body := oktaUser("ALICE@acme.example", "Dave", "Dunn")
	status, doc := f.do(http.MethodPut, "/Users/"+id, body)
	if status != http.StatusConflict {
		t.Fatalf("status %d", status)
	}
	wantError(t, doc, "409", "uniqueness")
	// Its own userName in another case is no conflict.
	f.must(http.MethodPut, "/Users/"+id, oktaUser("Dave@Acme.Example", "Dave", "Dunn"), http.StatusOK)
}

func TestPathlessReplaceActive(t *testing.T) {
	f := newFixture(t)
	id := f.createUser("bob@partner.example", "Bob", "Brown")
	link := f.link(id)
	for _, op := range []string{"replace", "Replace"} {
		got := f.patch("/Users/"+id, map[string]any{"op": op, "value": map[string]any{"active": false}})
		if got != nil && got["active"] != false {
			t.Errorf("%s active:false answered %v", op, got["active"])
		}
		// Deactivated users stay visible to Okta's lookup.
		page := f.must(http.MethodGet, lookup("bob@partner.example"), nil, http.StatusOK)
		if page["totalResults"] != 1.0 || obj(list(page["Resources"])[0])["active"] != false {
			t.Errorf("lookup of a deactivated user: %v", page)
		}
		f.patch("/Users/"+id, map[string]any{"op": op, "value": map[string]any{"active": true}})
		if u := f.must(http.MethodGet, "/Users/"+id, nil, http.StatusOK); u["active"] != true || str(obj(u[elimity.ExtensionSchema])["accountId"]) != link {
			t.Errorf("after reactivation: %v", u)
		}
	}
}

// Okta's re-POST after deactivate → reactivate → reassign restores the deactivated user.
func TestRepostOfDeactivatedUserRestoresIt(t *testing.T) {
	f := newFixture(t)
	id := f.createUser("bob@partner.example", "Bob", "Brown")
	g := f.createGroup("jira-users", id)
	link := f.link(id)
	f.patch("/Users/"+id, map[string]any{"op": "replace", "value": map[string]any{"active": false}})
	body := oktaUser("bob@partner.example", "Bob", "Brown")
	body["password"] = "Okta-Gen-Reassign1"
	status, got := f.do(http.MethodPost, "/Users", body)
	if status != http.StatusCreated && status != http.StatusOK {
		t.Fatalf("re-POST answered %d: %v", status, got)
	}
	if str(got["id"]) != id || got["active"] != true || str(obj(got[elimity.ExtensionSchema])["accountId"]) != link {
		t.Errorf("re-POST did not restore the user: %v", got)
	}
	if page := f.must(http.MethodGet, "/Users", nil, http.StatusOK); page["totalResults"] != 1.0 {
		t.Errorf("%v users after the re-POST", page["totalResults"])
	}
	if m := f.members(g); !slices.Equal(m, []string{id}) {
		t.Errorf("members after the re-POST: %v", m)
	}
	// The user is active again: the same POST is now a conflict, as is another externalId's.
	if status, _ := f.do(http.MethodPost, "/Users", body); status != http.StatusConflict {
		t.Errorf("POST of an active user's userName answered %d", status)
	}
	f.patch("/Users/"+id, map[string]any{"op": "replace", "value": map[string]any{"active": false}})
	other := oktaUser("bob@partner.example", "Bob", "Brown")
	other["externalId"] = "00uSomeoneElse"
	if status, _ := f.do(http.MethodPost, "/Users", other); status != http.StatusConflict {
		t.Errorf("POST of a deactivated user's userName with another externalId answered %d", status)
	}
}

func TestPatchUserPaths(t *testing.T) {
	f := newFixture(t)
	id := f.createUser("carol@contractor.example", "Carol", "Chen")
	f.patch("/Users/"+id,
		map[string]any{"op": "replace", "path": "name.givenName", "value": "Caroline"},
		map[string]any{"op": "Add", "path": "emails", "value": []any{map[string]any{"value": "carol.chen@home.example", "type": "home"}}},
		map[string]any{"op": "replace", "path": `emails[type eq "work"].value`, "value": "Carol@Contractor.example"},
		map[string]any{"op": "add", "value": map[string]any{"title": "Engineer", "name.familyName": "Chen-Li"}},
	)
	u := f.must(http.MethodGet, "/Users/"+id, nil, http.StatusOK)
	if n := obj(u["name"]); n["givenName"] != "Caroline" || n["familyName"] != "Chen-Li" || u["title"] != "Engineer" {
		t.Errorf("name/title: %v %v", u["name"], u["title"])
	}
	emails := list(u["emails"])
	if len(emails) != 2 || obj(emails[0])["value"] != "Carol@Contractor.example" || obj(emails[0])["primary"] != true || obj(emails[1])["value"] != "carol.chen@home.example" {
		t.Errorf("emails: %v", emails)
	}
	// Adding an email that is there already (another case) stores it once.
	f.patch("/Users/"+id, map[string]any{"op": "add", "path": "emails", "value": []any{map[string]any{"value": "CAROL.CHEN@home.example", "type": "home"}}})
	if n := len(list(f.must(http.MethodGet, "/Users/"+id, nil, http.StatusOK)["emails"])); n != 2 {
		t.Errorf("%d emails after re-adding one", n)
	}
	f.patch("/Users/"+id, map[string]any{"op": "remove", "path": `emails[type eq "home"]`})
	if emails := list(f.must(http.MethodGet, "/Users/"+id, nil, http.StatusOK)["emails"]); len(emails) != 1 {
		t.Errorf("emails after the filtered remove: %v", emails)
	}
	// Entra's add to a filter that matches nothing makes the value it describes.
	f.patch("/Users/"+id, map[string]any{"op": "Add", "path": `emails[type eq "other"].value`, "value": "cc@else.example"})
	emails = list(f.must(http.MethodGet, "/Users/"+id, nil, http.StatusOK)["emails"])
	if len(emails) != 2 || obj(emails[1])["type"] != "other" || obj(emails[1])["value"] != "cc@else.example" {
		t.Errorf("emails after Entra's add: %v", emails)
	}
	// A replace whose filter matches nothing is noTarget, and changes nothing.
	status, doc := f.do(http.MethodPatch, "/Users/"+id, patchOp(
		map[string]any{"op": "replace", "path": "title", "value": "Boss"},
		map[string]any{"op": "replace", "path": `emails[type eq "fax"].value`, "value": "x@y.example"},
	))
	if status != http.StatusBadRequest {
		t.Fatalf("replace of nothing answered %d", status)
	}
	wantError(t, doc, "400", "noTarget")
	if u := f.must(http.MethodGet, "/Users/"+id, nil, http.StatusOK); u["title"] != "Engineer" {
		t.Errorf("a failed PATCH applied part of its operations: title %v", u["title"])
	}
}

func TestPatchIgnoresReadOnlyAttributes(t *testing.T) {
	f := newFixture(t)
	id := f.createUser("alice@acme.example", "Alice", "Archer")
	link := f.link(id)
	f.patch("/Users/"+id,
		map[string]any{"op": "replace", "path": elimity.LinkAttribute, "value": "acct-forged"},
		map[string]any{"op": "replace", "value": map[string]any{"id": "forged", "displayName": "A. Archer"}},
	)
	u := f.must(http.MethodGet, "/Users/"+id, nil, http.StatusOK)
	if str(obj(u[elimity.ExtensionSchema])["accountId"]) != link || u["displayName"] != "A. Archer" {
		t.Errorf("after the PATCH: %v", u)
	}
}

func TestTwoPrimaryEmailsAreRejected(t *testing.T) {
	f := newFixture(t)
	body := oktaUser("alice@acme.example", "Alice", "Archer")
	body["emails"] = []any{
		map[string]any{"primary": true, "value": "alice@acme.example", "type": "work"},
		map[string]any{"primary": true, "value": "alice@home.example", "type": "home"},
	}
	status, doc := f.do(http.MethodPost, "/Users", body)
	if status != http.StatusBadRequest {
		t.Fatalf("status %d", status)
	}
	wantError(t, doc, "400", "invalidValue")
}

// The library's evaluator never matches emails.value eq "…"; the server rewrites it.
func TestFilterOnSubAttributeOfMultiValued(t *testing.T) {
	f := newFixture(t)
	id := f.createUser("bob@partner.example", "Bob", "Brown")
	f.createUser("carol@contractor.example", "Carol", "Chen")
	for _, flt := range []string{
		`emails.value eq "Bob@Partner.Example"`,
		`emails[type eq "work" and value eq "bob@partner.example"]`,
		`emails.value co "partner" and active eq true`,
		`externalId eq "00uBrownBob"`,
		`id eq "` + id + `"`,
		elimity.LinkAttribute + ` eq "` + f.link(id) + `"`,
	} {
		page := f.must(http.MethodGet, "/Users?filter="+url.QueryEscape(flt), nil, http.StatusOK)
		if page["totalResults"] != 1.0 || str(obj(list(page["Resources"])[0])["id"]) != id {
			t.Errorf("filter %s: %v", flt, page["totalResults"])
		}
	}
	status, doc := f.do(http.MethodGet, "/Users?filter="+url.QueryEscape(`nosuch eq "x"`), nil)
	if status != http.StatusBadRequest {
		t.Fatalf("unknown attribute in a filter answered %d", status)
	}
	wantError(t, doc, "400", "invalidFilter")
}

func TestDeleteUserLeavesItsGroups(t *testing.T) {
	f := newFixture(t)
	a, b := f.createUser("alice@acme.example", "Alice", "Archer"), f.createUser("bob@partner.example", "Bob", "Brown")
	g := f.createGroup("jira-users", a, b)
	f.must(http.MethodDelete, "/Users/"+a, nil, http.StatusNoContent)
	if m := f.members(g); !slices.Equal(m, []string{b}) {
		t.Errorf("members %v", m)
	}
	if status, _ := f.do(http.MethodGet, "/Users/"+a, nil); status != http.StatusNotFound {
		t.Errorf("deleted user answers %d", status)
	}
}

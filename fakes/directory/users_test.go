package directory

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestAuth(t *testing.T) {
	h := newHarness(t)
	for _, auth := range []string{"", "Bearer wrong", "Basic " + testToken, testToken} {
		for _, path := range []string{"/scim/v2/Users", "/scim/v2/ServiceProviderConfig", "/admin/audit"} {
			req, _ := http.NewRequest("GET", h.srv.URL+path, nil)
			if auth != "" {
				req.Header.Set("Authorization", auth)
			}
			resp, err := h.srv.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusUnauthorized || resp.Header.Get("WWW-Authenticate") == "" {
				t.Errorf("%s with %q: %d, want 401 with WWW-Authenticate", path, auth, resp.StatusCode)
			}
		}
	}
	r := h.do("GET", "/scim/v2/Users", nil, "Authorization: bearer "+testToken)
	if r.status != http.StatusOK {
		t.Errorf("lower-case scheme: %d", r.status)
	}

	open := newHarnessConfig(t, Config{})
	req, _ := http.NewRequest("GET", open.srv.URL+"/scim/v2/Users", nil)
	resp, err := open.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("no token configured: %d, want 200", resp.StatusCode)
	}
}

func TestErrorSchema(t *testing.T) {
	h := newHarness(t)
	for _, tc := range []struct {
		method, path string
		body         any
		status       int
		scimType     string
	}{
		{"GET", "/scim/v2/Users/nope", nil, 404, ""},
		{"GET", "/scim/v2/Groups/nope", nil, 404, ""},
		{"GET", "/scim/v2/Nope", nil, 404, ""},
		{"GET", "/elsewhere", nil, 404, ""},
		{"POST", "/scim/v2/Users", `{"userName":`, 400, scimInvalidSyntax},
		{"POST", "/scim/v2/Users", `[]`, 400, scimInvalidSyntax},
		{"POST", "/scim/v2/Users", `{"userName":"a@b.example"} trailing`, 400, scimInvalidSyntax},
		{"POST", "/scim/v2/Users", map[string]any{"displayName": "no userName"}, 400, scimInvalidValue},
		{"POST", "/scim/v2/Users", map[string]any{"userName": "x@acme.example", "active": "yes"}, 400, scimInvalidValue},
		{"POST", "/scim/v2/Users", map[string]any{"userName": "x@acme.example", "emails": map[string]any{"value": "x"}}, 400, scimInvalidValue},
		{"POST", "/scim/v2/Groups", map[string]any{"members": []any{}}, 400, scimInvalidValue},
		{"POST", "/scim/v2/Groups", map[string]any{"displayName": "g", "members": members("no-such-user")}, 400, scimInvalidValue},
		{"DELETE", "/scim/v2/Users", nil, 405, ""},
		{"POST", "/scim/v2/Bulk", map[string]any{}, 501, ""},
	} {
		r := h.do(tc.method, tc.path, tc.body)
		if r.status != tc.status {
			t.Errorf("%s %s: %d, want %d: %s", tc.method, tc.path, r.status, tc.status, r.raw)
			continue
		}
		if ct := r.header.Get("Content-Type"); ct != scimMediaType {
			t.Errorf("%s %s: Content-Type %q", tc.method, tc.path, ct)
		}
		schemas, _ := r.body["schemas"].([]any)
		if len(schemas) != 1 || schemas[0] != errorSchema || r.body["status"] != itoa(tc.status) || r.body["detail"] == "" {
			t.Errorf("%s %s: not the SCIM Error schema: %s", tc.method, tc.path, r.raw)
		}
		if got, _ := r.body["scimType"].(string); got != tc.scimType {
			t.Errorf("%s %s: scimType %q, want %q", tc.method, tc.path, got, tc.scimType)
		}
	}
}

func TestCreateUser(t *testing.T) {
	h := newHarness(t)
	r := h.must(http.StatusCreated, "POST", "/scim/v2/Users", userBody("jane@acme.example", "jane@acme.example", "00u1"))
	id := r.body["id"].(string)
	if loc := r.header.Get("Location"); loc != h.srv.URL+"/scim/v2/Users/"+id {
		t.Errorf("Location %q", loc)
	}
	meta := r.body["meta"].(map[string]any)
	if meta["resourceType"] != "User" || meta["location"] != r.header.Get("Location") || meta["created"] == nil || meta["lastModified"] == nil {
		t.Errorf("meta %v", meta)
	}
	if r.header.Get("ETag") == "" || r.header.Get("ETag") != meta["version"] {
		t.Errorf("ETag %q, meta.version %v", r.header.Get("ETag"), meta["version"])
	}
	if _, ok := r.body["password"]; ok {
		t.Error("password returned")
	}
	if _, ok := r.body["groups"]; ok {
		t.Error("groups returned for a user in no group")
	}
	if linkOf(r.body) != "acct-jane" {
		t.Errorf("link %q", linkOf(r.body))
	}

	dup := h.do("POST", "/scim/v2/Users", userBody("JANE@ACME.example", "other@acme.example", "00u2"))
	if dup.status != http.StatusConflict || dup.body["scimType"] != scimUniqueness {
		t.Errorf("duplicate userName: %d %s", dup.status, dup.raw)
	}
}

func TestAccountLinking(t *testing.T) {
	h := newHarness(t)
	seeded := h.must(http.StatusCreated, "POST", "/scim/v2/Users", userBody("bob", "BOB@partner.example", "00u1"))
	if linkOf(seeded.body) != "acct-7" {
		t.Errorf("seeded account by case-insensitive email: %q", linkOf(seeded.body))
	}
	a := h.user(h.createUser("Dave@acme.example"))
	b := h.user(h.createUser("dave@other.example"))
	c := h.user(h.createUser("dave@third.example"))
	if linkOf(a) != "acct-dave" || linkOf(b) != "acct-dave-2" || linkOf(c) != "acct-dave-3" {
		t.Errorf("links %q %q %q", linkOf(a), linkOf(b), linkOf(c))
	}
	schemas := seeded.body["schemas"].([]any)
	if schemas[len(schemas)-1] != ExtensionSchema {
		t.Errorf("schemas %v lack the extension", schemas)
	}
	var links int
	for _, e := range h.audit() {
		if e.Type == EventLink {
			links++
		}
	}
	if links != 4 {
		t.Errorf("%d link events, want 4", links)
	}
}

func TestEmailChangeOrgModel(t *testing.T) {
	for _, tc := range []struct {
		name, email, newEmail string
		wantUnlink            bool
	}{
		{"unmanaged real change", "bob@partner.example", "robert@partner.example", true},
		{"unmanaged case only", "bob@partner.example", "BOB@partner.EXAMPLE", false},
		{"managed real change", "jane@acme.example", "janet@acme.example", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t)
			id := h.createUser(tc.email)
			g := h.createGroup("eng", id)
			h.must(http.StatusOK, "PATCH", "/scim/v2/Users/"+id, patchBody(
				op("replace", `emails[type eq "work"].value`, tc.newEmail)))
			u := h.user(id)
			unlinks := h.unlinkEvents()
			if tc.wantUnlink {
				if linkOf(u) != "" || len(h.memberIDs(g)) != 0 || len(unlinks) != 1 ||
					unlinks[0].Message != unlinkMessage(id, tc.newEmail) || unlinks[0].AccountID != "acct-7" {
					t.Fatalf("want unlinked and out of groups: link %q members %v unlinks %+v", linkOf(u), h.memberIDs(g), unlinks)
				}
				if _, ok := u[ExtensionSchema]; ok {
					t.Error("an unlinked user still shows the extension")
				}
				return
			}
			if linkOf(u) == "" || len(h.memberIDs(g)) != 1 || len(unlinks) != 0 {
				t.Fatalf("want still linked: link %q members %v unlinks %+v", linkOf(u), h.memberIDs(g), unlinks)
			}
			emails := u["emails"].([]any)
			if emails[0].(map[string]any)["value"] != tc.newEmail {
				t.Errorf("email not stored: %v", emails)
			}
		})
	}
}

func TestNoOpPushes(t *testing.T) {
	// Re-pushes that differ only in case, order, display or type, or drop the
	// primary flag, are not email changes.
	h := newHarness(t)
	body := userBody("bob@partner.example", "bob@partner.example", "00u-bob")
	body["emails"] = []any{
		map[string]any{"value": "bob@partner.example", "type": "work", "primary": true},
		map[string]any{"value": "bob@home.example", "type": "home"},
	}
	id := h.must(http.StatusCreated, "POST", "/scim/v2/Users", body).body["id"].(string)
	g := h.createGroup("eng", id)
	for _, emails := range [][]any{
		{map[string]any{"value": "bob@home.example"}, map[string]any{"value": "Bob@Partner.Example", "primary": true, "display": "Bob", "type": "other"}},
		{map[string]any{"value": "bob@home.example"}, map[string]any{"value": "bob@partner.example"}},
		{map[string]any{"value": "bob@partner.example"}},
	} {
		got := h.user(id)
		got["emails"] = emails
		h.must(http.StatusOK, "PUT", "/scim/v2/Users/"+id, got)
		u := h.user(id)
		if linkOf(u) != "acct-7" || len(h.memberIDs(g)) != 1 || len(h.unlinkEvents()) != 0 {
			t.Fatalf("push %v unlinked: %v", emails, u)
		}
		if primaryEmail(u["emails"].([]any)) == "bob@home.example" {
			t.Fatalf("primary moved: %v", u["emails"])
		}
	}
}

func TestReplaceUser(t *testing.T) {
	h := newHarness(t)
	body := userBody("jane@acme.example", "jane@acme.example", "00u1")
	body["title"] = "Engineer"
	id := h.must(http.StatusCreated, "POST", "/scim/v2/Users", body).body["id"].(string)
	g := h.createGroup("eng", id)

	put := h.user(id)
	delete(put, "title")
	delete(put, "active")
	put["id"] = "forged"
	put["meta"] = map[string]any{"version": `W/"99"`}
	put["groups"] = []any{}
	put["displayName"] = "Jane"
	r := h.must(http.StatusOK, "PUT", "/scim/v2/Users/"+id, put)
	if r.body["id"] != id || r.body["displayName"] != "Jane" || r.body["active"] != true {
		t.Errorf("PUT result %s", r.raw)
	}
	if _, ok := r.body["title"]; ok {
		t.Error("PUT kept an attribute left out of the body")
	}
	if gs, _ := r.body["groups"].([]any); len(gs) != 1 || len(h.memberIDs(g)) != 1 {
		t.Errorf("PUT with groups: [] touched memberships: %v", r.body["groups"])
	}
	if h.must(http.StatusOK, "GET", "/scim/v2/Users/"+id, nil).header.Get("ETag") == `W/"99"` {
		t.Error("meta.version taken from the client")
	}
	h.must(http.StatusNotFound, "PUT", "/scim/v2/Users/nope", put)
	other := h.createUser("other@acme.example")
	put["userName"] = "OTHER@acme.example"
	h.must(http.StatusConflict, "PUT", "/scim/v2/Users/"+id, put)
	_ = other
}

func TestPatchUser(t *testing.T) {
	h := newHarness(t)
	id := h.createUser("jane@acme.example")
	url := "/scim/v2/Users/" + id
	r := h.must(http.StatusOK, "PATCH", url, patchBody(
		op("Replace", "", map[string]any{"active": false, "displayName": "Jane D"}),
		op("add", "name.givenName", "Janet"),
		op("ADD", "emails", []any{map[string]any{"value": "j@home.example", "type": "home"}}),
		op("replace", `emails[type eq "home"].display`, "Home"),
		op("add", `phoneNumbers[type eq "work"].value`, "+1 555"),
		op("add", "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department", "R&D"),
		op("replace", "title", "Boss"),
		op("remove", "title", nil),
	))
	b := r.body
	name := b["name"].(map[string]any)
	if b["active"] != false || b["displayName"] != "Jane D" || name["givenName"] != "Janet" || name["familyName"] != "F" {
		t.Errorf("PATCH result %s", r.raw)
	}
	emails := b["emails"].([]any)
	if len(emails) != 2 || emails[1].(map[string]any)["display"] != "Home" || primaryEmail(emails) != "jane@acme.example" {
		t.Errorf("emails %v", emails)
	}
	if ph := b["phoneNumbers"].([]any); ph[0].(map[string]any)["value"] != "+1 555" || ph[0].(map[string]any)["type"] != "work" {
		t.Errorf("phoneNumbers %v", ph)
	}
	if ent, _ := b[enterpriseSchema].(map[string]any); ent["department"] != "R&D" {
		t.Errorf("enterprise %v", b[enterpriseSchema])
	}
	if _, ok := b["title"]; ok {
		t.Error("title not removed")
	}
	var types []string
	for _, e := range h.audit() {
		types = append(types, e.Type)
	}
	if !strings.Contains(strings.Join(types, ","), EventUserDeactivate) {
		t.Errorf("no deactivate event in %v", types)
	}
	h.must(http.StatusOK, "PATCH", url, patchBody(op("replace", "active", "True")))
	if last := h.audit(); last[len(last)-1].Type != EventUserReactivate {
		t.Errorf("no reactivate event: %v", last[len(last)-1])
	}
	// Removing one email by filter; the primary moves to the remaining one.
	h.must(http.StatusOK, "PATCH", url, patchBody(op("remove", `emails[value eq "JANE@acme.example"]`, nil)))
	if emails := h.user(id)["emails"].([]any); len(emails) != 1 || emails[0].(map[string]any)["value"] != "j@home.example" {
		t.Errorf("emails after filtered remove: %v", emails)
	}

	for _, tc := range []struct {
		body     any
		scimType string
	}{
		{patchBody(op("move", "title", "x")), scimInvalidSyntax},
		{patchBody(op("remove", "", nil)), scimNoTarget},
		{patchBody(op("add", "title", nil)), scimInvalidValue},
		{patchBody(op("replace", "title[", "x")), scimInvalidPath},
		{patchBody(op("replace", "nosuch", "x")), scimInvalidPath},
		{patchBody(op("replace", "id", "x")), scimMutability},
		{patchBody(op("replace", "groups", []any{})), scimMutability},
		{patchBody(op("replace", ExtensionSchema+":atlassianAccountId", "acct-x")), scimMutability},
		{patchBody(op("replace", `title[value eq "x"]`, "y")), scimInvalidPath},
		{patchBody(op("replace", `emails[type eq "work" or type eq "home"].value`, "y@x.example")), ""},
		{patchBody(op("replace", `addresses[type eq "work" or type eq "home"].locality`, "Paris")), scimNoTarget},
		{patchBody(op("replace", "active", 3)), scimInvalidValue},
		{patchBody(op("remove", "userName", nil)), scimMutability},
		{patchBody(op("replace", "userName", "")), scimInvalidValue},
		{patchBody(op("replace", "", "not an object")), scimInvalidValue},
		{map[string]any{"schemas": []string{patchOpSchema}}, scimInvalidSyntax},
	} {
		r := h.do("PATCH", url, tc.body)
		if tc.scimType == "" {
			if r.status != http.StatusOK {
				t.Errorf("%v: %d %s", tc.body, r.status, r.raw)
			}
			continue
		}
		if r.status != http.StatusBadRequest || r.body["scimType"] != tc.scimType {
			t.Errorf("%v: %d %s, want 400 %s", tc.body, r.status, r.raw, tc.scimType)
		}
	}
	// A failed PATCH changes nothing (operations are atomic).
	before := h.user(id)
	h.must(http.StatusBadRequest, "PATCH", url, patchBody(op("replace", "displayName", "Changed"), op("replace", "nosuch", "x")))
	if after := h.user(id); after["displayName"] != before["displayName"] {
		t.Errorf("partial PATCH applied")
	}
	h.must(http.StatusNotFound, "PATCH", "/scim/v2/Users/nope", patchBody(op("replace", "title", "x")))
	r = h.must(http.StatusNoContent, "PATCH", url, patchBody(op("replace", "title", "x")), "Prefer: return=minimal")
	if len(r.raw) != 0 {
		t.Errorf("return=minimal sent a body")
	}
}

func TestETags(t *testing.T) {
	h := newHarness(t)
	id := h.createUser("jane@acme.example")
	url := "/scim/v2/Users/" + id
	tag := h.must(http.StatusOK, "GET", url, nil).header.Get("ETag")
	h.must(http.StatusNotModified, "GET", url, nil, "If-None-Match: "+tag)
	r := h.must(http.StatusOK, "PATCH", url, patchBody(op("replace", "title", "x")), "If-Match: "+tag)
	if r.header.Get("ETag") == tag {
		t.Error("version did not change")
	}
	h.must(http.StatusPreconditionFailed, "PATCH", url, patchBody(op("replace", "title", "y")), "If-Match: "+tag)
	h.must(http.StatusPreconditionFailed, "PUT", url, userBody("jane@acme.example", "jane@acme.example", "x"), "If-Match: "+tag)
	h.must(http.StatusPreconditionFailed, "DELETE", url, nil, "If-Match: "+tag)
	h.must(http.StatusOK, "PATCH", url, patchBody(op("replace", "title", "y")), "If-Match: *")
	g := h.createGroup("eng")
	gtag := h.must(http.StatusOK, "GET", "/scim/v2/Groups/"+g, nil).header.Get("ETag")
	h.must(http.StatusOK, "PATCH", "/scim/v2/Groups/"+g, patchBody(op("add", "members", members(id))), "If-Match: "+gtag)
	h.must(http.StatusPreconditionFailed, "PATCH", "/scim/v2/Groups/"+g, patchBody(op("add", "members", members(id))), "If-Match: "+gtag)
	h.must(http.StatusPreconditionFailed, "PUT", "/scim/v2/Groups/"+g,
		map[string]any{"schemas": []string{groupSchema}, "displayName": "eng", "members": []any{}}, "If-Match: "+gtag)
	h.must(http.StatusPreconditionFailed, "DELETE", "/scim/v2/Groups/"+g, nil, "If-Match: "+gtag)
	h.must(http.StatusNoContent, "DELETE", "/scim/v2/Groups/"+g, nil, "If-Match: *")
}

func TestDeleteUser(t *testing.T) {
	h := newHarness(t)
	a := h.createUser("a@acme.example")
	b := h.createUser("b@acme.example")
	g := h.createGroup("eng", a, b)
	h.must(http.StatusNoContent, "DELETE", "/scim/v2/Users/"+a, nil)
	h.must(http.StatusNotFound, "GET", "/scim/v2/Users/"+a, nil)
	h.must(http.StatusNotFound, "DELETE", "/scim/v2/Users/"+a, nil)
	if ids := h.memberIDs(g); !equalStrings(ids, []string{b}) {
		t.Errorf("members after delete: %v", ids)
	}
	// The userName is free again.
	h.createUser("a@acme.example")
}

func TestReactivationRestoresUser(t *testing.T) {
	h := newHarness(t)
	id := h.createUser("bob@partner.example")
	g := h.createGroup("eng", id)
	h.must(http.StatusOK, "PATCH", "/scim/v2/Users/"+id, patchBody(op("replace", "", map[string]any{"active": false})))
	body := userBody("bob@partner.example", "bob@partner.example", "00u-bob@partner.example")
	body["displayName"] = "Bob Again"
	r := h.must(http.StatusCreated, "POST", "/scim/v2/Users", body)
	if r.body["id"] != id || r.body["active"] != true || linkOf(r.body) != "acct-7" || r.body["displayName"] != "Bob Again" {
		t.Errorf("restore: %s", r.raw)
	}
	if r.header.Get("Location") == "" || len(h.memberIDs(g)) != 1 {
		t.Errorf("restore lost Location or membership")
	}
	// Active users are not restored: a duplicate is a conflict.
	h.must(http.StatusConflict, "POST", "/scim/v2/Users", body)
}

func TestAdminReset(t *testing.T) {
	h := newHarness(t)
	id := h.createUser("zed@acme.example")
	h.createGroup("eng", id)
	if len(h.audit()) == 0 {
		t.Fatal("no audit events")
	}
	h.must(http.StatusMethodNotAllowed, "GET", "/admin/reset", nil)
	h.must(http.StatusNoContent, "POST", "/admin/reset", nil)
	if n := len(h.audit()); n != 0 {
		t.Errorf("%d audit events after reset", n)
	}
	for _, p := range []string{"/scim/v2/Users", "/scim/v2/Groups"} {
		if r := h.must(http.StatusOK, "GET", p, nil); r.body["totalResults"] != float64(0) {
			t.Errorf("%s after reset: %s", p, r.raw)
		}
	}
	// Accounts are back to the seeds: the same email gets the same fresh id.
	if got := linkOf(h.user(h.createUser("zed@acme.example"))); got != "acct-zed" {
		t.Errorf("link after reset %q, want acct-zed", got)
	}
	if e := h.audit()[0]; e.Type != EventUserCreate || e.Time == "" || e.UserID == "" {
		t.Errorf("first event %+v", e)
	}
}

// TestPatchFilterMatchingNothing: RFC 7644 §3.5.2.3 makes a replace whose
// value filter matches nothing a 400 noTarget; add creates the value the
// filter describes (§3.5.2.1: a target that does not exist is added); remove
// matching nothing removes nothing (§3.5.2.2 has noTarget only for a remove
// without a path).
func TestPatchFilterMatchingNothing(t *testing.T) {
	h := newHarness(t)
	id := h.createUser("jane@acme.example")
	url := "/scim/v2/Users/" + id
	before := h.user(id)

	r := h.do("PATCH", url, patchBody(op("replace", `emails[type eq "nonexistent"].value`, "x@acme.example")))
	if r.status != http.StatusBadRequest || r.body["scimType"] != scimNoTarget {
		t.Errorf("replace matching nothing: %d %s, want 400 noTarget", r.status, r.raw)
	}
	r = h.do("PATCH", url, patchBody(op("replace", `emails[type eq "home"]`, map[string]any{"value": "x@home.example"})))
	if r.status != http.StatusBadRequest || r.body["scimType"] != scimNoTarget {
		t.Errorf("replace of whole values matching nothing: %d %s, want 400 noTarget", r.status, r.raw)
	}
	if after := h.user(id); normalEmails(after) != normalEmails(before) || after["meta"].(map[string]any)["version"] != before["meta"].(map[string]any)["version"] {
		t.Errorf("a refused replace changed the user: %v", after["emails"])
	}

	h.must(http.StatusOK, "PATCH", url, patchBody(op("remove", `emails[type eq "nonexistent"]`, nil)))
	if got := normalEmails(h.user(id)); got != normalEmails(before) {
		t.Errorf("remove matching nothing changed emails: %s", got)
	}

	h.must(http.StatusOK, "PATCH", url, patchBody(op("add", `emails[type eq "home"].value`, "jane@home.example")))
	if got := normalEmails(h.user(id)); got != "jane@acme.example*,jane@home.example" {
		t.Errorf("add matching nothing: emails %s, want the home email added", got)
	}
	// Now the filter matches: replace works.
	h.must(http.StatusOK, "PATCH", url, patchBody(op("replace", `emails[type eq "home"].value`, "j@home.example")))
	if got := normalEmails(h.user(id)); got != "j@home.example,jane@acme.example*" {
		t.Errorf("replace matching one: emails %s", got)
	}
}

// TestRemoveRequiredAttribute: removing (or nulling) a required attribute is
// a mutability error (RFC 7644 §3.5.2.2), for users and groups alike.
func TestRemoveRequiredAttribute(t *testing.T) {
	h := newHarness(t)
	id := h.createUser("jane@acme.example")
	g := h.createGroup("eng")
	for _, tc := range []struct {
		url string
		o   map[string]any
	}{
		{"/scim/v2/Users/" + id, op("remove", "userName", nil)},
		{"/scim/v2/Users/" + id, op("remove", userSchema+":userName", nil)},
		{"/scim/v2/Users/" + id, op("replace", "", map[string]any{"userName": nil})},
		{"/scim/v2/Groups/" + g, op("remove", "displayName", nil)},
	} {
		r := h.do("PATCH", tc.url, patchBody(tc.o))
		if r.status != http.StatusBadRequest || r.body["scimType"] != scimMutability {
			t.Errorf("%v: %d %s, want 400 mutability", tc.o, r.status, r.raw)
		}
	}
	if h.user(id)["userName"] != "jane@acme.example" {
		t.Error("userName removed")
	}
}

// TestDuplicateEmailsStoredOnce: the same (value, type) pair twice in one
// request, values compared case-insensitively, is stored once (RFC 7643
// §2.4), primary if either was; the same value with another type stays.
func TestDuplicateEmailsStoredOnce(t *testing.T) {
	h := newHarness(t)
	body := userBody("bob@partner.example", "bob@partner.example", "00u-bob")
	body["emails"] = []any{
		map[string]any{"value": "Bob@Partner.example", "type": "work"},
		map[string]any{"value": "bob@partner.example", "type": "work", "primary": true},
		map[string]any{"value": "bob@partner.example", "type": "home"},
	}
	r := h.must(http.StatusCreated, "POST", "/scim/v2/Users", body)
	id := r.body["id"].(string)
	emails := r.body["emails"].([]any)
	if len(emails) != 2 || normalEmails(r.body) != "bob@partner.example,bob@partner.example*" {
		t.Fatalf("POST stored %v", emails)
	}
	if w := emails[0].(map[string]any); w["value"] != "Bob@Partner.example" || w["type"] != "work" || w["primary"] != true {
		t.Errorf("kept %v, want the first work entry, primary", w)
	}
	body["emails"] = []any{
		map[string]any{"value": "bob@partner.example", "type": "work", "primary": true},
		map[string]any{"value": "BOB@partner.example", "type": "WORK"},
	}
	if r := h.must(http.StatusOK, "PUT", "/scim/v2/Users/"+id, body); normalEmails(r.body) != "bob@partner.example*" {
		t.Errorf("PUT stored %v", r.body["emails"])
	}
	r = h.must(http.StatusOK, "PATCH", "/scim/v2/Users/"+id, patchBody(op("add", "emails",
		[]any{map[string]any{"value": "Bob@Partner.Example", "type": "work"}})))
	if normalEmails(r.body) != "bob@partner.example*" {
		t.Errorf("PATCH add of a case variant stored %v", r.body["emails"])
	}
	if linkOf(r.body) != "acct-7" || len(h.unlinkEvents()) != 0 {
		t.Errorf("deduplication unlinked the user")
	}
}

// TestNoOpWritesKeepVersion: a PUT or PATCH that changes nothing leaves
// meta.version and meta.lastModified alone (RFC 7644 §3.14, §3.5.2.1); one
// that changes something moves both.
func TestNoOpWritesKeepVersion(t *testing.T) {
	h := newHarness(t)
	clock := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	h.d.mu.Lock()
	h.d.now = func() time.Time { clock = clock.Add(time.Second); return clock }
	h.d.mu.Unlock()
	id := h.createUser("bob@partner.example")
	a := h.createUser("a@acme.example")
	g := h.createGroup("eng", id, a)
	version := func(path string) (string, string) {
		t.Helper()
		r := h.must(http.StatusOK, "GET", path, nil)
		meta := r.body["meta"].(map[string]any)
		if r.header.Get("ETag") != meta["version"] {
			t.Errorf("ETag %q, meta.version %v", r.header.Get("ETag"), meta["version"])
		}
		return meta["version"].(string), meta["lastModified"].(string)
	}
	user, group := "/scim/v2/Users/"+id, "/scim/v2/Groups/"+g
	same := func(b any) func() any { return func() any { return b } }
	reordered := func(extra ...any) func() any {
		return func() any { // GET, then PUT with the emails reversed (and extra ones first)
			b := h.user(id)
			emails := slices.Clone(b["emails"].([]any))
			slices.Reverse(emails)
			b["emails"] = append(extra, emails...)
			return b
		}
	}
	for _, tc := range []struct {
		name, path, method string
		body               func() any
		changes            bool
	}{
		{"PATCH replace title", user, "PATCH", same(patchBody(op("replace", "title", "Boss"))), true},
		{"PATCH the same title", user, "PATCH", same(patchBody(op("replace", "title", "Boss"))), false},
		{"PATCH the same active and emails", user, "PATCH", same(patchBody(
			op("replace", "", map[string]any{"active": true}),
			op("replace", "emails", []any{map[string]any{"value": "bob@partner.example", "primary": true, "type": "work"}}))), false},
		{"PUT of what GET shows", user, "PUT", func() any { return h.user(id) }, false},
		{"PUT with an email added", user, "PUT", reordered(map[string]any{"value": "bob@home.example", "type": "home"}), true},
		{"PUT with the emails reordered", user, "PUT", reordered(), false},
		{"PUT of the Okta profile", user, "PUT", same(bobBody("bob@partner.example")), true},
		{"PUT of the Okta profile again", user, "PUT", same(bobBody("bob@partner.example")), false},
		{"Okta's rename with the same name and a re-add", group, "PATCH", same(patchBody(
			op("replace", "", map[string]any{"id": g, "displayName": "eng"}),
			op("add", "members", members(id)))), false},
		{"push now in another order", group, "PATCH", same(patchBody(op("replace", "members", members(a, id)))), false},
		{"remove of a member not there", group, "PATCH", same(patchBody(op("remove", `members[value eq "nobody"]`, nil))), false},
		{"PUT of the same group", group, "PUT", same(map[string]any{"schemas": []string{groupSchema}, "displayName": "eng", "members": members(id, a)}), false},
		{"rename", group, "PATCH", same(patchBody(op("replace", "displayName", "Engineering"))), true},
		{"remove a member", group, "PATCH", same(patchBody(op("remove", fmt.Sprintf("members[value eq %q]", a), nil))), true},
	} {
		v0, m0 := version(tc.path)
		h.must(http.StatusOK, tc.method, tc.path, tc.body())
		v1, m1 := version(tc.path)
		if changed := v1 != v0 || m1 != m0; changed != tc.changes {
			t.Errorf("%s: version %s -> %s, lastModified %s -> %s; want changed=%t", tc.name, v0, v1, m0, m1, tc.changes)
		}
		if (v1 != v0) != (m1 != m0) {
			t.Errorf("%s: version and lastModified disagree", tc.name)
		}
	}

	// The faults that act on a write still act on a no-op one, and that is a change.
	f := newHarness(t, faultAccess1003)
	bob := unmanagedInGroup(f)
	tag := f.must(http.StatusOK, "GET", "/scim/v2/Users/"+bob, nil).header.Get("ETag")
	if r := f.must(http.StatusOK, "PUT", "/scim/v2/Users/"+bob, bobBody("bob@partner.example")); r.header.Get("ETag") == tag || linkOf(r.body) != "" {
		t.Errorf("access-1003 on a no-op PUT: ETag %s (was %s), link %q", r.header.Get("ETag"), tag, linkOf(r.body))
	}
}

package directory

import (
	"net/http"
	"testing"
)

func TestOktaFlow(t *testing.T) {
	h := newHarness(t)
	bob := h.createUser("bob@partner.example")
	u := h.user(bob)
	if linkOf(u) != "acct-7" {
		t.Fatalf("bob linked to %q, want seeded acct-7: %v", linkOf(u), u)
	}
	jane := h.createUser("jane@acme.example")
	if got := linkOf(h.user(jane)); got != "acct-jane" {
		t.Fatalf("jane linked to %q", got)
	}
	g := h.createGroup("eng", bob)
	h.must(http.StatusOK, "PATCH", "/scim/v2/Groups/"+g, patchBody(
		op("replace", "", map[string]any{"id": g, "displayName": "Engineering"}),
		op("add", "members", members(jane)),
	))
	if ids := h.memberIDs(g); !equalStrings(ids, []string{bob, jane}) {
		t.Fatalf("members %v", ids)
	}
	r := h.must(http.StatusOK, "GET", `/scim/v2/Users?filter=userName%20eq%20%22BOB%40partner.example%22&startIndex=1&count=100`, nil)
	if r.body["totalResults"].(float64) != 1 {
		t.Fatalf("lookup: %s", r.raw)
	}
	// Okta profile push: GET then full PUT with a case-changed email.
	body := userBody("bob@partner.example", "Bob@Partner.example", "00u-bob@partner.example")
	h.must(http.StatusOK, "PUT", "/scim/v2/Users/"+bob, body)
	if linkOf(h.user(bob)) != "acct-7" || len(h.unlinkEvents()) != 0 {
		t.Fatalf("no-op push unlinked bob")
	}
}

package directory

import (
	"encoding/json"
	"fmt"
	"net/http"
	"testing"
)

func TestGroupCRUD(t *testing.T) {
	h := newHarness(t)
	a := h.createUser("a@acme.example")
	b := h.createUser("b@acme.example")
	r := h.must(http.StatusCreated, "POST", "/scim/v2/Groups", map[string]any{
		"schemas": []string{groupSchema}, "displayName": "Eng", "externalId": "00g1",
		"members": members(a, b, a),
	})
	g := r.body["id"].(string)
	if r.header.Get("Location") != h.srv.URL+"/scim/v2/Groups/"+g || r.body["externalId"] != "00g1" {
		t.Errorf("create: %s", r.raw)
	}
	if ids := h.memberIDs(g); !equalStrings(ids, []string{a, b}) {
		t.Errorf("members %v, want the duplicate dropped", ids)
	}
	m := r.body["members"].([]any)[0].(map[string]any)
	if m["display"] != "a@acme.example" || m["type"] != "User" || m["$ref"] != h.srv.URL+"/scim/v2/Users/"+a {
		t.Errorf("member %v", m)
	}
	gs := h.user(a)["groups"].([]any)
	if len(gs) != 1 || gs[0].(map[string]any)["value"] != g || gs[0].(map[string]any)["display"] != "Eng" {
		t.Errorf("User.groups %v", gs)
	}
	h.must(http.StatusConflict, "POST", "/scim/v2/Groups", map[string]any{"displayName": "ENG"})

	// PUT replaces members and name.
	r = h.must(http.StatusOK, "PUT", "/scim/v2/Groups/"+g, map[string]any{
		"schemas": []string{groupSchema}, "id": g, "displayName": "Engineering", "members": members(b),
	})
	if r.body["displayName"] != "Engineering" || !equalStrings(h.memberIDs(g), []string{b}) {
		t.Errorf("PUT: %s", r.raw)
	}
	if _, ok := r.body["externalId"]; ok {
		t.Errorf("PUT kept externalId left out of the body")
	}
	if _, ok := h.user(a)["groups"]; ok {
		t.Errorf("User.groups not recomputed after PUT")
	}
	h.must(http.StatusNotFound, "PUT", "/scim/v2/Groups/nope", map[string]any{"displayName": "x"})

	h.must(http.StatusNoContent, "DELETE", "/scim/v2/Groups/"+g, nil)
	h.must(http.StatusNotFound, "GET", "/scim/v2/Groups/"+g, nil)
	if _, ok := h.user(b)["groups"]; ok {
		t.Errorf("User.groups lists a deleted group")
	}
	h.createGroup("Engineering") // the name is free again
}

func TestGroupPatchShapes(t *testing.T) {
	h := newHarness(t)
	a := h.createUser("a@acme.example")
	b := h.createUser("b@acme.example")
	c := h.createUser("c@acme.example")
	g := h.createGroup("eng", a, b)
	url := "/scim/v2/Groups/" + g
	steps := []struct {
		name string
		ops  []map[string]any
		want []string
	}{
		{"okta rename with every update", []map[string]any{op("replace", "", map[string]any{"id": g, "displayName": "Engineering"})}, []string{a, b}},
		{"okta delta", []map[string]any{
			op("replace", "", map[string]any{"id": g, "displayName": "Engineering"}),
			op("remove", fmt.Sprintf("members[value eq %q]", a), nil),
			op("add", "members", []any{map[string]any{"value": c, "display": "c@acme.example"}}),
		}, []string{b, c}},
		{"re-add is a no-op", []map[string]any{op("add", "members", members(b, c))}, []string{b, c}},
		{"push now", []map[string]any{op("replace", "members", members(c, a))}, []string{c, a}},
		{"entra Remove with value", []map[string]any{op("Remove", "members", members(c))}, []string{a}},
		{"entra Add", []map[string]any{op("Add", "members", members(b))}, []string{a, b}},
		{"filtered remove with or", []map[string]any{op("remove", fmt.Sprintf("members[value eq %q or value eq %q]", a, b), nil)}, nil},
		{"pathless add", []map[string]any{op("add", "", map[string]any{"members": members(a, c)})}, []string{a, c}},
		{"pathless replace with members []", []map[string]any{op("replace", "", map[string]any{"id": g, "displayName": "Eng", "members": []any{}})}, nil},
		{"add one member as an object", []map[string]any{op("add", "members", map[string]any{"value": b})}, []string{b}},
		{"remove all", []map[string]any{op("remove", "members", nil)}, nil},
		{"push now of an empty group", []map[string]any{op("add", "members", members(a)), op("replace", "members", []any{})}, nil},
	}
	for _, s := range steps {
		h.must(http.StatusOK, "PATCH", url, patchBody(s.ops...))
		if got := h.memberIDs(g); !equalStrings(got, s.want) {
			t.Fatalf("%s: members %v, want %v", s.name, got, s.want)
		}
	}
	grp := h.must(http.StatusOK, "GET", url, nil).body
	if grp["displayName"] != "Eng" {
		t.Errorf("displayName %v", grp["displayName"])
	}
	for _, tc := range []struct {
		ops      []map[string]any
		status   int
		scimType string
	}{
		{[]map[string]any{op("add", "members", members("ghost"))}, 400, scimInvalidValue},
		{[]map[string]any{op("add", "members", []any{"not-an-object"})}, 400, scimInvalidValue},
		{[]map[string]any{op("replace", fmt.Sprintf("members[value eq %q].display", a), "x")}, 400, scimMutability},
		{[]map[string]any{op("add", fmt.Sprintf("members[value eq %q]", a), map[string]any{"value": a})}, 400, scimInvalidPath},
		{[]map[string]any{op("remove", "members[value eq", nil)}, 400, scimInvalidPath},
		{[]map[string]any{op("replace", "displayName", "")}, 400, scimInvalidValue},
	} {
		r := h.do("PATCH", url, patchBody(tc.ops...))
		if r.status != tc.status || r.body["scimType"] != tc.scimType {
			t.Errorf("%v: %d %s, want %d %s", tc.ops, r.status, r.raw, tc.status, tc.scimType)
		}
	}
	h.createGroup("taken")
	h.must(http.StatusConflict, "PATCH", url, patchBody(op("replace", "displayName", "TAKEN")))
}

func TestMembershipAudit(t *testing.T) {
	h := newHarness(t)
	a := h.createUser("a@acme.example")
	b := h.createUser("b@acme.example")
	g := h.createGroup("eng", a)
	h.must(http.StatusOK, "PATCH", "/scim/v2/Groups/"+g, patchBody(op("replace", "members", members(b))))
	var got []string
	for _, e := range h.audit() {
		if e.GroupID == g {
			got = append(got, e.Type+":"+e.UserID)
		}
	}
	want := []string{EventMemberAdd + ":" + a, EventMemberRemove + ":" + a, EventMemberAdd + ":" + b}
	if !equalStrings(got, want) {
		t.Errorf("membership events %v, want %v", got, want)
	}
}

// TestAuditTypeFilter: ?type= serves only the events of the types named, in the log's order;
// without it the whole log.
func TestAuditTypeFilter(t *testing.T) {
	h := newHarness(t)
	a := h.createUser("a@acme.example")
	b := h.createUser("b@acme.example")
	g := h.createGroup("eng", a)
	h.must(http.StatusOK, "PATCH", "/scim/v2/Groups/"+g, patchBody(op("replace", "members", members(b))))
	all := h.audit()
	read := func(path string) []string {
		var out struct{ Events []Event }
		if err := json.Unmarshal(h.must(http.StatusOK, "GET", path, nil).raw, &out); err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, e := range out.Events {
			got = append(got, e.Type+":"+e.UserID)
		}
		return got
	}
	var want []string
	for _, e := range all {
		if e.Type == EventMemberAdd || e.Type == EventMemberRemove {
			want = append(want, e.Type+":"+e.UserID)
		}
	}
	if got := read("/admin/audit?type=member-add,member-remove"); len(want) != 3 || !equalStrings(got, want) {
		t.Errorf("type=member-add,member-remove: %v, want %v (of %d events)", got, want, len(all))
	}
	if got := read("/admin/audit?type=unlink"); len(got) != 0 {
		t.Errorf("type=unlink with no unlink: %v", got)
	}
	if got := read("/admin/audit"); len(got) != len(all) || len(all) <= 3 {
		t.Errorf("no filter: %d events, want all %d", len(got), len(all))
	}
}

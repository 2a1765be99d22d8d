package elimity_test

import (
	"net/http"
	"slices"
	"testing"
)

// users creates n users and returns their ids.
func (f *fixture) users(names ...string) []string {
	var ids []string
	for _, n := range names {
		ids = append(ids, f.createUser(n+"@acme.example", n, "Test"))
	}
	return ids
}

func TestCreateGroupWithNoMembers(t *testing.T) {
	f := newFixture(t)
	status, hdr, g := f.doRaw(http.MethodPost, "/Groups", map[string]any{"schemas": []any{schemaGroup}, "displayName": "jira-users", "members": []any{}})
	if status != http.StatusCreated || str(g["id"]) == "" || g["displayName"] != "jira-users" || len(list(g["members"])) != 0 {
		t.Fatalf("POST /Groups answered %d: %v", status, g)
	}
	if hdr.Get("Location") != "/scim/v2/Groups/"+str(g["id"]) {
		t.Errorf("Location %q", hdr.Get("Location"))
	}
	status, doc := f.do(http.MethodPost, "/Groups", map[string]any{"schemas": []any{schemaGroup}, "members": []any{}})
	if status != http.StatusBadRequest {
		t.Errorf("a group without displayName answered %d: %v", status, doc)
	}
}

// Okta's push of a new group: the pathless rename replace, then add members without type.
func TestRenameReplaceLeavesMembers(t *testing.T) {
	f := newFixture(t)
	ids := f.users("alice", "bob")
	g := f.createGroup("jira-users")
	f.patch("/Groups/"+g,
		map[string]any{"op": "replace", "value": map[string]any{"id": g, "displayName": "jira-users"}},
		map[string]any{"op": "add", "path": "members", "value": memberList(ids...)},
	)
	got := f.patch("/Groups/"+g, map[string]any{"op": "replace", "value": map[string]any{"id": g, "displayName": "jira-software-users"}})
	if got != nil && got["displayName"] != "jira-software-users" {
		t.Errorf("rename answered %v", got)
	}
	if m := f.members(g); !slices.Equal(m, sorted(ids...)) {
		t.Errorf("the rename moved members: %v", m)
	}
	gd := f.must(http.MethodGet, "/Groups/"+g, nil, http.StatusOK)
	if gd["displayName"] != "jira-software-users" {
		t.Errorf("displayName %v", gd["displayName"])
	}
	m0 := obj(list(gd["members"])[0])
	if m0["type"] != "User" || m0["$ref"] != "/scim/v2/Users/"+str(m0["value"]) || m0["display"] == "" {
		t.Errorf("member rendering: %v", m0)
	}
}

func TestPathlessReplaceWithMembersReplacesThem(t *testing.T) {
	f := newFixture(t)
	ids := f.users("alice", "bob", "carol")
	g := f.createGroup("confluence-users", ids[0], ids[1])
	f.patch("/Groups/"+g, map[string]any{"op": "replace", "value": map[string]any{"id": g, "displayName": "confluence-users", "members": memberList(ids[1], ids[2])}})
	if m := f.members(g); !slices.Equal(m, sorted(ids[1], ids[2])) {
		t.Errorf("members %v", m)
	}
	f.patch("/Groups/"+g, map[string]any{"op": "replace", "value": map[string]any{"id": g, "displayName": "confluence-users", "members": []any{}}})
	if m := f.members(g); len(m) != 0 {
		t.Errorf("members after the pathless replace with []: %v", m)
	}
}

func TestAddOfPresentMemberStoresItOnce(t *testing.T) {
	f := newFixture(t)
	ids := f.users("alice", "bob")
	g := f.createGroup("jira-users", ids...)
	f.patch("/Groups/"+g,
		map[string]any{"op": "replace", "value": map[string]any{"id": g, "displayName": "jira-users"}},
		map[string]any{"op": "add", "path": "members", "value": memberList(ids[0], ids[1], ids[0])},
	)
	gd := f.must(http.MethodGet, "/Groups/"+g, nil, http.StatusOK)
	if n := len(list(gd["members"])); n != 2 {
		t.Errorf("%d members after re-adding both: %v", n, gd["members"])
	}
}

func TestFilteredRemoveRemovesThatMemberOnly(t *testing.T) {
	f := newFixture(t)
	ids := f.users("alice", "bob", "carol")
	g := f.createGroup("jira-users", ids...)
	f.patch("/Groups/"+g,
		map[string]any{"op": "replace", "value": map[string]any{"id": g, "displayName": "jira-users"}},
		map[string]any{"op": "remove", "path": `members[value eq "` + ids[1] + `"]`},
	)
	if m := f.members(g); !slices.Equal(m, sorted(ids[0], ids[2])) {
		t.Errorf("members %v", m)
	}
	// Removing a member that is not there is no error.
	f.patch("/Groups/"+g, map[string]any{"op": "Remove", "path": `members[value eq "` + ids[1] + `"]`})
	if m := f.members(g); !slices.Equal(m, sorted(ids[0], ids[2])) {
		t.Errorf("members %v", m)
	}
	// Entra's remove with a value list and no filter removes those listed.
	f.patch("/Groups/"+g, map[string]any{"op": "Remove", "path": "members", "value": []any{map[string]any{"value": ids[0]}}})
	if m := f.members(g); !slices.Equal(m, []string{ids[2]}) {
		t.Errorf("members %v", m)
	}
}

// Push Now: replace members with the full list, or with [] for a group empty in Okta.
func TestReplaceMembers(t *testing.T) {
	f := newFixture(t)
	ids := f.users("alice", "bob", "carol")
	g := f.createGroup("jira-users", ids[0])
	f.patch("/Groups/"+g, map[string]any{"op": "replace", "path": "members", "value": memberList(ids[1], ids[2])})
	if m := f.members(g); !slices.Equal(m, sorted(ids[1], ids[2])) {
		t.Errorf("members %v", m)
	}
	f.patch("/Groups/"+g, map[string]any{"op": "Replace", "path": "members", "value": []any{}})
	if m := f.members(g); len(m) != 0 {
		t.Errorf("members after replace []: %v", m)
	}
}

// App Integration Wizard apps push groups with a full PUT.
func TestPutGroupReplacesMembers(t *testing.T) {
	f := newFixture(t)
	ids := f.users("alice", "bob", "carol")
	g := f.createGroup("jira-users", ids[0], ids[1])
	got := f.must(http.MethodPut, "/Groups/"+g, map[string]any{
		"schemas": []any{schemaGroup}, "id": g, "displayName": "jira-users", "members": memberList(ids[1], ids[2]),
	}, http.StatusOK)
	if len(list(got["members"])) != 2 {
		t.Errorf("PUT answer: %v", got)
	}
	if m := f.members(g); !slices.Equal(m, sorted(ids[1], ids[2])) {
		t.Errorf("members %v", m)
	}
}

func TestUnknownMemberIsRejected(t *testing.T) {
	f := newFixture(t)
	ids := f.users("alice")
	g := f.createGroup("jira-users", ids...)
	status, doc := f.do(http.MethodPatch, "/Groups/"+g, patchOp(map[string]any{"op": "add", "path": "members", "value": memberList("no-such-user")}))
	if status != http.StatusBadRequest {
		t.Fatalf("status %d", status)
	}
	wantError(t, doc, "400", "invalidValue")
	if m := f.members(g); !slices.Equal(m, ids) {
		t.Errorf("members %v", m)
	}
}

func TestGroupsListAndFilter(t *testing.T) {
	f := newFixture(t)
	ids := f.users("alice", "bob")
	g1 := f.createGroup("jira-users", ids[0])
	f.createGroup("confluence-users", ids[1])
	page := f.must(http.MethodGet, "/Groups?startIndex=1&count=100", nil, http.StatusOK)
	if page["totalResults"] != 2.0 || page["itemsPerPage"] != 2.0 || str(obj(list(page["Resources"])[0])["id"]) != g1 {
		t.Errorf("list: %v", page)
	}
	for _, flt := range []string{`displayName eq "JIRA-users"`, `members.value eq "` + ids[0] + `"`, `members[value eq "` + ids[0] + `"]`} {
		page := f.must(http.MethodGet, "/Groups?filter="+queryEscape(flt), nil, http.StatusOK)
		if page["totalResults"] != 1.0 || str(obj(list(page["Resources"])[0])["id"]) != g1 {
			t.Errorf("filter %s: %v", flt, page)
		}
	}
}

func TestDeleteGroup(t *testing.T) {
	f := newFixture(t)
	ids := f.users("alice")
	g := f.createGroup("jira-users", ids...)
	f.must(http.MethodDelete, "/Groups/"+g, nil, http.StatusNoContent)
	if u := f.must(http.MethodGet, "/Users/"+ids[0], nil, http.StatusOK); len(list(u["groups"])) != 0 {
		t.Errorf("groups of the user after the group's deletion: %v", u["groups"])
	}
}

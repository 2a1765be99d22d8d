package elimity_test

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/scimreplay/scimreplay/fakes/elimity"
)

func queryEscape(s string) string { return strings.ReplaceAll(url.QueryEscape(s), "+", "%20") }

// repush is Okta's profile push of a user: GET, then PUT of the answer with "groups": [].
func (f *fixture) repush(id string) {
	f.t.Helper()
	u := f.must(http.MethodGet, "/Users/"+id, nil, http.StatusOK)
	u["groups"] = []any{}
	f.must(http.MethodPut, "/Users/"+id, u, http.StatusOK)
}

func TestAccess1003(t *testing.T) {
	for _, on := range []bool{false, true} {
		var variants []string
		if on {
			variants = []string{elimity.VariantAccess1003}
		}
		f := newFixture(t, variants...)
		alice, bob, carol := f.createUser("alice@acme.example", "Alice", "Archer"), f.createUser("bob@partner.example", "Bob", "Brown"), f.createUser("carol@contractor.example", "Carol", "Chen")
		g := f.createGroup("jira-users", alice, bob, carol)
		links := map[string]string{alice: f.link(alice), bob: f.link(bob), carol: f.link(carol)}
		f.repush(alice)
		f.repush(bob)
		f.patch("/Users/"+carol, map[string]any{"op": "replace", "path": "emails", "value": []any{map[string]any{"value": "carol@contractor.example", "type": "work", "primary": true}}})
		want := sorted(alice, bob, carol)
		if on {
			want = []string{alice}
		}
		if m := f.members(g); !slices.Equal(m, want) {
			t.Errorf("access-1003 %t: members %v, want %v", on, m, want)
		}
		if l := f.link(alice); l != links[alice] {
			t.Errorf("access-1003 %t: the managed user's link moved: %q", on, l)
		}
		for _, u := range []string{bob, carol} {
			if l := f.link(u); on != (l == "") {
				t.Errorf("access-1003 %t: unmanaged user's link %q (was %q)", on, l, links[u])
			}
		}
		// A PATCH without emails does not unlink.
		if on {
			d := f.createUser("dan@vendor.example", "Dan", "Dunn")
			f.patch("/Users/"+d, map[string]any{"op": "replace", "value": map[string]any{"active": true}})
			if f.link(d) == "" {
				t.Error("a PATCH without emails unlinked")
			}
		}
	}
}

func TestPutGroupsClears(t *testing.T) {
	for _, on := range []bool{false, true} {
		var variants []string
		if on {
			variants = []string{elimity.VariantPutGroupsClears}
		}
		f := newFixture(t, variants...)
		alice := f.createUser("alice@acme.example", "Alice", "Archer")
		g1, g2 := f.createGroup("jira-users", alice), f.createGroup("confluence-users", alice)
		u := f.must(http.MethodGet, "/Users/"+alice, nil, http.StatusOK)
		u["groups"] = []any{map[string]any{"value": g2}} // keep one, drop the other
		f.must(http.MethodPut, "/Users/"+alice, u, http.StatusOK)
		if m := f.members(g1); on != (len(m) == 0) {
			t.Errorf("put-groups-clears %t: members of the unlisted group %v", on, m)
		}
		if m := f.members(g2); len(m) != 1 {
			t.Errorf("put-groups-clears %t: members of the listed group %v", on, m)
		}
	}
}

func TestRenameWipesMembers(t *testing.T) {
	for _, on := range []bool{false, true} {
		var variants []string
		if on {
			variants = []string{elimity.VariantRenameWipesMembers}
		}
		f := newFixture(t, variants...)
		ids := f.users("alice", "bob")
		g := f.createGroup("jira-users", ids...)
		f.patch("/Groups/"+g, map[string]any{"op": "replace", "value": map[string]any{"id": g, "displayName": "jira-users"}})
		if m := f.members(g); on != (len(m) == 0) {
			t.Errorf("rename-wipes-members %t: members %v", on, m)
		}
		// With members in the value the replace sets them either way.
		f.patch("/Groups/"+g, map[string]any{"op": "replace", "value": map[string]any{"id": g, "displayName": "jira-users", "members": memberList(ids[0])}})
		if m := f.members(g); !slices.Equal(m, ids[:1]) {
			t.Errorf("rename-wipes-members %t: members %v", on, m)
		}
	}
}

func TestFilteredRemoveIgnored(t *testing.T) {
	for _, on := range []bool{false, true} {
		var variants []string
		if on {
			variants = []string{elimity.VariantFilteredRemoveIgnored}
		}
		f := newFixture(t, variants...)
		ids := f.users("alice", "bob")
		g := f.createGroup("jira-users", ids...)
		f.patch("/Groups/"+g, map[string]any{"op": "remove", "path": `members[value eq "` + ids[1] + `"]`})
		want := ids[:1]
		if on {
			want = sorted(ids...)
		}
		if m := f.members(g); !slices.Equal(m, want) {
			t.Errorf("filtered-remove-ignored %t: members %v", on, m)
		}
	}
}

func TestAddAsReplace(t *testing.T) {
	for _, on := range []bool{false, true} {
		var variants []string
		if on {
			variants = []string{elimity.VariantAddAsReplace}
		}
		f := newFixture(t, variants...)
		ids := f.users("alice", "bob")
		g := f.createGroup("jira-users", ids[0])
		f.patch("/Groups/"+g, map[string]any{"op": "add", "path": "members", "value": memberList(ids[1])})
		want := sorted(ids...)
		if on {
			want = ids[1:]
		}
		if m := f.members(g); !slices.Equal(m, want) {
			t.Errorf("add-as-replace %t: members %v", on, m)
		}
	}
}

func TestLookupCaseSensitive(t *testing.T) {
	for _, on := range []bool{false, true} {
		var variants []string
		if on {
			variants = []string{elimity.VariantLookupCaseSensitive}
		}
		f := newFixture(t, variants...)
		f.createUser("Erin.Evans@acme.example", "Erin", "Evans")
		page := f.must(http.MethodGet, lookup("erin.evans@acme.example"), nil, http.StatusOK)
		if found := page["totalResults"] == 1.0; found == on {
			t.Errorf("lookup-case-sensitive %t: lookup in another case found %v", on, page["totalResults"])
		}
		status, _ := f.do(http.MethodPost, "/Users", oktaUser("erin.evans@acme.example", "Erin", "Evans"))
		if want := map[bool]int{false: http.StatusConflict, true: http.StatusCreated}[on]; status != want {
			t.Errorf("lookup-case-sensitive %t: POST in another case answered %d, want %d", on, status, want)
		}
	}
}

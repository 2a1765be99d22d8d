package forcesync

import (
	"crypto/sha1"
	"encoding/hex"
	"encoding/json"
	"strings"
	"testing"

	"github.com/scimreplay/scimreplay/harness/scenario"
)

func TestUniqueForRunRenamesTheOrgAndItsLiteralMentions(t *testing.T) {
	sc := &scenario.Scenario{
		Name: "s",
		Org: scenario.Org{
			Users: []scenario.User{
				{Key: "bob", UserName: "bob@partner.example", SecondEmail: "Bob.B@Home.example", Active: true},
				{Key: "ann", UserName: "ann", Email: "ann@acme.example", ExternalID: "00uann"},
			},
			Groups: []scenario.Group{{Key: "jira-users", DisplayName: "jira-users", Members: []string{"bob"}}},
		},
		ForceSync: []scenario.Step{
			{Method: "GET", Path: `/Users?filter=userName%20eq%20%22BOB%40partner.example%22`},
			{Method: "GET", Path: "/Users", Query: []scenario.KV{{Key: "filter", Value: `userName eq "Bob@Partner.example"`}}},
			{ForEach: "groups", Keys: []string{"jira-users"}, Steps: []scenario.Step{{
				Method: "PATCH", Path: "/Groups/{{groups.jira-users.id}}", HasBody: true,
				Body: map[string]any{"Operations": []any{map[string]any{"op": "replace", "value": map[string]any{
					"displayName": "jira-users", "note": "jira-users and more", "members": []any{
						map[string]any{"display": "{{users.bob.userName}} (bob@partner.example)", "value": "{{users.bob.id}}"}}}}}},
			}}},
			{Method: "POST", Path: "/Users", Verbatim: true, HasBody: true,
				Body:     map[string]any{"userName": "ann", "externalId": "00uann", "emails": []any{map[string]any{"value": "ann@acme.example"}}},
				Response: &scenario.Recorded{Status: 201, Body: map[string]any{"id": "7", "userName": "ANN@acme.example"}}},
		},
	}
	orig, _ := json.Marshal(sc)
	u := UniqueForRun(sc, "r1")
	sum := sha1.Sum([]byte("s"))
	tag := "r1-" + hex.EncodeToString(sum[:4]) // the run, then the scenario

	if after, _ := json.Marshal(sc); string(after) != string(orig) {
		t.Fatal("UniqueForRun changed the scenario it was given")
	}
	bob, ann := u.Org.Users[0], u.Org.Users[1]
	if bob.UserName != "bob+"+tag+"@partner.example" || bob.SecondEmail != "Bob.B+"+tag+"@Home.example" {
		t.Errorf("bob: %q, second email %q", bob.UserName, bob.SecondEmail)
	}
	if bob.ExternalID == "" || bob.ExternalID == scenario.OktaID("bob") || bob.ExternalID != scenario.OktaID(tag+"/bob") {
		t.Errorf("bob's externalId %q must be fresh for the run", bob.ExternalID)
	}
	if ann.UserName != "ann-"+tag || ann.Email != "ann+"+tag+"@acme.example" || ann.ExternalID != scenario.OktaID(tag+"/ann") {
		t.Errorf("ann: %+v", ann)
	}
	if g := u.Org.Groups[0]; g.DisplayName != "jira-users-"+tag || g.Key != "jira-users" {
		t.Errorf("group %+v: the name changes, the key does not", g)
	}
	if p := u.ForceSync[0].Path; p != `/Users?filter=userName%20eq%20%22BOB%2B`+tag+`%40partner.example%22` {
		t.Errorf("path %s: + must be %%2B in a path", p)
	}
	if q := u.ForceSync[1].Query[0].Value; q != `userName eq "Bob+`+tag+`@Partner.example"` {
		t.Errorf("query %s", q)
	}
	patch := u.ForceSync[2].Steps[0]
	body, _ := json.Marshal(patch.Body)
	for _, want := range []string{`"displayName":"jira-users-` + tag + `"`, `"note":"jira-users and more"`,
		`"display":"{{users.bob.userName}} (bob+` + tag + `@partner.example)"`, `"value":"{{users.bob.id}}"`} {
		if !strings.Contains(string(body), want) {
			t.Errorf("body %s lacks %s", body, want)
		}
	}
	if patch.Path != "/Groups/{{groups.jira-users.id}}" || u.ForceSync[2].Keys[0] != "jira-users" {
		t.Errorf("templates and keys must not change: %s %v", patch.Path, u.ForceSync[2].Keys)
	}
	post := u.ForceSync[3]
	body, _ = json.Marshal(post.Body)
	if string(body) != `{"emails":[{"value":"ann+`+tag+`@acme.example"}],"externalId":"`+scenario.OktaID(tag+"/ann")+`","userName":"ann-`+tag+`"}` {
		t.Errorf("verbatim body %s", body)
	}
	if rec, _ := json.Marshal(post.Response.Body); string(rec) != `{"id":"7","userName":"ANN+`+tag+`@acme.example"}` {
		t.Errorf("recorded response %s: renamed like the request, for re-binding by userName", rec)
	}
	if v := UniqueForRun(sc, "r2").Org.Users[0].UserName; v == bob.UserName || !strings.HasPrefix(v, "bob+r2-") {
		t.Errorf("another run, another name: %s", v)
	}
	other := *sc
	other.Name = "t"
	if v := UniqueForRun(&other, "r1").Org.Groups[0].DisplayName; v == u.Org.Groups[0].DisplayName || !strings.HasPrefix(v, "jira-users-r1-") {
		t.Errorf("another scenario of the same run, another name: %s", v)
	}
	long := UniqueForRun(sc, "ci-build-12345-attempt-1").Org.Users[0].UserName
	if long == UniqueForRun(sc, "ci-build-12345-attempt-2").Org.Users[0].UserName || len(long) > len("bob+12345678-12345678@partner.example") {
		t.Errorf("a long run id is hashed, not cut: %s", long)
	}
}

// An Entra user's externalId is its mailNickname unless the org gives one; against a shared
// server it gets the run's tag, as its userName does, and templates see the new one.
func TestUniqueForRunRenamesEntrasExternalIDs(t *testing.T) {
	sc, err := scenario.Parse("e.yaml", []byte(`version: 1
name: e
source: s
idp: entra
org:
  users:
    - {key: bob, userName: bob@partner.example}
    - {key: cat, userName: cat@partner.example, externalId: cchen}
forceSync: [{entra: fullCycle}]
`))
	if err != nil {
		t.Fatal(err)
	}
	u := UniqueForRun(sc, "r1")
	tag := runTag("r1", "e")
	for i, want := range []string{"bob-" + tag, "cchen-" + tag} {
		if got := u.ExternalID(u.Org.Users[i]); got != want {
			t.Errorf("user %s: externalId %q, want %q", u.Org.Users[i].Key, got, want)
		}
	}
	if got := u.Org.Users[0].UserName; got != "bob+"+tag+"@partner.example" {
		t.Errorf("userName %q", got)
	}
	if sc.ExternalID(sc.Org.Users[0]) != "bob" {
		t.Error("UniqueForRun changed the scenario it was given")
	}
}

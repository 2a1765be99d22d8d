package scenario

import (
	"strings"
	"testing"
)

const entraHead = "version: 1\nname: x\nsource: s\nidp: entra\norg:\n  users: [{key: bob, userName: bob@partner.example, givenName: Bob, familyName: Brown}]\n  groups: [{key: g, members: [bob]}]\n"

func TestParseEntraScenario(t *testing.T) {
	sc, err := Parse("e.yaml", []byte(entraHead+`entra: {dialect: aadOptscim062020, matching: externalId}
forceSync:
  - entra: testConnection
  - entra: fullCycle
  - forEach: users
    steps:
      - entra: update
        body: {displayName: "{{user.displayName}}", active: true}
  - entra: removeMembers
    group: g
    members: [bob]
  - forEach: groups
    steps:
      - entra: updateGroup
        body: {displayName: "{{group.displayName}}"}
`))
	if err != nil {
		t.Fatal(err)
	}
	if sc.IdP != IdPEntra || sc.Entra.Dialect != EntraDialectSCIM062020 || sc.Entra.Matching != EntraMatchExternalID {
		t.Fatalf("settings: %q %+v", sc.IdP, sc.Entra)
	}
	rm := sc.ForceSync[3]
	if rm.Entra != "removeMembers" || rm.Group != "g" || len(rm.Members) != 1 || rm.Members[0] != "bob" || rm.Pos.Line != 16 {
		t.Fatalf("removeMembers step: %+v", rm)
	}
	if u := sc.Org.Users[0]; sc.ExternalID(u) != "bob" || sc.Profile(u)["externalId"] != "bob" {
		t.Errorf("Entra's default externalId is the mailNickname: %q, profile %v", sc.ExternalID(u), sc.Profile(u)["externalId"])
	}
	okta, err := Parse("o.yaml", []byte("version: 1\nname: o\nsource: s\norg: {users: [{key: bob, userName: bob@partner.example}]}\nforceSync: [{okta: listUsers}]\n"))
	if err != nil {
		t.Fatal(err)
	}
	if okta.IdP != IdPOkta || okta.ExternalID(okta.Org.Users[0]) != OktaID("bob") {
		t.Errorf("an Okta scenario by default, with Okta's user id as externalId: %q %q", okta.IdP, okta.ExternalID(okta.Org.Users[0]))
	}
}

// Entra's create body is the documented one, and leaves out attributes with no source.
func TestEntraProfile(t *testing.T) {
	p := User{Key: "jo", UserName: "jo@contoso.example"}.EntraProfile()
	for _, k := range []string{"name", "displayName", "locale", "groups", "password"} {
		if _, ok := p[k]; ok {
			t.Errorf("%s sent with no source: %v", k, p)
		}
	}
	p = User{Key: "jo", UserName: "jo@contoso.example", GivenName: "Jo", FamilyName: "Young", ExternalID: "jyoung"}.EntraProfile()
	name := p["name"].(map[string]any)
	if p["externalId"] != "jyoung" || p["displayName"] != "Jo Young" || name["formatted"] != "Jo Young" || p["active"] != true ||
		len(p["roles"].([]any)) != 0 || p["meta"].(map[string]any)["resourceType"] != "User" {
		t.Errorf("profile %v", p)
	}
	if s := p["schemas"].([]any); len(s) != 2 || s[1] != SchemaEnterpriseUser {
		t.Errorf("schemas %v", s)
	}
}

func TestParseEntraErrorsHaveFileLineColumn(t *testing.T) {
	cases := []struct{ name, body, want string }{
		{"bad idp", "", ""}, // the head alone parses
		{"okta macro", "forceSync: [{okta: listUsers}]\n", "t.yaml:8:20: okta: macros belong to an Okta scenario"},
		{"unknown macro", "forceSync: [{entra: teleport}]\n", "t.yaml:8:21: unknown entra macro \"teleport\""},
		{"bad dialect", "entra: {dialect: scim2}\nforceSync: [{entra: fullCycle}]\n", "t.yaml:8:18: entra.dialect must be default or aadOptscim062020"},
		{"bad matching", "entra: {matching: mail}\nforceSync: [{entra: fullCycle}]\n", "t.yaml:8:19: entra.matching must be userName or externalId"},
		{"unknown setting", "entra: {flag: x}\nforceSync: [{entra: fullCycle}]\n", "t.yaml:8:9: unknown key \"flag\" in entra"},
		{"full cycle in a loop", "forceSync:\n  - forEach: users\n    steps: [{entra: fullCycle}]\n", "entra: fullCycle works on the whole org"},
		{"update without body", "forceSync: [{entra: update}]\n", "t.yaml:8:13: entra: update needs body:"},
		{"update body list", "forceSync: [{entra: update, body: [1]}]\n", "must be a mapping, not a list"},
		{"active as string", "forceSync: [{entra: update, body: {active: \"True\"}}]\n", "t.yaml:8:44: active must be true or false"},
		{"null value", "forceSync: [{entra: update, body: {title: null}}]\n", "title: Entra sends no null"},
		{"update in groups", "forceSync:\n  - forEach: groups\n    steps: [{entra: update, body: {displayName: x}}]\n", "entra: update updates users"},
		{"members in users", "forceSync:\n  - forEach: users\n    steps: [{entra: addMembers, group: g}]\n", "entra: addMembers updates groups"},
		{"unknown group", "forceSync: [{entra: addMembers, group: h}]\n", "t.yaml:8:40: group: \"h\" is not an org group key"},
		{"unknown member", "forceSync: [{entra: addMembers, group: g, members: [bob, zed]}]\n", "t.yaml:8:58: members: \"zed\" is not an org user key"},
		{"members on update", "forceSync: [{entra: softDelete, members: [bob]}]\n", "members: belongs to entra: addMembers"},
		{"group on a plain step", "forceSync: [{method: GET, path: /Groups, group: g}]\n", "group: and members: belong to an entra: membership macro"},
		{"expect on macro", "forceSync: [{entra: fullCycle, expect: 200}]\n", "entra: fullCycle takes no expect"},
		{"body template outside its loop", "forceSync: [{entra: update, body: {displayName: \"{{group.displayName}}\"}}]\n", "only known inside forEach: groups"},
		{"profile push", "forceSync:\n  - forEach: users\n    steps: [{method: PUT, path: \"/Users/{{user.id}}\", profile: true}]\n", "profile: lays Okta's profile"},
		{"inactive org user", "", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			body := c.body
			if body == "" {
				body = "forceSync: [{entra: fullCycle}]\n"
			}
			_, err := Parse("t.yaml", []byte(entraHead+body))
			if c.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error %v, want %q", err, c.want)
			}
		})
	}
	for in, want := range map[string]string{
		"version: 1\nname: x\nsource: s\nidp: azure\nforceSync: [{okta: listUsers}]\n":                                                                             "t.yaml:4:6: idp must be okta or entra, not \"azure\"",
		"version: 1\nname: x\nsource: s\nentra: {dialect: default}\nforceSync: [{okta: listUsers}]\n":                                                              "t.yaml:4:8: entra: settings belong to an Entra scenario",
		"version: 1\nname: x\nsource: s\nforceSync: [{entra: fullCycle}]\n":                                                                                        "t.yaml:4:21: entra: macros belong to an Entra scenario",
		"version: 1\nname: x\nsource: s\nidp: entra\norg: {users: [{key: a, userName: a@b.example, active: false}]}\nforceSync: [{entra: fullCycle}]\n":            "t.yaml:5:55: Entra provisions the users in scope",
		"version: 1\nname: x\nsource: s\nidp: entra\norg: {users: [{key: a, userName: a@b.example, secondEmail: a@c.example}]}\nforceSync: [{entra: fullCycle}]\n": "t.yaml:5:60: secondEmail is an Okta profile attribute",
	} {
		if _, err := Parse("t.yaml", []byte(in)); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("input %q: error %v, want %q", in, err, want)
		}
	}
}

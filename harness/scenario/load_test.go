package scenario

import (
	"strings"
	"testing"
)

const good = `version: 1
name: ok
source: test
org:
  users:
    - {key: bob, userName: bob@partner.example, givenName: Bob, familyName: Brown}
  groups:
    - {key: g, members: [bob]}
provision:
  - okta: provision
forceSync:
  - forEach: users
    steps:
      - method: GET
        path: /Users/{{user.id}}
        capture: {bobBody: "$.emails[0].value"}
      - method: PUT
        path: /Users/{{users.bob.id}}
        echo: true
        profile: true
        body: {emails: [{value: "{{user.email | title}}", primary: true}], note: "{{bobBody}}"}
        expect: [200]
`

func TestParseGood(t *testing.T) {
	sc, err := Parse("good.yaml", []byte(good))
	if err != nil {
		t.Fatal(err)
	}
	if sc.Name != "ok" || len(sc.Org.Users) != 1 || sc.Org.Groups[0].DisplayName != "g" || len(sc.ForceSync[0].Steps) != 2 {
		t.Fatalf("parsed wrong: %+v", sc)
	}
	put := sc.ForceSync[0].Steps[1]
	if !put.Echo || !put.Profile || put.Pos.Line != 17 || put.Pos.Col != 9 {
		t.Fatalf("PUT step: %+v", put)
	}
}

func TestParseErrorsHaveFileLineColumn(t *testing.T) {
	cases := []struct {
		name, edit, want string
	}{
		{"invalid yaml", "forceSync:\n  - [", "bad.yaml:"},
		{"unknown key", "forceSync:\n  - method: GET\n    path: /Users\n    bogus: 1\n", "bad.yaml:14:5: unknown key \"bogus\""},
		{"bad method", "forceSync:\n  - method: FETCH\n    path: /Users\n", "bad.yaml:12:13: method \"FETCH\" is not one of"},
		{"path without slash", "forceSync:\n  - method: GET\n    path: Users\n", "bad.yaml:13:11: path \"Users\" must start with /"},
		{"unknown variable", "forceSync:\n  - method: GET\n    path: /Users/{{nope}}\n", "bad.yaml:13:11: {{nope}}: unknown variable"},
		{"user outside loop", "forceSync:\n  - method: GET\n    path: /Users/{{user.id}}\n", "only known inside forEach: users"},
		{"unknown user key", "forceSync:\n  - method: GET\n    path: /Users/{{users.zed.id}}\n", "no org user has key \"zed\""},
		{"bad capture", "forceSync:\n  - method: GET\n    path: /Users\n    capture: {x: id}\n", "bad.yaml:14:18: capture \"x\""},
		{"forEach without steps", "forceSync:\n  - forEach: users\n", "a forEach step needs steps:"},
		{"bad forEach", "forceSync:\n  - forEach: people\n    steps: []\n", "forEach must be users, groups or a list of keys"},
		{"unknown macro", "forceSync:\n  - okta: teleport\n", "unknown okta macro \"teleport\""},
		{"bad template", "forceSync:\n  - method: GET\n    path: /Users/{{user.id\n", "{{ without }}"},
		{"bad filter", "forceSync:\n  - forEach: users\n    steps:\n      - {method: GET, path: \"/Users/{{user.id | shout}}\"}\n", "unknown filter \"shout\""},
		{"bad expect", "forceSync:\n  - method: GET\n    path: /Users\n    expect: [abc]\n", "expect must be an integer"},
		{"empty forceSync", "forceSync: []\n", "forceSync has no steps"},
		{"profile outside loop", "forceSync:\n  - method: PUT\n    path: /Users/1\n    profile: true\n", "profile: needs a user"},
		{"echo on GET", "forceSync:\n  - method: GET\n    path: /Users/1\n    echo: true\n", "echo: only makes sense"},
	}
	head := good[:strings.Index(good, "forceSync:")]
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Parse("bad.yaml", []byte(head+c.edit))
			if err == nil {
				t.Fatalf("no error for:\n%s", c.edit)
			}
			if !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error %q does not contain %q", err, c.want)
			}
			if !strings.HasPrefix(err.Error(), "bad.yaml:") {
				t.Fatalf("error %q is not placed in its file", err)
			}
		})
	}
}

func TestParseTopLevelErrors(t *testing.T) {
	cases := map[string]string{
		"": "empty scenario file",
		"version: 2\nname: x\nsource: s\nforceSync: [{okta: listUsers}]\n":        "unsupported scenario version 2",
		"name: x\nsource: s\nforceSync: [{okta: listUsers}]\n":                    "missing key \"version\"",
		"version: 1\nsource: s\nforceSync: [{okta: listUsers}]\n":                 "missing key \"name\"",
		"version: 1\nname: x\nforceSync: [{okta: listUsers}]\n":                   "missing key \"source\"",
		"version: 1\nname: x\nsource: s\n":                                        "missing key \"forceSync\"",
		"version: 1\nname: Bad Name\nsource: s\nforceSync: [{okta: listUsers}]\n": "must be lower-case",
		"- a\n- b\n": "the scenario must be a mapping",
		"version: 1\nname: x\nsource: s\norg: {users: [{key: a, userName: a@x.example}, {key: a, userName: A@x.example}]}\nforceSync: [{okta: listUsers}]\n": "user key \"a\" is used twice",
		"version: 1\nname: x\nsource: s\norg: {groups: [{key: g, members: [ghost]}]}\nforceSync: [{okta: listUsers}]\n":                                      "member \"ghost\" is not an org user key",
	}
	for in, want := range cases {
		_, err := Parse("t.yaml", []byte(in))
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("input %q: error %v, want %q", in, err, want)
		}
	}
}

func TestTemplateValueAndFilters(t *testing.T) {
	look := func(ref []string) (any, error) {
		switch strings.Join(ref, ".") {
		case "user.email":
			return "bob@partner.example", nil
		case "group.members":
			return []any{map[string]any{"value": "1"}}, nil
		}
		return nil, nil
	}
	v, err := Render(map[string]any{"m": "{{group.members}}", "e": "{{user.email | title}}", "q": "{{user.email|url}}"}, look)
	if err != nil {
		t.Fatal(err)
	}
	m := v.(map[string]any)
	if _, ok := m["m"].([]any); !ok {
		t.Errorf("a lone placeholder keeps structure: %#v", m["m"])
	}
	if m["e"] != "Bob@Partner.Example" || m["q"] != "bob%40partner.example" {
		t.Errorf("filters: %#v", m)
	}
}

func TestJSONPath(t *testing.T) {
	doc := map[string]any{"Resources": []any{map[string]any{"id": "x", "a.b": 1}}}
	for path, want := range map[string]any{"$.Resources[0].id": "x", "$.Resources[0]['a.b']": 1} {
		p, err := ParseJSONPath(path)
		if err != nil {
			t.Fatal(err)
		}
		if got, ok := p.Get(doc); !ok || got != want {
			t.Errorf("%s = %v, want %v", path, got, want)
		}
	}
	for _, bad := range []string{"id", "$.", "$[x]", "$[0", "$x"} {
		if _, err := ParseJSONPath(bad); err == nil {
			t.Errorf("%q parsed", bad)
		}
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte(good))
	f.Add([]byte("version: 1\nname: x\nsource: s\nforceSync: [{okta: listUsers}]\n"))
	f.Add([]byte("a: [\n"))
	f.Add([]byte("*x"))
	f.Fuzz(func(t *testing.T, b []byte) {
		sc, err := Parse("fuzz.yaml", b)
		if err == nil && sc == nil {
			t.Fatal("nil scenario without error")
		}
		if err != nil && !strings.HasPrefix(err.Error(), "fuzz.yaml") {
			t.Fatalf("error not placed in its file: %v", err)
		}
	})
}

// TestParseErrorsOfRecordingsAndMacros covers the keys recordings and Okta macros add: each
// error is placed at file:line:column.
func TestParseErrorsOfRecordingsAndMacros(t *testing.T) {
	head := "version: 1\nname: x\nsource: s\norg:\n  users: [{key: bob, userName: bob@partner.example}]\n  groups: [{key: g, members: [bob]}]\n"
	cases := []struct{ name, body, want string }{
		{"bad rebind", "rebind: sometimes\nforceSync: [{okta: listUsers}]\n", "t.yaml:7:9: rebind must be auto or off"},
		{"rebind without responses", "rebind: auto\nforceSync: [{method: GET, path: /Users/1}]\n", "t.yaml:1:1: rebind: auto needs recorded responses"},
		{"response status", "forceSync:\n  - {method: GET, path: /Users/1, response: {status: 700}}\n", "t.yaml:8:54: response status 700 is not an HTTP status"},
		{"response key", "forceSync:\n  - {method: GET, path: /Users/1, response: {headers: {}}}\n", "unknown key \"headers\" in response"},
		{"response on macro", "forceSync:\n  - {okta: listUsers, response: {status: 200}}\n", "t.yaml:8:5: response: belongs to a step that sends one request"},
		{"unknown label", "labels: [group-push, shiny]\nforceSync: [{okta: listUsers}]\n", "t.yaml:7:22: unknown label \"shiny\""},
		{"bad custom label", "labels: [x-Shiny]\nforceSync: [{okta: listUsers}]\n", "unknown label \"x-Shiny\""},
		{"body on listUsers", "forceSync:\n  - {okta: listUsers, body: {a: 1}}\n", "t.yaml:8:29: okta: listUsers takes no body"},
		{"expect on listGroups", "forceSync:\n  - {okta: listGroups, expect: [200]}\n", "okta: listGroups takes no expect"},
		{"path on macro", "forceSync:\n  - {okta: assign, path: /Users}\n", "a step with okta: takes no method, path or forEach"},
		{"capture on macro", "forceSync:\n  - {okta: assign, capture: {a: $.id}}\n", "takes only name, and for assign body: and expect:"},
		{"assign in groups", "forceSync:\n  - forEach: groups\n    steps: [{okta: assign}]\n", "okta: assign assigns users"},
		{"provision in a loop", "forceSync:\n  - forEach: users\n    steps: [{okta: provision}]\n", "okta: provision works on the whole org and cannot run inside forEach"},
		{"assign body not a map", "forceSync:\n  - {okta: assign, body: [1]}\n", "overlays the user's profile and must be a mapping"},
		{"assign body template", "forceSync:\n  - {okta: assign, body: {userName: \"{{group.id}}\"}}\n", "only known inside forEach: groups"},
		{"secondEmail", "forceSync: [{okta: listUsers}]\n", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Parse("t.yaml", []byte(head+c.body))
			if c.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error %v, want %q", err, c.want)
			}
			if !strings.HasPrefix(err.Error(), "t.yaml:") {
				t.Fatalf("error %q is not placed in its file", err)
			}
		})
	}
	_, err := Parse("t.yaml", []byte("version: 1\nname: x\nsource: s\norg: {users: [{key: a, userName: a@b.example, secondEmail: nope}]}\nforceSync: [{okta: listUsers}]\n"))
	if err == nil || !strings.Contains(err.Error(), "t.yaml:4:60: secondEmail \"nope\" has no domain") {
		t.Fatalf("secondEmail: %v", err)
	}
}

func TestParseRecordingKeys(t *testing.T) {
	sc, err := Parse("r.yaml", []byte(`version: 1
name: r
source: s
labels: [imported, x-team-a]
rebind: auto
forceSync:
  - method: POST
    path: /Users
    body: {displayName: "{{not a template"}
    verbatim: true
    response: {status: 201, body: {id: "1", userName: a@b.example}}
`))
	if err != nil {
		t.Fatal(err)
	}
	st := sc.ForceSync[0]
	if sc.Rebind != RebindAuto || !st.Verbatim || st.Response == nil || st.Response.Status != 201 || st.Response.Body.(map[string]any)["id"] != "1" {
		t.Fatalf("%+v / %+v", sc, st)
	}
	if st.Response.Pos.Line != 11 {
		t.Errorf("response placed at %v", st.Response.Pos)
	}
}

func TestOrgIndexSurvivesHandEdits(t *testing.T) {
	o := Org{Users: []User{{Key: "a"}, {Key: "b"}}}
	o.Reindex()
	o.Users = append(o.Users, User{Key: "c"})
	o.Users[0], o.Users[1] = o.Users[1], o.Users[0]
	for _, k := range []string{"a", "b", "c"} {
		if u, ok := o.UserByKey(k); !ok || u.Key != k {
			t.Errorf("UserByKey(%q) = %+v, %t", k, u, ok)
		}
	}
	if _, ok := o.UserByKey("z"); ok {
		t.Error("found a user that is not there")
	}
}

// idp: says whose traffic a scenario holds: okta when the file does not say, entra, and
// nothing else, with the place of a bad value.
func TestParseIdP(t *testing.T) {
	for in, want := range map[string]string{
		"":             IdPOkta,
		"idp: okta\n":  IdPOkta,
		"idp: entra\n": IdPEntra,
	} {
		// (a plain request: okta: macros belong to Okta's scenarios only)
		sc, err := Parse("t.yaml", []byte("version: 1\nname: x\nsource: s\n"+in+"forceSync: [{method: GET, path: /Users}]\n"))
		if err != nil {
			t.Fatalf("%q: %v", in, err)
		}
		if sc.IdP != want {
			t.Errorf("%q: idp %q, want %q", in, sc.IdP, want)
		}
	}
	for in, want := range map[string]string{
		"idp: azure\n":            `t.yaml:4:6: idp must be okta or entra, not "azure"`,
		"idp: Entra\n":            `t.yaml:4:6: idp must be okta or entra, not "Entra"`,
		"idp: [entra]\n":          `t.yaml:4:6: idp must be a string, not a list`,
		"idp: okta\nidp: entra\n": `t.yaml:5:1: key "idp" given twice`,
	} {
		_, err := Parse("t.yaml", []byte("version: 1\nname: x\nsource: s\n"+in+"forceSync: [{okta: listUsers}]\n"))
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: error %v, want %q", in, err, want)
		}
	}
}

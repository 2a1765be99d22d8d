package entra_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/scimreplay/scimreplay/fakes/directory"
	"github.com/scimreplay/scimreplay/fakes/entra"
	"github.com/scimreplay/scimreplay/fakes/idp"
	"github.com/scimreplay/scimreplay/harness"
	"github.com/scimreplay/scimreplay/harness/scenario"
)

// sent is one request as the directory received it.
type sent struct {
	Method, Path, Query string
	Header              http.Header
	Body                any
}

// recorder serves a fresh reference directory in process and keeps every SCIM request it gets.
type recorder struct {
	mu   sync.Mutex
	reqs []sent
	srv  *httptest.Server
}

func newRecorder(t *testing.T, faults ...string) *recorder {
	t.Helper()
	d, err := directory.New(directory.Config{Token: "t0ken", VerifiedDomains: []string{"acme.example"}, Faults: faults})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(d.Close)
	rec := &recorder{}
	rec.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(b))
		s := sent{Method: r.Method, Path: strings.TrimPrefix(r.URL.Path, "/scim/v2"), Query: r.URL.RawQuery, Header: r.Header.Clone()}
		if len(b) > 0 {
			if err := json.Unmarshal(b, &s.Body); err != nil {
				t.Errorf("%s %s: body is not JSON: %s", r.Method, r.URL, b)
			}
		}
		if strings.HasPrefix(r.URL.Path, "/scim/v2") {
			rec.mu.Lock()
			rec.reqs = append(rec.reqs, s)
			rec.mu.Unlock()
		}
		d.ServeHTTP(w, r)
	}))
	t.Cleanup(rec.srv.Close)
	return rec
}

func (rec *recorder) client() *harness.Client {
	c := harness.NewClient(rec.srv.URL+"/scim/v2", "t0ken")
	c.Header = entra.Header()
	c.Timeout = 10 * time.Second
	return c
}

// entra returns what Entra sent, without the harness's snapshot reads (its paging listings and
// reads by id, neither of which Entra's macros send).
func (rec *recorder) entra() []sent {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	var out []sent
	for _, r := range rec.reqs {
		if r.Method == "GET" && (strings.Contains(r.Query, "startIndex=") || strings.Count(r.Path, "/") > 1) {
			continue
		}
		out = append(out, r)
	}
	return out
}

const org = `org:
  users:
    - {key: alice, userName: alice@acme.example, givenName: Alice, familyName: Archer}
    - {key: bob, userName: bob@partner.example, givenName: Bob, familyName: Brown}
  groups:
    - {key: jira-users, members: [alice, bob]}
`

func parse(t *testing.T, settings, forceSync string) *scenario.Scenario {
	t.Helper()
	sc, err := scenario.Parse("t.yaml", []byte("version: 1\nname: t\nsource: test\nidp: entra\n"+settings+org+"forceSync:\n"+forceSync))
	if err != nil {
		t.Fatal(err)
	}
	return sc
}

func replay(t *testing.T, rec *recorder, sc *scenario.Scenario, dialect string) *idp.Result {
	t.Helper()
	res, err := (&entra.Replayer{Client: rec.client(), Dialect: dialect}).Replay(context.Background(), sc, "run1", entra.Options{
		Probes:  harness.Probes{Link: harness.LinkProbe{Attribute: directory.ExtensionSchema + ":atlassianAccountId"}},
		Managed: harness.TargetSpec{VerifiedDomains: []string{"acme.example"}}.Classifier(),
	})
	if err != nil {
		t.Fatalf("replay: %v", err)
	}
	if !res.Diff.Empty() {
		t.Fatalf("the clean directory moved:\n%s", res.Diff.String())
	}
	return res
}

func filterOf(t *testing.T, s sent) string {
	t.Helper()
	q, err := url.ParseQuery(s.Query)
	if err != nil {
		t.Fatal(err)
	}
	return q.Get("filter")
}

func jsonOf(t *testing.T, doc string) any {
	t.Helper()
	var v any
	if err := json.Unmarshal([]byte(doc), &v); err != nil {
		t.Fatal(err)
	}
	return v
}

func same(t *testing.T, what string, got any, want string) {
	t.Helper()
	if w := jsonOf(t, want); !reflect.DeepEqual(got, w) {
		g, _ := json.Marshal(got)
		t.Errorf("%s:\n got %s\nwant %s", what, g, want)
	}
}

// The initial cycle sends Learn's shapes: the matching GET, Entra's create bodies, the group
// lookup without members, and one PATCH adding a group's members; no Okta header.
func TestProvisionSendsEntrasCreateBodies(t *testing.T) {
	rec := newRecorder(t)
	sc := parse(t, "", "  - entra: testConnection\n")
	res := replay(t, rec, sc, "")
	reqs := rec.entra()
	if got := filterOf(t, reqs[0]); got != `userName eq "alice@acme.example"` || reqs[0].Method != "GET" || reqs[0].Path != "/Users" {
		t.Errorf("first request %s %s?%s, want the matching GET", reqs[0].Method, reqs[0].Path, reqs[0].Query)
	}
	if !strings.Contains(reqs[0].Query, "%20eq%20") {
		t.Errorf("the filter's spaces are not %%20: %s", reqs[0].Query)
	}
	if ua := reqs[0].Header.Get("User-Agent"); strings.Contains(ua, "Okta") {
		t.Errorf("Entra's request carries Okta's User-Agent %q", ua)
	}
	same(t, "POST /Users", reqs[1].Body, `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],
		"externalId":"alice","userName":"alice@acme.example","active":true,"displayName":"Alice Archer",
		"emails":[{"primary":true,"type":"work","value":"alice@acme.example"}],"meta":{"resourceType":"User"},
		"name":{"formatted":"Alice Archer","familyName":"Archer","givenName":"Alice"},"roles":[]}`)
	look := reqs[4]
	if look.Path != "/Groups" || !strings.HasPrefix(look.Query, "excludedAttributes=members&filter=") || filterOf(t, look) != `displayName eq "jira-users"` {
		t.Errorf("group lookup %s?%s", look.Path, look.Query)
	}
	same(t, "POST /Groups", reqs[5].Body, `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group","http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group"],
		"externalId":"`+entra.GroupObjectID(sc.Org.Groups[0])+`","displayName":"jira-users","meta":{"resourceType":"Group"}}`)
	same(t, "PATCH members", reqs[6].Body, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[
		{"op":"Add","path":"members","value":[{"$ref":null,"value":"`+res.Run.UserIDs["alice"]+`"},{"$ref":null,"value":"`+res.Run.UserIDs["bob"]+`"}]}]}`)
	if len(reqs) < 8 || filterOf(t, reqs[7]) != `userName eq "`+entra.GUID("test-connection/run1/t")+`"` {
		t.Errorf("Test Connection: %+v", reqs[7:])
	}
}

// Restart provisioning's full cycle re-sends every mapped attribute of every user and group,
// and every member, in the default dialect: capitalised ops, active as "True".
func TestFullCycleDefaultDialect(t *testing.T) {
	rec := newRecorder(t)
	sc := parse(t, "", "  - entra: fullCycle\n")
	res := replay(t, rec, sc, "")
	reqs := rec.entra()
	var cycle []sent
	for i, r := range reqs {
		if r.Method == "GET" && r.Path == "/Users" && i > 0 && reqs[i-1].Method == "PATCH" && strings.HasPrefix(reqs[i-1].Path, "/Groups/") {
			cycle = reqs[i:]
			break
		}
	}
	var shapes []string
	for _, r := range cycle {
		shapes = append(shapes, r.Method+" "+r.Path)
	}
	alice, bob, g := res.Run.UserIDs["alice"], res.Run.UserIDs["bob"], res.Run.GroupIDs["jira-users"]
	want := []string{"GET /Users", "PATCH /Users/" + alice, "GET /Users", "PATCH /Users/" + bob, "GET /Groups", "PATCH /Groups/" + g, "PATCH /Groups/" + g}
	if !reflect.DeepEqual(shapes[:min(len(shapes), len(want))], want) {
		t.Fatalf("full cycle sent %v, want %v first", shapes, want)
	}
	same(t, "PATCH alice", cycle[1].Body, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[
		{"op":"Replace","path":"userName","value":"alice@acme.example"},
		{"op":"Replace","path":"active","value":"True"},
		{"op":"Replace","path":"displayName","value":"Alice Archer"},
		{"op":"Replace","path":"emails[type eq \"work\"].value","value":"alice@acme.example"},
		{"op":"Replace","path":"name.givenName","value":"Alice"},
		{"op":"Replace","path":"name.familyName","value":"Archer"},
		{"op":"Replace","path":"name.formatted","value":"Alice Archer"},
		{"op":"Replace","path":"externalId","value":"alice"}]}`)
	same(t, "PATCH group", cycle[5].Body, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[
		{"op":"Replace","path":"displayName","value":"jira-users"},
		{"op":"Replace","path":"externalId","value":"`+entra.GroupObjectID(sc.Org.Groups[0])+`"}]}`)
	same(t, "PATCH members", cycle[6].Body, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[
		{"op":"Add","path":"members","value":[{"$ref":null,"value":"`+alice+`"},{"$ref":null,"value":"`+bob+`"}]}]}`)
}

// With aadOptscim062020 the full cycle sends lower-case ops, the work email by its filtered path
// and the other attributes in one path-less replace with dotted keys and a JSON boolean.
func TestFullCycleFlagDialect(t *testing.T) {
	rec := newRecorder(t)
	sc := parse(t, "entra: {dialect: aadOptscim062020, matching: externalId}\n", "  - entra: fullCycle\n")
	res := replay(t, rec, sc, entra.DialectDefault) // the scenario's pin wins
	var patch *sent
	reqs := rec.entra()
	for i := len(reqs) - 1; i >= 0; i-- {
		if reqs[i].Path == "/Users/"+res.Run.UserIDs["bob"] && reqs[i].Method == "PATCH" {
			patch = &reqs[i]
			if f := filterOf(t, reqs[i-1]); f != `externalId eq "bob"` {
				t.Errorf("matching by externalId: the GET before bob's PATCH filters %q", f)
			}
			break
		}
	}
	if patch == nil {
		t.Fatal("no PATCH of bob")
	}
	same(t, "PATCH bob", patch.Body, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[
		{"op":"replace","path":"emails[type eq \"work\"].value","value":"bob@partner.example"},
		{"op":"replace","value":{"userName":"bob@partner.example","active":true,"displayName":"Bob Brown","name.givenName":"Bob",
			"name.familyName":"Brown","name.formatted":"Bob Brown","externalId":"bob"}}]}`)
}

// Incremental updates: soft delete and restore by active, and membership removal by value list
// (default) or filtered path (aadOptscim062020).
func TestIncrementalShapesInBothDialects(t *testing.T) {
	steps := `  - forEach: [bob]
    steps:
      - entra: softDelete
      - entra: restore
  - {entra: removeMembers, group: jira-users, members: [bob]}
  - {entra: addMembers, group: jira-users, members: [bob]}
`
	for _, c := range []struct {
		dialect              string
		softDelete, removeOp string
	}{
		{entra.DialectDefault, `{"op":"Replace","path":"active","value":"False"}`, `{"op":"Remove","path":"members","value":[{"$ref":null,"value":"%s"}]}`},
		{entra.DialectSCIM062020, `{"op":"replace","path":"active","value":false}`, `{"op":"remove","path":"members[value eq \"%s\"]"}`},
	} {
		t.Run(c.dialect, func(t *testing.T) {
			rec := newRecorder(t)
			sc := parse(t, "", steps)
			var res *idp.Result
			res = replay(t, rec, sc, c.dialect)
			var patches []sent
			for _, r := range rec.entra() {
				if r.Method == "PATCH" {
					patches = append(patches, r)
				}
			}
			n := len(patches)
			if n < 4 {
				t.Fatalf("%d PATCH requests", n)
			}
			bob := res.Run.UserIDs["bob"]
			same(t, "softDelete", patches[n-4].Body, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[`+c.softDelete+`]}`)
			same(t, "removeMembers", patches[n-2].Body, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[`+strings.ReplaceAll(c.removeOp, "%s", bob)+`]}`)
			if patches[n-4].Path != "/Users/"+bob || patches[n-2].Path != "/Groups/"+res.Run.GroupIDs["jira-users"] {
				t.Errorf("paths %s, %s", patches[n-4].Path, patches[n-2].Path)
			}
		})
	}
}

// A Test Connection that finds something, or a matching GET that finds two users, is a
// failure of the target; an Okta scenario is not Entra's to replay.
func TestTargetsEntraCannotUse(t *testing.T) {
	mux := http.NewServeMux()
	var users counter
	mux.HandleFunc("/scim/v2/Users", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/scim+json")
		if r.Method == "POST" {
			w.WriteHeader(201)
			io.WriteString(w, `{"id":"u`+users.next()+`"}`)
			return
		}
		io.WriteString(w, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:ListResponse"],"totalResults":2,"Resources":[{"id":"a"},{"id":"b"}]}`)
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()
	c := harness.NewClient(srv.URL+"/scim/v2", "t")
	for _, c2 := range []struct{ provision, want string }{
		{"provision: [{entra: testConnection}]\n", "Test Connection expects an empty ListResponse for a random GUID; the target listed 2 resources"},
		{"", "listed 2 resources for alice@acme.example: Entra matches one object"},
	} {
		sc := parse(t, c2.provision, "  - entra: fullCycle\n")
		_, err := (&entra.Replayer{Client: c}).Replay(context.Background(), sc, "r", entra.Options{})
		if err == nil || idp.IsCouldNotRun(err) || !strings.Contains(err.Error(), c2.want) {
			t.Errorf("err %v, want a failure of the target saying %q", err, c2.want)
		}
	}
	okta, _ := scenario.Parse("o.yaml", []byte("version: 1\nname: o\nsource: s\nforceSync: [{okta: listUsers}]\n"))
	if _, err := (&entra.Replayer{Client: c}).Replay(context.Background(), okta, "r", entra.Options{}); !idp.IsScenarioError(err) {
		t.Errorf("an Okta scenario: %v, want a scenario error", err)
	}
}

type counter struct {
	mu sync.Mutex
	n  int
}

func (a *counter) next() string {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.n++
	return string(rune('0' + a.n))
}

func TestParseDialect(t *testing.T) {
	for in, want := range map[string]string{"": "default", "default": "default", "aadOptscim062020": "aadOptscim062020"} {
		if got, err := entra.ParseDialect(in); err != nil || got != want {
			t.Errorf("%q: %q, %v", in, got, err)
		}
	}
	if _, err := entra.ParseDialect("AADOPTSCIM062020"); err == nil || !strings.Contains(err.Error(), "valid: default, aadOptscim062020") {
		t.Errorf("a wrong name: %v", err)
	}
}

// A PATCH the target refuses with 400 says which of Entra's own shapes it carried; a status
// error it stays.
func TestRefusedPatchNamesEntrasShapes(t *testing.T) {
	rec := newRecorder(t, "entra-op-case-sensitive")
	sc := parse(t, "provision: [{entra: provision}]\n", "  - entra: fullCycle\n")
	_, err := (&entra.Replayer{Client: rec.client()}).Replay(context.Background(), sc, "r", entra.Options{})
	var se *harness.StatusError
	if !errors.As(err, &se) || se.Got != 400 {
		t.Fatalf("err %v, want a 400 status error", err)
	}
	if want := `answered 400, Entra ID expects 204 or 200; body `; !strings.Contains(err.Error(), want) {
		t.Errorf("err %v lacks %q", err, want)
	}
	if want := `(the request carried Entra's capitalised ops (Add), members with "$ref": null)`; !strings.HasSuffix(err.Error(), want) {
		t.Errorf("err %v does not end %q", err, want)
	}
}

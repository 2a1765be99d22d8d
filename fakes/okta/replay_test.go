package okta_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jarcoal/httpmock"

	"github.com/scimreplay/scimreplay/fakes/okta"
	"github.com/scimreplay/scimreplay/harness"
	"github.com/scimreplay/scimreplay/harness/scenario"
)

const base = "http://scim.test/scim/v2"

// sent is one request as the mock saw it.
type sent struct {
	Method, Path, Query string
	Body                map[string]any
}

// mock is a per-test httpmock transport in a harness client. A request no responder matches
// fails the test.
type mock struct {
	t    *testing.T
	mt   *httpmock.MockTransport
	c    *harness.Client
	mu   sync.Mutex
	reqs []sent
}

func newMock(t *testing.T) *mock {
	t.Helper()
	m := &mock{t: t, mt: httpmock.NewMockTransport()}
	m.mt.RegisterNoResponder(func(r *http.Request) (*http.Response, error) {
		t.Errorf("unexpected request %s %s", r.Method, r.URL)
		return httpmock.NewStringResponse(599, "no responder"), nil
	})
	m.c = harness.NewClient(base, "tok-xyz")
	m.c.HTTP = &http.Client{Transport: m.mt}
	m.c.Timeout = 5 * time.Second
	return m
}

// on registers a responder for method and a path regexp under the SCIM base; it records every
// request it answers.
func (m *mock) on(method, pathRE string, fn func(s sent) (int, any)) {
	m.mt.RegisterRegexpResponder(method, regexp.MustCompile(`^`+regexp.QuoteMeta(base)+pathRE+`(\?.*)?$`), func(r *http.Request) (*http.Response, error) {
		s := sent{Method: r.Method, Path: strings.TrimPrefix(r.URL.Path, "/scim/v2"), Query: r.URL.RawQuery}
		if r.Body != nil {
			b, _ := io.ReadAll(r.Body)
			if len(b) > 0 {
				if err := json.Unmarshal(b, &s.Body); err != nil {
					m.t.Errorf("%s %s: body is not JSON: %s", r.Method, r.URL, b)
				}
			}
		}
		m.mu.Lock()
		m.reqs = append(m.reqs, s)
		m.mu.Unlock()
		status, body := fn(s)
		if body == nil {
			return httpmock.NewStringResponse(status, ""), nil
		}
		return httpmock.NewJsonResponse(status, body)
	})
}

func parse(t *testing.T, doc string) *scenario.Scenario {
	t.Helper()
	sc, err := scenario.Parse("t.yaml", []byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	return sc
}

func replayPhase(t *testing.T, m *mock, sc *scenario.Scenario, steps []scenario.Step, r *okta.Run) error {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	return (&okta.Replayer{Client: m.c}).Phase(ctx, r, "forceSync", steps)
}

const recorded = `version: 1
name: recorded
source: test
rebind: auto
provision:
  - method: POST
    path: /Users
    body: {userName: ann@acme.example, externalId: 00uann}
    response: {status: 201, body: {id: "1", userName: ann@acme.example}}
  - method: POST
    path: /Groups
    body: {displayName: "Group 1", members: []}
    response: {status: 201, body: {id: 2b9c, displayName: "Group 1"}}
  - method: GET
    path: /Users
    query: {startIndex: "1", count: "100"}
    response:
      status: 200
      body:
        totalResults: 2
        Resources:
          - {id: rec-zed, userName: ZED@acme.example}
          - {id: "1", userName: ann@acme.example}
forceSync:
  - method: PATCH
    path: /Groups/2b9c
    body:
      Operations:
        - {op: replace, value: {id: 2b9c, displayName: "Group 1"}}
        - {op: remove, path: 'members[value eq "rec-zed"]'}
        - {op: add, path: members, value: [{value: "1", display: ann@acme.example, $ref: "https://old.example/scim/v2/Users/1"}]}
  - method: GET
    path: /Users?filter=id%20eq%20%221%22&startIndex=1&count=100
  - method: GET
    path: /Users/rec-zed
    query: {filter: 'id eq "1"'}
  - method: PUT
    path: /Users/never-paired
    body: {id: never-paired, displayName: "{{not a template}}"}
    verbatim: true
`

// TestRebindAutoRewritesRecordedIDs replays a recording against a target that assigns other
// ids: recorded ids in paths, filters, PATCH paths, member values and $ref are rewritten to the
// live ones paired from the responses (a list by userName, whatever the case), and nothing
// else is touched: a startIndex of 1, a group called "Group 1", an id never paired.
func TestRebindAutoRewritesRecordedIDs(t *testing.T) {
	m := newMock(t)
	m.on("POST", "/Users", func(sent) (int, any) {
		return 201, map[string]any{"id": "live-ann", "userName": "ann@acme.example"}
	})
	m.on("POST", "/Groups", func(sent) (int, any) {
		return 201, map[string]any{"id": "live-g", "displayName": "Group 1"}
	})
	m.on("GET", "/Users", func(s sent) (int, any) {
		return 200, map[string]any{"totalResults": 2, "startIndex": 1, "itemsPerPage": 2, "Resources": []any{
			map[string]any{"id": "live-ann", "userName": "ann@acme.example"},
			map[string]any{"id": "live-zed", "userName": "zed@acme.example"},
		}}
	})
	m.on("PATCH", "/Groups/live-g", func(sent) (int, any) { return 204, nil })
	m.on("GET", "/Users/live-zed", func(sent) (int, any) { return 200, map[string]any{"id": "live-zed"} })
	m.on("PUT", "/Users/never-paired", func(sent) (int, any) { return 200, map[string]any{"id": "never-paired"} })

	sc := parse(t, recorded)
	r := okta.NewRun(sc, "t")
	if err := replayPhase(t, m, sc, sc.Provision, r); err != nil {
		t.Fatal(err)
	}
	if err := replayPhase(t, m, sc, sc.ForceSync, r); err != nil {
		t.Fatal(err)
	}
	for rec, live := range map[string]string{"1": "live-ann", "2b9c": "live-g", "rec-zed": "live-zed"} {
		if got, ok := r.Rebound(rec); !ok || got != live {
			t.Errorf("recorded %s re-bound to %q, want %s", rec, got, live)
		}
	}
	if len(m.reqs) != 7 {
		t.Fatalf("%d requests: %+v", len(m.reqs), m.reqs)
	}
	if q := m.reqs[2].Query; q != "startIndex=1&count=100" {
		t.Errorf("a startIndex of 1 was rewritten: %s", q)
	}
	patch := m.reqs[3].Body
	ops, _ := json.Marshal(patch["Operations"])
	for _, want := range []string{`"id":"live-g"`, `"displayName":"Group 1"`, `members[value eq \"live-zed\"]`, `"value":"live-ann"`, `"$ref":"https://old.example/scim/v2/Users/live-ann"`} {
		if !strings.Contains(string(ops), want) {
			t.Errorf("PATCH operations lack %s: %s", want, ops)
		}
	}
	if q := m.reqs[4].Query; q != "filter=id%20eq%20%22live-ann%22&startIndex=1&count=100" {
		t.Errorf("filter in the path not re-bound: %s", q)
	}
	if s := m.reqs[5]; s.Path != "/Users/live-zed" || s.Query != "filter=id%20eq%20%22live-ann%22" {
		t.Errorf("path and query: %+v", s)
	}
	if b := m.reqs[6].Body; b["displayName"] != "{{not a template}}" || b["id"] != "never-paired" {
		t.Errorf("verbatim body: %v", b)
	}
	scope := r.Scope()
	if fmt.Sprint(scope.UserIDs) != "[live-ann live-zed]" || fmt.Sprint(scope.GroupIDs) != "[live-g]" {
		t.Errorf("scope from re-bound ids: %+v", scope)
	}
	calls := m.mt.GetCallCountInfo()
	if calls["POST "+base+"/Users"] != 1 || m.mt.GetTotalCallCount() != 7 {
		t.Errorf("call counts: %v", calls)
	}
}

// TestEchoLaysOktaProfileOverTheLiveGET checks Okta's profile push: the PUT body is the body the
// target answered on GET (meta, display, extension attributes kept) with Okta's profile on top
// (emails, "groups": [], externalId), then the step's own body.
func TestEchoLaysOktaProfileOverTheLiveGET(t *testing.T) {
	m := newMock(t)
	got := map[string]any{
		"schemas": []any{"urn:ietf:params:scim:schemas:core:2.0:User"}, "id": "u-7", "userName": "bob@partner.example",
		"emails":  []any{map[string]any{"value": "bob@partner.example", "primary": true, "display": "Bob"}},
		"groups":  []any{map[string]any{"value": "g-1", "display": "jira-users"}},
		"meta":    map[string]any{"resourceType": "User", "version": `W/"3"`},
		"urn:ext": map[string]any{"accountId": "acct-bob"},
		"title":   "Engineer",
	}
	m.on("GET", "/Users/u-7", func(sent) (int, any) { return 200, got })
	m.on("PUT", "/Users/u-7", func(s sent) (int, any) { return 200, s.Body })
	m.on("POST", "/Users/.search", func(sent) (int, any) { return 200, map[string]any{} })
	sc := parse(t, `version: 1
name: echo
source: test
org:
  users: [{key: bob, userName: bob@partner.example, givenName: Bob, familyName: Brown}]
forceSync:
  - forEach: users
    steps:
      - {method: GET, path: "/Users/{{user.id}}"}
      - method: PUT
        path: /Users/{{user.id}}
        echo: true
        profile: true
        body: {title: null, nickName: "{{user.givenName | upper}}"}
`)
	r := okta.NewRun(sc, "t")
	r.UserIDs["bob"] = "u-7"
	if err := replayPhase(t, m, sc, sc.ForceSync, r); err != nil {
		t.Fatal(err)
	}
	put := m.reqs[1].Body
	want := map[string]any{
		"id": "u-7", "meta": got["meta"], "urn:ext": got["urn:ext"], "groups": []any{}, "active": true,
		"emails":     []any{map[string]any{"value": "bob@partner.example", "primary": true, "type": "work"}},
		"externalId": scenario.OktaID("bob"), "displayName": "Bob Brown", "nickName": "BOB", "locale": "en-US",
	}
	for k, v := range want {
		if fmt.Sprint(put[k]) != fmt.Sprint(v) {
			t.Errorf("PUT %s = %v, want %v", k, put[k], v)
		}
	}
	if _, ok := put["title"]; ok {
		t.Error("a null in the step body must remove the key")
	}
	// echo: without an earlier GET of the same path is a scenario error, not the target's fault.
	sc2 := parse(t, "version: 1\nname: e\nsource: s\nforceSync:\n  - {method: PUT, path: /Users/u-9, echo: true}\n")
	err := replayPhase(t, m, sc2, sc2.ForceSync, okta.NewRun(sc2, "t"))
	if !okta.IsScenarioError(err) || !strings.Contains(err.Error(), "t.yaml:5:5") {
		t.Fatalf("echo without GET: %v", err)
	}
	// A write to the path makes the GET's body stale: a second echo needs a GET of its own.
	sc3 := parse(t, `version: 1
name: e
source: s
forceSync:
  - {method: GET, path: /Users/u-7}
  - {method: PUT, path: /Users/u-7, echo: true}
  - {method: PUT, path: /Users/u-7, echo: true}
`)
	m.reqs = nil
	err = replayPhase(t, m, sc3, sc3.ForceSync, okta.NewRun(sc3, "t"))
	if !okta.IsScenarioError(err) || !strings.Contains(err.Error(), "t.yaml:7:5") || !strings.Contains(err.Error(), "since the last write") {
		t.Fatalf("an echo after a write without a GET: %v", err)
	}
	if len(m.reqs) != 2 {
		t.Fatalf("the GET and the first echo PUT are sent, the second is not: %d requests", len(m.reqs))
	}
}

// pages answers GET /Users from a list of ids, honouring startIndex and count, as a SCIM server
// pages; dupAt serves the id at that index again on the next page (unstable ordering).
func pages(ids []string, dupAt int) func(s sent) (int, any) {
	return func(s sent) (int, any) {
		q, _ := url.ParseQuery(s.Query)
		start, _ := strconv.Atoi(q.Get("startIndex"))
		count, _ := strconv.Atoi(q.Get("count"))
		var res []any
		for i := start - 1; i < len(ids) && i < start-1+count; i++ {
			id := ids[i]
			if dupAt > 0 && i == dupAt+1 {
				id = ids[dupAt]
			}
			res = append(res, map[string]any{"id": id})
		}
		return 200, map[string]any{"totalResults": len(ids), "startIndex": start, "itemsPerPage": len(res), "Resources": res}
	}
}

func TestListUsersPagesWithCount100(t *testing.T) {
	ids := make([]string, 250)
	for i := range ids {
		ids[i] = fmt.Sprintf("u-%03d", i)
	}
	sc := parse(t, "version: 1\nname: p\nsource: s\nforceSync: [{okta: listUsers}]\n")

	m := newMock(t)
	m.on("GET", "/Users", pages(ids, 0))
	r := okta.NewRun(sc, "t")
	r.UserIDs["last"] = "u-249"
	if err := replayPhase(t, m, sc, sc.ForceSync, r); err != nil {
		t.Fatal(err)
	}
	var qs []string
	for _, s := range m.reqs {
		q, _ := url.ParseQuery(s.Query)
		qs = append(qs, q.Get("startIndex")+"/"+q.Get("count"))
	}
	if fmt.Sprint(qs) != "[1/100 101/100 201/100]" {
		t.Errorf("paging (startIndex/count): %v", qs)
	}
	if n := m.mt.GetCallCountInfo()["GET =~^"+regexp.QuoteMeta(base)+`/Users(\?.*)?$`]; n != 3 {
		t.Errorf("%d calls, want 3: %v", n, m.mt.GetCallCountInfo())
	}

	// The same id on two pages fails the target (not the run).
	m = newMock(t)
	m.on("GET", "/Users", pages(ids, 99))
	err := replayPhase(t, m, sc, sc.ForceSync, okta.NewRun(sc, "t"))
	if err == nil || !strings.Contains(err.Error(), "served on two pages") || harness.IsCouldNotRun(err) {
		t.Fatalf("duplicate across pages: %v", err)
	}
	// A user the run created that no page lists fails it too.
	m = newMock(t)
	m.on("GET", "/Users", pages(ids[:150], 0))
	r = okta.NewRun(sc, "t")
	r.UserIDs["gone"] = "u-200"
	if err := replayPhase(t, m, sc, sc.ForceSync, r); err == nil || !strings.Contains(err.Error(), "on no page") {
		t.Fatalf("lost user: %v", err)
	}
}

// TestRequestTimeoutIsTheClients proves each request is bounded by harness.Client.Timeout,
// which the gate's --request-timeout sets (Okta waits 60 s).
func TestRequestTimeoutIsTheClients(t *testing.T) {
	m := newMock(t)
	m.mt.RegisterResponder("GET", base+"/Users/slow", func(r *http.Request) (*http.Response, error) {
		<-r.Context().Done()
		return nil, r.Context().Err()
	})
	m.c.Timeout = 50 * time.Millisecond
	sc := parse(t, "version: 1\nname: t\nsource: s\nforceSync: [{method: GET, path: /Users/slow}]\n")
	start := time.Now()
	err := replayPhase(t, m, sc, sc.ForceSync, okta.NewRun(sc, "t"))
	var te *harness.TransportError
	if !errors.As(err, &te) || !strings.Contains(err.Error(), "request timeout of 50ms") {
		t.Fatalf("err = %v", err)
	}
	if el := time.Since(start); el > 5*time.Second {
		t.Fatalf("took %s", el)
	}
}

func TestAssignLooksUpBeforeItCreates(t *testing.T) {
	sc := parse(t, `version: 1
name: a
source: s
org:
  users:
    - {key: erin, userName: Erin@acme.example}
    - {key: finn, userName: finn@acme.example}
forceSync:
  - okta: assign
    body: {userName: "{{user.userName | lower}}"}
`)
	m := newMock(t)
	m.on("GET", "/Users", func(s sent) (int, any) {
		if strings.Contains(s.Query, "erin") {
			return 200, map[string]any{"totalResults": 1, "startIndex": 1, "itemsPerPage": 1, "Resources": []any{map[string]any{"id": "live-erin"}}}
		}
		return 404, map[string]any{"schemas": []any{"urn:ietf:params:scim:api:messages:2.0:Error"}, "status": "404"}
	})
	m.on("POST", "/Users", func(s sent) (int, any) { return 201, map[string]any{"id": "live-finn"} })
	r := okta.NewRun(sc, "t")
	if err := replayPhase(t, m, sc, sc.ForceSync, r); err != nil {
		t.Fatal(err)
	}
	if r.UserIDs["erin"] != "live-erin" || r.UserIDs["finn"] != "live-finn" {
		t.Fatalf("ids %v", r.UserIDs)
	}
	if len(m.reqs) != 3 || m.reqs[0].Query != "filter=userName%20eq%20%22erin%40acme.example%22&startIndex=1&count=100" {
		t.Fatalf("requests %+v", m.reqs)
	}
	if post := m.reqs[2].Body; post["userName"] != "finn@acme.example" || post["password"] == nil || post["externalId"] != scenario.OktaID("finn") {
		t.Fatalf("POST body %v", post)
	}
}

// TestReplayIsDeterministic replays the same scenario twice against the same (mock) target and
// gets the same requests, bodies included, in the same order.
func TestReplayIsDeterministic(t *testing.T) {
	doc := `version: 1
name: d
source: s
org:
  users:
    - {key: a, userName: a@acme.example}
    - {key: b, userName: b@partner.example, secondEmail: b2@home.example}
    - {key: c, userName: c@partner.example}
  groups:
    - {key: g, members: [c, a, b]}
    - {key: h, members: [b]}
provision:
  - okta: provision
forceSync:
  - forEach: users
    steps:
      - {method: GET, path: "/Users/{{user.id}}"}
      - {method: PUT, path: "/Users/{{user.id}}", echo: true, profile: true}
  - forEach: groups
    steps:
      - method: PATCH
        path: /Groups/{{group.id}}
        body: {Operations: [{op: replace, value: {id: "{{group.id}}", displayName: "{{group.displayName}}"}}, {op: add, path: members, value: "{{group.members}}"}]}
`
	run := func() string {
		m := newMock(t)
		n := 0
		m.on("GET", "/Users", func(sent) (int, any) {
			return 200, map[string]any{"totalResults": 0, "startIndex": 1, "itemsPerPage": 0, "Resources": []any{}}
		})
		m.on("POST", "/(Users|Groups)", func(s sent) (int, any) {
			n++
			s.Body["id"] = fmt.Sprintf("id-%d", n)
			return 201, s.Body
		})
		m.on("GET", "/Users/[^/?]+", func(s sent) (int, any) {
			return 200, map[string]any{"id": strings.TrimPrefix(s.Path, "/Users/"), "meta": map[string]any{"version": "1"}}
		})
		m.on("PUT", "/Users/[^/?]+", func(s sent) (int, any) { return 200, s.Body })
		m.on("PATCH", "/Groups/[^/?]+", func(sent) (int, any) { return 204, nil })
		sc := parse(t, doc)
		r := okta.NewRun(sc, "t")
		if err := replayPhase(t, m, sc, sc.Provision, r); err != nil {
			t.Fatal(err)
		}
		if err := replayPhase(t, m, sc, sc.ForceSync, r); err != nil {
			t.Fatal(err)
		}
		b, _ := json.Marshal(m.reqs)
		return string(b)
	}
	first, second := run(), run()
	if first != second {
		t.Fatalf("two replays differ:\n%s\n%s", first, second)
	}
	if !strings.Contains(first, `{"display":"c@partner.example","value":"id-3"},{"display":"a@acme.example","value":"id-1"}`) {
		t.Errorf("group members not in the org's order: %s", first)
	}
}

// A body that cannot be encoded (YAML's .nan has no JSON form) is a problem of the scenario,
// placed at its step, and nothing is sent.
func TestUnencodableBodyIsAScenarioError(t *testing.T) {
	m := newMock(t)
	sc := parse(t, "version: 1\nname: n\nsource: s\nforceSync:\n  - {method: POST, path: /Users, body: {x: .nan}}\n")
	err := replayPhase(t, m, sc, sc.ForceSync, okta.NewRun(sc, "t"))
	if !okta.IsScenarioError(err) || !strings.Contains(err.Error(), "t.yaml:5:5") || !strings.Contains(err.Error(), "NaN") {
		t.Fatalf("a NaN body: %v", err)
	}
	if len(m.reqs) != 0 {
		t.Fatalf("%d requests sent for a body that cannot be encoded", len(m.reqs))
	}
}

// A recording replayed without the steps that created its resources (a force-sync-only
// recording on a fresh target) sends a recorded id no answer paired: that is the scenario's
// problem (the run could not be done), named at the step, not the target's.
func TestRebindUnpairedRecordedIDIsAScenarioError(t *testing.T) {
	sc := parse(t, `version: 1
name: r
source: test
rebind: auto
forceSync:
  - method: GET
    path: /Users/rec-ann
    response: {status: 200, body: {id: rec-ann, userName: ann@acme.example}}
`)
	m := newMock(t)
	err := replayPhase(t, m, sc, sc.ForceSync, okta.NewRun(sc, "t"))
	var se *okta.StepError
	if !okta.IsScenarioError(err) || !errors.As(err, &se) || se.Pos.Line != 6 || !strings.Contains(err.Error(), "the recording's id rec-ann is sent here, but no earlier answer of this target paired it") {
		t.Fatalf("got %v", err)
	}
	if len(m.reqs) != 0 {
		t.Fatalf("sent %+v", m.reqs)
	}
}

// Against a target that numbers ids 1, 2, 3… the live id of one user can be the recorded id of
// another. Each value is bound once: the recording's text is re-bound before templates are
// rendered, so a captured live id is never rewritten again.
func TestRebindBindsEachValueOnceWithSequentialIDs(t *testing.T) {
	sc := parse(t, `version: 1
name: r
source: test
rebind: auto
provision:
  - method: POST
    path: /Users
    body: {userName: ann@acme.example}
    response: {status: 201, body: {id: "1", userName: ann@acme.example}}
  - method: POST
    path: /Users
    body: {userName: bob@acme.example}
    response: {status: 201, body: {id: "2", userName: bob@acme.example}}
forceSync:
  - method: GET
    path: /Users/1
    capture: {annID: $.id}
  - method: PUT
    path: /Users/{{annID}}
    body: {id: "{{annID}}", userName: ann@acme.example, manager: {value: "1"}}
`)
	m := newMock(t)
	next := 1 // the live target already holds user 1: ann gets 2, bob 3
	m.on("POST", "/Users", func(sent) (int, any) {
		next++
		return 201, map[string]any{"id": strconv.Itoa(next)}
	})
	m.on("GET", `/Users/\d+`, func(s sent) (int, any) {
		return 200, map[string]any{"id": strings.TrimPrefix(s.Path, "/Users/")}
	})
	m.on("PUT", `/Users/\d+`, func(s sent) (int, any) { return 200, map[string]any{"id": "2"} })
	r := okta.NewRun(sc, "t")
	if err := replayPhase(t, m, sc, sc.Provision, r); err != nil {
		t.Fatal(err)
	}
	if err := replayPhase(t, m, sc, sc.ForceSync, r); err != nil {
		t.Fatal(err)
	}
	if got := m.reqs[2].Path; got != "/Users/2" {
		t.Fatalf("recorded /Users/1 went to %s, want ann's live id 2", got)
	}
	put := m.reqs[3]
	if put.Path != "/Users/2" || put.Body["id"] != "2" {
		t.Fatalf("the captured live id was bound a second time: %s %v", put.Path, put.Body)
	}
	if mgr, _ := put.Body["manager"].(map[string]any); mgr["value"] != "2" {
		t.Fatalf("a recorded id written in the body is re-bound once: %v", put.Body)
	}
}

// Okta's assignment of a user the lookup finds deactivated reactivates it (no POST); one the
// lookup does not find is POSTed, and a restoring server's 200 is accepted.
func TestAssignReactivatesWhatTheLookupFindsAndPostsOtherwise(t *testing.T) {
	sc := parse(t, `version: 1
name: a
source: s
org:
  users:
    - {key: erin, userName: erin@acme.example}
    - {key: finn, userName: finn@acme.example}
forceSync:
  - okta: assign
`)
	m := newMock(t)
	m.on("GET", "/Users", func(s sent) (int, any) {
		if strings.Contains(s.Query, "erin") {
			return 200, map[string]any{"totalResults": 1, "startIndex": 1, "itemsPerPage": 1, "Resources": []any{map[string]any{"id": "live-erin", "active": false}}}
		}
		return 200, map[string]any{"totalResults": 0, "startIndex": 1, "itemsPerPage": 0, "Resources": []any{}}
	})
	m.on("PATCH", "/Users/live-erin", func(s sent) (int, any) { return 204, nil })
	m.on("POST", "/Users", func(s sent) (int, any) { return 200, map[string]any{"id": "old-finn"} })
	r := okta.NewRun(sc, "t")
	if err := replayPhase(t, m, sc, sc.ForceSync, r); err != nil {
		t.Fatal(err)
	}
	if len(m.reqs) != 4 || m.reqs[1].Method != "PATCH" || m.reqs[3].Method != "POST" {
		t.Fatalf("requests %+v", m.reqs)
	}
	ops, _ := json.Marshal(m.reqs[1].Body["Operations"])
	if string(ops) != `[{"op":"replace","value":{"active":true}}]` {
		t.Fatalf("reactivation %s", ops)
	}
	if r.UserIDs["erin"] != "live-erin" || r.UserIDs["finn"] != "old-finn" {
		t.Fatalf("ids %v", r.UserIDs)
	}
}

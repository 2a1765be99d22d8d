package record_test

import (
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/scimreplay/scimreplay/fakes/directory"
	"github.com/scimreplay/scimreplay/fakes/okta"
	"github.com/scimreplay/scimreplay/fakes/reference"
	"github.com/scimreplay/scimreplay/harness"
	"github.com/scimreplay/scimreplay/harness/record"
	"github.com/scimreplay/scimreplay/harness/scenario"
	"github.com/scimreplay/scimreplay/scenarios"
)

const token = "srt_recordtest_4f1d2c9a8b7e6d5c"

// newDirectory serves a fresh reference directory with no fault.
func newDirectory(t *testing.T, variations ...string) *httptest.Server {
	t.Helper()
	d, err := directory.New(directory.Config{Token: token, VerifiedDomains: []string{reference.VerifiedDomain}, Variations: variations})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(d)
	t.Cleanup(srv.Close)
	return srv
}

func client(base string) *harness.Client {
	c := harness.NewClient(base, token)
	c.Timeout = 10 * time.Second
	return c
}

// state is a target's users and groups by name, ids left out: what two targets that were sent
// the same traffic must agree on.
type state struct {
	Users  map[string]string   // userName → externalId, active, emails, linked or not
	Groups map[string][]string // displayName → member userNames
}

func stateOf(t *testing.T, ctx context.Context, c *harness.Client) state {
	t.Helper()
	spec := reference.Target(nil, nil)
	snap, err := harness.TakeSnapshot(ctx, c, harness.Scope{}, harness.Probes{Link: spec.LinkProbe})
	if err != nil {
		t.Fatal(err)
	}
	st := state{Users: map[string]string{}, Groups: map[string][]string{}}
	byID := map[string]string{}
	for _, u := range snap.Users {
		byID[u.ID] = u.Key()
		st.Users[u.Key()] = fmt.Sprintf("ext=%s active=%t primary=%s emails=%v linked=%t", u.ExternalID, u.IsActive(), u.PrimaryEmail, u.Emails, u.Link != "")
	}
	for _, g := range snap.Groups {
		var ms []string
		for _, id := range g.Members {
			ms = append(ms, byID[id])
		}
		sort.Strings(ms)
		st.Groups[g.DisplayName] = ms
	}
	return st
}

func catalogue(t *testing.T, name string) *scenario.Scenario {
	t.Helper()
	scs, err := scenarios.Okta()
	if err != nil {
		t.Fatal(err)
	}
	for _, sc := range scs {
		if sc.Name == name {
			return sc
		}
	}
	t.Fatalf("no catalogue scenario %s", name)
	return nil
}

// TestRecordThenReplayReachesTheSameState drives catalogue scenarios through the recording
// proxy into one directory, writes the recording, replays it against a fresh directory and
// checks that both end in the same state, and that the replayed force sync moved nothing.
// burnID makes a sequential-ids directory skip an id (a group created and deleted), so the live
// ids of a replay are the recorded ones shifted by one: the live id of one resource is then the
// recorded id of another, and a value bound twice would show.
func burnID(t *testing.T, base string) {
	t.Helper()
	ctx := context.Background()
	c := client(base)
	resp, err := c.Do(ctx, http.MethodPost, "/Groups", []byte(`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"burn","members":[]}`), nil)
	if err != nil || resp.Status != http.StatusCreated {
		t.Fatalf("create: %v %v", resp, err)
	}
	var g struct{ ID string }
	if err := resp.JSON(&g); err != nil || g.ID == "" {
		t.Fatalf("group id: %v", err)
	}
	if resp, err = c.Do(ctx, http.MethodDelete, "/Groups/"+g.ID, nil, nil); err != nil || resp.Status != http.StatusNoContent {
		t.Fatalf("delete: %v %v", resp, err)
	}
}

func TestRecordThenReplayReachesTheSameState(t *testing.T) {
	for _, name := range []string{"identical-repush", "filtered-remove-add", "push-now-empty-list", "deactivate-reactivate-repost", "emails-reordered"} {
		for _, sequential := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/sequential-ids=%t", name, sequential), func(t *testing.T) {
				recordThenReplay(t, name, sequential)
			})
		}
	}
}

func recordThenReplay(t *testing.T, name string, sequential bool) {
	var variations []string
	if sequential {
		variations = []string{"sequential-ids"}
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	recorded := newDirectory(t, variations...)
	proxy, err := record.NewProxy(recorded.URL+"/scim/v2", 5*time.Second, record.PhaseProvision)
	if err != nil {
		t.Fatal(err)
	}
	front := httptest.NewServer(proxy)
	defer front.Close()

	sc := catalogue(t, name)
	p := &okta.Replayer{Client: client(front.URL)}
	run := okta.NewRun(sc, "rec")
	if err := p.Phase(ctx, run, "provision", sc.Provision); err != nil {
		t.Fatal(err)
	}
	resp, err := http.Post(front.URL+record.PhasePath+"forceSync", "text/plain", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNoContent {
		t.Fatalf("phase mark answered %d", resp.StatusCode)
	}
	for i := 0; i < sc.Repeat; i++ {
		if err := p.Phase(ctx, run, "forceSync", sc.ForceSync); err != nil {
			t.Fatal(err)
		}
	}
	exs, failed := proxy.Stop()
	if failed != 0 || len(exs) == 0 {
		t.Fatalf("%d exchanges recorded, %d failed", len(exs), failed)
	}
	out, _, err := record.Build(exs, record.Options{Name: "rec-" + name, Source: "recorded in a test", Labels: []string{"recorded"}})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(out), token) || strings.Contains(string(out), "Okta-Gen-") {
		t.Fatalf("the recording holds a secret:\n%s", out)
	}
	rsc, err := scenario.Parse("rec.yaml", out)
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if rsc.Rebind != scenario.RebindAuto || len(rsc.Provision) == 0 || len(rsc.ForceSync) == 0 {
		t.Fatalf("recording: rebind %q, %d provision and %d forceSync steps", rsc.Rebind, len(rsc.Provision), len(rsc.ForceSync))
	}

	fresh := newDirectory(t, variations...)
	if sequential {
		burnID(t, fresh.URL+"/scim/v2")
	}
	spec := reference.Target(nil, nil)
	rp := &okta.Replayer{Client: client(fresh.URL + "/scim/v2")}
	res, err := rp.Replay(ctx, rsc, "replay", okta.Options{Probes: harness.Probes{Link: spec.LinkProbe}, Managed: spec.Classifier()})
	if err != nil {
		t.Fatalf("replay: %v\n%s", err, out)
	}
	if d := res.Diff; !d.Empty() {
		t.Fatalf("the replayed force sync moved state:\n%s", d)
	}
	want, got := stateOf(t, ctx, client(recorded.URL+"/scim/v2")), stateOf(t, ctx, client(fresh.URL+"/scim/v2"))
	if len(want.Users) == 0 || !reflect.DeepEqual(want, got) {
		t.Fatalf("states differ:\nrecorded %+v\nreplayed %+v", want, got)
	}
}

// TestProxyRecordsGzippedAnswersAndRedacts checks what the proxy keeps of one exchange: the
// client gets the upstream's bytes, the recording the JSON inside them; no credential is kept.
func TestProxyRecordsGzippedAnswersAndRedacts(t *testing.T) {
	upstream := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/scim/v2/Users" || r.Header.Get("Authorization") != "Bearer "+token {
			t.Errorf("upstream got %s %s with %q", r.Method, r.URL, r.Header.Get("Authorization"))
		}
		w.Header().Set("Content-Encoding", "gzip")
		w.Header().Set("Content-Type", "application/scim+json")
		w.WriteHeader(http.StatusCreated)
		zw := gzip.NewWriter(w)
		fmt.Fprintf(zw, `{"id": "u-1", "userName": "ann@acme.example", "note": "%s", "meta": {"version": "1"}}`, token)
		zw.Close()
	}))
	defer upstream.Close()
	proxy, err := record.NewProxy(upstream.URL+"/scim/v2", time.Second, record.PhaseAuto)
	if err != nil {
		t.Fatal(err)
	}
	front := httptest.NewServer(proxy)
	defer front.Close()
	req, _ := http.NewRequest(http.MethodPost, front.URL+"/Users?access_token="+token+"&x=1", strings.NewReader(`{"userName": "ann@acme.example", "password": "hunter2-secret", "note": "`+token+`"}`))
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Cookie", "sid=cookie-secret-123")
	req.Header.Set("X-Api-Key", "key-secret-456")
	req.Header.Set("If-Match", `W/"1"`)
	req.Header.Set("Accept-Encoding", "gzip")
	resp, err := http.DefaultTransport.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 201 || resp.Header.Get("Content-Encoding") != "gzip" || len(raw) < 2 || raw[0] != 0x1f {
		t.Fatalf("client got %d %q %q", resp.StatusCode, resp.Header.Get("Content-Encoding"), raw)
	}
	exs, _ := proxy.Stop()
	if len(exs) != 1 {
		t.Fatalf("%d exchanges", len(exs))
	}
	ex := exs[0]
	dump := fmt.Sprintf("%+v %s %s", ex, ex.ReqBody, ex.RespBody)
	for _, secret := range []string{token, "hunter2-secret", "cookie-secret-123", "key-secret-456"} {
		if strings.Contains(dump, secret) {
			t.Errorf("the exchange keeps %q: %s", secret, dump)
		}
	}
	if string(ex.RespBody) != `{"id":"u-1","userName":"ann@acme.example"}` {
		t.Errorf("recorded response %s", ex.RespBody)
	}
	if ex.Header.Get("If-Match") != `W/"1"` || len(ex.Header) != 1 {
		t.Errorf("kept headers %v", ex.Header)
	}
	if fmt.Sprint(ex.Query) != "[{access_token [REDACTED]} {x 1}]" {
		t.Errorf("query %v", ex.Query)
	}
}

func TestPseudonymiserIsConsistentAndKeepsCase(t *testing.T) {
	exs := []record.Exchange{
		{Method: "POST", Path: "/Users", ReqBody: []byte(`{"userName":"Bob.Brown@Partner.example","name":{"givenName":"Bob","familyName":"Brown"},"displayName":"Bob Brown","emails":[{"value":"bob.brown@partner.example"}]}`),
			Status: 201, RespBody: []byte(`{"id":"1","userName":"Bob.Brown@Partner.example"}`)},
		{Method: "GET", Path: "/Users", Query: []scenario.KV{{Key: "filter", Value: `userName eq "BOB.BROWN@partner.example"`}}, Status: 200},
		{Method: "PATCH", Path: "/Groups/g", ReqBody: []byte(`{"Operations":[{"op":"add","path":"members","value":[{"value":"1","display":"Bob Brown"}]}],"displayName":"Brown team"}`), Status: 204},
		{Method: "PUT", Path: "/Users/1", ReqBody: []byte(`{"urn:ext":{"accountId":"acct-carol"},"emails":[{"value":"carol@x.example"}]}`), Status: 200},
	}
	record.Pseudonymise(exs)
	all := ""
	for _, ex := range exs {
		all += ex.Path + fmt.Sprint(ex.Query) + string(ex.ReqBody) + string(ex.RespBody)
	}
	for _, real := range []string{"bob", "Bob", "BOB", "Brown", "brown", "carol"} {
		if strings.Contains(all, real) {
			t.Errorf("%q survives: %s", real, all)
		}
	}
	for _, want := range []string{`"userName":"Person001@Partner.example"`, `"value":"person001@partner.example"`, `PERSON001@partner.example`, `acct-person002`} {
		if !strings.Contains(all, want) {
			t.Errorf("want %s in %s", want, all)
		}
	}
	// The same name word is the same pseudonym wherever it is.
	var post, patch struct {
		Name        struct{ GivenName, FamilyName string }
		DisplayName string
		Operations  []struct{ Value []struct{ Display string } }
	}
	if err := json.Unmarshal(exs[0].ReqBody, &post); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(exs[2].ReqBody, &patch); err != nil {
		t.Fatal(err)
	}
	full := post.Name.GivenName + " " + post.Name.FamilyName
	if post.DisplayName != full || patch.Operations[0].Value[0].Display != full || patch.DisplayName != post.Name.FamilyName+" team" {
		t.Errorf("names not consistent: %q / %q / %q / %q", full, post.DisplayName, patch.Operations[0].Value[0].Display, patch.DisplayName)
	}
}

func patchEx(path string, ops ...map[string]any) record.Exchange {
	body, _ := json.Marshal(map[string]any{"schemas": []string{okta.SchemaPatchOp}, "Operations": ops})
	return record.Exchange{Method: http.MethodPatch, Path: path, ReqBody: body, Status: 204}
}

// DetectIdP tells Okta's traffic from Entra's by the User-Agent and by shapes only one of them
// sends, Entra's flag dialect (aadOptscim062020: lower-case ops, booleans) included, and says
// okta, the format's default, when nothing tells.
func TestDetectIdP(t *testing.T) {
	lookup := func(ua, filter string, total int, extra ...scenario.KV) record.Exchange {
		return record.Exchange{Method: http.MethodGet, Path: "/Users", UserAgent: ua, Status: 200,
			Query: append([]scenario.KV{{Key: "filter", Value: filter}}, extra...), RespBody: []byte(fmt.Sprintf(`{"totalResults":%d}`, total))}
	}
	for _, c := range []struct {
		name  string
		exs   []record.Exchange
		idp   string
		mixed bool
		why   string
	}{
		{"nothing tells", []record.Exchange{{Method: http.MethodGet, Path: "/Users/1", Status: 200}}, scenario.IdPOkta, false, "the scenario format's default"},
		{"Okta's User-Agent", []record.Exchange{lookup(harness.OktaUserAgent, `userName eq "a@x.example"`, 0)}, scenario.IdPOkta, false, `User-Agent "Okta SCIM Client 1.0.0"`},
		{"Okta's shapes", []record.Exchange{
			lookup("", `userName eq "a@x.example"`, 0, scenario.KV{Key: "startIndex", Value: "1"}, scenario.KV{Key: "count", Value: "100"}),
			{Method: http.MethodPut, Path: "/Users/1", ReqBody: []byte(`{"userName":"a@x.example","groups":[]}`), Status: 200},
			patchEx("/Groups/g", map[string]any{"op": "replace", "value": map[string]any{"id": "g", "displayName": "G"}}),
		}, scenario.IdPOkta, false, `a full PUT /Users carrying "groups"`},
		{"a User-Agent naming Azure", []record.Exchange{lookup("Azure-AD-SCIM-Provisioning/1.0", `userName eq "a@x.example"`, 1)}, scenario.IdPEntra, false, `User-Agent "Azure-AD-SCIM-Provisioning/1.0"`},
		{"Entra's default dialect", []record.Exchange{
			lookup("", `externalId eq "8f14e45f-ceea-467f-a8d3-6e1b2c3d4e5f"`, 0),
			patchEx("/Users/1", map[string]any{"op": "Replace", "path": "active", "value": "False"}),
			patchEx("/Groups/g", map[string]any{"op": "Remove", "path": "members", "value": []any{map[string]any{"$ref": nil, "value": "1"}}}),
		}, scenario.IdPEntra, false, `PATCH ops in capitals ("Remove", "Replace")`},
		{"Entra's aadOptscim062020 dialect", []record.Exchange{
			{Method: http.MethodGet, Path: "/Groups/g", Query: []scenario.KV{{Key: "excludedAttributes", Value: "members"}}, Status: 200},
			patchEx("/Users/1", map[string]any{"op": "replace", "value": map[string]any{"name.givenName": "Kkom", "active": false}}),
			patchEx("/Users/1", map[string]any{"op": "replace", "path": `emails[type eq "work"].value`, "value": "a@x.example"}),
		}, scenario.IdPEntra, false, "a pathless PATCH value with dotted keys"},
		{"a found GUID is no test connection", []record.Exchange{lookup("", `externalId eq "8f14e45f-ceea-467f-a8d3-6e1b2c3d4e5f"`, 1)}, scenario.IdPOkta, false, "default"},
		{"the User-Agent outranks shapes", []record.Exchange{
			lookup(harness.OktaUserAgent, `userName eq "a@x.example"`, 0),
			patchEx("/Users/1", map[string]any{"op": "Replace", "path": "active", "value": "False"}),
		}, scenario.IdPOkta, true, "User-Agent"},
	} {
		t.Run(c.name, func(t *testing.T) {
			d := record.DetectIdP(c.exs)
			if d.IdP != c.idp || d.Mixed != c.mixed || !strings.Contains(d.String(), c.why) {
				t.Errorf("%+v, want %s (mixed %t) told by %q", d, c.idp, c.mixed, c.why)
			}
		})
	}
}

// Traffic recorded by the proxy keeps its User-Agent for DetectIdP (never replayed), and Entra's
// traffic through it is written as an Entra scenario that loads.
func TestProxyRecordsEntraTraffic(t *testing.T) {
	up := newDirectory(t)
	p, err := record.NewProxy(up.URL+"/scim/v2", 5*time.Second, record.PhaseProvision)
	if err != nil {
		t.Fatal(err)
	}
	front := httptest.NewServer(p)
	defer front.Close()
	const ua = "Azure AD SCIM client (test)"
	send := func(method, path, body string) map[string]any {
		t.Helper()
		req, _ := http.NewRequest(method, front.URL+path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+token)
		req.Header.Set("User-Agent", ua)
		req.Header.Set("Content-Type", "application/scim+json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var doc map[string]any
		json.NewDecoder(resp.Body).Decode(&doc)
		if resp.StatusCode/100 != 2 {
			t.Fatalf("%s %s: %d %v", method, path, resp.StatusCode, doc)
		}
		return doc
	}
	send(http.MethodGet, `/Users?filter=externalId%20eq%20%228f14e45f-ceea-467f-a8d3-6e1b2c3d4e5f%22`, "")
	u := send(http.MethodPost, "/Users", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"jane@acme.example","externalId":"jane","active":true}`)
	if _, err := http.Post(front.URL+record.PhasePath+"restart-provisioning", "", nil); err != nil {
		t.Fatal(err)
	}
	send(http.MethodPatch, "/Users/"+u["id"].(string), `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"Replace","path":"active","value":"True"}]}`)
	exs, _ := p.Stop()
	if len(exs) != 3 || exs[0].UserAgent != ua {
		t.Fatalf("%d exchanges, User-Agent %q", len(exs), exs[0].UserAgent)
	}
	out, _, err := record.Build(exs, record.Options{Name: "entra-recorded", Source: "test"})
	if err != nil {
		t.Fatal(err)
	}
	sc, err := scenario.Parse("r.yaml", out)
	if err != nil {
		t.Fatal(err)
	}
	if sc.IdP != scenario.IdPEntra || len(sc.ForceSync) != 1 || strings.Contains(string(out), "User-Agent:") {
		t.Errorf("idp %q, %d forceSync steps, or a User-Agent to replay:\n%s", sc.IdP, len(sc.ForceSync), out)
	}
}

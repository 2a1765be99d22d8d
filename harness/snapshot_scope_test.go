package harness

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"reflect"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jarcoal/httpmock"

	"github.com/scimreplay/scimreplay/fakes/directory"
)

const (
	scopeToken = "scope-token-123456"
	linkAttr   = directory.ExtensionSchema + ":atlassianAccountId"
)

// sharedServer is a reference directory serving many users besides a scenario's, behind a
// handler that counts the SCIM requests and can change how filters are answered.
type sharedServer struct {
	d        *directory.Directory
	c        *Client
	requests atomic.Int64
	// filters: "" answers them; "refuse" answers 400 invalidFilter; "ignore" drops the filter.
	filters string
	scope   Scope
	members map[string][]string // the scenario's groups: id -> member ids, sorted
}

// newSharedServer starts a directory holding others users and otherGroups groups of other
// people (seeded without a socket), and a scenario's 10 users and 2 groups, created over HTTP as
// a scenario would.
func newSharedServer(t *testing.T, others, otherGroups int, cfg directory.Config) *sharedServer {
	t.Helper()
	cfg.Token, cfg.VerifiedDomains = scopeToken, []string{"acme.example"}
	d, err := directory.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(d.Close)
	for i := range others {
		body := fmt.Sprintf(`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"other%05d@elsewhere.example","emails":[{"value":"other%05d@elsewhere.example","primary":true}]}`, i, i)
		req := httptest.NewRequest(http.MethodPost, "/scim/v2/Users", strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+scopeToken)
		req.Header.Set("Content-Type", "application/scim+json")
		rec := httptest.NewRecorder()
		d.ServeHTTP(rec, req)
		if rec.Code != http.StatusCreated {
			t.Fatalf("seed user %d: %d %s", i, rec.Code, rec.Body)
		}
	}
	for i := range otherGroups {
		body := fmt.Sprintf(`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"other-group-%04d"}`, i)
		req := httptest.NewRequest(http.MethodPost, "/scim/v2/Groups", strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+scopeToken)
		req.Header.Set("Content-Type", "application/scim+json")
		rec := httptest.NewRecorder()
		d.ServeHTTP(rec, req)
		if rec.Code != http.StatusCreated {
			t.Fatalf("seed group %d: %d %s", i, rec.Code, rec.Body)
		}
	}
	s := &sharedServer{d: d, members: map[string][]string{}}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/scim/") {
			s.requests.Add(1)
		}
		if q := r.URL.Query(); q.Has("filter") {
			switch s.filters {
			case "refuse":
				w.Header().Set("Content-Type", "application/scim+json")
				w.WriteHeader(http.StatusBadRequest)
				fmt.Fprint(w, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:Error"],"status":"400","scimType":"invalidFilter"}`)
				return
			case "ignore":
				q.Del("filter")
				r.URL.RawQuery = q.Encode()
			}
		}
		d.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	s.c = NewClient(srv.URL+"/scim/v2", scopeToken)
	ctx := context.Background()
	var ids []string
	for i := range 10 {
		domain := "acme.example"
		if i%3 == 0 {
			domain = "partner.example"
		}
		name := fmt.Sprintf("Person%02d@%s", i, domain)
		resp, err := s.c.Do(ctx, http.MethodPost, "/Users", fmt.Appendf(nil,
			`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":%q,"externalId":"00u%02d","emails":[{"value":%q,"primary":true}]}`, name, i, name), nil)
		if err != nil || resp.Status != http.StatusCreated {
			t.Fatalf("create %s: %v %v", name, resp, err)
		}
		id := idOfBody(t, resp.Body)
		ids = append(ids, id)
		s.scope.UserNames = append(s.scope.UserNames, name)
		s.scope.UserIDs = append(s.scope.UserIDs, id)
	}
	for g, members := range [][]string{ids[:6], ids[4:]} {
		name := fmt.Sprintf("Team-%d", g)
		var ms []string
		for _, id := range members {
			ms = append(ms, fmt.Sprintf(`{"value":%q}`, id))
		}
		resp, err := s.c.Do(ctx, http.MethodPost, "/Groups", fmt.Appendf(nil,
			`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":%q,"members":[%s]}`, name, strings.Join(ms, ",")), nil)
		if err != nil || resp.Status != http.StatusCreated {
			t.Fatalf("create %s: %v %v", name, resp, err)
		}
		gid := idOfBody(t, resp.Body)
		s.scope.GroupNames = append(s.scope.GroupNames, name)
		s.scope.GroupIDs = append(s.scope.GroupIDs, gid)
		s.members[gid] = slices.Sorted(slices.Values(members))
	}
	return s
}

func idOfBody(t *testing.T, body []byte) string {
	t.Helper()
	var v struct{ ID string }
	if err := (&Response{Body: body}).JSON(&v); err != nil || v.ID == "" {
		t.Fatalf("no id in %s: %v", body, err)
	}
	return v.ID
}

var sharedProbes = Probes{Link: LinkProbe{Attribute: linkAttr}, Audit: AuditProbe{Path: "/admin/audit?type=unlink", Pattern: directory.UnlinkAuditPattern}}

// snap takes a snapshot of the scenario's scope and counts the SCIM requests it sent.
func (s *sharedServer) snap(t *testing.T) (*Snapshot, int64) {
	t.Helper()
	before := s.requests.Load()
	snap, err := TakeSnapshot(context.Background(), s.c, s.scope, sharedProbes)
	if err != nil {
		t.Fatal(err)
	}
	return snap, s.requests.Load() - before
}

// paged is the snapshot of the scope as paging through the whole server reads it.
func (s *sharedServer) paged(t *testing.T) *Snapshot {
	t.Helper()
	ctx := context.Background()
	snap := &Snapshot{}
	if _, err := pageUsers(ctx, s.c, s.scope, splitAttrPath(linkAttr), snap, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := pageGroups(ctx, s.c, s.scope, snap, nil); err != nil {
		t.Fatal(err)
	}
	sortSnapshot(snap)
	return snap
}

// sameState fails the test unless two snapshots hold the same users and groups.
func sameState(t *testing.T, got, want *Snapshot) {
	t.Helper()
	if !reflect.DeepEqual(got.Users, want.Users) || !reflect.DeepEqual(got.Groups, want.Groups) {
		t.Fatalf("snapshot\n%+v\n%+v\nwant, as paging reads it,\n%+v\n%+v", got.Users, got.Groups, want.Users, want.Groups)
	}
}

// On a shared server of 20,000 other users and 2,000 groups, a scenario of 10 users and 2 groups
// is read with requests in proportion to the scenario, not to the server (201 pages of users, 21
// of groups), and to the same state as paging reads; the coverage says how it was read.
func TestSnapshotOfASmallScopeOnALargeServerSendsRequestsForTheScope(t *testing.T) {
	s := newSharedServer(t, 20000, 2000, directory.Config{})
	snap, requests := s.snap(t)
	if len(snap.Users) != 10 || len(snap.Groups) != 2 || snap.Memberships() != 12 || snap.Linked() != 10 {
		t.Fatalf("snapshot of %d users (%d linked), %d groups with %d memberships; want 10 (10), 2 and 12",
			len(snap.Users), snap.Linked(), len(snap.Groups), snap.Memberships())
	}
	// The state is the scenario's (paging 20k users to compare, as the smaller servers below do,
	// would take this test seconds).
	for i, u := range snap.Users {
		name := s.scope.UserNames[i]
		if u.ID != s.scope.UserIDs[i] || u.UserName != name || u.ExternalID != fmt.Sprintf("00u%02d", i) ||
			u.PrimaryEmail != strings.ToLower(name) || !u.IsActive() || !strings.HasPrefix(u.Link, "acct-") {
			t.Errorf("user %d read as %+v", i, u)
		}
	}
	for i, g := range snap.Groups {
		if g.ID != s.scope.GroupIDs[i] || g.DisplayName != s.scope.GroupNames[i] || !slices.Equal(g.Members, s.members[g.ID]) || g.ReadByID {
			t.Errorf("group %d read as %+v, members want %v", i, g, s.members[g.ID])
		}
	}
	// A first page of each listing, a filter per name, one case check each: 1+10+1 + 1+2+1.
	if requests != 16 {
		t.Errorf("the snapshot sent %d SCIM requests, want 16 (the server's users take 201 pages, groups 21)", requests)
	}
	if snap.UsersRead != ReadByScope || snap.GroupsRead != ReadByScope || snap.Fallback != "" {
		t.Errorf("read %q / %q, fallback %q; want both %q", snap.UsersRead, snap.GroupsRead, snap.Fallback, ReadByScope)
	}
	cov := NewCoverage(snap, sharedProbes, nil)
	if !strings.Contains(cov.String(), "; users and groups read by filter and id;") || !strings.Contains(cov.Short(), ", read by filter and id") {
		t.Errorf("coverage %q / %q does not say the scope was read by filter and id", cov, cov.Short())
	}
	// The server's own scale does not show: a scope of 3 users costs 3 filters, not 10.
	small := s.scope
	small.UserNames, small.UserIDs = small.UserNames[:3], small.UserIDs[:3]
	before := s.requests.Load()
	three, err := TakeSnapshot(context.Background(), s.c, Scope{UserNames: small.UserNames, UserIDs: small.UserIDs}, Probes{})
	if err != nil {
		t.Fatal(err)
	}
	if got := s.requests.Load() - before; got != 1+3+1+1 {
		t.Errorf("a scope of 3 users sent %d requests, want 6 (first pages of users and groups, 3 filters, 1 case check)", got)
	}
	if len(three.Users) != 3 || three.UsersRead != ReadByScope {
		t.Errorf("the scope of 3 users: %d users read %q", len(three.Users), three.UsersRead)
	}
}

// A scope about as large as the server is paged: fewer requests than one per resource.
func TestSnapshotPagesAScopeAsLargeAsTheServer(t *testing.T) {
	s := newSharedServer(t, 150, 15, directory.Config{})
	snap, requests := s.snap(t)
	if snap.UsersRead != ReadPaged || snap.GroupsRead != ReadPaged || snap.Fallback != "" {
		t.Errorf("read %q / %q (%q): 160 users in 2 pages, 11 requests by scope; want paging", snap.UsersRead, snap.GroupsRead, snap.Fallback)
	}
	if requests != 3 {
		t.Errorf("%d requests, want 3 pages (2 of users, 1 of groups)", requests)
	}
	sameState(t, snap, s.paged(t))
	if cov := NewCoverage(snap, sharedProbes, nil); !strings.Contains(cov.String(), "users and groups read page by page") || strings.Contains(cov.Short(), "read") {
		t.Errorf("coverage %q / %q", cov, cov.Short())
	}
}

// A server that refuses the filters, or ignores them, is paged, and the coverage says why.
func TestSnapshotFallsBackToPagingWhereFiltersFail(t *testing.T) {
	s := newSharedServer(t, 2000, 400, directory.Config{})
	want := s.paged(t)
	if snap, _ := s.snap(t); snap.UsersRead != ReadByScope || snap.GroupsRead != ReadByScope {
		t.Fatalf("with filters answered: read %q / %q (%q), want by scope", snap.UsersRead, snap.GroupsRead, snap.Fallback)
	} else {
		sameState(t, snap, want)
	}
	for mode, why := range map[string]string{
		"refuse": `GET /Users?filter=userName eq "person`,
		"ignore": "the target does not apply the filter",
	} {
		t.Run(mode, func(t *testing.T) {
			s.filters = mode
			defer func() { s.filters = "" }()
			snap, requests := s.snap(t)
			if snap.UsersRead != ReadPaged || snap.GroupsRead != ReadPaged || !strings.Contains(snap.Fallback, why) {
				t.Fatalf("read %q / %q, fallback %q; want paging, saying %q", snap.UsersRead, snap.GroupsRead, snap.Fallback, why)
			}
			if mode == "refuse" && !strings.Contains(snap.Fallback, "answered 400") {
				t.Errorf("fallback %q does not say the filter answered 400", snap.Fallback)
			}
			sameState(t, snap, want)
			if requests < 21+5 {
				t.Errorf("%d requests: paging 2010 users and 402 groups takes 26 pages", requests)
			}
			cov := NewCoverage(snap, sharedProbes, nil)
			if !strings.Contains(cov.String(), "users and groups read page by page (GET /Users?filter=") || !strings.Contains(cov.String(), why) ||
				!strings.Contains(cov.Short(), "paged: a filter was refused") {
				t.Errorf("coverage %q / %q does not say why it paged", cov, cov.Short())
			}
		})
	}
}

// A userName filter that tells case apart would miss a duplicate the server stored under a
// case-changed userName (lookup-case-sensitive: Okta's lookup misses and it POSTs again): the
// users are paged, and the duplicate is in the snapshot; the groups still go by filter.
func TestSnapshotPagesUsersWhenTheUserNameFilterTellsCaseApart(t *testing.T) {
	s := newSharedServer(t, 2000, 400, directory.Config{Faults: []string{"lookup-case-sensitive"}})
	resp, err := s.c.Do(context.Background(), http.MethodPost, "/Users", []byte(
		`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"person01@ACME.example","emails":[{"value":"person01@acme.example","primary":true}]}`), nil)
	if err != nil || resp.Status != http.StatusCreated {
		t.Fatalf("the duplicate: %v %v", resp, err)
	}
	snap, _ := s.snap(t)
	if snap.UsersRead != ReadPaged || snap.GroupsRead != ReadByScope || !strings.Contains(snap.Fallback, "tells case apart") {
		t.Fatalf("read %q / %q, fallback %q; want users paged as the filter tells case apart, groups by filter", snap.UsersRead, snap.GroupsRead, snap.Fallback)
	}
	dups := 0
	for _, u := range snap.Users {
		if u.Key() == "person01@acme.example" {
			dups++
		}
	}
	if len(snap.Users) != 11 || dups != 2 {
		t.Fatalf("%d users, %d of them person01: want the duplicate among 11", len(snap.Users), dups)
	}
	sameState(t, snap, s.paged(t))
	if cov := NewCoverage(snap, sharedProbes, nil); !strings.Contains(cov.String(), "users read page by page, groups by filter and id (GET /Users?filter=userName eq ") {
		t.Errorf("coverage %q", cov)
	}
}

// Groups whose filter answer leaves members out are read by id, as from pages.
func TestSnapshotByFilterReadsTrimmedGroupsByID(t *testing.T) {
	s := newSharedServer(t, 2000, 400, directory.Config{Variations: []string{"members-not-in-list"}})
	snap, requests := s.snap(t)
	if snap.GroupsRead != ReadByScope || snap.Memberships() != 12 {
		t.Fatalf("groups read %q with %d memberships, want by filter with 12", snap.GroupsRead, snap.Memberships())
	}
	for _, g := range snap.Groups {
		if !g.ReadByID {
			t.Errorf("group %s not read by id", g.DisplayName)
		}
	}
	if requests != 18 {
		t.Errorf("%d requests, want 16 and the 2 groups by id", requests)
	}
	sameState(t, snap, s.paged(t))
}

// A user or group the scope knows only by id is read by id; one gone answers 404 and is left out.
func TestSnapshotByScopeReadsIDsNoFilterFound(t *testing.T) {
	s := newSharedServer(t, 2000, 400, directory.Config{})
	scope := Scope{UserNames: s.scope.UserNames[:2], UserIDs: append(append([]string{}, s.scope.UserIDs[:5]...), "no-such-user"),
		GroupIDs: append([]string{"no-such-group"}, s.scope.GroupIDs...)}
	before := s.requests.Load()
	snap, err := TakeSnapshot(context.Background(), s.c, scope, sharedProbes)
	if err != nil {
		t.Fatal(err)
	}
	if snap.UsersRead != ReadByScope || snap.GroupsRead != ReadByScope || len(snap.Users) != 5 || len(snap.Groups) != 2 {
		t.Fatalf("read %q / %q: %d users, %d groups; want 5 and 2 by scope", snap.UsersRead, snap.GroupsRead, len(snap.Users), len(snap.Groups))
	}
	// Users: a first page, 2 filters, 4 by id (3 found, 1 gone), a case check; groups: a first
	// page and 3 by id (no name, no filter to check).
	if got := s.requests.Load() - before; got != 1+2+4+1+1+3 {
		t.Errorf("%d requests, want 12", got)
	}
}

// A filter's answer that holds two users of one userName (a server that allowed a duplicate)
// keeps both; the link attribute, absent from the filter's answers, is read by id.
func TestSnapshotByFilterKeepsDuplicatesAndReadsLinksByID(t *testing.T) {
	c, mt := newMockClient(t, "")
	mt.RegisterResponder("GET", "http://target.test/scim/v2/Users", func(r *http.Request) (*http.Response, error) {
		q := r.URL.Query()
		switch f := q.Get("filter"); f {
		case "":
			return httpmock.NewStringResponse(200, usersPage(1, 100, 5000)), nil
		case `userName eq "bob@partner.example"`, `userName eq "BOB@PARTNER.EXAMPLE"`:
			return httpmock.NewStringResponse(200, `{"totalResults":2,"Resources":[{"id":"b1","userName":"bob@partner.example"},{"id":"b2","userName":"Bob@Partner.example"}]}`), nil
		default:
			t.Errorf("unexpected filter %q", f)
			return httpmock.NewStringResponse(400, `{}`), nil
		}
	})
	for _, id := range []string{"b1", "b2"} {
		mt.RegisterResponder("GET", "http://target.test/scim/v2/Users/"+id, httpmock.NewStringResponder(200,
			`{"id":"`+id+`","userName":"bob@partner.example","urn:x:1.0":{"acct":"acct-`+id+`"}}`))
	}
	mt.RegisterResponder("GET", "http://target.test/scim/v2/Groups", httpmock.NewStringResponder(200, `{"totalResults":0,"Resources":[]}`))
	snap, err := TakeSnapshot(context.Background(), c, Scope{UserNames: []string{"bob@partner.example"}}, Probes{Link: LinkProbe{Attribute: "urn:x:1.0:acct"}})
	if err != nil {
		t.Fatal(err)
	}
	if snap.UsersRead != ReadByScope || len(snap.Users) != 2 || snap.Users[0].Link != "acct-b1" || snap.Users[1].Link != "acct-b2" {
		t.Fatalf("read %q (%q): %+v; want both bobs, linked, by filter", snap.UsersRead, snap.Fallback, snap.Users)
	}
}

// The per-user link probe sends at most snapshotWorkers requests at once, and more than one.
func TestLinkProbeRunsWithBoundedConcurrency(t *testing.T) {
	var inFlight, peak atomic.Int64
	var mu sync.Mutex
	asked := map[string]int{}
	const users = 40
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/scim+json")
		switch {
		case r.URL.Path == "/scim/v2/Users":
			fmt.Fprint(w, usersPage(1, users, users))
		case r.URL.Path == "/scim/v2/Groups":
			fmt.Fprint(w, `{"totalResults":0,"Resources":[]}`)
		case strings.HasPrefix(r.URL.Path, "/links/"):
			n := inFlight.Add(1)
			defer inFlight.Add(-1)
			for p := peak.Load(); n > p && !peak.CompareAndSwap(p, n); p = peak.Load() {
			}
			mu.Lock()
			asked[r.URL.Path]++
			mu.Unlock()
			time.Sleep(5 * time.Millisecond)
			fmt.Fprintf(w, `{"account":%q}`, "acct-"+strings.TrimPrefix(r.URL.Path, "/links/"))
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()
	snap, err := TakeSnapshot(context.Background(), NewClient(srv.URL+"/scim/v2", ""), Scope{}, Probes{Link: LinkProbe{Path: "/links/{{id}}", Pointer: "/account"}})
	if err != nil {
		t.Fatal(err)
	}
	if p := peak.Load(); p < 2 || p > snapshotWorkers {
		t.Errorf("%d link probe requests in flight at once, want between 2 and %d", p, snapshotWorkers)
	}
	if len(asked) != users || snap.Linked() != users {
		t.Fatalf("%d users asked, %d linked; want %d each", len(asked), snap.Linked(), users)
	}
	for _, u := range snap.Users {
		if u.Link != "acct-"+u.ID || asked["/links/"+u.ID] != 1 {
			t.Errorf("user %s: link %q, asked %d times", u.ID, u.Link, asked["/links/"+u.ID])
		}
	}
}

// TestDecodeUserMatchesUnmarshal: the selective decoding of a listed user reads what decoding it
// whole into a map reads, whatever the keys' case, order, repetition, escapes or value types.
func TestDecodeUserMatchesUnmarshal(t *testing.T) {
	link := splitAttrPath("urn:x:1.0:acct")
	for _, raw := range []string{
		`{"id":"u1","userName":"Bob@X","externalId":"e","active":true,"emails":[{"value":"B@X","primary":true},{"value":"c@x"}],"urn:x:1.0":{"acct":"a-1"},"meta":{"x":[1,2]},"groups":[{"value":"g"}]}`,
		`{"ID":"u2","USERNAME":"bob","Active":"False","Emails":[{"Value":" D@x ","Primary":"true"}],"URN:X:1.0":{"ACCT":7}}`,
		`{"id":"u3","id":"u4","userName":1,"active":null,"emails":"none","urn:x:1.0":"flat"}`,
		`{"i\u0064":"u5","userName":"esc"}`,
		`{"idé":"x","id":"u6","userName":"n"}`,
		`{}`, `null`, `[1]`, `"s"`,
		`{"id":"u7","userName":"a","userName":"b","emails":[null,1,{"value":null}],"urn:x:1.0":{"acct":null}}`,
	} {
		got, gerr := decodeUser([]byte(raw), link)
		var m map[string]any
		werr := json.Unmarshal([]byte(raw), &m)
		want := userState(m)
		want.Link = stringAt(m, link)
		if (gerr != nil) != (werr != nil) || (gerr == nil && !reflect.DeepEqual(got, want)) {
			t.Errorf("%s: decodeUser %+v, %v; Unmarshal %+v, %v", raw, got, gerr, want, werr)
		}
		if got, _ := decodeUser([]byte(raw), nil); gerr == nil && got.Link != "" {
			t.Errorf("%s: a link read without a link attribute", raw)
		}
	}
}

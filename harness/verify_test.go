package harness

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jarcoal/httpmock"
)

func scimJSON(status int, body string) httpmock.Responder {
	return func(*http.Request) (*http.Response, error) {
		r := httpmock.NewStringResponse(status, body)
		r.Header.Set("Content-Type", "application/scim+json")
		return r, nil
	}
}

// List pages without members are not read as empty groups: each group in scope is read by id.
func TestSnapshotReadsGroupsByIDWhenListsLeaveMembersOut(t *testing.T) {
	c, mt := newMockClient(t, "")
	mt.RegisterResponder("GET", "http://target.test/scim/v2/Users", scimJSON(200, `{"totalResults":1,"Resources":[{"id":"u1","userName":"a@acme.example"}]}`))
	mt.RegisterResponder("GET", "http://target.test/scim/v2/Groups", scimJSON(200,
		`{"totalResults":3,"Resources":[{"id":"g1","displayName":"Jira-Users"},{"id":"g2","displayName":"empty","members":[]},{"id":"g3","displayName":"other"}]}`))
	mt.RegisterResponder("GET", "http://target.test/scim/v2/Groups/g1", scimJSON(200, `{"id":"g1","displayName":"Jira-Users","members":[{"value":"u1"}]}`))
	s, err := TakeSnapshot(context.Background(), c, Scope{GroupNames: []string{"jira-users", "empty"}}, Probes{})
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Groups) != 2 || s.Groups[1].ID != "g1" || !s.Groups[1].ReadByID || strings.Join(s.Groups[1].Members, ",") != "u1" {
		t.Fatalf("groups: %+v", s.Groups)
	}
	if s.Groups[0].ReadByID || len(s.Groups[0].Members) != 0 {
		t.Fatalf("an explicit empty members list is read as it is: %+v", s.Groups[0])
	}
	if n := mt.GetCallCountInfo()["GET http://target.test/scim/v2/Groups/g1"]; n != 1 {
		t.Fatalf("g1 read by id %d times", n)
	}
}

// A user the run knows by id that no page lists is read by id: served there, the listing ended
// early (could not run); 404, it is gone (a change the diff will show).
func TestSnapshotCatchesAListingThatEndsEarly(t *testing.T) {
	c, mt := newMockClient(t, "")
	mt.RegisterResponder("GET", "http://target.test/scim/v2/Users", scimJSON(200, `{"totalResults":1,"Resources":[{"id":"u1","userName":"a@acme.example"}]}`))
	mt.RegisterResponder("GET", "http://target.test/scim/v2/Groups", scimJSON(200, `{"totalResults":0,"Resources":[]}`))
	mt.RegisterResponder("GET", "http://target.test/scim/v2/Users/u2", scimJSON(200, `{"id":"u2","userName":"b@acme.example"}`))
	mt.RegisterResponder("GET", "http://target.test/scim/v2/Users/u3", scimJSON(404, `{"status":"404"}`))
	_, err := TakeSnapshot(context.Background(), c, Scope{UserIDs: []string{"u1", "u2"}}, Probes{})
	var pe *ProtocolError
	if !errors.As(err, &pe) || !strings.Contains(err.Error(), "listed no user with id u2, but GET /Users/u2 answers it: the listing ended early") {
		t.Fatalf("got %v", err)
	}
	s, err := TakeSnapshot(context.Background(), c, Scope{UserIDs: []string{"u1", "u3"}}, Probes{})
	if err != nil || len(s.Users) != 1 {
		t.Fatalf("a user that is gone is not an error: %v %+v", err, s)
	}
}

func TestListEmptyPageBeforeTotalIsAProtocolError(t *testing.T) {
	c, mt := newMockClient(t, "")
	mt.RegisterResponder("GET", "http://target.test/scim/v2/Users", func(r *http.Request) (*http.Response, error) {
		if r.URL.Query().Get("startIndex") == "1" {
			return scimJSON(200, `{"totalResults":5,"Resources":[{"id":"u1"},{"id":"u2"}]}`)(r)
		}
		return scimJSON(200, `{"totalResults":5,"Resources":[]}`)(r)
	})
	err := c.List(context.Background(), "/Users", "", func(json.RawMessage) error { return nil })
	if !IsCouldNotRun(err) || !strings.Contains(err.Error(), "startIndex=3 answered an empty page though totalResults is 5") {
		t.Fatalf("got %v", err)
	}
}

// The link attribute left out of list views is read from each user by id.
func TestSnapshotReadsLinksByIDWhenListsLeaveThemOut(t *testing.T) {
	c, mt := newMockClient(t, "")
	mt.RegisterResponder("GET", "http://target.test/scim/v2/Users", scimJSON(200, `{"totalResults":1,"Resources":[{"id":"u1","userName":"a@acme.example"}]}`))
	mt.RegisterResponder("GET", "http://target.test/scim/v2/Groups", scimJSON(200, `{"totalResults":0,"Resources":[]}`))
	mt.RegisterResponder("GET", "http://target.test/scim/v2/Users/u1", scimJSON(200, `{"id":"u1","userName":"a@acme.example","urn:x:1.0":{"acct":"A-1"}}`))
	s, err := TakeSnapshot(context.Background(), c, Scope{}, Probes{Link: LinkProbe{Attribute: "urn:x:1.0:acct"}})
	if err != nil || s.Users[0].Link != "A-1" {
		t.Fatalf("got %v %+v", err, s)
	}
}

func TestCheckVisible(t *testing.T) {
	users := []UserState{{ID: "u1", UserName: "a@acme.example"}, {ID: "u2", UserName: "b@acme.example"}}
	s := &Snapshot{LinkProbed: true, Users: users}
	err := CheckVisible(s, Expectations{}, LinkProbe{Attribute: "urn:x:acct"})
	if !IsCouldNotRun(err) || err.Error() != "link probe found no account for any of 2 users: check --target-link-attribute (linkProbe.attribute in a profile): urn:x:acct" {
		t.Fatalf("got %v", err)
	}
	s.Users[0].Link = "A-1"
	s.Groups = []GroupState{{ID: "g1", DisplayName: "jira-users", Members: []string{}, ReadByID: true}}
	exp := Expectations{GroupMembers: map[string][]string{"g1": {"u1", "u2"}}, GroupNames: map[string]string{"g1": "jira-users"}}
	err = CheckVisible(s, exp, LinkProbe{})
	if !IsCouldNotRun(err) || !strings.Contains(err.Error(), "group jira-users (id g1) was given 2 members by provisioning, but the snapshot before the force sync shows none of them: GET /Groups and GET /Groups/g1 return no members") {
		t.Fatalf("got %v", err)
	}
	s.Groups[0].Members = []string{"u2"}
	if err := CheckVisible(s, exp, LinkProbe{}); err != nil {
		t.Fatalf("one member seen is enough: %v", err)
	}
	s.Groups = nil
	if err := CheckVisible(s, exp, LinkProbe{}); err == nil || !strings.Contains(err.Error(), "is not in the snapshot") {
		t.Fatalf("got %v", err)
	}
}

// Settle re-reads until the window has passed and names when a late change was seen.
func TestSettleSeesALateChange(t *testing.T) {
	before := &Snapshot{LinkProbed: true, Users: []UserState{{ID: "u1", UserName: "b@x.example", Link: "A"}}}
	var reads atomic.Int64
	take := func(context.Context) (*Snapshot, error) {
		n := reads.Add(1)
		u := before.Users[0]
		if n >= 3 {
			u.Link = ""
		}
		return &Snapshot{LinkProbed: true, Users: []UserState{u}}, nil
	}
	judge := func(s *Snapshot) Diff { return Compare(before, s, nil) }
	start := time.Now()
	_, d, n, err := Settle(context.Background(), start, 5*time.Second, take, judge)
	if err != nil || n != 3 || d.Empty() {
		t.Fatalf("reads %d, err %v, diff %v", n, err, d)
	}
	if d.SeenAfter < 2*settleEvery || d.SeenAfter > 5*time.Second || !strings.Contains(d.String(), "after the last request, within the settle window of 5s") {
		t.Fatalf("seen after %s: %s", d.SeenAfter, d)
	}
	reads.Store(-100)
	start = time.Now()
	_, d, n, err = Settle(context.Background(), start, 600*time.Millisecond, take, judge)
	if err != nil || !d.Empty() || n < 3 || time.Since(start) < 600*time.Millisecond {
		t.Fatalf("a state that holds is read until the window ends: reads %d, err %v, diff %v, %s", n, err, d, time.Since(start))
	}
	_, _, n, _ = Settle(context.Background(), time.Now(), 0, take, judge)
	if n != 1 {
		t.Fatalf("settle off reads once, read %d times", n)
	}
}

func TestCoverageSaysWhatWasChecked(t *testing.T) {
	before := &Snapshot{LinkProbed: true, AuditProbed: true,
		Users:  []UserState{{ID: "u1", UserName: "a@acme.example", Link: "A"}, {ID: "u2", UserName: "b@partner.example"}},
		Groups: []GroupState{{ID: "g", DisplayName: "g", Members: []string{"u1", "u2"}, ReadByID: true}}}
	c := NewCoverage(before, Probes{Link: LinkProbe{Attribute: "urn:x:acct"}, Audit: AuditProbe{Path: "/admin/audit", Pattern: "x"}}, acme)
	c.Settle, c.Reads, c.Retries, c.RetryWaited = 2*time.Second, 9, 1, time.Second
	want := "2 users (1 unmanaged), 1 group with 2 memberships seen before the sync (1 read by id: list pages leave members out); links: 1 of 2 users linked (attribute urn:x:acct); audit: /admin/audit; after-state held 2s (9 reads); 1 retry after 429 (1s waited)"
	if got := c.String(); got != want {
		t.Fatalf("got  %s\nwant %s", got, want)
	}
	bare := NewCoverage(&Snapshot{}, Probes{}, nil)
	for _, w := range []string{NoLinkProbe, "audit not checked", NoVerifiedDomains, "after-state read once"} {
		if !strings.Contains(bare.String(), w) {
			t.Errorf("coverage without probes lacks %q: %s", w, bare)
		}
	}
}

// A 429 is retried after its Retry-After, counted, and bounded by the budget.
func TestClientRetriesTooManyRequests(t *testing.T) {
	c, mt := newMockClient(t, "")
	var n atomic.Int64
	mt.RegisterResponder("GET", "http://target.test/scim/v2/Users/u1", func(r *http.Request) (*http.Response, error) {
		if n.Add(1) <= 2 {
			resp := httpmock.NewStringResponse(429, `{"status":"429"}`)
			resp.Header.Set("Retry-After", "0")
			return resp, nil
		}
		return scimJSON(200, `{"id":"u1"}`)(r)
	})
	resp, err := c.Do(context.Background(), "GET", "/Users/u1", nil, nil)
	if err != nil || resp.Status != 200 || c.Retries() != 2 {
		t.Fatalf("status %v err %v retries %d", resp, err, c.Retries())
	}
	mt.RegisterResponder("GET", "http://target.test/scim/v2/Users/u2", func(*http.Request) (*http.Response, error) {
		resp := httpmock.NewStringResponse(429, `{"status":"429"}`)
		resp.Header.Set("Retry-After", "1")
		return resp, nil
	})
	c.RetryBudget, c.MaxRetryAfter = 2500*time.Millisecond, 5*time.Second
	start := time.Now()
	_, err = c.Do(context.Background(), "GET", "/Users/u2", nil, nil)
	var te *ThrottledError
	if !errors.As(err, &te) || !IsCouldNotRun(err) || te.Retries != 2 || time.Since(start) < 2*time.Second {
		t.Fatalf("a 429 past the budget: %v after %s", err, time.Since(start))
	}
}

// A target that answers 429 with "Retry-After: 0" forever costs no budget by what it asks: the
// client still gives up, bounded, instead of retrying without end.
func TestClientGivesUpOnAnEndless429(t *testing.T) {
	c, mt := newMockClient(t, "")
	mt.RegisterResponder("GET", "http://target.test/scim/v2/Users", func(*http.Request) (*http.Response, error) {
		resp := httpmock.NewStringResponse(429, `{"status":"429"}`)
		resp.Header.Set("Retry-After", "0")
		return resp, nil
	})
	done := make(chan error, 1)
	go func() {
		_, err := c.Do(context.Background(), "GET", "/Users", nil, nil)
		done <- err
	}()
	select {
	case err := <-done:
		var te *ThrottledError
		if !errors.As(err, &te) || te.Retries != maxRetries {
			t.Fatalf("got %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the client retries a 429 with Retry-After: 0 without end")
	}
}

func TestRetryWait(t *testing.T) {
	for _, c := range []struct {
		h       string
		retries int
		want    time.Duration
	}{
		{"3", 0, 3 * time.Second}, {"120", 0, 30 * time.Second}, {"", 0, time.Second}, {"", 2, 4 * time.Second},
		{"soon", 1, 2 * time.Second}, {time.Now().Add(-time.Minute).UTC().Format(http.TimeFormat), 0, 0},
	} {
		if got := retryWait(c.h, c.retries, 30*time.Second); got != c.want {
			t.Errorf("retryWait(%q, %d) = %s, want %s", c.h, c.retries, got, c.want)
		}
	}
}

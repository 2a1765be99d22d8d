package harness

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/jarcoal/httpmock"

	"github.com/scimreplay/scimreplay/internal/jsonscan"
)

// newMockClient returns a client whose transport is a per-test httpmock transport that fails
// the test on any request it has no responder for.
func newMockClient(t *testing.T, token string) (*Client, *httpmock.MockTransport) {
	t.Helper()
	mt := httpmock.NewMockTransport()
	mt.RegisterNoResponder(func(r *http.Request) (*http.Response, error) {
		t.Errorf("unexpected request %s %s", r.Method, r.URL)
		return httpmock.NewStringResponse(599, ""), nil
	})
	c := NewClient("http://target.test/scim/v2", token)
	c.HTTP = &http.Client{Transport: mt}
	return c, mt
}

func usersPage(start, count, total int) string {
	var rs []string
	for i := start; i < start+count && i <= total; i++ {
		rs = append(rs, fmt.Sprintf(`{"id":"u%d","userName":"User%d@Partner.example","active":true,
			"emails":[{"value":"x%d@other.example"},{"value":"User%d@Partner.example","primary":true}],
			"urn:scim:schemas:extension:atlassian-external:1.0":{"atlassianAccountId":"acct-%d"}}`, i, i, i, i, i))
	}
	return fmt.Sprintf(`{"schemas":["urn:ietf:params:scim:api:messages:2.0:ListResponse"],"totalResults":%d,"startIndex":%d,"itemsPerPage":%d,"Resources":[%s]}`,
		total, start, len(rs), strings.Join(rs, ","))
}

func TestTakeSnapshotPagesScopesAndProbes(t *testing.T) {
	c, mt := newMockClient(t, "s3cret-token")
	mt.RegisterResponder("GET", "http://target.test/scim/v2/Users", func(r *http.Request) (*http.Response, error) {
		if r.Header.Get("Authorization") != "Bearer s3cret-token" || r.Header.Get("User-Agent") != OktaUserAgent {
			t.Errorf("missing Okta headers: %v", r.Header)
		}
		var start int
		fmt.Sscan(r.URL.Query().Get("startIndex"), &start)
		if r.URL.Query().Get("count") != "100" {
			t.Errorf("count = %s, Okta asks for 100", r.URL.Query().Get("count"))
		}
		return httpmock.NewStringResponse(200, usersPage(start, 100, 250)), nil
	})
	mt.RegisterResponder("GET", "http://target.test/scim/v2/Groups", httpmock.NewStringResponder(200,
		`{"totalResults":2,"startIndex":1,"itemsPerPage":2,"Resources":[{"id":"g1","displayName":"jira-users","members":[{"value":"u3"},{"value":"u1"},{"value":"u3"}]},{"id":"g2","displayName":"other"}]}`))
	mt.RegisterResponder("GET", "http://target.test/admin/audit", httpmock.NewStringResponder(200,
		`{"events":[{"type":"link","message":"linked"},{"type":"unlink","message":"Email update to unmanaged user with ID u1, primary email a, unlinked any associated atlassian account."}]}`))

	scope := Scope{UserNames: []string{"user1@partner.example", "USER250@partner.example"}, UserIDs: []string{"u3"}, GroupIDs: []string{"g1"}}
	s, err := TakeSnapshot(context.Background(), c, scope, Probes{
		Link:  LinkProbe{Attribute: "urn:scim:schemas:extension:atlassian-external:1.0:atlassianAccountId"},
		Audit: AuditProbe{Path: "/admin/audit", Pattern: "unlinked any associated"},
	})
	if err != nil {
		t.Fatal(err)
	}
	if n := mt.GetCallCountInfo()["GET http://target.test/scim/v2/Users"]; n != 3 {
		t.Errorf("250 users in pages of 100 take 3 requests, took %d", n)
	}
	if len(s.Users) != 3 {
		t.Fatalf("scope keeps 3 users, got %+v", s.Users)
	}
	u := s.Users[0]
	if u.ID != "u1" || u.PrimaryEmail != "user1@partner.example" || u.Link != "acct-1" || len(u.Emails) != 2 {
		t.Errorf("user u1 read wrong: %+v", u)
	}
	if len(s.Groups) != 1 || strings.Join(s.Groups[0].Members, ",") != "u1,u3,u3" {
		t.Errorf("group g1 with its member multiset: %+v", s.Groups)
	}
	if len(s.Audit) != 1 || !strings.Contains(s.Audit[0], "ID u1") {
		t.Errorf("audit lines: %v", s.Audit)
	}
}

func TestListRejectsNonIntegerPaging(t *testing.T) {
	c, mt := newMockClient(t, "")
	mt.RegisterResponder("GET", "http://target.test/scim/v2/Users", httpmock.NewStringResponder(200,
		`{"totalResults":"1","startIndex":1,"Resources":[{"id":"a"}]}`))
	err := c.List(context.Background(), "/Users", "", func(json.RawMessage) error { return nil })
	if err == nil || !IsCouldNotRun(err) {
		t.Fatalf("a string totalResults is a protocol error, got %v", err)
	}
}

func TestClientRedactsTokenInExchanges(t *testing.T) {
	c, mt := newMockClient(t, "tok-XYZ-123456")
	mt.RegisterResponder("PUT", "http://target.test/scim/v2/Users/1", httpmock.NewStringResponder(500, `{"detail":"bad token tok-XYZ-123456"}`))
	var seen []Exchange
	c.Observe(func(e Exchange) { seen = append(seen, e) })
	resp, err := c.Do(context.Background(), "PUT", "/Users/1", []byte(`{"a":"tok-XYZ-123456"}`), nil)
	if err != nil || resp.Status != 500 {
		t.Fatalf("resp %v err %v", resp, err)
	}
	if len(seen) != 1 {
		t.Fatalf("observed %d exchanges", len(seen))
	}
	dump := fmt.Sprintf("%+v", seen[0])
	if strings.Contains(dump, "tok-XYZ-123456") {
		t.Fatalf("token leaked into the exchange record: %s", dump)
	}
	if seen[0].ReqHeader.Get("Authorization") != Redacted {
		t.Fatalf("Authorization not redacted: %v", seen[0].ReqHeader)
	}
}

func TestTransportErrorIsCouldNotRun(t *testing.T) {
	c, mt := newMockClient(t, "")
	mt.RegisterResponder("GET", "http://target.test/scim/v2/Users/1", httpmock.NewErrorResponder(fmt.Errorf("connection refused")))
	_, err := c.Do(context.Background(), "GET", "/Users/1", nil, nil)
	if !IsCouldNotRun(err) {
		t.Fatalf("got %v", err)
	}
}

func TestRedact(t *testing.T) {
	for in, want := range map[string]string{
		"Authorization: Bearer abcdef123456": "Authorization: Bearer " + Redacted,
		"token=abcdefgh":                     "token=" + Redacted,
		"nothing here":                       "nothing here",
	} {
		if got := Redact(in); got != want {
			t.Errorf("Redact(%q) = %q, want %q", in, got, want)
		}
	}
	if got := Redact("x my-secret-value y", "my-secret-value"); got != "x "+Redacted+" y" {
		t.Errorf("got %q", got)
	}
}

func TestListFailsWhenTargetIgnoresStartIndex(t *testing.T) {
	for _, pooled := range []bool{false, true} { // List, and ListIDs with its reused page buffer
		c, mt := newMockClient(t, "")
		mt.RegisterResponder("GET", "http://target.test/scim/v2/Users", func(*http.Request) (*http.Response, error) {
			return httpmock.NewStringResponse(200, usersPage(1, 100, 250)), nil // always page 1
		})
		var err error
		if pooled {
			err = c.ListIDs(context.Background(), "/Users", "", func(string, json.RawMessage) error { return nil })
		} else {
			err = c.List(context.Background(), "/Users", "", func(json.RawMessage) error { return nil })
		}
		if err == nil || !IsCouldNotRun(err) || !strings.Contains(err.Error(), "ignores startIndex") {
			t.Fatalf("pooled %v: a target that ignores startIndex must be reported, got %v", pooled, err)
		}
		if calls := mt.GetCallCountInfo()["GET http://target.test/scim/v2/Users"]; calls != 2 {
			t.Fatalf("pooled %v: it is noticed on the second page, after %d requests", pooled, calls)
		}
	}
}

// TestListIDsReusesItsPageBuffer: pages of different lengths read into one buffer still hand on
// each resource's own bytes and id, and List's resources stay valid after it returns.
func TestListIDsReusesItsPageBuffer(t *testing.T) {
	c, mt := newMockClient(t, "")
	mt.RegisterResponder("GET", "http://target.test/scim/v2/Users", func(r *http.Request) (*http.Response, error) {
		start, _ := strconv.Atoi(r.URL.Query().Get("startIndex"))
		return httpmock.NewStringResponse(200, usersPage(start, 100, 250)), nil // 100, 100, 50
	})
	var ids []string
	err := c.ListIDs(context.Background(), "/Users", "", func(id string, raw json.RawMessage) error {
		var u struct{ ID string }
		if err := json.Unmarshal(raw, &u); err != nil || u.ID != id {
			t.Fatalf("resource %s handed on with id %q: %v", raw, id, err)
		}
		ids = append(ids, id)
		return nil
	})
	if err != nil || len(ids) != 250 || ids[0] != "u1" || ids[249] != "u250" {
		t.Fatalf("ListIDs: %d ids (%v…), %v", len(ids), ids[:min(3, len(ids))], err)
	}
	// Pages of one resource each, as a target may serve fewer than asked: page 2 lies where page 1
	// lay in the buffer, so a first resource kept without a copy would look served twice.
	c2, mt2 := newMockClient(t, "")
	mt2.RegisterResponder("GET", "http://target.test/scim/v2/Users", func(r *http.Request) (*http.Response, error) {
		start, _ := strconv.Atoi(r.URL.Query().Get("startIndex"))
		return httpmock.NewStringResponse(200, usersPage(start, 1, 9)), nil
	})
	n := 0
	if err := c2.ListIDs(context.Background(), "/Users", "", func(string, json.RawMessage) error { n++; return nil }); err != nil || n != 9 {
		t.Fatalf("ListIDs over one-resource pages: %d resources, %v", n, err)
	}
	var kept []json.RawMessage
	if err := c.List(context.Background(), "/Users", "", func(raw json.RawMessage) error { kept = append(kept, raw); return nil }); err != nil {
		t.Fatal(err)
	}
	for i, raw := range kept {
		if id, _ := jsonscan.ResourceID(raw); id != fmt.Sprintf("u%d", i+1) {
			t.Fatalf("List's resource %d changed after the next page was read: %s", i+1, raw)
		}
	}
}

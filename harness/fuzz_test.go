package harness

import (
	"context"
	"encoding/json"
	"net/http"
	"regexp"
	"sync/atomic"
	"testing"

	"github.com/jarcoal/httpmock"
)

// fuzzTarget answers every list and audit read with the given bodies (200, SCIM media type) and
// counts the requests.
func fuzzTarget(t *testing.T, users, groups, audit []byte) (*Client, *atomic.Int64) {
	c, mt := newMockClient(t, "fuzz-token")
	var n atomic.Int64
	respond := func(body []byte) httpmock.Responder {
		return func(*http.Request) (*http.Response, error) {
			n.Add(1)
			r := httpmock.NewBytesResponse(200, body)
			r.Header.Set("Content-Type", "application/scim+json")
			return r, nil
		}
	}
	mt.RegisterResponder("GET", "http://target.test/scim/v2/Users", respond(users))
	mt.RegisterResponder("GET", "http://target.test/scim/v2/Groups", respond(groups))
	mt.RegisterResponder("GET", "http://target.test/admin/audit", respond(audit))
	// By-id reads (a user without the link attribute in list views, a group without members):
	// nothing is there.
	mt.RegisterRegexpResponder("GET", regexp.MustCompile(`^http://target\.test/scim/v2/(Users|Groups)/`),
		httpmock.NewStringResponder(404, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:Error"],"status":"404"}`))
	return c, &n
}

// FuzzTakeSnapshot feeds arbitrary user pages, group pages and audit logs to the snapshot: it
// never panics, never pages without end (a target that answers every page alike is read at most
// twice per resource type), and anything it cannot read is a could-not-run error, never a
// regression of the target.
func FuzzTakeSnapshot(f *testing.F) {
	f.Add([]byte(usersPage(1, 2, 2)),
		[]byte(`{"totalResults":1,"Resources":[{"id":"g1","displayName":"jira-users","members":[{"value":"u1"},{"value":"u1"}]}]}`),
		[]byte(`{"events":[{"message":"Email update to unmanaged user with ID u1, unlinked any associated atlassian account."}]}`))
	f.Add([]byte(`{"totalResults":0}`), []byte(`{"totalResults":0,"Resources":[]}`), []byte("plain text log\nunlinked any associated\n"))
	f.Fuzz(func(t *testing.T, users, groups, audit []byte) {
		c, n := fuzzTarget(t, users, groups, audit)
		snap, err := TakeSnapshot(context.Background(), c, Scope{}, Probes{
			Link:  LinkProbe{Attribute: "urn:scim:schemas:extension:atlassian-external:1.0:atlassianAccountId"},
			Audit: AuditProbe{Path: "/admin/audit", Pattern: "unlinked any associated"},
		})
		if got := n.Load(); got > 5 {
			t.Fatalf("%d requests for answers that never change", got)
		}
		if err != nil {
			if snap != nil {
				t.Fatal("a snapshot with an error")
			}
			if !IsCouldNotRun(err) {
				t.Fatalf("an unreadable answer is not could-not-run: %v", err)
			}
			return
		}
		for _, u := range snap.Users {
			if u.ID == "" {
				t.Fatalf("a user without id in the snapshot: %+v", u)
			}
		}
		if _, err := json.Marshal(snap); err != nil {
			t.Fatalf("the snapshot does not marshal for the report: %v", err)
		}
		Compare(snap, snap, func(string) bool { return false })
	})
}

// FuzzList: every resource List hands on is a JSON object with a non-empty string id, however the
// page is malformed, and a page repeated forever is read at most twice.
func FuzzList(f *testing.F) {
	f.Add([]byte(usersPage(1, 3, 3)))
	f.Add([]byte(`{"totalResults":1000000000,"Resources":[{"id":"same"}]}`))
	f.Add([]byte(`{"totalResults":2,"Resources":[{"id":1},{"id":"x"}]}`))
	f.Add([]byte(`{"totalResults":"2","Resources":[]}`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, page []byte) {
		c, n := fuzzTarget(t, page, nil, nil)
		err := c.List(context.Background(), "/Users", "", func(raw json.RawMessage) error {
			var r struct {
				ID any `json:"id"`
			}
			if err := json.Unmarshal(raw, &r); err != nil {
				t.Fatalf("a resource that is not an object reached the caller: %s", raw)
			}
			if id, ok := r.ID.(string); !ok || id == "" {
				t.Fatalf("a resource without id reached the caller: %s", raw)
			}
			return nil
		})
		if n.Load() > 2 {
			t.Fatalf("%d requests for a page that never changes", n.Load())
		}
		if err != nil && !IsCouldNotRun(err) {
			t.Fatalf("an unreadable page is not could-not-run: %v", err)
		}
	})
}

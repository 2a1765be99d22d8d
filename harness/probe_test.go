package harness

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/jarcoal/httpmock"
)

// twoUsers answers GET /Users with two users (ids with a character a path must escape) and
// GET /Groups with none.
func twoUsers(mt *httpmock.MockTransport) {
	mt.RegisterResponder("GET", "http://target.test/scim/v2/Users", httpmock.NewStringResponder(200,
		`{"totalResults":2,"startIndex":1,"itemsPerPage":2,"Resources":[
		  {"id":"u 1","userName":"bob@partner.example","externalId":"00ub","active":true,"emails":[{"value":"Bob@Partner.example","primary":true}]},
		  {"id":"u2","userName":"carol@contractor.example","active":false}]}`))
	mt.RegisterResponder("GET", "http://target.test/scim/v2/Groups", httpmock.NewStringResponder(200,
		`{"totalResults":0,"startIndex":1,"itemsPerPage":0,"Resources":[]}`))
}

func TestLinkProbePerUserEndpoint(t *testing.T) {
	c, mt := newMockClient(t, "tok-123456")
	twoUsers(mt)
	mt.RegisterResponder("GET", "http://target.test/admin/links/u%201", func(r *http.Request) (*http.Response, error) {
		if r.Header.Get("Authorization") != "Bearer tok-123456" {
			t.Errorf("the probe must send the token: %v", r.Header)
		}
		return httpmock.NewStringResponse(200, `{"user":"u 1","account":{"id":"acct-bob"}}`), nil
	})
	mt.RegisterResponder("GET", "http://target.test/admin/links/u2", httpmock.NewStringResponder(404, `{"detail":"no link"}`))

	s, err := TakeSnapshot(context.Background(), c, Scope{}, Probes{Link: LinkProbe{Path: "/admin/links/{{id}}", Pointer: "/account/id"}})
	if err != nil {
		t.Fatal(err)
	}
	if !s.LinkProbed || len(s.Users) != 2 {
		t.Fatalf("snapshot %+v", s)
	}
	if s.Users[0].Link != "acct-bob" || s.Users[1].Link != "" {
		t.Errorf("links %q %q: want acct-bob, and none for the 404", s.Users[0].Link, s.Users[1].Link)
	}
	calls := mt.GetCallCountInfo()
	if calls["GET http://target.test/admin/links/u%201"] != 1 || calls["GET http://target.test/admin/links/u2"] != 1 {
		t.Errorf("one probe request per user, got %v", calls)
	}
}

func TestLinkProbeOneEndpointForAll(t *testing.T) {
	c, mt := newMockClient(t, "")
	twoUsers(mt)
	mt.RegisterResponder("GET", "http://target.test/api/links", httpmock.NewStringResponder(200,
		`{"data":{"by~user":{"u 1":"acct-bob","u2":null}}}`))
	s, err := TakeSnapshot(context.Background(), c, Scope{}, Probes{Link: LinkProbe{Path: "/api/links", Pointer: "/data/by~0user"}})
	if err != nil {
		t.Fatal(err)
	}
	if s.Users[0].Link != "acct-bob" || s.Users[1].Link != "" {
		t.Errorf("links %q %q", s.Users[0].Link, s.Users[1].Link)
	}
	if n := mt.GetCallCountInfo()["GET http://target.test/api/links"]; n != 1 {
		t.Errorf("the shared endpoint is asked once, not %d times", n)
	}
}

func TestLinkAndAuditProbeFailuresMeanCouldNotRun(t *testing.T) {
	for name, c := range map[string]struct {
		probes    Probes
		responder httpmock.Responder
		want      string
	}{
		"links endpoint missing": {Probes{Link: LinkProbe{Path: "/api/links", Pointer: "/x"}},
			httpmock.NewStringResponder(404, "not here"), `the link probe cannot be read: GET /api/links answered 404: "not here"`},
		"pointer names no object": {Probes{Link: LinkProbe{Path: "/api/links", Pointer: "/x"}},
			httpmock.NewStringResponder(200, `{"x":["acct"]}`), `link probe /api/links at "/x" is not an object from user id to account`},
		"pointer names nothing": {Probes{Link: LinkProbe{Path: "/api/links", Pointer: "/y"}},
			httpmock.NewStringResponder(200, `{"x":{}}`), `JSON pointer "/y": no member "y"`},
		"account not a scalar": {Probes{Link: LinkProbe{Path: "/api/links", Pointer: "/x"}},
			httpmock.NewStringResponder(200, `{"x":{"u2":{"id":"a"}}}`), "user u2: the account is map[string]interface {}, not a string or number"},
		"audit log refused": {Probes{Audit: AuditProbe{Path: "/api/links", Pattern: "unlinked"}},
			httpmock.NewStringResponder(403, "forbidden"), "the audit probe cannot be read: GET /api/links answered 403"},
	} {
		t.Run(name, func(t *testing.T) {
			cl, mt := newMockClient(t, "")
			twoUsers(mt)
			mt.RegisterResponder("GET", "http://target.test/api/links", c.responder)
			_, err := TakeSnapshot(context.Background(), cl, Scope{}, c.probes)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error %v, want %q", err, c.want)
			}
			if !IsCouldNotRun(err) {
				t.Errorf("a probe that cannot be read means the run could not be done: %v", err)
			}
		})
	}
}

func TestAuditProbeReadsTextLogs(t *testing.T) {
	c, mt := newMockClient(t, "")
	twoUsers(mt)
	mt.RegisterResponder("GET", "http://target.test/logs/audit.txt", httpmock.NewStringResponder(200,
		"2026-01-01 user u 1 created\n2026-01-01 UNLINKED account acct-bob from u 1  \n2026-01-02 user u2 deactivated\n"))
	s, err := TakeSnapshot(context.Background(), c, Scope{}, Probes{Audit: AuditProbe{Path: "/logs/audit.txt", Pattern: "(?i)unlinked account"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Audit) != 1 || s.Audit[0] != "2026-01-01 UNLINKED account acct-bob from u 1" {
		t.Errorf("audit lines %q", s.Audit)
	}
}

// Without a link probe the snapshot still holds each user's SCIM identity, and the diff still
// names identity changes and duplicates; it never speaks of links.
func TestNoLinkProbeStillChecksIdentityAndDuplicates(t *testing.T) {
	snap := func(total int, users string) *Snapshot {
		c, mt := newMockClient(t, "")
		mt.RegisterResponder("GET", "http://target.test/scim/v2/Users", httpmock.NewStringResponder(200,
			fmt.Sprintf(`{"totalResults":%d,"startIndex":1,"itemsPerPage":%d,"Resources":[`, total, total)+users+`,
			 {"id":"other","userName":"someone@else.example","active":true}]}`))
		mt.RegisterResponder("GET", "http://target.test/scim/v2/Groups", httpmock.NewStringResponder(200,
			`{"totalResults":0,"startIndex":1,"itemsPerPage":0,"Resources":[]}`))
		s, err := TakeSnapshot(context.Background(), c, Scope{UserNames: []string{"bob@partner.example", "carol@contractor.example"}}, Probes{})
		if err != nil {
			t.Fatal(err)
		}
		if s.LinkProbed {
			t.Fatal("no link probe, yet LinkProbed")
		}
		return s
	}
	before := snap(3, `{"id":"b1","userName":"bob@partner.example","externalId":"00ub","active":true,"emails":[{"value":"bob@partner.example","primary":true}],
	  "urn:scim:schemas:extension:atlassian-external:1.0":{"atlassianAccountId":"acct-bob"}},
	  {"id":"c1","userName":"carol@contractor.example","externalId":"00uc","active":true,"emails":[{"value":"carol@contractor.example"}]}`)
	after := snap(4, `{"id":"b2","userName":"BOB@partner.example","externalId":"","active":false,"emails":[{"value":"bob@other.example","primary":true}]},
	  {"id":"c1","userName":"carol@contractor.example","externalId":"00uc","active":true,"emails":[{"value":"Carol@Contractor.example"}]},
	  {"id":"c2","userName":"Carol@Contractor.example","externalId":"00uc","active":true}`)
	d := Compare(before, after, func(e string) bool { return strings.HasSuffix(e, "@acme.example") })
	got := d.String()
	for _, want := range []string{
		"bob@partner.example (unmanaged): id b1 → b2; externalId 00ub → none; active true → false; primary email bob@partner.example → bob@other.example",
		"carol@contractor.example (unmanaged): duplicated: 2 users with this userName (ids c1, c2)",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("diff lacks %q:\n%s", want, got)
		}
	}
	if strings.Contains(got, "link") || strings.Contains(got, "someone@else.example") {
		t.Errorf("no link probe means no link lines, and users out of scope never appear:\n%s", got)
	}
}

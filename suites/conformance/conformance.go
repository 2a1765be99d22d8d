// Package conformance holds the Ginkgo specs of what an identity provider's SCIM client requires
// of a server before any sync can be trusted. For Okta: lookup by userName, the answers Okta
// expects to creates, duplicates and unknown ids, paging, the PUT and PATCH shapes Okta sends,
// group membership changes, and authentication. For Microsoft Entra ID (checks named entra-…):
// its test connection and match by externalId, group lookups with excludedAttributes=members,
// PATCH ops in capitals, active as the strings "True" and "False", and member add and remove
// with value lists. Each check is its own spec labelled conformance:<check> and idp:<idp>, so a
// team sees exactly which behaviour is missing. Specs registers them in any suite against the
// target of a framework.Suite; the same specs run under `go test` (suite_test.go) and
// `scimreplay conformance`.
package conformance

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/scimreplay/scimreplay/fakes/okta"
	"github.com/scimreplay/scimreplay/harness"
	"github.com/scimreplay/scimreplay/harness/scenario"
	"github.com/scimreplay/scimreplay/suites/framework"
)

// LabelPrefix starts every check's label: conformance:lookup-case-insensitive.
const LabelPrefix = "conformance:"

// SCIM message schemas the checks expect.
const (
	schemaListResponse = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
	schemaError        = "urn:ietf:params:scim:api:messages:2.0:Error"
)

// Check is one behaviour an identity provider relies on.
type Check struct {
	Name        string // the label is LabelPrefix+Name
	Requirement string // the spec's text
	run         func(ctx context.Context, s *session)
}

// IdP is the identity provider whose requirement the check is: "entra" for the checks named
// entra-…, else "okta". The spec is labelled idp:<IdP>.
func (c Check) IdP() string {
	if strings.HasPrefix(c.Name, "entra-") {
		return "entra"
	}
	return "okta"
}

// Checks is the suite, in the order a reader should meet it: Okta's checks, then Entra's.
func Checks() []Check { return slices.Concat(checks, entraChecks) }

// Specs registers the checks: Describe("conformance") holding one It per check, labelled
// conformance:<name> and idp:<its IdP>, all against one target of s started before the first (an
// Ordered container, each check run whatever the ones before found). The checks only touch users and groups they create, with names unique to the
// run, so they may run against a server with other data in it. Like forcesync.Specs it returns
// true, for `var _ = conformance.Specs(suite)`.
func Specs(s *framework.Suite) bool {
	var seq atomic.Int64
	Describe("conformance", Ordered, ContinueOnFailure, func() {
		f := s.NewSharedFramework()
		for _, c := range Checks() {
			It(c.Requirement, Label(LabelPrefix+c.Name, "idp:"+c.IdP()), func(ctx SpecContext) {
				ss := &session{target: f.Target, client: f.Client(ctx), run: s.ID(), seq: &seq, log: f.Requests()}
				c.run(ctx, ss)
			}, NodeTimeout(2*time.Minute))
		}
	})
	return true
}

// couldNotRun fails the spec as a run that could not be done (exit 2), not as a missing
// behaviour of the target.
func couldNotRun(format string, args ...any) {
	GinkgoHelper()
	framework.CouldNotRun(format, args...)
}

// session is one check's view of the target: its own client (so its requests can be reported)
// and names unique to the run.
type session struct {
	target *harness.Target
	client *harness.Client
	run    string
	seq    *atomic.Int64
	log    *harness.ExchangeLog // the spec's request log, for other clients the check makes
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}

// do sends one request; a target that cannot be reached means the run could not be done.
func (s *session) do(ctx context.Context, method, path string, body any) *harness.Response {
	GinkgoHelper()
	var b []byte
	if body != nil {
		var err error
		b, err = json.Marshal(body)
		Expect(err).NotTo(HaveOccurred())
	}
	resp, err := s.client.Do(ctx, method, path, b, nil)
	if err != nil {
		couldNotRun("%s %s: %v", method, path, err)
	}
	return resp
}

// expect checks the status of an answer to a request Okta sends and decodes its JSON body (nil
// for an empty one).
func expect(resp *harness.Response, what string, status ...int) map[string]any {
	GinkgoHelper()
	return expectFrom("Okta", resp, what, status...)
}

// expectFrom is expect for a request the identity provider idp sends.
func expectFrom(idp string, resp *harness.Response, what string, status ...int) map[string]any {
	GinkgoHelper()
	Expect(resp.Status).To(BeElementOf(status), "%s answered %d, %s expects %v; body: %s", what, resp.Status, idp, status, truncate(string(resp.Body), 400))
	if len(strings.TrimSpace(string(resp.Body))) == 0 {
		return nil
	}
	var doc map[string]any
	Expect(json.Unmarshal(resp.Body, &doc)).To(Succeed(), "%s answered %d with a body that is not a JSON object: %s", what, resp.Status, truncate(string(resp.Body), 400))
	return doc
}

// user is a user the check created: its id on the target and Okta's side of it.
type user struct {
	ID string
	scenario.User
}

// newUser creates a user the way Okta does (its POST body, with a password) and expects 201
// with an id: the precondition of most checks.
func (s *session) newUser(ctx context.Context) user {
	GinkgoHelper()
	u := s.oktaUser()
	resp := s.do(ctx, http.MethodPost, "/Users", userBody(u))
	doc := expect(resp, "POST /Users (creating a user for the check)", http.StatusCreated)
	id, _ := doc["id"].(string)
	Expect(id).NotTo(BeEmpty(), "POST /Users answered 201 without an id: %s", truncate(string(resp.Body), 400))
	return user{ID: id, User: u}
}

// oktaUser is a fresh org user with a name unique to the run: conf-<run>-<n>@<domain>, on the
// target's first verified domain when it has one.
func (s *session) oktaUser() scenario.User {
	n := s.seq.Add(1)
	domain := "conformance.example"
	if ds := s.target.Spec.VerifiedDomains; len(ds) > 0 {
		domain = ds[0]
	}
	key := fmt.Sprintf("conf-%s-%d", s.run, n)
	return scenario.User{Key: key, UserName: key + "@" + domain, GivenName: "Conf", FamilyName: fmt.Sprintf("User %d", n), Active: true}
}

func (u user) body() map[string]any { return userBody(u.User) }

func userBody(u scenario.User) map[string]any {
	b := u.Profile()
	b["password"] = "Okta-Gen-" + scenario.OktaID(u.Key)[3:11]
	return b
}

func (s *session) getUser(ctx context.Context, id string) map[string]any {
	GinkgoHelper()
	return expect(s.do(ctx, http.MethodGet, "/Users/"+url.PathEscape(id), nil), "GET /Users/"+id, http.StatusOK)
}

// lookup is Okta's lookup: GET /Users?filter=userName eq "…"&startIndex=1&count=100.
func (s *session) lookup(ctx context.Context, userName string) (*harness.Response, string) {
	q := "filter=" + strings.ReplaceAll(url.QueryEscape(fmt.Sprintf("userName eq %q", userName)), "+", "%20") + "&startIndex=1&count=100"
	return s.do(ctx, http.MethodGet, "/Users?"+q, nil), `GET /Users?filter=userName eq "` + userName + `"`
}

// newGroup creates a group as Okta's Group Push does (no members), then adds members with the
// rename+add PATCH Okta sends.
func (s *session) newGroup(ctx context.Context, members ...user) (id, name string) {
	GinkgoHelper()
	name = fmt.Sprintf("conf-%s-group-%d", s.run, s.seq.Add(1))
	doc := expect(s.do(ctx, http.MethodPost, "/Groups", map[string]any{
		"schemas": []any{okta.SchemaGroup}, "displayName": name, "members": []any{},
	}), "POST /Groups (creating a group for the check)", http.StatusCreated)
	id, _ = doc["id"].(string)
	Expect(id).NotTo(BeEmpty(), "POST /Groups answered 201 without an id")
	if len(members) > 0 {
		s.patchGroup(ctx, id, "adding the check's members", renameOp(id, name), addOp(members...))
	}
	return id, name
}

func (s *session) patchGroup(ctx context.Context, id, why string, ops ...any) {
	GinkgoHelper()
	expect(s.do(ctx, http.MethodPatch, "/Groups/"+url.PathEscape(id), map[string]any{
		"schemas": []any{okta.SchemaPatchOp}, "Operations": ops,
	}), "PATCH /Groups/"+id+" ("+why+")", http.StatusOK, http.StatusNoContent)
}

// Okta's group PATCH operations.
func renameOp(id, name string) any {
	return map[string]any{"op": "replace", "value": map[string]any{"id": id, "displayName": name}}
}

func memberValues(us ...user) []any {
	out := []any{}
	for _, u := range us {
		out = append(out, map[string]any{"value": u.ID, "display": u.UserName})
	}
	return out
}

func addOp(us ...user) any {
	return map[string]any{"op": "add", "path": "members", "value": memberValues(us...)}
}

func removeOp(u user) any {
	return map[string]any{"op": "remove", "path": fmt.Sprintf("members[value eq %q]", u.ID)}
}

func replaceMembersOp(us ...user) any {
	return map[string]any{"op": "replace", "path": "members", "value": memberValues(us...)}
}

// members is a group's member ids as the target shows them, sorted, duplicates kept.
func (s *session) members(ctx context.Context, id string) []string {
	GinkgoHelper()
	doc := expect(s.do(ctx, http.MethodGet, "/Groups/"+url.PathEscape(id), nil), "GET /Groups/"+id, http.StatusOK)
	var out []string
	ms, _ := doc["members"].([]any)
	for _, m := range ms {
		mm, _ := m.(map[string]any)
		v, _ := mm["value"].(string)
		out = append(out, v)
	}
	slices.Sort(out)
	return out
}

func ids(us ...user) []string {
	out := make([]string, len(us))
	for i, u := range us {
		out[i] = u.ID
	}
	slices.Sort(out)
	return out
}

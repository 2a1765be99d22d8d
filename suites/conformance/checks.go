package conformance

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/scimreplay/scimreplay/fakes/okta"
	"github.com/scimreplay/scimreplay/harness"
	"github.com/scimreplay/scimreplay/internal/jsonmerge"
)

// checks is the suite. Each names the Okta behaviour it stands for; see
// ../../../shared/okta-traffic.md for the sources.
var checks = []Check{
	{"auth-required", "rejects a request without a bearer token, or with a wrong one, with 401", checkAuth},
	{"create-201", "answers Okta's POST /Users with 201 and the user with its id", checkCreate},
	{"create-duplicate-409", "answers a POST /Users for a userName that exists with 409 and the Error schema", checkDuplicate},
	{"userName-unique-case-insensitive", "treats userNames that differ only in case as the same user (409)", checkDuplicateCase},
	{"lookup-userName-eq", `finds a user by Okta's lookup filter=userName eq "…"`, checkLookup},
	{"lookup-case-insensitive", "finds a user by userName eq whatever the case (userName is caseExact=false)", checkLookupCase},
	{"lookup-no-match-empty", "answers a lookup that matches nobody with 200 and an empty ListResponse", checkLookupNone},
	{"not-found-404", "answers GET /Users/{unknown id} with 404 and the Error schema", checkNotFound},
	{"paging-integer-fields", "pages with startIndex and count, with integer totalResults, startIndex and itemsPerPage", checkPagingFields},
	{"paging-stable-order", "pages in a stable order: every user exactly once, the same order twice", checkPagingOrder},
	{"put-user", "applies Okta's profile push: GET, then a full PUT echoing it, keeping id and externalId", checkPut},
	{"put-user-keeps-groups", `ignores the read-only "groups": [] that Okta's PUT carries (memberships stay)`, checkPutKeepsGroups},
	{"patch-user-active", "deactivates and reactivates with Okta's pathless PATCH replace {active}", checkPatchActive},
	{"group-create-201", "answers Okta's POST /Groups with members [] with 201 and an id", checkGroupCreate},
	{"group-rename-keeps-members", "applies Okta's pathless replace {id, displayName} without touching members", checkGroupRename},
	{"group-add-members", "adds members with Okta's rename+add PATCH, keeping the members there were", checkGroupAdd},
	{"group-add-existing-member", "adding a member that is already there does not store it twice", checkGroupReAdd},
	{"group-remove-member", `removes exactly one member with remove members[value eq "…"]`, checkGroupRemove},
	{"group-replace-members", "replaces the member list with Okta's Push Now replace path=members", checkGroupReplace},
	{"group-replace-members-empty", "empties a group with replace path=members value []", checkGroupReplaceEmpty},
	{"group-put-members", "stores the members of a full PUT /Groups/{id} (App Integration Wizard apps)", checkGroupPut},
}

func checkAuth(ctx context.Context, s *session) {
	if s.target.Spec.Token == "" {
		Skip("the target was given no token, so there is no authentication to check; give --target-token")
	}
	for _, tok := range []string{"", "wrong-" + harness.RandomToken()} {
		c := s.client.Clone()
		c.Token = tok
		c.Observe(s.log.Add)
		resp, err := c.Do(ctx, http.MethodGet, "/Users?startIndex=1&count=1", nil, nil)
		if err != nil {
			couldNotRun("GET /Users: %v", err)
		}
		what := "GET /Users without a token"
		if tok != "" {
			what = "GET /Users with a wrong token"
		}
		Expect(resp.Status).To(Equal(http.StatusUnauthorized), "%s answered %d, want 401", what, resp.Status)
	}
}

func checkCreate(ctx context.Context, s *session) {
	u := s.oktaUser()
	resp := s.do(ctx, http.MethodPost, "/Users", userBody(u))
	doc := expect(resp, "POST /Users", http.StatusCreated)
	id, _ := doc["id"].(string)
	Expect(id).NotTo(BeEmpty(), "the created user has no id: %s", truncate(string(resp.Body), 400))
	Expect(doc["userName"]).To(BeAssignableToTypeOf(""), "the created user has no userName")
	Expect(strings.EqualFold(doc["userName"].(string), u.UserName)).To(BeTrue(), "userName %v, sent %s", doc["userName"], u.UserName)
	Expect(doc["active"]).NotTo(Equal(false), "a user created with active:true came back inactive")
	got := s.getUser(ctx, id)
	Expect(got["id"]).To(Equal(id), "GET /Users/%s answers another id", id)
}

func checkDuplicate(ctx context.Context, s *session) {
	u := s.newUser(ctx)
	doc := expect(s.do(ctx, http.MethodPost, "/Users", u.body()), "a second POST /Users for "+u.UserName, http.StatusConflict)
	expectError(doc, http.StatusConflict)
}

func checkDuplicateCase(ctx context.Context, s *session) {
	u := s.newUser(ctx)
	b := u.body()
	b["userName"] = strings.ToUpper(u.UserName)
	expect(s.do(ctx, http.MethodPost, "/Users", b), "POST /Users for "+strings.ToUpper(u.UserName)+" when "+u.UserName+" exists", http.StatusConflict)
}

// expectError checks an answer holds the SCIM Error schema with the status (RFC 7644 §3.12).
func expectError(doc map[string]any, status int) {
	GinkgoHelper()
	Expect(doc).NotTo(BeNil(), "the error answer has no body; SCIM wants the Error schema")
	Expect(doc["schemas"]).To(ContainElement(schemaError), "the error answer lacks the Error schema: %v", doc)
	Expect(fmt.Sprint(doc["status"])).To(Equal(strconv.Itoa(status)), "the Error's status is %v, want %d", doc["status"], status)
}

func checkLookup(ctx context.Context, s *session) {
	u := s.newUser(ctx)
	resp, what := s.lookup(ctx, u.UserName)
	expectFound(resp, what, u)
}

func checkLookupCase(ctx context.Context, s *session) {
	u := s.newUser(ctx)
	resp, what := s.lookup(ctx, strings.ToUpper(u.UserName))
	expectFound(resp, what, u)
}

func expectFound(resp *harness.Response, what string, u user) {
	GinkgoHelper()
	expect(resp, what, http.StatusOK)
	p := decodePage(resp, what)
	Expect(p.ids).To(Equal([]string{u.ID}), "%s: want exactly the user %s (id %s); totalResults %d", what, u.UserName, u.ID, p.total)
	Expect(p.total).To(Equal(1), "%s: totalResults", what)
}

func checkLookupNone(ctx context.Context, s *session) {
	resp, what := s.lookup(ctx, s.oktaUser().UserName)
	expect(resp, what, http.StatusOK)
	p := decodePage(resp, what)
	Expect(p.total).To(Equal(0), "%s: totalResults", what)
	Expect(p.ids).To(BeEmpty(), "%s: Resources", what)
}

func checkNotFound(ctx context.Context, s *session) {
	id := "00000000-0000-4000-8000-" + fmt.Sprintf("%012d", s.seq.Add(1))
	doc := expect(s.do(ctx, http.MethodGet, "/Users/"+id, nil), "GET /Users/"+id+" (no such user)", http.StatusNotFound)
	expectError(doc, http.StatusNotFound)
}

// page is a ListResponse with its integer fields checked.
type page struct {
	total, start, perPage int
	ids                   []string
}

// decodePage reads a ListResponse keeping numbers as written, so "1" or 1.5 for an integer
// field fails: Okta reads them as integers.
func decodePage(resp *harness.Response, what string) page {
	GinkgoHelper()
	dec := json.NewDecoder(bytes.NewReader(resp.Body))
	dec.UseNumber()
	var doc map[string]any
	Expect(dec.Decode(&doc)).To(Succeed(), "%s: the answer is not a JSON object: %s", what, truncate(string(resp.Body), 300))
	Expect(doc["schemas"]).To(ContainElement(schemaListResponse), "%s: the answer lacks the ListResponse schema", what)
	var p page
	for _, f := range []struct {
		name     string
		dst      *int
		required bool
	}{{"totalResults", &p.total, true}, {"startIndex", &p.start, false}, {"itemsPerPage", &p.perPage, false}} {
		v, ok := doc[f.name]
		if !ok {
			Expect(f.required).To(BeFalse(), "%s: the ListResponse has no %s", what, f.name)
			continue
		}
		n, isNum := v.(json.Number)
		i, err := strconv.Atoi(string(n))
		Expect(isNum && err == nil).To(BeTrue(), "%s: %s is %s, not an integer", what, f.name, jsonText(v))
		*f.dst = i
	}
	res, _ := doc["Resources"].([]any)
	if doc["Resources"] != nil {
		Expect(doc["Resources"]).To(BeAssignableToTypeOf([]any{}), "%s: Resources is not a list", what)
	}
	for _, r := range res {
		m, _ := r.(map[string]any)
		id, _ := m["id"].(string)
		p.ids = append(p.ids, id)
	}
	return p
}

func jsonText(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func listPage(ctx context.Context, s *session, start, count int) page {
	GinkgoHelper()
	what := fmt.Sprintf("GET /Users?startIndex=%d&count=%d", start, count)
	resp := s.do(ctx, http.MethodGet, fmt.Sprintf("/Users?startIndex=%d&count=%d", start, count), nil)
	expect(resp, what, http.StatusOK)
	p := decodePage(resp, what)
	Expect(p.start).To(Equal(start), "%s: startIndex is %d", what, p.start)
	Expect(p.perPage).To(Equal(len(p.ids)), "%s: itemsPerPage %d for %d Resources", what, p.perPage, len(p.ids))
	Expect(len(p.ids)).To(BeNumerically("<=", count), "%s: more Resources than count", what)
	return p
}

func checkPagingFields(ctx context.Context, s *session) {
	s.newUser(ctx)
	s.newUser(ctx)
	s.newUser(ctx)
	first := listPage(ctx, s, 1, 2)
	Expect(first.total).To(BeNumerically(">=", 3), "totalResults %d after creating 3 users", first.total)
	Expect(first.ids).To(HaveLen(2), "a first page of count=2 with %d users", first.total)
	second := listPage(ctx, s, 3, 2)
	Expect(second.ids).NotTo(BeEmpty(), "the page at startIndex=3 is empty though totalResults is %d", first.total)
	Expect(second.ids).NotTo(ContainElement(BeElementOf(first.ids)), "startIndex=3 repeats users of startIndex=1")
}

// walk pages through every user as Okta does, with a page size that keeps the walk to about
// ten requests, bounded however the target answers.
func walk(ctx context.Context, s *session) []string {
	GinkgoHelper()
	total := listPage(ctx, s, 1, 1).total
	count := min(max(2, (total+9)/10), harness.PageSize)
	var out []string
	for start, pages := 1, 0; start <= total; pages++ {
		Expect(pages).To(BeNumerically("<", total+2), "paging does not end: %d pages for %d users", pages, total)
		p := listPage(ctx, s, start, count)
		Expect(p.total).To(Equal(total), "totalResults moved from %d to %d while paging", total, p.total)
		if len(p.ids) == 0 {
			break
		}
		out = append(out, p.ids...)
		start += len(p.ids)
	}
	Expect(out).To(HaveLen(total), "paging with count=%d gave %d users, totalResults is %d", count, len(out), total)
	return out
}

func checkPagingOrder(ctx context.Context, s *session) {
	mine := []user{s.newUser(ctx), s.newUser(ctx), s.newUser(ctx)}
	first := walk(ctx, s)
	seen := map[string]int{}
	for _, id := range first {
		seen[id]++
	}
	for id, n := range seen {
		Expect(n).To(Equal(1), "user %s appears %d times across the pages", id, n)
	}
	for _, u := range mine {
		Expect(seen).To(HaveKey(u.ID), "user %s is on no page", u.UserName)
	}
	Expect(walk(ctx, s)).To(Equal(first), "a second walk through the pages gives another order")
}

// push is Okta's profile push of u: GET /Users/{id}, then a full PUT of what the GET answered
// with Okta's profile on top (and its "groups": []).
func (s *session) push(ctx context.Context, u user) map[string]any {
	GinkgoHelper()
	got := s.getUser(ctx, u.ID)
	body := jsonmerge.Merge(got, u.User.Profile())
	return expect(s.do(ctx, http.MethodPut, "/Users/"+url.PathEscape(u.ID), body), "PUT /Users/"+u.ID+" (Okta's profile push)", http.StatusOK)
}

func checkPut(ctx context.Context, s *session) {
	u := s.newUser(ctx)
	before := s.getUser(ctx, u.ID)
	u.GivenName = "Renamed"
	answer := s.push(ctx, u)
	Expect(answer["id"]).To(Equal(u.ID), "the PUT answered another id")
	after := s.getUser(ctx, u.ID)
	Expect(after["id"]).To(Equal(u.ID))
	Expect(after["externalId"]).To(Equal(before["externalId"]), "externalId moved")
	Expect(after["active"]).NotTo(Equal(false), "the PUT deactivated the user")
	Expect(strings.EqualFold(fmt.Sprint(after["userName"]), u.UserName)).To(BeTrue(), "userName is %v", after["userName"])
	name, _ := after["name"].(map[string]any)
	Expect(name).To(HaveKeyWithValue("givenName", "Renamed"), "the PUT's givenName was not stored")
}

func checkPutKeepsGroups(ctx context.Context, s *session) {
	u := s.newUser(ctx)
	gid, _ := s.newGroup(ctx, u)
	Expect(s.members(ctx, gid)).To(Equal([]string{u.ID}), "the group's member after Okta's add")
	s.push(ctx, u)
	Expect(s.members(ctx, gid)).To(Equal([]string{u.ID}), `the PUT with "groups": [] removed the user from its group`)
}

func checkPatchActive(ctx context.Context, s *session) {
	u := s.newUser(ctx)
	for _, active := range []bool{false, true} {
		expect(s.do(ctx, http.MethodPatch, "/Users/"+url.PathEscape(u.ID), map[string]any{
			"schemas":    []any{okta.SchemaPatchOp},
			"Operations": []any{map[string]any{"op": "replace", "value": map[string]any{"active": active}}},
		}), fmt.Sprintf("PATCH /Users/%s replace {active: %t}", u.ID, active), http.StatusOK, http.StatusNoContent)
		Expect(s.getUser(ctx, u.ID)["active"]).To(Equal(active), "active after PATCH {active: %t}", active)
	}
}

func checkGroupCreate(ctx context.Context, s *session) {
	id, name := s.newGroup(ctx)
	doc := expect(s.do(ctx, http.MethodGet, "/Groups/"+url.PathEscape(id), nil), "GET /Groups/"+id, http.StatusOK)
	Expect(doc["displayName"]).To(Equal(name))
}

func checkGroupRename(ctx context.Context, s *session) {
	a, b := s.newUser(ctx), s.newUser(ctx)
	gid, name := s.newGroup(ctx, a, b)
	s.patchGroup(ctx, gid, "rename", renameOp(gid, name+"-renamed"))
	doc := expect(s.do(ctx, http.MethodGet, "/Groups/"+url.PathEscape(gid), nil), "GET /Groups/"+gid, http.StatusOK)
	Expect(doc["displayName"]).To(Equal(name+"-renamed"), "the rename was not applied")
	Expect(s.members(ctx, gid)).To(Equal(ids(a, b)), "members after the rename")
}

func checkGroupAdd(ctx context.Context, s *session) {
	a, b := s.newUser(ctx), s.newUser(ctx)
	gid, name := s.newGroup(ctx, a)
	s.patchGroup(ctx, gid, "add a member", renameOp(gid, name), addOp(b))
	Expect(s.members(ctx, gid)).To(Equal(ids(a, b)), "members after adding one to one")
}

func checkGroupReAdd(ctx context.Context, s *session) {
	a, b := s.newUser(ctx), s.newUser(ctx)
	gid, name := s.newGroup(ctx, a, b)
	s.patchGroup(ctx, gid, "add a member again", renameOp(gid, name), addOp(a))
	Expect(s.members(ctx, gid)).To(Equal(ids(a, b)), "members after adding a member that was there")
}

func checkGroupRemove(ctx context.Context, s *session) {
	a, b, c := s.newUser(ctx), s.newUser(ctx), s.newUser(ctx)
	gid, name := s.newGroup(ctx, a, b, c)
	s.patchGroup(ctx, gid, "remove a member", renameOp(gid, name), removeOp(b))
	Expect(s.members(ctx, gid)).To(Equal(ids(a, c)), "members after removing one of three")
}

func checkGroupReplace(ctx context.Context, s *session) {
	a, b, c := s.newUser(ctx), s.newUser(ctx), s.newUser(ctx)
	gid, _ := s.newGroup(ctx, a, b)
	s.patchGroup(ctx, gid, "Push Now", replaceMembersOp(b, c))
	Expect(s.members(ctx, gid)).To(Equal(ids(b, c)), "members after replacing {a, b} with {b, c}")
}

func checkGroupReplaceEmpty(ctx context.Context, s *session) {
	a, b := s.newUser(ctx), s.newUser(ctx)
	gid, _ := s.newGroup(ctx, a, b)
	s.patchGroup(ctx, gid, "Push Now of an empty group", replaceMembersOp())
	Expect(s.members(ctx, gid)).To(BeEmpty(), "members after replace members []")
}

func checkGroupPut(ctx context.Context, s *session) {
	a, b := s.newUser(ctx), s.newUser(ctx)
	gid, name := s.newGroup(ctx, a)
	expect(s.do(ctx, http.MethodPut, "/Groups/"+url.PathEscape(gid), map[string]any{
		"schemas": []any{okta.SchemaGroup}, "id": gid, "displayName": name, "members": memberValues(a, b),
	}), "PUT /Groups/"+gid, http.StatusOK)
	Expect(s.members(ctx, gid)).To(Equal(ids(a, b)), "members after a PUT with two members")
}

package conformance

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/google/uuid"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/scimreplay/scimreplay/fakes/idp"
	"github.com/scimreplay/scimreplay/fakes/okta"
	"github.com/scimreplay/scimreplay/harness"
	"github.com/scimreplay/scimreplay/harness/scenario"
)

// What Microsoft Entra ID's provisioning service requires before a sync can be trusted. The
// shapes are Microsoft Learn's:
//   - [tutorial] "Tutorial: Develop and plan provisioning for a SCIM endpoint in Microsoft Entra
//     ID" (learn.microsoft.com/entra/identity/app-provisioning/use-scim-to-provision-users-and-groups):
//     the requirements table (query users by externalId, groups by displayName with
//     excludedAttributes=members), "Don't require a case-sensitive match on … PATCH op …
//     Microsoft Entra ID emits the values of op as Add, Replace, and Remove", and the example
//     requests (Create Group with the ADSCIM schema, Update Group [Add Members] and
//     [Remove Members] with {"$ref": null, "value": …} lists).
//   - [known issues] "Known issues and resolutions with SCIM 2.0 protocol compliance of the
//     Microsoft Entra user provisioning service"
//     (…/app-provisioning/application-provisioning-config-problem-scim-compatibility): without the
//     aadOptscim062020 flag Entra disables a user with {"op": "Replace", "path": "active",
//     "value": "False"} and removes a member with "Remove" path=members and a value list; the
//     page itself calls both not yet SCIM compliant.
//
// Where the RFCs leave a server the choice, every answer they allow passes: excludedAttributes
// may be ignored (RFC 7644 §3.4.2.5 and §3.9 make it a client request, and the tutorial says a
// server need not return members at all), and a string where RFC 7643 wants a boolean, or a
// remove with a value list that RFC 7644 §3.5.2.2 does not define, may be refused with 400 —
// Entra then reports the error instead of losing state, so such a check is skipped with the
// reason, not failed. What no reading allows fails: an answer of success with the wrong state.

// entraChecks are the checks for Entra, labelled conformance:entra-…; see ../../../shared/entra-traffic.md.
var entraChecks = []Check{
	{"entra-test-connection", `answers Entra's test connection, filter=externalId eq "<random GUID>", with 200 and an empty ListResponse`, checkEntraTestConnection},
	{"entra-lookup-externalId", `finds a user by Entra's match filter=externalId eq "…"`, checkEntraLookupExternalID},
	{"entra-group-create", "answers Entra's POST /Groups, with its ADSCIM schema and no members, with 201 and an id", checkEntraGroupCreate},
	{"entra-group-lookup-excluded", `answers GET /Groups?excludedAttributes=members&filter=displayName eq "…" with the group (members, if given, right)`, checkEntraGroupLookup},
	{"entra-group-get-excluded", "answers GET /Groups/{id}?excludedAttributes=members with the group (members, if given, right)", checkEntraGroupGet},
	{"entra-patch-capitalised-ops", `applies PATCH ops "Replace", "Add", "Remove" as replace, add, remove`, checkEntraCapitalisedOps},
	{"entra-active-string", `applies Entra's Replace of active with the strings "True" and "False" as booleans, or refuses them with 400`, checkEntraActiveString},
	{"entra-group-add-members", `adds members with Entra's "Add" path=members and a value list, keeping the members there were`, checkEntraGroupAdd},
	{"entra-group-remove-member", `removes exactly the listed member with Entra's "Remove" path=members and a value list, or refuses it with 400`, checkEntraGroupRemove},
}

// entraExpect is expect, for a request Entra sends.
func entraExpect(resp *harness.Response, what string, status ...int) map[string]any {
	GinkgoHelper()
	return expectFrom("Entra", resp, what, status...)
}

// entraFilter is Entra's query GET {resource}?[excludedAttributes=members&]filter=attr eq "value"
// (no paging parameters: [tutorial], Get User by query, Get Group by displayName).
func (s *session) entraFilter(ctx context.Context, resource, attr, value string, excludeMembers bool) (*harness.Response, string) {
	f := attr + " eq " + harness.QuoteFilterValue(value)
	q := "filter=" + idp.QueryEscape(f)
	what := "GET " + resource + "?filter=" + f
	if excludeMembers {
		q = "excludedAttributes=members&" + q
		what = "GET " + resource + "?excludedAttributes=members&filter=" + f
	}
	return s.do(ctx, http.MethodGet, resource+"?"+q, nil), what
}

// newEntraUser creates a user with Entra's POST /Users body ([tutorial], Create User): the core
// and enterprise schemas, a GUID externalId, a work email flagged primary, roles [] and the
// read-only meta Entra sends along.
func (s *session) newEntraUser(ctx context.Context) user {
	GinkgoHelper()
	u := s.oktaUser()
	u.ExternalID = uuid.NewString()
	resp := s.do(ctx, http.MethodPost, "/Users", u.EntraProfile())
	doc := entraExpect(resp, "POST /Users (creating a user as Entra does, for the check)", http.StatusCreated)
	id, _ := doc["id"].(string)
	Expect(id).NotTo(BeEmpty(), "POST /Users answered 201 without an id: %s", truncate(string(resp.Body), 400))
	return user{ID: id, User: u}
}

// entraPatch sends a PatchOp with Entra's operations.
func (s *session) entraPatch(ctx context.Context, path string, ops ...any) *harness.Response {
	GinkgoHelper()
	return s.do(ctx, http.MethodPatch, path, map[string]any{"schemas": []any{okta.SchemaPatchOp}, "Operations": ops})
}

// entraMembers is Entra's member value list: [{"$ref": null, "value": id}, …] ([tutorial],
// Update Group [Add Members]); a null $ref is unassigned (RFC 7643 §2.5).
func entraMembers(us ...user) []any {
	out := make([]any, len(us))
	for i, u := range us {
		out[i] = map[string]any{"$ref": nil, "value": u.ID}
	}
	return out
}

func checkEntraTestConnection(ctx context.Context, s *session) {
	resp, what := s.entraFilter(ctx, "/Users", "externalId", uuid.NewString(), false)
	entraExpect(resp, what, http.StatusOK)
	p := decodePage(resp, what)
	Expect(p.total).To(Equal(0), "%s: totalResults for a GUID nobody has; Entra's test connection wants an empty ListResponse", what)
	Expect(p.ids).To(BeEmpty(), "%s: Resources for a GUID nobody has", what)
}

func checkEntraLookupExternalID(ctx context.Context, s *session) {
	u := s.newEntraUser(ctx)
	resp, what := s.entraFilter(ctx, "/Users", "externalId", u.ExternalID, false)
	entraExpect(resp, what, http.StatusOK)
	p := decodePage(resp, what)
	Expect(p.ids).To(Equal([]string{u.ID}), "%s: want exactly the user %s (id %s), created with that externalId; totalResults %d. Entra matches users by it, and creates a duplicate when it finds none", what, u.UserName, u.ID, p.total)
	Expect(p.total).To(Equal(1), "%s: totalResults", what)
}

func checkEntraGroupCreate(ctx context.Context, s *session) {
	name := fmt.Sprintf("conf-%s-group-%d", s.run, s.seq.Add(1))
	resp := s.do(ctx, http.MethodPost, "/Groups", map[string]any{
		"schemas":     []any{okta.SchemaGroup, scenario.SchemaEntraGroup},
		"externalId":  uuid.NewString(),
		"displayName": name,
		"meta":        map[string]any{"resourceType": "Group"},
	})
	doc := entraExpect(resp, "POST /Groups with schemas [core Group, "+scenario.SchemaEntraGroup+"]", http.StatusCreated)
	id, _ := doc["id"].(string)
	Expect(id).NotTo(BeEmpty(), "POST /Groups answered 201 without an id: %s", truncate(string(resp.Body), 400))
	got := entraExpect(s.do(ctx, http.MethodGet, "/Groups/"+url.PathEscape(id), nil), "GET /Groups/"+id, http.StatusOK)
	Expect(got["displayName"]).To(Equal(name), "the group Entra created has another displayName")
}

// expectMembersIfGiven checks a group resource: its id, and its members where the answer has
// them. Leaving members out is the point of excludedAttributes=members, but the RFC does not make
// a server honour it (RFC 7644 §3.4.2.5, §3.9) and Entra needs no members back ([tutorial]:
// "It isn't necessary to support returning all the members of the group"), so members in the
// answer pass, as long as they are the group's. An empty list or null is no members given: both
// mean unassigned (RFC 7643 §2.5), which is what excluding members looks like.
func expectMembersIfGiven(res map[string]any, what, id string, want []string) {
	GinkgoHelper()
	Expect(res["id"]).To(Equal(id), "%s: the answer is another group", what)
	ms, given := res["members"]
	if !given || ms == nil {
		return
	}
	list, ok := ms.([]any)
	Expect(ok).To(BeTrue(), "%s: members is %s, not a list", what, jsonText(ms))
	if len(list) == 0 {
		return
	}
	var got []string
	for _, m := range list {
		mm, _ := m.(map[string]any)
		v, _ := mm["value"].(string)
		got = append(got, v)
	}
	slices.Sort(got)
	Expect(got).To(Equal(want), "%s: the answer shows members (which excludedAttributes=members asked to leave out), and they are not the group's", what)
}

func checkEntraGroupLookup(ctx context.Context, s *session) {
	a, b := s.newUser(ctx), s.newUser(ctx)
	gid, name := s.newGroup(ctx, a, b)
	resp, what := s.entraFilter(ctx, "/Groups", "displayName", name, true)
	entraExpect(resp, what, http.StatusOK)
	p := decodePage(resp, what)
	Expect(p.ids).To(Equal([]string{gid}), "%s: want exactly the group %s (id %s); totalResults %d. Entra matches groups by displayName", what, name, gid, p.total)
	Expect(p.total).To(Equal(1), "%s: totalResults", what)
	var doc struct {
		Resources []map[string]any `json:"Resources"`
	}
	Expect(json.Unmarshal(resp.Body, &doc)).To(Succeed(), "%s: Resources is not a list of objects", what)
	expectMembersIfGiven(doc.Resources[0], what, gid, ids(a, b))
}

func checkEntraGroupGet(ctx context.Context, s *session) {
	a, b := s.newUser(ctx), s.newUser(ctx)
	gid, name := s.newGroup(ctx, a, b)
	what := "GET /Groups/" + gid + "?excludedAttributes=members"
	doc := entraExpect(s.do(ctx, http.MethodGet, "/Groups/"+url.PathEscape(gid)+"?excludedAttributes=members", nil), what, http.StatusOK)
	Expect(doc["displayName"]).To(Equal(name), "%s: displayName", what)
	expectMembersIfGiven(doc, what, gid, ids(a, b))
}

// userAttrs is what the capitalised-ops check compares: the attributes its PATCHes touch.
func userAttrs(doc map[string]any) (familyName, displayName any) {
	name, _ := doc["name"].(map[string]any)
	return name["familyName"], doc["displayName"]
}

// checkEntraCapitalisedOps sends the same PATCHes to two users created alike, one with the
// lower-case ops of RFC 7644 §3.5.2 and one with Entra's capitalised ones, and wants the same
// answer and the same result: whatever the server makes of add and remove (a displayName it
// computes when removed, say), case must not change it. Entra's Replace of name.familyName (its
// own example, [tutorial] Update User) must be applied outright, so a server ignoring every
// PATCH does not pass by doing nothing twice.
func checkEntraCapitalisedOps(ctx context.Context, s *session) {
	lower, capital := s.newUser(ctx), s.newUser(ctx)
	family := fmt.Sprintf("Renamed %d", s.seq.Add(1))
	display := "Entra " + family
	for i, ops := range [][]map[string]any{
		{{"op": "Replace", "path": "name.familyName", "value": family}, {"op": "Add", "path": "displayName", "value": display}},
		{{"op": "Remove", "path": "displayName"}},
	} {
		var sent []string
		lowerOps, capitalOps := make([]any, len(ops)), make([]any, len(ops))
		for j, op := range ops {
			lo := map[string]any{}
			for k, v := range op {
				lo[k] = v
			}
			lo["op"] = strings.ToLower(op["op"].(string))
			lowerOps[j], capitalOps[j] = lo, op
			sent = append(sent, fmt.Sprintf("%s %s", op["op"], op["path"]))
		}
		what := fmt.Sprintf("PATCH /Users/%s [%s]", capital.ID, strings.Join(sent, ", "))
		ref := s.entraPatch(ctx, "/Users/"+url.PathEscape(lower.ID), lowerOps...)
		got := s.entraPatch(ctx, "/Users/"+url.PathEscape(capital.ID), capitalOps...)
		const why = "Entra sends op as Add, Replace and Remove, and Microsoft Learn asks that op not be matched case-sensitively"
		if i == 0 {
			Expect(got.Status).To(BeElementOf(http.StatusOK, http.StatusNoContent), "%s answered %d, Entra expects 200 or 204: %s; body: %s", what, got.Status, why, truncate(string(got.Body), 400))
		}
		Expect(got.Status/100).To(Equal(ref.Status/100), "%s answered %d, the same PATCH with lower-case ops %d: %s; body: %s", what, got.Status, ref.Status, why, truncate(string(got.Body), 400))
		refFamily, refDisplay := userAttrs(s.getUser(ctx, lower.ID))
		gotFamily, gotDisplay := userAttrs(s.getUser(ctx, capital.ID))
		if i == 0 {
			Expect(gotFamily).To(Equal(family), `after %s: name.familyName is %v; Entra's "Replace" was not applied as replace`, what, jsonText(gotFamily))
		}
		// Compared as JSON: an attribute absent on both sides is the same (Gomega's Equal
		// refuses nil to nil).
		Expect(jsonText(gotFamily)).To(Equal(jsonText(refFamily)), "after %s: name.familyName is %s, with lower-case ops %s", what, jsonText(gotFamily), jsonText(refFamily))
		Expect(jsonText(gotDisplay)).To(Equal(jsonText(refDisplay)), "after %s: displayName is %s, with lower-case ops %s: the capitalised op was not applied as its lower-case equivalent", what, jsonText(gotDisplay), jsonText(refDisplay))
	}
}

// entraActive is Entra's PATCH of active in its default dialect ([known issues], "Requests made
// to disable users", without the feature flag).
func entraActive(value string) any {
	return map[string]any{"op": "Replace", "path": "active", "value": value}
}

func checkEntraActiveString(ctx context.Context, s *session) {
	u := s.newUser(ctx)
	// A full cycle ("Restart provisioning") re-sends "True" to an active user, then a soft
	// delete sends "False", and a restore "True" again.
	for i, value := range []string{"True", "False", "True"} {
		want := value == "True"
		what := fmt.Sprintf(`PATCH /Users/%s [Replace active "%s"]`, u.ID, value)
		resp := s.entraPatch(ctx, "/Users/"+url.PathEscape(u.ID), entraActive(value))
		if i == 0 && resp.Status == http.StatusBadRequest {
			// Refused: because of the string (RFC 7643 §2.3.2 wants a JSON boolean, which a
			// server may insist on) or because of the capitalised op? Ask again in lower case.
			probe := s.entraPatch(ctx, "/Users/"+url.PathEscape(u.ID), map[string]any{"op": "replace", "path": "active", "value": value})
			if probe.Status/100 == 2 {
				Fail(fmt.Sprintf(`%s answered 400, but the same with "op": "replace" answered %d: the target refuses Entra's capitalised op, not the string (conformance:entra-patch-capitalised-ops); body: %s`, what, probe.Status, truncate(string(resp.Body), 400)))
			}
			entraExpect(probe, `the same PATCH with "op": "replace"`, http.StatusBadRequest)
			Expect(s.getUser(ctx, u.ID)["active"]).NotTo(Equal(false), "%s answered 400, yet the user is now inactive: a refused PATCH must change nothing (RFC 7644 §3.5.2)", what)
			Skip(fmt.Sprintf(`%s answered 400: the target refuses a string where RFC 7643 wants a boolean, which the RFC allows. Entra's default dialect sends "True"/"False", so its soft deletes and restores would fail (visibly, in Entra's provisioning logs) until the app's tenant URL carries ?aadOptscim062020, which sends booleans; body: %s`, what, truncate(string(resp.Body), 300)))
		}
		entraExpect(resp, what, http.StatusOK, http.StatusNoContent)
		got := s.getUser(ctx, u.ID)["active"]
		if _, isBool := got.(bool); !isBool {
			Fail(fmt.Sprintf("after %s, active reads back as %s, not a boolean: RFC 7643 §4.1.1 makes active a Boolean", what, jsonText(got)))
		}
		Expect(got).To(Equal(want), "after %s, active is %v: the string %q was not read as the boolean %t", what, got, value, want)
	}
}

func checkEntraGroupAdd(ctx context.Context, s *session) {
	a, b, c := s.newUser(ctx), s.newUser(ctx), s.newUser(ctx)
	gid, _ := s.newGroup(ctx, a)
	what := fmt.Sprintf("PATCH /Groups/%s [Add members %s, %s]", gid, b.ID, c.ID)
	entraExpect(s.entraPatch(ctx, "/Groups/"+url.PathEscape(gid),
		map[string]any{"op": "Add", "path": "members", "value": entraMembers(b, c)}), what, http.StatusOK, http.StatusNoContent)
	Expect(s.members(ctx, gid)).To(Equal(ids(a, b, c)), "members after %s to a group of one", what)
}

func checkEntraGroupRemove(ctx context.Context, s *session) {
	a, b, c := s.newUser(ctx), s.newUser(ctx), s.newUser(ctx)
	gid, _ := s.newGroup(ctx, a, b, c)
	what := fmt.Sprintf("PATCH /Groups/%s [Remove members value [%s]]", gid, b.ID)
	resp := s.entraPatch(ctx, "/Groups/"+url.PathEscape(gid), map[string]any{"op": "Remove", "path": "members", "value": entraMembers(b)})
	if resp.Status == http.StatusBadRequest {
		Expect(s.members(ctx, gid)).To(Equal(ids(a, b, c)), "%s answered 400, yet the members changed: a refused PATCH must change nothing (RFC 7644 §3.5.2)", what)
		// Refused for the value list, or for the capitalised op? Ask again in lower case.
		probe := s.entraPatch(ctx, "/Groups/"+url.PathEscape(gid), map[string]any{"op": "remove", "path": "members", "value": entraMembers(b)})
		if probe.Status/100 == 2 {
			Fail(fmt.Sprintf(`%s answered 400, but the same with "op": "remove" answered %d: the target refuses Entra's capitalised op, not the value list (conformance:entra-patch-capitalised-ops); body: %s`, what, probe.Status, truncate(string(resp.Body), 400)))
		}
		entraExpect(probe, `the same PATCH with "op": "remove"`, http.StatusBadRequest)
		Skip(fmt.Sprintf(`%s answered 400: the target refuses a remove with a value list, which RFC 7644 §3.5.2.2 does not define. Entra's default dialect removes members this way, so its removals would fail (visibly) until the tenant URL carries ?aadOptscim062020, which sends remove members[value eq "…"] (conformance:group-remove-member); body: %s`, what, truncate(string(resp.Body), 300)))
	}
	entraExpect(resp, what, http.StatusOK, http.StatusNoContent)
	got := s.members(ctx, gid)
	if len(got) == 0 {
		Fail(fmt.Sprintf("%s answered %d and emptied the group: the value list was ignored and the remove read as \"remove every member\" (RFC 7644 §3.5.2.2 without a filter). Entra would empty a group at every member removal; refuse the request (400) if the value list cannot be applied", what, resp.Status))
	}
	Expect(got).To(Equal(ids(a, c)), "members after %s from {a, b, c}", what)
}

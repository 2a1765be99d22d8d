package directory

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"
)

// faultCase is one fault's demonstration: run performs, on a fresh directory,
// the request that the fault's catalogue row is about and reports whether
// the outcome is the broken one ("" means correct).
type faultCase struct {
	fault string
	run   func(h *harness) (broken string)
}

// ids reads a group's member ids without failing the test.
func (h *harness) probeMembers(groupID string) ([]string, bool) {
	r := h.do("GET", "/scim/v2/Groups/"+groupID, nil)
	if r.status != http.StatusOK {
		return nil, false
	}
	var ids []string
	ms, _ := r.body["members"].([]any)
	for _, m := range ms {
		ids = append(ids, m.(map[string]any)["value"].(string))
	}
	return ids, true
}

// probeUser reports, after a settle window, whether one user is still
// linked, in a group, and free of unlink events.
func (h *harness) probeUser(id string) string {
	h.settle()
	r := h.do("GET", "/scim/v2/Users/"+id, nil)
	if r.status != http.StatusOK {
		return fmt.Sprintf("user %s: GET %d", id, r.status)
	}
	var problems []string
	if linkOf(r.body) == "" {
		problems = append(problems, "unlinked")
	}
	if gs, _ := r.body["groups"].([]any); len(gs) == 0 {
		problems = append(problems, "in no group")
	}
	if n := len(h.unlinkEvents()); n > 0 {
		problems = append(problems, fmt.Sprintf("%d unlink events", n))
	}
	return strings.Join(problems, ", ")
}

// membersBroken compares a group's members with want as multisets: members
// have no order (RFC 7643 §2.4), and a duplicate is a change.
func membersBroken(h *harness, g string, want ...string) string {
	got, ok := h.probeMembers(g)
	if !ok {
		return "group gone"
	}
	if !sameMultiset(got, want) {
		return fmt.Sprintf("members %v, want %v", got, want)
	}
	return ""
}

func sameMultiset(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(a, b)
}

// repushed puts bob's unchanged profile and reports what check finds wrong.
func repushed(h *harness, check func(h *harness, bob string, before map[string]any) string) string {
	bob := unmanagedInGroup(h)
	before := h.user(bob)
	if broken := putUser(h, bob, bobBody("bob@partner.example")); broken != "" {
		return broken
	}
	h.settle()
	return check(h, bob, before)
}

// unmanagedInGroup creates bob (unmanaged, linked to the seeded acct-7) in a group.
func unmanagedInGroup(h *harness) string {
	bob := h.createUser("bob@partner.example")
	h.createGroup("eng", bob)
	return bob
}

func putUser(h *harness, id string, body map[string]any) string {
	r := h.do("PUT", "/scim/v2/Users/"+id, body)
	if r.status != http.StatusOK {
		return fmt.Sprintf("PUT %d", r.status)
	}
	if r.body["id"] != id {
		return fmt.Sprintf("PUT answered id %v", r.body["id"])
	}
	return ""
}

func groupOfTwo(h *harness) (g, a, b string) {
	a = h.createUser("a@acme.example")
	b = h.createUser("b@acme.example")
	return h.createGroup("eng", a, b), a, b
}

func patchGroup(h *harness, g string, ops ...map[string]any) string {
	if r := h.do("PATCH", "/scim/v2/Groups/"+g, patchBody(ops...)); r.status != http.StatusOK {
		return fmt.Sprintf("PATCH %d: %s", r.status, r.raw)
	}
	return ""
}

func firstOf(s ...string) string {
	for _, x := range s {
		if x != "" {
			return x
		}
	}
	return ""
}

// oktaReactivate is Okta's reactivation of a deactivated user: it looks the
// user up by userName; if the lookup finds it, Okta updates it (active:
// true), else it POSTs the profile again with the same externalId. Either
// way the user must come back with its id.
func oktaReactivate(h *harness, id string, body map[string]any) string {
	name := body["userName"].(string)
	r := h.do("GET", "/scim/v2/Users?filter="+url.QueryEscape(fmt.Sprintf("userName eq %q", name)), nil)
	if r.status != http.StatusOK {
		return fmt.Sprintf("lookup answered %d", r.status)
	}
	if n, _ := r.body["totalResults"].(float64); n == 1 {
		if r := h.do("PATCH", "/scim/v2/Users/"+id, patchBody(op("replace", "", map[string]any{"active": true}))); r.status != http.StatusOK {
			return fmt.Sprintf("reactivating PATCH answered %d", r.status)
		}
		return ""
	}
	r = h.do("POST", "/scim/v2/Users", body)
	if r.status != http.StatusCreated && r.status != http.StatusOK {
		return fmt.Sprintf("re-POST answered %d", r.status)
	}
	if r.body["id"] != id || r.body["active"] != true {
		return fmt.Sprintf("re-POST gave id %v active %v", r.body["id"], r.body["active"])
	}
	return ""
}

var faultCases = []faultCase{
	{faultAccess1003, func(h *harness) string {
		bob := unmanagedInGroup(h)
		return firstOf(putUser(h, bob, userBody("bob@partner.example", "bob@partner.example", "00u-bob@partner.example")), h.probeUser(bob))
	}},
	{faultEmailCaseSensitive, func(h *harness) string {
		bob := unmanagedInGroup(h)
		return firstOf(putUser(h, bob, userBody("bob@partner.example", "Bob@Partner.example", "00u-bob@partner.example")), h.probeUser(bob))
	}},
	{faultLookupCaseSensitive, func(h *harness) string {
		h.createUser("bob@partner.example")
		r := h.do("GET", `/scim/v2/Users?filter=userName+eq+%22Bob%40Partner.example%22`, nil)
		if n, _ := r.body["totalResults"].(float64); n != 1 {
			return fmt.Sprintf("lookup found %v users", r.body["totalResults"])
		}
		if r := h.do("POST", "/scim/v2/Users", userBody("Bob@Partner.example", "bob@partner.example", "00u-2")); r.status != http.StatusConflict {
			return fmt.Sprintf("duplicate POST answered %d", r.status)
		}
		return ""
	}},
	{faultPrimaryFlagLost, func(h *harness) string {
		body := userBody("bob@partner.example", "bob@partner.example", "00u-bob")
		body["emails"] = []any{
			map[string]any{"value": "bob@partner.example", "primary": true, "type": "work"},
			map[string]any{"value": "bob@home.example", "type": "home"},
		}
		bob := h.must(http.StatusCreated, "POST", "/scim/v2/Users", body).body["id"].(string)
		h.createGroup("eng", bob)
		// Re-push with the primary second and no flags at all.
		body["emails"] = []any{
			map[string]any{"value": "bob@home.example", "type": "home"},
			map[string]any{"value": "bob@partner.example", "type": "work"},
		}
		return firstOf(putUser(h, bob, body), h.probeUser(bob))
	}},
	{faultPutGroupsClears, func(h *harness) string {
		jane := h.createUser("jane@acme.example")
		h.createGroup("eng", jane)
		return firstOf(putUser(h, jane, userBody("jane@acme.example", "jane@acme.example", "00u-jane@acme.example")), h.probeUser(jane))
	}},
	{faultPutReissuesID, func(h *harness) string {
		jane := h.createUser("jane@acme.example")
		h.createGroup("eng", jane)
		body := userBody("jane@acme.example", "jane@acme.example", "00u-jane@acme.example")
		delete(body, "groups")
		return firstOf(putUser(h, jane, body), h.probeUser(jane))
	}},
	{faultRenameWipesMembers, func(h *harness) string {
		g, a, b := groupOfTwo(h)
		return firstOf(patchGroup(h, g, op("replace", "", map[string]any{"id": g, "displayName": "Engineering"})), membersBroken(h, g, a, b))
	}},
	{faultAddAsReplace, func(h *harness) string {
		g, a, b := groupOfTwo(h)
		c := h.createUser("c@acme.example")
		return firstOf(patchGroup(h, g, op("add", "members", members(c))), membersBroken(h, g, a, b, c))
	}},
	{faultFilteredRemoveAll, func(h *harness) string {
		g, a, b := groupOfTwo(h)
		return firstOf(patchGroup(h, g, op("remove", fmt.Sprintf("members[value eq %q]", a), nil)), membersBroken(h, g, b))
	}},
	{faultFilteredRemoveIgnored, func(h *harness) string {
		g, a, b := groupOfTwo(h)
		return firstOf(patchGroup(h, g, op("remove", fmt.Sprintf("members[value eq %q]", b), nil)), membersBroken(h, g, a))
	}},
	{faultEmptyReplaceIgnored, func(h *harness) string {
		g, _, _ := groupOfTwo(h)
		return firstOf(patchGroup(h, g, op("replace", "members", []any{})), membersBroken(h, g))
	}},
	{faultReaddDuplicates, func(h *harness) string {
		g, a, b := groupOfTwo(h)
		return firstOf(patchGroup(h, g, op("add", "members", members(a))), membersBroken(h, g, a, b))
	}},
	{faultGroupPutDropsMembers, func(h *harness) string {
		g, a, b := groupOfTwo(h)
		r := h.do("PUT", "/scim/v2/Groups/"+g, map[string]any{"schemas": []string{groupSchema}, "displayName": "eng", "members": members(b, a)})
		if r.status != http.StatusOK {
			return fmt.Sprintf("PUT %d", r.status)
		}
		return membersBroken(h, g, b, a)
	}},
	{faultReactivateConflict, func(h *harness) string {
		bob := unmanagedInGroup(h)
		h.must(http.StatusOK, "PATCH", "/scim/v2/Users/"+bob, patchBody(op("replace", "", map[string]any{"active": false})))
		return firstOf(oktaReactivate(h, bob, bobBody("bob@partner.example")), h.probeUser(bob))
	}},
	{faultRelinkOnRepush, func(h *harness) string {
		return repushed(h, func(h *harness, bob string, before map[string]any) string {
			if got, was := linkOf(h.user(bob)), linkOf(before); got != was {
				return fmt.Sprintf("link moved from %q to %q", was, got)
			}
			return ""
		})
	}},
	{faultExternalIDDropped, func(h *harness) string {
		return repushed(h, func(h *harness, bob string, before map[string]any) string {
			if got := h.user(bob)["externalId"]; got != before["externalId"] {
				return fmt.Sprintf("externalId %v, was %v", got, before["externalId"])
			}
			return ""
		})
	}},
	{faultActiveFlipped, func(h *harness) string {
		return repushed(h, func(h *harness, bob string, before map[string]any) string {
			if got := h.user(bob)["active"]; got != true {
				return fmt.Sprintf("active %v after a re-push with active: true", got)
			}
			return ""
		})
	}},
	{faultEmailsMergedOnPut, func(h *harness) string {
		bob := unmanagedInGroup(h)
		before := normalEmails(h.user(bob))
		if broken := putUser(h, bob, bobBody("Bob@Partner.example")); broken != "" {
			return broken
		}
		if got := normalEmails(h.user(bob)); got != before {
			return fmt.Sprintf("emails %s, were %s", got, before)
		}
		return ""
	}},
	{faultAccess1003Queued, func(h *harness) string {
		return repushed(h, func(h *harness, bob string, _ map[string]any) string {
			if n := len(h.unlinkEvents()); n > 0 {
				return fmt.Sprintf("%d unlink events", n)
			}
			return ""
		})
	}},
	{faultAccess1003Delayed, func(h *harness) string {
		bob := unmanagedInGroup(h)
		return firstOf(putUser(h, bob, bobBody("bob@partner.example")), h.probeUser(bob))
	}},
	{faultEmailsCaseAndOrder, func(h *harness) string {
		bob := twoEmailsInGroup(h)
		return firstOf(putUser(h, bob, twoEmails(bobBody("bob@partner.example"), true, "Bob@Partner.example")), h.probeUser(bob))
	}},
	{faultEntraOpCaseSensitive, func(h *harness) string {
		// Entra's default dialect: the op capitalised (a JSON boolean, so only the op's case
		// is at stake).
		bob := h.createUser("bob@acme.example")
		if r := h.do("PATCH", "/scim/v2/Users/"+bob, patchBody(op("Replace", "displayName", "Bob B"))); r.status != http.StatusOK {
			return fmt.Sprintf("PATCH with op Replace answered %d: %s", r.status, r.raw)
		}
		return ""
	}},
	{faultEntraStringBool, func(h *harness) string {
		// Entra's re-sent active, a string (the op in lower case, so only the value is at stake).
		bob := h.createUser("bob@acme.example")
		if r := h.do("PATCH", "/scim/v2/Users/"+bob, patchBody(op("replace", "active", "True"))); r.status != http.StatusOK {
			return fmt.Sprintf("PATCH answered %d: %s", r.status, r.raw)
		}
		if got := h.user(bob)["active"]; got != true {
			return fmt.Sprintf("active %v after active \"True\"", got)
		}
		return ""
	}},
	{faultRemoveValueListEmpty, func(h *harness) string {
		g, a, b := groupOfTwo(h)
		return firstOf(patchGroup(h, g, op("remove", "members", members(a))), membersBroken(h, g, b))
	}},
	{faultReaddMemberConflict, func(h *harness) string {
		g, a, b := groupOfTwo(h)
		return firstOf(patchGroup(h, g, op("add", "members", members(a))), membersBroken(h, g, a, b))
	}},
}

// twoEmailsInGroup creates bob (unmanaged) with a second email, in a group.
func twoEmailsInGroup(h *harness) string {
	h.t.Helper()
	bob := h.must(http.StatusCreated, "POST", "/scim/v2/Users", twoEmails(bobBody("bob@partner.example"), false, "bob@partner.example")).body["id"].(string)
	h.createGroup("eng", bob)
	return bob
}

// twoEmails gives body bob's two emails, the primary (as primary) first or, reordered, second.
func twoEmails(body map[string]any, reordered bool, primary string) map[string]any {
	list := []any{
		map[string]any{"value": primary, "primary": true, "type": "work"},
		map[string]any{"value": "bob.brown@home.example", "type": "other"},
	}
	if reordered {
		list[0], list[1] = list[1], list[0]
	}
	body["emails"] = list
	return body
}

// The emails-case-and-order fault needs both no-op variations in one push: a reorder alone,
// then a case change alone, leave bob linked and in his group; the two together unlink him.
func TestEmailsCaseAndOrderNeedsBoth(t *testing.T) {
	h := newHarness(t, faultEmailsCaseAndOrder)
	bob := twoEmailsInGroup(h)
	for _, step := range []struct {
		name      string
		reordered bool
		primary   string
	}{
		{"reordered alone", true, "bob@partner.example"},
		{"case alone (in the order now stored)", true, "BOB@partner.example"},
		{"the stored order back, case kept", false, "BOB@partner.example"},
	} {
		if broken := firstOf(putUser(h, bob, twoEmails(bobBody("bob@partner.example"), step.reordered, step.primary)), h.probeUser(bob)); broken != "" {
			t.Fatalf("%s: %s", step.name, broken)
		}
	}
	if broken := firstOf(putUser(h, bob, twoEmails(bobBody("bob@partner.example"), true, "bob@Partner.example")), h.probeUser(bob)); broken == "" {
		t.Fatal("reordered and recased in one PUT: bob kept his link, want the fault's unlink")
	}
}

// TestFaultModes shows, for every fault, the broken behaviour with the fault
// on and the same requests working with it off.
func TestFaultModes(t *testing.T) {
	for _, fc := range faultCases {
		t.Run(fc.fault, func(t *testing.T) {
			if got := fc.run(newHarness(t)); got != "" {
				t.Errorf("fault off: %s", got)
			}
			if got := fc.run(newHarness(t, fc.fault)); got == "" {
				t.Errorf("fault on: the requests worked, want the broken behaviour")
			} else {
				t.Logf("fault on: %s", got)
			}
		})
	}
}

// TestFaultIsolation checks that each fault changes only the behaviour of its
// own row: every other demonstration still works with it on, except where
// one fault's request is also in another's scope (listed here with why).
func TestFaultIsolation(t *testing.T) {
	overlap := map[[2]string]string{
		{faultAccess1003, faultEmailCaseSensitive}:           "the case-changing PUT carries emails",
		{faultAccess1003, faultPrimaryFlagLost}:              "the reordering PUT carries emails",
		{faultPutReissuesID, faultAccess1003}:                "its demonstration is a PUT",
		{faultPutReissuesID, faultEmailCaseSensitive}:        "its demonstration is a PUT",
		{faultPutReissuesID, faultPrimaryFlagLost}:           "its demonstration is a PUT",
		{faultPutReissuesID, faultPutGroupsClears}:           "its demonstration is a PUT",
		{faultPutGroupsClears, faultAccess1003}:              "the PUT carries Okta's groups: []",
		{faultPutGroupsClears, faultEmailCaseSensitive}:      "the PUT carries Okta's groups: []",
		{faultPutGroupsClears, faultPrimaryFlagLost}:         "the PUT carries Okta's groups: []",
		{faultAddAsReplace, faultReaddDuplicates}:            "the re-add is an add path=members",
		{faultFilteredRemoveAll, faultFilteredRemoveIgnored}: "both demonstrate a filtered remove",
		{faultFilteredRemoveIgnored, faultFilteredRemoveAll}: "both demonstrate a filtered remove",

		{faultAccess1003, faultRelinkOnRepush}:            "the re-push carries emails (unlinked, so the link moves)",
		{faultAccess1003, faultAccess1003Queued}:          "the re-push carries emails",
		{faultAccess1003, faultAccess1003Delayed}:         "the re-push carries emails",
		{faultAccess1003Queued, faultAccess1003}:          "the re-push carries emails (the audit line)",
		{faultAccess1003Queued, faultEmailCaseSensitive}:  "the case-changing PUT carries emails",
		{faultAccess1003Queued, faultPrimaryFlagLost}:     "the reordering PUT carries emails",
		{faultAccess1003Queued, faultAccess1003Delayed}:   "the re-push carries emails",
		{faultAccess1003Delayed, faultAccess1003}:         "the re-push carries emails (after the delay)",
		{faultAccess1003Delayed, faultEmailCaseSensitive}: "the case-changing PUT carries emails",
		{faultAccess1003Delayed, faultPrimaryFlagLost}:    "the reordering PUT carries emails",
		{faultAccess1003Delayed, faultRelinkOnRepush}:     "the re-push carries emails (unlinked, so the link moves)",
		{faultAccess1003Delayed, faultAccess1003Queued}:   "the re-push carries emails",
		{faultPutGroupsClears, faultAccess1003Delayed}:    "the PUT carries Okta's groups: []",
		{faultPutReissuesID, faultRelinkOnRepush}:         "its demonstration is a PUT",
		{faultPutReissuesID, faultExternalIDDropped}:      "its demonstration is a PUT",
		{faultPutReissuesID, faultActiveFlipped}:          "its demonstration is a PUT",
		{faultPutReissuesID, faultEmailsMergedOnPut}:      "its demonstration is a PUT",
		{faultPutReissuesID, faultAccess1003Queued}:       "its demonstration is a PUT",
		{faultPutReissuesID, faultAccess1003Delayed}:      "its demonstration is a PUT",

		{faultAccess1003, faultEmailsCaseAndOrder}:         "the re-push carries emails",
		{faultEmailCaseSensitive, faultEmailsCaseAndOrder}: "the PUT changes an email's case",
		{faultPrimaryFlagLost, faultEmailsCaseAndOrder}:    "the PUT moves the primary email second",
		{faultPutGroupsClears, faultEmailsCaseAndOrder}:    "the PUT carries Okta's groups: []",
		{faultPutReissuesID, faultEmailsCaseAndOrder}:      "its demonstration is a PUT",
		{faultAccess1003Queued, faultEmailsCaseAndOrder}:   "the re-push carries emails",
		{faultAccess1003Delayed, faultEmailsCaseAndOrder}:  "the re-push carries emails",
		{faultReaddMemberConflict, faultReaddDuplicates}:   "its demonstration re-adds a member",
		{faultReaddDuplicates, faultReaddMemberConflict}:   "its demonstration re-adds a member",
		{faultAddAsReplace, faultReaddMemberConflict}:      "the re-add is an add path=members",
	}
	if len(faultCases) != len(catalogue) {
		t.Fatalf("%d fault demonstrations for %d faults", len(faultCases), len(catalogue))
	}
	for _, on := range catalogue {
		for _, fc := range faultCases {
			if fc.fault == on.Name {
				continue
			}
			t.Run(on.Name+"/"+fc.fault, func(t *testing.T) {
				got := fc.run(newHarness(t, on.Name))
				_, expected := overlap[[2]string{on.Name, fc.fault}]
				switch {
				case got != "" && !expected:
					t.Errorf("with %s on, the %s demonstration broke: %s", on.Name, fc.fault, got)
				case got == "" && expected:
					t.Errorf("listed overlap did not happen; drop it from the list")
				}
			})
		}
	}
}

func TestFaultCatalogue(t *testing.T) {
	want := []string{
		"access-1003", "email-case-sensitive", "lookup-case-sensitive", "primary-flag-lost",
		"put-groups-clears", "put-reissues-id", "rename-wipes-members", "add-as-replace",
		"filtered-remove-all", "filtered-remove-ignored", "empty-replace-ignored",
		"readd-duplicates", "group-put-drops-members", "reactivate-conflict",
		"relink-on-repush", "externalid-dropped", "active-flipped-on-repush",
		"emails-merged-on-put", "access-1003-queued", "access-1003-delayed",
		"emails-case-and-order",
		"entra-op-case-sensitive", "entra-string-bool", "remove-valuelist-empties", "readd-member-conflict",
	}
	var got []string
	for _, f := range Faults() {
		got = append(got, f.Name)
		if f.Description == "" || strings.Contains(f.Description, "\n") {
			t.Errorf("%s: want a one-line description, got %q", f.Name, f.Description)
		}
	}
	if !slices.Equal(got, want) {
		t.Fatalf("Faults() = %v, want %v", got, want)
	}
	Faults()[0].Name = "mutated"
	if Faults()[0].Name != "access-1003" {
		t.Fatal("Faults() exposes the catalogue to mutation")
	}
}

func TestParseFaults(t *testing.T) {
	got, err := ParseFaults(" access-1003 , readd-duplicates,")
	if err != nil || !slices.Equal(got, []string{"access-1003", "readd-duplicates"}) {
		t.Fatalf("ParseFaults = %v, %v", got, err)
	}
	if got, err := ParseFaults(""); got != nil || err != nil {
		t.Fatalf(`ParseFaults("") = %v, %v`, got, err)
	}
	_, err = ParseFaults("access-1003,no-such-fault")
	if err == nil || !strings.Contains(err.Error(), "no-such-fault") || !strings.Contains(err.Error(), "reactivate-conflict") {
		t.Fatalf("unknown fault: err = %v, want it to name the fault and list the valid ones", err)
	}
	if _, err := New(Config{Faults: []string{"bogus"}}); err == nil || !strings.Contains(err.Error(), "bogus") {
		t.Fatalf("New with an unknown fault: err = %v", err)
	}
}

// userView is everything the harness's invariants watch of one user.
type userView struct {
	id, userName, externalID string
	active                   any
	emails                   string
	link                     string
	groups                   string
	unlinks                  int // audit lines matching UnlinkAuditPattern
}

func (h *harness) view(id string) userView {
	h.t.Helper()
	u := h.user(id)
	var groups []string
	gs, _ := u["groups"].([]any)
	for _, g := range gs {
		groups = append(groups, g.(map[string]any)["value"].(string))
	}
	slices.Sort(groups)
	v := userView{
		id: u["id"].(string), active: u["active"], emails: normalEmails(u),
		link: linkOf(u), groups: strings.Join(groups, ","),
	}
	v.userName, _ = u["userName"].(string)
	v.externalID, _ = u["externalId"].(string)
	for _, e := range h.audit() {
		if strings.Contains(e.Message, UnlinkAuditPattern) {
			v.unlinks++
		}
	}
	return v
}

// moved names the watched things that differ between two views.
func (a userView) moved(b userView) []string {
	var out []string
	for _, f := range []struct {
		name string
		same bool
	}{
		{"id", a.id == b.id}, {"userName", a.userName == b.userName}, {"externalId", a.externalID == b.externalID},
		{"active", a.active == b.active}, {"emails", a.emails == b.emails}, {"link", a.link == b.link},
		{"groups", a.groups == b.groups}, {"unlink audit", a.unlinks == b.unlinks},
	} {
		if !f.same {
			out = append(out, f.name)
		}
	}
	return out
}

// TestSingleInvariantFaults shows that each of these faults moves exactly
// one thing the harness watches, and with the fault off nothing moves: so a
// scenario that catches it proves that one check is load-bearing.
func TestSingleInvariantFaults(t *testing.T) {
	identicalPut := func(h *harness, bob string) {
		h.must(http.StatusOK, "PUT", "/scim/v2/Users/"+bob, bobBody("bob@partner.example"))
	}
	caseChangedPut := func(h *harness, bob string) {
		h.must(http.StatusOK, "PUT", "/scim/v2/Users/"+bob, bobBody("Bob@Partner.example"))
	}
	emailsPatch := func(h *harness, bob string) {
		h.must(http.StatusOK, "PATCH", "/scim/v2/Users/"+bob, patchBody(op("replace", "emails",
			[]any{map[string]any{"value": "bob@partner.example", "primary": true, "type": "work"}})))
	}
	for _, tc := range []struct {
		fault, moves, push string
		do                 func(h *harness, bob string)
	}{
		{faultRelinkOnRepush, "link", "identical PUT", identicalPut},
		{faultRelinkOnRepush, "link", "PATCH of emails", emailsPatch},
		{faultExternalIDDropped, "externalId", "identical PUT", identicalPut},
		{faultActiveFlipped, "active", "identical PUT", identicalPut},
		{faultEmailsMergedOnPut, "emails", "case-changed PUT", caseChangedPut},
		{faultAccess1003Queued, "unlink audit", "identical PUT", identicalPut},
		{faultAccess1003Queued, "unlink audit", "PATCH of emails", emailsPatch},
	} {
		t.Run(tc.fault+"/"+tc.push, func(t *testing.T) {
			for _, on := range []bool{false, true} {
				var h *harness
				if on {
					h = newHarness(t, tc.fault)
				} else {
					h = newHarness(t)
				}
				bob := unmanagedInGroup(h)
				before := h.view(bob)
				tc.do(h, bob)
				h.settle()
				moved := before.moved(h.view(bob))
				switch {
				case !on && len(moved) > 0:
					t.Errorf("fault off: %v moved", moved)
				case on && !slices.Equal(moved, []string{tc.moves}):
					t.Errorf("fault on: %v moved, want only %s", moved, tc.moves)
				}
			}
		})
	}
}

func TestRelinkCreatesAFreshAccount(t *testing.T) {
	h := newHarness(t, faultRelinkOnRepush)
	jane := h.createUser("jane@partner.example") // unmanaged, linked to the new acct-jane
	h.createGroup("eng", jane)
	h.must(http.StatusOK, "PUT", "/scim/v2/Users/"+jane, userBody("jane@partner.example", "jane@partner.example", "00u-jane@partner.example"))
	if got := linkOf(h.user(jane)); got != "acct-jane-2" {
		t.Errorf("link %q, want the fresh acct-jane-2", got)
	}
	h.must(http.StatusOK, "PUT", "/scim/v2/Users/"+jane, userBody("jane@partner.example", "jane@partner.example", "00u-jane@partner.example"))
	if got := linkOf(h.user(jane)); got != "acct-jane-3" {
		t.Errorf("second re-push: link %q, want acct-jane-3", got)
	}
	// A managed user is not touched.
	ann := h.createUser("ann@acme.example")
	h.must(http.StatusOK, "PUT", "/scim/v2/Users/"+ann, userBody("ann@acme.example", "ann@acme.example", "00u-ann"))
	if got := linkOf(h.user(ann)); got != "acct-ann" {
		t.Errorf("managed user relinked to %q", got)
	}
}

func TestQueuedUnlink(t *testing.T) {
	cfg := testConfig(faultAccess1003Queued)
	cfg.QueueDelay = 2 * time.Minute
	h := newHarnessConfig(t, cfg)
	bob := unmanagedInGroup(h)
	g := h.user(bob)["groups"].([]any)[0].(map[string]any)["value"].(string)
	h.must(http.StatusOK, "PUT", "/scim/v2/Users/"+bob, bobBody("bob@partner.example"))
	unlinks := h.unlinkEvents()
	if len(unlinks) != 1 || unlinks[0].Message != unlinkMessage(bob, "bob@partner.example") || unlinks[0].AccountID != "acct-7" {
		t.Fatalf("want the access-1003 line at once, got %+v", unlinks)
	}
	h.clock.advance(2*time.Minute - time.Second)
	if linkOf(h.user(bob)) != "acct-7" || len(h.memberIDs(g)) != 1 {
		t.Fatalf("unlinked before the queue delay")
	}
	h.clock.advance(time.Second)
	if linkOf(h.user(bob)) != "" || len(h.memberIDs(g)) != 0 {
		t.Fatalf("still linked or in the group after the queue delay")
	}
	if n := len(h.unlinkEvents()); n != 1 {
		t.Errorf("%d unlink lines, want the one written at the write", n)
	}
	// The default delay is longer than any settle window.
	if d, err := New(testConfig(faultAccess1003Queued)); err != nil || d.queueDelay != DefaultQueueDelay || DefaultQueueDelay < 10*time.Minute {
		t.Errorf("default queue delay %v (%v)", d.queueDelay, err)
	}
}

func TestDelayedUnlink(t *testing.T) {
	h := newHarness(t, faultAccess1003Delayed)
	bob := unmanagedInGroup(h)
	before := h.view(bob)
	h.must(http.StatusOK, "PUT", "/scim/v2/Users/"+bob, bobBody("bob@partner.example"))
	if moved := before.moved(h.view(bob)); len(moved) > 0 {
		t.Fatalf("the write itself moved %v", moved)
	}
	h.clock.advance(DefaultDelay - time.Millisecond)
	if moved := before.moved(h.view(bob)); len(moved) > 0 {
		t.Fatalf("moved %v before the delay", moved)
	}
	h.clock.advance(time.Millisecond)
	after := h.view(bob)
	if moved := before.moved(after); !slices.Equal(moved, []string{"link", "groups", "unlink audit"}) {
		t.Fatalf("after the delay %v moved, want what access-1003 moves", moved)
	}
	if e := h.unlinkEvents(); e[0].Message != unlinkMessage(bob, "bob@partner.example") || e[0].AccountID != "acct-7" {
		t.Errorf("unlink line %+v", e[0])
	}
}

// TestBackgroundWorkEnds checks that queued work is dropped with the state
// it was for: a reset or Close stops the timers, and a timer that fires for
// a user who is gone does nothing.
func TestBackgroundWorkEnds(t *testing.T) {
	h := newHarness(t, faultAccess1003Delayed)
	bob := unmanagedInGroup(h)
	h.must(http.StatusOK, "PUT", "/scim/v2/Users/"+bob, bobBody("bob@partner.example"))
	h.must(http.StatusNoContent, "POST", "/admin/reset", nil)
	if n := h.clock.pending(); n != 0 {
		t.Errorf("%d timers left after reset", n)
	}
	h.settle()
	if n := len(h.audit()); n != 0 {
		t.Errorf("%d audit events after reset and a settle window", n)
	}

	bob = unmanagedInGroup(h)
	h.must(http.StatusOK, "PUT", "/scim/v2/Users/"+bob, bobBody("bob@partner.example"))
	h.must(http.StatusNoContent, "DELETE", "/scim/v2/Users/"+bob, nil)
	h.settle() // fires for a deleted user
	if n := len(h.unlinkEvents()); n != 0 {
		t.Errorf("%d unlink lines for a deleted user", n)
	}

	h.must(http.StatusNoContent, "POST", "/admin/reset", nil)
	bob = unmanagedInGroup(h)
	h.must(http.StatusOK, "PUT", "/scim/v2/Users/"+bob, bobBody("bob@partner.example"))
	h.d.Close()
	if n := h.clock.pending(); n != 0 {
		t.Errorf("%d timers left after Close", n)
	}
}

// TestDelayedFaultsOnRealTimers runs both background faults on time.AfterFunc
// with short delays: the unlink happens, in the background, on its own.
func TestDelayedFaultsOnRealTimers(t *testing.T) {
	for _, fault := range []string{faultAccess1003Delayed, faultAccess1003Queued} {
		t.Run(fault, func(t *testing.T) {
			cfg := testConfig(fault)
			cfg.Delay, cfg.QueueDelay = 20*time.Millisecond, 20*time.Millisecond
			d, err := New(cfg)
			if err != nil {
				t.Fatal(err)
			}
			srv := httptest.NewServer(d)
			t.Cleanup(srv.Close)
			t.Cleanup(d.Close)
			h := &harness{t: t, d: d, srv: srv}
			bob := unmanagedInGroup(h)
			h.must(http.StatusOK, "PUT", "/scim/v2/Users/"+bob, bobBody("bob@partner.example"))
			deadline := time.Now().Add(10 * time.Second)
			for linkOf(h.user(bob)) != "" {
				if time.Now().After(deadline) {
					t.Fatal("still linked 10s after a 20ms delay")
				}
				time.Sleep(5 * time.Millisecond)
			}
			d.mu.Lock()
			n := len(d.timers)
			d.mu.Unlock()
			if n != 0 {
				t.Errorf("%d timers still registered after firing", n)
			}
		})
	}
}

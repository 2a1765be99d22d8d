package directory

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
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

// probeUser reports what the invariants watch of one user.
func (h *harness) probeUser(id string) string {
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

package harness

import (
	"strings"
	"testing"
)

// Two users with one userName are paired by id: each is compared with itself, not the first
// with the first.
func TestCompareTwoUsersOfOneUserNameArePairedByID(t *testing.T) {
	a := UserState{ID: "u1", UserName: "bob@partner.example", Active: yes(), Link: "acct-1"}
	b := UserState{ID: "u2", UserName: "Bob@partner.example", Active: yes(), Link: "acct-2"}
	// The snapshot lists them in another order after: nothing moved.
	if d := Compare(snap([]UserState{a, b}, nil), snap([]UserState{b, a}, nil), acme); !d.Empty() {
		t.Fatalf("the same two users in another order are a change:\n%s", d)
	}
	b2 := b
	b2.Link = ""
	d := Compare(snap([]UserState{a, b}, nil), snap([]UserState{b2, a}, nil), acme)
	if got, want := d.String(), "bob@partner.example (unmanaged): id u2: link acct-2 → none"; got != want {
		t.Fatalf("got %q, want %q", got, want)
	}
}

// Groups are keyed by displayName case-insensitively (caseExact=false), paired by id first.
func TestCompareGroupsByIDThenNameCaseInsensitively(t *testing.T) {
	u := UserState{ID: "u1", UserName: "alice@acme.example"}
	before := snap([]UserState{u}, []GroupState{{ID: "g1", DisplayName: "Jira-Users", Members: []string{"u1"}}})
	caseOnly := snap([]UserState{u}, []GroupState{{ID: "g1", DisplayName: "jira-users", Members: []string{"u1"}}})
	if d := Compare(before, caseOnly, acme); !d.Empty() {
		t.Fatalf("a case-only displayName difference is a change:\n%s", d)
	}
	recreated := snap([]UserState{u}, []GroupState{{ID: "g9", DisplayName: "jira-users", Members: []string{"u1"}}})
	if got := Compare(before, recreated, acme).String(); got != "group Jira-Users: id g1 → g9" {
		t.Fatalf("a recreated group: got %q", got)
	}
	renamed := snap([]UserState{u}, []GroupState{{ID: "g1", DisplayName: "jira-software", Members: []string{"u1"}}})
	if got := Compare(before, renamed, acme).String(); got != "group Jira-Users: displayName Jira-Users → jira-software" {
		t.Fatalf("a renamed group: got %q", got)
	}
}

// A primary email is compared only where the target flagged one: the harness never derives one.
func TestComparePrimaryOnlyWhereTheTargetFlagsOne(t *testing.T) {
	noFlag := UserState{ID: "u1", UserName: "bob@partner.example", Emails: []string{"b@home.example", "bob@partner.example"}}
	flagged := noFlag
	flagged.PrimaryEmail = "bob@partner.example"
	if d := Compare(snap([]UserState{noFlag}, nil), snap([]UserState{flagged}, nil), acme); !d.Empty() {
		t.Fatalf("a flag the target did not state before is not compared:\n%s", d)
	}
	moved := flagged
	moved.PrimaryEmail = "b@home.example"
	if got := Compare(snap([]UserState{flagged}, nil), snap([]UserState{moved}, nil), acme).String(); !strings.Contains(got, "primary email bob@partner.example → b@home.example") {
		t.Fatalf("a moved primary flag: got %q", got)
	}
	dropped := flagged
	dropped.PrimaryEmail = ""
	if got := Compare(snap([]UserState{flagged}, nil), snap([]UserState{dropped}, nil), acme).String(); !strings.Contains(got, "primary email bob@partner.example → none") {
		t.Fatalf("a dropped primary flag: got %q", got)
	}
}

func TestCompareActiveOnlyWhereReturned(t *testing.T) {
	absent := UserState{ID: "u1", UserName: "a@acme.example"}
	on := absent
	on.Active = yes()
	if d := Compare(snap([]UserState{absent}, nil), snap([]UserState{on}, nil), acme); !d.Empty() {
		t.Fatalf("an active the target did not return before is not compared:\n%s", d)
	}
	if got := Compare(snap([]UserState{on}, nil), snap([]UserState{absent}, nil), acme).String(); !strings.Contains(got, "active true → not returned") {
		t.Fatalf("got %q", got)
	}
}

// Without verified domains no user is called managed or unmanaged.
func TestCompareWithoutClassifierNamesNoClass(t *testing.T) {
	u := UserState{ID: "u1", UserName: "bob@partner.example", Link: "acct-1"}
	v := u
	v.Link = ""
	if got := Compare(snap([]UserState{u}, nil), snap([]UserState{v}, nil), nil).String(); got != "bob@partner.example: link acct-1 → none" {
		t.Fatalf("got %q", got)
	}
}

// Each check can be left out, and only its own details go.
func TestCompareSkipsOneCheckAtATime(t *testing.T) {
	b := UserState{ID: "u1", UserName: "bob@partner.example", ExternalID: "00u1", Active: yes(),
		PrimaryEmail: "bob@partner.example", Emails: []string{"bob@partner.example"}, Link: "acct-1"}
	a := b
	a.ExternalID, a.Active, a.Emails, a.PrimaryEmail, a.Link = "", ptr(false), []string{"x@partner.example"}, "x@partner.example", ""
	dup := UserState{ID: "u2", UserName: "BOB@partner.example"}
	before := snap([]UserState{b}, []GroupState{{ID: "g", DisplayName: "g", Members: []string{"u1"}}}, "old")
	after := snap([]UserState{a, dup}, []GroupState{{ID: "g", DisplayName: "g"}}, "old", "unlinked")
	words := map[Check]string{
		CheckIdentity: "duplicated", CheckExternalID: "externalId", CheckActive: "active", CheckEmails: "emails",
		CheckLink: "link acct-1", CheckMembership: "members", CheckAudit: "audit: unlinked",
	}
	if len(words) != len(Checks()) {
		t.Fatalf("a check has no word here: %v", Checks())
	}
	full := Compare(before, after, acme).String()
	for k, w := range words {
		if !strings.Contains(full, w) {
			t.Fatalf("with every check, the diff lacks %q:\n%s", w, full)
		}
		got := CompareWith(before, after, CompareOptions{Managed: acme, Skip: []Check{k}}).String()
		if strings.Contains(got, w) {
			t.Errorf("without %s the diff still says %q:\n%s", k, w, got)
		}
		for k2, w2 := range words {
			if k2 != k && !strings.Contains(got, w2) {
				t.Errorf("without %s the diff lost %s's %q:\n%s", k, k2, w2, got)
			}
		}
	}
}

// A user whose id changed but who is still a member under its new id: identity sees the id,
// membership sees nothing (the person is still in the group).
func TestCompareMembershipFollowsAReissuedID(t *testing.T) {
	u := UserState{ID: "u1", UserName: "carol@acme.example"}
	v := u
	v.ID = "u9"
	before := snap([]UserState{u}, []GroupState{{ID: "g", DisplayName: "g", Members: []string{"u1"}}})
	after := snap([]UserState{v}, []GroupState{{ID: "g", DisplayName: "g", Members: []string{"u9"}}})
	if got := Compare(before, after, acme).String(); got != "carol@acme.example (managed): id u1 → u9" {
		t.Fatalf("got %q", got)
	}
	if d := CompareWith(before, after, CompareOptions{Skip: []Check{CheckIdentity}}); !d.Empty() {
		t.Fatalf("without identity, a member kept under its new id is no change:\n%s", d)
	}
}

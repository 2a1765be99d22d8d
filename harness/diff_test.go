package harness

import (
	"strings"
	"testing"
)

func ptr(b bool) *bool { return &b }
func yes() *bool       { return ptr(true) }

func acme(email string) bool { return strings.HasSuffix(strings.ToLower(email), "@acme.example") }

func snap(users []UserState, groups []GroupState, audit ...string) *Snapshot {
	return &Snapshot{Users: users, Groups: groups, Audit: audit, LinkProbed: true, AuditProbed: true}
}

func TestCompareNamesUnmanagedUserInWords(t *testing.T) {
	alice := UserState{ID: "u1", UserName: "alice@acme.example", Active: yes(), PrimaryEmail: "alice@acme.example", Emails: []string{"alice@acme.example"}, Link: "acct-alice"}
	bob := UserState{ID: "u2", UserName: "bob@partner.example", Active: yes(), PrimaryEmail: "bob@partner.example", Emails: []string{"bob@partner.example"}, Link: "acct-bob"}
	groups := []GroupState{
		{ID: "g1", DisplayName: "jira-users", Members: []string{"u1", "u2"}},
		{ID: "g2", DisplayName: "confluence-users", Members: []string{"u2"}},
	}
	before := snap([]UserState{alice, bob}, groups)
	bob2 := bob
	bob2.Link = ""
	after := snap([]UserState{alice, bob2}, []GroupState{
		{ID: "g1", DisplayName: "jira-users", Members: []string{"u1"}},
		{ID: "g2", DisplayName: "confluence-users", Members: nil},
	}, "Email update to unmanaged user with ID u2, primary email bob@partner.example, unlinked any associated atlassian account.")

	d := Compare(before, after, acme)
	if d.Empty() {
		t.Fatal("diff is empty")
	}
	want := "bob@partner.example (unmanaged): link acct-bob → none; groups {confluence-users, jira-users} → {}"
	if got := d.Changes[0].String(); got != want {
		t.Fatalf("first change\n got %s\nwant %s", got, want)
	}
	s := d.String()
	for _, w := range []string{"group jira-users: members {alice@acme.example, bob@partner.example} → {alice@acme.example}", "audit: Email update to unmanaged user with ID u2"} {
		if !strings.Contains(s, w) {
			t.Errorf("diff lacks %q:\n%s", w, s)
		}
	}
	if strings.Contains(s, "alice@acme.example (managed)") {
		t.Errorf("alice did not change but is named:\n%s", s)
	}
}

func TestCompareIgnoresCaseOrderAndKeepsMultiplicity(t *testing.T) {
	u := UserState{ID: "u1", UserName: "Bob@Partner.example", Active: yes(), PrimaryEmail: "bob@partner.example", Emails: []string{"b@x.example", "bob@partner.example"}}
	u2 := u
	u2.UserName = "bob@partner.example"
	before := snap([]UserState{u}, []GroupState{{ID: "g", DisplayName: "g", Members: []string{"u1"}}})
	after := snap([]UserState{u2}, []GroupState{{ID: "g", DisplayName: "g", Members: []string{"u1"}}})
	if d := Compare(before, after, acme); !d.Empty() {
		t.Fatalf("userName case is not a change, got:\n%s", d)
	}
	dup := snap([]UserState{u2}, []GroupState{{ID: "g", DisplayName: "g", Members: []string{"u1", "u1"}}})
	d := Compare(before, dup, acme)
	if !strings.Contains(d.String(), "members {Bob@Partner.example} → {bob@partner.example×2}") {
		t.Fatalf("a duplicate member must show:\n%s", d)
	}
}

func TestCompareIDsAndDuplicates(t *testing.T) {
	u := UserState{ID: "u1", UserName: "carol@acme.example", Active: yes(), ExternalID: "00u1"}
	reissued := u
	reissued.ID = "u9"
	d := Compare(snap([]UserState{u}, nil), snap([]UserState{reissued}, nil), acme)
	if got := d.String(); got != "carol@acme.example (managed): id u1 → u9" {
		t.Fatalf("got %q", got)
	}
	d = Compare(snap([]UserState{u}, nil), snap([]UserState{u, reissued}, nil), acme)
	if !strings.Contains(d.String(), "duplicated: 2 users with this userName (ids u1, u9)") {
		t.Fatalf("got %q", d.String())
	}
	d = Compare(snap([]UserState{u}, nil), snap(nil, nil), acme)
	if !strings.Contains(d.String(), "disappeared (id u1)") {
		t.Fatalf("got %q", d.String())
	}
	deact := u
	deact.Active = ptr(false)
	if d = Compare(snap([]UserState{u}, nil), snap([]UserState{deact}, nil), acme); !strings.Contains(d.String(), "active true → false") {
		t.Fatalf("got %q", d.String())
	}
}

func TestCompareLinksOnlyWhenProbed(t *testing.T) {
	u := UserState{ID: "u1", UserName: "a@x.example", Link: "acct-1"}
	v := u
	v.Link = ""
	before, after := snap([]UserState{u}, nil), snap([]UserState{v}, nil)
	before.LinkProbed, after.LinkProbed = false, false
	if d := Compare(before, after, acme); !d.Empty() {
		t.Fatalf("without a link probe links are not compared: %s", d)
	}
}

func TestNewAuditLines(t *testing.T) {
	if got := newLines([]string{"a"}, []string{"a", "b"}); len(got) != 1 || got[0] != "b" {
		t.Fatalf("got %v", got)
	}
	if got := newLines([]string{"a", "b"}, []string{"c"}); len(got) != 1 || got[0] != "c" {
		t.Fatalf("rotated log: got %v", got)
	}
}

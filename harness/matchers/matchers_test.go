package matchers

import (
	"strings"
	"testing"
	"time"

	"github.com/onsi/gomega"

	"github.com/scimreplay/scimreplay/harness"
)

func managed(email string) bool { return strings.HasSuffix(email, "@acme.example") }

func TestPreserveLinksAndMemberships(t *testing.T) {
	active := true
	bob := harness.UserState{ID: "u2", UserName: "bob@partner.example", PrimaryEmail: "bob@partner.example", Link: "acct-bob", Active: &active}
	before := &harness.Snapshot{LinkProbed: true, Users: []harness.UserState{bob},
		Groups: []harness.GroupState{{ID: "g", DisplayName: "jira-users", Members: []string{"u2"}}}}
	same := &harness.Snapshot{LinkProbed: true, Users: []harness.UserState{bob},
		Groups: []harness.GroupState{{ID: "g", DisplayName: "jira-users", Members: []string{"u2"}}}}
	unlinked := bob
	unlinked.Link = ""
	moved := &harness.Snapshot{LinkProbed: true, Users: []harness.UserState{unlinked},
		Groups: []harness.GroupState{{ID: "g", DisplayName: "jira-users"}}}

	g := gomega.NewWithT(t)
	g.Expect(same).To(PreserveLinksAndMemberships(before, managed))

	m := PreserveLinksAndMemberships(before, managed)
	ok, err := m.Match(moved)
	if err != nil || ok {
		t.Fatalf("a moved link must not match (ok=%v err=%v)", ok, err)
	}
	msg := m.FailureMessage(moved)
	if !strings.Contains(msg, "bob@partner.example (unmanaged): link acct-bob → none; groups {jira-users} → {}") {
		t.Fatalf("failure message does not say what moved:\n%s", msg)
	}
	if _, err := m.Match("not a snapshot"); err == nil {
		t.Fatal("a wrong type must be an error")
	}
}

func TestMoveNothing(t *testing.T) {
	g := gomega.NewWithT(t)
	g.Expect(harness.Diff{}).To(MoveNothing())
	d := harness.Diff{Changes: []harness.Change{{Kind: "user", Subject: "bob@partner.example", Class: "unmanaged", Details: []string{"link acct-bob → none"}}},
		SeenAfter: 1200 * time.Millisecond, Settle: 2 * time.Second}
	m := MoveNothing()
	if ok, err := m.Match(&d); err != nil || ok {
		t.Fatalf("a diff with a change must not match (ok=%v err=%v)", ok, err)
	}
	msg := m.FailureMessage(d)
	for _, want := range []string{"bob@partner.example (unmanaged): link acct-bob → none", "seen 1.2s after the last request, within the settle window of 2s"} {
		if !strings.Contains(msg, want) {
			t.Errorf("failure message lacks %q:\n%s", want, msg)
		}
	}
	if _, err := m.Match(harness.Snapshot{}); err == nil {
		t.Fatal("a wrong type must be an error")
	}
}

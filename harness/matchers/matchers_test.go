package matchers

import (
	"strings"
	"testing"

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

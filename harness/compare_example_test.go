package harness_test

import (
	"fmt"
	"strings"

	"github.com/scimreplay/scimreplay/harness"
)

// Two snapshots of the same org, before and after a force sync that unlinked an unmanaged user
// and took it out of its group: Compare says what moved, in words, unmanaged users first.
func ExampleCompare() {
	yes := true
	bob := harness.UserState{ID: "u2", UserName: "bob@partner.example", Active: &yes,
		PrimaryEmail: "bob@partner.example", Emails: []string{"bob@partner.example"}, Link: "acct-bob"}
	before := &harness.Snapshot{LinkProbed: true, Users: []harness.UserState{bob},
		Groups: []harness.GroupState{{ID: "g1", DisplayName: "jira-users", Members: []string{"u2"}}}}
	unlinked := bob
	unlinked.Link = ""
	after := &harness.Snapshot{LinkProbed: true, Users: []harness.UserState{unlinked},
		Groups: []harness.GroupState{{ID: "g1", DisplayName: "jira-users", Members: []string{}}}}

	managed := harness.TargetSpec{VerifiedDomains: []string{"acme.example"}}.Classifier()
	fmt.Println(harness.Compare(before, after, managed))
	// Output:
	// bob@partner.example (unmanaged): link acct-bob → none; groups {jira-users} → {}
	// group jira-users: members {bob@partner.example} → {}
}

// What a verdict rests on, in the words every report uses.
func ExampleCoverage() {
	before := &harness.Snapshot{LinkProbed: true,
		Users:  []harness.UserState{{ID: "u1", UserName: "ann@acme.example", Link: "acct-ann"}, {ID: "u2", UserName: "bob@partner.example"}},
		Groups: []harness.GroupState{{ID: "g1", DisplayName: "staff", Members: []string{"u1", "u2"}}}}
	probes := harness.Probes{Link: harness.LinkProbe{Attribute: "urn:example:1.0:accountId"}}
	c := harness.NewCoverage(before, probes, nil)
	c.Settle, c.Reads = harness.DefaultSettle, 9
	fmt.Println(strings.Join(c.Clauses(), "\n"))
	// Output:
	// 2 users, 1 group with 2 memberships seen before the sync
	// links: 1 of 2 users linked (attribute urn:example:1.0:accountId)
	// audit not checked: no audit probe
	// managed/unmanaged unknown: no verified domains (set --target-verified-domains or verifiedDomains in the target profile)
	// after-state held 2s (9 reads)
}

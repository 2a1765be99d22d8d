package okta_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"slices"

	"github.com/scimreplay/scimreplay/fakes/directory"
	"github.com/scimreplay/scimreplay/fakes/okta"
	"github.com/scimreplay/scimreplay/harness"
	"github.com/scimreplay/scimreplay/harness/scenario"
	"github.com/scimreplay/scimreplay/scenarios"
)

// Replay one catalogue scenario end to end against a SCIM server (here the reference directory
// served in process, with its ACCESS-1003 fault on): Okta provisions the org, the force sync is
// replayed, and the diff says who lost what. The same three lines gate any server: give the
// client its base URL and token, and the probes its link attribute.
func ExampleReplayer_Replay() {
	d, _ := directory.New(directory.Config{Token: "t0ken", VerifiedDomains: []string{"acme.example"}, Faults: []string{"access-1003"}})
	srv := httptest.NewServer(d)
	defer srv.Close()
	all, _ := scenarios.Okta()
	i := slices.IndexFunc(all, func(s *scenario.Scenario) bool { return s.Name == "identical-repush" })
	sc := all[i]

	client := harness.NewClient(srv.URL+"/scim/v2", "t0ken")
	res, err := (&okta.Replayer{Client: client}).Replay(context.Background(), sc, "example", okta.Options{
		Probes:  harness.Probes{Link: harness.LinkProbe{Attribute: directory.ExtensionSchema + ":atlassianAccountId"}},
		Managed: harness.TargetSpec{VerifiedDomains: []string{"acme.example"}}.Classifier(),
	})
	if err != nil {
		fmt.Println("could not run:", err)
		return
	}
	fmt.Println("checked:", res.Coverage.Short())
	fmt.Println(res.Diff.Changes[0])
	// Output:
	// checked: 4 users, 2 groups, 6 memberships, 4/4 linked
	// bob@partner.example (unmanaged): link acct-bob → none; groups {confluence-users, jira-users} → {}
}

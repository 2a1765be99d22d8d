package entra_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"slices"

	"github.com/scimreplay/scimreplay/fakes/directory"
	"github.com/scimreplay/scimreplay/fakes/entra"
	"github.com/scimreplay/scimreplay/harness"
	"github.com/scimreplay/scimreplay/harness/scenario"
	"github.com/scimreplay/scimreplay/scenarios"
)

// Replay one Entra scenario end to end against a SCIM server (here the reference directory
// served in process, reading Entra's "True" as false: its entra-string-bool fault): Entra
// provisions the org, a user is soft-deleted and restored in Entra's default dialect, and the
// diff says who stayed deactivated.
func ExampleReplayer_Replay() {
	d, _ := directory.New(directory.Config{Token: "t0ken", VerifiedDomains: []string{"acme.example"}, Faults: []string{"entra-string-bool"}})
	srv := httptest.NewServer(d)
	defer srv.Close()
	all, _ := scenarios.Entra()
	i := slices.IndexFunc(all, func(s *scenario.Scenario) bool { return s.Name == "soft-delete-restore" })

	client := harness.NewClient(srv.URL+"/scim/v2", "t0ken")
	client.Header = entra.Header()
	res, err := (&entra.Replayer{Client: client, Dialect: entra.DialectDefault}).Replay(context.Background(), all[i], "example", entra.Options{
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
	// checked: 2 users, 1 group, 2 memberships, 2/2 linked
	// bob@partner.example (unmanaged): active true → false
}

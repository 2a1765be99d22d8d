package directory_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/scimreplay/scimreplay/fakes/directory"
)

// A directory with one verified domain and one seeded account; an unmanaged
// user links to the seeded account by email.
func ExampleNew() {
	d, err := directory.New(directory.Config{
		VerifiedDomains: []string{"acme.example"},
		SeedAccounts:    []directory.Account{{ID: "acct-7", Email: "bob@partner.example"}},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	rec := httptest.NewRecorder()
	d.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/scim/v2/Users", strings.NewReader(
		`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"bob@partner.example",
		  "emails":[{"value":"Bob@Partner.example","primary":true}]}`)))
	fmt.Println(rec.Code, rec.Header().Get("Content-Type"))
	fmt.Println(strings.Contains(rec.Body.String(), `"atlassianAccountId":"acct-7"`))
	// Output:
	// 201 application/scim+json
	// true
}

func ExampleParseFaults() {
	names, err := directory.ParseFaults("access-1003,readd-duplicates")
	fmt.Println(names, err)
	_, err = directory.ParseFaults("no-such-fault")
	fmt.Println(err != nil)
	// Output:
	// [access-1003 readd-duplicates] <nil>
	// true
}

func ExampleFaults() {
	for _, f := range directory.Faults()[:2] {
		fmt.Println(f.Name)
	}
	// Output:
	// access-1003
	// email-case-sensitive
}

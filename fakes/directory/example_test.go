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

// Variations combine with faults; an unknown name is an error, as for faults.
func ExampleParseVariations() {
	names, err := directory.ParseVariations("small-pages,throttle-429")
	fmt.Println(names, err)
	d, err := directory.New(directory.Config{Variations: names, Faults: []string{"access-1003"}, ThrottleEvery: 2})
	fmt.Println(d != nil, err)
	_, err = directory.ParseVariations("access-1003")
	fmt.Println(err != nil)
	// Output:
	// [small-pages throttle-429] <nil>
	// true <nil>
	// true
}

// Under throttle-429 every Nth SCIM request is refused with 429 and
// Retry-After: 1, and does nothing.
func ExampleConfig_throttle() {
	d, _ := directory.New(directory.Config{Variations: []string{"throttle-429"}, ThrottleEvery: 2})
	for range 2 {
		rec := httptest.NewRecorder()
		d.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/scim/v2/Users", nil))
		fmt.Printf("%d Retry-After=%q\n", rec.Code, rec.Header().Get("Retry-After"))
	}
	// Output:
	// 200 Retry-After=""
	// 429 Retry-After="1"
}

func ExampleVariations() {
	for _, v := range directory.Variations() {
		fmt.Println(v.Name)
	}
	// Output:
	// members-not-in-list
	// throttle-429
	// members-shuffled
	// small-pages
	// inactive-hidden
	// sequential-ids
}

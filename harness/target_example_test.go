package harness_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/scimreplay/scimreplay/harness"
)

// A server already running is given by its SCIM base URL, as Okta's "SCIM connector base URL"
// and Entra's "Tenant URL" hold it: the URL's path is the base path, its query (Entra's
// aadOptscim062020) goes with every SCIM request, and the probes are read from its origin.
func ExampleRun_baseURL() {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/tenants/acme/scim/ServiceProviderConfig" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/scim+json")
		fmt.Fprint(w, `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"]}`)
	}))
	defer srv.Close()
	ctx := context.Background()
	// A server that never answers would end this in 3 tries of 5s, not the 60s startup timeout.
	target, err := harness.Run(ctx, harness.TargetSpec{URL: srv.URL + "/tenants/acme/scim?aadOptscim062020"},
		harness.WithRequestTimeout(5*time.Second))
	if err != nil {
		fmt.Println(err)
		return
	}
	base, _ := target.BaseURL(ctx)
	root, _ := target.RootURL(ctx)
	fmt.Println("base path:", target.Spec.BasePath)
	fmt.Println("base URL:", strings.TrimPrefix(base, srv.URL))
	fmt.Println("probes from the origin:", root == srv.URL)
	// Output:
	// base path: /tenants/acme/scim
	// base URL: /tenants/acme/scim?aadOptscim062020
	// probes from the origin: true
}

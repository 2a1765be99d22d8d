package harness_test

import (
	"fmt"
	"reflect"
	"testing"

	"github.com/scimreplay/scimreplay/fakes/reference"
	"github.com/scimreplay/scimreplay/harness"
)

// The example profile shipped in examples/ describes the reference directory image.
func ExampleLoadProfile() {
	spec, err := harness.LoadProfile("../examples/target-profile.yaml")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(spec.Name, spec.Image, spec.Port, spec.BasePath)
	fmt.Println("token:", spec.Token == "", "→ a random one per run, as env", spec.Env["DIRECTORY_TOKEN"])
	fmt.Println("managed:", spec.Managed("alice@ACME.example"), spec.Managed("bob@partner.example"))
	fmt.Println("link:", spec.LinkProbe.Attribute)
	fmt.Println("audit:", spec.AuditProbe.Path, spec.AuditProbe.Pattern)
	// Output:
	// reference-directory scimreplay/directory:dev 8080 /scim/v2
	// token: true → a random one per run, as env {{token}}
	// managed: true false
	// link: urn:scim:schemas:extension:atlassian-external:1.0:atlassianAccountId
	// audit: /admin/audit?type=unlink unlinked any associated atlassian account
}

// The example must describe the reference directory as fakes/reference does, so that it keeps
// working when the directory changes.
func TestExampleProfileMatchesTheReferenceTarget(t *testing.T) {
	got, err := harness.LoadProfile("../examples/target-profile.yaml")
	if err != nil {
		t.Fatal(err)
	}
	want := reference.Target(nil, nil)
	if got.Image != want.Image || got.Port != want.Port || got.BasePath != want.BasePath ||
		!reflect.DeepEqual(got.VerifiedDomains, want.VerifiedDomains) ||
		got.LinkProbe != want.LinkProbe || got.AuditProbe != want.AuditProbe {
		t.Errorf("example profile %+v\ndiffers from reference.Target %+v", got, want)
	}
	for k, v := range want.Env {
		if v != "" && got.Env[k] != v {
			t.Errorf("env %s = %q, reference.Target has %q", k, got.Env[k], v)
		}
	}
}

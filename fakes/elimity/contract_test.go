package elimity_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/scimreplay/scimreplay/fakes/elimity"
	"github.com/scimreplay/scimreplay/fakes/okta"
	"github.com/scimreplay/scimreplay/harness"
	"github.com/scimreplay/scimreplay/harness/scenario"
	"github.com/scimreplay/scimreplay/scenarios"
)

const verifiedDomain = "acme.example"

// managed classifies emails on the verified domain as managed, as the gate does.
func managed(email string) bool {
	return harness.TargetSpec{VerifiedDomains: []string{verifiedDomain}}.Managed(email)
}

// verdict is what the gate would say of one scenario against a fresh server with the given
// variants on: "" when every invariant held, else why it goes red.
func verdict(t *testing.T, sc *scenario.Scenario, variants []string) string {
	t.Helper()
	token := harness.RandomToken()
	srv, err := elimity.New(elimity.Config{Token: token, VerifiedDomains: []string{verifiedDomain}, Variants: variants})
	if err != nil {
		t.Fatal(err)
	}
	// Served in process: the HTTP path to this server is gated by cmd/scimreplay's tests.
	client := harness.NewClient("http://elimity.test"+elimity.DefaultBasePath, token)
	client.HTTP = &http.Client{Transport: harness.HandlerTransport(srv)}
	client.Timeout = 10 * time.Second
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	p := &okta.Replayer{Client: client}
	res, err := p.Replay(ctx, sc, "test", okta.Options{Probes: harness.Probes{Link: harness.LinkProbe{Attribute: elimity.LinkAttribute}}, Managed: managed})
	if err != nil {
		var se *harness.StatusError
		if !errors.As(err, &se) {
			t.Fatalf("%s with variants %v could not run: %v", sc.Name, variants, err)
		}
		return "status: " + err.Error()
	}
	if !res.Diff.Empty() {
		return "diff: " + res.Diff.String()
	}
	return ""
}

// TestCatalogueContract replays every scenario of the built-in Okta catalogue against the
// server, as the gate would: with no variant every scenario passes, and each harmful variant
// turns at least one scenario red.
func TestCatalogueContract(t *testing.T) {
	scs, err := scenarios.Okta()
	if err != nil {
		t.Fatal(err)
	}
	baseline := map[string]string{}
	for _, sc := range scs {
		v := verdict(t, sc, nil)
		baseline[sc.Name] = v
		if v != "" {
			t.Errorf("%s fails the server with no variant: %s", sc.Name, v)
		}
	}
	for _, v := range elimity.Variants() {
		var caught []string
		for _, sc := range scs {
			// A scenario red without the variant too catches it only by failing otherwise.
			if got := verdict(t, sc, []string{v.Name}); got != "" && got != baseline[sc.Name] {
				caught = append(caught, sc.Name)
			}
		}
		if len(caught) == 0 {
			t.Errorf("variant %s is caught by no scenario", v.Name)
			continue
		}
		t.Logf("%-24s caught by %s", v.Name, strings.Join(caught, ", "))
	}
}

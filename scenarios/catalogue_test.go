package scenarios_test

import (
	"context"
	"errors"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/scimreplay/scimreplay/fakes/directory"
	"github.com/scimreplay/scimreplay/fakes/okta"
	"github.com/scimreplay/scimreplay/fakes/reference"
	"github.com/scimreplay/scimreplay/harness"
	"github.com/scimreplay/scimreplay/harness/scenario"
	"github.com/scimreplay/scimreplay/scenarios"
)

// verdict is what the gate would say of one scenario against one directory: "" when every
// invariant held, else why it goes red.
func verdict(t *testing.T, sc *scenario.Scenario, faults []string) string {
	t.Helper()
	spec := reference.Target(faults)
	d, err := directory.New(directory.Config{Token: spec.Token, VerifiedDomains: spec.VerifiedDomains, Faults: faults})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(d)
	defer srv.Close()
	client := harness.NewClient(srv.URL+"/scim/v2", spec.Token)
	client.Timeout = 10 * time.Second
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	p := &okta.Replayer{Client: client}
	res, err := p.Replay(ctx, sc, "test", okta.Options{Probes: harness.Probes{Link: spec.LinkProbe, Audit: spec.AuditProbe}, Managed: spec.Classifier()})
	if err != nil {
		var se *harness.StatusError
		if !errors.As(err, &se) {
			t.Fatalf("%s with faults %v could not run: %v", sc.Name, faults, err)
		}
		return "status: " + err.Error()
	}
	if d := res.Diff; !d.Empty() {
		return "diff: " + d.String()
	}
	return ""
}

// TestCatalogueCatchesEveryFault is the catalogue's contract, checked in-process against the
// reference directory (the Docker-backed suite checks the same through the gate): every
// scenario passes the directory with no fault, and every fault mode turns at least one
// scenario red, by a state change or an unexpected status on Okta's traffic.
func TestCatalogueCatchesEveryFault(t *testing.T) {
	scs, err := scenarios.Okta()
	if err != nil {
		t.Fatal(err)
	}
	for _, sc := range scs {
		if v := verdict(t, sc, nil); v != "" {
			t.Errorf("%s fails the directory with no fault: %s", sc.Name, v)
		}
	}
	for _, f := range directory.Faults() {
		var caught []string
		for _, sc := range scs {
			if v := verdict(t, sc, []string{f.Name}); v != "" {
				caught = append(caught, sc.Name)
			}
		}
		if len(caught) == 0 {
			t.Errorf("fault %s is caught by no scenario", f.Name)
			continue
		}
		t.Logf("%-24s caught by %s", f.Name, strings.Join(caught, ", "))
	}
}

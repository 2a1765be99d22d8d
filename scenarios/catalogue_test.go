package scenarios_test

import (
	"context"
	"errors"
	"net/http/httptest"
	"slices"
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

// verdict is what the gate would say of one scenario against one directory with faults and
// variations on: "" when every invariant held, else why it goes red. A background fault gets a
// short delay and a settle window that outlasts it (the gate's default window is 2s, for the
// directory's default delay of 1s).
func verdict(t *testing.T, sc *scenario.Scenario, faults, variations []string) string {
	t.Helper()
	spec := reference.Target(faults, variations)
	cfg := directory.Config{Token: spec.Token, VerifiedDomains: spec.VerifiedDomains, Faults: faults, Variations: variations, Delay: 50 * time.Millisecond}
	d, err := directory.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	srv := httptest.NewServer(d)
	defer srv.Close()
	client := harness.NewClient(srv.URL+"/scim/v2", spec.Token)
	client.Timeout = 10 * time.Second
	client.MaxRetryAfter = 10 * time.Millisecond // throttle-429 asks for 1s: honoured, capped for speed
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var settle time.Duration
	for _, f := range directory.Faults() {
		if f.Background && slices.Contains(faults, f.Name) {
			settle = 300 * time.Millisecond
		}
	}
	p := &okta.Replayer{Client: client}
	res, err := p.Replay(ctx, sc, "test", okta.Options{Probes: harness.Probes{Link: spec.LinkProbe, Audit: spec.AuditProbe}, Managed: spec.Classifier(), Settle: settle})
	if err != nil {
		var se *harness.StatusError
		if !errors.As(err, &se) {
			t.Fatalf("%s with faults %v, variations %v could not run: %v", sc.Name, faults, variations, err)
		}
		return "status: " + err.Error()
	}
	if d := res.Diff; !d.Empty() {
		return "diff: " + d.String()
	}
	return ""
}

// TestCatalogueCatchesEveryFault is the catalogue's contract, checked in-process against the
// reference directory (the detection matrix checks the same through the gate): every scenario
// passes the directory with no fault and with each variation (behaviours a correct server may
// show), and every fault mode turns at least one scenario red, by a state change or an
// unexpected status on Okta's traffic — except the explore-only ones, which need a combination of
// no-op variations no scenario sends, and which no scenario may catch.
func TestCatalogueCatchesEveryFault(t *testing.T) {
	scs, err := scenarios.Okta()
	if err != nil {
		t.Fatal(err)
	}
	for _, sc := range scs {
		if v := verdict(t, sc, nil, nil); v != "" {
			t.Errorf("%s fails the directory with no fault: %s", sc.Name, v)
		}
		for _, vr := range directory.Variations() {
			if v := verdict(t, sc, nil, []string{vr.Name}); v != "" {
				t.Errorf("%s fails the directory with the variation %s, which a correct server may show: %s", sc.Name, vr.Name, v)
			}
		}
	}
	for _, f := range directory.Faults() {
		var caught []string
		for _, sc := range scs {
			if v := verdict(t, sc, []string{f.Name}, nil); v != "" {
				caught = append(caught, sc.Name)
			}
		}
		switch {
		case f.ExploreOnly && len(caught) > 0:
			// The matrix says no catalogue scenario triggers it: that must stay true.
			t.Errorf("fault %s is explore-only, but %s catch it: drop ExploreOnly", f.Name, strings.Join(caught, ", "))
			continue
		case f.ExploreOnly:
			t.Logf("%-24s caught by no scenario, as an explore-only fault is (scimreplay explore finds it)", f.Name)
			continue
		case len(caught) == 0:
			t.Errorf("fault %s is caught by no scenario", f.Name)
			continue
		}
		t.Logf("%-24s caught by %s", f.Name, strings.Join(caught, ", "))
	}
}

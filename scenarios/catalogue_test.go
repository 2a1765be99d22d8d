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
	"github.com/scimreplay/scimreplay/fakes/entra"
	"github.com/scimreplay/scimreplay/fakes/idp"
	"github.com/scimreplay/scimreplay/fakes/okta"
	"github.com/scimreplay/scimreplay/fakes/reference"
	"github.com/scimreplay/scimreplay/harness"
	"github.com/scimreplay/scimreplay/harness/scenario"
	"github.com/scimreplay/scimreplay/scenarios"
)

// verdict is what the gate would say of one scenario against one directory with faults and
// variations on: "" when every invariant held, else why it goes red. A background fault gets a
// short delay and a settle window that outlasts it (the gate's default window is 2s, for the
// directory's default delay of 1s). An Entra scenario that pins no dialect is replayed in
// dialect (the gate's --entra-dialect).
func verdict(t *testing.T, sc *scenario.Scenario, faults, variations []string, dialect ...string) string {
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
	o := idp.Options{Probes: harness.Probes{Link: spec.LinkProbe, Audit: spec.AuditProbe}, Managed: spec.Classifier(), Settle: settle}
	var res *idp.Result
	if sc.IdP == scenario.IdPEntra {
		client.Header = entra.Header()
		res, err = (&entra.Replayer{Client: client, Dialect: strings.Join(dialect, "")}).Replay(ctx, sc, "test", o)
	} else {
		res, err = (&okta.Replayer{Client: client}).Replay(ctx, sc, "test", o)
	}
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
// show), an Entra scenario that pins no dialect in each of Entra's dialects; every fault mode
// turns at least one scenario red, by a state change or an unexpected status on the IdP's
// traffic — except the explore-only ones, which need a combination of no-op variations no
// scenario sends, and which no scenario may catch; and every Entra fault (resync-bugs.md's
// Entra rows) is caught by an Entra scenario.
func TestCatalogueCatchesEveryFault(t *testing.T) {
	scs, err := scenarios.All()
	if err != nil {
		t.Fatal(err)
	}
	dialects := func(sc *scenario.Scenario) []string {
		if sc.IdP != scenario.IdPEntra || sc.Entra.Dialect != "" {
			return []string{""}
		}
		return scenario.EntraDialects
	}
	for _, sc := range scs {
		for _, dialect := range dialects(sc) {
			in := ""
			if dialect != "" {
				in = " in the " + dialect + " dialect"
			}
			if v := verdict(t, sc, nil, nil, dialect); v != "" {
				t.Errorf("%s%s fails the directory with no fault: %s", sc.Name, in, v)
			}
			for _, vr := range directory.Variations() {
				if v := verdict(t, sc, nil, []string{vr.Name}, dialect); v != "" {
					t.Errorf("%s%s fails the directory with the variation %s, which a correct server may show: %s", sc.Name, in, vr.Name, v)
				}
			}
		}
	}
	entraFaults := []string{"entra-op-case-sensitive", "entra-string-bool", "remove-valuelist-empties", "readd-member-conflict"}
	for _, f := range directory.Faults() {
		var caught, byEntra []string
		for _, sc := range scs {
			if v := verdict(t, sc, []string{f.Name}, nil); v != "" {
				caught = append(caught, sc.Name)
				if sc.IdP == scenario.IdPEntra {
					byEntra = append(byEntra, sc.Name)
				}
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
		case slices.Contains(entraFaults, f.Name) && len(byEntra) == 0:
			t.Errorf("Entra's fault %s is caught by no Entra scenario (only by %s)", f.Name, strings.Join(caught, ", "))
		}
		t.Logf("%-24s caught by %s", f.Name, strings.Join(caught, ", "))
	}
	// The pinned scenarios catch Entra's faults whatever the gate's --entra-dialect says.
	for _, f := range entraFaults {
		if _, err := directory.ParseFaults(f); err != nil {
			t.Errorf("the directory has no fault %s: %v", f, err)
			continue
		}
		caught := false
		for _, sc := range scs {
			if sc.IdP == scenario.IdPEntra && verdict(t, sc, []string{f}, nil, scenario.EntraDialectSCIM062020) != "" {
				caught = true
				break
			}
		}
		if !caught {
			t.Errorf("with --entra-dialect %s, no Entra scenario catches %s", scenario.EntraDialectSCIM062020, f)
		}
	}
}

package scenarios_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
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
	// Served in process: the HTTP path itself is gated by the detection matrix and the suites.
	client := harness.NewClient("http://directory.test/scim/v2", spec.Token)
	client.HTTP = &http.Client{Transport: harness.HandlerTransport(d)}
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
	entraFaults := []string{"entra-op-case-sensitive", "entra-string-bool", "remove-valuelist-empties", "readd-member-conflict"}

	// Every verdict is worked out first, side by side (each against its own directory), then
	// judged below in the order the contract reads.
	var vs verdicts
	for _, sc := range scs {
		for _, dialect := range dialects(sc) {
			vs.add(sc, nil, nil, dialect)
			for _, vr := range directory.Variations() {
				vs.add(sc, nil, []string{vr.Name}, dialect)
			}
		}
	}
	for _, f := range directory.Faults() {
		for _, sc := range scs {
			vs.add(sc, []string{f.Name}, nil, "")
		}
	}
	for _, f := range entraFaults {
		if _, err := directory.ParseFaults(f); err != nil {
			continue // said below
		}
		for _, sc := range scs {
			if sc.IdP == scenario.IdPEntra {
				vs.add(sc, []string{f}, nil, scenario.EntraDialectSCIM062020)
			}
		}
	}
	vs.run(t)

	for _, sc := range scs {
		for _, dialect := range dialects(sc) {
			in := ""
			if dialect != "" {
				in = " in the " + dialect + " dialect"
			}
			if v := vs.of(sc, nil, nil, dialect); v != "" {
				t.Errorf("%s%s fails the directory with no fault: %s", sc.Name, in, v)
			}
			for _, vr := range directory.Variations() {
				if v := vs.of(sc, nil, []string{vr.Name}, dialect); v != "" {
					t.Errorf("%s%s fails the directory with the variation %s, which a correct server may show: %s", sc.Name, in, vr.Name, v)
				}
			}
		}
	}
	for _, f := range directory.Faults() {
		var caught, byEntra []string
		for _, sc := range scs {
			if v := vs.of(sc, []string{f.Name}, nil, ""); v != "" {
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
			if sc.IdP == scenario.IdPEntra && vs.of(sc, []string{f}, nil, scenario.EntraDialectSCIM062020) != "" {
				caught = true
				break
			}
		}
		if !caught {
			t.Errorf("with --entra-dialect %s, no Entra scenario catches %s", scenario.EntraDialectSCIM062020, f)
		}
	}
}

// verdicts are the verdicts of many (scenario, faults, variations, dialect) runs, worked out in
// parallel subtests: each run has its own directory and server, and most of its time is the
// background faults' delay and settle window, not CPU.
type verdicts struct {
	runs []*verdictRun
	by   map[string]*verdictRun
}

type verdictRun struct {
	sc                  *scenario.Scenario
	faults, variations  []string
	dialect, key, value string
	done                bool
}

func verdictKey(sc *scenario.Scenario, faults, variations []string, dialect string) string {
	return fmt.Sprintf("%s/%s/faults=%s/variations=%s/dialect=%s", sc.IdP, sc.Name,
		strings.Join(faults, ","), strings.Join(variations, ","), dialect)
}

func (vs *verdicts) add(sc *scenario.Scenario, faults, variations []string, dialect string) {
	key := verdictKey(sc, faults, variations, dialect)
	if vs.by == nil {
		vs.by = map[string]*verdictRun{}
	}
	if vs.by[key] != nil {
		return
	}
	r := &verdictRun{sc: sc, faults: faults, variations: variations, dialect: dialect, key: key}
	vs.runs = append(vs.runs, r)
	vs.by[key] = r
}

// run works out every verdict; a run that could not run fails the test here.
func (vs *verdicts) run(t *testing.T) {
	t.Helper()
	t.Run("verdicts", func(t *testing.T) {
		for _, r := range vs.runs {
			t.Run(r.key, func(t *testing.T) {
				t.Parallel()
				r.value = verdict(t, r.sc, r.faults, r.variations, r.dialect)
				r.done = true
			})
		}
	})
	if t.Failed() {
		t.FailNow()
	}
}

// of is a verdict run worked out; asking for one never added is the test's own bug.
func (vs *verdicts) of(sc *scenario.Scenario, faults, variations []string, dialect string) string {
	r := vs.by[verdictKey(sc, faults, variations, dialect)]
	if r == nil || !r.done {
		panic("no verdict worked out for " + verdictKey(sc, faults, variations, dialect))
	}
	return r.value
}

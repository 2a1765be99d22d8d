package record_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/scimreplay/scimreplay/fakes/directory"
	"github.com/scimreplay/scimreplay/fakes/okta"
	"github.com/scimreplay/scimreplay/fakes/reference"
	"github.com/scimreplay/scimreplay/harness"
	"github.com/scimreplay/scimreplay/harness/record"
	"github.com/scimreplay/scimreplay/harness/scenario"
	"github.com/scimreplay/scimreplay/scenarios"
)

const token = "srt_recordtest_4f1d2c9a8b7e6d5c"

// newDirectory serves a fresh reference directory with no fault.
func newDirectory(t *testing.T) *httptest.Server {
	t.Helper()
	d, err := directory.New(directory.Config{Token: token, VerifiedDomains: []string{reference.VerifiedDomain}})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(d)
	t.Cleanup(srv.Close)
	return srv
}

func client(base string) *harness.Client {
	c := harness.NewClient(base, token)
	c.Timeout = 10 * time.Second
	return c
}

// state is a target's users and groups by name, ids left out: what two targets that were sent
// the same traffic must agree on.
type state struct {
	Users  map[string]string   // userName → externalId, active, emails, linked or not
	Groups map[string][]string // displayName → member userNames
}

func stateOf(t *testing.T, ctx context.Context, c *harness.Client) state {
	t.Helper()
	spec := reference.Target(nil)
	snap, err := harness.TakeSnapshot(ctx, c, harness.Scope{}, harness.Probes{Link: spec.LinkProbe})
	if err != nil {
		t.Fatal(err)
	}
	st := state{Users: map[string]string{}, Groups: map[string][]string{}}
	byID := map[string]string{}
	for _, u := range snap.Users {
		byID[u.ID] = u.Key()
		st.Users[u.Key()] = fmt.Sprintf("ext=%s active=%t primary=%s emails=%v linked=%t", u.ExternalID, u.Active, u.PrimaryEmail, u.Emails, u.Link != "")
	}
	for _, g := range snap.Groups {
		var ms []string
		for _, id := range g.Members {
			ms = append(ms, byID[id])
		}
		sort.Strings(ms)
		st.Groups[g.DisplayName] = ms
	}
	return st
}

func catalogue(t *testing.T, name string) *scenario.Scenario {
	t.Helper()
	scs, err := scenarios.Okta()
	if err != nil {
		t.Fatal(err)
	}
	for _, sc := range scs {
		if sc.Name == name {
			return sc
		}
	}
	t.Fatalf("no catalogue scenario %s", name)
	return nil
}

// TestRecordThenReplayReachesTheSameState drives catalogue scenarios through the recording
// proxy into one directory, writes the recording, replays it against a fresh directory and
// checks that both end in the same state, and that the replayed force sync moved nothing.
func TestRecordThenReplayReachesTheSameState(t *testing.T) {
	for _, name := range []string{"identical-repush", "filtered-remove-add", "push-now-empty-list", "deactivate-reactivate-repost", "emails-reordered"} {
		t.Run(name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			recorded := newDirectory(t)
			proxy, err := record.NewProxy(recorded.URL+"/scim/v2", 5*time.Second, record.PhaseProvision)
			if err != nil {
				t.Fatal(err)
			}
			front := httptest.NewServer(proxy)
			defer front.Close()

			sc := catalogue(t, name)
			p := &okta.Replayer{Client: client(front.URL)}
			run := okta.NewRun(sc, "rec")
			if err := p.Phase(ctx, run, "provision", sc.Provision); err != nil {
				t.Fatal(err)
			}
			resp, err := http.Post(front.URL+record.PhasePath+"forceSync", "text/plain", nil)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusNoContent {
				t.Fatalf("phase mark answered %d", resp.StatusCode)
			}
			for i := 0; i < sc.Repeat; i++ {
				if err := p.Phase(ctx, run, "forceSync", sc.ForceSync); err != nil {
					t.Fatal(err)
				}
			}
			exs, failed := proxy.Stop()
			if failed != 0 || len(exs) == 0 {
				t.Fatalf("%d exchanges recorded, %d failed", len(exs), failed)
			}
			out, _, err := record.Build(exs, record.Options{Name: "rec-" + name, Source: "recorded in a test", Labels: []string{"recorded"}})
			if err != nil {
				t.Fatal(err)
			}
			if strings.Contains(string(out), token) || strings.Contains(string(out), "Okta-Gen-") {
				t.Fatalf("the recording holds a secret:\n%s", out)
			}
			rsc, err := scenario.Parse("rec.yaml", out)
			if err != nil {
				t.Fatalf("%v\n%s", err, out)
			}
			if rsc.Rebind != scenario.RebindAuto || len(rsc.Provision) == 0 || len(rsc.ForceSync) == 0 {
				t.Fatalf("recording: rebind %q, %d provision and %d forceSync steps", rsc.Rebind, len(rsc.Provision), len(rsc.ForceSync))
			}

			fresh := newDirectory(t)
			spec := reference.Target(nil)
			rp := &okta.Replayer{Client: client(fresh.URL + "/scim/v2")}
			res, err := rp.Replay(ctx, rsc, "replay", harness.Probes{Link: spec.LinkProbe})
			if err != nil {
				t.Fatalf("replay: %v\n%s", err, out)
			}
			if d := res.Diff(spec.Managed); !d.Empty() {
				t.Fatalf("the replayed force sync moved state:\n%s", d)
			}
			want, got := stateOf(t, ctx, client(recorded.URL+"/scim/v2")), stateOf(t, ctx, client(fresh.URL+"/scim/v2"))
			if len(want.Users) == 0 || !reflect.DeepEqual(want, got) {
				t.Fatalf("states differ:\nrecorded %+v\nreplayed %+v", want, got)
			}
		})
	}
}

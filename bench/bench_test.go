package bench

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"

	"github.com/scimreplay/scimreplay/fakes/directory"
	"github.com/scimreplay/scimreplay/fakes/okta"
	"github.com/scimreplay/scimreplay/harness"
)

// BenchmarkCompare is harness.Compare of two snapshots with 1% changed, at three sizes (the
// groups scale with the users, 1 per 20).
func BenchmarkCompare(b *testing.B) {
	for _, n := range []int{1000, 10000, 100000} {
		before, after, _, _ := SnapshotPair(n, n/20, 0.01)
		b.Run(fmt.Sprintf("users=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				Compare(before, after)
			}
		})
	}
}

// serveDirectory serves a fresh reference directory in process (no Docker) and returns a client
// for it, so a profile shows the harness and the directory side by side.
func serveDirectory(tb testing.TB, faults ...string) *harness.Client {
	tb.Helper()
	d, err := directory.New(directory.Config{Token: "bench-token", VerifiedDomains: []string{ManagedDomain}, Faults: faults})
	if err != nil {
		tb.Fatal(err)
	}
	srv := httptest.NewServer(d)
	tb.Cleanup(srv.Close)
	return harness.NewClient(srv.URL+"/scim/v2", "bench-token")
}

// provisioned generates an org of spec's shape and provisions it into the target c talks to.
func provisioned(tb testing.TB, c *harness.Client, spec OrgSpec) *okta.Run {
	tb.Helper()
	sc, err := Generate(spec)
	if err != nil {
		tb.Fatal(err)
	}
	run, _, err := Provision(context.Background(), c, sc)
	if err != nil {
		tb.Fatal(err)
	}
	return run
}

// BenchmarkReplayForceSync replays the generated force sync (GET + echo PUT per user, Push Now
// per group) of a provisioned 200-user org against an in-process directory.
func BenchmarkReplayForceSync(b *testing.B) {
	c := serveDirectory(b)
	run := provisioned(b, c, OrgSpec{Users: 200, Groups: 10, Unmanaged: 0.3})
	sc := run.Scenario
	rp := &okta.Replayer{Client: c}
	b.ReportAllocs()
	for b.Loop() {
		if err := rp.Phase(context.Background(), run, "forceSync", sc.ForceSync); err != nil {
			b.Fatal(err)
		}
	}
}

var (
	benchUsers       = flag.Int("bench.users", 1000, "users in the org of BenchmarkProvisionAndForceSync (groups: 1 per 20)")
	benchConcurrency = flag.Int("bench.concurrency", 4, "the force sync's concurrency: in BenchmarkProvisionAndForceSync")
)

// BenchmarkProvisionAndForceSync is the whole measured run of the driver's child (1k users by
// default; -bench.users 10000 for the large org).
func BenchmarkProvisionAndForceSync(b *testing.B) {
	for b.Loop() {
		c := serveDirectory(b)
		run := provisioned(b, c, OrgSpec{Users: *benchUsers, Groups: max(*benchUsers/20, 1), Unmanaged: 0.3, Concurrency: *benchConcurrency})
		if _, err := ForceSync(context.Background(), c, run); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkTakeSnapshot is one snapshot (users and groups pages, link attribute, audit probe) of a
// provisioned 2000-user org in an in-process directory.
func BenchmarkTakeSnapshot(b *testing.B) {
	c := serveDirectory(b)
	run := provisioned(b, c, OrgSpec{Users: 2000, Groups: 100, Unmanaged: 0.3})
	scope := run.Scope()
	b.ReportAllocs()
	for b.Loop() {
		snap, err := harness.TakeSnapshot(context.Background(), c, scope, Probes())
		if err != nil {
			b.Fatal(err)
		}
		if len(snap.Users) != 2000 {
			b.Fatalf("%d users", len(snap.Users))
		}
	}
}

// cannedServer answers every request with what a real directory answered to the same method and
// URI, recorded once, so a benchmark against it measures the client alone.
type cannedServer struct {
	answers map[string]cannedAnswer
}

type cannedAnswer struct {
	status int
	header http.Header
	body   []byte
}

func (s *cannedServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	_, _ = io.Copy(io.Discard, r.Body)
	a, ok := s.answers[r.Method+" "+r.URL.RequestURI()]
	if !ok {
		http.Error(w, "not recorded", http.StatusNotFound)
		return
	}
	for k, v := range a.header {
		w.Header()[k] = v
	}
	w.WriteHeader(a.status)
	_, _ = w.Write(a.body)
}

// recordedForceSync provisions a 200-user org into an in-process directory and records what the
// directory answers to its force sync, request by request: the requests (URIs relative to the
// host) and a server that answers them alike.
func recordedForceSync(b *testing.B) (*okta.Run, *cannedServer, []sentRequest) {
	b.Helper()
	live := serveDirectory(b)
	run := provisioned(b, live, OrgSpec{Users: 200, Groups: 10, Unmanaged: 0.3})
	canned := &cannedServer{answers: map[string]cannedAnswer{}}
	var reqs []sentRequest
	live.Observe(func(e harness.Exchange) {
		u, _ := url.Parse(e.URL)
		reqs = append(reqs, sentRequest{method: e.Method, url: u.RequestURI(), body: []byte(e.ReqBody)})
		canned.answers[e.Method+" "+u.RequestURI()] = cannedAnswer{status: e.Status, header: e.RespHeader, body: []byte(e.RespBody)}
	})
	defer live.Observe(nil)
	if err := (&okta.Replayer{Client: live}).Phase(context.Background(), run, "record", run.Scenario.ForceSync); err != nil {
		b.Fatal(err)
	}
	return run, canned, reqs
}

// BenchmarkEngineVsPlain replays the generated force sync of a 200-user org against canned
// answers with the replay engine, and sends the same requests with a plain net/http loop: the
// difference per request is the engine's own cost.
func BenchmarkEngineVsPlain(b *testing.B) {
	run, canned, reqs := recordedForceSync(b)
	sc := run.Scenario
	srv := httptest.NewServer(canned)
	b.Cleanup(srv.Close)
	c := harness.NewClient(srv.URL+"/scim/v2", "bench-token")
	for i := range reqs {
		reqs[i].url = srv.URL + reqs[i].url
	}
	b.Run("engine", func(b *testing.B) {
		rp := &okta.Replayer{Client: c}
		b.ReportAllocs()
		for b.Loop() {
			if err := rp.Phase(context.Background(), run, "forceSync", sc.ForceSync); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N*len(reqs)), "us/request")
	})
	b.Run("plain", func(b *testing.B) {
		plain := &http.Client{Transport: plainTransport()}
		header := harness.OktaHeaders()
		header.Set("Authorization", "Bearer bench-token")
		b.ReportAllocs()
		for b.Loop() {
			if _, err := plainRound(context.Background(), plain, header, reqs); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N*len(reqs)), "us/request")
	})
}

// cannedTransport answers from a cannedServer without a socket: BenchmarkEngineAlone measures
// the engine's own work per request, free of the loopback's noise.
type cannedTransport struct{ s *cannedServer }

func (t cannedTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Body != nil {
		_, _ = io.Copy(io.Discard, r.Body)
		r.Body.Close()
	}
	a, ok := t.s.answers[r.Method+" "+r.URL.RequestURI()]
	if !ok {
		a = cannedAnswer{status: http.StatusNotFound, body: []byte("not recorded")}
	}
	return &http.Response{StatusCode: a.status, Header: a.header, Body: io.NopCloser(bytes.NewReader(a.body)),
		ContentLength: int64(len(a.body)), Request: r}, nil
}

// BenchmarkEngineAlone replays the force sync of a 200-user org against answers served without
// a network: what is left per request is the engine and the harness client, which `make bench`'s
// replay_overhead_ratio holds to ≤ 1.10 of a plain loop. Profile it to find their hot spots.
func BenchmarkEngineAlone(b *testing.B) {
	run, canned, reqs := recordedForceSync(b)
	sc := run.Scenario
	c := harness.NewClient("http://canned.test/scim/v2", "bench-token")
	c.HTTP = &http.Client{Transport: cannedTransport{canned}}
	rp := &okta.Replayer{Client: c}
	b.ReportAllocs()
	for b.Loop() {
		if err := rp.Phase(context.Background(), run, "forceSync", sc.ForceSync); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/1000/float64(b.N*len(reqs)), "us/request")
}

package okta

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/scimreplay/scimreplay/fakes/directory"
	"github.com/scimreplay/scimreplay/harness"
	"github.com/scimreplay/scimreplay/harness/scenario"
)

// wire wraps a reference directory: it counts requests in flight, keeps each user path's
// requests in arrival order, and can fail one path.
type wire struct {
	next        http.Handler
	delay       time.Duration
	failPath    string
	inFlight    atomic.Int64
	maxInFlight atomic.Int64
	mu          sync.Mutex
	byPath      map[string][]string
}

func (w *wire) ServeHTTP(rw http.ResponseWriter, r *http.Request) {
	n := w.inFlight.Add(1)
	defer w.inFlight.Add(-1)
	for m := w.maxInFlight.Load(); n > m && !w.maxInFlight.CompareAndSwap(m, n); m = w.maxInFlight.Load() {
	}
	if strings.Contains(r.URL.Path, "/Users/") {
		w.mu.Lock()
		w.byPath[r.URL.Path] = append(w.byPath[r.URL.Path], r.Method)
		w.mu.Unlock()
		if r.URL.Path == w.failPath && r.Method == http.MethodPut {
			http.Error(rw, `{"detail":"no"}`, http.StatusInternalServerError)
			return
		}
		time.Sleep(w.delay)
	}
	w.next.ServeHTTP(rw, r)
}

func concurrentSetup(t *testing.T, users, concurrency int) (*Replayer, *Run, *wire) {
	t.Helper()
	d, err := directory.New(directory.Config{Token: "tok-123456", VerifiedDomains: []string{"acme.example"}})
	if err != nil {
		t.Fatal(err)
	}
	w := &wire{next: d, byPath: map[string][]string{}}
	srv := httptest.NewServer(w)
	t.Cleanup(srv.Close)
	sc := &scenario.Scenario{Name: "concurrent", Repeat: 1}
	for i := range users {
		key := fmt.Sprintf("u%02d", i)
		sc.Org.Users = append(sc.Org.Users, scenario.User{Key: key, UserName: key + "@acme.example", GivenName: "U", FamilyName: key, Active: true})
	}
	sc.Org.Reindex()
	sc.ForceSync = []scenario.Step{{ForEach: "users", Concurrency: concurrency, Steps: []scenario.Step{
		{Method: "GET", Path: "/Users/{{user.id}}", Expect: []int{200}, Capture: []scenario.KV{{Key: "last", Value: "$.id"}}},
		{Method: "PUT", Path: "/Users/{{user.id}}", Echo: true, Profile: true, Expect: []int{200}},
	}}}
	rp := &Replayer{Client: harness.NewClient(srv.URL+"/scim/v2", "tok-123456")}
	run := NewRun(sc, "t")
	if err := rp.Phase(context.Background(), run, "provision", []scenario.Step{{Okta: "provision"}}); err != nil {
		t.Fatal(err)
	}
	w.delay = 3 * time.Millisecond
	return rp, run, w
}

func TestForEachConcurrencyOverlapsUsersAndKeepsEachUsersOrder(t *testing.T) {
	rp, run, w := concurrentSetup(t, 24, 4)
	if err := rp.Phase(context.Background(), run, "forceSync", run.Scenario.ForceSync); err != nil {
		t.Fatal(err)
	}
	if got := w.maxInFlight.Load(); got < 2 || got > 4 {
		t.Errorf("requests in flight at once: %d, want between 2 and the concurrency, 4", got)
	}
	if len(w.byPath) != 24 {
		t.Fatalf("%d user paths seen, want 24", len(w.byPath))
	}
	for path, methods := range w.byPath {
		if strings.Join(methods, " ") != "GET PUT" {
			t.Errorf("%s: %v, want GET then PUT", path, methods)
		}
	}
	if _, ok := run.Vars["last"]; !ok {
		t.Error("a capture inside the concurrent loop did not reach the run")
	}
}

func TestForEachWithoutConcurrencyIsSequential(t *testing.T) {
	rp, run, w := concurrentSetup(t, 6, 0)
	if err := rp.Phase(context.Background(), run, "forceSync", run.Scenario.ForceSync); err != nil {
		t.Fatal(err)
	}
	if got := w.maxInFlight.Load(); got != 1 {
		t.Errorf("requests in flight at once: %d, want 1", got)
	}
}

func TestForEachConcurrencyReportsTheFailingUser(t *testing.T) {
	rp, run, w := concurrentSetup(t, 24, 4)
	w.failPath = "/scim/v2/Users/" + run.UserIDs["u05"]
	err := rp.Phase(context.Background(), run, "forceSync", run.Scenario.ForceSync)
	var se *StepError
	if !errors.As(err, &se) || !strings.Contains(se.What, "(u05)") {
		t.Fatalf("error %v, want the step error of user u05", err)
	}
	var st *harness.StatusError
	if !errors.As(err, &st) || st.Got != http.StatusInternalServerError {
		t.Fatalf("error %v, want the 500 the target answered", err)
	}
}

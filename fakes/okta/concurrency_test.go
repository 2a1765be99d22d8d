package okta

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
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

// TestProvisionConcurrency: okta: provision with concurrency pushes users side by side (each
// one's lookup before its POST), then groups (each one's POST before its PATCH), and leaves the
// target as the one-at-a-time provisioning does: every user, and every group with its members.
func TestProvisionConcurrency(t *testing.T) {
	state := func(concurrency int) (string, int64, map[string][]string) {
		d, err := directory.New(directory.Config{Token: "tok-123456", VerifiedDomains: []string{"acme.example"}})
		if err != nil {
			t.Fatal(err)
		}
		w := &wire{next: d, byPath: map[string][]string{}, delay: 2 * time.Millisecond}
		order := map[string][]string{} // userName or group id -> methods, in arrival order
		var mu sync.Mutex
		srv := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
			key := r.URL.Path
			if f := r.URL.Query().Get("filter"); f != "" {
				key = strings.Trim(strings.TrimPrefix(f, "userName eq "), `"`)
			}
			mu.Lock()
			order[key] = append(order[key], r.Method)
			mu.Unlock()
			time.Sleep(w.delay)
			w.ServeHTTP(rw, r)
		}))
		defer srv.Close()
		sc := &scenario.Scenario{Name: "provision", Repeat: 1}
		for i := range 30 {
			key := fmt.Sprintf("u%02d", i)
			sc.Org.Users = append(sc.Org.Users, scenario.User{Key: key, UserName: key + "@acme.example", GivenName: "U", FamilyName: key, Active: i%7 != 3})
		}
		for g := range 6 {
			grp := scenario.Group{Key: fmt.Sprintf("g%d", g), DisplayName: fmt.Sprintf("group-%d", g)}
			for i := g; i < 30; i += 6 {
				grp.Members = append(grp.Members, fmt.Sprintf("u%02d", i))
			}
			sc.Org.Groups = append(sc.Org.Groups, grp)
		}
		sc.Org.Reindex()
		rp := &Replayer{Client: harness.NewClient(srv.URL+"/scim/v2", "tok-123456")}
		run := NewRun(sc, "t")
		if err := rp.Phase(context.Background(), run, "provision", []scenario.Step{{Okta: "provision", Concurrency: concurrency}}); err != nil {
			t.Fatal(err)
		}
		for _, u := range sc.Org.Users {
			if got := strings.Join(order[u.UserName], " "); got != "GET" {
				t.Errorf("concurrency %d: lookups of %s: %q, want one GET", concurrency, u.UserName, got)
			}
		}
		snap, err := harness.TakeSnapshot(context.Background(), rp.Client, run.Scope(), harness.Probes{})
		if err != nil {
			t.Fatal(err)
		}
		var b strings.Builder
		names := map[string]string{}
		for _, u := range snap.Users {
			names[u.ID] = u.UserName
			fmt.Fprintf(&b, "%s active=%v\n", u.UserName, u.IsActive())
		}
		for _, g := range snap.Groups {
			var ms []string
			for _, m := range g.Members {
				ms = append(ms, names[m])
			}
			slices.Sort(ms) // member ids are the target's, random: compare by name
			fmt.Fprintf(&b, "%s: %s\n", g.DisplayName, strings.Join(ms, ","))
		}
		return b.String(), w.maxInFlight.Load(), order
	}
	want, inFlight, _ := state(0)
	if inFlight != 1 {
		t.Fatalf("without concurrency, %d requests in flight at once, want 1", inFlight)
	}
	got, inFlight, order := state(4)
	if got != want {
		t.Errorf("provisioned with concurrency 4:\n%s\nwant, as one at a time:\n%s", got, want)
	}
	if inFlight < 2 || inFlight > 4 {
		t.Errorf("requests in flight at once: %d, want between 2 and the concurrency, 4", inFlight)
	}
	groups := 0
	for path, methods := range order {
		if strings.HasPrefix(path, "/scim/v2/Groups/") {
			groups++
			if strings.Join(methods, " ") != "PATCH" {
				t.Errorf("%s: %v, want the one members PATCH after its POST", path, methods)
			}
		}
	}
	if groups != 6 {
		t.Errorf("%d groups patched, want 6", groups)
	}
}

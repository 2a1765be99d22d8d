package elimity_test

import (
	"fmt"
	"net/http"
	"sync"
	"testing"
)

// Concurrent creates, membership PATCHes, profile PUTs and lists leave a consistent state
// (and give the race detector something to look at).
func TestConcurrentTraffic(t *testing.T) {
	f := newFixture(t)
	g := f.createGroup("everyone")
	const n = 24
	ids := make([]string, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			ids[i] = f.createUser(fmt.Sprintf("user%02d@acme.example", i), "U", fmt.Sprint(i))
			f.patch("/Groups/"+g,
				map[string]any{"op": "replace", "value": map[string]any{"id": g, "displayName": "everyone"}},
				map[string]any{"op": "add", "path": "members", "value": memberList(ids[i])},
			)
			f.repush(ids[i])
			f.must(http.MethodGet, "/Users?startIndex=1&count=100", nil, http.StatusOK)
			f.must(http.MethodGet, "/Groups?startIndex=1&count=100", nil, http.StatusOK)
		})
	}
	wg.Wait()
	if m := f.members(g); len(m) != n {
		t.Errorf("%d members, want %d", len(m), n)
	}
	for _, id := range ids {
		if u := f.must(http.MethodGet, "/Users/"+id, nil, http.StatusOK); len(list(u["groups"])) != 1 {
			t.Errorf("user %s: groups %v", id, u["groups"])
		}
	}
}

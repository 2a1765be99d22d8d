package directory

import (
	"fmt"
	"net/http"
	"sync"
	"testing"
)

// TestConcurrentPatchesLoseNoMember fires parallel PATCH adds at one group
// (and creates and reads alongside); every member must be there at the end.
func TestConcurrentPatchesLoseNoMember(t *testing.T) {
	h := newHarness(t)
	const n = 40
	ids := make([]string, n)
	for i := range ids {
		ids[i] = h.createUser(fmt.Sprintf("u%d@acme.example", i))
	}
	g := h.createGroup("eng")
	var wg sync.WaitGroup
	errs := make(chan string, 3*n)
	for i := range n {
		wg.Add(3)
		go func() {
			defer wg.Done()
			body := patchBody(
				op("replace", "", map[string]any{"id": g, "displayName": "eng"}),
				op("add", "members", members(ids[i])),
			)
			if r := h.do("PATCH", "/scim/v2/Groups/"+g, body); r.status != http.StatusOK {
				errs <- fmt.Sprintf("PATCH %d: %s", r.status, r.raw)
			}
		}()
		go func() {
			defer wg.Done()
			if r := h.do("GET", "/scim/v2/Groups/"+g, nil); r.status != http.StatusOK {
				errs <- fmt.Sprintf("GET %d", r.status)
			}
		}()
		go func() {
			defer wg.Done()
			if r := h.do("POST", "/scim/v2/Users", userBody(fmt.Sprintf("x%d@acme.example", i), fmt.Sprintf("x%d@acme.example", i), "")); r.status != http.StatusCreated {
				errs <- fmt.Sprintf("POST %d", r.status)
			}
		}()
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
	got := map[string]bool{}
	for _, id := range h.memberIDs(g) {
		if got[id] {
			t.Errorf("member %s twice", id)
		}
		got[id] = true
	}
	for _, id := range ids {
		if !got[id] {
			t.Errorf("member %s lost", id)
		}
	}
}

package harness

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
)

// The harness sends traffic only to the target it was given: a redirect to another origin is
// not followed (the 3xx is the answer, which Okta's traffic does not expect), so neither the
// request nor the token reaches the other server. A redirect within the target is followed.
func TestRedirectsStayOnTheTarget(t *testing.T) {
	var elsewhere atomic.Int64
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		elsewhere.Add(1)
		w.Header().Set("Content-Type", "application/scim+json")
		w.Write([]byte(`{"totalResults":0,"Resources":[]}`))
	}))
	defer other.Close()
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/scim/v2/Users":
			http.Redirect(w, r, other.URL+"/scim/v2/Users", http.StatusFound)
		case "/scim/v2/Groups":
			http.Redirect(w, r, "/scim/v2/Groups/", http.StatusMovedPermanently)
		default:
			w.Header().Set("Content-Type", "application/scim+json")
			w.Write([]byte(`{"totalResults":0,"Resources":[]}`))
		}
	}))
	defer target.Close()
	c := NewClient(target.URL+"/scim/v2", "isolation-token")
	resp, err := c.Do(context.Background(), http.MethodGet, "/Users", nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if resp.Status != http.StatusFound || elsewhere.Load() != 0 {
		t.Errorf("status %d, %d requests reached the other server; want 302 and none", resp.Status, elsewhere.Load())
	}
	if err := c.List(context.Background(), "/Users", "", func(json.RawMessage) error { return nil }); err == nil {
		t.Error("a list redirected elsewhere passed")
	}
	resp, err = c.Do(context.Background(), http.MethodGet, "/Groups", nil, nil)
	if err != nil || resp.Status != http.StatusOK {
		t.Errorf("a redirect within the target was not followed: %v %v", resp, err)
	}
}

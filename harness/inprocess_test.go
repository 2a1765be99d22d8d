package harness

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

// The handler sees the request as a server would: the path and query as RequestURI and URL,
// the Host, the headers and body; the client sees the handler's status, headers and body.
func TestHandlerTransportServesTheRequestInProcess(t *testing.T) {
	var got *http.Request
	var body string
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = r
		b, _ := io.ReadAll(r.Body)
		body = string(b)
		w.Header().Set("Content-Type", "application/scim+json")
		w.WriteHeader(http.StatusCreated)
		io.WriteString(w, `{"id":"u1"}`)
	})
	c := NewClient("http://scim.test/scim/v2?aadOptscim062020", "tok")
	c.HTTP = &http.Client{Transport: HandlerTransport(h)}
	resp, err := c.Do(context.Background(), "POST", "/Users", []byte(`{"userName":"a"}`), nil)
	if err != nil || resp.Status != http.StatusCreated || string(resp.Body) != `{"id":"u1"}` || resp.Header.Get("Content-Type") != "application/scim+json" {
		t.Fatalf("Do: %+v %v", resp, err)
	}
	if got.RequestURI != "/scim/v2/Users?aadOptscim062020" || got.URL.Path != "/scim/v2/Users" || got.URL.RawQuery != "aadOptscim062020" ||
		got.URL.Host != "" || got.Host != "scim.test" || got.Method != "POST" {
		t.Errorf("the handler saw %s %q (URL %q, Host %q)", got.Method, got.RequestURI, got.URL, got.Host)
	}
	if got.Header.Get("Authorization") != "Bearer tok" || !strings.Contains(body, `"userName":"a"`) || got.RemoteAddr == "" {
		t.Errorf("the handler saw headers %v, body %q, RemoteAddr %q", got.Header, body, got.RemoteAddr)
	}
}

// A handler that does not answer before the request's context ends does not hold the client:
// the request fails with the context's error at once. A panic in the handler is the request's
// error, not the test binary's end.
func TestHandlerTransportEndsWithTheContextAndSurvivesAPanic(t *testing.T) {
	release := make(chan struct{})
	defer close(release)
	mux := http.NewServeMux()
	mux.HandleFunc("/slow", func(w http.ResponseWriter, r *http.Request) { <-release })
	mux.HandleFunc("/panics", func(w http.ResponseWriter, r *http.Request) { panic("boom") })
	client := &http.Client{Transport: HandlerTransport(mux)}

	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", "http://scim.test/slow", nil)
	start := time.Now()
	if _, err := client.Do(req); !errors.Is(err, context.DeadlineExceeded) || time.Since(start) > 5*time.Second {
		t.Errorf("slow handler: %v after %s, want the deadline at once", err, time.Since(start))
	}
	req, _ = http.NewRequest("GET", "http://scim.test/panics", nil)
	if _, err := client.Do(req); err == nil || !strings.Contains(err.Error(), "the handler panicked: boom") {
		t.Errorf("panicking handler: %v", err)
	}
}

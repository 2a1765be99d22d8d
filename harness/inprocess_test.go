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

// A clone sends what the client sends — the same base URL and its query, token, headers,
// timeout — to the same handler, with counters of its own and no observer.
func TestCloneSendsWhatTheClientSends(t *testing.T) {
	var got []*http.Request
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { got = append(got, r) })
	c := NewClient("http://scim.test/scim/v2?aadOptscim062020", "tok")
	c.HTTP = &http.Client{Transport: HandlerTransport(h)}
	c.Header = http.Header{"User-Agent": {"Entra"}}
	c.Timeout, c.MaxRetryAfter, c.RetryBudget = 3*time.Second, time.Second, 2*time.Second
	observed := 0
	c.Observe(func(Exchange) { observed++ })
	d := c.Clone()
	if d.Timeout != c.Timeout || d.MaxRetryAfter != c.MaxRetryAfter || d.RetryBudget != c.RetryBudget || d.RootURL != c.RootURL {
		t.Errorf("clone settings %+v, want those of %+v", d, c)
	}
	d.Header.Set("X-Only-The-Clone", "1")
	for _, cl := range []*Client{c, d} {
		if _, err := cl.Do(context.Background(), "GET", "/Users", nil, nil); err != nil {
			t.Fatal(err)
		}
	}
	if len(got) != 2 || got[1].RequestURI != got[0].RequestURI || got[1].RequestURI != "/scim/v2/Users?aadOptscim062020" ||
		got[1].Header.Get("Authorization") != "Bearer tok" || got[1].Header.Get("User-Agent") != "Entra" {
		t.Fatalf("the clone sent %q %v, the client %q", got[1].RequestURI, got[1].Header, got[0].RequestURI)
	}
	if got[0].Header.Get("X-Only-The-Clone") != "" {
		t.Error("a header set on the clone reached the client")
	}
	if observed != 1 || d.Sent() != 1 || c.Sent() != 1 {
		t.Errorf("observed %d, sent %d and %d: want the clone unobserved with its own count", observed, c.Sent(), d.Sent())
	}
}

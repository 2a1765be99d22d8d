package harness

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
)

// TestClientReadsSizedBodiesAndReusesTheConnection: answers with a Content-Length are read
// whole into a buffer of that size, and the keep-alive connection still serves every request.
func TestClientReadsSizedBodiesAndReusesTheConnection(t *testing.T) {
	var conns atomic.Int64
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body := `{"id":"` + strings.Repeat("x", len(r.URL.Path)*37) + `"}`
		w.Header().Set("Content-Type", "application/scim+json")
		w.Header().Set("Content-Length", strconv.Itoa(len(body)))
		_, _ = w.Write([]byte(body))
	}))
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			conns.Add(1)
		}
	}
	srv.Start()
	defer srv.Close()
	c := NewClient(srv.URL+"/scim/v2", "")
	for i := 0; i < 50; i++ {
		path := "/Users/" + strings.Repeat("u", i)
		resp, err := c.Do(context.Background(), http.MethodGet, path, nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		want := `{"id":"` + strings.Repeat("x", len("/scim/v2"+path)*37) + `"}`
		if string(resp.Body) != want || cap(resp.Body) != len(want) {
			t.Fatalf("request %d: body of %d bytes (cap %d), want %d", i, len(resp.Body), cap(resp.Body), len(want))
		}
	}
	if n := conns.Load(); n != 1 {
		t.Fatalf("%d connections for 50 sequential requests, want 1 (keep-alive)", n)
	}
}

// TestClientShortBodyIsATransportError: a target that closes before sending its Content-Length
// did not answer in full.
func TestClientShortBodyIsATransportError(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		conn, buf, err := w.(http.Hijacker).Hijack()
		if err != nil {
			t.Error(err)
			return
		}
		_, _ = buf.WriteString("HTTP/1.1 200 OK\r\nContent-Type: application/scim+json\r\nContent-Length: 100\r\n\r\n{\"id\":")
		_ = buf.Flush()
		conn.Close()
	}))
	defer srv.Close()
	_, err := NewClient(srv.URL, "").Do(context.Background(), http.MethodGet, "/Users/1", nil, nil)
	var te *TransportError
	if err == nil || !errors.As(err, &te) || !strings.Contains(err.Error(), "before answering in full") {
		t.Fatalf("error %v, want a transport error saying the answer was cut short", err)
	}
}

// A status error says whose expectation the answer broke: Okta's unless another IdP is named.
func TestStatusErrorNamesTheIdP(t *testing.T) {
	e := &StatusError{Step: "a.yaml:3:5", Method: "PATCH", Path: "/Users/1", Want: []int{200, 204}, Got: 400, Body: "{}"}
	if got, want := e.Error(), "a.yaml:3:5: PATCH /Users/1 answered 400, Okta expects 200 or 204; body {}"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	e.IdP = "Entra ID"
	if got, want := e.Error(), "a.yaml:3:5: PATCH /Users/1 answered 400, Entra ID expects 200 or 204; body {}"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

// TestClientRefusesABodyBeyondMaxBody: an answer larger than MaxBody fails the request, with or
// without a Content-Length, instead of being read cut short (a cut audit log would be judged
// whole); one of exactly MaxBody bytes is read.
func TestClientRefusesABodyBeyondMaxBody(t *testing.T) {
	chunk := []byte(strings.Repeat(" ", 1<<20))
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n, _ := strconv.Atoi(r.URL.Query().Get("n"))
		if r.URL.Query().Get("sized") == "1" {
			w.Header().Set("Content-Length", strconv.Itoa(n))
		}
		w.Header().Set("Content-Type", "application/json")
		for left := n; left > 0; left -= len(chunk) {
			if _, err := w.Write(chunk[:min(left, len(chunk))]); err != nil {
				return
			}
		}
	}))
	defer srv.Close()
	c := NewClient(srv.URL, "")
	// With a Content-Length the limit is checked before reading, without one while reading (a
	// chunked 64 MiB takes seconds under -race: one such read).
	for _, tc := range []struct {
		sized string
		n     int
	}{{"1", MaxBody}, {"0", MaxBody + 1}, {"1", MaxBody + 1}} {
		resp, err := c.DoRoot(context.Background(), http.MethodGet, "/audit?sized="+tc.sized+"&n="+strconv.Itoa(tc.n), nil, nil)
		if tc.n <= MaxBody {
			if err != nil || len(resp.Body) != tc.n {
				t.Errorf("sized=%s: a body of MaxBody bytes: %v", tc.sized, err)
			}
			continue
		}
		var te *TransportError
		if !errors.As(err, &te) || !errors.Is(err, errBodyTooLarge) {
			t.Errorf("sized=%s: a body of MaxBody+1 bytes: %v, want errBodyTooLarge", tc.sized, err)
		}
	}
}

package harness

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
)

// HandlerTransport is an http.RoundTripper that serves every request with h in this process,
// as a server would receive it — its path and query as the RequestURI and URL, its Host, a
// loopback RemoteAddr — with no listener and no connection. It is for in-process tests of a
// SCIM handler (a server team's own, or the reference directory), where HTTP on loopback would
// be most of the cost: set a Client's HTTP to &http.Client{Transport: HandlerTransport(h)}, with
// any scheme and host in its base URL.
//
// A request whose context ends before h answers gets the context's error at once (h's answer,
// when it comes, is dropped), as from a server that does not answer in time; a panic in h is
// the request's error, as a server's aborted connection would be.
func HandlerTransport(h http.Handler) http.RoundTripper { return handlerTransport{h} }

type handlerTransport struct{ h http.Handler }

func (t handlerTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	ctx := req.Context()
	in := req.Clone(ctx) // a RoundTripper must not change req
	in.RequestURI = req.URL.RequestURI()
	in.URL = &url.URL{Path: req.URL.Path, RawPath: req.URL.RawPath, RawQuery: req.URL.RawQuery}
	if in.Host == "" {
		in.Host = req.URL.Host
	}
	in.RemoteAddr = "127.0.0.1:1"
	in.Proto, in.ProtoMajor, in.ProtoMinor = "HTTP/1.1", 1, 1
	in.Header.Del("Host")
	if in.Body == nil {
		in.Body = http.NoBody
	}
	rec := httptest.NewRecorder()
	done := make(chan error, 1)
	go func() {
		defer func() {
			if p := recover(); p != nil {
				done <- fmt.Errorf("%s %s: the handler panicked: %v", req.Method, req.URL.Redacted(), p)
			}
		}()
		t.h.ServeHTTP(rec, in)
		done <- nil
	}()
	select {
	case err := <-done:
		if req.Body != nil {
			req.Body.Close()
		}
		if err != nil {
			return nil, err
		}
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	resp := rec.Result()
	resp.Request = req
	return resp, nil
}

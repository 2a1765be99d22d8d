package record

import (
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httputil"
	"net/url"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/scimreplay/scimreplay/harness"
)

// PhasePath is where the recording proxy takes phase marks instead of forwarding:
// POST /.scimreplay/phase/forceSync starts the force sync phase.
const PhasePath = "/.scimreplay/phase/"

// Proxy is a reverse proxy that records SCIM traffic: a request to its /X goes to the upstream
// URL + /X, and each exchange is kept, redacted and with the response trimmed, in memory. No
// credential is ever held: see Capture.
type Proxy struct {
	upstream *url.URL
	rp       *httputil.ReverseProxy

	mu     sync.Mutex
	phase  Phase
	seq    int
	exs    []seqExchange
	errors int
	closed bool
}

type seqExchange struct {
	seq int
	ex  Exchange
}

// NewProxy makes a recording proxy in front of upstream (the SCIM base URL, e.g.
// https://scim.example.com/scim/v2). timeout bounds each upstream exchange (0: 60 s, as Okta).
// phase is the phase recording starts in (PhaseAuto: decided later by Split).
func NewProxy(upstream string, timeout time.Duration, phase Phase) (*Proxy, error) {
	u, err := url.Parse(upstream)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("upstream %q is not an http(s) URL", harness.RedactURL(upstream))
	}
	if u.User != nil {
		// The proxy would drop it (it sends on what the client sends), so say so rather than
		// record traffic the user thinks carried it.
		return nil, fmt.Errorf("upstream %s holds user:password@, which is never sent: the client's own Authorization header is passed on", harness.RedactURL(upstream))
	}
	if timeout <= 0 {
		timeout = harness.DefaultRequestTimeout
	}
	p := &Proxy{upstream: u, phase: phase}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.Proxy = nil
	tr.ResponseHeaderTimeout = timeout
	p.rp = &httputil.ReverseProxy{
		Rewrite: func(r *httputil.ProxyRequest) {
			r.SetURL(u)
			r.Out.Host = u.Host
		},
		Transport: tr,
		ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) {
			p.mu.Lock()
			p.errors++
			p.mu.Unlock()
			http.Error(w, "scimreplay record: upstream did not answer: "+harness.Redact(err.Error()), http.StatusBadGateway)
		},
		ModifyResponse: p.capture,
	}
	return p, nil
}

type ctxKey struct{}

type pending struct {
	method, path, query string
	header              http.Header
	body                []byte
	phase               Phase
	seq                 int
}

// ServeHTTP forwards one request and records it; requests under PhasePath set the phase.
func (p *Proxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if strings.HasPrefix(r.URL.Path, PhasePath) {
		name := strings.TrimPrefix(r.URL.Path, PhasePath)
		ph, ok := ParsePhase(name)
		if !ok {
			http.Error(w, fmt.Sprintf("unknown phase %q (provision, forceSync, verify)", name), http.StatusBadRequest)
			return
		}
		p.mu.Lock()
		p.phase = ph
		p.mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, harness.MaxBody+1))
	r.Body.Close()
	if err != nil || len(body) > harness.MaxBody {
		http.Error(w, "scimreplay record: request body unreadable or too large", http.StatusRequestEntityTooLarge)
		return
	}
	p.mu.Lock()
	ph := p.phase
	p.seq++
	seq := p.seq
	p.mu.Unlock()
	pd := &pending{method: r.Method, path: r.URL.Path, query: r.URL.RawQuery, header: r.Header.Clone(), body: body, phase: ph, seq: seq}
	r.Body = io.NopCloser(bytes.NewReader(body))
	r.ContentLength = int64(len(body))
	r = r.WithContext(contextWith(r, pd))
	p.rp.ServeHTTP(w, r)
}

func (p *Proxy) capture(resp *http.Response) error {
	pd, _ := resp.Request.Context().Value(ctxKey{}).(*pending)
	if pd == nil {
		return nil
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, harness.MaxBody))
	resp.Body.Close()
	if err != nil {
		return err
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	recorded := body
	if strings.EqualFold(resp.Header.Get("Content-Encoding"), "gzip") {
		// The client gets the bytes as sent; the recording needs the JSON inside.
		if zr, err := gzip.NewReader(bytes.NewReader(body)); err == nil {
			if plain, err := io.ReadAll(io.LimitReader(zr, harness.MaxBody)); err == nil {
				recorded = plain
			}
		}
	}
	ex, err := Capture(pd.method, pd.path, pd.query, pd.header, pd.body, resp.StatusCode, recorded, pd.phase)
	pd.header, pd.body = nil, nil // the raw request (credentials included) is not kept
	if err != nil {
		return nil // still forwarded; an unparsable query is not a SCIM exchange worth keeping
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.closed {
		p.exs = append(p.exs, seqExchange{pd.seq, ex})
	}
	return nil
}

// Stop ends recording and returns what was recorded, in the order the requests arrived, and
// how many requests the upstream did not answer. Requests still in flight are not recorded.
func (p *Proxy) Stop() ([]Exchange, int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.closed = true
	sort.SliceStable(p.exs, func(i, j int) bool { return p.exs[i].seq < p.exs[j].seq })
	out := make([]Exchange, len(p.exs))
	for i, e := range p.exs {
		out[i] = e.ex
	}
	return out, p.errors
}

// Len is how many exchanges are recorded so far.
func (p *Proxy) Len() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.exs)
}

func contextWith(r *http.Request, pd *pending) context.Context {
	return context.WithValue(r.Context(), ctxKey{}, pd)
}

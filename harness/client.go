package harness

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/scimreplay/scimreplay/internal/jsonscan"
	"github.com/scimreplay/scimreplay/internal/textcut"
)

// OktaUserAgent is the User-Agent of Okta's production SCIM client.
const OktaUserAgent = "Okta SCIM Client 1.0.0"

// DefaultRequestTimeout is how long Okta waits for a SCIM response.
const DefaultRequestTimeout = 60 * time.Second

// MaxBody bounds every response body the harness reads.
const MaxBody = 64 << 20

// OktaHeaders are the headers Okta sends on every SCIM request.
func OktaHeaders() http.Header {
	return http.Header{
		"User-Agent":     {OktaUserAgent},
		"Accept":         {"application/scim+json"},
		"Accept-Charset": {"utf-8"},
	}
}

// Client speaks SCIM to one target the way Okta does. It is safe for concurrent use.
type Client struct {
	BaseURL string // SCIM base, e.g. http://127.0.0.1:32768/scim/v2, without a query
	RootURL string // scheme://host:port, for non-SCIM paths (probes)
	// Query is a raw query sent with every SCIM request (Do, DoStep, List; not DoRoot), before
	// the request's own: the base URL's, such as Entra's aadOptscim062020.
	Query   string
	Token   string
	HTTP    *http.Client
	Header  http.Header   // sent on every request; defaults to OktaHeaders
	Timeout time.Duration // per request; defaults to DefaultRequestTimeout
	// MaxRetryAfter caps one wait after a 429 (DefaultMaxRetryAfter when 0); RetryBudget bounds
	// the client's waits in all (DefaultRetryBudget when 0, no retry when negative).
	MaxRetryAfter, RetryBudget time.Duration

	mu          sync.Mutex
	observer    func(Exchange)
	sent        atomic.Int64
	retries     atomic.Int64
	retryWaited atomic.Int64 // nanoseconds
}

// Sent is how many requests the client has sent.
func (c *Client) Sent() int64 { return c.sent.Load() }

// NewClient returns a client with Okta's headers, a per-request timeout and a transport that
// reuses connections. baseURL is the SCIM base URL; a query it holds becomes Query.
func NewClient(baseURL, token string) *Client {
	baseURL, _, _ = strings.Cut(baseURL, "#")
	baseURL, query, _ := strings.Cut(baseURL, "?")
	baseURL = strings.TrimSuffix(baseURL, "/")
	root := baseURL
	if u, err := url.Parse(baseURL); err == nil {
		root = u.Scheme + "://" + u.Host
	}
	return &Client{
		BaseURL: baseURL,
		RootURL: root,
		Query:   query,
		Token:   token,
		HTTP:    newHTTPClient(),
		Header:  OktaHeaders(),
		Timeout: DefaultRequestTimeout,
	}
}

// Clone is a client to the same target with the same settings (base and root URL, query,
// token, HTTP client, headers, timeout, retry limits), its own counters and no observer: a
// client to hand out, for another token or another run, that sends what c would.
func (c *Client) Clone() *Client {
	return &Client{
		BaseURL: c.BaseURL, RootURL: c.RootURL, Query: c.Query, Token: c.Token,
		HTTP: c.HTTP, Header: c.Header.Clone(), Timeout: c.Timeout,
		MaxRetryAfter: c.MaxRetryAfter, RetryBudget: c.RetryBudget,
	}
}

// newHTTPClient is the HTTP client of every request the harness sends: no proxy, and redirects
// followed only within the origin they came from, so traffic (and the token) reaches only the
// target the harness started or was given. A redirect elsewhere is returned as the answer.
func newHTTPClient() *http.Client {
	return &http.Client{Transport: newTransport(), CheckRedirect: sameOriginRedirect}
}

func sameOriginRedirect(req *http.Request, via []*http.Request) error {
	if len(via) >= 10 {
		return errors.New("stopped after 10 redirects")
	}
	if req.URL.Scheme != via[0].URL.Scheme || req.URL.Host != via[0].URL.Host {
		return http.ErrUseLastResponse
	}
	return nil
}

func newTransport() *http.Transport {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConns = 64
	t.MaxIdleConnsPerHost = 64
	t.Proxy = nil // the harness talks only to the target it was given
	return t
}

// Observe registers fn to see every exchange (already redacted).
func (c *Client) Observe(fn func(Exchange)) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.observer = fn
}

// Exchange is one request and its response as the harness saw it, secrets redacted.
type Exchange struct {
	Method      string        `json:"method"`
	URL         string        `json:"url"`
	ReqHeader   http.Header   `json:"requestHeaders,omitempty"`
	ReqBody     string        `json:"requestBody,omitempty"`
	Status      int           `json:"status"`
	RespHeader  http.Header   `json:"responseHeaders,omitempty"`
	RespBody    string        `json:"responseBody,omitempty"`
	Duration    time.Duration `json:"duration"`
	Err         string        `json:"error,omitempty"`
	Description string        `json:"step,omitempty"`
}

// String is a one-line summary: `PUT /scim/v2/Users/1 → 200 (3ms)`.
func (e Exchange) String() string {
	path := e.URL
	if u, err := url.Parse(e.URL); err == nil {
		path = u.RequestURI()
	}
	if e.Err != "" {
		return fmt.Sprintf("%s %s → error: %s", e.Method, path, e.Err)
	}
	return fmt.Sprintf("%s %s → %d (%s)", e.Method, path, e.Status, e.Duration.Round(time.Millisecond))
}

// Response is a target's answer.
type Response struct {
	Status int
	Header http.Header
	Body   []byte
}

// JSON decodes the body into v, saying what the target sent when it is not JSON.
func (r *Response) JSON(v any) error {
	if err := json.Unmarshal(r.Body, v); err != nil {
		return r.notJSON(err)
	}
	return nil
}

// notJSON is the error for a body that did not decode.
func (r *Response) notJSON(err error) error {
	return &ProtocolError{Msg: fmt.Sprintf("answered %d with a body that is not JSON (%v): %s", r.Status, err, snippet(r.Body))}
}

// TransportError means the target could not be reached or did not answer in time: the run
// could not be done.
type TransportError struct {
	Method, URL string
	Err         error
}

func (e *TransportError) Error() string {
	return fmt.Sprintf("%s %s: %v", e.Method, e.URL, e.Err)
}
func (e *TransportError) Unwrap() error { return e.Err }

// ProtocolError means the target answered, but not in SCIM (a body that is not JSON, a list
// without integer paging fields…).
type ProtocolError struct{ Msg string }

func (e *ProtocolError) Error() string { return e.Msg }

// Do sends one request to a path relative to the SCIM base ("/Users?filter=…").
func (c *Client) Do(ctx context.Context, method, path string, body []byte, header http.Header) (*Response, error) {
	return c.do(ctx, method, c.scimURL(path), body, header, "", checkSCIM, nil)
}

// DoRoot sends a request to a path from the target's root (probes such as /admin/audit).
func (c *Client) DoRoot(ctx context.Context, method, path string, body []byte, header http.Header) (*Response, error) {
	return c.do(ctx, method, c.RootURL+ensureSlash(path), body, header, "", checkNothing, nil)
}

// DoStep is Do with a description that observers see (the scenario step).
func (c *Client) DoStep(ctx context.Context, step, method, path string, body []byte, header http.Header) (*Response, error) {
	return c.do(ctx, method, c.scimURL(path), body, header, step, checkSCIM, nil)
}

// scimURL is the URL of a path relative to the SCIM base, Query first in its query.
func (c *Client) scimURL(path string) string {
	if c.Query == "" {
		return c.BaseURL + ensureSlash(path)
	}
	return addQuery(c.BaseURL+ensureSlash(path), c.Query)
}

func ensureSlash(p string) string {
	if strings.HasPrefix(p, "/") {
		return p
	}
	return "/" + p
}

// answerCheck is what do checks of a successful answer.
type answerCheck int

const (
	checkNothing  answerCheck = iota // probes: any answer
	checkSCIM                        // SCIM: a JSON body with SCIM's media type
	checkSCIMType                    // the media type only, for a caller that decodes the body anyway (and so checks it)
)

// do sends one request and checks a successful answer as check says. With into, the answer's
// body is read into *into (grown as needed), which the caller reuses.
func (c *Client) do(ctx context.Context, method, target string, body []byte, header http.Header, step string, check answerCheck, into *[]byte) (*Response, error) {
	for retries := 0; ; retries++ {
		out, err := c.attempt(ctx, method, target, body, header, step, check, into)
		if err != nil || out.Status != http.StatusTooManyRequests {
			return out, err
		}
		// 429: the target asks us to slow down, which is no defect. Wait as it says (up to a
		// cap, and at least minRetryWait, so a "Retry-After: 0" cannot retry without end), within
		// the client's budget and maxRetries of one request, and send the same request again.
		wait := max(retryWait(out.Header.Get("Retry-After"), retries, c.maxRetryAfter()), minRetryWait)
		if retries >= maxRetries || !c.spendRetry(wait) {
			return out, &ThrottledError{Method: method, URL: RedactURL(target), Retries: retries, Budget: c.retryBudget()}
		}
		c.retries.Add(1)
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, &TransportError{Method: method, URL: RedactURL(target), Err: fmt.Errorf("waiting %s to retry after 429: %w", wait, ctx.Err())}
		case <-t.C:
		}
	}
}

// Retry defaults: how a client treats 429 Too Many Requests.
const (
	// DefaultMaxRetryAfter caps one wait, whatever Retry-After asks.
	DefaultMaxRetryAfter = 30 * time.Second
	// DefaultRetryBudget bounds the time one client spends waiting to retry, in all.
	DefaultRetryBudget = 2 * time.Minute
	// minRetryWait is the least a retry waits, whatever Retry-After says; maxRetries bounds the
	// retries of one request.
	minRetryWait = 100 * time.Millisecond
	maxRetries   = 50
)

func (c *Client) maxRetryAfter() time.Duration {
	if c.MaxRetryAfter > 0 {
		return c.MaxRetryAfter
	}
	return DefaultMaxRetryAfter
}

func (c *Client) retryBudget() time.Duration {
	if c.RetryBudget != 0 {
		return max(c.RetryBudget, 0)
	}
	return DefaultRetryBudget
}

// spendRetry takes wait from the budget, or reports that the budget cannot pay for it.
func (c *Client) spendRetry(wait time.Duration) bool {
	budget := c.retryBudget()
	for {
		spent := c.retryWaited.Load()
		if time.Duration(spent)+wait > budget {
			return false
		}
		if c.retryWaited.CompareAndSwap(spent, spent+int64(wait)) {
			return true
		}
	}
}

// Retries is how many requests the client sent again after a 429, and RetryWaited how long it
// waited to, in all.
func (c *Client) Retries() int64             { return c.retries.Load() }
func (c *Client) RetryWaited() time.Duration { return time.Duration(c.retryWaited.Load()) }

// retryWait is the wait a Retry-After header asks for (seconds, or an HTTP date), capped; with
// none that can be read, 1s doubling with each retry of the same request, capped.
func retryWait(h string, retries int, limit time.Duration) time.Duration {
	h = strings.TrimSpace(h)
	wait := time.Second << min(retries, 6)
	if n, err := strconv.Atoi(h); err == nil && n >= 0 {
		wait = time.Duration(n) * time.Second
	} else if t, err := http.ParseTime(h); err == nil {
		wait = max(time.Until(t), 0)
	}
	return min(wait, limit)
}

// ThrottledError means the target kept answering 429 beyond the client's retry budget: the run
// could not be done (the target's rate limit is below what a force sync sends).
type ThrottledError struct {
	Method, URL string
	Retries     int
	Budget      time.Duration
}

func (e *ThrottledError) Error() string {
	return fmt.Sprintf("%s %s answered 429 Too Many Requests again after %d retries: the retry budget (%d retries of one request, %s of waiting in all) is spent (raise the target's rate limit for the gate, or gate fewer scenarios at a time)",
		e.Method, e.URL, e.Retries, maxRetries, e.Budget)
}

// attempt sends one request and checks a successful answer as check says. With into, the
// answer's body is read into *into (grown as needed), which the caller reuses.
func (c *Client) attempt(ctx context.Context, method, target string, body []byte, header http.Header, step string, check answerCheck, into *[]byte) (*Response, error) {
	timeout := c.Timeout
	if timeout <= 0 {
		timeout = DefaultRequestTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, target, rd)
	if err != nil {
		return nil, fmt.Errorf("build request: %w", err)
	}
	if c.Header != nil {
		req.Header = c.Header.Clone() // one allocation for all the values
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/scim+json; charset=utf-8")
	}
	if c.Token != "" {
		req.Header.Set("Authorization", "Bearer "+c.Token)
	}
	for k, vs := range header {
		req.Header[http.CanonicalHeaderKey(k)] = append([]string(nil), vs...)
	}
	start := time.Now()
	c.sent.Add(1)
	resp, err := c.HTTP.Do(req)
	var out *Response
	if err == nil {
		var b []byte
		b, err = readBody(resp, into)
		resp.Body.Close()
		out = &Response{Status: resp.StatusCode, Header: resp.Header, Body: b}
	}
	if err != nil {
		err = &TransportError{Method: method, URL: RedactURL(target), Err: explainTransport(err, timeout)}
	} else if check != checkNothing {
		err = checkSCIMAnswer(method, target, out, check == checkSCIM)
	}
	c.mu.Lock()
	obs := c.observer
	c.mu.Unlock()
	if obs != nil {
		ex := Exchange{Method: method, URL: RedactURL(target), ReqHeader: RedactHeader(req.Header, c.Token),
			ReqBody: Redact(string(body), c.Token), Duration: time.Since(start), Description: step}
		if out != nil {
			ex.Status, ex.RespHeader, ex.RespBody = out.Status, RedactHeader(out.Header, c.Token), Redact(string(out.Body), c.Token)
		}
		if err != nil {
			ex.Err = err.Error()
		}
		obs(ex)
	}
	return out, err
}

// checkSCIMAnswer fails a successful SCIM answer whose body is not JSON, or whose Content-Type
// is neither SCIM's application/scim+json (RFC 7644) nor the application/json older servers use
// (a missing Content-Type is tolerated). Error answers are not checked: their status already
// says enough.
// With checkBody false the caller decodes the body and reports one that is not JSON itself.
func checkSCIMAnswer(method, target string, r *Response, checkBody bool) error {
	if r.Status/100 != 2 || len(bytes.TrimSpace(r.Body)) == 0 {
		return nil
	}
	path := func() string { // only for an error: every answer passes here
		if u, err := url.Parse(target); err == nil {
			return u.Path
		}
		return RedactURL(target)
	}
	if ct := r.Header.Get("Content-Type"); ct != "" && !scimMediaTypes[ct] {
		if mt, _, err := mime.ParseMediaType(ct); err != nil || (mt != "application/scim+json" && mt != "application/json") {
			return &ProtocolError{Msg: fmt.Sprintf("%s %s answered %d with Content-Type %q, not SCIM's application/scim+json (or application/json): %s",
				method, path(), r.Status, ct, snippet(r.Body))}
		}
	}
	if checkBody && !jsonscan.Valid(r.Body) {
		var v any
		err := json.Unmarshal(r.Body, &v)
		return &ProtocolError{Msg: fmt.Sprintf("%s %s answered %d with a body that is not JSON (%v): %s", method, path(), r.Status, err, snippet(r.Body))}
	}
	return nil
}

// scimMediaTypes are Content-Types checkSCIMAnswer accepts as they are, without parsing them
// (what mime.ParseMediaType makes of each is known): the common answers cost no parse.
var scimMediaTypes = map[string]bool{
	"application/scim+json":                true,
	"application/scim+json; charset=utf-8": true,
	"application/json":                     true,
	"application/json; charset=utf-8":      true,
}

// errBodyTooLarge: an answer beyond MaxBody is refused, not cut short (a cut audit log or page
// would be judged as if it were whole).
var errBodyTooLarge = fmt.Errorf("the answer is larger than %d MiB, which the harness does not read", MaxBody>>20)

// readBody reads an answer's body, at most MaxBody bytes (more is errBodyTooLarge), into a buffer of its Content-Length
// when the target gives one, so a body is not copied as the buffer grows. (net/http's body
// reports EOF with its last bytes, so the connection is still reused.) With into, the body is
// read into *into, grown as needed and kept there for the next answer.
func readBody(resp *http.Response, into *[]byte) ([]byte, error) {
	var b []byte
	if into != nil {
		b = (*into)[:0]
	}
	var err error
	if resp.ContentLength > MaxBody {
		return b, errBodyTooLarge
	}
	if n := resp.ContentLength; n > 0 {
		if into != nil {
			b = slices.Grow(b, int(n))[:n]
		} else {
			b = make([]byte, n) // exactly: a kept answer holds no spare capacity
		}
		var k int
		k, err = io.ReadFull(resp.Body, b)
		b = b[:k]
	} else {
		w := bytes.NewBuffer(b)
		_, err = w.ReadFrom(io.LimitReader(resp.Body, MaxBody+1))
		b = w.Bytes()
		if len(b) > MaxBody && err == nil {
			b, err = b[:MaxBody], errBodyTooLarge
		}
	}
	if into != nil {
		*into = b
	}
	return b, err
}

// pageBuffers hold list pages while ListIDs hands on their resources: a snapshot of a large
// org reads hundreds of pages of ~100 KB, which were garbage as soon as they were read.
var pageBuffers = sync.Pool{New: func() any { return new([]byte) }}

// maxPooledPage: a buffer grown beyond this by an unusual page is left to the collector.
const maxPooledPage = 4 << 20

func explainTransport(err error, timeout time.Duration) error {
	var ne net.Error
	if errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout()) {
		return fmt.Errorf("no answer within the request timeout of %s", timeout)
	}
	if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
		return fmt.Errorf("the target closed the connection before answering in full: %w", err)
	}
	return err
}

// snippet is a short quoted excerpt (textcut.Excerpt), for errors that may hold any bytes.
func snippet(b []byte) string {
	if len(strings.TrimSpace(string(b))) == 0 {
		return "(empty)"
	}
	return strconv.Quote(textcut.Excerpt(b, 200))
}

// ListResponse is a SCIM list page with its resources kept raw.
type ListResponse struct {
	TotalResults int               `json:"totalResults"`
	StartIndex   int               `json:"startIndex"`
	ItemsPerPage int               `json:"itemsPerPage"`
	Resources    []json.RawMessage `json:"Resources"`
}

// PageSize is the count Okta asks for.
const PageSize = 100

// maxListPages bounds a listing, whatever totalResults a target claims.
const maxListPages = 1 << 20

// List pages through a resource type (`/Users`, `/Groups`) with startIndex/count as Okta does,
// handing each resource to fn as it arrives, so memory stays bounded by one page. A page must be
// a SCIM ListResponse (an integer totalResults, resources that are objects with an id). A page
// that starts with the previous page's first resource (the target ignores startIndex) is a
// protocol error: such a target is neither read twice, paged through forever, nor read in part.
func (c *Client) List(ctx context.Context, resource string, filter string, fn func(json.RawMessage) error) error {
	return c.list(ctx, resource, filter, nil, nil, func(_ string, raw json.RawMessage) error { return fn(raw) })
}

// ListIDs is List handing on each resource's id with it (the id List has read to check the
// page, so a caller that wants it need not scan every resource again), and reading every page
// into one reused buffer: raw is valid only until fn returns. Decode it, or copy what you keep.
func (c *Client) ListIDs(ctx context.Context, resource string, filter string, fn func(id string, raw json.RawMessage) error) error {
	return c.listIDs(ctx, resource, filter, nil, fn)
}

// listIDs is ListIDs asking first, once the first page is read and checked and before any of
// its resources is handed on, whether to go on: first gets the page's totalResults and its
// number of resources, and a false ends the listing there, with no error.
func (c *Client) listIDs(ctx context.Context, resource, filter string, first func(total, n int) bool, fn func(id string, raw json.RawMessage) error) error {
	buf := pageBuffers.Get().(*[]byte)
	defer func() {
		if cap(*buf) <= maxPooledPage {
			pageBuffers.Put(buf)
		}
	}()
	return c.list(ctx, resource, filter, buf, first, fn)
}

// list is List and listIDs: with into, every page is read into *into.
func (c *Client) list(ctx context.Context, resource string, filter string, into *[]byte, first func(total, n int) bool, fn func(id string, raw json.RawMessage) error) error {
	start := 1
	var ids []string
	var prevFirst json.RawMessage
	for pages := 1; ; pages++ {
		if pages > maxListPages {
			return &ProtocolError{Msg: fmt.Sprintf("GET %s: more than %d pages; stopped", resource, maxListPages)}
		}
		// Okta's order and escaping: filter=…&startIndex=N&count=100, %20 for spaces.
		q := "startIndex=" + strconv.Itoa(start) + "&count=" + strconv.Itoa(PageSize)
		if filter != "" {
			q = "filter=" + strings.ReplaceAll(url.QueryEscape(filter), "+", "%20") + "&" + q
		}
		// The page is decoded below, which rejects a body that is not JSON: no second scan.
		resp, err := c.do(ctx, http.MethodGet, c.scimURL(resource+"?"+q), nil, nil, "", checkSCIMType, into)
		if err != nil {
			return err
		}
		if filter != "" && resp.Status == http.StatusNotFound {
			return nil // Okta accepts 404 for "no match"
		}
		if resp.Status != http.StatusOK {
			return &StatusError{Method: http.MethodGet, Path: resource, Got: resp.Status, Want: []int{200}, Body: snippet(resp.Body)}
		}
		decoded, err := decodeListPage(resp.Body)
		if err != nil {
			return fmt.Errorf("GET %s: %w", resource, resp.notJSON(err))
		}
		page := decoded.ListResponse
		if decoded.TotalResults != nil {
			page.TotalResults = *decoded.TotalResults
		}
		if ids, err = checkListPage(ids[:0], resp.Body, page, decoded.TotalResults != nil); err != nil {
			return &ProtocolError{Msg: fmt.Sprintf("GET %s?startIndex=%d: %s", resource, start, err)}
		}
		if len(page.Resources) > 0 && prevFirst != nil && bytes.Equal(page.Resources[0], prevFirst) {
			// Stopping quietly would snapshot part of the target and call it the whole.
			return &ProtocolError{Msg: fmt.Sprintf("GET %s?startIndex=%d answered the previous page again (totalResults %d): the target ignores startIndex, so its resources cannot all be read", resource, start, page.TotalResults)}
		}
		if pages == 1 && first != nil && !first(page.TotalResults, len(page.Resources)) {
			return nil
		}
		if len(page.Resources) > 0 {
			prevFirst = append(prevFirst[:0], page.Resources[0]...) // a copy: the next page may reuse the buffer
		}
		for i, r := range page.Resources {
			if err := fn(ids[i], r); err != nil {
				return err
			}
		}
		if len(page.Resources) == 0 {
			if start <= page.TotalResults {
				// Stopping here would snapshot part of the target and call it the whole.
				return &ProtocolError{Msg: fmt.Sprintf("GET %s?startIndex=%d answered an empty page though totalResults is %d: the listing ended early, so its resources cannot all be read", resource, start, page.TotalResults)}
			}
			return nil
		}
		start += len(page.Resources)
		if start > page.TotalResults {
			return nil
		}
	}
}

// checkListPage says what makes a decoded page no SCIM ListResponse (RFC 7644 §3.4.2); hasTotal
// says whether the page held a totalResults that is not null. It appends the resources' ids to
// ids.
func checkListPage(ids []string, body []byte, page ListResponse, hasTotal bool) ([]string, error) {
	if !hasTotal {
		return ids, fmt.Errorf("the answer is not a SCIM ListResponse (no totalResults): %s", snippet(body))
	}
	if page.TotalResults < 0 {
		return ids, fmt.Errorf("totalResults is %d", page.TotalResults)
	}
	for i, r := range page.Resources {
		id, err := jsonscan.ResourceID(r)
		if err != nil {
			return ids, fmt.Errorf("resource %d is not a JSON object: %s", i+1, snippet(r))
		}
		s, ok := id.(string)
		if !ok || s == "" {
			return ids, fmt.Errorf("resource %d has no id (RFC 7643 §3.1 requires one): %s", i+1, snippet(r))
		}
		ids = append(ids, s)
	}
	return ids, nil
}

// StatusError is an answer with a status the identity provider does not expect: the target
// failed the IdP's traffic.
type StatusError struct {
	Step   string
	Method string
	Path   string
	Want   []int
	Got    int
	Body   string
	// IdP names the identity provider whose expectation this is ("Entra ID"); "" is Okta, whose
	// client this package models.
	IdP string
}

func (e *StatusError) Error() string {
	want := make([]string, len(e.Want))
	for i, w := range e.Want {
		want[i] = strconv.Itoa(w)
	}
	where := ""
	if e.Step != "" {
		where = e.Step + ": "
	}
	idp := e.IdP
	if idp == "" {
		idp = "Okta"
	}
	return fmt.Sprintf("%s%s %s answered %d, %s expects %s; body %s", where, e.Method, e.Path, e.Got, idp, strings.Join(want, " or "), e.Body)
}

package directory

import (
	"bytes"
	"cmp"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

const testToken = "s3cret"

// harness is a directory behind an httptest server plus a small client.
// The directory's background timers run on clock, so a test decides when
// time passes.
type harness struct {
	t     *testing.T
	d     *Directory
	srv   *httptest.Server
	clock *fakeTimers
	// retry429 makes do send a throttled request again (throttle-429 on).
	retry429 bool
}

// testConfig is the org every harness starts from.
func testConfig(faults ...string) Config {
	return Config{
		Token:           testToken,
		VerifiedDomains: []string{"acme.example"},
		SeedAccounts:    []Account{{ID: "acct-7", Email: "bob@partner.example"}},
		Faults:          faults,
	}
}

func newHarness(t *testing.T, faults ...string) *harness {
	t.Helper()
	return newHarnessConfig(t, testConfig(faults...))
}

// newVariedHarness is newHarness with variations on. Under throttle-429 every
// third request is refused, so the demonstrations meet it often, and the
// client retries as a well-behaved one does.
func newVariedHarness(t *testing.T, variations []string, faults ...string) *harness {
	t.Helper()
	cfg := testConfig(faults...)
	cfg.Variations = variations
	if slices.Contains(variations, varThrottle429) {
		cfg.ThrottleEvery = 3
	}
	h := newHarnessConfig(t, cfg)
	h.retry429 = slices.Contains(variations, varThrottle429)
	return h
}

func newHarnessConfig(t *testing.T, cfg Config) *harness {
	t.Helper()
	d, err := New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	clock := &fakeTimers{}
	d.afterFunc = clock.afterFunc
	srv := httptest.NewServer(d)
	t.Cleanup(srv.Close)
	t.Cleanup(d.Close)
	return &harness{t: t, d: d, srv: srv, clock: clock}
}

// settleWindow is how long a harness waits after a sync before it looks:
// longer than access-1003-delayed's delay, shorter than the queue delay of
// access-1003-queued.
const settleWindow = 30 * time.Second

// settle lets a settle window pass on the directory's timers.
func (h *harness) settle() { h.clock.advance(settleWindow) }

// fakeTimers stands in for time.AfterFunc: a timer fires only when the test
// advances the clock past it, synchronously, in the test's goroutine.
type fakeTimers struct {
	mu     sync.Mutex
	now    time.Duration
	timers []*fakeTimer
}

type fakeTimer struct {
	c    *fakeTimers
	at   time.Duration
	f    func()
	done bool
}

func (c *fakeTimers) afterFunc(d time.Duration, f func()) stopper {
	c.mu.Lock()
	defer c.mu.Unlock()
	t := &fakeTimer{c: c, at: c.now + d, f: f}
	c.timers = append(c.timers, t)
	return t
}

func (t *fakeTimer) Stop() bool {
	t.c.mu.Lock()
	defer t.c.mu.Unlock()
	was := !t.done
	t.done = true
	return was
}

// advance moves the clock on by d and fires, in order, the timers due.
func (c *fakeTimers) advance(d time.Duration) {
	c.mu.Lock()
	c.now += d
	var due []*fakeTimer
	kept := c.timers[:0]
	for _, t := range c.timers {
		switch {
		case t.done:
		case t.at <= c.now:
			t.done = true
			due = append(due, t)
		default:
			kept = append(kept, t)
		}
	}
	c.timers = kept
	c.mu.Unlock()
	slices.SortStableFunc(due, func(a, b *fakeTimer) int { return cmp.Compare(a.at, b.at) })
	for _, t := range due {
		t.f()
	}
}

// pending counts the timers not yet fired or stopped.
func (c *fakeTimers) pending() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := 0
	for _, t := range c.timers {
		if !t.done {
			n++
		}
	}
	return n
}

type reply struct {
	status int
	header http.Header
	body   map[string]any
	raw    []byte
}

// do sends a request with the bearer token; body may be nil, a string (sent
// as is) or anything JSON-encodable. Extra headers come as "Name: value".
func (h *harness) do(method, path string, body any, headers ...string) reply {
	h.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	default:
		data, err := json.Marshal(b)
		if err != nil {
			h.t.Fatalf("encode body: %v", err)
		}
		rd = bytes.NewReader(data)
	}
	req, err := http.NewRequest(method, h.srv.URL+path, rd)
	if err != nil {
		h.t.Fatalf("new request: %v", err)
	}
	req.Header.Set("Authorization", "Bearer "+testToken)
	if rd != nil {
		req.Header.Set("Content-Type", "application/scim+json; charset=utf-8")
	}
	for _, hv := range headers {
		k, v, _ := strings.Cut(hv, ":")
		req.Header.Set(strings.TrimSpace(k), strings.TrimSpace(v))
	}
	for attempt := 1; ; attempt++ {
		r := h.send(req)
		if r.status != http.StatusTooManyRequests || !h.retry429 || attempt == 3 {
			return r
		}
		if req.GetBody != nil {
			if req.Body, err = req.GetBody(); err != nil {
				h.t.Fatalf("rewind body: %v", err)
			}
		}
	}
}

func (h *harness) send(req *http.Request) reply {
	h.t.Helper()
	resp, err := h.srv.Client().Do(req)
	if err != nil {
		h.t.Fatalf("%s %s: %v", req.Method, req.URL.Path, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		h.t.Fatalf("read body: %v", err)
	}
	r := reply{status: resp.StatusCode, header: resp.Header, raw: raw}
	if len(raw) > 0 {
		if err := json.Unmarshal(raw, &r.body); err != nil {
			h.t.Fatalf("%s %s: body is not a JSON object: %v: %s", req.Method, req.URL.Path, err, raw)
		}
	}
	return r
}

// must sends a request and fails the test unless the status is want.
func (h *harness) must(want int, method, path string, body any, headers ...string) reply {
	h.t.Helper()
	r := h.do(method, path, body, headers...)
	if r.status != want {
		h.t.Fatalf("%s %s: status %d, want %d: %s", method, path, r.status, want, r.raw)
	}
	return r
}

func userBody(userName, email, externalID string) map[string]any {
	return map[string]any{
		"schemas":    []string{userSchema},
		"userName":   userName,
		"externalId": externalID,
		"name":       map[string]any{"givenName": "G", "familyName": "F"},
		"emails":     []any{map[string]any{"primary": true, "value": email, "type": "work"}},
		"active":     true,
		"groups":     []any{},
	}
}

func (h *harness) createUser(email string) string {
	h.t.Helper()
	r := h.must(http.StatusCreated, "POST", "/scim/v2/Users", userBody(email, email, "00u-"+email))
	return r.body["id"].(string)
}

func (h *harness) createGroup(name string, members ...string) string {
	h.t.Helper()
	ms := []any{}
	for _, m := range members {
		ms = append(ms, map[string]any{"value": m})
	}
	r := h.must(http.StatusCreated, "POST", "/scim/v2/Groups", map[string]any{
		"schemas": []string{groupSchema}, "displayName": name, "members": ms,
	})
	return r.body["id"].(string)
}

func (h *harness) user(id string) map[string]any {
	h.t.Helper()
	return h.must(http.StatusOK, "GET", "/scim/v2/Users/"+id, nil).body
}

// memberIDs lists a group's member ids in order, duplicates included.
func (h *harness) memberIDs(groupID string) []string {
	h.t.Helper()
	g := h.must(http.StatusOK, "GET", "/scim/v2/Groups/"+groupID, nil).body
	var ids []string
	ms, _ := g["members"].([]any)
	for _, m := range ms {
		ids = append(ids, m.(map[string]any)["value"].(string))
	}
	return ids
}

func (h *harness) audit() []Event {
	h.t.Helper()
	r := h.must(http.StatusOK, "GET", "/admin/audit", nil)
	var out struct{ Events []Event }
	if err := json.Unmarshal(r.raw, &out); err != nil {
		h.t.Fatalf("decode audit: %v", err)
	}
	return out.Events
}

func (h *harness) unlinkEvents() []Event {
	var out []Event
	for _, e := range h.audit() {
		if e.Type == EventUnlink {
			out = append(out, e)
		}
	}
	return out
}

// linkOf returns the user's linked account id, "" when unlinked.
func linkOf(u map[string]any) string {
	ext, _ := u[ExtensionSchema].(map[string]any)
	s, _ := ext["atlassianAccountId"].(string)
	return s
}

func patchBody(ops ...map[string]any) map[string]any {
	list := make([]any, len(ops))
	for i, o := range ops {
		list[i] = o
	}
	return map[string]any{"schemas": []string{patchOpSchema}, "Operations": list}
}

func op(name, path string, value any) map[string]any {
	m := map[string]any{"op": name}
	if path != "" {
		m["path"] = path
	}
	if value != nil {
		m["value"] = value
	}
	return m
}

func members(ids ...string) []any {
	out := []any{}
	for _, id := range ids {
		out = append(out, map[string]any{"value": id})
	}
	return out
}

func equalStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func itoa(n int) string { return strconv.Itoa(n) }

// bobBody is Okta's profile of bob as created by unmanagedInGroup; a PUT of
// it is an identical re-push.
func bobBody(email string) map[string]any {
	return userBody("bob@partner.example", email, "00u-bob@partner.example")
}

// normalEmails is how the harness compares emails: the lower-cased multiset
// of values, the primary marked with "*".
func normalEmails(u map[string]any) string {
	var out []string
	list, _ := u["emails"].([]any)
	for _, e := range list {
		m, _ := e.(map[string]any)
		v, _ := m["value"].(string)
		v = strings.ToLower(strings.TrimSpace(v))
		if m["primary"] == true {
			v += "*"
		}
		out = append(out, v)
	}
	slices.Sort(out)
	return strings.Join(out, ",")
}

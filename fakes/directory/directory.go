// Package directory is the reference SCIM 2.0 directory of scimreplay: an
// in-memory service provider modelled on an Atlassian organization (verified
// domains, managed and unmanaged accounts, account links, synced groups and an
// audit log), which can be told to reproduce each defect of the re-sync bug
// catalogue through named fault modes.
//
// With no fault on it aims to be a faithful RFC 7643/7644 server, so the
// harness's suites must pass against it; with any one fault on, some suite
// must go red. Variations (Variations, Config.Variations) switch on
// behaviours a correct server may show — trimmed list views, throttling,
// unordered members, short pages, hidden deactivated users, numeric ids — so
// a harness can be shown to tolerate them: with any variation on, the suites
// must still pass. Faults and variations combine freely.
//
// Two faults act in the background (access-1003-queued, access-1003-delayed):
// their timers take the directory's lock when they fire, do nothing if the
// user is gone, and are stopped by POST /admin/reset and by Close.
package directory

import (
	"cmp"
	"crypto/subtle"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
)

// Account is an Atlassian account a SCIM user can be linked to.
type Account struct {
	ID    string
	Email string
}

// Config configures a Directory.
type Config struct {
	// Token is the bearer token required on every request (SCIM and
	// /admin). Empty means no authentication is required.
	Token string
	// VerifiedDomains are the organization's verified domains: a user whose
	// primary email is on one is managed, any other user is unmanaged.
	VerifiedDomains []string
	// SeedAccounts are pre-existing accounts that new users link to by
	// email (case-insensitive).
	SeedAccounts []Account
	// Faults are the fault modes switched on, by catalogue name.
	Faults []string
	// BasePath is where the SCIM endpoints are served; default "/scim/v2".
	BasePath string
	// Variations are the variations switched on, by catalogue name.
	Variations []string
	// ThrottleEvery is N of the throttle-429 variation: every Nth request to
	// a SCIM endpoint (not /admin) is refused. 0 means DefaultThrottleEvery;
	// 1 is rejected, as it would refuse every request.
	ThrottleEvery int
	// QueueDelay is how long access-1003-queued holds an unlink back; 0
	// means DefaultQueueDelay.
	QueueDelay time.Duration
	// Delay is how long after the write access-1003-delayed unlinks; 0 means
	// DefaultDelay.
	Delay time.Duration
}

// Defaults of the background faults' delays.
const (
	// DefaultQueueDelay is longer than any settle window a harness waits.
	DefaultQueueDelay = 10 * time.Minute
	// DefaultDelay is about how long Atlassian takes to process a write.
	DefaultDelay = time.Second
)

// DefaultBasePath is the BasePath used when Config.BasePath is empty.
const DefaultBasePath = "/scim/v2"

// Directory is an in-memory SCIM 2.0 service provider. It is safe for
// concurrent use; one mutex serialises every request's access to the state.
type Directory struct {
	token         string
	basePath      string
	faults        nameSet
	variations    nameSet
	throttleEvery uint64
	queueDelay    time.Duration
	delay         time.Duration
	verified      map[string]bool
	seeds         []Account

	now       func() time.Time
	newID     func() string // called with mu held
	afterFunc func(time.Duration, func()) stopper

	requests atomic.Uint64 // SCIM requests counted by throttle-429

	mu     sync.Mutex
	st     *store
	timers map[*pending]struct{} // background work not yet done
}

// New checks cfg and returns an empty directory. The error names any unknown
// fault or variation, malformed account or out-of-range setting.
func New(cfg Config) (*Directory, error) {
	faults, err := newNameSet("fault", cfg.Faults, faultNames())
	if err != nil {
		return nil, fmt.Errorf("new directory: %w", err)
	}
	variations, err := newNameSet("variation", cfg.Variations, variationNames())
	if err != nil {
		return nil, fmt.Errorf("new directory: %w", err)
	}
	throttleEvery := cfg.ThrottleEvery
	switch {
	case throttleEvery == 0:
		throttleEvery = DefaultThrottleEvery
	case throttleEvery < 2:
		return nil, fmt.Errorf("new directory: throttle every %d requests: want at least 2", throttleEvery)
	}
	if cfg.QueueDelay < 0 || cfg.Delay < 0 {
		return nil, fmt.Errorf("new directory: negative delay (queue %v, delay %v)", cfg.QueueDelay, cfg.Delay)
	}
	verified := map[string]bool{}
	for _, dom := range cfg.VerifiedDomains {
		dom = strings.ToLower(strings.TrimSpace(dom))
		if dom != "" {
			verified[dom] = true
		}
	}
	seen := map[string]bool{}
	for _, a := range cfg.SeedAccounts {
		if a.ID == "" || !strings.Contains(a.Email, "@") {
			return nil, fmt.Errorf("new directory: seed account %+v needs an id and an email", a)
		}
		if seen[a.ID] {
			return nil, fmt.Errorf("new directory: seed account id %q given twice", a.ID)
		}
		seen[a.ID] = true
	}
	d := &Directory{
		token:         cfg.Token,
		basePath:      normalizeBasePath(cfg.BasePath),
		faults:        faults,
		variations:    variations,
		throttleEvery: uint64(throttleEvery),
		queueDelay:    cmp.Or(cfg.QueueDelay, DefaultQueueDelay),
		delay:         cmp.Or(cfg.Delay, DefaultDelay),
		verified:      verified,
		seeds:         append([]Account(nil), cfg.SeedAccounts...),
		now:           time.Now,
		newID:         uuid.NewString,
		afterFunc:     func(delay time.Duration, f func()) stopper { return time.AfterFunc(delay, f) },
		timers:        map[*pending]struct{}{},
	}
	if variations.on(varSequentialIDs) {
		d.newID = d.sequentialID
	}
	d.st = newStore(d.seeds)
	return d, nil
}

func normalizeBasePath(p string) string {
	p = strings.TrimSpace(p)
	if p == "" {
		return DefaultBasePath
	}
	if !strings.HasPrefix(p, "/") {
		p = "/" + p
	}
	return strings.TrimRight(p, "/")
}

// ConfigFromEnv reads a Config from DIRECTORY_TOKEN,
// DIRECTORY_VERIFIED_DOMAINS (comma list), DIRECTORY_SEED_ACCOUNTS
// ("email=id,..."), DIRECTORY_FAULTS (comma list), DIRECTORY_BASE_PATH,
// DIRECTORY_VARIATIONS (comma list), DIRECTORY_THROTTLE_EVERY (an integer),
// DIRECTORY_QUEUE_DELAY and DIRECTORY_DELAY (Go durations, "10m", "50ms").
// Unset variables leave the field at its zero value (the default).
func ConfigFromEnv(getenv func(string) string) (Config, error) {
	cfg := Config{
		Token:    getenv("DIRECTORY_TOKEN"),
		BasePath: getenv("DIRECTORY_BASE_PATH"),
	}
	for dom := range strings.SplitSeq(getenv("DIRECTORY_VERIFIED_DOMAINS"), ",") {
		if dom = strings.TrimSpace(dom); dom != "" {
			cfg.VerifiedDomains = append(cfg.VerifiedDomains, dom)
		}
	}
	accounts, err := ParseAccounts(getenv("DIRECTORY_SEED_ACCOUNTS"))
	if err != nil {
		return Config{}, fmt.Errorf("DIRECTORY_SEED_ACCOUNTS: %w", err)
	}
	cfg.SeedAccounts = accounts
	faults, err := ParseFaults(getenv("DIRECTORY_FAULTS"))
	if err != nil {
		return Config{}, fmt.Errorf("DIRECTORY_FAULTS: %w", err)
	}
	cfg.Faults = faults
	variations, err := ParseVariations(getenv("DIRECTORY_VARIATIONS"))
	if err != nil {
		return Config{}, fmt.Errorf("DIRECTORY_VARIATIONS: %w", err)
	}
	cfg.Variations = variations
	if s := strings.TrimSpace(getenv("DIRECTORY_THROTTLE_EVERY")); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil {
			return Config{}, fmt.Errorf("DIRECTORY_THROTTLE_EVERY: %q is not an integer", s)
		}
		cfg.ThrottleEvery = n
	}
	for _, e := range []struct {
		name string
		dst  *time.Duration
	}{{"DIRECTORY_QUEUE_DELAY", &cfg.QueueDelay}, {"DIRECTORY_DELAY", &cfg.Delay}} {
		if s := strings.TrimSpace(getenv(e.name)); s != "" {
			v, err := time.ParseDuration(s)
			if err != nil {
				return Config{}, fmt.Errorf("%s: %w", e.name, err)
			}
			*e.dst = v
		}
	}
	return cfg, nil
}

// ParseAccounts parses "bob@partner.example=acct-7,carol@x.example=acct-9".
// An empty string gives nil.
func ParseAccounts(s string) ([]Account, error) {
	var out []Account
	for item := range strings.SplitSeq(s, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		email, id, ok := strings.Cut(item, "=")
		email, id = strings.TrimSpace(email), strings.TrimSpace(id)
		if !ok || id == "" || !strings.Contains(email, "@") {
			return nil, fmt.Errorf("account %q: want email=account-id", item)
		}
		out = append(out, Account{ID: id, Email: email})
	}
	return out, nil
}

// ServeHTTP serves the SCIM endpoints under BasePath, GET /admin/audit and
// POST /admin/reset. Under throttle-429, every Nth request to a SCIM endpoint
// is answered 429 before anything else is done for it.
func (d *Directory) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	defer func() {
		if v := recover(); v != nil {
			if v == http.ErrAbortHandler {
				panic(v)
			}
			writeError(w, errorf(http.StatusInternalServerError, "", "internal error: %v", v))
		}
	}()
	if !d.authorized(r) {
		writeError(w, errorf(http.StatusUnauthorized, "", "missing or invalid bearer token"))
		return
	}
	switch r.URL.Path {
	case "/admin/audit":
		d.serveAudit(w, r)
		return
	case "/admin/reset":
		d.serveReset(w, r)
		return
	}
	rest, ok := strings.CutPrefix(r.URL.Path, d.basePath)
	if !ok || (rest != "" && rest[0] != '/') {
		writeError(w, notFound("no endpoint %s", r.URL.Path))
		return
	}
	if d.throttled() {
		writeError(w, throttleError())
		return
	}
	resp, err := d.route(r, strings.Split(strings.Trim(rest, "/"), "/"))
	if err != nil {
		writeError(w, err)
		return
	}
	resp.write(w)
}

func (d *Directory) authorized(r *http.Request) bool {
	if d.token == "" {
		return true
	}
	scheme, tok, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return false
	}
	return subtle.ConstantTimeCompare([]byte(strings.TrimSpace(tok)), []byte(d.token)) == 1
}

func methodNotAllowed(r *http.Request, allowed ...string) error {
	return &scimError{status: http.StatusMethodNotAllowed, allow: strings.Join(allowed, ", "),
		detail: fmt.Sprintf("method %s not allowed on %s", r.Method, r.URL.Path)}
}

func (d *Directory) route(r *http.Request, segs []string) (*response, error) {
	endpoint := strings.ToLower(segs[0])
	var id string
	if len(segs) > 1 {
		id = segs[1]
	}
	if len(segs) > 2 {
		return nil, notFound("no endpoint %s", r.URL.Path)
	}
	switch endpoint {
	case "users":
		return d.routeResource(r, id, d.userHandlers())
	case "groups":
		return d.routeResource(r, id, d.groupHandlers())
	case "serviceproviderconfig":
		if r.Method != http.MethodGet {
			return nil, methodNotAllowed(r, http.MethodGet)
		}
		if id != "" {
			return nil, notFound("no endpoint %s", r.URL.Path)
		}
		return d.serviceProviderConfig(r), nil
	case "resourcetypes":
		if r.Method != http.MethodGet {
			return nil, methodNotAllowed(r, http.MethodGet)
		}
		return d.resourceTypes(r, id)
	case "schemas":
		if r.Method != http.MethodGet {
			return nil, methodNotAllowed(r, http.MethodGet)
		}
		return d.schemas(r, id)
	case "bulk", "me":
		return nil, errorf(http.StatusNotImplemented, "", "/%s is not supported", segs[0])
	}
	return nil, notFound("no endpoint %s", r.URL.Path)
}

// resourceHandlers are the operations of one resource type.
type resourceHandlers struct {
	list    func(r *http.Request, q listQuery) (*response, error)
	create  func(r *http.Request) (*response, error)
	get     func(r *http.Request, id string) (*response, error)
	replace func(r *http.Request, id string) (*response, error)
	patch   func(r *http.Request, id string) (*response, error)
	delete  func(r *http.Request, id string) (*response, error)
	rs      *resourceSchema
	exact   bool
}

func (d *Directory) routeResource(r *http.Request, id string, h resourceHandlers) (*response, error) {
	if id == "" {
		switch r.Method {
		case http.MethodGet:
			q, err := queryFromURL(r, h.rs, h.exact)
			if err != nil {
				return nil, err
			}
			return h.list(r, q)
		case http.MethodPost:
			return h.create(r)
		}
		return nil, methodNotAllowed(r, http.MethodGet, http.MethodPost)
	}
	if id == ".search" {
		if r.Method != http.MethodPost {
			return nil, methodNotAllowed(r, http.MethodPost)
		}
		q, err := queryFromSearch(r, h.rs, h.exact)
		if err != nil {
			return nil, err
		}
		return h.list(r, q)
	}
	switch r.Method {
	case http.MethodGet:
		return h.get(r, id)
	case http.MethodPut:
		return h.replace(r, id)
	case http.MethodPatch:
		return h.patch(r, id)
	case http.MethodDelete:
		return h.delete(r, id)
	}
	return nil, methodNotAllowed(r, http.MethodGet, http.MethodPut, http.MethodPatch, http.MethodDelete)
}

// baseURL is the absolute URL of BasePath as the client reached it.
func (d *Directory) baseURL(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	if p := r.Header.Get("X-Forwarded-Proto"); p == "http" || p == "https" {
		scheme = p
	}
	return scheme + "://" + r.Host + d.basePath
}

func (d *Directory) timestamp() time.Time { return d.now().UTC() }

func formatTime(t time.Time) string { return t.Format("2006-01-02T15:04:05.000Z07:00") }

func etag(version uint64) string { return fmt.Sprintf(`W/"%d"`, version) }

// managed reports whether email is on a verified domain.
func (d *Directory) managed(email string) bool {
	i := strings.LastIndex(email, "@")
	return i >= 0 && d.verified[strings.ToLower(strings.TrimSpace(email[i+1:]))]
}

// stopper is what a background timer offers: time.Timer's Stop.
type stopper interface{ Stop() bool }

// pending is one piece of background work (a timer of access-1003-queued or
// access-1003-delayed).
type pending struct{ t stopper }

// later runs apply(u) after delay, under d.mu, unless the work is stopped
// first (reset, Close) or u is no longer a user of the directory (deleted,
// or gone with a reset). It starts no goroutine of its own: time.AfterFunc
// runs the function when the timer fires. The caller holds d.mu.
func (d *Directory) later(delay time.Duration, u *user, apply func(*user)) {
	p := &pending{}
	p.t = d.afterFunc(delay, func() {
		d.mu.Lock()
		defer d.mu.Unlock()
		if _, live := d.timers[p]; !live {
			return
		}
		delete(d.timers, p)
		if d.st.users[u.id] != u {
			return
		}
		apply(u)
	})
	d.timers[p] = struct{}{}
}

// stopTimers drops all background work. The caller holds d.mu.
func (d *Directory) stopTimers() {
	for p := range d.timers {
		p.t.Stop()
	}
	clear(d.timers)
}

// Close stops the directory's pending background work (the unlinks queued
// by access-1003-queued and access-1003-delayed), so no timer outlives the
// directory. The directory still serves requests afterwards.
func (d *Directory) Close() {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.stopTimers()
}

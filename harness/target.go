// Package harness is the library behind scimreplay: it describes and starts SCIM targets, talks
// to them as an identity provider does, snapshots the state a force sync must not move, and says
// in words what moved. It has no Ginkgo dependency, so a SCIM server team can use it from any
// test framework; the Gomega matchers live in harness/matchers.
package harness

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/moby/moby/api/types/container"
	"github.com/testcontainers/testcontainers-go"
	tclog "github.com/testcontainers/testcontainers-go/log"
	"github.com/testcontainers/testcontainers-go/wait"
)

// Defaults applied by Run to a TargetSpec that leaves a field empty.
const (
	DefaultPort           = 8080
	DefaultBasePath       = "/scim/v2"
	DefaultStartupTimeout = 60 * time.Second
	// LabelRun is the Docker label that carries a run's id on every container it starts, so
	// that a run (or a later sweep) can find and remove what it left.
	LabelRun = "io.scimreplay.run"
)

// TargetSpec describes a SCIM server under test as data: where it comes from (an image, a
// Dockerfile directory or a URL of a server already running), how to reach its SCIM API, and
// how to read the state a force sync must preserve (link and audit probes).
type TargetSpec struct {
	// Name is how reports name the target; defaults to the image, directory or URL.
	Name string `yaml:"name"`

	Image      string `yaml:"image"`      // an image present locally
	Dockerfile string `yaml:"dockerfile"` // a build context directory holding a Dockerfile
	// ImageTag is the fixed repo:tag a Dockerfile target is built as (never a random tag).
	ImageTag string `yaml:"imageTag"`
	// URL is the SCIM base URL of a server already running (no container is started), as Okta's
	// "SCIM connector base URL" and Entra's "Tenant URL": https://scim.example.com/scim/v2. Its
	// path is the base path; a URL without one (or with "/" only) takes BasePath. A query it
	// holds (Entra's ?aadOptscim062020) is sent with every SCIM request and the readiness check,
	// never with the probes, whose paths are from the server's root.
	URL string `yaml:"url"`

	Port int `yaml:"port"`
	// BasePath is where the SCIM API is served (DefaultBasePath when empty): for a container,
	// and for a URL without a path. A URL with a path and a different BasePath is an error.
	BasePath       string            `yaml:"basePath"`
	Token          string            `yaml:"token"`
	Env            map[string]string `yaml:"env"` // values may hold {{token}}
	Cmd            []string          `yaml:"cmd"`
	ReadyPath      string            `yaml:"ready"` // any 2xx or 401 means up
	StartupTimeout time.Duration     `yaml:"startupTimeout"`

	// VerifiedDomains make a user managed; users on other domains are unmanaged.
	VerifiedDomains []string   `yaml:"verifiedDomains"`
	LinkProbe       LinkProbe  `yaml:"linkProbe"`
	AuditProbe      AuditProbe `yaml:"auditProbe"`
	// Settle is how long the after-state must hold once the force sync's last request is done
	// (see harness.Settle): nil means DefaultSettle, 0 reads it once.
	Settle *time.Duration `yaml:"settle"`

	// Labels are added to the container (the run label among them).
	Labels map[string]string `yaml:"-"`
}

// LinkProbe says where a target shows the account a SCIM user is linked to. Attribute is a
// User attribute path (a schema URN prefix is allowed); Path is an HTTP path of the target that
// answers JSON, read at the JSON Pointer; a Path holding {{id}} is asked once per user, one
// without it once, its pointer naming an object from user id to account.
type LinkProbe struct {
	Attribute string `yaml:"attribute"`
	Path      string `yaml:"path"`
	Pointer   string `yaml:"pointer"`
}

// Enabled reports whether the probe is configured.
func (p LinkProbe) Enabled() bool { return p.Attribute != "" || p.Path != "" }

func (p LinkProbe) check() error {
	switch {
	case p.Attribute != "" && p.Path != "":
		return errors.New("a link probe is either a User attribute or an HTTP path with a JSON pointer, not both")
	case p.Pointer != "" && p.Path == "":
		return errors.New("a link probe pointer needs the HTTP path it applies to")
	case p.Path != "" && !strings.HasPrefix(p.Path, "/"):
		return fmt.Errorf("link probe path %q must start with /", p.Path)
	case p.Pointer != "" && !strings.HasPrefix(p.Pointer, "/"):
		return fmt.Errorf("link probe pointer %q must be a JSON pointer starting with /", p.Pointer)
	}
	return nil
}

// AuditProbe says where a target writes its audit log and which lines are unlink events.
type AuditProbe struct {
	Path    string `yaml:"path"`
	Pattern string `yaml:"pattern"` // a regular expression
}

// Enabled reports whether the probe is configured.
func (p AuditProbe) Enabled() bool { return p.Path != "" && p.Pattern != "" }

func (p AuditProbe) check() error {
	if (p.Path == "") != (p.Pattern == "") {
		return errors.New("an audit probe needs both a path and a pattern")
	}
	if p.Path != "" && !strings.HasPrefix(p.Path, "/") {
		return fmt.Errorf("audit probe path %q must start with /", p.Path)
	}
	if _, err := regexp.Compile(p.Pattern); err != nil {
		return fmt.Errorf("audit probe pattern: %w", err)
	}
	return nil
}

// WithDefaults returns the spec with every empty field given its default.
func (s TargetSpec) WithDefaults() TargetSpec {
	if s.Port == 0 {
		s.Port = DefaultPort
	}
	if s.BasePath == "" {
		s.BasePath = urlBasePath(s.URL) // a URL's path is its base path
	}
	if s.BasePath == "" {
		s.BasePath = DefaultBasePath
	}
	s.BasePath = cleanBasePath(s.BasePath)
	if s.ReadyPath == "" {
		s.ReadyPath = joinPath(s.BasePath, "/ServiceProviderConfig")
	}
	if s.StartupTimeout == 0 {
		s.StartupTimeout = DefaultStartupTimeout
	}
	if s.Name == "" {
		switch {
		case s.Image != "":
			s.Name = s.Image
		case s.Dockerfile != "":
			s.Name = s.Dockerfile
		default:
			s.Name = RedactURL(s.URL)
		}
	}
	return s
}

// Validate checks that the spec names exactly one source and sane values.
func (s TargetSpec) Validate() error {
	n := 0
	for _, v := range []string{s.Image, s.Dockerfile, s.URL} {
		if v != "" {
			n++
		}
	}
	if n != 1 {
		return errors.New("a target needs exactly one of image, dockerfile or url")
	}
	if s.URL != "" {
		if err := checkURL(s.URL); err != nil {
			return fmt.Errorf("target url: %w", err)
		}
		if err := checkURLBasePath(s.URL, s.BasePath); err != nil {
			return err
		}
	}
	if s.Port < 0 || s.Port > 65535 {
		return fmt.Errorf("target port %d is out of range", s.Port)
	}
	if s.StartupTimeout < 0 {
		return errors.New("startup timeout must not be negative")
	}
	for _, p := range []string{s.BasePath, s.ReadyPath} {
		if p != "" && !strings.HasPrefix(p, "/") {
			return fmt.Errorf("target path %q must start with /", p)
		}
	}
	if err := s.LinkProbe.check(); err != nil {
		return err
	}
	return s.AuditProbe.check()
}

func checkURL(raw string) error {
	u, err := url.Parse(raw)
	switch {
	case err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "":
		return fmt.Errorf("%q is not an http(s) URL", RedactURL(raw))
	case u.User != nil:
		return fmt.Errorf("%s holds user:password@, which is never sent: give a bearer token (SCIMREPLAY_TARGET_TOKEN) instead", RedactURL(raw))
	case u.Fragment != "" || strings.HasSuffix(raw, "#"):
		return fmt.Errorf("%s holds a #fragment, which no server sees: remove it", RedactURL(raw))
	}
	return nil
}

// checkURLBasePath refuses a URL whose path is a base path other than the one given: which of
// the two the user meant cannot be told. The same path, with or without a trailing slash, is
// fine.
func checkURLBasePath(rawURL, basePath string) error {
	p := urlBasePath(rawURL)
	if p == "" || basePath == "" || cleanBasePath(basePath) == p {
		return nil
	}
	return fmt.Errorf("target url %s has the SCIM base path %s, but the base path %s is given too: a URL's path is its base path, so give the base path in one place (or the same in both)",
		RedactURL(rawURL), p, basePath)
}

// urlBasePath is the base path a target URL holds: its path without a trailing slash, still
// escaped as written; "" when it has none (or only "/").
func urlBasePath(raw string) string {
	if raw == "" {
		return ""
	}
	u, err := url.Parse(raw)
	if err != nil {
		return ""
	}
	if p := strings.Trim(u.EscapedPath(), "/"); p != "" {
		return "/" + p
	}
	return ""
}

// cleanBasePath is a base path with one leading slash and no trailing one; the root stays "/".
func cleanBasePath(p string) string { return "/" + strings.Trim(p, "/") }

// joinPath appends rel (starting with /) to a base path without doubling the slash: the root
// base path "/" gives rel itself.
func joinPath(base, rel string) string { return strings.TrimSuffix(base, "/") + rel }

// RandomToken is a fresh bearer token: Run gives one to every container target that has none.
func RandomToken() string {
	b := make([]byte, 18)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand never fails on supported platforms
	}
	return "srt_" + hex.EncodeToString(b)
}

// SettleWindow is the spec's settle window: Settle, or DefaultSettle when it is not set.
func (s TargetSpec) SettleWindow() time.Duration {
	if s.Settle == nil {
		return DefaultSettle
	}
	return *s.Settle
}

// parseSettle reads a settle window: a duration from 0 (off) to 10 minutes.
func parseSettle(v string) (time.Duration, error) {
	d, err := time.ParseDuration(strings.TrimSpace(v))
	if err != nil || d < 0 || d > 10*time.Minute {
		return 0, fmt.Errorf("%q is not a settle window: give a duration from 0 (off) to 10m, such as 2s", v)
	}
	return d, nil
}

// Classifier tells the spec's managed users from unmanaged ones by their email's domain; nil
// when the spec names no verified domains (managed and unmanaged cannot be told apart then).
func (s TargetSpec) Classifier() Classifier {
	if len(s.VerifiedDomains) == 0 {
		return nil
	}
	return s.Managed
}

// Managed reports whether an email is on one of the spec's verified domains.
func (s TargetSpec) Managed(email string) bool {
	_, domain, ok := strings.Cut(strings.ToLower(strings.TrimSpace(email)), "@")
	if !ok {
		return false
	}
	for _, d := range s.VerifiedDomains {
		if strings.EqualFold(strings.TrimSpace(d), domain) {
			return true
		}
	}
	return false
}

// Target is a started (or given) SCIM server.
type Target struct {
	Spec      TargetSpec
	Container testcontainers.Container // nil for a URL target
}

// Option is a setting of Run that shapes no container request, as in the testcontainers
// modules: pass it among Run's options, beside any testcontainers.ContainerCustomizer.
type Option func(*runOptions)

// Customize does nothing to the container request: an Option is a setting of Run itself.
func (Option) Customize(*testcontainers.GenericContainerRequest) error { return nil }

type runOptions struct {
	requestTimeout time.Duration
}

// WithRequestTimeout is the run's request timeout (DefaultRequestTimeout without it). A URL
// target — a server already running, with nothing to wait for — is asked its ready path
// ReadyTries times, each try bounded by it, instead of for the whole startup timeout: a server
// that accepts connections but never answers ends the run in a few request timeouts.
func WithRequestTimeout(d time.Duration) Option {
	return func(o *runOptions) {
		if d > 0 {
			o.requestTimeout = d
		}
	}
}

// ReadyTries is how many times Run asks a URL target's ready path before it gives up (the
// startup timeout still bounds all of them).
const ReadyTries = 3

// readyPause is the wait between two tries at a URL target's ready path.
const readyPause = time.Second

// Run starts the target a spec describes and waits until it answers on its ready path. For a
// URL target it only checks that the server answers (see WithRequestTimeout). A container
// target without a token gets a random one (RandomToken), which its Env reaches as {{token}}; a
// URL target without one is sent no Authorization header. A container that stops or never gets
// ready makes an error that says how it ended and ends with the last lines of its log, token
// redacted; testcontainers' own log lines reach whatever logger the caller gives with the token
// redacted too. Like the testcontainers modules it returns the Target even with an error, so
// the caller can always Terminate it; caller options are applied last and win.
func Run(ctx context.Context, spec TargetSpec, opts ...testcontainers.ContainerCustomizer) (*Target, error) {
	spec = spec.WithDefaults()
	if err := spec.Validate(); err != nil {
		return nil, fmt.Errorf("run target: %w", err)
	}
	settings := runOptions{requestTimeout: DefaultRequestTimeout}
	for _, opt := range opts {
		if o, ok := opt.(Option); ok {
			o(&settings)
		}
	}
	if spec.URL == "" && spec.Token == "" {
		spec.Token = RandomToken()
	}
	t := &Target{Spec: spec}
	if spec.URL != "" {
		if err := waitURL(ctx, spec, settings.requestTimeout); err != nil {
			return t, fmt.Errorf("run target: %w", err)
		}
		return t, nil
	}
	port := strconv.Itoa(spec.Port) + "/tcp"
	env := map[string]string{}
	for k, v := range spec.Env {
		env[k] = strings.ReplaceAll(v, "{{token}}", spec.Token)
	}
	ready := wait.ForHTTP(spec.ReadyPath).WithPort(port).
		WithStatusCodeMatcher(func(status int) bool { return status/100 == 2 || status == http.StatusUnauthorized }).
		WithStartupTimeout(spec.StartupTimeout)
	defaults := []testcontainers.ContainerCustomizer{
		testcontainers.WithExposedPorts(port),
		testcontainers.WithEnv(env),
		testcontainers.WithLabels(spec.Labels),
		testcontainers.WithWaitStrategyAndDeadline(spec.StartupTimeout, ready),
	}
	img := spec.Image
	if spec.Dockerfile != "" {
		tag, err := BuildImage(ctx, spec.Dockerfile, spec.ImageTag)
		if err != nil {
			return t, fmt.Errorf("run target: %w", err)
		}
		img = tag
	}
	if len(spec.Cmd) > 0 {
		defaults = append(defaults, testcontainers.WithCmd(spec.Cmd...))
	}
	// Last, so that it wraps whatever logger the caller chose: testcontainers prints a whole
	// container log when a wait fails, and the log may hold the token.
	redactLog := testcontainers.CustomizeRequestOption(func(req *testcontainers.GenericContainerRequest) error {
		next := req.Logger
		if next == nil {
			next = tclog.Default()
		}
		req.Logger = redactingLogger{next: next, token: spec.Token}
		return nil
	})
	all := append(append(defaults, opts...), redactLog)
	c, err := testcontainers.Run(ctx, img, all...)
	if c != nil {
		t.Container = c
	}
	if err != nil {
		what := ""
		if errors.Is(err, context.DeadlineExceeded) && ctx.Err() == nil {
			what = fmt.Sprintf("not ready after %s (its startup timeout): ", spec.StartupTimeout)
		}
		return t, fmt.Errorf("run target %s: %s%w%s", spec.Name, what, err, t.startFailure(ctx, err))
	}
	return t, nil
}

// redactingLogger hands testcontainers' lines on with the token redacted.
type redactingLogger struct {
	next  tclog.Logger
	token string
}

func (l redactingLogger) Printf(format string, v ...any) {
	l.next.Printf("%s", Redact(fmt.Sprintf(format, v...), l.token))
}

// StartLogLines is how many of its last log lines a container that failed to start shows in
// Run's error.
const StartLogLines = 20

// startFailure is what Run's error adds about a container that did not get ready: how it
// ended, if it did and err does not say so already, and the last StartLogLines lines of its
// log, token redacted; "" when there is no container or it never ran.
func (t *Target) startFailure(ctx context.Context, err error) string {
	if t.Container == nil {
		return ""
	}
	// The run's context may be spent (its deadline is what ended the start): these reads get
	// a few seconds of their own.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	st, stErr := t.Container.State(ctx)
	if stErr == nil && st != nil && st.Status == container.StateCreated {
		return "" // it never ran: no exit, no log
	}
	var b strings.Builder
	if stErr == nil && st != nil && !st.Running {
		// testcontainers' own words for a plain exit are enough; a kill or an OOM is said here
		why := exitReason(st)
		plain := why == fmt.Sprintf("the target container is %s, exit code %d", st.Status, st.ExitCode)
		if !plain || !strings.Contains(err.Error(), fmt.Sprintf("exited with code %d", st.ExitCode)) {
			b.WriteString("; " + why)
		}
	}
	lines, total, logErr := t.logTail(ctx, StartLogLines)
	switch {
	case logErr != nil:
		fmt.Fprintf(&b, "; its log cannot be read: %v", logErr)
	case total == 0:
		b.WriteString("; its log is empty")
	case total > len(lines):
		fmt.Fprintf(&b, "\nthe last %d of its %d log lines:", len(lines), total)
	default:
		fmt.Fprintf(&b, "\nits log (%d lines):", total)
	}
	for _, l := range lines {
		b.WriteString("\n    " + l)
	}
	return b.String()
}

// logTail is the last n lines of the container's log, each redacted and cut to 500 bytes, and
// how many lines the log has.
func (t *Target) logTail(ctx context.Context, n int) ([]string, int, error) {
	rc, err := t.Container.Logs(ctx)
	if err != nil {
		return nil, 0, err
	}
	defer rc.Close()
	return lastLines(rc, n, t.Spec.Token)
}

// maxLogLine bounds one line lastLines reads; a longer line counts as several.
const maxLogLine = 1 << 20

// lastLines reads r to its end and keeps its last n lines (each redacted of the secrets and cut
// to 500 bytes), counting them all.
func lastLines(r io.Reader, n int, secrets ...string) ([]string, int, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), maxLogLine)
	sc.Split(func(data []byte, atEOF bool) (int, []byte, error) {
		if adv, tok, err := bufio.ScanLines(data, atEOF); adv > 0 || tok != nil || err != nil {
			return adv, tok, err
		}
		if len(data) >= maxLogLine {
			return len(data), data, nil // a line longer than the buffer: its first part
		}
		return 0, nil, nil
	})
	ring := make([]string, 0, n)
	total := 0
	for sc.Scan() {
		total++
		line := strings.TrimRight(Redact(sc.Text(), secrets...), "\r")
		if len(line) > 500 {
			line = strings.ToValidUTF8(line[:500], "") + "…"
		}
		if len(ring) == n {
			copy(ring, ring[1:])
			ring = ring[:n-1]
		}
		ring = append(ring, line)
	}
	return ring, total, sc.Err()
}

// DefaultImageTag is the fixed repo:tag a Dockerfile directory is built as when the spec names
// none: the same directory always gets the same tag, so images are reused and found.
func DefaultImageTag(dir string) string {
	name := strings.ToLower(strings.Trim(strings.ReplaceAll(dir, string('/'), "-"), "-."))
	var b strings.Builder
	for _, r := range name {
		if (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') || r == '-' || r == '_' || r == '.' {
			b.WriteRune(r)
		}
	}
	s := strings.Trim(b.String(), "-._")
	if s == "" {
		s = "target"
	}
	return "scimreplay-target/" + s + ":local"
}

// BaseURL is the URL of the target's SCIM API, computed from the running container each time,
// never cached: its origin and base path, without a trailing slash (the root base path "/"
// gives the origin itself), and for a URL target the URL's query, if it has one. Give it to
// NewClient, which sends that query with every SCIM request; appending a path to it is wrong
// when it has a query.
func (t *Target) BaseURL(ctx context.Context) (string, error) {
	root, err := t.RootURL(ctx)
	if err != nil {
		return "", err
	}
	base := root + strings.TrimSuffix(t.Spec.BasePath, "/")
	if q := t.query(); q != "" {
		base += "?" + q
	}
	return base, nil
}

// query is the raw query of a URL target's URL ("" for a container).
func (t *Target) query() string {
	if t.Container != nil || t.Spec.URL == "" {
		return ""
	}
	u, err := url.Parse(t.Spec.URL)
	if err != nil {
		return ""
	}
	return u.RawQuery
}

// RootURL is the target's origin, scheme://host:port — the container's mapped endpoint, or a
// URL target's origin whatever path the URL has — for non-SCIM paths such as probes.
func (t *Target) RootURL(ctx context.Context) (string, error) {
	if t.Container == nil {
		u, err := url.Parse(t.Spec.URL)
		if err != nil || u.Host == "" {
			return "", fmt.Errorf("target url %q is not an http(s) URL", RedactURL(t.Spec.URL))
		}
		return u.Scheme + "://" + u.Host, nil
	}
	ep, err := t.Container.PortEndpoint(ctx, strconv.Itoa(t.Spec.Port)+"/tcp", "http")
	if err != nil {
		return "", fmt.Errorf("target endpoint: %w", err)
	}
	return ep, nil
}

// Client returns a SCIM client for the target with Okta's headers and the spec's token.
func (t *Target) Client(ctx context.Context) (*Client, error) {
	base, err := t.BaseURL(ctx)
	if err != nil {
		return nil, err
	}
	root, err := t.RootURL(ctx)
	if err != nil {
		return nil, err
	}
	c := NewClient(base, t.Spec.Token)
	c.RootURL = root
	return c, nil
}

// Logs returns the container's output with the token redacted ("" for a URL target).
func (t *Target) Logs(ctx context.Context) (string, error) {
	if t == nil || t.Container == nil {
		return "", nil
	}
	rc, err := t.Container.Logs(ctx)
	if err != nil {
		return "", fmt.Errorf("target logs: %w", err)
	}
	defer rc.Close()
	b, err := io.ReadAll(io.LimitReader(rc, 1<<20))
	if err != nil {
		return "", fmt.Errorf("target logs: %w", err)
	}
	return Redact(string(b), t.Spec.Token), nil
}

// Terminate stops and removes the container, if any. It is safe on a nil Target.
func (t *Target) Terminate(ctx context.Context) error {
	if t == nil || t.Container == nil {
		return nil
	}
	return testcontainers.TerminateContainer(t.Container, testcontainers.StopContext(ctx), testcontainers.RemoveVolumes())
}

// waitURL asks a URL target's ready path up to ReadyTries times, each try bounded by
// tryTimeout and all of them by the startup timeout, until it answers 2xx or 401.
func waitURL(ctx context.Context, spec TargetSpec, tryTimeout time.Duration) error {
	u, err := url.Parse(spec.URL)
	if err != nil {
		return fmt.Errorf("target url: %w", err)
	}
	ready := u.Scheme + "://" + u.Host + spec.ReadyPath
	if u.RawQuery != "" {
		ready = addQuery(ready, u.RawQuery)
	}
	target := RedactURL(spec.URL)
	shown := RedactURL(ready)
	if r, err := url.Parse(shown); err == nil {
		shown = r.RequestURI()
	}
	startup, cancel := context.WithTimeout(ctx, spec.StartupTimeout)
	defer cancel()
	hc := newHTTPClient() // no proxy, no redirect to another host
	defer hc.CloseIdleConnections()
	var last error
	timeouts := 0
	for try := 1; ; try++ {
		status, err := getStatus(startup, hc, ready, tryTimeout)
		switch {
		case err == nil && (status/100 == 2 || status == http.StatusUnauthorized):
			return nil
		case err == nil:
			last = fmt.Errorf("GET %s answered %d (2xx or 401 means ready)", shown, status)
			if status == http.StatusNotFound {
				last = fmt.Errorf("%w: is %s the SCIM base URL?", last, target)
			}
		case startup.Err() != nil:
			// the startup timeout or the caller ended the wait (last says what came before)
		case errors.Is(err, context.DeadlineExceeded):
			timeouts++
			last = fmt.Errorf("GET %s got no answer within %s", shown, tryTimeout)
		default:
			last = fmt.Errorf("GET %s: %w", shown, err)
		}
		if startup.Err() == nil && try < ReadyTries {
			select {
			case <-startup.Done():
			case <-time.After(readyPause):
			}
		}
		switch {
		case ctx.Err() != nil:
			return fmt.Errorf("target %s: the wait for it to answer was cut short: %w", target, context.Cause(ctx))
		case startup.Err() != nil && last == nil:
			return fmt.Errorf("target %s not ready after %s: GET %s got no answer", target, spec.StartupTimeout, shown)
		case startup.Err() != nil:
			return fmt.Errorf("target %s not ready after %s: %v", target, spec.StartupTimeout, last)
		case try < ReadyTries:
			continue
		case timeouts == ReadyTries:
			return fmt.Errorf("target %s did not answer GET %s within %s (%d tries)", target, shown, tryTimeout, ReadyTries)
		default:
			return fmt.Errorf("target %s is not ready after %d tries: %v", target, ReadyTries, last)
		}
	}
}

// getStatus sends one GET bounded by timeout and returns the answer's status.
func getStatus(ctx context.Context, hc *http.Client, u string, timeout time.Duration) (int, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return 0, err
	}
	resp, err := hc.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // the URL is said by the caller, redacted
		}
		return 0, err
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<16))
	resp.Body.Close()
	return resp.StatusCode, nil
}

// addQuery adds the raw query q to a URL, before the URL's own query (as a reverse proxy
// joins a target's query with a request's).
func addQuery(u, q string) string {
	p, own, _ := strings.Cut(u, "?")
	if own == "" {
		return p + "?" + q
	}
	return p + "?" + q + "&" + own
}

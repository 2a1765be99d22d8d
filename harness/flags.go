package harness

import (
	"flag"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"
)

// TargetFlags binds the --target-* flags that describe a target, with SCIMREPLAY_TARGET_* env
// vars as defaults. Settings come, lowest first, from the built-in defaults, the profile file
// (--target-profile), the env vars, and the flags set on the command line: only flags actually
// given (or env vars actually set) override the profile.
type TargetFlags struct {
	Profile                          string
	Image, Dockerfile, ImageTag, URL string
	Port                             int
	BasePath, Token, Ready           string
	Env                              EnvFlag
	StartupTimeout                   time.Duration
	VerifiedDomains                  string
	LinkAttribute                    string
	LinkPath, LinkPointer            string
	AuditPath, AuditPattern          string
	Settle                           string

	fs      *flag.FlagSet
	fromEnv map[string]bool  // flags whose value came from a SCIMREPLAY_TARGET_* env var
	envErrs map[string]error // env vars that did not parse, by flag name
}

// EnvPrefix starts the name of every env var that gives a --target-* flag its default:
// --target-base-path ↔ SCIMREPLAY_TARGET_BASE_PATH.
const EnvPrefix = "SCIMREPLAY_TARGET_"

// Bind registers the flags on fs. getenv supplies defaults (pass os.Getenv).
func (f *TargetFlags) Bind(fs *flag.FlagSet, getenv func(string) string) {
	f.fs, f.fromEnv, f.envErrs = fs, map[string]bool{}, map[string]error{}
	// env reads the variable of a flag and remembers that the flag's value came from it.
	env := func(name string) string {
		v := getenv(envName(name))
		if v != "" {
			f.fromEnv[name] = true
		}
		return v
	}
	str := func(p *string, name, def, usage string) {
		fs.StringVar(p, name, or(env(name), def), usage+" ($"+envName(name)+")")
	}
	str(&f.Profile, "target-profile", "", "read the target's settings from this YAML file; flags override it")
	str(&f.Image, "target-image", "", "gate this image (present locally)")
	str(&f.Dockerfile, "target-dockerfile", "", "gate the image built from this directory's Dockerfile")
	str(&f.ImageTag, "target-image-tag", "", "fixed repo:tag for --target-dockerfile (default derived from the directory)")
	str(&f.URL, "target-url", "", "gate a server already running at this SCIM base URL, e.g. https://scim.example.com/scim/v2 (Okta's \"SCIM connector base URL\", Entra's \"Tenant URL\"): its path is the base path, its query goes with every SCIM request; no container; scenario names get a per-run suffix")
	port := envValue(f, env, "target-port", DefaultPort, strconv.Atoi, "a port number")
	fs.IntVar(&f.Port, "target-port", port, "the container port the target listens on ($"+envName("target-port")+")")
	str(&f.BasePath, "target-base-path", DefaultBasePath, "the SCIM base path of a container target, or of a --target-url without a path (a URL's own path is its base path)")
	str(&f.Token, "target-token", "", "bearer token (default for a container: a random token per run, which --target-env values reach as {{token}})")
	str(&f.Ready, "target-ready", "", "readiness path from the server's root (default <base path>/ServiceProviderConfig; 2xx or 401 is up)")
	fs.Var(&f.Env, "target-env", "K=V environment for the target container, repeatable; {{token}} expands to the token")
	timeout := envValue(f, env, "target-startup-timeout", DefaultStartupTimeout, time.ParseDuration, "a duration such as 90s")
	fs.DurationVar(&f.StartupTimeout, "target-startup-timeout", timeout, fmt.Sprintf("how long a container target may take to become ready; a --target-url server is asked %d times within it, each bounded by the request timeout ($%s)", ReadyTries, envName("target-startup-timeout")))
	str(&f.VerifiedDomains, "target-verified-domains", "", "comma list of the target's verified domains (users elsewhere are unmanaged)")
	str(&f.LinkAttribute, "target-link-attribute", "", "link probe: the User attribute path holding the linked account")
	str(&f.LinkPath, "target-link-path", "", "link probe: an HTTP path of the target answering JSON links ({{id}} = the user id)")
	str(&f.LinkPointer, "target-link-pointer", "", "link probe: the JSON pointer into --target-link-path's answer")
	str(&f.AuditPath, "target-audit-path", "", "audit probe: path of the target's audit log")
	str(&f.AuditPattern, "target-audit-pattern", "", "audit probe: regular expression of an unlink line in the audit log")
	fs.StringVar(&f.Settle, "settle", getenv("SCIMREPLAY_SETTLE"), "hold the after-state this long after the force sync's last request, re-reading it (a target that works in the background); 0 reads it once (default "+DefaultSettle.String()+") ($SCIMREPLAY_SETTLE)")
}

// envValue is the default of a typed flag from its env var: def when the variable is unset; a
// value that does not parse is remembered as an error for Spec (unless the flag is given).
func envValue[T any](f *TargetFlags, env func(string) string, name string, def T, parse func(string) (T, error), what string) T {
	v := env(name)
	if v == "" {
		return def
	}
	x, err := parse(v)
	if err != nil {
		f.envErrs[name] = fmt.Errorf("$%s=%q is not %s", envName(name), v, what)
		return def
	}
	return x
}

func envName(flagName string) string {
	return EnvPrefix + strings.ToUpper(strings.ReplaceAll(strings.TrimPrefix(flagName, "target-"), "-", "_"))
}

// Given reports whether the flags name a target (else the caller gates its default target).
func (f *TargetFlags) Given() bool {
	return f.Profile != "" || f.Image != "" || f.Dockerfile != "" || f.URL != ""
}

// Spec turns the profile and the flags into a target spec; errors name the flag, the env var or
// the profile's file:line:column.
func (f *TargetFlags) Spec() (TargetSpec, error) {
	visited := map[string]bool{}
	if f.fs != nil {
		f.fs.Visit(func(fl *flag.Flag) { visited[fl.Name] = true })
	}
	for _, name := range slices.Sorted(maps.Keys(f.envErrs)) {
		if !visited[name] {
			return TargetSpec{}, f.envErrs[name]
		}
	}
	// set reports whether a flag overrides the profile: given on the command line or by its env
	// var; without a FlagSet (a TargetFlags filled in by code) whether it holds a value.
	set := func(name string, hasValue bool) bool {
		if f.fs == nil {
			return hasValue
		}
		return visited[name] || f.fromEnv[name]
	}
	var s TargetSpec
	if f.Profile != "" {
		p, err := LoadProfile(f.Profile)
		if err != nil {
			return TargetSpec{}, err
		}
		s = p
	}
	if set("target-image", f.Image != "") || set("target-dockerfile", f.Dockerfile != "") || set("target-url", f.URL != "") {
		// A source given by flag replaces the profile's whole source.
		s.Image, s.Dockerfile, s.URL, s.ImageTag = f.Image, f.Dockerfile, f.URL, ""
	}
	if set("target-image-tag", f.ImageTag != "") {
		s.ImageTag = f.ImageTag
	}
	if set("target-port", f.Port != 0) {
		s.Port = f.Port
	}
	if set("target-base-path", f.BasePath != "") {
		s.BasePath = f.BasePath
	}
	if set("target-token", f.Token != "") {
		s.Token = f.Token
	}
	if set("target-ready", f.Ready != "") {
		s.ReadyPath = f.Ready
	}
	if set("target-startup-timeout", f.StartupTimeout != 0) {
		s.StartupTimeout = f.StartupTimeout
	}
	if len(f.Env) > 0 {
		s.Env = maps.Clone(s.Env)
		if s.Env == nil {
			s.Env = map[string]string{}
		}
		for _, kv := range f.Env {
			k, v, _ := strings.Cut(kv, "=")
			s.Env[k] = v // a flag overrides the profile's value of the same variable
		}
	}
	if set("target-verified-domains", f.VerifiedDomains != "") {
		s.VerifiedDomains = nil
		for _, d := range strings.Split(f.VerifiedDomains, ",") {
			if d = strings.TrimSpace(d); d == "" {
				continue
			}
			if err := checkDomain(d); err != nil {
				return TargetSpec{}, fmt.Errorf("--target-verified-domains: %w", err)
			}
			s.VerifiedDomains = append(s.VerifiedDomains, d)
		}
	}
	if set("target-link-attribute", f.LinkAttribute != "") {
		s.LinkProbe = LinkProbe{Attribute: f.LinkAttribute}
	}
	if set("target-link-path", f.LinkPath != "") {
		s.LinkProbe = LinkProbe{Path: f.LinkPath, Pointer: s.LinkProbe.Pointer}
	}
	if set("target-link-pointer", f.LinkPointer != "") {
		s.LinkProbe.Pointer = f.LinkPointer
	}
	if set("target-audit-path", f.AuditPath != "") {
		s.AuditProbe.Path = f.AuditPath
	}
	if set("target-audit-pattern", f.AuditPattern != "") {
		s.AuditProbe.Pattern = f.AuditPattern
	}
	if d, err := f.SettleFlag(); err != nil {
		return TargetSpec{}, err
	} else if d != nil {
		s.Settle = d
	}
	if err := s.Validate(); err != nil {
		if f.Profile != "" {
			return s, fmt.Errorf("target from %s and the flags: %w", f.Profile, err)
		}
		return s, fmt.Errorf("%w (see --target-* flags)", err)
	}
	return s, nil
}

// SettleFlag is the window --settle (or $SCIMREPLAY_SETTLE) gives, nil when neither is set: for
// a caller whose target does not come from these flags (the CLI's default target).
func (f *TargetFlags) SettleFlag() (*time.Duration, error) {
	if f.Settle == "" {
		return nil, nil
	}
	d, err := parseSettle(f.Settle)
	if err != nil {
		return nil, fmt.Errorf("--settle: %w", err)
	}
	return &d, nil
}

// EnvFlag is a repeatable K=V flag.
type EnvFlag []string

func (e *EnvFlag) String() string { return strings.Join(*e, ",") }

// Set adds one K=V.
func (e *EnvFlag) Set(v string) error {
	k, _, ok := strings.Cut(v, "=")
	if !ok {
		return fmt.Errorf("%q is not K=V", v)
	}
	if err := checkEnvName(k); err != nil {
		return err
	}
	*e = append(*e, v)
	return nil
}

func or(v, d string) string {
	if v == "" {
		return d
	}
	return v
}

package harness

import (
	"flag"
	"fmt"
	"strings"
	"time"
)

// TargetFlags binds the --target-* flags that describe a target, with SCIMREPLAY_TARGET_* env
// vars as defaults. Flags win over env vars.
type TargetFlags struct {
	Image, Dockerfile, ImageTag, URL string
	Port                             int
	BasePath, Token, Ready           string
	Env                              EnvFlag
	StartupTimeout                   time.Duration
	VerifiedDomains                  string
	LinkAttribute                    string
	AuditPath, AuditPattern          string
}

// Bind registers the flags on fs. getenv supplies defaults (pass os.Getenv).
func (f *TargetFlags) Bind(fs *flag.FlagSet, getenv func(string) string) {
	env := func(k string) string { return getenv("SCIMREPLAY_TARGET_" + k) }
	fs.StringVar(&f.Image, "target-image", env("IMAGE"), "gate this image (present locally)")
	fs.StringVar(&f.Dockerfile, "target-dockerfile", env("DOCKERFILE"), "gate the image built from this directory's Dockerfile")
	fs.StringVar(&f.ImageTag, "target-image-tag", env("IMAGE_TAG"), "fixed repo:tag for --target-dockerfile (default derived from the directory)")
	fs.StringVar(&f.URL, "target-url", env("URL"), "gate a server already running at this URL (no container)")
	fs.IntVar(&f.Port, "target-port", intOr(env("PORT"), DefaultPort), "the container port the target listens on")
	fs.StringVar(&f.BasePath, "target-base-path", or(env("BASE_PATH"), DefaultBasePath), "the SCIM base path")
	fs.StringVar(&f.Token, "target-token", env("TOKEN"), "bearer token (default: a random token per run, passed via --target-env {{token}})")
	fs.StringVar(&f.Ready, "target-ready", env("READY"), "readiness path (default <base>/ServiceProviderConfig; 2xx or 401 is up)")
	fs.Var(&f.Env, "target-env", "K=V environment for the target container, repeatable; {{token}} expands")
	fs.DurationVar(&f.StartupTimeout, "target-startup-timeout", durOr(env("STARTUP_TIMEOUT"), DefaultStartupTimeout), "how long the target may take to become ready")
	fs.StringVar(&f.VerifiedDomains, "target-verified-domains", env("VERIFIED_DOMAINS"), "comma list of the target's verified domains (users elsewhere are unmanaged)")
	fs.StringVar(&f.LinkAttribute, "target-link-attribute", env("LINK_ATTRIBUTE"), "User attribute path holding the linked account")
	fs.StringVar(&f.AuditPath, "target-audit-path", env("AUDIT_PATH"), "path of the target's audit log")
	fs.StringVar(&f.AuditPattern, "target-audit-pattern", env("AUDIT_PATTERN"), "regular expression of an unlink line in the audit log")
}

// Given reports whether any flag names a target (else the caller gates its default target).
func (f *TargetFlags) Given() bool { return f.Image != "" || f.Dockerfile != "" || f.URL != "" }

// Spec turns the flags into a target spec.
func (f *TargetFlags) Spec() (TargetSpec, error) {
	s := TargetSpec{
		Image: f.Image, Dockerfile: f.Dockerfile, ImageTag: f.ImageTag, URL: f.URL,
		Port: f.Port, BasePath: f.BasePath, Token: f.Token, ReadyPath: f.Ready,
		StartupTimeout: f.StartupTimeout, Env: map[string]string{},
		LinkProbe:  LinkProbe{Attribute: f.LinkAttribute},
		AuditProbe: AuditProbe{Path: f.AuditPath, Pattern: f.AuditPattern},
	}
	for _, kv := range f.Env {
		k, v, _ := strings.Cut(kv, "=")
		s.Env[k] = v
	}
	for _, d := range strings.Split(f.VerifiedDomains, ",") {
		if d = strings.TrimSpace(d); d != "" {
			s.VerifiedDomains = append(s.VerifiedDomains, d)
		}
	}
	if (f.AuditPath == "") != (f.AuditPattern == "") {
		return s, fmt.Errorf("--target-audit-path and --target-audit-pattern go together")
	}
	return s, s.Validate()
}

// EnvFlag is a repeatable K=V flag.
type EnvFlag []string

func (e *EnvFlag) String() string { return strings.Join(*e, ",") }

// Set adds one K=V.
func (e *EnvFlag) Set(v string) error {
	if k, _, ok := strings.Cut(v, "="); !ok || k == "" {
		return fmt.Errorf("%q is not K=V", v)
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

func intOr(v string, d int) int {
	var i int
	if _, err := fmt.Sscanf(v, "%d", &i); err == nil {
		return i
	}
	return d
}

func durOr(v string, d time.Duration) time.Duration {
	if x, err := time.ParseDuration(v); err == nil {
		return x
	}
	return d
}

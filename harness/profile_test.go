package harness

import (
	"errors"
	"flag"
	"maps"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
)

func writeProfile(t *testing.T, text string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "target.yaml")
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestParseProfileReadsEverySetting(t *testing.T) {
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "server"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "server", "Dockerfile"), []byte("FROM scratch\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(dir, "scimreplay.yaml")
	s, err := ParseProfile(file, []byte(`
version: 1
name: acme-scim
dockerfile: server
imageTag: acme/scim:ci
port: 9090
basePath: /api/scim
token: dev-token
env: {SCIM_TOKEN: "{{token}}", WORKERS: 2}
cmd: [serve, --addr, ":9090"]
ready: /healthz
startupTimeout: 2m
settle: 5s
verifiedDomains: [acme.example, " acme.test "]
linkProbe: {path: "/admin/links/{{id}}", pointer: /account/id}
auditProbe: {path: /admin/audit, pattern: "unlinked .* account"}
`))
	if err != nil {
		t.Fatal(err)
	}
	settle := 5 * time.Second
	want := TargetSpec{
		Name: "acme-scim", Dockerfile: filepath.Join(dir, "server"), ImageTag: "acme/scim:ci",
		Port: 9090, BasePath: "/api/scim", Token: "dev-token",
		Env:       map[string]string{"SCIM_TOKEN": "{{token}}", "WORKERS": "2"},
		Cmd:       []string{"serve", "--addr", ":9090"},
		ReadyPath: "/healthz", StartupTimeout: 2 * time.Minute, Settle: &settle,
		VerifiedDomains: []string{"acme.example", "acme.test"},
		LinkProbe:       LinkProbe{Path: "/admin/links/{{id}}", Pointer: "/account/id"},
		AuditProbe:      AuditProbe{Path: "/admin/audit", Pattern: "unlinked .* account"},
	}
	if !reflect.DeepEqual(s, want) {
		t.Errorf("profile read as\n%+v\nwant\n%+v", s, want)
	}
}

func mapString(m map[string]string) string {
	var kv []string
	for _, k := range slices.Sorted(maps.Keys(m)) {
		kv = append(kv, k+"="+m[k])
	}
	return strings.Join(kv, ",")
}

func TestParseProfileErrorsAtFileLineColumn(t *testing.T) {
	for name, c := range map[string]struct{ doc, want string }{
		"unknown key":       {"image: a:b\nimgae: c:d\n", `p.yaml:2:1: unknown key "imgae" in the target profile (known keys: auditProbe, basePath,`},
		"repeated key":      {"image: a:b\nport: 1\nport: 2\n", `p.yaml:3:1: key "port" is given twice`},
		"port as string":    {"image: a:b\nport: \"8080\"\n", `p.yaml:2:7: port must be a number from 1 to 65535, not "8080"`},
		"port out of range": {"image: a:b\nport: 70000\n", `p.yaml:2:7: port must be a number from 1 to 65535`},
		"bad duration":      {"image: a:b\nstartupTimeout: 60\n", `p.yaml:2:17: startupTimeout must be a positive duration such as 90s or 2m, not "60"`},
		"bad settle":        {"image: a:b\nsettle: 1h\n", `p.yaml:2:9: settle: "1h" is not a settle window: give a duration from 0 (off) to 10m, such as 2s`},
		"two sources":       {"image: a:b\nurl: http://127.0.0.1:1\n", `p.yaml:2:6: a target profile names at most one of image, dockerfile and url`},
		"bad url":           {"url: ftp://x\n", `p.yaml:1:6: url: "ftp://x" is not an http(s) URL`},
		"relative base":     {"image: a:b\nbasePath: scim/v2\n", `p.yaml:2:11: basePath must be a path starting with /`},
		"bad pattern":       {"image: a:b\nauditProbe: {path: /audit, pattern: \"(\"}\n", `p.yaml:2:37: auditProbe.pattern must be a non-empty regular expression`},
		"half audit":        {"image: a:b\nauditProbe:\n  path: /audit\n", `p.yaml:3:3: auditProbe: an audit probe needs both a path and a pattern`},
		"link both":         {"image: a:b\nlinkProbe:\n  attribute: x\n  path: /l\n", `p.yaml:3:3: linkProbe: a link probe is either a User attribute or an HTTP path`},
		"pointer only":      {"image: a:b\nlinkProbe:\n  pointer: /x\n", `p.yaml:3:3: linkProbe: a link probe pointer needs the HTTP path`},
		"link unknown key":  {"image: a:b\nlinkProbe:\n  atribute: x\n", `p.yaml:3:3: unknown key "atribute" in linkProbe (known keys: attribute, path, pointer)`},
		"env not scalar":    {"image: a:b\nenv:\n  A: [1]\n", `p.yaml:3:6: env A must be a string`},
		"env list":          {"image: a:b\nenv: [A=1]\n", `p.yaml:2:6: env must be a mapping`},
		"domain with @":     {"image: a:b\nverifiedDomains: [bob@acme.example]\n", `p.yaml:2:19: verifiedDomains: "bob@acme.example" is not a domain name`},
		"version":           {"version: 2\nimage: a:b\n", `p.yaml:1:10: version must be 1, not "2"`},
		"not a mapping":     {"- image: a:b\n", `p.yaml:1:1: the target profile must be a mapping`},
		"invalid yaml":      {"image: a:b\n  port: [\n", `p.yaml:2:1: invalid YAML:`},
		"empty":             {"", `p.yaml:1:1: empty target profile`},
		"two documents":     {"image: a:b\n---\nport: 1\n", `p.yaml:2:1: a target profile is one YAML document`},
		"no dockerfile":     {"dockerfile: nowhere\n", `p.yaml:1:13: dockerfile: nowhere holds no Dockerfile`},
		"null image":        {"image:\n", `p.yaml:1:7: image must be a string`},
		"spaces in image":   {"image: a b\n", `p.yaml:1:8: image must be a non-empty value without spaces, not "a b"`},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := ParseProfile("p.yaml", []byte(c.doc))
			if err == nil {
				t.Fatalf("no error for %q", c.doc)
			}
			if !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error\n  %v\nlacks\n  %s", err, c.want)
			}
		})
	}
}

func TestParseProfileReportsEveryErrorAtOnce(t *testing.T) {
	_, err := ParseProfile("p.yaml", []byte("imagee: a:b\nport: x\nbasePath: v2\nlinkProbe: {attribute: a, path: /p}\n"))
	var pe *ProfileError
	if !errors.As(err, &pe) {
		t.Fatalf("want a ProfileError, got %v", err)
	}
	for _, want := range []string{"p.yaml:1:1:", "p.yaml:2:7:", "p.yaml:3:11:", "p.yaml:4:12:"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("%q missing from %v", want, err)
		}
	}
}

// parseFlags binds TargetFlags to a fresh FlagSet with env as the environment and parses args.
func parseFlags(t *testing.T, env map[string]string, args ...string) *TargetFlags {
	t.Helper()
	var f TargetFlags
	fs := flag.NewFlagSet("test", flag.ContinueOnError)
	f.Bind(fs, func(k string) string { return env[k] })
	if err := fs.Parse(args); err != nil {
		t.Fatal(err)
	}
	return &f
}

func TestFlagsOverrideOnlyWhatTheyGive(t *testing.T) {
	profile := writeProfile(t, `
image: acme/scim:1
basePath: /api/scim
port: 9090
env: {SCIM_TOKEN: "{{token}}", MODE: strict}
verifiedDomains: [acme.example]
linkProbe: {attribute: accountId}
auditProbe: {path: /audit, pattern: unlinked}
`)
	t.Run("unset flags keep the profile, set flags win", func(t *testing.T) {
		f := parseFlags(t, nil, "--target-profile", profile, "--target-port", "7070", "--target-env", "MODE=lax", "--target-env", "EXTRA=1", "--target-audit-pattern", "removed")
		s, err := f.Spec()
		if err != nil {
			t.Fatal(err)
		}
		if s.Image != "acme/scim:1" || s.BasePath != "/api/scim" || s.Port != 7070 {
			t.Errorf("image %q base %q port %d: the flag defaults must not override the profile", s.Image, s.BasePath, s.Port)
		}
		if got := mapString(s.Env); got != "EXTRA=1,MODE=lax,SCIM_TOKEN={{token}}" {
			t.Errorf("env = %s: --target-env adds and overrides single variables", got)
		}
		if s.AuditProbe != (AuditProbe{Path: "/audit", Pattern: "removed"}) || s.LinkProbe.Attribute != "accountId" {
			t.Errorf("probes = %+v %+v", s.LinkProbe, s.AuditProbe)
		}
		if !f.Given() {
			t.Error("a profile names a target")
		}
	})
	t.Run("env vars override the profile, flags override env vars", func(t *testing.T) {
		env := map[string]string{"SCIMREPLAY_TARGET_BASE_PATH": "/env/scim", "SCIMREPLAY_TARGET_PORT": "6060"}
		f := parseFlags(t, env, "--target-profile", profile, "--target-port", "5050")
		s, err := f.Spec()
		if err != nil {
			t.Fatal(err)
		}
		if s.BasePath != "/env/scim" || s.Port != 5050 {
			t.Errorf("base %q port %d", s.BasePath, s.Port)
		}
	})
	t.Run("a source flag replaces the profile's source", func(t *testing.T) {
		f := parseFlags(t, nil, "--target-profile", profile, "--target-url", "http://127.0.0.1:1/")
		s, err := f.Spec()
		if err != nil {
			t.Fatal(err)
		}
		if s.Image != "" || s.URL != "http://127.0.0.1:1/" || s.LinkProbe.Attribute != "accountId" {
			t.Errorf("spec %+v", s)
		}
	})
	t.Run("a link path flag replaces the profile's attribute", func(t *testing.T) {
		f := parseFlags(t, nil, "--target-profile", profile, "--target-link-path", "/links", "--target-link-pointer", "/by-id")
		s, err := f.Spec()
		if err != nil {
			t.Fatal(err)
		}
		if s.LinkProbe != (LinkProbe{Path: "/links", Pointer: "/by-id"}) {
			t.Errorf("link probe %+v", s.LinkProbe)
		}
	})
}

func TestFlagErrors(t *testing.T) {
	noSource := writeProfile(t, "port: 9090\n")
	for name, c := range map[string]struct {
		env  map[string]string
		args []string
		want string
	}{
		"no source":          {nil, []string{"--target-profile", noSource}, "target from " + noSource + " and the flags: a target needs exactly one of image, dockerfile or url"},
		"bad env port":       {map[string]string{"SCIMREPLAY_TARGET_PORT": "http"}, []string{"--target-image", "a:b"}, `$SCIMREPLAY_TARGET_PORT="http" is not a port number`},
		"bad env timeout":    {map[string]string{"SCIMREPLAY_TARGET_STARTUP_TIMEOUT": "5"}, []string{"--target-image", "a:b"}, `$SCIMREPLAY_TARGET_STARTUP_TIMEOUT="5" is not a duration`},
		"bad domain":         {nil, []string{"--target-image", "a:b", "--target-verified-domains", "acme.example,@x"}, `--target-verified-domains: "@x" is not a domain name`},
		"half audit":         {nil, []string{"--target-image", "a:b", "--target-audit-path", "/audit"}, "an audit probe needs both a path and a pattern"},
		"bad audit pattern":  {nil, []string{"--target-image", "a:b", "--target-audit-path", "/a", "--target-audit-pattern", "[x"}, "audit probe pattern: error parsing regexp"},
		"pointer, no path":   {nil, []string{"--target-image", "a:b", "--target-link-pointer", "/x"}, "a link probe pointer needs the HTTP path"},
		"missing profile":    {nil, []string{"--target-profile", filepath.Join(t.TempDir(), "none.yaml")}, "read target profile:"},
		"relative base path": {nil, []string{"--target-image", "a:b", "--target-base-path", "scim"}, `target path "scim" must start with /`},
		"bad settle":         {nil, []string{"--target-image", "a:b", "--settle", "soon"}, `--settle: "soon" is not a settle window`},
		"negative settle":    {map[string]string{"SCIMREPLAY_SETTLE": "-1s"}, []string{"--target-image", "a:b"}, `--settle: "-1s" is not a settle window`},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := parseFlags(t, c.env, c.args...).Spec()
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error %v, want %q", err, c.want)
			}
		})
	}
	t.Run("a flag given on the command line mends its bad env var", func(t *testing.T) {
		f := parseFlags(t, map[string]string{"SCIMREPLAY_TARGET_PORT": "http"}, "--target-image", "a:b", "--target-port", "8081")
		if s, err := f.Spec(); err != nil || s.Port != 8081 {
			t.Fatalf("port %d, err %v", s.Port, err)
		}
	})
	t.Run("--settle 0 turns the window off, over the profile's", func(t *testing.T) {
		p := writeProfile(t, "image: a:b\nsettle: 9s\n")
		s, err := parseFlags(t, nil, "--target-profile", p).Spec()
		if err != nil || s.SettleWindow() != 9*time.Second {
			t.Fatalf("profile settle: %v %v", s.SettleWindow(), err)
		}
		s, err = parseFlags(t, nil, "--target-profile", p, "--settle", "0").Spec()
		if err != nil || s.Settle == nil || s.SettleWindow() != 0 {
			t.Fatalf("--settle 0: %v %v", s.Settle, err)
		}
		if (TargetSpec{}).SettleWindow() != DefaultSettle {
			t.Fatal("an unset window is not the default")
		}
	})
	t.Run("an env K=V needs a name", func(t *testing.T) {
		var e EnvFlag
		if err := e.Set("=x"); err == nil {
			t.Fatal("=x accepted")
		}
		if err := e.Set("A=b=c"); err != nil || e.String() != "A=b=c" {
			t.Fatalf("A=b=c: %v %q", err, e.String())
		}
	})
}

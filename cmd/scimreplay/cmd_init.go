package main

import (
	"bufio"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"maps"
	"net/url"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/testcontainers/testcontainers-go"
	"github.com/testcontainers/testcontainers-go/wait"
	"golang.org/x/term"

	"github.com/scimreplay/scimreplay/harness"
	"github.com/scimreplay/scimreplay/harness/discover"
)

func init() {
	register("init", "discover how to gate a SCIM server (base path, token, link) and write a commented target profile", runInit)
}

// runInit starts (or reaches) a target, discovers how to gate it (harness/discover) and writes
// a target profile that `scimreplay gate --target-profile` reads.
func runInit(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("init", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var tf harness.TargetFlags
	tf.Bind(fs, os.Getenv)
	out := fs.String("out", "scimreplay.yaml", "write the target profile to this file")
	force := fs.Bool("force", false, "overwrite --out if it exists")
	timeout := fs.Duration("request-timeout", discover.DefaultRequestTimeout, "bound each request to the target")
	if err := fs.Parse(args); err != nil {
		return exitCannotRun
	}
	fail := func(format string, a ...any) int {
		fmt.Fprintf(stderr, "scimreplay init: "+format+"\n", a...)
		return exitCannotRun
	}
	if fs.NArg() > 0 {
		return fail("unexpected arguments %q", fs.Args())
	}
	if !tf.Given() {
		return fail("name the server: --target-image IMG, --target-dockerfile DIR or --target-url URL")
	}
	if *timeout <= 0 {
		return fail("--request-timeout must be positive")
	}
	if _, err := os.Stat(*out); err == nil && !*force {
		return fail("%s exists: give --force to overwrite it, or another --out", *out)
	}
	spec, err := tf.Spec()
	if err != nil {
		return fail("%v", err)
	}
	given := givenBasePath(spec)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	runID := harness.NewRunID()
	root, query := "", ""
	if spec.URL != "" {
		u, _ := url.Parse(spec.URL) // Validate checked it
		root, query = u.Scheme+"://"+u.Host, u.RawQuery
	} else {
		quietDocker()
		spec.Labels = harness.RunLabels(runID)
		fmt.Fprintf(stdout, "starting %s (its container carries the label %s=%s)\n", spec.WithDefaults().Name, harness.LabelRun, runID)
		t, err := startForInit(ctx, spec)
		defer func() {
			cctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			_ = t.Terminate(cctx)
			_, _ = harness.RemoveOwn(cctx, runID)
		}()
		if err != nil {
			return fail("%s", oneLineErr(err))
		}
		spec.Token = t.Spec.Token // the random one a container gets when none is given
		if root, err = t.RootURL(ctx); err != nil {
			return fail("%v", err)
		}
	}
	domains := spec.VerifiedDomains
	if len(domains) == 0 {
		domains = askDomains(stdout)
	}
	f, err := discover.Run(ctx, discover.Options{
		Root: root, BasePath: given, Query: query, Token: spec.Token, RequestTimeout: *timeout,
		Link: spec.LinkProbe, Audit: spec.AuditProbe, VerifiedDomains: domains, RunID: runID, Progress: stdout,
	})
	cleaned := sayCleanup(stdout, stderr, spec, f)
	if err != nil {
		if ctx.Err() != nil {
			return fail("interrupted: no profile written")
		}
		return fail("%s", oneLineErr(err))
	}
	profile := writeProfile(spec, given, domains, f, *out)
	if _, err := harness.ParseProfile(*out, profile); err != nil {
		return fail("the profile written does not load (a bug in init, please report it): %v", err)
	}
	flags := os.O_WRONLY | os.O_CREATE | os.O_EXCL
	if *force {
		flags = os.O_WRONLY | os.O_CREATE | os.O_TRUNC
	}
	file, err := os.OpenFile(*out, flags, 0o644)
	if err != nil {
		return fail("%v", err)
	}
	if _, err := file.Write(profile); err != nil {
		file.Close()
		return fail("write %s: %v", *out, err)
	}
	if err := file.Close(); err != nil {
		return fail("write %s: %v", *out, err)
	}
	fmt.Fprintf(stdout, "wrote %s\n", *out)
	next := "scimreplay gate --target-profile " + shellQuote(*out)
	if spec.Token != "" && (spec.URL != "" || tf.Token != "") {
		next = "SCIMREPLAY_TARGET_TOKEN=… " + next + "   # init does not write the token"
	}
	fmt.Fprintf(stdout, "next: %s\n", next)
	if !cleaned {
		return exitCannotRun
	}
	return exitOK
}

// givenBasePath is the base path the user gave: a target URL's path, or --target-base-path
// (flag, env var or profile) for a container or a URL without a path; "" when none was, so
// discovery tries the usual ones.
func givenBasePath(spec harness.TargetSpec) string {
	if spec.URL != "" {
		if u, err := url.Parse(spec.URL); err == nil && strings.Trim(u.Path, "/") != "" {
			return u.Path
		}
	}
	return spec.BasePath // TargetFlags.Spec leaves it empty unless the flag, env var or profile gave it
}

// startForInit starts a container target and waits only until it answers HTTP at all: its SCIM
// base path is what init is about to find.
func startForInit(ctx context.Context, spec harness.TargetSpec) (*harness.Target, error) {
	s := spec.WithDefaults()
	port := strconv.Itoa(s.Port) + "/tcp"
	anyAnswer := wait.ForHTTP("/").WithPort(port).WithStatusCodeMatcher(func(int) bool { return true }).
		WithStartupTimeout(s.StartupTimeout)
	return harness.Run(ctx, spec, testcontainers.WithWaitStrategyAndDeadline(s.StartupTimeout, anyAnswer))
}

func oneLineErr(err error) string { return strings.Join(strings.Fields(err.Error()), " ") }

// sayCleanup tells what became of the throwaway org; false when some of it is left on a server
// that outlives the run.
func sayCleanup(stdout, stderr io.Writer, spec harness.TargetSpec, f *discover.Findings) bool {
	if f == nil || f.Created == 0 {
		return true
	}
	if spec.URL == "" {
		fmt.Fprintf(stdout, "removed the container and the %d users and groups init created in it\n", f.Created)
		return true
	}
	if len(f.Left) == 0 {
		fmt.Fprintf(stdout, "removed the %d users and groups init created on %s\n", f.Removed, harness.RedactURL(spec.URL))
		return true
	}
	fmt.Fprintf(stderr, "scimreplay init: could not remove %d of the %d users and groups it created; remove them by hand:\n", len(f.Left), f.Created)
	for _, l := range f.Left {
		fmt.Fprintf(stderr, "  %s\n", l)
	}
	return false
}

// askDomains asks for the verified domains when a person is at the terminal; in a script or
// CI it asks nothing and the profile gets a marked placeholder.
func askDomains(stdout io.Writer) []string {
	if os.Getenv("CI") != "" || !term.IsTerminal(int(os.Stdin.Fd())) {
		return nil
	}
	fmt.Fprint(stdout, "verified domains of the server (users elsewhere are unmanaged), comma-separated, empty to leave a placeholder: ")
	line, _ := bufio.NewReader(os.Stdin).ReadString('\n')
	var out []string
	for _, d := range strings.Split(line, ",") {
		if d = strings.TrimSpace(d); d != "" && strings.Contains(d, ".") && !strings.ContainsAny(d, "@/ :") {
			out = append(out, d)
		}
	}
	return out
}

// q quotes a YAML scalar (a JSON string is a YAML double-quoted one).
func q(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

func shellQuote(s string) string {
	if s != "" && !strings.ContainsAny(s, " '\"$`\\!*?[]{}()<>|&;#~") {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// writeProfile is the commented target profile: what was found as settings, what was not as
// comments saying what to set by hand.
func writeProfile(spec harness.TargetSpec, given string, domains []string, f *discover.Findings, out string) []byte {
	var b strings.Builder
	line := func(format string, a ...any) { fmt.Fprintf(&b, format+"\n", a...) }
	comment := func(text string) {
		for _, l := range strings.Split(text, "\n") {
			line("# %s", l)
		}
	}
	name := spec.WithDefaults().Name
	comment(fmt.Sprintf("scimreplay target profile for %s, written by `scimreplay init` on %s.", name, time.Now().UTC().Format("2006-01-02")))
	comment("Gate with: scimreplay gate --target-profile " + out)
	line("version: %d", harness.ProfileVersion)
	line("name: %s", q(name))
	switch {
	case spec.Image != "":
		line("image: %s", q(spec.Image))
	case spec.Dockerfile != "":
		dir := spec.Dockerfile
		if abs, err := filepath.Abs(dir); err == nil {
			if od, err := filepath.Abs(filepath.Dir(out)); err == nil {
				if rel, err := filepath.Rel(od, abs); err == nil {
					dir = rel
				}
			}
		}
		line("dockerfile: %s  # relative to this file", q(dir))
		if spec.ImageTag != "" {
			line("imageTag: %s", q(spec.ImageTag))
		}
	}
	line("")
	comment("SCIM API: " + f.BasePathNote + ".")
	if spec.URL != "" {
		u, _ := url.Parse(spec.URL)
		base := strings.TrimSuffix(u.Scheme+"://"+u.Host+strings.TrimSuffix(f.BasePath, "/"), "/")
		if f.BasePath == "/" {
			base += "/"
		}
		if u.RawQuery != "" {
			base += "?" + u.RawQuery
		}
		line("url: %s", q(base))
	} else {
		line("port: %d", spec.WithDefaults().Port)
		line("basePath: %s", q(f.BasePath))
	}
	if spec.ReadyPath != "" {
		line("ready: %s", q(spec.ReadyPath))
	}
	if spec.StartupTimeout != 0 {
		line("startupTimeout: %s", q(spec.StartupTimeout.String()))
	}
	line("")
	comment("Token: " + f.TokenNote + ".")
	switch {
	case spec.URL != "" && spec.Token != "":
		comment("Not written here: give it with --target-token or $SCIMREPLAY_TARGET_TOKEN.")
	case spec.URL != "":
		comment("None was given. If the server wants one: --target-token or $SCIMREPLAY_TARGET_TOKEN.")
	default:
		comment("A container gets a fresh random token each run; env values reach it as {{token}}.")
	}
	if len(spec.Env) > 0 {
		line("env:")
		for _, k := range slices.Sorted(maps.Keys(spec.Env)) {
			v := spec.Env[k]
			if spec.Token != "" {
				v = strings.ReplaceAll(v, spec.Token, "{{token}}")
			}
			line("  %s: %s", k, q(v))
		}
	}
	if len(spec.Cmd) > 0 {
		parts := make([]string, len(spec.Cmd))
		for i, c := range spec.Cmd {
			parts[i] = q(c)
		}
		line("cmd: [%s]", strings.Join(parts, ", "))
	}
	line("")
	comment("What the server says about itself:")
	comment("  ServiceProviderConfig: " + f.ServiceProviderConfig)
	comment("  Schemas: " + f.Schemas)
	comment("  ResourceTypes: " + f.ResourceTypes)
	comment("What a throwaway org of 3 users and 1 group, provisioned the way Okta does, showed (init removed it):")
	for _, c := range f.Checks {
		mark := ""
		if !c.OK {
			mark = "  <- WARNING"
		}
		comment(fmt.Sprintf("  %s: %s%s", c.Name, c.Note, mark))
	}
	line("")
	comment("Verified domains make a user managed; users on other domains are unmanaged (the ones")
	comment("ACCESS-1003 unlinked). They cannot be discovered.")
	if len(domains) > 0 {
		parts := make([]string, len(domains))
		for i, d := range domains {
			parts[i] = q(d)
		}
		line("verifiedDomains: [%s]", strings.Join(parts, ", "))
	} else {
		comment("TODO(scimreplay init): list your server's verified domains and uncomment:")
		comment("verifiedDomains: [\"example.com\"]")
	}
	line("")
	comment("Link: " + f.LinkNote + ".")
	switch {
	case f.Link.Attribute != "":
		line("linkProbe:")
		line("  attribute: %s", q(f.Link.Attribute))
		if len(f.LinkCandidates) > 0 {
			comment("Other attributes that looked like a link: " + strings.Join(f.LinkCandidates, ", "))
		}
	case f.Link.Path != "":
		line("linkProbe:")
		line("  path: %s", q(f.Link.Path))
		if f.Link.Pointer != "" {
			line("  pointer: %s", q(f.Link.Pointer))
		}
	default:
		comment("TODO(scimreplay init): without a link probe the gate checks memberships but not links:")
		comment("linkProbe: {attribute: \"urn:…:User:accountId\"}   # or {path: /admin/links/{{id}}, pointer: /account}")
	}
	line("")
	comment("Audit log: " + f.AuditNote + ".")
	switch {
	case f.Audit.Enabled():
		line("auditProbe:")
		line("  path: %s", q(f.Audit.Path))
		line("  pattern: %s", q(f.Audit.Pattern))
	case spec.AuditProbe.Enabled():
		comment(fmt.Sprintf("auditProbe: {path: %s, pattern: %s}", q(spec.AuditProbe.Path), q(spec.AuditProbe.Pattern)))
	default:
		comment("If the server writes one, name its path and an unlink line's pattern:")
		comment("auditProbe: {path: /admin/audit, pattern: \"unlink\"}")
	}
	line("")
	comment(fmt.Sprintf("The after-state is held for %s after the force sync's last request (a server that", harness.DefaultSettle))
	comment("works in the background); 0 reads it once.")
	comment("settle: 2s")
	return []byte(b.String())
}

package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"time"

	"github.com/scimreplay/scimreplay/harness"
	"github.com/scimreplay/scimreplay/harness/record"
)

func init() {
	register("record", "record an identity provider's SCIM traffic through a reverse proxy into a scenario", runRecord)
}

func runRecord(args []string, stdout, stderr io.Writer) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return recordUntilDone(ctx, args, stdout, stderr)
}

// recordUntilDone serves the recording proxy until ctx ends (SIGINT or SIGTERM), then writes
// the scenario.
func recordUntilDone(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("record", flag.ContinueOnError)
	fs.SetOutput(stderr)
	listen := fs.String("listen", "127.0.0.1:8089", "address the proxy listens on (the identity provider's SCIM URL points here)")
	upstream := fs.String("upstream", "", "the SCIM server's base URL, e.g. https://scim.example.com/scim/v2")
	out := fs.String("out", "", "write the scenario to this file when recording stops")
	pseudo := fs.Bool("pseudonymise", false, "replace emails and names with consistent pseudonyms")
	phase := fs.String("phase", "auto", "phase recording starts in: auto, provision or forceSync (POST "+record.PhasePath+"<phase> to the proxy switches)")
	timeout := fs.Duration("timeout", harness.DefaultRequestTimeout, "give up on an upstream answer after this long")
	idp := fs.String("idp", "auto", "whose traffic it is: okta, entra, or auto (told by the User-Agent and the request shapes)")
	var so record.Options
	fs.StringVar(&so.Name, "name", "", "scenario name (default: from --out)")
	fs.StringVar(&so.Title, "title", "", "scenario title")
	fs.StringVar(&so.Source, "source", "", "where the traffic comes from (default: recorded from the upstream's host)")
	if err := fs.Parse(args); err != nil {
		return exitCannotRun
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "scimreplay record: unexpected arguments %q\n", fs.Args())
		return exitCannotRun
	}
	if *upstream == "" || *out == "" {
		fmt.Fprintln(stderr, "scimreplay record: --upstream URL and --out FILE.yaml are required")
		return exitCannotRun
	}
	if err := checkIdPFlag(*idp); err != nil {
		fmt.Fprintf(stderr, "scimreplay record: %v\n", err)
		return exitCannotRun
	}
	start := record.PhaseAuto
	if *phase != "auto" {
		p, ok := record.ParsePhase(*phase)
		if !ok {
			fmt.Fprintf(stderr, "scimreplay record: --phase %q: want auto, provision, forceSync or verify\n", *phase)
			return exitCannotRun
		}
		start = p
	}
	proxy, err := record.NewProxy(*upstream, *timeout, start)
	if err != nil {
		fmt.Fprintf(stderr, "scimreplay record: --upstream: %v\n", err)
		return exitCannotRun
	}
	if so.Name == "" {
		so.Name = nameFromPath(*out)
	}
	if so.Source == "" {
		so.Source = "SCIM traffic recorded with scimreplay record in front of " + upstreamHost(*upstream)
	}
	so.Labels = []string{"recorded"}
	so.Comment = []string{"Recorded by scimreplay record; credentials redacted" + pseudoNote(*pseudo) + "."}
	// Fail early on a file that cannot be written, before any traffic is recorded.
	if err := checkWritable(*out); err != nil {
		fmt.Fprintf(stderr, "scimreplay record: --out: %v\n", err)
		return exitCannotRun
	}

	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		fmt.Fprintf(stderr, "scimreplay record: %v\n", err)
		return exitCannotRun
	}
	srv := &http.Server{Handler: proxy, ReadHeaderTimeout: 30 * time.Second}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	addr := "http://" + ln.Addr().String()
	fmt.Fprintf(stdout, "recording on %s → %s\n", addr, harness.RedactURL(*upstream))
	fmt.Fprintf(stdout, "mark the force sync with: curl -X POST %s%sforceSync\n", addr, record.PhasePath)
	fmt.Fprintln(stdout, "stop with Ctrl-C (SIGINT) or SIGTERM to write", *out)

	select {
	case <-ctx.Done():
	case err := <-served:
		fmt.Fprintf(stderr, "scimreplay record: the proxy stopped: %v\n", err)
	}
	shutdown, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_ = srv.Shutdown(shutdown) // waits for exchanges in flight, bounded
	exs, failed := proxy.Stop()
	if failed > 0 {
		fmt.Fprintf(stderr, "scimreplay record: the upstream did not answer %d requests (not recorded)\n", failed)
	}
	if len(exs) == 0 {
		fmt.Fprintln(stderr, "scimreplay record: nothing was recorded; no file written")
		return exitCannotRun
	}
	if *pseudo {
		record.Pseudonymise(exs)
	}
	chooseIdP(&so, *idp, exs, stdout)
	scn, warnings, err := record.Build(exs, so)
	for _, w := range warnings {
		fmt.Fprintf(stderr, "scimreplay record: %s\n", w)
	}
	if err != nil {
		fmt.Fprintf(stderr, "scimreplay record: %v\n", err)
		return exitCannotRun
	}
	if err := record.WriteFile(*out, scn); err != nil {
		fmt.Fprintf(stderr, "scimreplay record: %v\n", err)
		return exitCannotRun
	}
	fmt.Fprintf(stdout, "wrote %s: %d exchanges\n", *out, len(exs))
	return exitOK
}

func checkWritable(path string) error {
	dir := filepath.Dir(path)
	st, err := os.Stat(dir)
	if err != nil {
		return err
	}
	if !st.IsDir() {
		return fmt.Errorf("%s is not a directory", dir)
	}
	f, err := os.CreateTemp(dir, ".scimreplay-check-*")
	if err != nil {
		return err
	}
	name := f.Name()
	f.Close()
	return os.Remove(name)
}

func upstreamHost(raw string) string {
	if i := strings.Index(raw, "://"); i >= 0 {
		rest := raw[i+3:]
		if j := strings.IndexAny(rest, "/?#"); j >= 0 {
			rest = rest[:j]
		}
		if k := strings.LastIndexByte(rest, '@'); k >= 0 {
			rest = rest[k+1:] // never user:password@
		}
		return rest
	}
	return harness.RedactURL(raw)
}

var nonName = regexp.MustCompile(`[^a-z0-9-]+`)

// nameFromPath derives a scenario name from an output file: ./Okta Sync.yaml → okta-sync.
func nameFromPath(p string) string {
	base := strings.TrimSuffix(strings.TrimSuffix(filepath.Base(p), ".yaml"), ".yml")
	n := strings.Trim(nonName.ReplaceAllString(strings.ToLower(base), "-"), "-")
	if n == "" {
		return "recording"
	}
	return n
}

// parseInterleaved parses flags that may come after positional arguments
// (import-har FILE.har --out x.yaml), returning the positional ones.
func parseInterleaved(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		if fs.NArg() == 0 {
			return pos, nil
		}
		rest := fs.Args()
		if rest[0] == "--" {
			return append(pos, rest[1:]...), nil
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
}

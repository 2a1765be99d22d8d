package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/scimreplay/scimreplay/fakes/directory"
)

func init() {
	register("directory", "serve the reference SCIM directory (flags default to DIRECTORY_* env vars)", runDirectory)
}

func runDirectory(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("directory", flag.ContinueOnError)
	fs.SetOutput(stderr)
	base, err := directory.ConfigFromEnv(os.Getenv)
	if err != nil {
		fmt.Fprintf(stderr, "scimreplay directory: %v\n", err)
		return exitCannotRun
	}
	addr := fs.String("addr", "127.0.0.1:8080", "listen address")
	token := fs.String("token", base.Token, "bearer token required on every request ($DIRECTORY_TOKEN)")
	domains := fs.String("verified-domains", strings.Join(base.VerifiedDomains, ","), "comma list of verified domains: their users are managed ($DIRECTORY_VERIFIED_DOMAINS)")
	faults := fs.String("faults", strings.Join(base.Faults, ","), "comma list of fault modes, see `scimreplay faults` ($DIRECTORY_FAULTS)")
	seeds := fs.String("seed-accounts", "", "email=accountId,… pre-existing accounts unmanaged users link to ($DIRECTORY_SEED_ACCOUNTS)")
	basePath := fs.String("base-path", base.BasePath, "SCIM base path ($DIRECTORY_BASE_PATH)")
	if err := fs.Parse(args); err != nil {
		return exitCannotRun
	}
	cfg := base
	cfg.Token, cfg.BasePath = *token, *basePath
	cfg.VerifiedDomains = splitList(*domains)
	if cfg.Faults, err = directory.ParseFaults(*faults); err != nil {
		fmt.Fprintf(stderr, "scimreplay directory: --faults: %v\n", err)
		return exitCannotRun
	}
	if *seeds != "" {
		if cfg.SeedAccounts, err = directory.ParseAccounts(*seeds); err != nil {
			fmt.Fprintf(stderr, "scimreplay directory: --seed-accounts: %v\n", err)
			return exitCannotRun
		}
	}
	d, err := directory.New(cfg)
	if err != nil {
		fmt.Fprintf(stderr, "scimreplay directory: %v\n", err)
		return exitCannotRun
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		fmt.Fprintf(stderr, "scimreplay directory: %v\n", err)
		return exitCannotRun
	}
	logger := log.New(stdout, "directory: ", log.LstdFlags)
	srv := &http.Server{Handler: d, ReadHeaderTimeout: 10 * time.Second}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	go func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
	}()
	logger.Printf("serving SCIM at http://%s%s (verified domains %v, faults %v, auth %t)",
		ln.Addr(), cfg.BasePath, cfg.VerifiedDomains, cfg.Faults, cfg.Token != "")
	if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
		logger.Print(err)
		return exitCannotRun
	}
	return exitOK
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

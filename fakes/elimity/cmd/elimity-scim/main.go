// Command elimity-scim serves the in-memory SCIM 2.0 server of package elimity, built on the
// third-party library github.com/elimity-com/scim, as a scimreplay target.
//
// Environment: ELIMITY_ADDR (listen address, default ":8080"), ELIMITY_TOKEN (bearer token; none
// when empty), ELIMITY_VERIFIED_DOMAINS (comma list), ELIMITY_VARIANTS (comma list of harmful
// variants), ELIMITY_BASE_PATH (default /scim/v2). It logs one line per request to stderr and
// stops on SIGINT or SIGTERM.
package main

import (
	"context"
	"errors"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/scimreplay/scimreplay/fakes/elimity"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "elimity-scim:", err)
		os.Exit(1)
	}
}

func run() error {
	cfg, err := elimity.ConfigFromEnv(os.Getenv)
	if err != nil {
		return fmt.Errorf("bad configuration: %w", err)
	}
	srv, err := elimity.New(cfg)
	if err != nil {
		return fmt.Errorf("bad configuration: %w", err)
	}
	addr := os.Getenv("ELIMITY_ADDR")
	if addr == "" {
		addr = ":8080"
	}
	logger := log.New(os.Stderr, "", log.LstdFlags|log.LUTC)
	hs := &http.Server{
		Addr:              addr,
		Handler:           elimity.LogRequests(srv, logger),
		ReadHeaderTimeout: 10 * time.Second,
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	// Listen first, so that the line below names the port a ":0" address was given.
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	base := cfg.BasePath
	if base == "" {
		base = elimity.DefaultBasePath
	}
	logger.Printf("elimity-scim listening on %s, base path %s, variants %v", ln.Addr(), base, cfg.Variants)
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := hs.Shutdown(shutdown); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

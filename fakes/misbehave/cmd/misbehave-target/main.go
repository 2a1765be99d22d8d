// Command misbehave-target serves the reference SCIM directory behind a misbehave.Handler: the
// misbehaving target the reliability tests run as a container. It is configured by the
// directory's DIRECTORY_* and misbehave's MISBEHAVE_* environment variables; in "die" mode the
// process exits at once with status 137, as if killed.
package main

import (
	"fmt"
	"net/http"
	"os"
	"time"

	"github.com/scimreplay/scimreplay/fakes/directory"
	"github.com/scimreplay/scimreplay/fakes/misbehave"
)

func main() {
	cfg, err := directory.ConfigFromEnv(os.Getenv)
	if err != nil {
		fail(err)
	}
	d, err := directory.New(cfg)
	if err != nil {
		fail(err)
	}
	h, err := misbehave.FromEnv(d, os.Getenv)
	if err != nil {
		fail(err)
	}
	// A container's pid 1 cannot SIGKILL itself (the kernel ignores it), so it exits with the
	// status a SIGKILL gives. The reliability test kills a container from outside instead.
	h.Die = func() { os.Exit(137) }
	addr := os.Getenv("MISBEHAVE_ADDR")
	if addr == "" {
		addr = ":8080"
	}
	fmt.Printf("misbehave-target: serving on %s, mode %q, trigger %q, skip %d\n", addr, h.Mode, h.Trigger, h.Skip)
	srv := &http.Server{Addr: addr, Handler: h, ReadHeaderTimeout: 10 * time.Second}
	fail(srv.ListenAndServe())
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "misbehave-target:", err)
	os.Exit(2)
}

// Package gctune sets the garbage collector of scimreplay's own processes (the CLI and the bench
// driver; not the harness library, whose importers choose their own settings).
//
// A replay allocates a few kilobytes per request (answers it keeps for Okta's echo, the bodies it
// builds); with Go's default GOGC=100 and the small live heap of a gate, the collector ran every
// few hundred requests and its mark phase took CPU from the target on the same machine.
// GOGC=400 makes it run a quarter as often, and a soft memory limit keeps a large org's peak
// bounded (the collector works harder near it instead of growing further).
package gctune

import (
	"os"
	"runtime/debug"
)

const (
	// Percent is the GOGC the processes run with.
	Percent = 400
	// Limit is their soft memory limit (GOMEMLIMIT).
	Limit = 256 << 20
)

// Apply sets GOGC to Percent and the memory limit to Limit, each unless the environment already
// sets it (GOGC, GOMEMLIMIT), which the Go runtime has then applied itself.
func Apply() {
	if _, ok := os.LookupEnv("GOGC"); !ok {
		debug.SetGCPercent(Percent)
	}
	if _, ok := os.LookupEnv("GOMEMLIMIT"); !ok {
		debug.SetMemoryLimit(Limit)
	}
}

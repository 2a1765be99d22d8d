// Package gctune sets the garbage collector of scimreplay's own processes (the CLI, the reference
// directory it serves and the bench driver; not the harness library, whose importers choose their
// own settings).
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
func Apply() { apply(Percent, Limit) }

// TargetLimit is the soft memory limit of the reference directory's process (`scimreplay
// directory`), which runs with GOGC=Percent too.
const TargetLimit = 1 << 30

// ApplyTarget is Apply for the reference directory: its live heap is its whole state (about
// 340 MB at 100k users), so Limit would be below it and the collector would run without pause;
// the soft limit is TargetLimit instead, well above a large org's state, below what GOGC=400
// alone would let a 100k-user directory grow to (5 times its state).
func ApplyTarget() { apply(Percent, TargetLimit) }

func apply(percent int, limit int64) {
	if _, ok := os.LookupEnv("GOGC"); !ok {
		debug.SetGCPercent(percent)
	}
	if _, ok := os.LookupEnv("GOMEMLIMIT"); !ok {
		debug.SetMemoryLimit(limit)
	}
}

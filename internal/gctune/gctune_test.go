package gctune

import (
	"math"
	"os"
	"runtime/debug"
	"testing"
)

// current reads the settings without changing them (each setter returns the previous value).
func current() (percent int, limit int64) {
	percent = debug.SetGCPercent(100)
	debug.SetGCPercent(percent)
	return percent, debug.SetMemoryLimit(-1) // a negative limit only reads it
}

func TestApplySetsWhatTheEnvironmentLeavesUnset(t *testing.T) {
	p0, l0 := current()
	t.Cleanup(func() { debug.SetGCPercent(p0); debug.SetMemoryLimit(l0) })

	debug.SetGCPercent(100)
	debug.SetMemoryLimit(math.MaxInt64)
	t.Setenv("GOGC", "")
	t.Setenv("GOMEMLIMIT", "")
	Apply() // both set in the environment (even empty): the runtime's choice stands
	ApplyTarget()
	if p, l := current(); p != 100 || l != math.MaxInt64 {
		t.Fatalf("with GOGC and GOMEMLIMIT set, Apply or ApplyTarget changed them to %d, %d", p, l)
	}
}

func TestApplyWithoutEnvironment(t *testing.T) {
	p0, l0 := current()
	t.Cleanup(func() { debug.SetGCPercent(p0); debug.SetMemoryLimit(l0) })
	for _, k := range []string{"GOGC", "GOMEMLIMIT"} {
		if v, ok := os.LookupEnv(k); ok {
			t.Cleanup(func() { os.Setenv(k, v) })
		}
		os.Unsetenv(k)
	}
	debug.SetGCPercent(100)
	debug.SetMemoryLimit(math.MaxInt64)
	Apply()
	if p, l := current(); p != Percent || l != Limit {
		t.Fatalf("Apply left GOGC %d and the limit %d, want %d and %d", p, l, Percent, Limit)
	}
	debug.SetGCPercent(100)
	debug.SetMemoryLimit(math.MaxInt64)
	ApplyTarget()
	if p, l := current(); p != Percent || l != TargetLimit {
		t.Fatalf("ApplyTarget left GOGC %d and the limit %d, want %d and %d", p, l, Percent, TargetLimit)
	}
}

package explore

import (
	"flag"
	"fmt"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"pgregory.net/rapid"
)

// rapid is driven through its public Check, which is made for tests: it reads its settings from
// its rapid.* flags on flag.CommandLine and calls testing.Short. check gives it both outside a
// test (a CLI), and a TB that keeps its lines and stops the check on FailNow as testing.T does.

var rapidMu sync.Mutex // rapid's settings are process-wide: one check at a time

// checkSettings are the rapid settings of one check.
type checkSettings struct {
	seed       uint64        // rapid.seed (never 0, which rapid takes for "random")
	checks     int           // rapid.checks: the runs before a failure
	shrinkTime time.Duration // rapid.shrinktime
}

// check runs rapid.Check(prop) with the settings, in a goroutine of its own so that prop (or
// rapid's end of a failed check) may stop it with runtime.Goexit. It returns what rapid logged
// and a panic that escaped rapid (a failure it could not reproduce while shrinking), if any.
func check(s checkSettings, prop func(*rapid.T)) (log string, escaped any) {
	rapidMu.Lock()
	defer rapidMu.Unlock()
	if flag.Lookup("test.short") == nil {
		testing.Init() // rapid.Check asks testing.Short
	}
	if !flag.Parsed() {
		_ = flag.CommandLine.Parse(nil)
	}
	for name, v := range map[string]string{
		"rapid.seed":       strconv.FormatUint(s.seed, 10),
		"rapid.checks":     strconv.Itoa(s.checks),
		"rapid.shrinktime": s.shrinkTime.String(),
		"rapid.nofailfile": "true", // what explore found goes to its own files
		"rapid.v":          "false",
		"rapid.log":        "false",
	} {
		if err := flag.CommandLine.Set(name, v); err != nil {
			panic(fmt.Sprintf("explore: set %s: %v", name, err)) // rapid renamed a flag: a build problem
		}
	}
	tb := &rapidTB{}
	done := make(chan struct{})
	go func() {
		defer close(done)
		defer func() { escaped = recover() }()
		rapid.Check(tb, prop)
	}()
	<-done
	return tb.String(), escaped
}

// rapidTB is the rapid.TB of a check run outside a test: it keeps rapid's lines, and FailNow
// (and Skip) end the check's goroutine as testing.T's do.
type rapidTB struct {
	mu     sync.Mutex
	lines  []string
	failed bool
}

func (tb *rapidTB) logf(format string, args ...any) {
	tb.mu.Lock()
	defer tb.mu.Unlock()
	if len(tb.lines) < 200 {
		tb.lines = append(tb.lines, strings.TrimSpace(fmt.Sprintf(format, args...)))
	}
}

func (tb *rapidTB) String() string {
	tb.mu.Lock()
	defer tb.mu.Unlock()
	return strings.Join(tb.lines, "\n")
}

func (tb *rapidTB) Helper()                           {}
func (tb *rapidTB) Name() string                      { return "explore" }
func (tb *rapidTB) Logf(format string, args ...any)   { tb.logf(format, args...) }
func (tb *rapidTB) Log(args ...any)                   { tb.logf("%s", fmt.Sprint(args...)) }
func (tb *rapidTB) Skipf(format string, args ...any)  { tb.logf(format, args...); runtime.Goexit() }
func (tb *rapidTB) Skip(args ...any)                  { tb.Log(args...); runtime.Goexit() }
func (tb *rapidTB) SkipNow()                          { runtime.Goexit() }
func (tb *rapidTB) Errorf(format string, args ...any) { tb.logf(format, args...); tb.Fail() }
func (tb *rapidTB) Error(args ...any)                 { tb.Log(args...); tb.Fail() }
func (tb *rapidTB) Fatalf(format string, args ...any) { tb.Errorf(format, args...); runtime.Goexit() }
func (tb *rapidTB) Fatal(args ...any)                 { tb.Error(args...); runtime.Goexit() }
func (tb *rapidTB) FailNow()                          { tb.Fail(); runtime.Goexit() }
func (tb *rapidTB) Fail() {
	tb.mu.Lock()
	defer tb.mu.Unlock()
	tb.failed = true
}
func (tb *rapidTB) Failed() bool {
	tb.mu.Lock()
	defer tb.mu.Unlock()
	return tb.failed
}

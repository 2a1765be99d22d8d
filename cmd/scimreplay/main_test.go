package main

import (
	"flag"
	"os"
	"sync"
	"testing"
)

// TestMain runs up to 4 of this package's tests at once unless -parallel says otherwise: they
// wait on the CLI subprocess, its containers and settle windows far more than they compute
// (about 25 s of CPU in a 100 s run), so the default of GOMAXPROCS (2 here) leaves it the
// longest package of make test.
func TestMain(m *testing.M) {
	flag.Parse()
	set := false
	flag.Visit(func(f *flag.Flag) { set = set || f.Name == "test.parallel" })
	if !set {
		_ = flag.Set("test.parallel", "4")
	}
	code := m.Run()
	for _, f := range atExitFuncs {
		f()
	}
	os.Exit(code)
}

// atExitFuncs run when every test of the package has ended (a build shared by tests, removed).
var (
	atExitMu    sync.Mutex
	atExitFuncs []func()
)

func atExit(f func()) {
	atExitMu.Lock()
	defer atExitMu.Unlock()
	atExitFuncs = append(atExitFuncs, f)
}

//go:build linux

package main

import (
	"os/exec"
	"syscall"
)

// endsWithTheTests has the kernel stop cmd (SIGTERM) when the test process ends, so that a
// server a test started cannot outlive a test binary killed by -timeout before its cleanups.
func endsWithTheTests(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGTERM}
}

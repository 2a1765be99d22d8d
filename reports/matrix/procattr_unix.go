//go:build unix

package matrix

import (
	"os/exec"
	"syscall"
)

// ownProcessGroup puts a child gate in a process group of its own, so a Ctrl-C at the terminal
// reaches only this process, which passes on exactly one interrupt: a second one would make the
// child skip its cleanups.
func ownProcessGroup(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
}

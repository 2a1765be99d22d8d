// Command scimreplay gates a SCIM 2.0 server against recorded identity-provider force syncs.
//
//	scimreplay init [flags]        discover how to gate a server and write a target profile
//	scimreplay gate [flags]        run the force-sync suite against a target (exit 0/1/2)
//	scimreplay explore [flags]     generated no-op re-pushes, a failure shrunk to a scenario
//	scimreplay directory [flags]   serve the reference SCIM directory
//	scimreplay faults              list the reference directory's fault modes
package main

import (
	"fmt"
	"io"
	"os"
	"sort"
	"strings"

	"github.com/scimreplay/scimreplay/internal/gctune"
)

// Exit codes of every command.
const (
	exitOK         = 0
	exitRegression = 1
	exitCannotRun  = 2
)

type command struct {
	summary string
	run     func(args []string, stdout, stderr io.Writer) int
}

// commands is the registry of subcommands; each lives in its own cmd_*.go file.
var commands = map[string]command{}

func register(name, summary string, run func(args []string, stdout, stderr io.Writer) int) {
	commands[name] = command{summary: summary, run: run}
}

func main() {
	if len(os.Args) >= 2 && os.Args[1] == "directory" {
		gctune.ApplyTarget() // the reference directory: its heap is its state
	} else {
		gctune.Apply()
	}
	os.Exit(dispatch(os.Args[1:], os.Stdout, os.Stderr))
}

func dispatch(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage(stderr)
		if len(args) == 0 {
			return exitCannotRun
		}
		return exitOK
	}
	c, ok := commands[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "scimreplay: unknown command %q\n\n", args[0])
		usage(stderr)
		return exitCannotRun
	}
	return c.run(args[1:], stdout, stderr)
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: scimreplay <command> [flags]\n\ncommands:")
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-12s %s\n", n, commands[n].summary)
	}
	fmt.Fprintln(w, "\nRun 'scimreplay <command> -h' for a command's flags.")
	fmt.Fprintln(w, strings.TrimSpace(`
exit codes: 0 every invariant held; 1 the target failed (state changed, or it answered
an identity provider's traffic with an unexpected status); 2 the run could not be done (bad flags or
scenario, target did not start or cannot be reached).`))
}

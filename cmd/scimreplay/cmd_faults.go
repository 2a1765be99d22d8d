package main

import (
	"fmt"
	"io"

	"github.com/scimreplay/scimreplay/fakes/directory"
)

func init() {
	register("faults", "list the reference directory's fault modes", func(args []string, stdout, stderr io.Writer) int {
		if len(args) > 0 {
			fmt.Fprintln(stderr, "scimreplay faults takes no arguments")
			return exitCannotRun
		}
		for _, f := range directory.Faults() {
			fmt.Fprintf(stdout, "%-24s %s\n", f.Name, f.Description)
		}
		return exitOK
	})
}

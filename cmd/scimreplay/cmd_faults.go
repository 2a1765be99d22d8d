package main

import (
	"fmt"
	"io"

	"github.com/scimreplay/scimreplay/fakes/directory"
)

func init() {
	register("faults", "list the reference directory's fault modes and variations", func(args []string, stdout, stderr io.Writer) int {
		if len(args) > 0 {
			fmt.Fprintln(stderr, "scimreplay faults takes no arguments")
			return exitCannotRun
		}
		fmt.Fprintln(stdout, "fault modes (--reference-faults): defects the gate must catch")
		for _, f := range directory.Faults() {
			fmt.Fprintf(stdout, "  %-26s %s\n", f.Name, f.Description)
		}
		fmt.Fprintln(stdout, "\nvariations (--reference-variations): behaviours a correct server may show; the gate must stay green")
		for _, v := range directory.Variations() {
			fmt.Fprintf(stdout, "  %-26s %s\n", v.Name, v.Description)
		}
		return exitOK
	})
}

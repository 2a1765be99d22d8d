package main

import (
	"bytes"
	"flag"
	"fmt"
	"io"

	"github.com/scimreplay/scimreplay/harness/generate"
	"github.com/scimreplay/scimreplay/harness/record"
)

func init() {
	register("generate", "write a synthetic Okta force sync of any size (scale tests)", runGenerate)
}

func runGenerate(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("generate", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var o generate.Options
	fs.IntVar(&o.Users, "users", 100, "number of users")
	fs.IntVar(&o.Groups, "groups", 10, "number of pushed groups")
	fs.Float64Var(&o.Unmanaged, "unmanaged", 0.3, "fraction of users on unverified domains (unmanaged), 0 to 1")
	fs.StringVar(&o.Name, "name", "", "scenario name (default generated-<users>u-<groups>g)")
	fs.StringVar(&o.ManagedDomain, "managed-domain", "acme.example", "the target's verified domain")
	fs.IntVar(&o.Concurrency, "concurrency", 0, "provision and re-push this many users (and groups) side by side, each one's requests in order (the concurrency: key of okta: provision and of the loops; 0 = one at a time)")
	out := fs.String("out", "", "write the scenario to this file (- for stdout)")
	if err := fs.Parse(args); err != nil {
		return exitCannotRun
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "scimreplay generate: unexpected arguments %q\n", fs.Args())
		return exitCannotRun
	}
	if *out == "" {
		fmt.Fprintln(stderr, "scimreplay generate: --out FILE.yaml is required (- for stdout)")
		return exitCannotRun
	}
	if err := o.Check(); err != nil {
		fmt.Fprintf(stderr, "scimreplay generate: %v\n", err)
		return exitCannotRun
	}
	if *out == "-" {
		if err := generate.Write(stdout, o); err != nil {
			fmt.Fprintf(stderr, "scimreplay generate: %v\n", err)
			return exitCannotRun
		}
		return exitOK
	}
	var buf bytes.Buffer
	if err := generate.Write(&buf, o); err != nil {
		fmt.Fprintf(stderr, "scimreplay generate: %v\n", err)
		return exitCannotRun
	}
	if err := record.WriteFile(*out, buf.Bytes()); err != nil {
		fmt.Fprintf(stderr, "scimreplay generate: %v\n", err)
		return exitCannotRun
	}
	fmt.Fprintf(stdout, "wrote %s: %d users, %d groups\n", *out, o.Users, o.Groups)
	return exitOK
}

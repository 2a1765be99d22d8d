package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/scimreplay/scimreplay/harness/har"
	"github.com/scimreplay/scimreplay/harness/record"
	"github.com/scimreplay/scimreplay/harness/scenario"
)

func init() {
	register("import-har", "turn a HAR 1.2 file (dev tools, mitmproxy, Charles) into a scenario", runImportHAR)
}

func runImportHAR(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("import-har", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: scimreplay import-har FILE.har --out FILE.yaml [flags]")
		fs.PrintDefaults()
	}
	out := fs.String("out", "", "write the scenario to this file")
	pseudo := fs.Bool("pseudonymise", false, "replace emails and names with consistent pseudonyms")
	var so record.Options
	fs.StringVar(&so.Name, "name", "", "scenario name (default: from --out)")
	fs.StringVar(&so.Title, "title", "", "scenario title")
	fs.StringVar(&so.Source, "source", "", "where the traffic comes from (default: the HAR file's name)")
	basePath := fs.String("base-path", "", "the SCIM base path in the recorded URLs (default: found before /Users or /Groups)")
	idp := fs.String("idp", "auto", "whose traffic it is: okta, entra, or auto (told by the User-Agent and the request shapes)")
	pos, err := parseInterleaved(fs, args)
	if err != nil {
		return exitCannotRun
	}
	if len(pos) != 1 || *out == "" {
		fs.Usage()
		return exitCannotRun
	}
	if err := checkIdPFlag(*idp); err != nil {
		fmt.Fprintf(stderr, "scimreplay import-har: %v\n", err)
		return exitCannotRun
	}
	in := pos[0]
	data, err := readBounded(in, har.MaxFile)
	if err != nil {
		fmt.Fprintf(stderr, "scimreplay import-har: %v\n", err)
		return exitCannotRun
	}
	if so.Name == "" {
		so.Name = nameFromPath(*out)
	}
	if so.Source == "" {
		so.Source = "HAR file " + filepath.Base(in) + ", imported with scimreplay import-har"
	}
	so.Labels = []string{"imported"}
	so.Comment = []string{"Imported by scimreplay import-har from " + filepath.Base(in) + "; credentials redacted" + pseudoNote(*pseudo) + "."}
	exs, warnings, err := har.Exchanges(data, har.Options{BasePath: *basePath, Pseudonymise: *pseudo})
	var scn []byte
	if err == nil {
		chooseIdP(&so, *idp, exs, stdout)
		var w []string
		scn, w, err = record.Build(exs, so)
		warnings = append(warnings, w...)
	}
	for _, w := range warnings {
		fmt.Fprintf(stderr, "scimreplay import-har: %s: %s\n", in, w)
	}
	if err != nil {
		fmt.Fprintf(stderr, "scimreplay import-har: %s: %v\n", in, err)
		return exitCannotRun
	}
	if err := record.WriteFile(*out, scn); err != nil {
		fmt.Fprintf(stderr, "scimreplay import-har: %v\n", err)
		return exitCannotRun
	}
	fmt.Fprintf(stdout, "wrote %s\n", *out)
	return exitOK
}

func readBounded(path string, limit int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	if int64(len(b)) > limit {
		return nil, fmt.Errorf("%s is larger than %d MB", path, limit>>20)
	}
	return b, nil
}

func pseudoNote(on bool) string {
	if on {
		return ", emails and names pseudonymised"
	}
	return ""
}

// checkIdPFlag checks an --idp value: auto or one of the scenario format's identity providers.
func checkIdPFlag(v string) error {
	if v == "auto" || slices.Contains(scenario.IdPs, v) {
		return nil
	}
	return fmt.Errorf("--idp %q: want auto, %s", v, strings.Join(scenario.IdPs, " or "))
}

// chooseIdP sets the scenario's idp: the --idp flag's, or with auto the one the traffic tells
// (record.DetectIdP), saying which and why on w and in the file's comment.
func chooseIdP(so *record.Options, flagValue string, exs []record.Exchange, w io.Writer) {
	if flagValue != "auto" {
		so.IdP = flagValue
		so.Comment = append(so.Comment, "idp: "+flagValue+", given with --idp.")
		return
	}
	d := record.DetectIdP(exs)
	so.IdP = d.IdP
	so.Comment = append(so.Comment, "idp: "+d.String()+".")
	fmt.Fprintf(w, "idp: %s\n", d)
	if d.Mixed {
		fmt.Fprintf(w, "note: the traffic also shows signs of the other identity provider; give --idp if %s is wrong\n", d.IdP)
	}
}

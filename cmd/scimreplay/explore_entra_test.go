package main

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/scimreplay/scimreplay/harness"
	"github.com/scimreplay/scimreplay/harness/scenario"
)

// Fifty generated Entra runs, their dialect drawn per run, move nothing on the clean reference
// directory (served in process).
func TestExploreEntraCleanDirectoryFindsNothing(t *testing.T) {
	dir := t.TempDir()
	r := runCLI(t, nil, "explore", "--idp", "entra", "--reference-loopback", "--settle", "0", "--seed", "1", "--runs", "50",
		"--out", filepath.Join(dir, "found"), "--junit", filepath.Join(dir, "junit.xml"))
	if r.code != 0 || !strings.Contains(r.stdout, "explore: 50 runs (seed 1) moved nothing") ||
		!strings.Contains(r.stdout, "explore: entra (default or aadOptscim062020, drawn per run) against") {
		t.Fatalf("exit %d, want 0 after 50 runs in both dialects\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	if cases := exploreJUnit(t, filepath.Join(dir, "junit.xml")); len(cases) != 1 || cases["explore/entra/exploration"] {
		t.Errorf("JUnit testcases %v, want explore/entra/exploration alone, passed", cases)
	}
}

// With entra-string-bool on (a string active compared to "true" case-sensitively), explore
// finds Entra's "True" deactivating a user, shrinks it to one user and writes an idp: entra
// scenario pinning the default dialect, which turns `gate --idp entra --scenarios FILE` red on
// its own.
func TestExploreEntraFindsStringBoolAndTheGateReplaysIt(t *testing.T) {
	dir := t.TempDir()
	r := runCLI(t, nil, "explore", "--idp", "entra", "--reference-loopback", "--reference-faults", "entra-string-bool", "--settle", "0",
		"--seed", "1", "--runs", "50", "--out", dir)
	if r.code != 1 || !strings.Contains(r.stdout, "(managed): active true → false") {
		t.Fatalf("exit %d, want 1 with a user deactivated\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	file := filepath.Join(dir, "explore-entra-seed-1.yaml")
	sc, err := scenario.LoadFile(file)
	if err != nil {
		t.Fatalf("the minimal failing case does not load: %v\n%s", err, r.stdout)
	}
	if sc.IdP != scenario.IdPEntra || sc.Entra.Dialect != "default" || len(sc.Org.Users) != 1 {
		t.Errorf("idp %q, dialect %q, %d users; want an entra scenario pinning the default dialect, 1 user", sc.IdP, sc.Entra.Dialect, len(sc.Org.Users))
	}
	if !strings.Contains(sc.Source, "scimreplay explore --idp entra --seed 1") || !strings.Contains(sc.Source, "entra-") {
		t.Errorf("source: names neither the seed nor the generator: %s", sc.Source)
	}
	if !strings.Contains(r.stdout, "reproduce it: scimreplay gate --reference-faults entra-string-bool --reference-loopback --settle 0 --idp entra --scenarios "+file+"\n") {
		t.Errorf("the reproduce line is not the Entra gate with the same target and the file:\n%s", r.stdout)
	}
	if g := reproduce(t, r.stdout); g.code != 1 || !strings.Contains(g.stdout, "active true → false") {
		t.Fatalf("the shrunk scenario's gate: exit %d, want 1\n%s\n%s", g.code, g.stdout, g.stderr)
	}
}

// On the independent elimity-based server, Entra's default dialect meets the one finding the
// gate records (entraStringBoolFinding: the library refuses active "True" with 400), and that is
// exactly what explore finds; with aadOptscim062020 fixed, 50 runs find nothing.
func TestExploreEntraElimity(t *testing.T) {
	token := harness.RandomToken()
	url := elimityOnLoopback(t, token)
	env := []string{"SCIMREPLAY_TARGET_TOKEN=" + token}
	explore := func(extra ...string) result {
		args := append([]string{"explore", "--idp", "entra", "--target-url", url, "--settle", "0", "--seed", "1", "--runs", "50", "--out", t.TempDir()}, elimityProbes()...)
		return runCLI(t, env, append(args, extra...)...)
	}
	r := explore()
	if r.code != 1 || !strings.Contains(r.stdout, entraStringBoolFinding) || !strings.Contains(r.stdout, "in entra's default dialect") ||
		!strings.Contains(r.stdout, "shrunk in ") || !strings.Contains(r.stdout, " to 1 user (") {
		t.Fatalf("exit %d, want 1 with the recorded string-boolean finding, shrunk to one user in the default dialect\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	if r := explore("--entra-dialect", "aadOptscim062020"); r.code != 0 || !strings.Contains(r.stdout, "explore: 50 runs (seed 1) moved nothing") {
		t.Fatalf("aadOptscim062020: exit %d, want 0 after 50 runs\n%s\n%s", r.code, r.stdout, r.stderr)
	}
}

package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/scimreplay/scimreplay/harness/scenario"
)

const sampleHAR = "../../harness/har/testdata/okta-force-sync.har"

func TestImportHARWritesARedactedScenario(t *testing.T) {
	t.Parallel()
	out := filepath.Join(t.TempDir(), "Okta Force Sync.yaml")
	var stdout, stderr bytes.Buffer
	// Flags after the file, as people type them.
	if code := dispatch([]string{"import-har", sampleHAR, "--out", out, "--pseudonymise"}, &stdout, &stderr); code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	if !strings.Contains(stderr.String(), "favicon.ico): left out") {
		t.Errorf("the skipped entry is not reported: %q", stderr.String())
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	for _, secret := range []string{"har-sample-secret-7Q2xVb9LmN4pR8sT", "har-cookie-secret-Zx81", "Okta-Gen-", "alice@acme.example"} {
		if strings.Contains(string(b)+stdout.String()+stderr.String(), secret) {
			t.Errorf("%q reached the output", secret)
		}
	}
	sc, err := scenario.LoadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if sc.Name != "okta-force-sync" || sc.Rebind != scenario.RebindAuto || len(sc.ForceSync) == 0 || !strings.Contains(sc.Source, "okta-force-sync.har") {
		t.Fatalf("name %q, rebind %q, %d forceSync steps, source %q", sc.Name, sc.Rebind, len(sc.ForceSync), sc.Source)
	}
}

func TestImportHARBadInputExit2(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	notHAR := filepath.Join(dir, "x.har")
	if err := os.WriteFile(notHAR, []byte("{\"log\": ["), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{
		{"import-har", "--out", filepath.Join(dir, "o.yaml")},
		{"import-har", sampleHAR},
		{"import-har", filepath.Join(dir, "missing.har"), "--out", filepath.Join(dir, "o.yaml")},
		{"import-har", notHAR, "--out", filepath.Join(dir, "o.yaml")},
		{"import-har", sampleHAR, "--out", filepath.Join(dir, "no-such-dir", "o.yaml")},
		{"import-har", sampleHAR, "--out", filepath.Join(dir, "o.yaml"), "--idp", "azure"},
	} {
		var stdout, stderr bytes.Buffer
		if code := dispatch(args, &stdout, &stderr); code != exitCannotRun || stderr.Len() == 0 {
			t.Errorf("%q: exit %d, stderr %q", args, code, stderr.String())
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "o.yaml")); err == nil {
		t.Error("a failed import wrote a file")
	}
}

const entraHAR = "../../harness/har/testdata/entra-restart-provisioning.har"

// An Entra capture becomes an Entra scenario, and the command says so and why; --idp overrides
// what the traffic tells.
func TestImportHARTellsEntraTraffic(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	for _, c := range []struct {
		name, in string
		flags    []string
		idp      string
		says     string
	}{
		{"entra, told by its shapes", entraHAR, nil, scenario.IdPEntra, `idp: entra, told by `},
		{"okta, told by its User-Agent", sampleHAR, nil, scenario.IdPOkta, `idp: okta, told by User-Agent "Okta SCIM Client 1.0.0"`},
		{"given with --idp", entraHAR, []string{"--idp", "okta"}, scenario.IdPOkta, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			out := filepath.Join(dir, strings.ReplaceAll(c.name, " ", "-")+".yaml")
			var stdout, stderr bytes.Buffer
			if code := dispatch(append([]string{"import-har", c.in, "--out", out}, c.flags...), &stdout, &stderr); code != exitOK {
				t.Fatalf("exit %d: %s", code, stderr.String())
			}
			if !strings.Contains(stdout.String(), c.says) {
				t.Errorf("stdout %q does not say %q", stdout.String(), c.says)
			}
			sc, err := scenario.LoadFile(out)
			if err != nil {
				t.Fatal(err)
			}
			if sc.IdP != c.idp {
				t.Errorf("idp %q, want %q", sc.IdP, c.idp)
			}
			b, _ := os.ReadFile(out)
			if strings.Contains(string(b), "entra-har-secret-Kq93JdLw0PzX5mV") {
				t.Error("the token reached the scenario")
			}
		})
	}
}

package main

import (
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/scimreplay/scimreplay/reports"
)

// cases reads a gate's JUnit as the reports package models it.
func cases(t *testing.T, junit string) []reports.Case {
	t.Helper()
	r, err := reports.ReadJUnit(junit)
	if err != nil {
		t.Fatal(err)
	}
	return r.Cases
}

// --idp chooses whose scenarios run: each IdP's are testcases of its own tree, forcesync/<idp>/,
// labelled idp:<idp>; the default runs both. Served in process, no Docker.
func TestGateIdPChoosesTheCatalogue(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		idp        string
		okta, entr int
	}{
		{"entra", 0, 10},
		{"okta", 17, 0},
		{"", 17, 10},
	} {
		t.Run("idp="+c.idp, func(t *testing.T) {
			junit := filepath.Join(t.TempDir(), "junit.xml")
			args := []string{"gate", "--reference-loopback", "--settle", "0", "--junit", junit}
			if c.idp != "" {
				args = append(args, "--idp", c.idp)
			}
			r := runCLI(t, nil, args...)
			if r.code != 0 {
				t.Fatalf("exit %d, want 0\n%s\n%s", r.code, r.stdout, r.stderr)
			}
			var okta, entra int
			for _, tc := range cases(t, junit) {
				idp, _, _ := strings.Cut(strings.TrimPrefix(tc.Name, "forcesync/"), "/")
				switch {
				case idp == "okta" && slices.Contains(tc.Labels, "idp:okta"):
					okta++
				case idp == "entra" && slices.Contains(tc.Labels, "idp:entra"):
					entra++
				default:
					t.Errorf("testcase %s labelled %v", tc.Name, tc.Labels)
				}
			}
			if okta != c.okta || entra != c.entr {
				t.Errorf("%d Okta and %d Entra testcases, want %d and %d", okta, entra, c.okta, c.entr)
			}
		})
	}
}

// --scenarios DIR gates an Entra catalogue of one's own: the files say idp: entra. The dialect
// flag reaches the scenarios that pin none, and a scenario's pin wins; an Entra fault turns
// the gate red in Entra's words.
func TestGateEntraScenariosDirAndDialect(t *testing.T) {
	t.Parallel()
	dir := "../../scenarios/entra"
	r := runCLI(t, nil, "gate", "--reference-loopback", "--settle", "0", "--scenarios", dir, "--entra-dialect", "aadOptscim062020",
		"--label-filter", "scenario:restart-provisioning || scenario:soft-delete-restore")
	if r.code != 0 {
		t.Fatalf("exit %d, want 0\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	for _, want := range []string{
		"scenario 1/2 restart-provisioning (" + dir + "/restart-provisioning.yaml)\n",
		"  Entra dialect aadOptscim062020 (the gate's)\n",
		"  Entra dialect default (pinned by the scenario)\n",
	} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("output lacks %q:\n%s", want, r.stdout)
		}
	}
	// entra-op-case-sensitive: the pinned default dialect's capitalised ops are refused.
	r = runCLI(t, nil, "gate", "--reference-loopback", "--settle", "0", "--reference-faults", "entra-op-case-sensitive",
		"--idp", "entra", "--entra-dialect", "aadOptscim062020", "--label-filter", "scenario:remove-readd-valuelist || scenario:remove-readd-filtered")
	if r.code != 1 {
		t.Fatalf("exit %d, want 1\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	for _, want := range []string{
		"PASS remove-readd-filtered",
		"FAIL remove-readd-valuelist",
		"provision: the target failed Entra ID's traffic: ",
		"answered 400, Entra ID expects 204 or 200",
	} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("output lacks %q:\n%s", want, r.stdout)
		}
	}
}

func TestGateIdPBadInputExits2(t *testing.T) {
	t.Parallel()
	for name, c := range map[string]struct {
		args []string
		want string
	}{
		"unknown idp":     {[]string{"--idp", "azure"}, "--idp must be okta, entra or all, not \"azure\""},
		"unknown dialect": {[]string{"--entra-dialect", "scim2"}, "--entra-dialect: unknown Entra dialect \"scim2\""},
		"no scenario":     {[]string{"--idp", "okta", "--scenarios", "../../scenarios/entra"}, "--idp okta: none of the 10 scenarios is for okta"},
	} {
		t.Run(name, func(t *testing.T) {
			r := runCLI(t, nil, append([]string{"gate", "--reference-loopback"}, c.args...)...)
			if r.code != 2 || !strings.Contains(r.stderr, c.want) {
				t.Fatalf("exit %d, want 2 saying %q\n%s\n%s", r.code, c.want, r.stdout, r.stderr)
			}
		})
	}
}

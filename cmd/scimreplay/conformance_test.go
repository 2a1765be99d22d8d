package main

import (
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/scimreplay/scimreplay/reports"
	"github.com/scimreplay/scimreplay/suites/conformance"
)

var verdictLineRE = regexp.MustCompile(`(?m)^(PASS|FAIL|SKIP) (conformance:\S+)`)

// checkResults reads the PASS/FAIL/SKIP line of every check from the command's output.
func checkResults(stdout string) map[string]string {
	out := map[string]string{}
	for _, m := range verdictLineRE.FindAllStringSubmatch(stdout, -1) {
		out[m[2]] = m[1]
	}
	return out
}

func TestConformanceReferenceDirectoryPasses(t *testing.T) {
	junit := filepath.Join(t.TempDir(), "junit.xml")
	r := runCLI(t, nil, "conformance", "--junit", junit)
	if r.code != 0 {
		t.Fatalf("exit %d, want 0\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	got := checkResults(r.stdout)
	for _, c := range conformance.Checks() {
		if got[conformance.LabelPrefix+c.Name] != "PASS" {
			t.Errorf("%s%s: %q, want PASS", conformance.LabelPrefix, c.Name, got[conformance.LabelPrefix+c.Name])
		}
	}
	run, err := reports.ReadJUnit(junit)
	if err != nil {
		t.Fatal(err)
	}
	if len(run.Cases) != len(conformance.Checks()) {
		t.Errorf("JUnit holds %d cases, want one per check (%d)", len(run.Cases), len(conformance.Checks()))
	}
}

// Each fault of the reference directory that breaks an Okta requirement fails exactly the
// checks of that requirement, and no other.
func TestConformanceFailsCheckByCheck(t *testing.T) {
	for fault, want := range map[string][]string{
		"lookup-case-sensitive":   {"lookup-case-insensitive", "userName-unique-case-insensitive"},
		"put-groups-clears":       {"put-user-keeps-groups"},
		"put-reissues-id":         {"put-user", "put-user-keeps-groups"},
		"rename-wipes-members":    {"group-rename-keeps-members", "group-add-members", "group-add-existing-member", "group-remove-member"},
		"add-as-replace":          {"group-add-members", "group-add-existing-member"},
		"filtered-remove-all":     {"group-remove-member"},
		"filtered-remove-ignored": {"group-remove-member"},
		"empty-replace-ignored":   {"group-replace-members-empty"},
		"readd-duplicates":        {"group-add-existing-member"},
		"group-put-drops-members": {"group-put-members"},
	} {
		t.Run(fault, func(t *testing.T) {
			t.Parallel()
			junit := filepath.Join(t.TempDir(), "junit.xml")
			r := runCLI(t, nil, "conformance", "--reference-faults", fault, "--junit", junit)
			if r.code != 1 {
				t.Fatalf("exit %d, want 1\n%s\n%s", r.code, r.stdout, r.stderr)
			}
			var failed []string
			for label, res := range checkResults(r.stdout) {
				if res != "PASS" {
					failed = append(failed, strings.TrimPrefix(label, conformance.LabelPrefix))
				}
			}
			slices.Sort(failed)
			slices.Sort(want)
			if !slices.Equal(failed, want) {
				t.Errorf("failed checks %v, want %v\n%s", failed, want, r.stdout)
			}
			run, err := reports.ReadJUnit(junit)
			if err != nil {
				t.Fatal(err)
			}
			for _, c := range run.Cases {
				if c.Failed() && (c.Logs == "" || c.Requests == "") {
					t.Errorf("failed case %s lacks the target's log or the requests sent", c.Name)
				}
			}
		})
	}
}

func TestConformanceListAndBadInput(t *testing.T) {
	r := runCLI(t, nil, "conformance", "--list")
	if r.code != 0 || strings.Count(r.stdout, conformance.LabelPrefix) != len(conformance.Checks()) {
		t.Fatalf("--list: exit %d\n%s", r.code, r.stdout)
	}
	for name, args := range map[string][]string{
		"bad label filter": {"conformance", "--label-filter", "conformance:(("},
		"unknown fault":    {"conformance", "--reference-faults", "no-such-fault"},
		"stray argument":   {"conformance", "extra"},
	} {
		t.Run(name, func(t *testing.T) {
			if r := runCLI(t, nil, args...); r.code != 2 {
				t.Fatalf("exit %d, want 2\n%s\n%s", r.code, r.stdout, r.stderr)
			}
		})
	}
}

package reports

import (
	"bytes"
	"strings"
	"testing"

	"github.com/onsi/ginkgo/v2/types"
)

// twoIdPReport is a gate run of both identity providers as Ginkgo reports it: the fixture's
// Okta cases (forcesync/okta/…) and Entra's (forcesync/entra/…), which pass but one, and a
// conformance check of each, told by its idp: label alone.
func twoIdPReport() types.Report {
	r := fixtureReport()
	entra := func(name string, state types.SpecState) types.SpecReport {
		s := types.SpecReport{
			ContainerHierarchyTexts:  []string{"forcesync", "entra"},
			ContainerHierarchyLabels: [][]string{{}, {"idp:entra"}},
			LeafNodeType:             types.NodeTypeIt,
			LeafNodeText:             name,
			LeafNodeLabels:           []string{"scenario:" + name},
			State:                    state,
			StartTime:                t0,
		}
		s.ReportEntries = types.ReportEntries{entry(EntryScenarioFile, "entra/"+name+".yaml")}
		if state == types.SpecStateFailed {
			s.Failure = types.Failure{Message: "forceSync: PATCH /Groups/g answered 400, Entra expects 200 or 204"}
		}
		return s
	}
	conf := func(idp, text string) types.SpecReport {
		return types.SpecReport{
			ContainerHierarchyTexts: []string{"conformance"},
			LeafNodeType:            types.NodeTypeIt, LeafNodeText: text,
			LeafNodeLabels: []string{"conformance:" + idp + "-check", "idp:" + idp},
			State:          types.SpecStatePassed, StartTime: t0,
		}
	}
	// Entra's cases interleave with Okta's, as a merged parallel run may order them.
	specs := types.SpecReports{r.SpecReports[0], entra("restart-no-op", types.SpecStatePassed), r.SpecReports[1]}
	specs = append(specs, r.SpecReports[2:]...)
	specs = append(specs, entra("remove-by-value-list", types.SpecStateFailed), conf("entra", "answers GET /Groups/{id}?excludedAttributes=members"), conf("okta", "finds a user by userName"))
	r.SpecReports = specs
	return r
}

func twoIdPRun() *Run {
	return FromGinkgo(twoIdPReport(), Options{Name: "scimreplay gate", Suite: "forcesync", Target: "reference-directory", VerifiedDomains: []string{"acme.example"}})
}

func TestCaseIdP(t *testing.T) {
	for _, c := range []struct {
		c    Case
		want string
	}{
		{Case{Name: "forcesync/entra/x"}, "entra"},
		{Case{Name: "forcesync/okta/x", Labels: []string{"scenario:x"}}, "okta"},
		{Case{Name: "conformance/answers GET /Users/{id} with 404", Labels: []string{"idp:entra"}}, "entra"},
		{Case{Name: "conformance/answers GET /Users/{id} with 404"}, ""},
		{Case{Name: "forcesync/[BeforeSuite]"}, ""},
		{Case{Name: "forcesync/[suite]/x"}, ""},
	} {
		if got := c.c.IdP(); got != c.want {
			t.Errorf("%+v: idp %q, want %q", c.c, got, c.want)
		}
	}
}

// tableRows is the case names of the Markdown table under a heading, up to the next heading.
func tableRows(md, heading string) []string {
	_, rest, ok := strings.Cut(md, heading+"\n")
	if !ok {
		return nil
	}
	if i := strings.Index(rest, "\n#"); i >= 0 {
		rest = rest[:i]
	}
	var out []string
	for _, line := range strings.Split(rest, "\n") {
		if cells := strings.Split(line, " | "); len(cells) > 2 && strings.HasPrefix(line, "| ") && !strings.HasPrefix(line, "| result") {
			out = append(out, strings.Trim(cells[1], "`"))
		}
	}
	return out
}

// A run of both identity providers shows one table per IdP, each under its name, Okta's first,
// every case in its own IdP's table, in run order; re-read from its JUnit, it looks the same.
func TestReportsGroupCasesByIdP(t *testing.T) {
	run := twoIdPRun()
	var junit bytes.Buffer
	if err := EncodeJUnit(&junit, run); err != nil {
		t.Fatal(err)
	}
	reread, err := DecodeJUnit(&junit)
	if err != nil {
		t.Fatal(err)
	}
	for name, r := range map[string]*Run{"from Ginkgo": run, "from JUnit": reread} {
		t.Run(name, func(t *testing.T) {
			md, page := render(t, r)
			okta := []string{"forcesync/okta/identical-repush", "forcesync/okta/case-change", "forcesync/okta/paging", "conformance/finds a user by userName"}
			entra := []string{"forcesync/entra/restart-no-op", "forcesync/entra/remove-by-value-list", "conformance/answers GET /Groups/{id}?excludedAttributes=members"}
			if got := tableRows(md, "### Okta"); strings.Join(got, "\n") != strings.Join(okta, "\n") {
				t.Errorf("the Okta table holds %q, want %q\n%s", got, okta, md)
			}
			if got := tableRows(md, "### Microsoft Entra ID"); strings.Join(got, "\n") != strings.Join(entra, "\n") {
				t.Errorf("the Entra table holds %q, want %q\n%s", got, entra, md)
			}
			if strings.Index(md, "### Okta") > strings.Index(md, "### Microsoft Entra ID") {
				t.Errorf("Okta's table is not first, though an Entra case came first:\n%s", md)
			}
			if !strings.Contains(md, "FAIL — the target changed link or membership state, or failed Okta's or Microsoft Entra ID's traffic (exit 1)") ||
				!strings.Contains(page, "<title>scimreplay gate: FAIL — the target changed link or membership state, or failed Okta&#39;s or Microsoft Entra ID&#39;s traffic") {
				t.Errorf("the verdict does not name both IdPs:\n%s", md)
			}
			if !strings.Contains(md, "**Cases:** 4 passed, 2 failed, 1 could not run, 1 not run") {
				t.Errorf("the tally is not of the whole run:\n%s", md)
			}
			oktaAt, entraAt := strings.Index(page, `<h2 class="idp">Okta</h2>`), strings.Index(page, `<h2 class="idp">Microsoft Entra ID</h2>`)
			if oktaAt < 0 || entraAt < oktaAt {
				t.Fatalf("report.html lacks the IdP headings in order")
			}
			tables := page[oktaAt:strings.Index(page, `<h2 id="case-1"`)]
			oktaTable, entraTable, _ := strings.Cut(tables, `<h2 class="idp">Microsoft Entra ID</h2>`)
			for _, n := range okta {
				if !strings.Contains(oktaTable, ">"+n+"</a>") || strings.Contains(entraTable, ">"+n+"</a>") {
					t.Errorf("report.html: %s is not in the Okta table alone", n)
				}
			}
			for _, n := range entra {
				if !strings.Contains(entraTable, ">"+n+"</a>") {
					t.Errorf("report.html: %s is not in the Entra table", n)
				}
			}
			// Each row still links to its case's section.
			if !strings.Contains(entraTable, `<a href="#case-1">forcesync/entra/restart-no-op</a>`) || !strings.Contains(page, `<h2 id="case-1">`) {
				t.Errorf("report.html: the Entra row does not link to its section")
			}
		})
	}
}

// An Okta-only run looks as it did, with the heading "Okta" over its one table; a suite node
// that failed before any scenario (no IdP) comes first, under no heading.
func TestReportsOfAnOktaOnlyRun(t *testing.T) {
	run := fixtureRun()
	md, page := render(t, run)
	if strings.Count(md, "### Okta\n\n| result | case | scenario file | what moved | checked | time |\n") != 1 || strings.Contains(md, "Entra") {
		t.Errorf("summary.md of an Okta run:\n%s", md)
	}
	if strings.Count(page, `<h2 class="idp">`) != 1 || !strings.Contains(page, `<h2 class="idp">Okta</h2>`+"\n<table>") {
		t.Errorf("report.html of an Okta run has other IdP headings")
	}

	setup := Case{Name: "forcesync/[BeforeSuite]", Status: Failed, Verdict: VerdictCouldNotRun, Message: "could not run: no Docker daemon"}
	run.Cases = append(run.Cases, setup)
	md, _ = render(t, run)
	first, _, _ := strings.Cut(md, "### Okta")
	if !strings.Contains(first, "| ⚠️ could not run | `forcesync/[BeforeSuite]` |") {
		t.Errorf("the suite node is not first, under no IdP:\n%s", md)
	}
}

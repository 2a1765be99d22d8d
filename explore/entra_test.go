package explore

import (
	"testing"

	"pgregory.net/rapid"

	"github.com/scimreplay/scimreplay/fakes/directory"
	"github.com/scimreplay/scimreplay/harness/scenario"
)

// Every generated Entra run renders as an idp: entra scenario the loader reads (one email per
// user, as Entra's mappings send), pinning the run's dialect; the same seed draws the same run;
// across seeds every generator and both dialects are drawn, and a fixed dialect is kept.
func TestEntraRunsAreScenariosInBothDialects(t *testing.T) {
	for _, fixed := range []string{"", "aadOptscim062020"} {
		gen := rapid.Custom(func(t *rapid.T) *Case { return DrawCaseIn(t, Entra, "acme.example", fixed) })
		seen := map[string]bool{}
		for seed := 1; seed <= 150; seed++ {
			c := gen.Example(seed)
			text, err := c.Scenario(Entra, Meta{Name: "x", Source: "test"})
			if err != nil {
				t.Fatal(err)
			}
			sc, err := scenario.Parse("x.yaml", text)
			if err != nil {
				t.Fatalf("seed %d: %v\n%s", seed, err, text)
			}
			if sc.IdP != scenario.IdPEntra || sc.Entra.Dialect != c.Variant || fixed != "" && c.Variant != fixed {
				t.Fatalf("seed %d: idp %q, dialect %q (drawn %q, fixed %q)\n%s", seed, sc.IdP, sc.Entra.Dialect, c.Variant, fixed, text)
			}
			if again, _ := gen.Example(seed).Scenario(Entra, Meta{Name: "x", Source: "test"}); string(again) != string(text) {
				t.Fatalf("seed %d drew two different runs:\n%s\n---\n%s", seed, text, again)
			}
			seen[c.Variant] = true
			for _, g := range c.Generators() {
				seen[g] = true
			}
		}
		for _, g := range Entra.Generators {
			if !seen[g.Name] {
				t.Errorf("generator %s was never drawn in 150 seeds", g.Name)
			}
		}
		if fixed == "" && (!seen["default"] || !seen["aadOptscim062020"]) {
			t.Errorf("the dialects drawn: %v", seen)
		}
	}
}

// With each variation a correct server may show on, no generated Entra run moves anything.
func TestEntraCorrectVariationsPass(t *testing.T) {
	for _, v := range directory.Variations() {
		t.Run(v.Name, func(t *testing.T) {
			o := directoryOptions(t, 3, 8, nil, []string{v.Name}, true)
			o.Dialect = Entra
			if res := explore(t, o); res.Found() || res.Runs != 8 {
				t.Fatalf("%d runs; found %v", res.Runs, res.First != nil)
			}
		})
	}
}

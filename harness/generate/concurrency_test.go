package generate_test

import (
	"strings"
	"testing"

	"github.com/scimreplay/scimreplay/harness/generate"
	"github.com/scimreplay/scimreplay/harness/scenario"
)

func TestGenerateConcurrency(t *testing.T) {
	sc, err := scenario.Parse("gen.yaml", gen(t, generate.Options{Users: 30, Groups: 3, Concurrency: 8}))
	if err != nil {
		t.Fatal(err)
	}
	loops := 0
	for _, st := range sc.ForceSync {
		if st.ForEach != "" {
			loops++
			if st.Concurrency != 8 {
				t.Errorf("forEach %s: concurrency %d, want 8", st.ForEach, st.Concurrency)
			}
		}
	}
	if loops != 2 {
		t.Fatalf("%d forEach loops, want users and groups", loops)
	}
	if len(sc.Provision) != 1 || sc.Provision[0].Okta != "provision" || sc.Provision[0].Concurrency != 8 {
		t.Errorf("provision %+v, want okta: provision with concurrency 8", sc.Provision)
	}
	sc, err = scenario.Parse("gen.yaml", gen(t, generate.Options{Users: 30, Groups: 3}))
	if err != nil {
		t.Fatal(err)
	}
	for _, st := range append(sc.Provision, sc.ForceSync...) {
		if st.Concurrency != 0 {
			t.Errorf("forEach %s: concurrency %d without --concurrency, want 0 (Okta's one at a time)", st.ForEach, st.Concurrency)
		}
	}
	for _, c := range []int{-1, scenario.MaxConcurrency + 1} {
		if err := (generate.Options{Users: 1, Concurrency: c}).Check(); err == nil || !strings.Contains(err.Error(), "--concurrency") {
			t.Errorf("concurrency %d: error %v, want one naming --concurrency", c, err)
		}
	}
}

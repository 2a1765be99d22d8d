package generate_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/scimreplay/scimreplay/harness/generate"
	"github.com/scimreplay/scimreplay/harness/scenario"
)

func gen(t testing.TB, o generate.Options) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := generate.Write(&b, o); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestGenerateIsDeterministicAndLoads(t *testing.T) {
	o := generate.Options{Users: 250, Groups: 7, Unmanaged: 0.3}
	a, b := gen(t, o), gen(t, o)
	if !bytes.Equal(a, b) {
		t.Fatal("two runs with the same options differ")
	}
	sc, err := scenario.Parse("gen.yaml", a)
	if err != nil {
		t.Fatal(err)
	}
	if sc.Name != "generated-250u-7g" || len(sc.Org.Users) != 250 || len(sc.Org.Groups) != 7 {
		t.Fatalf("%s: %d users, %d groups", sc.Name, len(sc.Org.Users), len(sc.Org.Groups))
	}
	unmanaged, members := 0, 0
	for _, u := range sc.Org.Users {
		if !strings.HasSuffix(u.UserName, "@acme.example") {
			unmanaged++
		}
	}
	for _, g := range sc.Org.Groups {
		members += len(g.Members)
		seen := map[string]bool{}
		for _, m := range g.Members {
			if seen[m] {
				t.Fatalf("group %s lists %s twice", g.Key, m)
			}
			seen[m] = true
		}
	}
	if unmanaged != 75 {
		t.Errorf("%d unmanaged users, want 75 (30%% of 250)", unmanaged)
	}
	if members != 250+84 { // every user once, every third (0, 3, …, 249) twice
		t.Errorf("%d memberships, want 334", members)
	}
}

func TestGenerateEdges(t *testing.T) {
	for _, o := range []generate.Options{{Users: 1, Groups: 0}, {Users: 3, Groups: 1, Unmanaged: 1}} {
		if _, err := scenario.Parse("e.yaml", gen(t, o)); err != nil {
			t.Errorf("%+v: %v", o, err)
		}
	}
	for _, o := range []generate.Options{{Users: 0}, {Users: 1, Groups: -1}, {Users: 1, Unmanaged: 1.5}, {Users: 1, Name: "Bad Name"}} {
		if err := generate.Write(&bytes.Buffer{}, o); err == nil {
			t.Errorf("%+v: no error", o)
		}
	}
}

// TestGenerateAtScale writes and loads the scale-test org (10,000 users, 500 groups): both must
// stay linear, so this runs in well under a second without -race.
func TestGenerateAtScale(t *testing.T) {
	if testing.Short() {
		t.Skip("scale")
	}
	sc, err := scenario.Parse("10k.yaml", gen(t, generate.Options{Users: 10000, Groups: 500, Unmanaged: 0.3}))
	if err != nil {
		t.Fatal(err)
	}
	if len(sc.Org.Users) != 10000 || len(sc.Org.Groups) != 500 {
		t.Fatalf("%d users, %d groups", len(sc.Org.Users), len(sc.Org.Groups))
	}
	if u, ok := sc.Org.UserByKey("u09999"); !ok || u.UserName != "user09999@acme.example" {
		t.Fatalf("lookup by key: %+v %t", u, ok)
	}
}

func BenchmarkGenerateAndParse10k(b *testing.B) {
	for b.Loop() {
		if _, err := scenario.Parse("10k.yaml", gen(b, generate.Options{Users: 10000, Groups: 500, Unmanaged: 0.3})); err != nil {
			b.Fatal(err)
		}
	}
}

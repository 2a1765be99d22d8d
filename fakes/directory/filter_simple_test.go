package directory

import (
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"

	filter "github.com/scim2/filter-parser/v2"
)

// TestSimpleEqMatchesFilterParser checks the fast path for `attr eq "value"` against
// filter-parser: whenever the fast path takes a filter, the parser must give the same expression.
func TestSimpleEqMatchesFilterParser(t *testing.T) {
	names := []string{"userName", "externalId", "displayName", "id", "a", "x-1_y", "not", "AND", "or", "pr", "eq", "1abc", "user.name", "urn:x:userName", "", "émile"}
	ops := []string{"eq", "EQ", "Eq", "ne", "co", "eq ", " eq"}
	values := []string{`"bob@partner.example"`, `""`, `"a b  c"`, `"x"`, `"caf\u00e9"`, `"café"`, `"tab	x"`, `"q\"uote"`, `"back\\slash"`, `bob`, `"open`, `"~!#$%&'()*+,-./:;<=>?@[]^_{|}"`}
	rng := rand.New(rand.NewPCG(1, 2))
	taken := 0
	for i := 0; i < 5000; i++ {
		s := names[rng.IntN(len(names))] + " " + ops[rng.IntN(len(ops))] + " " + values[rng.IntN(len(values))]
		if rng.IntN(10) == 0 {
			s = strings.Replace(s, " ", "  ", 1)
		}
		fast, ok := simpleEq(s)
		if !ok {
			continue
		}
		taken++
		want, err := filter.ParseFilter([]byte(s))
		if err != nil {
			t.Fatalf("simpleEq took %q, which filter-parser rejects: %v", s, err)
		}
		if !reflect.DeepEqual(fast, want) {
			t.Fatalf("%q: simpleEq gives %#v, filter-parser %#v", s, fast, want)
		}
	}
	if taken < 200 {
		t.Fatalf("the fast path took only %d of 5000 filters (the corpus lost its simple filters)", taken)
	}
	if _, ok := simpleEq(`userName eq "bob@partner.example"`); !ok {
		t.Fatal("Okta's lookup filter must take the fast path")
	}
}

// TestSimplePathMatchesFilterParser checks the fast path for plain PATCH paths against
// filter-parser: whenever it takes a path, the parser must give the same path.
func TestSimplePathMatchesFilterParser(t *testing.T) {
	parts := []string{"members", "active", "name", "givenName", "x-1_y", "a", "A9", "not", "or", "1abc", "", "émile", "$ref", "value", "members[value eq \"x\"]", "urn:x:1.0:User"}
	rng := rand.New(rand.NewPCG(3, 4))
	taken := 0
	for i := 0; i < 5000; i++ {
		s := parts[rng.IntN(len(parts))]
		for range rng.IntN(3) {
			s += []string{".", "..", " ", ":"}[rng.IntN(4)] + parts[rng.IntN(len(parts))]
		}
		fast, ok := simplePath(s)
		if !ok {
			continue
		}
		taken++
		want, err := filter.ParsePath([]byte(s))
		if err != nil {
			t.Fatalf("simplePath took %q, which filter-parser rejects: %v", s, err)
		}
		if !reflect.DeepEqual(fast, want) {
			t.Fatalf("%q: simplePath gives %#v, filter-parser %#v", s, fast, want)
		}
	}
	if taken < 500 {
		t.Fatalf("the fast path took only %d of 5000 paths", taken)
	}
	for _, s := range []string{"members", "active", "displayName", "name.givenName"} {
		if _, ok := simplePath(s); !ok {
			t.Errorf("%q must take the fast path", s)
		}
	}
}

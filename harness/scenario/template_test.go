package scenario

import (
	"fmt"
	"strings"
	"testing"
)

// The parsed-template cache keeps the parse, never a value: the same string renders what each
// lookup says; a plain string renders as itself; a stray }} is refused every time; and strings
// past the bound are parsed without being kept.
func TestRenderCachesParsesNotValues(t *testing.T) {
	for _, want := range []string{"u-1", "u-2"} {
		got, err := RenderString("/Users/{{user.id}}", func([]string) (any, error) { return want, nil })
		if err != nil || got != "/Users/"+want {
			t.Fatalf("render with %s: %q, %v", want, got, err)
		}
	}
	if got, err := Render("no placeholder", nil); err != nil || got != "no placeholder" {
		t.Fatalf("a plain string: %v, %v", got, err)
	}
	for range 2 {
		if _, err := RenderString("stray }}", nil); err == nil || !strings.Contains(err.Error(), "}} without {{") {
			t.Fatalf("a stray }}: %v", err)
		}
	}
	look := func([]string) (any, error) { return "v", nil }
	for i := range maxParsed + 100 {
		s := fmt.Sprintf("{{x}}-%d", i)
		if got, err := RenderString(s, look); err != nil || got != fmt.Sprintf("v-%d", i) {
			t.Fatalf("%s: %q, %v", s, got, err)
		}
	}
	if n := parsed.n.Load(); n > maxParsed {
		t.Fatalf("the cache holds %d templates, more than its bound %d", n, maxParsed)
	}
}

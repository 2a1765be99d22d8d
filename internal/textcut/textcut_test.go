package textcut

import "testing"

func TestExcerpt(t *testing.T) {
	if got := Excerpt([]byte("  \n"), 10); got != "(empty)" {
		t.Errorf("blank body: %q", got)
	}
	if got := Excerpt([]byte(" {\"a\":1} "), 10); got != `{"a":1}` {
		t.Errorf("short body: %q", got)
	}
	if got := Excerpt([]byte("ééééé"), 5); got != "éé…" {
		t.Errorf("cut on a rune: %q", got)
	}
}

func TestTruncate(t *testing.T) {
	if got := Truncate("  kept as it is ", 16); got != "  kept as it is " {
		t.Errorf("a string that fits: %q", got)
	}
	if got := Truncate("abcdef", 3); got != "abc…" {
		t.Errorf("cut: %q", got)
	}
	if got := Truncate("é", 1); got != "…" {
		t.Errorf("no whole rune fits: %q", got)
	}
}

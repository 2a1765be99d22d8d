package multiset

import "testing"

func TestFormat(t *testing.T) {
	for _, c := range []struct {
		in   []string
		want string
	}{
		{nil, "{}"},
		{[]string{"b", "a"}, "{a, b}"},
		{[]string{"b", "a", "b"}, "{a, b×2}"},
		{[]string{"", ""}, "{×2}"},
	} {
		if got := Format(c.in); got != c.want {
			t.Errorf("Format(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

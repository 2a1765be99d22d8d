package discover

import "testing"

func TestIsTimeTellsDateTimesFromIDs(t *testing.T) {
	for v, want := range map[string]bool{
		"2026-12-01T18:25:27Z":                 true,
		"2026-12-01T18:25:27.123456+01:00":     true,
		"2026-12-01T18:25:27.123":              true,
		"2026-12-01 18:25:27":                  true,
		"acct-7":                               false,
		"5b6f0c2e-9d1a-4c3e-8f00-1a2b3c4d5e6f": false,
		"1733077527":                           false,
	} {
		if got := isTime(v); got != want {
			t.Errorf("isTime(%q) = %t, want %t", v, got, want)
		}
	}
}

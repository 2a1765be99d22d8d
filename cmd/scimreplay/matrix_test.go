package main

import "testing"

func TestMatrixBadInputExits2(t *testing.T) {
	t.Parallel()
	for name, args := range map[string][]string{
		"unknown fault": {"matrix", "--faults", "no-such-fault"},
		"no jobs":       {"matrix", "--jobs", "0"},
		"stray":         {"matrix", "extra"},
	} {
		t.Run(name, func(t *testing.T) {
			if r := runCLI(t, nil, args...); r.code != 2 {
				t.Fatalf("exit %d, want 2\n%s\n%s", r.code, r.stdout, r.stderr)
			}
		})
	}
}

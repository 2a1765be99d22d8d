// Package textcut shortens answers and bodies for messages: the harness's errors and exchange
// log and the fake Okta's errors cut them the same way, on a rune boundary and marked "…".
package textcut

import (
	"strings"
	"unicode/utf8"
)

// Excerpt is the start of a body for a message: trimmed, at most n bytes cut on a rune boundary
// and marked "…", or "(empty)".
func Excerpt(b []byte, n int) string {
	s := strings.TrimSpace(string(b))
	if s == "" {
		return "(empty)"
	}
	return Truncate(s, n)
}

// Truncate cuts s to at most n bytes, on a rune boundary, marking the cut with "…".
func Truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}

package harness

import (
	"encoding/json"
	"math/rand/v2"
	"regexp"
	"strings"
	"testing"
)

// matchLines is what probeAudit finds in a body, without the prefilter.
func matchLines(re *regexp.Regexp, body []byte) []string {
	var lines []string
	var doc any
	if json.Unmarshal(body, &doc) == nil {
		walkStrings(doc, func(s string) {
			if re.MatchString(s) {
				lines = append(lines, s)
			}
		})
		return lines
	}
	for _, l := range strings.Split(string(body), "\n") {
		if re.MatchString(l) {
			lines = append(lines, l)
		}
	}
	return lines
}

// TestAuditPrefilterNeverHidesALine: whenever cannotMatch skips decoding, decoding would have
// found nothing, on random JSON logs (some characters written as \u escapes), random text,
// split literals and invalid UTF-8.
func TestAuditPrefilterNeverHidesALine(t *testing.T) {
	patterns := []string{"unlinked any associated atlassian account", `a\.b`, "x", "(?i)unlinked", "unlinked|removed", "\uFFFD"}
	words := []string{"unlinked any associated atlassian account", "unlinked any", " associated atlassian account", "a.b", "x", "\"", "\n", "\xff", "é", "user created"}
	rng := rand.New(rand.NewPCG(9, 9))
	text := func() string {
		var b strings.Builder
		for n := rng.IntN(4); n >= 0; n-- {
			b.WriteString(words[rng.IntN(len(words))])
		}
		return b.String()
	}
	skipped := 0
	for i := 0; i < 20000; i++ {
		re := regexp.MustCompile(patterns[rng.IntN(len(patterns))])
		var body []byte
		switch rng.IntN(4) {
		case 0:
			body = []byte(text() + "\n" + text())
		case 1: // raw, unescaped text in a JSON string: invalid UTF-8 decodes to U+FFFD
			body = []byte(`{"events":[{"message":"` + text() + `"}]}`)
		default:
			var events []map[string]string
			for n := rng.IntN(4); n >= 0; n-- {
				events = append(events, map[string]string{"type": "link", "message": text()})
			}
			body, _ = json.Marshal(map[string]any{"events": events})
			if rng.IntN(2) == 0 { // a server may escape any character
				body = []byte(strings.ReplaceAll(string(body), "u", `\u0075`))
			}
		}
		if !cannotMatch(re, body) {
			continue
		}
		skipped++
		if got := matchLines(re, body); len(got) > 0 {
			t.Fatalf("pattern %q, body %q: the prefilter skipped it but decoding finds %q", re, body, got)
		}
	}
	if skipped < 1000 {
		t.Fatalf("the prefilter skipped only %d bodies: the test no longer exercises it", skipped)
	}
}

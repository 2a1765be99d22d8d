package ownsuite_test

import (
	"os"
	"regexp"
	"strings"
	"testing"
)

// The README's "Use it from your own Go tests" shows code of this suite and of the Replay
// example: every Go block there must stand, line for line (the lines starting with // … aside),
// in one of those files, so the documentation cannot drift from code that runs.
func TestReadmeShowsCodeThatRuns(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	var sources []string
	for _, f := range []string{"suite_test.go", "../../fakes/okta/replay_example_test.go"} {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		sources = append(sources, string(b))
	}
	section := string(readme)
	i := strings.Index(section, "## Use it from your own Go tests")
	if i < 0 {
		t.Fatal("the README has no section \"Use it from your own Go tests\"")
	}
	section = section[i:]
	if j := strings.Index(section[3:], "\n## "); j >= 0 {
		section = section[:j+3]
	}
	blocks := regexp.MustCompile("(?s)```go\n(.*?)```").FindAllStringSubmatch(section, -1)
	if len(blocks) < 3 {
		t.Fatalf("%d Go blocks in the section, want 3", len(blocks))
	}
	for _, b := range blocks {
		for _, line := range strings.Split(strings.TrimSpace(b[1]), "\n") {
			text := strings.TrimSpace(line)
			if text == "" || strings.HasPrefix(text, "// …") {
				continue
			}
			found := false
			for _, src := range sources {
				if strings.Contains(src, text) {
					found = true
				}
			}
			if !found {
				t.Errorf("the README shows a line no example holds: %s", text)
			}
		}
	}
}

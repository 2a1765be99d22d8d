package scenarios_test

import (
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/scimreplay/scimreplay/scenarios"
)

// TestReadmeExamplesAreCatalogueExcerpts keeps the format documentation honest: every YAML
// example in README.md that names a catalogue file in its first line (okta/… or entra/…) must be
// a verbatim excerpt of that file, and the catalogue tables must list every scenario.
func TestReadmeExamplesAreCatalogueExcerpts(t *testing.T) {
	b, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	readme := string(b)
	blocks := regexp.MustCompile("(?s)```yaml\n(.*?)```").FindAllStringSubmatch(readme, -1)
	named := map[string]int{}
	for _, m := range blocks {
		body := m[1]
		first, rest, _ := strings.Cut(body, "\n")
		file, ok := strings.CutPrefix(first, "# ")
		dir, _, _ := strings.Cut(file, "/")
		if !ok || (dir != "okta" && dir != "entra") {
			continue
		}
		named[dir]++
		src, err := scenarios.FS.ReadFile(file)
		if err != nil {
			t.Errorf("README example names %s: %v", file, err)
			continue
		}
		if !strings.Contains(string(src), rest) {
			t.Errorf("README example of %s is not an excerpt of the file:\n%s", file, rest)
		}
	}
	if named["okta"] < 5 || named["entra"] < 3 {
		t.Errorf("only %d Okta and %d Entra README examples name their catalogue file", named["okta"], named["entra"])
	}
	scs, err := scenarios.All()
	if err != nil {
		t.Fatal(err)
	}
	for _, sc := range scs {
		if !strings.Contains(readme, "| `"+sc.Name+"` |") {
			t.Errorf("the catalogue table in README.md does not list %s", sc.Name)
		}
	}
}

package scenarios_test

import (
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/scimreplay/scimreplay/scenarios"
)

// TestReadmeExamplesAreCatalogueExcerpts keeps the format documentation honest: every YAML
// example in README.md that names a catalogue file in its first line must be a verbatim excerpt
// of that file, and the catalogue table must list every scenario.
func TestReadmeExamplesAreCatalogueExcerpts(t *testing.T) {
	b, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	readme := string(b)
	blocks := regexp.MustCompile("(?s)```yaml\n(.*?)```").FindAllStringSubmatch(readme, -1)
	named := 0
	for _, m := range blocks {
		body := m[1]
		first, rest, _ := strings.Cut(body, "\n")
		file, ok := strings.CutPrefix(first, "# okta/")
		if !ok {
			continue
		}
		named++
		src, err := scenarios.FS.ReadFile("okta/" + file)
		if err != nil {
			t.Errorf("README example names %s: %v", file, err)
			continue
		}
		if !strings.Contains(string(src), rest) {
			t.Errorf("README example of %s is not an excerpt of the file:\n%s", file, rest)
		}
	}
	if named < 5 {
		t.Errorf("only %d README examples name their catalogue file", named)
	}
	scs, err := scenarios.Okta()
	if err != nil {
		t.Fatal(err)
	}
	for _, sc := range scs {
		if !strings.Contains(readme, "| `"+sc.Name+"` |") {
			t.Errorf("the catalogue table in README.md does not list %s", sc.Name)
		}
	}
}

package scenario

import (
	"strings"
	"testing"
)

const concurrentDoc = `version: 1
name: concurrent
source: test
org:
  users:
    - {key: bob, userName: bob@partner.example}
forceSync:
  - forEach: users
    concurrency: 8
    steps:
      - method: GET
        path: /Users/{{user.id}}
`

func TestParseConcurrency(t *testing.T) {
	sc, err := Parse("c.yaml", []byte(concurrentDoc))
	if err != nil {
		t.Fatal(err)
	}
	if got := sc.ForceSync[0].Concurrency; got != 8 {
		t.Fatalf("concurrency %d, want 8", got)
	}
	sc, err = Parse("c.yaml", []byte(strings.Replace(concurrentDoc, "    concurrency: 8\n", "", 1)))
	if err != nil {
		t.Fatal(err)
	}
	if got := sc.ForceSync[0].Concurrency; got != 0 {
		t.Fatalf("no concurrency: key gave %d, want 0 (sequential)", got)
	}
}

func TestParseConcurrencyErrors(t *testing.T) {
	cases := []struct{ name, from, to, want string }{
		{"zero", "concurrency: 8", "concurrency: 0", "c.yaml:9:18: concurrency must be between 1 and 64, not 0"},
		{"too many", "concurrency: 8", "concurrency: 65", "c.yaml:9:18: concurrency must be between 1 and 64, not 65"},
		{"not an integer", "concurrency: 8", "concurrency: many", "c.yaml:9:18: concurrency must be an integer"},
		{"not on a request", "    steps:\n      - method: GET\n", "    steps:\n      - method: GET\n        concurrency: 2\n", "c.yaml:12:22: concurrency: belongs to a forEach step"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			doc := strings.Replace(concurrentDoc, c.from, c.to, 1)
			if doc == concurrentDoc {
				t.Fatal("the edit did not apply")
			}
			_, err := Parse("c.yaml", []byte(doc))
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error %v, want %q", err, c.want)
			}
		})
	}
}

// TestParseProvisionConcurrency: okta: provision takes concurrency:, the other macros do not.
func TestParseProvisionConcurrency(t *testing.T) {
	doc := "version: 1\nname: p\nsource: test\norg:\n  users: [{key: bob, userName: bob@partner.example}]\nprovision:\n  - okta: provision\n    concurrency: 4\nforceSync:\n  - okta: listUsers\n"
	sc, err := Parse("p.yaml", []byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	if got := sc.Provision[0].Concurrency; got != 4 {
		t.Fatalf("provision concurrency %d, want 4", got)
	}
	_, err = Parse("p.yaml", []byte(strings.Replace(doc, "okta: provision", "okta: listUsers", 1)))
	if err == nil || !strings.Contains(err.Error(), "p.yaml:8:18: concurrency: belongs to a forEach step") {
		t.Fatalf("concurrency on okta: listUsers: %v", err)
	}
}

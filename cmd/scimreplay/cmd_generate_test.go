package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/scimreplay/scimreplay/harness/scenario"
)

func TestGenerateWritesALoadableScenario(t *testing.T) {
	t.Parallel()
	out := filepath.Join(t.TempDir(), "scale.yaml")
	var stdout, stderr bytes.Buffer
	if code := dispatch([]string{"generate", "--users", "120", "--groups", "4", "--unmanaged", "0.25", "--out", out}, &stdout, &stderr); code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	sc, err := scenario.LoadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if len(sc.Org.Users) != 120 || len(sc.Org.Groups) != 4 || sc.Name != "generated-120u-4g" {
		t.Fatalf("%s: %d users, %d groups", sc.Name, len(sc.Org.Users), len(sc.Org.Groups))
	}
	var again bytes.Buffer
	if code := dispatch([]string{"generate", "--users", "120", "--groups", "4", "--unmanaged", "0.25", "--out", "-"}, &again, &stderr); code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	if b, _ := os.ReadFile(out); !bytes.Equal(b, again.Bytes()) {
		t.Fatal("the file and stdout differ: generate is not deterministic")
	}
}

func TestGenerateBadFlagsExit2(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{
		{"generate", "--users", "10"},
		{"generate", "--users", "0", "--out", "-"},
		{"generate", "--unmanaged", "2", "--out", "-"},
		{"generate", "--name", "Not Valid", "--out", "-"},
		{"generate", "--out", "-", "extra"},
	} {
		var stdout, stderr bytes.Buffer
		if code := dispatch(args, &stdout, &stderr); code != exitCannotRun || stderr.Len() == 0 {
			t.Errorf("%q: exit %d, stderr %q", args, code, stderr.String())
		}
		if strings.Contains(stdout.String(), "version: 1") {
			t.Errorf("%q wrote a scenario", args)
		}
	}
}

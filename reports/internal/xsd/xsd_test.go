package xsd

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// xmllintAgrees checks a document with xmllint too, where it is installed, so this validator and
// the reference implementation read the schema alike.
func xmllintAgrees(t *testing.T, doc string, valid bool) {
	t.Helper()
	bin, err := exec.LookPath("xmllint")
	if err != nil {
		return
	}
	path := filepath.Join(t.TempDir(), "doc.xml")
	if err := os.WriteFile(path, []byte(doc), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(bin, "--noout", "--schema", junitXSD, path).CombinedOutput()
	if (err == nil) != valid {
		t.Errorf("xmllint disagrees (valid=%t expected): %s", valid, out)
	}
}

const junitXSD = "../../testdata/junit.xsd"

func compileJUnit(t *testing.T) *Schema {
	t.Helper()
	f, err := os.Open(junitXSD)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	s, err := Compile(f)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestValidDocumentPasses(t *testing.T) {
	s := compileJUnit(t)
	doc := `<?xml version="1.0" encoding="UTF-8"?>
<testsuites name="x" tests="2" failures="1" errors="0" time="1.5">
  <testsuite name="a" tests="2" failures="1" errors="0" skipped="0" time="1.5" timestamp="2026-11-28T17:37:28">
    <properties><property name="target" value="img:1"/></properties>
    <testcase name="a/b" classname="t" time="0.5"/>
    <testcase name="a/c" classname="t" time="1"><failure message="m" type="regression">body</failure><system-out>logs</system-out></testcase>
  </testsuite>
</testsuites>`
	if errs := s.Validate(strings.NewReader(doc)); len(errs) > 0 {
		t.Fatalf("a valid document is rejected: %v", errs)
	}
	xmllintAgrees(t, doc, true)
}

// Each document breaks one rule of the schema; the validator must say which, on which line.
func TestInvalidDocumentsFail(t *testing.T) {
	s := compileJUnit(t)
	for name, tc := range map[string]struct{ doc, want string }{
		"ginkgo status attribute": {
			`<testsuites><testsuite name="a" tests="1" failures="0" errors="0">
<testcase name="x" classname="c" time="1" status="passed"/></testsuite></testsuites>`,
			`line 2: <testcase>: attribute "status" is not allowed`,
		},
		"properties in a testcase": {
			`<testsuites><testsuite name="a" tests="1" failures="0" errors="0">
<testcase name="x" classname="c" time="1"><properties/></testcase></testsuite></testsuites>`,
			"line 2: <testcase>: children <properties> do not match",
		},
		"missing required count": {
			`<testsuites><testsuite name="a" tests="1" errors="0"/></testsuites>`,
			`required attribute "failures" is missing`,
		},
		"bad time": {
			`<testsuites><testsuite name="a" tests="1" failures="0" errors="0" time="1,5"/></testsuites>`,
			`time="1,5" does not match`,
		},
		"two outcomes": {
			`<testsuites><testsuite name="a" tests="1" failures="0" errors="0">
<testcase name="x" classname="c" time="1"><failure/><error/></testcase></testsuite></testsuites>`,
			"children <failure><error> do not match",
		},
		"system-out before failure": {
			`<testsuites><testsuite name="a" tests="1" failures="0" errors="0">
<testcase name="x" classname="c" time="1"><system-out/><failure/></testcase></testsuite></testsuites>`,
			"children <system-out><failure> do not match",
		},
		"element inside text": {
			`<testsuites><testsuite name="a" tests="1" failures="0" errors="0">
<testcase name="x" classname="c" time="1"><failure><b/></failure></testcase></testsuite></testsuites>`,
			"line 2: <failure>: child <b> is not allowed",
		},
		"empty name": {
			`<testsuites><testsuite name="" tests="1" failures="0" errors="0"/></testsuites>`,
			`name="" does not match`,
		},
		"wrong root": {`<testsuite name="a" tests="1" failures="0" errors="0"/>`, "root <testsuite> is not declared"},
		"stray text": {
			`<testsuites>hello<testsuite name="a" tests="1" failures="0" errors="0"/></testsuites>`,
			"text is not allowed",
		},
	} {
		t.Run(name, func(t *testing.T) {
			errs := s.Validate(strings.NewReader(tc.doc))
			var msgs []string
			for _, e := range errs {
				msgs = append(msgs, e.Error())
			}
			if !strings.Contains(strings.Join(msgs, "\n"), tc.want) {
				t.Fatalf("want an error containing %q, got %q", tc.want, msgs)
			}
			xmllintAgrees(t, tc.doc, false)
		})
	}
}

func TestUnsupportedSchemaConstructIsAnError(t *testing.T) {
	_, err := Compile(strings.NewReader(`<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema"><xs:group name="g"/></xs:schema>`))
	if err == nil || !strings.Contains(err.Error(), "xs:group> is not supported") {
		t.Fatalf("got %v", err)
	}
}

package reports

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// Files names the report files of a run; an empty name is not written.
type Files struct {
	JUnit   string // junit.xml
	Summary string // summary.md
	HTML    string // report.html
}

// FilesIn names the three reports in dir: junit.xml, summary.md and report.html.
func FilesIn(dir string) Files {
	return Files{
		JUnit:   filepath.Join(dir, "junit.xml"),
		Summary: filepath.Join(dir, "summary.md"),
		HTML:    filepath.Join(dir, "report.html"),
	}
}

// HumanIn names summary.md and report.html in dir, beside a JUnit file of any name.
func HumanIn(junit, dir string) Files {
	f := FilesIn(dir)
	f.JUnit = junit
	return f
}

// Write writes each named report of the run, secrets redacted.
func (f Files) Write(run *Run, secrets ...string) error {
	for _, out := range []struct {
		path   string
		render func(io.Writer, *Run, ...string) error
	}{{f.JUnit, EncodeJUnit}, {f.Summary, WriteMarkdown}, {f.HTML, WriteHTML}} {
		if out.path == "" {
			continue
		}
		var b bytes.Buffer
		if err := out.render(&b, run, secrets...); err != nil {
			return err
		}
		if err := writeFile(out.path, b.Bytes()); err != nil {
			return err
		}
	}
	return nil
}

// writeFile writes through a temporary file and a rename, so a reader (a CI step, a parallel
// parent) never sees half a report.
func writeFile(path string, data []byte) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".*")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		os.Remove(tmp.Name())
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

package reports

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/scimreplay/scimreplay/harness"
)

// The JUnit written here keeps to the common core that CI tools read (reports/testdata/junit.xsd:
// Jenkins' junit-10 shape in Ant's element order). That core allows properties only on a
// testsuite, so each case gets a testsuite of its own, which carries the case's properties
// (target, scenario file, verdict, diff, snapshots); the testcase inside carries the outcome, the
// human diff as the failure body, and on failure the requests and target logs as system-out.

type junitSuites struct {
	XMLName  xml.Name     `xml:"testsuites"`
	Name     string       `xml:"name,attr,omitempty"`
	Tests    int          `xml:"tests,attr"`
	Failures int          `xml:"failures,attr"`
	Errors   int          `xml:"errors,attr"`
	Skipped  int          `xml:"skipped,attr"`
	Time     string       `xml:"time,attr"`
	Suites   []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name       string           `xml:"name,attr"`
	Tests      int              `xml:"tests,attr"`
	Failures   int              `xml:"failures,attr"`
	Errors     int              `xml:"errors,attr"`
	Skipped    int              `xml:"skipped,attr"`
	Time       string           `xml:"time,attr"`
	Timestamp  string           `xml:"timestamp,attr,omitempty"`
	Properties *junitProperties `xml:"properties,omitempty"`
	Cases      []junitCase      `xml:"testcase"`
}

type junitProperties struct {
	Properties []junitProperty `xml:"property"`
}

type junitProperty struct {
	Name  string `xml:"name,attr"`
	Value string `xml:"value,attr"`
}

type junitCase struct {
	Name      string        `xml:"name,attr"`
	Classname string        `xml:"classname,attr"`
	Time      string        `xml:"time,attr"`
	Skipped   *junitOutcome `xml:"skipped,omitempty"`
	Error     *junitOutcome `xml:"error,omitempty"`
	Failure   *junitOutcome `xml:"failure,omitempty"`
	SystemOut string        `xml:"system-out,omitempty"`
	SystemErr string        `xml:"system-err,omitempty"`
}

type junitOutcome struct {
	Message string `xml:"message,attr,omitempty"`
	Type    string `xml:"type,attr,omitempty"`
	Body    string `xml:",chardata"`
}

// Property names in the JUnit testsuite of a case.
const (
	propTarget           = "target"
	propTargetImage      = "target-image"
	propScenarioFile     = "scenario-file"
	propLabels           = "labels"
	propVerifiedDomains  = "verified-domains"
	propVerdict          = "verdict"
	propDiff             = "diff"
	propSnapshots        = "snapshots"
	propSnapshotsOmitted = "snapshots-omitted"
	propCoverage         = "coverage"
	propChecked          = "checked"
)

const timestampLayout = "2006-01-02T15:04:05"

// sections of system-out, so ReadJUnit can split them again.
const (
	requestsHeading = "=== requests sent ===\n"
	logsHeading     = "=== target logs ===\n"
)

func seconds(d time.Duration) string { return strconv.FormatFloat(d.Seconds(), 'f', 3, 64) }

// EncodeJUnit writes the run as JUnit XML, secrets redacted.
func EncodeJUnit(w io.Writer, run *Run, secrets ...string) error {
	cl := func(s string) string { return clean(s, secrets) }
	out := junitSuites{Name: cl(run.Name), Time: seconds(run.Time)}
	for _, c := range run.Cases {
		s := junitSuite{Name: cl(c.Name), Tests: 1, Time: seconds(c.Time)}
		if !c.Start.IsZero() {
			s.Timestamp = c.Start.Format(timestampLayout)
		}
		props := []junitProperty{
			{propTarget, c.Target}, {propTargetImage, c.TargetImage},
			{propScenarioFile, c.ScenarioFile}, {propLabels, strings.Join(c.Labels, ", ")},
			{propVerifiedDomains, strings.Join(c.VerifiedDomains, ",")},
			{propVerdict, c.Verdict},
		}
		if c.Diff != nil {
			b, err := json.Marshal(c.Diff)
			if err != nil {
				return fmt.Errorf("junit: %s: diff: %w", c.Name, err)
			}
			props = append(props, junitProperty{propDiff, string(b)})
		}
		if c.Coverage != nil {
			b, err := json.Marshal(c.Coverage)
			if err != nil {
				return fmt.Errorf("junit: %s: coverage: %w", c.Name, err)
			}
			props = append(props, junitProperty{propChecked, c.Coverage.String()}, junitProperty{propCoverage, string(b)})
		}
		if c.Snapshots != nil {
			b, err := json.Marshal(c.Snapshots)
			if err != nil {
				return fmt.Errorf("junit: %s: snapshots: %w", c.Name, err)
			}
			props = append(props, junitProperty{propSnapshots, string(b)})
		}
		if c.SnapshotsOmitted != "" {
			props = append(props, junitProperty{propSnapshotsOmitted, c.SnapshotsOmitted})
		}
		for _, p := range c.Properties {
			props = append(props, junitProperty{p.Name, p.Value})
		}
		s.Properties = &junitProperties{}
		for _, p := range props {
			if p.Value != "" {
				s.Properties.Properties = append(s.Properties.Properties, junitProperty{cl(p.Name), cl(p.Value)})
			}
		}
		tc := junitCase{Name: cl(c.Name), Classname: cl(c.Target), Time: seconds(c.Time)}
		switch c.Status {
		case Skipped:
			tc.Skipped = &junitOutcome{Message: cl(c.Message)}
			s.Skipped, out.Skipped = 1, out.Skipped+1
		case Failed:
			tc.Failure = &junitOutcome{Message: cl(c.Message), Type: c.Verdict, Body: cl(failureBody(c))}
			s.Failures, out.Failures = 1, out.Failures+1
		case Errored:
			tc.Error = &junitOutcome{Message: cl(c.Message), Type: c.Verdict, Body: cl(failureBody(c))}
			s.Errors, out.Errors = 1, out.Errors+1
		}
		if c.Failed() {
			var so strings.Builder
			if c.Requests != "" {
				so.WriteString(requestsHeading + tail(c.Requests, maxTextBytes) + "\n")
			}
			if c.Logs != "" {
				so.WriteString(logsHeading + tail(c.Logs, maxTextBytes) + "\n")
			}
			tc.SystemOut = cl(so.String())
			tc.SystemErr = cl(c.Output)
		}
		s.Cases = []junitCase{tc}
		out.Tests++
		out.Suites = append(out.Suites, s)
	}
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(out); err != nil {
		return fmt.Errorf("junit: %w", err)
	}
	_, err := io.WriteString(w, "\n")
	return err
}

// failureBody is the human diff, or the failure message when nothing was compared, then where.
func failureBody(c Case) string {
	body := c.Message
	if c.Diff != nil && !c.Diff.Empty() {
		body = c.Diff.String()
	}
	if c.Location != "" {
		body += "\n\nat " + c.Location
	}
	return body
}

// WriteJUnit writes the run's JUnit XML to path, creating its directory.
func WriteJUnit(path string, run *Run, secrets ...string) error {
	return Files{JUnit: path}.Write(run, secrets...)
}

// ReadJUnit reads a JUnit file written by WriteJUnit back into a run.
func ReadJUnit(path string) (*Run, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	run, err := DecodeJUnit(bytes.NewReader(b))
	if err != nil {
		return nil, fmt.Errorf("%s:%w", path, err)
	}
	return run, nil
}

// DecodeJUnit reads JUnit XML written by EncodeJUnit. Errors start with the line: "12: …".
func DecodeJUnit(r io.Reader) (*Run, error) {
	var in junitSuites
	dec := xml.NewDecoder(r)
	if err := dec.Decode(&in); err != nil {
		var se *xml.SyntaxError
		if errors.As(err, &se) {
			return nil, fmt.Errorf("%d: %s", se.Line, se.Msg)
		}
		line, _ := dec.InputPos()
		return nil, fmt.Errorf("%d: not a JUnit <testsuites> document: %v", line, err)
	}
	run := &Run{Name: in.Name, Time: parseSeconds(in.Time)}
	for _, s := range in.Suites {
		props := map[string]string{}
		var extra []Property
		if s.Properties != nil {
			for _, p := range s.Properties.Properties {
				switch p.Name {
				case propTarget, propTargetImage, propScenarioFile, propLabels, propVerifiedDomains, propVerdict,
					propDiff, propSnapshots, propSnapshotsOmitted, propCoverage:
					props[p.Name] = p.Value
				case propChecked: // the words of coverage, written again from it
				default:
					extra = append(extra, Property{p.Name, p.Value})
				}
			}
		}
		for _, tc := range s.Cases {
			c := Case{
				Name: tc.Name, Target: props[propTarget], TargetImage: props[propTargetImage],
				ScenarioFile: props[propScenarioFile], Verdict: props[propVerdict],
				SnapshotsOmitted: props[propSnapshotsOmitted], Properties: extra,
				Time: parseSeconds(tc.Time), Status: Passed,
			}
			if c.Target == "" {
				c.Target = tc.Classname
			}
			if l := props[propLabels]; l != "" {
				c.Labels = strings.Split(l, ", ")
			}
			if d := props[propVerifiedDomains]; d != "" {
				c.VerifiedDomains = strings.Split(d, ",")
			}
			if t, err := time.ParseInLocation(timestampLayout, s.Timestamp, time.Local); err == nil {
				c.Start = t
				if run.Start.IsZero() || t.Before(run.Start) {
					run.Start = t
				}
			}
			var o *junitOutcome
			switch {
			case tc.Failure != nil:
				c.Status, o = Failed, tc.Failure
			case tc.Error != nil:
				c.Status, o = Errored, tc.Error
			case tc.Skipped != nil:
				c.Status, c.Message = Skipped, tc.Skipped.Message
			}
			if o != nil {
				c.Message = o.Message
				if i := strings.LastIndex(o.Body, "\n\nat "); i >= 0 {
					c.Location = o.Body[i+len("\n\nat "):]
				}
				if c.Verdict == "" {
					c.Verdict = o.Type
				}
			}
			if d := props[propDiff]; d != "" {
				var diff harness.Diff
				if err := json.Unmarshal([]byte(d), &diff); err != nil {
					return nil, fmt.Errorf("testsuite %q: property diff: %w", s.Name, err)
				}
				c.Diff = &diff
			}
			if cv := props[propCoverage]; cv != "" {
				var cov harness.Coverage
				if err := json.Unmarshal([]byte(cv), &cov); err != nil {
					return nil, fmt.Errorf("testsuite %q: property coverage: %w", s.Name, err)
				}
				c.Coverage = &cov
			}
			if sn := props[propSnapshots]; sn != "" {
				var snap Snapshots
				if err := json.Unmarshal([]byte(sn), &snap); err != nil {
					return nil, fmt.Errorf("testsuite %q: property snapshots: %w", s.Name, err)
				}
				c.Snapshots = &snap
			}
			c.Requests, c.Logs = splitSystemOut(tc.SystemOut)
			c.Output = tc.SystemErr
			run.Cases = append(run.Cases, c)
		}
	}
	return run, nil
}

func splitSystemOut(s string) (requests, logs string) {
	if i := strings.Index(s, logsHeading); i >= 0 {
		logs = strings.TrimSuffix(s[i+len(logsHeading):], "\n")
		s = s[:i]
	}
	if strings.HasPrefix(s, requestsHeading) {
		requests = strings.TrimSuffix(s[len(requestsHeading):], "\n")
	}
	return requests, logs
}

// parseSeconds reads a JUnit time attribute as a duration in seconds (0 when absent).
func parseSeconds(s string) time.Duration {
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return 0
	}
	return time.Duration(f * float64(time.Second))
}

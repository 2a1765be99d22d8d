// Package reports turns a finished Ginkgo suite into what a CI job and a person read: JUnit XML
// that CI tools parse (junit.xml), a Markdown summary for a job summary or a pull-request comment
// (summary.md), and a self-contained HTML page with before/after tables (report.html).
//
// It works on any Ginkgo Report (the force-sync suite and the conformance suite alike): each It
// becomes one Case named by its container texts and leaf text joined with "/"
// (`forcesync/okta/identical-repush`); report entries with the names below are understood, any
// other entry is kept as a property. The JUnit file carries everything the human reports need, so
// ReadJUnit and the renderers can re-create them later (`scimreplay report junit.xml`).
package reports

import (
	"encoding/json"
	"fmt"
	"regexp"
	"runtime"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/onsi/ginkgo/v2/types"

	"github.com/scimreplay/scimreplay/harness"
)

// Report entry names a suite attaches to a spec with AddReportEntry.
const (
	// EntryVerdict is VerdictRegression or VerdictCouldNotRun, for a failed spec.
	EntryVerdict = "verdict"
	// EntryDiff is a harness.Diff: what moved, in words.
	EntryDiff = "diff"
	// EntrySnapshots is the JSON of {"before": harness.Snapshot, "after": harness.Snapshot}.
	EntrySnapshots = "snapshots"
	// EntryRequests is the log of the requests sent (redacted).
	EntryRequests = "requests"
	// EntryLogs is the target's container log (redacted).
	EntryLogs = "target-logs"
	// EntryScenarioFile is the scenario file a spec replays.
	EntryScenarioFile = "scenario-file"
	// EntryCoverage is a harness.Coverage: what the verdict rests on.
	EntryCoverage = "coverage"
)

// Verdicts of a failed case.
const (
	VerdictRegression  = "regression"    // the target failed: exit 1
	VerdictCouldNotRun = "could-not-run" // the run could not be done: exit 2
)

// Status of a case.
type Status string

// The statuses a case can have.
const (
	Passed  Status = "passed"
	Failed  Status = "failed"  // an assertion failed (JUnit <failure>)
	Errored Status = "error"   // panicked, interrupted, aborted (JUnit <error>)
	Skipped Status = "skipped" // not selected, skipped or pending
)

// Snapshots are the states before and after the force sync of one case.
type Snapshots struct {
	Before *harness.Snapshot `json:"before"`
	After  *harness.Snapshot `json:"after"`
}

// Property is a named value of a case that the reports do not interpret.
type Property struct {
	Name, Value string
}

// Case is one testcase: one scenario (or conformance check) against one target.
type Case struct {
	Name         string // forcesync/okta/identical-repush
	Target       string // the target's name
	TargetImage  string // its image, Dockerfile directory or URL
	ScenarioFile string
	Labels       []string
	// VerifiedDomains of the target: users elsewhere are unmanaged.
	VerifiedDomains []string

	Status   Status
	Verdict  string // VerdictRegression or VerdictCouldNotRun for a failed case
	Message  string // the failure message
	Location string // where it failed, file:line, in a team's own suite (see location); else empty

	Diff      *harness.Diff
	Coverage  *harness.Coverage // what the verdict rests on; nil when no snapshot was taken
	Snapshots *Snapshots
	// SnapshotsOmitted says why Snapshots is nil although they were taken (too large to keep).
	SnapshotsOmitted string

	Requests string // the requests sent, on failure
	Logs     string // the target's log, on failure
	Output   string // the steps and the suite's output, on failure

	Start      time.Time
	Time       time.Duration
	Properties []Property
}

// Failed reports whether the case failed or errored.
func (c Case) Failed() bool { return c.Status == Failed || c.Status == Errored }

// Scenario is the last part of the case name: the scenario or check.
func (c Case) Scenario() string {
	return c.Name[strings.LastIndex(c.Name, "/")+1:]
}

// IdP is the identity provider whose traffic (or requirement) the case is: its idp: label, else
// the middle part of a name forcesync/<idp>/<scenario>; "" for neither (a failed suite node).
func (c Case) IdP() string {
	for _, l := range c.Labels {
		if idp, ok := strings.CutPrefix(l, "idp:"); ok && idp != "" {
			return idp
		}
	}
	if parts := strings.Split(c.Name, "/"); len(parts) == 3 && parts[0] == "forcesync" && !strings.HasPrefix(parts[1], "[") {
		return parts[1]
	}
	return ""
}

// idpTitles are the identity providers' names as the reports head their cases.
var idpTitles = map[string]string{"okta": "Okta", "entra": "Microsoft Entra ID"}

// IdPTitle is an identity provider's name for a heading: "Okta" for okta, "Microsoft Entra ID"
// for entra, any other as it is.
func IdPTitle(idp string) string {
	if t, ok := idpTitles[idp]; ok {
		return t
	}
	return idp
}

// Group is the cases of one identity provider, in run order.
type Group struct {
	IdP   string // "" for cases of no identity provider (a failed suite node)
	Title string // IdPTitle of IdP; "" when IdP is
	Cases []Case
}

// ByIdP groups cases by identity provider, each group's cases in run order: the cases of no
// identity provider first, then Okta's, Entra's, and any other in the order its first case
// comes in, so a parallel run whose cases interleave reads the same every time.
func ByIdP(cases []Case) []Group {
	var out []Group
	for _, g := range groupByIdP(cases, Case.IdP) {
		grp := Group{IdP: g.idp, Cases: g.items}
		if g.idp != "" {
			grp.Title = IdPTitle(g.idp)
		}
		out = append(out, grp)
	}
	return out
}

type idpGroup[T any] struct {
	idp   string
	items []T
}

// groupByIdP is ByIdP for anything that has an identity provider.
func groupByIdP[T any](items []T, idpOf func(T) string) []idpGroup[T] {
	var out []idpGroup[T]
	index := map[string]int{}
	for _, it := range items {
		idp := idpOf(it)
		i, ok := index[idp]
		if !ok {
			i = len(out)
			index[idp] = i
			out = append(out, idpGroup[T]{idp: idp})
		}
		out[i].items = append(out[i].items, it)
	}
	rank := func(idp string) int {
		switch idp {
		case "":
			return 0
		case "okta":
			return 1
		case "entra":
			return 2
		}
		return 3
	}
	slices.SortStableFunc(out, func(a, b idpGroup[T]) int { return rank(a.idp) - rank(b.idp) })
	return out
}

// Run is one gate run: its cases in order.
type Run struct {
	Name  string // "scimreplay gate"
	Start time.Time
	Time  time.Duration
	Cases []Case
}

func (r *Run) title() string {
	if r.Name == "" {
		return "scimreplay"
	}
	return r.Name
}

// Code is the gate's exit code for the run: 1 when a case found a regression (it outranks
// everything), else 2 when a case could not be run, else 0.
func (r *Run) Code() int {
	code := 0
	for _, c := range r.Cases {
		if !c.Failed() {
			continue
		}
		if c.Verdict == VerdictRegression {
			return 1
		}
		code = 2
	}
	return code
}

// Tally counts a run's cases by outcome.
type Tally struct {
	Passed      int
	Regressions int // failed with VerdictRegression
	CouldNotRun int // failed or errored otherwise
	Skipped     int // not selected, skipped or pending
}

// Tally counts the cases by outcome.
func (r *Run) Tally() Tally {
	var t Tally
	for _, c := range r.Cases {
		switch {
		case c.Status == Passed:
			t.Passed++
		case c.Status == Skipped:
			t.Skipped++
		case c.Verdict == VerdictRegression:
			t.Regressions++
		default:
			t.CouldNotRun++
		}
	}
	return t
}

// Targets lists the distinct targets of the run, in order of appearance.
func (r *Run) Targets() []string {
	var out []string
	seen := map[string]bool{}
	for _, c := range r.Cases {
		t := c.Target
		if c.TargetImage != "" && c.TargetImage != c.Target {
			t += " (" + c.TargetImage + ")"
		}
		if !seen[t] {
			seen[t] = true
			out = append(out, t)
		}
	}
	return out
}

// Merge joins runs (the shards of a parallel gate) into one, cases in the order of their
// scenario (the last part of the name) in order; cases not in order keep their relative order,
// after the others.
func Merge(name string, order []string, runs ...*Run) *Run {
	m := &Run{Name: name}
	for _, r := range runs {
		if r == nil {
			continue
		}
		if m.Start.IsZero() || (!r.Start.IsZero() && r.Start.Before(m.Start)) {
			m.Start = r.Start
		}
		m.Time = max(m.Time, r.Time)
		m.Cases = append(m.Cases, r.Cases...)
	}
	rank := make(map[string]int, len(order))
	for i, n := range order {
		rank[n] = i
	}
	pos := func(c Case) int {
		if i, ok := rank[c.Scenario()]; ok {
			return i
		}
		return len(order)
	}
	sort.SliceStable(m.Cases, func(i, j int) bool { return pos(m.Cases[i]) < pos(m.Cases[j]) })
	return m
}

// Options describe what a Ginkgo report does not say itself.
type Options struct {
	Name        string // the run's name; default "scimreplay"
	Suite       string // names failed suite nodes: <Suite>/[BeforeSuite]; default the suite description
	Target      string // the target's name, for every case
	TargetImage string // its image, Dockerfile directory or URL
	// VerifiedDomains of the target, so the reports can class every user as managed or not.
	VerifiedDomains []string
}

// FromGinkgo reads a finished suite's report. Every It is a case (skipped ones too, so a
// dashboard shows what was not selected); a suite node (BeforeSuite…) is a case only when it
// failed, so a run that could not start still says why in JUnit.
func FromGinkgo(r types.Report, o Options) *Run {
	run := &Run{Name: o.Name, Start: r.StartTime, Time: r.RunTime}
	if run.Name == "" {
		run.Name = "scimreplay"
	}
	suite := o.Suite
	if suite == "" {
		suite = r.SuiteDescription
	}
	for _, s := range r.SpecReports {
		var name string
		if s.LeafNodeType == types.NodeTypeIt {
			name = strings.Join(append(append([]string(nil), s.ContainerHierarchyTexts...), s.LeafNodeText), "/")
		} else {
			if !s.Failed() {
				continue
			}
			name = fmt.Sprintf("%s/[%s]", suite, s.LeafNodeType)
		}
		run.Cases = append(run.Cases, caseOf(s, name, o))
	}
	if !r.SuiteSucceeded && run.Code() == 0 {
		// The suite failed with no failed spec: interrupted, programmatic focus, a failed report node.
		reasons := strings.Join(r.SpecialSuiteFailureReasons, "; ")
		if reasons == "" {
			reasons = "the suite did not succeed"
		}
		run.Cases = append(run.Cases, Case{
			Name: suite + "/[suite]", Target: o.Target, TargetImage: o.TargetImage,
			Status: Errored, Verdict: VerdictCouldNotRun, Message: reasons, Start: r.StartTime,
		})
	}
	return run
}

func caseOf(s types.SpecReport, name string, o Options) Case {
	c := Case{
		Name: name, Target: o.Target, TargetImage: o.TargetImage,
		Labels: s.Labels(), VerifiedDomains: o.VerifiedDomains, Start: s.StartTime, Time: s.RunTime,
	}
	switch s.State {
	case types.SpecStatePassed:
		c.Status = Passed
	case types.SpecStateSkipped, types.SpecStatePending:
		c.Status = Skipped
		c.Message = s.Failure.Message
		if c.Message == "" && s.State == types.SpecStateSkipped {
			c.Message = "not selected"
		}
	case types.SpecStateFailed, types.SpecStateTimedout:
		c.Status = Failed
	default: // panicked, interrupted, aborted
		c.Status = Errored
	}
	if c.Failed() {
		c.Message = s.Failure.Message
		if s.State == types.SpecStatePanicked && s.Failure.ForwardedPanic != "" {
			c.Message = strings.TrimSpace(c.Message + "\npanic: " + s.Failure.ForwardedPanic)
		}
		c.Location = location(s)
		c.Output = output(s)
	}
	for _, e := range s.ReportEntries {
		switch e.Name {
		case EntryVerdict:
			c.Verdict = e.StringRepresentation()
		case EntryScenarioFile:
			c.ScenarioFile = e.StringRepresentation()
		case EntryRequests:
			c.Requests = e.StringRepresentation()
		case EntryLogs:
			c.Logs = e.StringRepresentation()
		case EntryDiff:
			var d harness.Diff
			if raw, ok := e.GetRawValue().(harness.Diff); ok {
				d = raw
			} else if err := json.Unmarshal([]byte(e.Value.AsJSON), &d); err != nil {
				c.Properties = append(c.Properties, Property{e.Name, e.StringRepresentation()})
				continue
			}
			c.Diff = &d
		case EntryCoverage:
			var cov harness.Coverage
			if raw, ok := e.GetRawValue().(harness.Coverage); ok {
				cov = raw
			} else if err := json.Unmarshal([]byte(e.Value.AsJSON), &cov); err != nil {
				c.Properties = append(c.Properties, Property{e.Name, e.StringRepresentation()})
				continue
			}
			c.Coverage = &cov
		case EntrySnapshots:
			c.Snapshots, c.SnapshotsOmitted = decodeSnapshots(e.StringRepresentation())
		default:
			c.Properties = append(c.Properties, Property{e.Name, e.StringRepresentation()})
		}
	}
	if c.Failed() && c.Verdict == "" {
		// The same rule as the gate's exit code: a failed assertion is the target's regression;
		// a timeout, panic, interrupt or failed suite node means the run could not be done.
		if s.LeafNodeType == types.NodeTypeIt && s.State == types.SpecStateFailed {
			c.Verdict = VerdictRegression
		} else {
			c.Verdict = VerdictCouldNotRun
		}
	}
	return c
}

// sourceRoot is this module's source root as the running binary records file names: an
// absolute directory, or with -trimpath its module path (and version, from the module cache).
var sourceRoot = func() string {
	_, file, _, ok := runtime.Caller(0)
	if !ok || !strings.HasSuffix(file, "reports/run.go") {
		return ""
	}
	return strings.TrimSuffix(file, "reports/run.go")
}()

// location is where a failed spec failed, for the reports, when that says something to their
// reader: a line of a team's own suite. A location in scimreplay's own source (the harness, its
// specs, its fakes) names a line of the harness and the build machine's path, never the
// target's fault, so it is left out and the failure's words stand alone; so is a panic's,
// which is where Go raised it (its stack is in Ginkgo's -v output).
func location(s types.SpecReport) string {
	file := s.Failure.Location.FileName
	if file == "" || s.State == types.SpecStatePanicked || sourceRoot != "" && strings.HasPrefix(file, sourceRoot) {
		return ""
	}
	return s.Failure.Location.String()
}

// MaxSnapshotsBytes bounds the snapshots kept per case (compact JSON); larger ones are dropped
// from the reports, which say so, and the diff remains.
const MaxSnapshotsBytes = 256 << 10

func decodeSnapshots(s string) (*Snapshots, string) {
	if len(s) > 4*MaxSnapshotsBytes { // indented JSON is larger than compact; do not even decode
		return nil, fmt.Sprintf("snapshots of %d bytes are over the %d-byte limit", len(s), MaxSnapshotsBytes)
	}
	var snap Snapshots
	if err := json.Unmarshal([]byte(s), &snap); err != nil {
		return nil, fmt.Sprintf("snapshots do not decode: %v", err)
	}
	if b, _ := json.Marshal(snap); len(b) > MaxSnapshotsBytes {
		return nil, fmt.Sprintf("snapshots of %d bytes are over the %d-byte limit", len(b), MaxSnapshotsBytes)
	}
	return &snap, ""
}

// output is what a reader wants from a failed spec besides the diff: the steps it took and what
// it wrote (testcontainers' lines, the suite's own).
func output(s types.SpecReport) string {
	var b strings.Builder
	for _, ev := range s.SpecEvents {
		if ev.SpecEventType == types.SpecEventByStart {
			fmt.Fprintf(&b, "STEP: %s\n", ev.Message)
		}
	}
	if out := strings.TrimSpace(s.CapturedGinkgoWriterOutput); out != "" {
		b.WriteString("\n" + out + "\n")
	}
	if out := strings.TrimSpace(s.CapturedStdOutErr); out != "" {
		b.WriteString("\n" + out + "\n")
	}
	return tail(strings.TrimSpace(b.String()), maxTextBytes)
}

// maxTextBytes bounds each free-text field (logs, requests, output) in the reports: the end is
// kept, where a failure usually is.
const maxTextBytes = 64 << 10

func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := len(s) - n
	for cut < len(s) && !isRuneStart(s[cut]) {
		cut++
	}
	return fmt.Sprintf("[… %d bytes cut …]\n", cut) + s[cut:]
}

func isRuneStart(b byte) bool { return b&0xC0 != 0x80 }

var ansiRE = regexp.MustCompile("\x1b\\[[0-9;?]*[A-Za-z]")

// clean makes text safe to publish: secrets and credentials redacted, terminal colour codes and
// characters XML cannot carry removed.
func clean(s string, secrets []string) string {
	s = ansiRE.ReplaceAllString(harness.Redact(s, secrets...), "")
	return strings.Map(func(r rune) rune {
		switch {
		case r == '\t' || r == '\n' || r == '\r':
			return r
		case r < 0x20 || r == 0xFFFE || r == 0xFFFF:
			return -1
		}
		return r
	}, s)
}

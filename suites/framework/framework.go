// Package framework is the lifecycle of specs that gate a SCIM target, for Ginkgo suites — yours
// or scimreplay's own. Kubernetes' e2e framework.NewDefaultFramework is the model:
//
//   - a suite makes one Suite (a variable of its own) describing the target, and calls
//     Suite.SetUp from its own BeforeSuite and Suite.TearDown from its own AfterSuite: nothing
//     here registers a suite-level node behind its back, so it sits next to a team's own set-up;
//   - inside a container, Suite.NewFramework installs the per-spec lifecycle: start the target
//     before each spec, DeferCleanup its removal, and when the spec fails attach the target's log
//     and the requests sent to the spec's report (so they reach the JUnit);
//   - Suite.NewSharedFramework does the same with one target for every spec of an Ordered
//     container.
//
// Nothing is kept at package level: two suites, or two Suites in one process, do not meet.
package framework

import (
	"context"
	"fmt"
	"io"
	stdlog "log"
	"strings"
	"sync"
	"time"

	. "github.com/onsi/ginkgo/v2"
	"github.com/testcontainers/testcontainers-go"

	"github.com/scimreplay/scimreplay/harness"
	"github.com/scimreplay/scimreplay/reports"
)

// Suite is what the specs of one suite share: the target they gate and the run's bookkeeping.
// Set its fields before the specs run; the zero value of each is a sensible default.
type Suite struct {
	// Target is the SCIM server the specs gate (a container image, a Dockerfile or a URL).
	Target harness.TargetSpec
	// RunID labels every container the run starts (harness.RunLabels), so the run's last
	// clean-up, or a later sweep, finds them; empty: a random id, fixed at first use.
	RunID string
	// RequestTimeout bounds each request (harness.DefaultRequestTimeout when 0).
	RequestTimeout time.Duration
	// Progress gets the lines a person follows on a long run (nil: GinkgoWriter).
	Progress io.Writer

	once          sync.Once
	mu            sync.Mutex
	startFailure  string // why the target first failed to start, naming the spec
	terminations  sync.WaitGroup
	terminateErrs []error
}

// ID is the run's id: RunID, or a random one chosen at first use.
func (s *Suite) ID() string {
	s.once.Do(func() {
		if s.RunID == "" {
			s.RunID = harness.NewRunID()
		}
	})
	return s.RunID
}

// Out is where progress lines go.
func (s *Suite) Out() io.Writer {
	if s.Progress != nil {
		return s.Progress
	}
	return GinkgoWriter
}

// SetUp checks what the specs need before any starts a target: for a container target, a Docker
// daemon that answers (else an error naming it: Docker-backed specs never skip silently). Call
// it from your BeforeSuite: Expect(suite.SetUp(ctx)).To(Succeed()).
func (s *Suite) SetUp(ctx context.Context) error {
	s.ID()
	if s.Target.URL != "" {
		return nil // a server already running: no container, no Docker daemon needed
	}
	return harness.CheckDocker(ctx)
}

// TearDown is the run's last clean-up: it waits for the targets still being removed in the
// background and removes every container the run started under its label, however its specs
// ended. Call it from your AfterSuite (it also runs after an interrupt).
func (s *Suite) TearDown(ctx context.Context) error {
	s.terminations.Wait()
	s.mu.Lock()
	errs := s.terminateErrs
	s.terminateErrs = nil
	s.mu.Unlock()
	for _, err := range errs {
		fmt.Fprintf(GinkgoWriter, "terminate target: %v\n", err)
	}
	if s.Target.URL != "" {
		return nil // no container was started
	}
	removed, err := harness.RemoveOwn(ctx, s.ID())
	for _, c := range removed {
		fmt.Fprintf(GinkgoWriter, "removed container %s\n", c)
	}
	if err != nil {
		return fmt.Errorf("remove the run's containers: %w", err)
	}
	return nil
}

// terminateInBackground removes a target without making the spec wait for its container to
// stop (a quarter of a small scenario's time, measured by make bench); TearDown waits for it.
func (s *Suite) terminateInBackground(t *harness.Target) {
	s.terminations.Go(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if err := t.Terminate(ctx); err != nil {
			s.mu.Lock()
			s.terminateErrs = append(s.terminateErrs, err)
			s.mu.Unlock()
		}
	})
}

// Framework is one spec's view of the target: started for it (or for its Ordered container),
// with the spec's own request log.
type Framework struct {
	Suite *Suite
	// Target is the started target, set before each spec runs.
	Target *harness.Target

	requests *harness.ExchangeLog
}

// NewFramework installs, in the container it is called in, a target per spec: before each spec
// it starts one (Suite.Target, labelled with the run's id), removes it once the spec is done,
// and attaches its log and the requests sent when the spec failed. A target that failed to start
// once in the run is not started again: later specs fail at once as could-not-run, naming the
// first failure, instead of each waiting out the startup timeout.
func (s *Suite) NewFramework() *Framework {
	f := &Framework{Suite: s}
	BeforeEach(func(ctx SpecContext) {
		f.requests = &harness.ExchangeLog{}
		f.start(ctx, true)
	}, NodeTimeout(s.startTimeout()))
	return f
}

// NewSharedFramework installs one target for every spec of the Ordered container it is called
// in (give the container ContinueOnFailure so one failing spec does not skip the rest): started
// in a BeforeAll, removed after the last spec; each spec still gets its own request log and the
// diagnostics when it fails.
func (s *Suite) NewSharedFramework() *Framework {
	f := &Framework{Suite: s}
	BeforeAll(func(ctx SpecContext) {
		f.requests = &harness.ExchangeLog{}
		f.start(ctx, false)
	}, NodeTimeout(s.startTimeout()))
	BeforeEach(func() {
		f.requests = &harness.ExchangeLog{}
		DeferCleanup(f.diagnose, NodeTimeout(time.Minute))
	})
	return f
}

func (s *Suite) startTimeout() time.Duration {
	return s.Target.WithDefaults().StartupTimeout + 2*time.Minute // an image build, the wait
}

func (f *Framework) start(ctx context.Context, perSpec bool) {
	s := f.Suite
	s.mu.Lock()
	first := s.startFailure
	s.mu.Unlock()
	if first != "" {
		CouldNotRun("the target did not start for %s", first)
	}
	spec := s.Target
	spec.Labels = harness.RunLabels(s.ID())
	By("starting the target " + spec.WithDefaults().Name)
	logger := stdlog.New(GinkgoWriter, "", stdlog.LstdFlags) // testcontainers' lines, into the spec's output
	opts := []testcontainers.ContainerCustomizer{testcontainers.WithLogger(logger)}
	if s.RequestTimeout > 0 {
		opts = append(opts, harness.WithRequestTimeout(s.RequestTimeout)) // bounds a URL target's readiness
	}
	t, err := harness.Run(ctx, spec, opts...)
	f.Target = t
	DeferCleanup(func() { s.terminateInBackground(t) })
	if perSpec {
		DeferCleanup(f.diagnose, NodeTimeout(time.Minute)) // runs before the removal above
	}
	if err != nil {
		token := spec.Token
		if t != nil {
			token = t.Spec.Token // a container target without one was given a random one
		}
		err = harness.RedactError(err, token)
		s.mu.Lock()
		if s.startFailure == "" {
			// Later specs name the first failure by its first line; its report has the rest
			// (a container's last log lines).
			first, _, cut := strings.Cut(err.Error(), "\n")
			if cut {
				first += " (its log is in that spec's report)"
			}
			s.startFailure = fmt.Sprintf("%s: %s", CurrentSpecReport().LeafNodeText, first)
		}
		s.mu.Unlock()
		if !perSpec {
			f.diagnose(ctx)
		}
		CouldNotRun("%v", err)
	}
	fmt.Fprintf(s.Out(), "  target started: %s\n", t.Spec.Name)
}

// diagnose attaches the target's log and the requests sent to a failed spec's report.
func (f *Framework) diagnose(ctx context.Context) {
	if !CurrentSpecReport().Failed() {
		return
	}
	if logs, err := f.Target.Logs(ctx); err == nil && logs != "" {
		AddReportEntry(reports.EntryLogs, ReportEntryVisibilityNever, logs)
	}
	if s := f.requests.String(); s != "" {
		AddReportEntry(reports.EntryRequests, ReportEntryVisibilityNever, s)
	}
}

// Client is a SCIM client for the target with the suite's request timeout; the spec's report
// gets the requests it sends when the spec fails. A client that cannot be made fails the spec as
// could-not-run.
func (f *Framework) Client(ctx context.Context) *harness.Client {
	GinkgoHelper()
	c, err := f.Target.Client(ctx)
	if err != nil {
		CouldNotRun("%v", err)
	}
	if f.Suite.RequestTimeout > 0 {
		c.Timeout = f.Suite.RequestTimeout
	}
	c.Observe(f.requests.Add)
	return c
}

// Requests is the spec's request log: give its Add to the Observe of any other client the spec
// makes, so the report of a failed spec shows those requests too.
func (f *Framework) Requests() *harness.ExchangeLog { return f.requests }

// Explain readies an error for a spec's report: it adds why the target's container stopped
// (killed, OOM, exit code) when the error means the target went away, and redacts the token,
// which a careless target may echo in an error body.
func (f *Framework) Explain(ctx context.Context, err error) error {
	if err == nil {
		return nil
	}
	if harness.IsCouldNotRun(err) {
		if why := f.Target.ContainerExit(ctx); why != "" {
			err = fmt.Errorf("%w; %s", err, why)
		}
	}
	return harness.RedactError(err, f.Target.Spec.Token)
}

// CouldNotRun fails the spec as a run that could not be done (exit 2): the target could not be
// started, reached or read, or the scenario cannot be replayed as written.
func CouldNotRun(format string, args ...any) {
	AddReportEntry(reports.EntryVerdict, reports.VerdictCouldNotRun)
	Fail(fmt.Sprintf("could not run: "+format, args...), 1)
}

// Regression fails the spec as a regression of the target (exit 1).
func Regression(format string, args ...any) {
	AddReportEntry(reports.EntryVerdict, reports.VerdictRegression)
	Fail(fmt.Sprintf(format, args...), 1)
}

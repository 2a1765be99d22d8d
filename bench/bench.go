package bench

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/scimreplay/scimreplay/fakes/okta"
	"github.com/scimreplay/scimreplay/fakes/reference"
	"github.com/scimreplay/scimreplay/harness"
	"github.com/scimreplay/scimreplay/harness/scenario"
)

// StartReference builds the reference directory image (once per process) and starts it with no
// fault on, labelled so the run's containers can be found. The Target is returned even with an
// error, so the caller can always Terminate it.
func StartReference(ctx context.Context) (*harness.Target, error) {
	if err := reference.BuildImage(ctx, ""); err != nil {
		return nil, err
	}
	spec := reference.Target(nil, nil)
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	spec.Labels = map[string]string{harness.LabelRun: "bench-" + hex.EncodeToString(b)}
	return harness.Run(ctx, spec)
}

// refSpec describes the reference directory; its probes and domains do not depend on the token.
var refSpec = reference.Target(nil, nil)

// Probes are the reference directory's link and audit probes.
func Probes() harness.Probes {
	return harness.Probes{Link: refSpec.LinkProbe, Audit: refSpec.AuditProbe}
}

// Managed classifies the reference directory's users, as the gate does.
func Managed(email string) bool { return refSpec.Managed(email) }

// Provision pushes sc's org into the target with the fake Okta's provision macro and returns the
// run (which holds the ids the target assigned) and how long it took.
func Provision(ctx context.Context, c *harness.Client, sc *scenario.Scenario) (*okta.Run, time.Duration, error) {
	run := okta.NewRun(sc, "bench")
	rp := &okta.Replayer{Client: c}
	start := time.Now()
	err := rp.Phase(ctx, run, "provision", sc.Provision)
	return run, time.Since(start), err
}

// SyncResult is one measured force sync.
type SyncResult struct {
	Total     time.Duration // snapshot before + force sync + snapshot after + diff
	Replay    time.Duration // the force sync phase alone
	Snapshots time.Duration // both snapshots
	Diff      time.Duration
	Requests  int64 // requests the whole measured part sent
	Changes   int   // changes the diff found (0 against a correct directory)
}

// ForceSync runs what the gate runs after provisioning, as the gate runs it (with its per-request
// exchange log): the snapshot before, the force sync phase, the snapshot after and the diff.
func ForceSync(ctx context.Context, c *harness.Client, run *okta.Run) (SyncResult, error) {
	var res SyncResult
	log := &exchangeLog{max: 200}
	c.Observe(log.add)
	defer c.Observe(nil)
	sent := c.Sent()
	rp := &okta.Replayer{Client: c}
	probes := Probes()

	start := time.Now()
	before, err := harness.TakeSnapshot(ctx, c, run.Scope(), probes)
	if err != nil {
		return res, fmt.Errorf("snapshot before: %w", err)
	}
	snap1 := time.Since(start)
	t := time.Now()
	if err := rp.Phase(ctx, run, "forceSync", run.Scenario.ForceSync); err != nil {
		return res, fmt.Errorf("force sync: %w", err)
	}
	res.Replay = time.Since(t)
	t = time.Now()
	after, err := harness.TakeSnapshot(ctx, c, run.Scope(), probes)
	if err != nil {
		return res, fmt.Errorf("snapshot after: %w", err)
	}
	res.Snapshots = snap1 + time.Since(t)
	t = time.Now()
	d := harness.Compare(before, after, Managed)
	res.Diff = time.Since(t)
	res.Total = time.Since(start)
	res.Requests = c.Sent() - sent
	res.Changes = len(d.Changes) + len(d.NewAudit)
	if len(before.Users) != len(run.Scenario.Org.Users) || len(before.Groups) != len(run.Scenario.Org.Groups) {
		return res, fmt.Errorf("snapshot holds %d users and %d groups, the org has %d and %d",
			len(before.Users), len(before.Groups), len(run.Scenario.Org.Users), len(run.Scenario.Org.Groups))
	}
	if !d.Empty() {
		return res, errors.New("the force sync changed state on the reference directory:\n" + d.String())
	}
	return res, nil
}

// exchangeLog is what the gate keeps of the requests a scenario sent (the last max lines), so
// the measured force sync pays for the same redaction and formatting.
type exchangeLog struct {
	mu    sync.Mutex
	max   int
	lines []string
}

func (l *exchangeLog) add(e harness.Exchange) {
	line := e.String()
	l.mu.Lock()
	defer l.mu.Unlock()
	l.lines = append(l.lines, line)
	if len(l.lines) > l.max {
		l.lines = l.lines[1:]
	}
}

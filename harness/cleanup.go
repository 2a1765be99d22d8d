package harness

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/containerd/errdefs"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/client"
	"github.com/testcontainers/testcontainers-go"
)

// Ryuk (testcontainers' reaper) cannot be pulled here, so the harness removes what it starts
// itself, in three layers: each spec terminates its own target (DeferCleanup, which Ginkgo also
// runs on a panic or on the first SIGINT/SIGTERM); the end of a run removes every container that
// carries its run label (RemoveRun), whatever the specs did; and a later run removes what a
// crashed or SIGKILLed run left (SweepStale), judged by labels that say which process on which
// host started the container, so a run still in progress is never touched.

// Labels on every container a run starts, next to LabelRun, and on every image BuildImage builds.
const (
	LabelPID   = "io.scimreplay.pid"   // process id of the gate that started the container
	LabelHost  = "io.scimreplay.host"  // host name of that process
	LabelBuilt = "io.scimreplay.built" // on images built by BuildImage
)

func labelBuilt(o *client.ImageBuildOptions) {
	if o.Labels == nil {
		o.Labels = map[string]string{}
	}
	o.Labels[LabelBuilt] = "true"
}

// minPruneAge spares images younger than this: a build's final image is untagged for a moment
// before the build tags it, and a build in another process must not lose it.
const minPruneAge = 2 * time.Minute

// PruneImages removes the images BuildImage built that no tag names any more, no container uses
// and that are older than minAge (at least two minutes): those a rebuild could not remove at once
// because a run was still using them, or that two builds of one tag racing each other left. It
// returns their ids.
func PruneImages(ctx context.Context, minAge time.Duration) ([]string, error) {
	return pruneImages(ctx, max(minAge, minPruneAge), LabelBuilt)
}

func pruneImages(ctx context.Context, minAge time.Duration, labels ...string) ([]string, error) {
	cli, err := testcontainers.NewDockerClientWithOpts(ctx)
	if err != nil {
		return nil, fmt.Errorf("prune images: %w", err)
	}
	defer cli.Close()
	list, err := cli.ImageList(ctx, client.ImageListOptions{Filters: client.Filters{}.Add("dangling", "true").Add("label", labels...)})
	if err != nil {
		return nil, fmt.Errorf("prune images: %w", err)
	}
	var removed []string
	for _, img := range list.Items {
		if time.Since(time.Unix(img.Created, 0)) < minAge {
			continue
		}
		if _, err := cli.ImageRemove(ctx, img.ID, client.ImageRemoveOptions{PruneChildren: true}); err == nil {
			removed = append(removed, img.ID)
		} // else in use by a container (Docker refuses without force): the next sweep
	}
	return removed, nil
}

// NewRunID is a short random id that labels one run's containers.
func NewRunID() string {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// RunLabels are the labels for the containers of run runID started by this process.
func RunLabels(runID string) map[string]string {
	return map[string]string{LabelRun: runID, LabelPID: strconv.Itoa(os.Getpid()), LabelHost: hostname()}
}

func hostname() string {
	h, err := os.Hostname()
	if err != nil || h == "" {
		return "unknown"
	}
	return h
}

// SweptContainer is a container a sweep removed (or, in a dry run or a listing, would remove).
type SweptContainer struct {
	ID      string
	Name    string
	Run     string
	State   string // as Docker saw it before the sweep: running, exited…
	Created time.Time
	Why     string
}

func (s SweptContainer) String() string {
	return fmt.Sprintf("%s %s (run %s, created %s ago): %s", shortID(s.ID), s.Name, s.Run,
		time.Since(s.Created).Round(time.Second), s.Why)
}

func shortID(id string) string {
	if len(id) > 12 {
		return id[:12]
	}
	return id
}

// SweepOptions choose which stale containers SweepStale removes.
type SweepOptions struct {
	// MinAge spares containers younger than this.
	MinAge time.Duration
	// IgnoreOwner removes containers old enough even when the process that started them cannot
	// be shown to be gone (another host, no pid label). Never use it while runs may be going on
	// elsewhere.
	IgnoreOwner bool
	// DryRun only reports what would be removed.
	DryRun bool
}

// RemoveRun removes every container labelled with run id runID, running or not, whoever
// started it (`scimreplay sweep --run`). It is safe to call twice.
func RemoveRun(ctx context.Context, runID string) ([]SweptContainer, error) {
	if runID == "" {
		return nil, errors.New("remove run: empty run id")
	}
	return sweep(ctx, []string{LabelRun + "=" + runID}, func(map[string]string, time.Time) (string, bool) {
		return "run " + runID + " removed on request", true
	}, false)
}

// ListRun lists the containers of run runID, whoever started them, without removing any.
func ListRun(ctx context.Context, runID string) ([]SweptContainer, error) {
	if runID == "" {
		return nil, errors.New("list run: empty run id")
	}
	return sweep(ctx, []string{LabelRun + "=" + runID}, func(map[string]string, time.Time) (string, bool) {
		return "of run " + runID, true
	}, true)
}

// RemoveOwn removes the containers of run runID that this process started, running or not: the
// last step of every run. Containers another process started under the same run id (a shard of
// a parallel gate, a reused --run-id) are left to it.
func RemoveOwn(ctx context.Context, runID string) ([]SweptContainer, error) {
	if runID == "" {
		return nil, errors.New("remove run: empty run id")
	}
	own := RunLabels(runID)
	var filter []string
	for k, v := range own {
		filter = append(filter, k+"="+v)
	}
	return sweep(ctx, filter, func(map[string]string, time.Time) (string, bool) {
		return "end of run " + runID, true
	}, false)
}

// SweepStale removes the containers of earlier runs that can no longer clean up after themselves:
// labelled with a run, older than MinAge, and started by a process on this host that no longer
// exists (with IgnoreOwner: any owner). A run still in progress, here or on another host, keeps
// its containers.
func SweepStale(ctx context.Context, opts SweepOptions) ([]SweptContainer, error) {
	now, host := time.Now(), hostname()
	return sweep(ctx, []string{LabelRun}, func(labels map[string]string, created time.Time) (string, bool) {
		return staleReason(labels, created, now, host, processAlive, opts)
	}, opts.DryRun)
}

// staleReason decides whether a labelled container is stale, and says why.
func staleReason(labels map[string]string, created, now time.Time, host string, alive func(int) bool, opts SweepOptions) (string, bool) {
	age := now.Sub(created)
	if age < opts.MinAge {
		return "", false
	}
	pid, err := strconv.Atoi(labels[LabelPID])
	if err == nil && pid > 0 && labels[LabelHost] == host {
		if alive(pid) {
			return "", false // a run in progress here is never swept
		}
		return fmt.Sprintf("its gate (pid %d on %s) is gone", pid, host), true
	}
	if opts.IgnoreOwner {
		return fmt.Sprintf("older than %s, its owner cannot be checked from here", opts.MinAge), true
	}
	return "", false
}

// processAlive reports whether a process with this pid exists on this host (EPERM means it does,
// it is just not ours).
func processAlive(pid int) bool {
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}

// sweep removes the containers that carry every label of labels (key or key=value) and that
// stale picks.
func sweep(ctx context.Context, labels []string, stale func(map[string]string, time.Time) (string, bool), dryRun bool) ([]SweptContainer, error) {
	cli, err := testcontainers.NewDockerClientWithOpts(ctx)
	if err != nil {
		return nil, fmt.Errorf("sweep containers: %w", err)
	}
	defer cli.Close()
	list, err := cli.ContainerList(ctx, client.ContainerListOptions{All: true, Filters: client.Filters{}.Add("label", labels...)})
	if err != nil {
		return nil, fmt.Errorf("sweep containers: list %s: %w", strings.Join(labels, ","), err)
	}
	var out []SweptContainer
	var errs []error
	var pending []string // removals another caller started (a spec's interrupted cleanup)
	for _, c := range list.Items {
		created := time.Unix(c.Created, 0)
		why, ok := stale(c.Labels, created)
		if !ok {
			continue
		}
		name := ""
		if len(c.Names) > 0 {
			name = strings.TrimPrefix(c.Names[0], "/")
		}
		s := SweptContainer{ID: c.ID, Name: name, Run: c.Labels[LabelRun], State: string(c.State), Created: created, Why: why}
		if !dryRun {
			_, err := cli.ContainerRemove(ctx, c.ID, client.ContainerRemoveOptions{Force: true, RemoveVolumes: true})
			switch {
			case isRemovalInProgress(err):
				pending = append(pending, c.ID)
			case err != nil && !errdefs.IsNotFound(err):
				errs = append(errs, fmt.Errorf("remove container %s: %w", shortID(c.ID), err))
				continue
			}
		}
		out = append(out, s)
	}
	for _, id := range pending {
		if err := waitGone(ctx, cli, id); err != nil {
			errs = append(errs, err)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Created.Before(out[j].Created) })
	return out, errors.Join(errs...)
}

func isRemovalInProgress(err error) bool {
	return err != nil && errdefs.IsConflict(err) && strings.Contains(err.Error(), "already in progress")
}

// waitGone waits (bounded by ctx and ten seconds) until Docker has finished removing a container.
func waitGone(ctx context.Context, cli *testcontainers.DockerClient, id string) error {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	for {
		if _, err := cli.ContainerInspect(ctx, id, client.ContainerInspectOptions{}); errdefs.IsNotFound(err) {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("container %s: its removal did not finish: %w", shortID(id), ctx.Err())
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// ContainerExit says why a target's container is no longer running ("" while it runs, for a URL
// target, or when Docker cannot say), for the reason of a run whose target stopped answering.
// Docker learns of a death a moment after the connection drops, so a running container is asked
// again for up to two seconds.
func (t *Target) ContainerExit(ctx context.Context) string {
	if t == nil || t.Container == nil {
		return ""
	}
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	var st *container.State
	for {
		var err error
		st, err = t.Container.State(ctx)
		if err != nil || st == nil {
			return ""
		}
		if !st.Running {
			break
		}
		select {
		case <-ctx.Done():
			return ""
		case <-time.After(100 * time.Millisecond):
		}
	}
	return exitReason(st)
}

// exitReason says how a container that no longer runs ended.
func exitReason(st *container.State) string {
	why := fmt.Sprintf("the target container is %s, exit code %d", st.Status, st.ExitCode)
	switch {
	case st.OOMKilled:
		why += " (killed by the kernel's OOM killer)"
	case st.ExitCode == 137:
		why += " (killed with SIGKILL: docker kill, a memory limit, or the process itself)"
	case st.ExitCode == 143:
		why += " (stopped with SIGTERM)"
	}
	if st.Error != "" {
		why += ": " + st.Error
	}
	return why
}

// imageID is the id a tag names now ("" when it names none).
func imageID(ctx context.Context, tag string) string {
	cli, err := testcontainers.NewDockerClientWithOpts(ctx)
	if err != nil {
		return ""
	}
	defer cli.Close()
	img, err := cli.ImageInspect(ctx, tag)
	if err != nil {
		return ""
	}
	return img.ID
}

// removeReplacedImage removes the image a rebuilt tag named before (oldID), when nothing else
// names it: rebuilding a fixed tag must not leave an untagged image per build. An image a
// container still uses is kept (Docker refuses; the error is ignored).
func removeReplacedImage(ctx context.Context, tag, oldID string) {
	if oldID == "" {
		return
	}
	cli, err := testcontainers.NewDockerClientWithOpts(ctx)
	if err != nil {
		return
	}
	defer cli.Close()
	now, err := cli.ImageInspect(ctx, tag)
	if err != nil || now.ID == oldID {
		return
	}
	old, err := cli.ImageInspect(ctx, oldID)
	if err != nil || len(old.RepoTags) > 0 {
		return
	}
	_, _ = cli.ImageRemove(ctx, oldID, client.ImageRemoveOptions{PruneChildren: true})
}

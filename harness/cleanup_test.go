package harness

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/moby/moby/client"
	"github.com/testcontainers/testcontainers-go"
)

// removeTagAtEnd removes a test's image tag when the test ends.
func removeTagAtEnd(t *testing.T, tag string) {
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if cli, err := testcontainers.NewDockerClientWithOpts(ctx); err == nil {
			defer cli.Close()
			_, _ = cli.ImageRemove(ctx, tag, client.ImageRemoveOptions{PruneChildren: true})
		}
	})
}

// uniqueContext is a build context whose image differs from every other build's.
func uniqueContext(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	b := make([]byte, 16)
	rand.Read(b)
	if err := os.WriteFile(filepath.Join(dir, "content"), []byte(hex.EncodeToString(b)), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "Dockerfile"), []byte("FROM scratch\nCOPY content /content\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

// Rebuilding a fixed tag removes the image it named before, so rebuilds leave no untagged image.
func TestRebuildRemovesTheReplacedImage(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if err := CheckDocker(ctx); err != nil {
		t.Fatal(err)
	}
	const tag = "scimreplay-test/replaced-image:dev"
	removeTagAtEnd(t, tag)
	build := func() string {
		if _, err := BuildImage(ctx, uniqueContext(t), tag); err != nil {
			t.Fatal(err)
		}
		return imageID(ctx, tag)
	}
	first := build()
	second := build()
	if first == "" || first == second {
		t.Fatalf("the rebuild did not give a new image: %q %q", first, second)
	}
	if id := imageID(ctx, first); id != "" {
		t.Errorf("the replaced image %s survived the rebuild", first)
	}
}

// A build a tag no longer names (two builds raced, or a run still used it at the rebuild) is
// pruned by the next sweep. The test prunes only its own builds (by a label of its own, with no
// minimum age), so it never races the builds of tests running beside it.
func TestPruneImagesRemovesLeftBuilds(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if err := CheckDocker(ctx); err != nil {
		t.Fatal(err)
	}
	const tag = "scimreplay-test/pruned-image:dev"
	removeTagAtEnd(t, tag)
	p, err := testcontainers.NewDockerProvider()
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	own := "io.scimreplay.test-prune=" + filepath.Base(t.TempDir())
	var ids []string
	for range 2 { // built as BuildImage does, but without its removal of the replaced image
		req := &testcontainers.ContainerRequest{FromDockerfile: testcontainers.FromDockerfile{
			Context: uniqueContext(t), Repo: "scimreplay-test/pruned-image", Tag: "dev", KeepImage: true,
			BuildOptionsModifier: func(o *client.ImageBuildOptions) {
				labelBuilt(o)
				k, v, _ := strings.Cut(own, "=")
				o.Labels[k] = v
			}}}
		if _, err := p.BuildImage(ctx, req); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, imageID(ctx, tag))
	}
	removed, err := pruneImages(ctx, 0, LabelBuilt, own)
	if err != nil {
		t.Fatal(err)
	}
	if imageID(ctx, ids[0]) != "" {
		t.Errorf("the untagged build %s survived the prune (removed %v)", ids[0], removed)
	}
	if imageID(ctx, tag) != ids[1] {
		t.Errorf("the prune removed the tagged image")
	}
}

// A stale container is one whose gate is gone from this host and that is old enough; a run in
// progress here is always kept, one on another host unless its owner is explicitly ignored.
func TestStaleReason(t *testing.T) {
	now := time.Now()
	alive := func(pid int) bool { return pid == 100 }
	labels := func(pid, host string) map[string]string {
		return map[string]string{LabelRun: "r", LabelPID: pid, LabelHost: host}
	}
	for _, tc := range []struct {
		name   string
		labels map[string]string
		age    time.Duration
		opts   SweepOptions
		stale  bool
	}{
		{"gate gone", labels("200", "here"), time.Hour, SweepOptions{MinAge: time.Minute}, true},
		{"gate alive", labels("100", "here"), time.Hour, SweepOptions{MinAge: time.Minute}, false},
		{"too young", labels("200", "here"), time.Second, SweepOptions{MinAge: time.Minute}, false},
		{"other host", labels("200", "there"), time.Hour, SweepOptions{MinAge: time.Minute}, false},
		{"no owner labels", map[string]string{LabelRun: "r"}, time.Hour, SweepOptions{MinAge: time.Minute}, false},
		{"other host, owner ignored", labels("200", "there"), time.Hour, SweepOptions{MinAge: time.Minute, IgnoreOwner: true}, true},
		{"alive, owner ignored", labels("100", "here"), time.Hour, SweepOptions{MinAge: time.Minute, IgnoreOwner: true}, false},
		{"young, owner ignored", labels("200", "there"), time.Second, SweepOptions{MinAge: time.Minute, IgnoreOwner: true}, false},
	} {
		why, stale := staleReason(tc.labels, now.Add(-tc.age), now, "here", alive, tc.opts)
		if stale != tc.stale {
			t.Errorf("%s: stale %v (%s), want %v", tc.name, stale, why, tc.stale)
		}
	}
}

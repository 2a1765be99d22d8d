package reference

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/testcontainers/testcontainers-go"

	"github.com/scimreplay/scimreplay/harness"
)

func imageID(t *testing.T, ctx context.Context) string {
	t.Helper()
	cli, err := testcontainers.NewDockerClientWithOpts(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer cli.Close()
	img, err := cli.ImageInspect(ctx, ImageTag)
	if err != nil {
		t.Fatal(err)
	}
	return img.ID
}

// TestBuildImageReusesAnImageOfTheSameBinary: a second build from the same binary keeps the image
// (the label names the binary and Dockerfile), so a warm gate does not build it again.
func TestBuildImageReusesAnImageOfTheSameBinary(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	if err := harness.CheckDocker(ctx); err != nil {
		t.Fatal(err)
	}
	if err := BuildImage(ctx, ""); err != nil {
		t.Fatal(err)
	}
	first := imageID(t, ctx)
	start := time.Now()
	if err := BuildImage(ctx, ""); err != nil {
		t.Fatal(err)
	}
	if again := imageID(t, ctx); again != first {
		t.Fatalf("the image was built again from the same binary: %s then %s", first, again)
	}
	if label := imageLabel(ctx, ImageTag, LabelBinary); len(label) != 64 {
		t.Fatalf("label %s = %q, want a SHA-256", LabelBinary, label)
	}
	t.Logf("second BuildImage took %s", time.Since(start))
}

func TestContentSHA256CoversTextAndFile(t *testing.T) {
	f := filepath.Join(t.TempDir(), "bin")
	if err := os.WriteFile(f, []byte("binary"), 0o644); err != nil {
		t.Fatal(err)
	}
	a, _ := contentSHA256("FROM scratch", f)
	b, _ := contentSHA256("FROM scratch\nLABEL x=y", f)
	if err := os.WriteFile(f, []byte("binary2"), 0o644); err != nil {
		t.Fatal(err)
	}
	c, _ := contentSHA256("FROM scratch", f)
	if a == b || a == c || len(a) != 64 {
		t.Fatalf("hashes %q %q %q: a changed Dockerfile or binary must change the label", a, b, c)
	}
}

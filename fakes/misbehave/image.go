package misbehave

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"

	"github.com/scimreplay/scimreplay/harness"
)

// ImageTag is the fixed tag of the misbehaving target image (kept, like the reference image).
const ImageTag = "scimreplay/misbehave:test"

const dockerfile = `FROM scratch
COPY misbehave-target /misbehave-target
EXPOSE 8080
USER 65534:65534
ENTRYPOINT ["/misbehave-target"]
`

var (
	buildMu sync.Mutex
	built   bool
)

// BuildImage builds ImageTag FROM scratch around a static build of cmd/misbehave-target, once
// per process.
func BuildImage(ctx context.Context) (string, error) {
	buildMu.Lock()
	defer buildMu.Unlock()
	if built {
		return ImageTag, nil
	}
	dir, err := os.MkdirTemp("", "scimreplay-misbehave-")
	if err != nil {
		return "", fmt.Errorf("build misbehave image: %w", err)
	}
	defer os.RemoveAll(dir)
	cmd := exec.CommandContext(ctx, "go", "build", "-trimpath", "-o", filepath.Join(dir, "misbehave-target"),
		"github.com/scimreplay/scimreplay/fakes/misbehave/cmd/misbehave-target")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux")
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("build misbehave image: go build: %v\n%s", err, out)
	}
	if err := os.WriteFile(filepath.Join(dir, "Dockerfile"), []byte(dockerfile), 0o644); err != nil {
		return "", fmt.Errorf("build misbehave image: %w", err)
	}
	if _, err := harness.BuildImage(ctx, dir, ImageTag); err != nil {
		return "", err
	}
	built = true
	return ImageTag, nil
}

package harness

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/testcontainers/testcontainers-go"
)

// CheckDocker fails with a message naming the missing Docker daemon when none answers, so
// Docker-backed runs never skip or hang silently.
func CheckDocker(ctx context.Context) error {
	p, err := testcontainers.NewDockerProvider()
	if err != nil {
		return fmt.Errorf("no Docker daemon answers (DOCKER_HOST=%q): %w; start dockerd or set DOCKER_HOST", os.Getenv("DOCKER_HOST"), err)
	}
	defer p.Close()
	if err := p.Health(ctx); err != nil {
		return fmt.Errorf("no Docker daemon answers (DOCKER_HOST=%q): %w; start dockerd or set DOCKER_HOST", os.Getenv("DOCKER_HOST"), err)
	}
	return nil
}

var (
	buildMu sync.Mutex
	built   = map[string]bool{}
)

// BuildImage builds the Dockerfile in dir as a fixed repo:tag (DefaultImageTag(dir) when tag is
// empty) and returns the tag. Within one process a directory is built once.
func BuildImage(ctx context.Context, dir, tag string) (string, error) {
	if tag == "" {
		tag = DefaultImageTag(dir)
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", err
	}
	if _, err := os.Stat(filepath.Join(abs, "Dockerfile")); err != nil {
		return "", fmt.Errorf("build image: no Dockerfile in %s", dir)
	}
	buildMu.Lock()
	defer buildMu.Unlock()
	if built[abs+"\x00"+tag] {
		return tag, nil
	}
	repo, version, _ := strings.Cut(tag, ":")
	if version == "" {
		version = "latest"
	}
	p, err := testcontainers.NewDockerProvider()
	if err != nil {
		return "", fmt.Errorf("build image %s: %w", tag, err)
	}
	defer p.Close()
	req := &testcontainers.ContainerRequest{FromDockerfile: testcontainers.FromDockerfile{
		Context: abs, Repo: repo, Tag: version, KeepImage: true,
	}}
	if _, err := p.BuildImage(ctx, req); err != nil {
		return "", fmt.Errorf("build image %s from %s: %w", tag, dir, err)
	}
	built[abs+"\x00"+tag] = true
	return tag, nil
}

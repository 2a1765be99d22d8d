package harness

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/moby/moby/client"

	"github.com/testcontainers/testcontainers-go"
)

// CheckDocker fails with a message naming the missing Docker daemon when none answers, so
// Docker-backed runs never skip or hang silently. A DOCKER_HOST that is set must answer: the
// harness never falls back silently to another daemon than the one the user named.
func CheckDocker(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	if host := os.Getenv("DOCKER_HOST"); host != "" {
		cli, err := client.New(client.FromEnv)
		if err == nil {
			defer cli.Close()
			_, err = cli.Ping(ctx, client.PingOptions{})
		}
		if err != nil {
			return fmt.Errorf("no Docker daemon answers at DOCKER_HOST=%s: %v; start dockerd or fix DOCKER_HOST", host, err)
		}
	}
	p, err := testcontainers.NewDockerProvider()
	if err == nil {
		defer p.Close()
		err = p.Health(ctx)
	}
	if err != nil {
		return fmt.Errorf("no Docker daemon answers (is dockerd running? /var/run/docker.sock or DOCKER_HOST): %w", err)
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
		BuildOptionsModifier: labelBuilt, // so a sweep can find the builds a tag left behind
	}}
	previous := imageID(ctx, tag)
	if _, err := p.BuildImage(ctx, req); err != nil {
		return "", fmt.Errorf("build image %s from %s: %w", tag, dir, err)
	}
	removeReplacedImage(ctx, tag, previous)
	built[abs+"\x00"+tag] = true
	return tag, nil
}

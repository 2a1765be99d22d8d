// Package reference describes scimreplay's own reference directory (fakes/directory) as a
// harness target: a FROM-scratch image holding the static scimreplay binary, started as
// `scimreplay directory`, with its link and audit probes. The harness itself knows nothing of it;
// this package is only data for harness.Run.
package reference

import (
	"context"
	"crypto/sha256"
	"debug/elf"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/testcontainers/testcontainers-go"

	"github.com/scimreplay/scimreplay/fakes/directory"
	"github.com/scimreplay/scimreplay/harness"
)

// ImageTag is the fixed tag of the reference directory image.
const ImageTag = "scimreplay/directory:dev"

// VerifiedDomain is the reference org's verified domain; users elsewhere are unmanaged.
const VerifiedDomain = "acme.example"

// BinaryEnv names a static scimreplay binary to put in the image (the Makefile sets it).
const BinaryEnv = "SCIMREPLAY_BINARY"

// LabelBinary is the image label holding the SHA-256 of the image's Dockerfile and the scimreplay
// binary inside, so an image built from the same two is reused instead of built again.
const LabelBinary = "io.scimreplay.binary-sha256"

const dockerfile = `FROM scratch
COPY scimreplay /scimreplay
LABEL ` + LabelBinary + `=%s
EXPOSE 8080
USER 65534:65534
ENTRYPOINT ["/scimreplay", "directory"]
CMD ["--addr", ":8080"]
`

// Target is the reference directory as a target: the image built by BuildImage, the given faults
// and variations on, a fresh random token, the extension attribute as link probe and
// /admin/audit?type=unlink as audit probe.
func Target(faults, variations []string) harness.TargetSpec {
	token := harness.RandomToken()
	return harness.TargetSpec{
		Name:     "reference-directory",
		Image:    ImageTag,
		Port:     8080,
		BasePath: "/scim/v2",
		Token:    token,
		Env: map[string]string{
			"DIRECTORY_TOKEN":            "{{token}}",
			"DIRECTORY_VERIFIED_DOMAINS": VerifiedDomain,
			"DIRECTORY_FAULTS":           strings.Join(faults, ","),
			"DIRECTORY_VARIATIONS":       strings.Join(variations, ","),
		},
		VerifiedDomains: []string{VerifiedDomain},
		LinkProbe:       linkProbe,
		AuditProbe:      auditProbe,
	}
}

var (
	linkProbe = harness.LinkProbe{Attribute: directory.ExtensionSchema + ":atlassianAccountId"}
	// Only the unlink events: the whole log holds a few lines per user provisioned, and every
	// snapshot reads the probe (82 MB at 100k users, beyond what the harness reads of an answer).
	auditProbe = harness.AuditProbe{Path: "/admin/audit?type=" + directory.EventUnlink, Pattern: directory.UnlinkAuditPattern}
)

// Serve starts the reference directory in this process, on a loopback port, and describes it as
// a URL target (a server already running): no image, no container, no Docker daemon. The gate's
// scenarios then share it, each with names of its own (a URL target's rule). stop shuts it down.
func Serve(faults, variations []string) (spec harness.TargetSpec, stop func(), err error) {
	token := harness.RandomToken()
	d, err := directory.New(directory.Config{Token: token, VerifiedDomains: []string{VerifiedDomain}, Faults: faults, Variations: variations})
	if err != nil {
		return spec, nil, fmt.Errorf("serve the reference directory: %w", err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		d.Close()
		return spec, nil, fmt.Errorf("serve the reference directory: %w", err)
	}
	srv := &http.Server{Handler: d, ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln)
	stop = func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
		d.Close()
	}
	return harness.TargetSpec{
		Name:            "reference-directory (in process)",
		URL:             "http://" + ln.Addr().String(),
		BasePath:        directory.DefaultBasePath,
		Token:           token,
		VerifiedDomains: []string{VerifiedDomain},
		LinkProbe:       linkProbe,
		AuditProbe:      auditProbe,
	}, stop, nil
}

// BuildImage builds the reference image (ImageTag) from a static scimreplay binary: the one
// named by $SCIMREPLAY_BINARY, else binary (the scimreplay command passes itself), else one
// built now with `go build` (CGO_ENABLED=0) from the module this code is in. When ImageTag
// already holds that very binary and Dockerfile (LabelBinary matches) the image is reused: a
// warm gate skips the build, which was a fifth of its time.
func BuildImage(ctx context.Context, binary string) error {
	dir, err := os.MkdirTemp("", "scimreplay-image-")
	if err != nil {
		return fmt.Errorf("build reference image: %w", err)
	}
	defer os.RemoveAll(dir)
	bin := filepath.Join(dir, "scimreplay")
	if err := staticBinary(ctx, binary, bin); err != nil {
		return fmt.Errorf("build reference image: %w", err)
	}
	sum, err := contentSHA256(dockerfile, bin)
	if err != nil {
		return fmt.Errorf("build reference image: %w", err)
	}
	if imageLabel(ctx, ImageTag, LabelBinary) == sum {
		return nil
	}
	if err := os.WriteFile(filepath.Join(dir, "Dockerfile"), []byte(fmt.Sprintf(dockerfile, sum)), 0o644); err != nil {
		return fmt.Errorf("build reference image: %w", err)
	}
	if _, err := harness.BuildImage(ctx, dir, ImageTag); err != nil {
		return fmt.Errorf("build reference image: %w", err)
	}
	return nil
}

// contentSHA256 hashes a text and a file's bytes together.
func contentSHA256(text, path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	io.WriteString(h, text)
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// imageLabel is a label of a local image, "" when the image or the label is missing.
func imageLabel(ctx context.Context, image, label string) string {
	cli, err := testcontainers.NewDockerClientWithOpts(ctx)
	if err != nil {
		return ""
	}
	defer cli.Close()
	img, err := cli.ImageInspect(ctx, image)
	if err != nil || img.Config == nil {
		return ""
	}
	return img.Config.Labels[label]
}

func staticBinary(ctx context.Context, binary, dst string) error {
	src := os.Getenv(BinaryEnv)
	if src == "" && binary != "" && isStatic(binary) == nil {
		src = binary
	}
	if src != "" {
		if err := isStatic(src); err != nil {
			return fmt.Errorf("%s: %w (build it with CGO_ENABLED=0)", src, err)
		}
		return copyFile(src, dst)
	}
	cmd := exec.CommandContext(ctx, "go", "build", "-trimpath", "-o", dst, "github.com/scimreplay/scimreplay/cmd/scimreplay")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux")
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("go build cmd/scimreplay: %v\n%s", err, out)
	}
	return isStatic(dst)
}

// isStatic checks that a binary is a Linux ELF with no dynamic loader, so it runs FROM scratch.
func isStatic(path string) error {
	f, err := elf.Open(path)
	if err != nil {
		return fmt.Errorf("not a Linux executable: %w", err)
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			return errors.New("dynamically linked, cannot run in a FROM scratch image")
		}
	}
	return nil
}

func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o755)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

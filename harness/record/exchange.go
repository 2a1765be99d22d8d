// Package record turns captured SCIM traffic into scenario files: a reverse proxy that records
// what an identity provider sends to a server (Proxy), the conversion of exchanges into a
// replayable scenario with rebind: auto (Build), and the redaction and pseudonymisation every
// exchange passes through before anything is written.
package record

import (
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"github.com/scimreplay/scimreplay/harness/scenario"
)

// Phase names a scenario phase.
type Phase string

// The phases traffic can be recorded into.
const (
	PhaseAuto      Phase = "" // decided by Split
	PhaseProvision Phase = "provision"
	PhaseForceSync Phase = "forceSync"
	PhaseVerify    Phase = "verify"
)

// ParsePhase reads a phase name, case-insensitively ("force-sync" and "force sync" too).
func ParsePhase(s string) (Phase, bool) {
	k := strings.NewReplacer("-", "", "_", "", " ", "").Replace(strings.ToLower(strings.TrimSpace(s)))
	switch k {
	case "provision", "provisioning":
		return PhaseProvision, true
	case "forcesync", "sync", "resync", "restart", "restartprovisioning": // Entra's force sync is "Restart provisioning"
		return PhaseForceSync, true
	case "verify", "verification":
		return PhaseVerify, true
	}
	return PhaseAuto, false
}

// Exchange is one recorded request and its response, already redacted: no credential is ever
// held in one.
type Exchange struct {
	Method string
	// Path is relative to the SCIM base path ("/Users/2819c223…"), without the query.
	Path  string
	Query []scenario.KV // decoded, in order
	// Header holds the request headers worth replaying (If-Match, Prefer…): never a credential,
	// never the headers Okta's client sends by itself.
	Header http.Header
	// UserAgent is the request's User-Agent, kept to tell which identity provider sent the
	// traffic (DetectIdP); it is not replayed.
	UserAgent string
	ReqBody   []byte
	Status    int
	RespBody  []byte
	Phase     Phase
}

// SplitQuery decodes a raw query string into ordered pairs.
func SplitQuery(raw string) ([]scenario.KV, error) {
	var out []scenario.KV
	for _, part := range strings.Split(raw, "&") {
		if part == "" {
			continue
		}
		k, v, _ := strings.Cut(part, "=")
		dk, err := url.QueryUnescape(k)
		if err != nil {
			return nil, fmt.Errorf("query %q: %w", part, err)
		}
		dv, err := url.QueryUnescape(v)
		if err != nil {
			return nil, fmt.Errorf("query %q: %w", part, err)
		}
		out = append(out, scenario.KV{Key: dk, Value: dv})
	}
	return out, nil
}

// WriteFile writes data to path through a temporary file in the same directory and a rename,
// so a reader never sees half a file and an interrupted write leaves the old one.
func WriteFile(path string, data []byte) error {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	tmp := f.Name()
	if _, err := f.Write(data); err != nil {
		f.Close()
		os.Remove(tmp)
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Chmod(tmp, 0o644); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

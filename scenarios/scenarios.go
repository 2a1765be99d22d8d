// Package scenarios holds scimreplay's catalogue of recorded identity-provider traffic, embedded
// so the scimreplay binary carries it. The format is described in README.md beside this file.
package scenarios

import (
	"embed"

	"github.com/scimreplay/scimreplay/harness/scenario"
)

// FS holds the catalogue: okta/*.yaml.
//
//go:embed okta/*.yaml
var FS embed.FS

// Okta loads the Okta catalogue.
func Okta() ([]*scenario.Scenario, error) { return scenario.LoadFS(FS, "okta") }

// Package scenarios holds scimreplay's catalogue of recorded identity-provider traffic, embedded
// so the scimreplay binary carries it. The format is described in README.md beside this file.
package scenarios

import (
	"embed"
	"fmt"

	"github.com/scimreplay/scimreplay/harness/scenario"
)

// FS holds the catalogue: okta/*.yaml (Okta's force syncs) and entra/*.yaml (Entra's cycles).
//
//go:embed okta/*.yaml entra/*.yaml
var FS embed.FS

// Okta loads the Okta catalogue.
func Okta() ([]*scenario.Scenario, error) { return load("okta", scenario.IdPOkta) }

// Entra loads the Entra catalogue. Each of its scenarios says idp: entra.
func Entra() ([]*scenario.Scenario, error) { return load("entra", scenario.IdPEntra) }

// All loads both catalogues, Okta's first; scenario names are unique across them.
func All() ([]*scenario.Scenario, error) {
	okta, err := load("okta", scenario.IdPOkta)
	if err != nil {
		return nil, err
	}
	entra, err := load("entra", scenario.IdPEntra)
	if err != nil {
		return nil, err
	}
	seen := map[string]string{}
	out := append(okta, entra...)
	for _, sc := range out {
		if prev, ok := seen[sc.Name]; ok {
			return nil, fmt.Errorf("%s: scenario name %q is already used by %s", sc.File, sc.Name, prev)
		}
		seen[sc.Name] = sc.File
	}
	return out, nil
}

// load reads one catalogue directory, whose every scenario must be for idp: the directory
// tree and the file's own idp: key never disagree.
func load(dir, idp string) ([]*scenario.Scenario, error) {
	scs, err := scenario.LoadFS(FS, dir)
	if err != nil {
		return nil, err
	}
	for _, sc := range scs {
		if sc.IdP != idp {
			return nil, fmt.Errorf("%s: a scenario of the %s catalogue says idp: %s", sc.File, dir, sc.IdP)
		}
	}
	return scs, nil
}

// Package bench measures scimreplay itself: how much the replay engine adds to the cost of
// talking to a target, and how force syncs, snapshots and the diff scale with the size of an org.
// The figures are printed by bench/cmd/benchdriver (`make bench`); the Go benchmarks in this
// package are the same workloads, in process, for pprof.
package bench

import (
	"bytes"
	"fmt"

	"github.com/scimreplay/scimreplay/harness/generate"
	"github.com/scimreplay/scimreplay/harness/scenario"
)

// OrgSpec is the shape of a generated org.
type OrgSpec struct {
	Users     int
	Groups    int
	Unmanaged float64 // fraction of users on unverified domains
	// Concurrency is the force sync loops' concurrency: key (0: one user at a time, as Okta).
	Concurrency int
}

// ManagedDomain is the generated org's verified domain (the reference directory's).
const ManagedDomain = "acme.example"

// Generate is the scenario `scimreplay generate` writes for spec, loaded as the gate loads a
// file: Okta's provisioning, then a force sync of the paging loops, GET + echo PUT per user and
// Push Now (replace members) per group.
func Generate(spec OrgSpec) (*scenario.Scenario, error) {
	var b bytes.Buffer
	err := generate.Write(&b, generate.Options{Users: spec.Users, Groups: spec.Groups, Unmanaged: spec.Unmanaged,
		ManagedDomain: ManagedDomain, Concurrency: spec.Concurrency})
	if err != nil {
		return nil, err
	}
	return scenario.Parse(fmt.Sprintf("generated-%du-%dg.yaml", spec.Users, spec.Groups), b.Bytes())
}

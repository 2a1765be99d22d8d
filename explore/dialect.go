package explore

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"

	"go.yaml.in/yaml/v3"
	"pgregory.net/rapid"

	"github.com/scimreplay/scimreplay/fakes/okta"
	"github.com/scimreplay/scimreplay/harness"
	"github.com/scimreplay/scimreplay/harness/scenario"
)

// Dialect is one identity provider's SCIM client as explore drives it: how it provisions a
// generated org, the no-op pushes it may send, and the replay engine that sends a scenario of
// them. The org model (Org) and the run loop are the IdP's neither: a dialect brings only its
// traffic. Okta's is Okta, Entra's Entra (entra.go); another plugs in the same way (Register).
type Dialect struct {
	// Name is how --idp names it, and the idp:<name> label of its cases.
	Name string
	// ProvisionSteps are the scenario steps that provision the org (Okta: `okta: provision`).
	ProvisionSteps func() []*yaml.Node
	// Generators are its no-op pushes; a run draws among those that apply to its org.
	Generators []*Generator
	// Replay sends a scenario end to end and judges it (provision, snapshot, the pushes, settle,
	// compare), as okta.Replayer.Replay does.
	Replay func(ctx context.Context, c *harness.Client, sc *scenario.Scenario, runID string, o okta.Options) (*okta.Result, error)
	// GateArgs are what `scimreplay gate` needs to replay this dialect's scenarios (none for
	// Okta, the gate's default).
	GateArgs []string
	// OneEmail says the IdP pushes one email per user (Entra's default mappings send the work
	// email only), so no generated user has a second one.
	OneEmail bool
	// Variants are the ways the IdP's client may be set up that change its traffic (Entra: its
	// PATCH dialects), the default first. Each run is in one, drawn unless Options.Variant
	// fixes it (VariantFlag names the flag that does), and its scenario pins it (Pin gives the
	// value of the top-level key named Name: entra: {dialect: …}). None: the client has one way.
	Variants    []string
	VariantFlag string
	Pin         func(variant string) *yaml.Node
}

// Provision is the dialect's provisioning steps.
func (d *Dialect) Provision() []*yaml.Node { return d.ProvisionSteps() }

// Generator draws one kind of no-op push. Every push it draws must leave a correct server's
// state as it was by SCIM's rules; NoOp says which rule, and where the IdP sends that shape.
type Generator struct {
	Name string
	// NoOp is why every push it draws is a no-op, with its sources (RFC sections, the IdP's
	// documentation): it goes into the source: of every scenario file that uses the generator.
	NoOp string
	// Labels are the scenario labels a file gets when one of its pushes comes from here.
	Labels []string
	// Applies reports whether the org has what the generator needs (nil: always).
	Applies func(o *Org) bool
	// Draw draws one push for the org. It draws only through t, so a seed gives the same push
	// and rapid can shrink it.
	Draw func(t *rapid.T, o *Org) Push
}

var registry = map[string]*Dialect{}

// Register makes a dialect available to Lookup (and so to --idp).
func Register(d *Dialect) { registry[d.Name] = d }

func init() {
	Register(Okta)
	Register(Entra)
}

// Lookup finds a dialect by its --idp name.
func Lookup(name string) (*Dialect, error) {
	if d, ok := registry[name]; ok {
		return d, nil
	}
	return nil, fmt.Errorf("unknown --idp %q (available: %s)", name, strings.Join(Names(), ", "))
}

// Names lists the available dialects.
func Names() []string {
	out := make([]string, 0, len(registry))
	for n := range registry {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// generator finds one of the dialect's generators by name.
func (d *Dialect) generator(name string) *Generator {
	i := slices.IndexFunc(d.Generators, func(g *Generator) bool { return g.Name == name })
	if i < 0 {
		return nil
	}
	return d.Generators[i]
}

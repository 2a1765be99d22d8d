package explore

import (
	"context"
	"fmt"
	"strings"

	"go.yaml.in/yaml/v3"
	"pgregory.net/rapid"

	"github.com/scimreplay/scimreplay/fakes/entra"
	"github.com/scimreplay/scimreplay/fakes/okta"
	"github.com/scimreplay/scimreplay/harness"
	"github.com/scimreplay/scimreplay/harness/scenario"
)

// Entra is Microsoft Entra ID's provisioning service (fakes/entra) as explore drives it: its
// initial cycle (`entra: provision`), then the requests a Restart-provisioning full cycle and
// the incremental cycles after it send, each with the values the target already holds. Its
// pushes are Entra's macros, so the PATCH bodies are the dialect's own (fakes/entra writes
// them): each run is in one of Entra's two dialects, drawn or fixed (--entra-dialect), and its
// scenario pins that dialect, so the gate replays it the same way whatever its own
// --entra-dialect. The shapes and their sources are in the design notes (entra-traffic.md) and
// the catalogue (scenarios/entra).
//
// Case variations are drawn only where SCIM compares without case: an email's value
// (caseExact=false, RFC 7643 §4.1.2). userName and displayName are caseExact=false too, but
// Entra sends the userPrincipalName and displayName it holds, unchanged; externalId is
// caseExact=true (RFC 7643 §3.1), so another case would be another value.
var Entra = &Dialect{
	Name:           "entra",
	ProvisionSteps: func() []*yaml.Node { return []*yaml.Node{mapping("entra", "provision")} },
	Generators: []*Generator{
		entraUserUpdate, entraFullCycle, entraReaddMembers, entraRemoveReadd, entraGroupRename,
		entraConcurrentUsers, entraConcurrentGroups,
	},
	Replay: func(ctx context.Context, c *harness.Client, sc *scenario.Scenario, runID string, o okta.Options) (*okta.Result, error) {
		c.Header = entra.Header() // Entra sends none of Okta's headers
		return (&entra.Replayer{Client: c}).Replay(ctx, sc, runID, o)
	},
	GateArgs:    []string{"--idp", "entra"},
	OneEmail:    true,
	Variants:    []string{entra.DialectDefault, entra.DialectSCIM062020},
	VariantFlag: "--entra-dialect",
	Pin: func(dialect string) *yaml.Node {
		return flow(mapping("dialect", dialect))
	},
}

const (
	entraLearnTutorial = `Microsoft Learn, "Tutorial: Develop and plan provisioning for a SCIM endpoint ` +
		`in Microsoft Entra ID"`
	entraLearnKnownIssues = `Microsoft Learn, "Known issues and resolutions with SCIM 2.0 protocol ` +
		`compliance of the Microsoft Entra user provisioning service"`
	entraLearnHowItWorks = `Microsoft Learn, "How application provisioning works in Microsoft Entra ID"`
	entraDialects        = `in the run's dialect: by default one "Replace" per attribute with active as ` +
		`the string "True" (what the active mapping's Switch expression yields), with the ` +
		`aadOptscim062020 flag lower-case ops, JSON booleans and the attributes other than the ` +
		`filtered email path in one path-less replace with dotted keys (` + entraLearnKnownIssues + `)`
)

var entraUserUpdate = &Generator{
	Name: "entra-user-update",
	NoOp: `Entra's update of a user's mapped attributes, PATCH /Users/{id} (` + entraLearnTutorial +
		`, Update User), as Restart provisioning re-sends them unchanged (` + entraLearnHowItWorks +
		`): some of userName, active true, displayName, emails[type eq "work"].value, ` +
		`name.givenName, name.familyName, name.formatted and externalId, ` + entraDialects + `. ` +
		`Replace with the value held changes nothing (RFC 7644 §3.5.2.3); the work email may come ` +
		`in another case, which is the same value: emails are caseExact=false (RFC 7643 §4.1.2)`,
	Labels: []string{"full-cycle", "dialect"},
	Draw: func(t *rapid.T, o *Org) Push {
		u := o.Users[rapid.IntRange(0, len(o.Users)-1).Draw(t, "user")]
		body, vs := drawEntraAttrs(t)
		return Push{
			Target: userTarget(u), Shape: "PATCH", Variations: vs, Requests: 1,
			Steps: []*yaml.Node{forEach([]string{u.Key}, 0, mapping("entra", "update", "body", body))},
		}
	},
}

var entraFullCycle = &Generator{
	Name: "entra-full-cycle",
	NoOp: `Restart provisioning's full cycle (` + entraLearnHowItWorks + `): the watermark cleared, ` +
		`every user matched again by GET /Users?filter=userName eq "…" and sent every mapped ` +
		`attribute, changed or not, every group looked up with excludedAttributes=members and sent ` +
		`its displayName and externalId, then all its members added again (` + entraLearnTutorial +
		`), ` + entraDialects + `. Replace with the values held changes nothing (RFC 7644 ` +
		`§3.5.2.3), and an add of members already there neither (RFC 7644 §3.5.2.1)`,
	Labels: []string{"full-cycle", "dialect"},
	Draw: func(t *rapid.T, o *Org) Push {
		n := 2 * len(o.Users)
		for _, g := range o.Groups {
			n += 2 + min(len(g.Members), 1)
		}
		return Push{Target: "the org", Shape: "Restart provisioning", Requests: n, Steps: []*yaml.Node{mapping("entra", "fullCycle")}}
	},
}

var entraReaddMembers = &Generator{
	Name: "entra-readd-members",
	NoOp: `Entra's Add of members, {"op":"Add","path":"members","value":[{"$ref":null,"value":"…"}]} ` +
		`(` + entraLearnTutorial + `, Update Group [Add Members]; several members in one PATCH), ` +
		`for members already in the group: Entra reads groups with excludedAttributes=members, so ` +
		`it does not know which members the target holds and adds them again after a restart or a ` +
		`retried cycle. An add of a value the attribute holds changes nothing (RFC 7644 §3.5.2.1), ` +
		`members is a set (RFC 7643 §4.2)`,
	Labels:  []string{"membership", "idempotency"},
	Applies: func(o *Org) bool { return len(withMembers(o)) > 0 },
	Draw: func(t *rapid.T, o *Org) Push {
		g, keys := drawMembers(t, o, "add again")
		step := mapping("entra", "addMembers", "group", g.Key, "members", flowList(keys...))
		return Push{Target: "group " + g.DisplayName, Shape: "PATCH Add members", Variations: []string{"add again " + strings.Join(keys, ", ") + ", already members"},
			Requests: 1, Steps: []*yaml.Node{step}}
	},
}

var entraRemoveReadd = &Generator{
	Name: "entra-remove-readd",
	NoOp: `A member taken out of a group and put back between two incremental cycles: Entra's ` +
		`Remove of members, then its Add of the same members (` + entraLearnTutorial + `, Update ` +
		`Group [Remove Members] and [Add Members]), the remove by value list, ` +
		`{"op":"Remove","path":"members","value":[…]}, in the default dialect and by filtered path, ` +
		`members[value eq "…"], with the aadOptscim062020 flag (` + entraLearnKnownIssues + `). ` +
		`Removing values and adding them back leaves the set as it was (RFC 7644 §3.5.2.2, ` +
		`§3.5.2.1)`,
	Labels:  []string{"membership", "incremental", "dialect"},
	Applies: func(o *Org) bool { return len(withMembers(o)) > 0 },
	Draw: func(t *rapid.T, o *Org) Push {
		g, keys := drawMembers(t, o, "remove and add back")
		return Push{
			Target: "group " + g.DisplayName, Shape: "PATCH Remove, then PATCH Add", Variations: []string{"remove and add back " + strings.Join(keys, ", ")}, Requests: 2,
			Steps: []*yaml.Node{
				mapping("entra", "removeMembers", "group", g.Key, "members", flowList(keys...)),
				mapping("entra", "addMembers", "group", g.Key, "members", flowList(keys...)),
			},
		}
	},
}

var entraGroupRename = &Generator{
	Name: "entra-group-rename",
	NoOp: `Entra's rename of a group, {"op":"Replace","path":"displayName","value":"…"} (` +
		entraLearnTutorial + `, Update Group), to the name the group has, as an incremental cycle ` +
		`or the full cycle sends it; with the group's externalId (its objectId) re-sent too or not. ` +
		`Replace with the value held changes nothing (RFC 7644 §3.5.2.3)`,
	Labels:  []string{"incremental"},
	Applies: func(o *Org) bool { return len(o.Groups) > 0 },
	Draw: func(t *rapid.T, o *Org) Push {
		g := o.Groups[rapid.IntRange(0, len(o.Groups)-1).Draw(t, "group")]
		body := mapping("displayName", groupRef(g, "displayName"))
		return Push{Target: "group " + g.DisplayName, Shape: "PATCH", Requests: 1,
			Steps: []*yaml.Node{mapping("entra", "updateGroup", "group", g.Key, "body", flow(body))}}
	},
}

var entraConcurrentUsers = &Generator{
	Name: "entra-concurrent-users",
	NoOp: `Entra pushes users in parallel (gallery apps must take 25 requests a second: ` +
		entraLearnTutorial + `): the updates of several users (each as entra-user-update, a no-op on ` +
		`its own user) sent side by side; every interleaving of no-ops on different resources is a ` +
		`no-op (lost updates under concurrent writes: fleet 50724)`,
	Labels:  []string{"full-cycle", "dialect"},
	Applies: func(o *Org) bool { return len(o.Users) >= 2 },
	Draw: func(t *rapid.T, o *Org) Push {
		var keys []string
		for _, u := range o.Users {
			if rapid.Bool().Draw(t, "side by side") {
				keys = append(keys, u.Key)
			}
		}
		for _, u := range o.Users { // at least two
			if len(keys) >= 2 {
				break
			}
			if !contains(keys, u.Key) {
				keys = append(keys, u.Key)
			}
		}
		n := rapid.IntRange(2, min(maxConcurrency, len(keys))).Draw(t, "concurrency")
		body, vs := drawEntraAttrs(t)
		return Push{
			Target: "users " + strings.Join(keys, ", "), Shape: fmt.Sprintf("PATCH, %d at a time", n), Variations: vs, Requests: len(keys),
			Steps: []*yaml.Node{forEach(keys, n, mapping("entra", "update", "body", body))},
		}
	},
}

var entraConcurrentGroups = &Generator{
	Name: "entra-concurrent-groups",
	NoOp: `Entra's group updates of one cycle sent in parallel (` + entraLearnTutorial + `), each a ` +
		`no-op on its own group: every group renamed to its own name, its members added again, or ` +
		`its members removed and added back (as entra-group-rename, entra-readd-members and ` +
		`entra-remove-readd); every interleaving of no-ops on different resources is a no-op (lost ` +
		`updates under concurrent writes: fleet 50724)`,
	Labels:  []string{"membership", "dialect"},
	Applies: func(o *Org) bool { return len(o.Groups) >= 2 },
	Draw: func(t *rapid.T, o *Org) Push {
		n := rapid.IntRange(2, min(maxConcurrency, len(o.Groups))).Draw(t, "concurrency")
		var steps []*yaml.Node
		var vs []string
		rename := rapid.Bool().Draw(t, "rename")
		membership := rapid.IntRange(0, 2).Draw(t, "members") // 0: none, 1: add again, 2: remove and add back
		if !rename && membership == 0 {
			rename = true
		}
		if rename {
			steps = append(steps, mapping("entra", "updateGroup", "body", flow(mapping("displayName", "{{group.displayName}}"))))
			vs = append(vs, "each renamed to its own name")
		}
		switch membership {
		case 1:
			steps = append(steps, mapping("entra", "addMembers"))
			vs = append(vs, "each group's members added again")
		case 2:
			steps = append(steps, mapping("entra", "removeMembers"), mapping("entra", "addMembers"))
			vs = append(vs, "each group's members removed and added back")
		}
		reqs := 0
		for _, g := range o.Groups {
			reqs += btoi(rename)
			if len(g.Members) > 0 { // no member, no members request
				reqs += membership
			}
		}
		loop := mapping("forEach", "groups", "concurrency", n, "steps", seq(steps...))
		return Push{Target: "every group", Shape: fmt.Sprintf("PATCH, %d groups at a time", n), Variations: vs, Requests: reqs, Steps: []*yaml.Node{loop}}
	},
}

// drawMembers draws a group with members and some of them (at least one).
func drawMembers(t *rapid.T, o *Org, what string) (Group, []string) {
	gs := withMembers(o)
	g := gs[rapid.IntRange(0, len(gs)-1).Draw(t, "group")]
	var keys []string
	for _, m := range g.Members {
		if rapid.Bool().Draw(t, what) {
			keys = append(keys, o.Users[m].Key)
		}
	}
	if len(keys) == 0 {
		keys = []string{o.Users[g.Members[0]].Key}
	}
	return g, keys
}

// entraAttrs are Entra's mapped user attributes under its default mappings, in userAttrs'
// order (fakes/entra), each with the template of the value the user holds.
var entraAttrs = []struct{ path, value string }{
	{"userName", "{{user.userName}}"},
	{"active", ""}, // true
	{"displayName", "{{user.displayName}}"},
	{`emails[type eq "work"].value`, "{{user.email}}"},
	{"name.givenName", "{{user.givenName}}"},
	{"name.familyName", "{{user.familyName}}"},
	{"name.formatted", "{{user.givenName}} {{user.familyName}}"},
	{"externalId", "{{user.externalId}}"},
}

// drawEntraAttrs draws the body of an `entra: update` re-sending some of the user's mapped
// attributes with the values held (at least one), the work email maybe in another case.
func drawEntraAttrs(t *rapid.T) (*yaml.Node, []string) {
	body := mapping()
	var names, vs []string
	for _, a := range entraAttrs {
		if !rapid.Bool().Draw(t, a.path) {
			continue
		}
		names = append(names, a.path)
		switch {
		case a.path == "active":
			add(body, a.path, true)
		case strings.HasPrefix(a.path, "emails"):
			c := rapid.IntRange(0, 2).Draw(t, "work email case")
			add(body, a.path, "{{user.email"+caseFilters[c].filter+"}}")
			if c > 0 {
				vs = append(vs, "the work email in "+caseFilters[c].words)
			}
		default:
			add(body, a.path, a.value)
		}
	}
	if len(names) == 0 { // a PATCH replaces something: active, as a soft-delete restore does
		add(body, "active", true)
		names = append(names, "active")
	}
	return flow(body), append([]string{"re-sends " + strings.Join(names, ", ") + " with the values held"}, vs...)
}

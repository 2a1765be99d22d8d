package explore

import (
	"context"
	"fmt"
	"strings"

	"go.yaml.in/yaml/v3"
	"pgregory.net/rapid"

	"github.com/scimreplay/scimreplay/fakes/okta"
	"github.com/scimreplay/scimreplay/harness"
	"github.com/scimreplay/scimreplay/harness/scenario"
)

// Okta is Okta's SCIM client (fakes/okta) as explore drives it: `okta: provision`, then its
// profile pushes, Group Push and the shapes other servers' Okta apps send, each generated in every
// way that means the same by SCIM's rules. The shapes and their sources are in the design notes
// (okta-traffic.md) and the catalogue (scenarios/okta).
var Okta = &Dialect{
	Name:           "okta",
	ProvisionSteps: func() []*yaml.Node { return []*yaml.Node{mapping("okta", "provision")} },
	Generators: []*Generator{
		userPut, userPatch, groupRename, groupPushNow, groupDelta, groupReadd, groupPut, concurrentUsers, concurrentDeltas,
	},
	Replay: func(ctx context.Context, c *harness.Client, sc *scenario.Scenario, runID string, o okta.Options) (*okta.Result, error) {
		return (&okta.Replayer{Client: c}).Replay(ctx, sc, runID, o)
	},
}

const emailsNoOp = `emails are caseExact=false (RFC 7643 §4.1.2); the order of a multi-valued ` +
	`attribute carries no meaning and its primary value is the one flagged primary, which Okta ` +
	`flags in every push (RFC 7643 §2.4; okta-developer-docs scim-20); display and type are ` +
	`sub-attributes that do not change the value, type's canonical values compared ` +
	`case-insensitively, and primary: false is the default (RFC 7643 §2.4)`

var userPut = &Generator{
	Name: "user-put",
	NoOp: `Okta's Force Sync profile push: GET /Users/{id}, then a full-body PUT echoing what the ` +
		`server answered with Okta's profile on top (okta/okta-developer-docs, ` +
		`docs/reference/scim/scim-20; Okta KB "How To Use The Force Sync Option"), name parts and ` +
		`displayName resent unchanged. PUT replaces the resource with the values it carries (RFC 7644 ` +
		`§3.5.1), here the ones it holds: ` + emailsNoOp,
	Labels: []string{"profile-push", "emails"},
	Draw: func(t *rapid.T, o *Org) Push {
		u := o.Users[rapid.IntRange(0, len(o.Users)-1).Draw(t, "user")]
		emails, vs := drawEmails(t, u.Emails())
		return Push{
			Target: userTarget(u), Shape: "GET + PUT", Variations: vs, Requests: 2,
			Steps: []*yaml.Node{forEach([]string{u.Key}, 0, userPutSteps(emails)...)},
		}
	},
}

var userPatch = &Generator{
	Name: "user-patch",
	NoOp: `PATCH replace of user attributes with the values they hold: replace sets an attribute to ` +
		`the value given (RFC 7644 §3.5.2.3), pathless as Okta sends its user PATCH (replace ` +
		`{active}, okta-developer-docs scim-20) or one operation per attribute path (RFC 7644 ` +
		`§3.5.2.3); name parts and displayName resent unchanged, active: true on an active user ` +
		`(Okta's reactivation); ` + emailsNoOp,
	Labels: []string{"profile-push", "emails"},
	Draw: func(t *rapid.T, o *Org) Push {
		u := o.Users[rapid.IntRange(0, len(o.Users)-1).Draw(t, "user")]
		step, shape, vs := drawUserPatch(t, u.Emails())
		return Push{
			Target: userTarget(u), Shape: shape, Variations: vs, Requests: 1,
			Steps: []*yaml.Node{forEach([]string{u.Key}, 0, step)},
		}
	},
}

var groupRename = &Generator{
	Name: "group-rename",
	NoOp: `Okta's rename, replace {id, displayName} with no path, to the name the group has: Group ` +
		`Push sends it with every membership update (okta-developer-docs scim-20; langwatch 7131), ` +
		`and replace with the value held changes nothing (RFC 7644 §3.5.2.3)`,
	Labels:  []string{"group-push"},
	Applies: func(o *Org) bool { return len(o.Groups) > 0 },
	Draw: func(t *rapid.T, o *Org) Push {
		g := o.Groups[rapid.IntRange(0, len(o.Groups)-1).Draw(t, "group")]
		return Push{
			Target: "group " + g.DisplayName, Shape: "PATCH, pathless", Requests: 1,
			Steps: []*yaml.Node{groupPatch(g, renameOp(g))},
		}
	},
}

var groupPushNow = &Generator{
	Name: "group-push-now",
	NoOp: `Push Now: replace members with the group's full member list (Okta Help "Group Push"), [] ` +
		`for an empty group (SCIM-SDK 757), or the pathless {id, displayName, members} shape ` +
		`(scimgateway 111), in any order: members have no order (RFC 7643 §2.4) and replace sets the ` +
		`list to what it already holds (RFC 7644 §3.5.2.3)`,
	Labels:  []string{"group-push"},
	Applies: func(o *Org) bool { return len(o.Groups) > 0 },
	Draw: func(t *rapid.T, o *Org) Push {
		g := o.Groups[rapid.IntRange(0, len(o.Groups)-1).Draw(t, "group")]
		order, vs := drawOrder(t, o, g.Members)
		var ops []*yaml.Node
		shape := "PATCH replace members"
		if rapid.IntRange(0, 1).Draw(t, "pathless") == 1 {
			shape = "PATCH, pathless {id, displayName, members}"
			value := mapping("id", groupRef(g, "id"), "displayName", groupRef(g, "displayName"), "members", memberList(o, order))
			ops = append(ops, mapping("op", "replace", "value", value))
		} else {
			if rapid.Bool().Draw(t, "rename first") {
				ops = append(ops, renameOp(g))
				vs = append(vs, "the rename to the same name first")
			}
			ops = append(ops, mapping("op", "replace", "path", "members", "value", memberList(o, order)))
		}
		return Push{Target: "group " + g.DisplayName, Shape: shape, Variations: vs, Requests: 1, Steps: []*yaml.Node{groupPatch(g, ops...)}}
	},
}

var groupDelta = &Generator{
	Name: "group-delta",
	NoOp: `Okta's membership delta, remove members[value eq "…"] then one add of members without ` +
		`type (okta-developer-docs scim-20), here removing members and adding the same ones back in ` +
		`one PATCH: its operations apply in order and all or none (RFC 7644 §3.5.2), so the member ` +
		`set ends as it was`,
	Labels:  []string{"group-push"},
	Applies: func(o *Org) bool { return len(withMembers(o)) > 0 },
	Draw: func(t *rapid.T, o *Org) Push {
		gs := withMembers(o)
		g := gs[rapid.IntRange(0, len(gs)-1).Draw(t, "group")]
		var readd []int
		for _, m := range g.Members {
			if rapid.Bool().Draw(t, "re-add") {
				readd = append(readd, m)
			}
		}
		if len(readd) == 0 {
			readd = g.Members[:1]
		}
		var ops []*yaml.Node
		var vs []string
		if rapid.Bool().Draw(t, "rename first") {
			ops = append(ops, renameOp(g))
			vs = append(vs, "the rename to the same name first")
		}
		var names []string
		for _, m := range readd {
			u := o.Users[m]
			names = append(names, u.Key)
			ops = append(ops, mapping("op", "remove", "path", `members[value eq "{{users.`+u.Key+`.id}}"]`))
		}
		ops = append(ops, mapping("op", "add", "path", "members", "value", memberList(o, readd)))
		vs = append(vs, "remove and add back "+strings.Join(names, ", "))
		return Push{Target: "group " + g.DisplayName, Shape: "PATCH remove + add", Variations: vs, Requests: 1, Steps: []*yaml.Node{groupPatch(g, ops...)}}
	},
}

var groupReadd = &Generator{
	Name: "group-readd",
	NoOp: `Okta's membership add, the rename to the same name and add members without type ` +
		`(okta-developer-docs scim-20), re-sent for members already in the group as a retried or ` +
		`re-run push does: an add of a value the attribute already holds changes nothing (RFC 7644 ` +
		`§3.5.2.1), members is a set (RFC 7643 §4.2)`,
	Labels:  []string{"group-push", "idempotency"},
	Applies: func(o *Org) bool { return len(withMembers(o)) > 0 },
	Draw: func(t *rapid.T, o *Org) Push {
		gs := withMembers(o)
		g := gs[rapid.IntRange(0, len(gs)-1).Draw(t, "group")]
		var again []int
		for _, m := range g.Members {
			if rapid.Bool().Draw(t, "add again") {
				again = append(again, m)
			}
		}
		if len(again) == 0 {
			again = g.Members[:1]
		}
		var names []string
		for _, m := range again {
			names = append(names, o.Users[m].Key)
		}
		ops := []*yaml.Node{renameOp(g), mapping("op", "add", "path", "members", "value", memberList(o, again))}
		return Push{Target: "group " + g.DisplayName, Shape: "PATCH rename + add", Variations: []string{"add again " + strings.Join(names, ", ") + ", already members"},
			Requests: 1, Steps: []*yaml.Node{groupPatch(g, ops...)}}
	},
}

var groupPut = &Generator{
	Name: "group-put",
	NoOp: `An App Integration Wizard app's PUT /Groups/{id} with the group's name and its full ` +
		`member list (okta-developer-docs scim-20: AIW apps use PUT for everything), in any order: PUT ` +
		`replaces the group with the values it holds (RFC 7644 §3.5.1), members have no order (RFC ` +
		`7643 §2.4)`,
	Labels:  []string{"group-push", "aiw"},
	Applies: func(o *Org) bool { return len(o.Groups) > 0 },
	Draw: func(t *rapid.T, o *Org) Push {
		g := o.Groups[rapid.IntRange(0, len(o.Groups)-1).Draw(t, "group")]
		order, vs := drawOrder(t, o, g.Members)
		body := mapping("schemas", flowList(okta.SchemaGroup), "id", groupRef(g, "id"),
			"displayName", groupRef(g, "displayName"), "members", memberList(o, order))
		step := mapping("method", "PUT", "path", "/Groups/"+groupRef(g, "id"), "body", body, "expect", []int{200})
		return Push{Target: "group " + g.DisplayName, Shape: "PUT /Groups", Variations: vs, Requests: 1, Steps: []*yaml.Node{step}}
	},
}

// maxConcurrency bounds the requests explore sends side by side: enough to interleave the writes
// to one group, well under scenario.MaxConcurrency.
const maxConcurrency = 4

var concurrentUsers = &Generator{
	Name: "concurrent-users",
	NoOp: `Okta and Entra push users in parallel: the profile pushes of members of one group (each ` +
		`as user-put or user-patch, a no-op on its own user) sent side by side, each user's requests ` +
		`in order; every interleaving of no-ops on different resources is a no-op (lost updates under ` +
		`concurrent writes: fleet 50724)`,
	Labels:  []string{"profile-push", "emails"},
	Applies: func(o *Org) bool { return len(sameArity(o)) > 0 },
	Draw: func(t *rapid.T, o *Org) Push {
		cands := sameArity(o)
		c := cands[rapid.IntRange(0, len(cands)-1).Draw(t, "group")]
		keys := make([]string, len(c.members))
		for i, m := range c.members {
			keys[i] = o.Users[m].Key
		}
		n := rapid.IntRange(2, min(maxConcurrency, len(keys))).Draw(t, "concurrency")
		p := Push{Target: "members " + strings.Join(keys, ", ") + " of group " + c.group.DisplayName}
		if rapid.IntRange(0, 1).Draw(t, "as PATCH") == 1 {
			step, shape, vs := drawUserPatch(t, c.emails)
			p.Shape, p.Variations, p.Requests = shape+fmt.Sprintf(", %d at a time", n), vs, len(keys)
			p.Steps = []*yaml.Node{forEach(keys, n, step)}
		} else {
			emails, vs := drawEmails(t, c.emails)
			p.Shape, p.Variations, p.Requests = fmt.Sprintf("GET + PUT, %d at a time", n), vs, 2*len(keys)
			p.Steps = []*yaml.Node{forEach(keys, n, userPutSteps(emails)...)}
		}
		return p
	},
}

var concurrentDeltas = &Generator{
	Name: "concurrent-deltas",
	NoOp: `Membership deltas of one group for different members sent side by side, each PATCH a ` +
		`no-op (group-delta: remove members[value eq "x"] and add x back, all or none, RFC 7644 ` +
		`§3.5.2): every interleaving of no-ops is a no-op (Okta and Entra push in parallel; lost ` +
		`updates under concurrent writes to one group: fleet 50724)`,
	Labels:  []string{"group-push"},
	Applies: func(o *Org) bool { return len(withMembers(o, 2)) > 0 },
	Draw: func(t *rapid.T, o *Org) Push {
		gs := withMembers(o, 2)
		g := gs[rapid.IntRange(0, len(gs)-1).Draw(t, "group")]
		keys := make([]string, len(g.Members))
		for i, m := range g.Members {
			keys[i] = o.Users[m].Key
		}
		n := rapid.IntRange(2, min(maxConcurrency, len(keys))).Draw(t, "concurrency")
		var ops []*yaml.Node
		var vs []string
		if rapid.Bool().Draw(t, "rename first") {
			ops = append(ops, renameOp(g))
			vs = append(vs, "each with the rename to the same name first")
		}
		ops = append(ops,
			mapping("op", "remove", "path", `members[value eq "{{user.id}}"]`),
			mapping("op", "add", "path", "members", "value", []*yaml.Node{flow(mapping("value", "{{user.id}}", "display", "{{user.userName}}"))}))
		return Push{
			Target: "group " + g.DisplayName + " for " + strings.Join(keys, ", "), Shape: fmt.Sprintf("PATCH remove + add, %d at a time", n),
			Variations: vs, Requests: len(keys), Steps: []*yaml.Node{forEach(keys, n, groupPatch(g, ops...))},
		}
	},
}

func userTarget(u User) string { return u.Key }

func userPutSteps(emails *yaml.Node) []*yaml.Node {
	return []*yaml.Node{
		flow(mapping("method", "GET", "path", "/Users/{{user.id}}", "expect", []int{200})),
		mapping("method", "PUT", "path", "/Users/{{user.id}}", "echo", true, "profile", true,
			"body", mapping("emails", emails), "expect", []int{200}),
	}
}

// forEach is a loop over the given users, concurrency side by side (0: one after another).
func forEach(keys []string, concurrency int, steps ...*yaml.Node) *yaml.Node {
	l := &yaml.Node{Kind: yaml.SequenceNode, Style: yaml.FlowStyle}
	for _, k := range keys {
		l.Content = append(l.Content, str(k))
	}
	n := mapping("forEach", l)
	if concurrency > 1 {
		add(n, "concurrency", concurrency)
	}
	add(n, "steps", seq(steps...))
	return n
}

var caseFilters = []struct{ filter, words string }{{"", ""}, {" | upper", "upper case"}, {" | title", "title case"}}

var typeCases = []func(string) string{
	func(s string) string { return s },
	func(s string) string { return strings.ToUpper(s[:1]) + s[1:] },
	strings.ToUpper,
}

// drawEmails draws the emails of a profile push for users with n emails (1 or 2): the values
// Okta holds, each in any case, the primary flagged (as Okta sends it) first or second, with or
// without display, with the type written in another case, the second email with or without an
// explicit primary: false.
func drawEmails(t *rapid.T, n int) (*yaml.Node, []string) {
	var vs []string
	pc := rapid.IntRange(0, 2).Draw(t, "primary email case")
	tc := rapid.IntRange(0, 2).Draw(t, "type case")
	display := rapid.Bool().Draw(t, "display")
	primary := mapping("primary", true, "value", "{{user.email"+caseFilters[pc].filter+"}}", "type", typeCases[tc]("work"))
	if pc > 0 {
		vs = append(vs, "primary email in "+caseFilters[pc].words)
	}
	if tc > 0 {
		vs = append(vs, fmt.Sprintf("type written %q", typeCases[tc]("work")))
	}
	if display {
		add(primary, "display", "{{user.email}}")
	}
	list := []*yaml.Node{flow(primary)}
	if n == 2 {
		sc := rapid.IntRange(0, 2).Draw(t, "second email case")
		second := mapping("value", "{{user.secondEmail"+caseFilters[sc].filter+"}}", "type", typeCases[tc]("other"))
		if sc > 0 {
			vs = append(vs, "second email in "+caseFilters[sc].words)
		}
		if rapid.Bool().Draw(t, "explicit primary false") {
			second.Content = append([]*yaml.Node{str("primary"), value(false)}, second.Content...)
			vs = append(vs, "second email with primary: false")
		}
		if display {
			add(second, "display", "{{user.secondEmail}}")
		}
		list = append(list, flow(second))
		if rapid.Bool().Draw(t, "reordered") {
			list[0], list[1] = list[1], list[0]
			vs = append(vs, "emails reordered (the primary second, still flagged)")
		}
	}
	if display {
		vs = append(vs, "display added")
	}
	return seq(list...), vs
}

// drawUserPatch draws a user PATCH replacing attributes with the values they hold: pathless or
// one operation per path; emails (drawn as for a PUT), name parts, displayName, active: true.
func drawUserPatch(t *rapid.T, n int) (step *yaml.Node, shape string, vs []string) {
	pathless := rapid.IntRange(0, 1).Draw(t, "path form") == 0
	withEmails := rapid.Bool().Draw(t, "emails")
	withName := rapid.Bool().Draw(t, "name")
	withDisplay := rapid.Bool().Draw(t, "displayName")
	withActive := rapid.Bool().Draw(t, "active")
	if !withEmails && !withName && !withDisplay {
		withActive = true // a PATCH replaces something: at least Okta's reactivation shape
	}
	var emails *yaml.Node
	var attrs []string
	if withEmails {
		emails, vs = drawEmails(t, n)
		attrs = append(attrs, "emails")
	}
	if withName {
		attrs = append(attrs, "name")
	}
	if withDisplay {
		attrs = append(attrs, "displayName")
	}
	if withActive {
		attrs = append(attrs, "active")
	}
	var ops []*yaml.Node
	if pathless {
		shape = "PATCH, pathless"
		v := mapping()
		if withEmails {
			add(v, "emails", emails)
		}
		if withName {
			add(v, "name", flow(mapping("givenName", "{{user.givenName}}", "familyName", "{{user.familyName}}")))
		}
		if withDisplay {
			add(v, "displayName", "{{user.displayName}}")
		}
		if withActive {
			add(v, "active", true)
		}
		ops = append(ops, mapping("op", "replace", "value", v))
	} else {
		shape = "PATCH, one replace per path"
		if withEmails {
			ops = append(ops, mapping("op", "replace", "path", "emails", "value", emails))
		}
		if withName {
			ops = append(ops, flow(mapping("op", "replace", "path", "name.givenName", "value", "{{user.givenName}}")),
				flow(mapping("op", "replace", "path", "name.familyName", "value", "{{user.familyName}}")))
		}
		if withDisplay {
			ops = append(ops, flow(mapping("op", "replace", "path", "displayName", "value", "{{user.displayName}}")))
		}
		if withActive {
			ops = append(ops, flow(mapping("op", "replace", "path", "active", "value", true)))
		}
	}
	vs = append([]string{"replaces " + strings.Join(attrs, ", ") + " with the values held"}, vs...)
	step = mapping("method", "PATCH", "path", "/Users/{{user.id}}", "body", patchBody(ops...), "expect", []int{200, 204})
	return step, shape, vs
}

func patchBody(ops ...*yaml.Node) *yaml.Node {
	return mapping("schemas", flowList(okta.SchemaPatchOp), "Operations", seq(ops...))
}

func flowList(items ...string) *yaml.Node {
	l := &yaml.Node{Kind: yaml.SequenceNode, Style: yaml.FlowStyle}
	for _, it := range items {
		l.Content = append(l.Content, str(it))
	}
	return l
}

func groupRef(g Group, field string) string { return "{{groups." + g.Key + "." + field + "}}" }

func groupPatch(g Group, ops ...*yaml.Node) *yaml.Node {
	return mapping("method", "PATCH", "path", "/Groups/"+groupRef(g, "id"), "body", patchBody(ops...), "expect", []int{200, 204})
}

func renameOp(g Group) *yaml.Node {
	return mapping("op", "replace", "value", flow(mapping("id", groupRef(g, "id"), "displayName", groupRef(g, "displayName"))))
}

// memberList is Okta's member list for the users at these indexes: {value, display}, no type.
func memberList(o *Org, members []int) *yaml.Node {
	l := seq()
	if len(members) == 0 {
		l.Style = yaml.FlowStyle // []
	}
	for _, m := range members {
		k := o.Users[m].Key
		l.Content = append(l.Content, flow(mapping("value", "{{users."+k+".id}}", "display", "{{users."+k+".userName}}")))
	}
	return l
}

// drawOrder draws an order of a group's members.
func drawOrder(t *rapid.T, o *Org, members []int) ([]int, []string) {
	if len(members) < 2 {
		return members, nil
	}
	order := rapid.Permutation(members).Draw(t, "member order")
	for i := range order {
		if order[i] != members[i] {
			keys := make([]string, len(order))
			for j, m := range order {
				keys[j] = o.Users[m].Key
			}
			return order, []string{"members in another order: " + strings.Join(keys, ", ")}
		}
	}
	return order, nil
}

// withMembers lists the groups with at least least members (1 when not given).
func withMembers(o *Org, least ...int) []Group {
	n := 1
	if len(least) > 0 {
		n = least[0]
	}
	var out []Group
	for _, g := range o.Groups {
		if len(g.Members) >= n {
			out = append(out, g)
		}
	}
	return out
}

// arityGroup is the members of one group that have the same number of emails, so one push's
// templates fit them all.
type arityGroup struct {
	group   Group
	emails  int
	members []int
}

func sameArity(o *Org) []arityGroup {
	var out []arityGroup
	for _, g := range o.Groups {
		for n := 1; n <= 2; n++ {
			var ms []int
			for _, m := range g.Members {
				if o.Users[m].Emails() == n {
					ms = append(ms, m)
				}
			}
			if len(ms) >= 2 {
				out = append(out, arityGroup{g, n, ms})
			}
		}
	}
	return out
}

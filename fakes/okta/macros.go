package okta

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strings"

	"github.com/scimreplay/scimreplay/fakes/idp"
	"github.com/scimreplay/scimreplay/harness"
	"github.com/scimreplay/scimreplay/harness/scenario"
	"github.com/scimreplay/scimreplay/internal/jsonmerge"
)

// Schema URNs Okta puts in bodies.
const (
	SchemaUser    = "urn:ietf:params:scim:schemas:core:2.0:User"
	SchemaGroup   = "urn:ietf:params:scim:schemas:core:2.0:Group"
	SchemaPatchOp = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
)

// macros runs Okta's macros through the engine that replays the scenario.
type macros struct{ p *idp.Replayer }

func (oktaIdP) Macro(ctx context.Context, e *idp.Replayer, r *Run, st *scenario.Step) error {
	return macros{e}.run(ctx, r, st)
}

func (p macros) run(ctx context.Context, r *Run, st *scenario.Step) error {
	fail := func(what string, err error) error {
		return &StepError{Pos: st.Pos, What: "okta: " + st.Okta + ": " + what, Err: err}
	}
	switch st.Okta {
	case "provision":
		return p.provision(ctx, r, st.Concurrency, fail)
	case "assign":
		if u := r.User(); u != nil {
			return p.assign(ctx, r, *u, st, fail)
		}
		org := r.Scenario.Org
		for i := range org.Users {
			if err := p.assign(ctx, r.ForUser(&org.Users[i]), org.Users[i], st, fail); err != nil {
				return err
			}
		}
		return nil
	case "listUsers", "listGroups":
		res := "/Users"
		if st.Okta == "listGroups" {
			res = "/Groups"
		}
		return p.list(ctx, r, res, fail)
	}
	return fail("", &ScenarioError{Msg: "unknown macro"})
}

// send is one exchange of a macro with its expected statuses.
func (p macros) send(ctx context.Context, r *Run, method, path string, body any, want ...int) (*harness.Response, error) {
	return p.p.Send(ctx, r, method, path, body, want...)
}

// provision is Okta's first push of the org: for each user a lookup by userName (an existing
// match is linked, as Okta's import matching does) or a POST; then each group is created with
// no members and its members added with the rename+add PATCH Okta sends; then the deactivated
// users are deactivated. With concurrency above 1, up to that many users (then groups, then
// deactivations) are pushed side by side, each one's requests in order, as a forEach does.
func (p macros) provision(ctx context.Context, r *Run, concurrency int, fail func(string, error) error) error {
	org := r.Scenario.Org
	r.Provisioned()
	each := func(n int, do func(ctx context.Context, r *Run, i int) error) error {
		return r.Each(ctx, n, concurrency, do)
	}
	err := each(len(org.Users), func(ctx context.Context, r *Run, i int) error {
		u := org.Users[i]
		return p.assignUser(ctx, r, u, u.Profile(), []int{201}, fail)
	})
	if err != nil {
		return err
	}
	err = each(len(org.Groups), func(ctx context.Context, r *Run, i int) error {
		g := org.Groups[i]
		resp, err := p.send(ctx, r, http.MethodPost, "/Groups", map[string]any{
			"schemas": []any{SchemaGroup}, "displayName": g.DisplayName, "members": []any{},
		}, 201)
		if err != nil {
			return fail("create group "+g.DisplayName, err)
		}
		id, err := idp.IDOf(resp)
		if err != nil {
			return fail("create group "+g.DisplayName, err)
		}
		r.GroupIDs[g.Key] = id
		if len(g.Members) == 0 {
			return nil
		}
		members, err := r.GroupMembers(g)
		if err != nil {
			return fail("push group "+g.DisplayName, err)
		}
		_, err = p.send(ctx, r, http.MethodPatch, "/Groups/"+id, map[string]any{
			"schemas": []any{SchemaPatchOp},
			"Operations": []any{
				map[string]any{"op": "replace", "value": map[string]any{"id": id, "displayName": g.DisplayName}},
				map[string]any{"op": "add", "path": "members", "value": members},
			},
		}, 200, 204)
		if err != nil {
			return fail("push group "+g.DisplayName, err)
		}
		return nil
	})
	if err != nil {
		return err
	}
	var inactive []scenario.User
	for _, u := range org.Users {
		if !u.Active {
			inactive = append(inactive, u)
		}
	}
	return each(len(inactive), func(ctx context.Context, r *Run, i int) error {
		u := inactive[i]
		_, err := p.send(ctx, r, http.MethodPatch, "/Users/"+r.UserIDs[u.Key], map[string]any{
			"schemas":    []any{SchemaPatchOp},
			"Operations": []any{map[string]any{"op": "replace", "value": map[string]any{"active": false}}},
		}, 200, 204)
		if err != nil {
			return fail("deactivate "+u.UserName, err)
		}
		return nil
	})
}

// assign is `okta: assign` for one user: its profile with the step's body laid over it (templates
// see the user), then Okta's lookup, and a POST only where the lookup finds nothing.
func (p macros) assign(ctx context.Context, r *Run, u scenario.User, st *scenario.Step, fail func(string, error) error) error {
	profile := any(u.Profile())
	if st.HasBody {
		over, err := r.Render(st.Body)
		if err != nil {
			return fail("assign "+u.Key, &ScenarioError{Msg: err.Error()})
		}
		profile = jsonmerge.Merge(profile, over)
	}
	body, ok := profile.(map[string]any)
	if !ok {
		return fail("assign "+u.Key, &ScenarioError{Msg: "body: must be an object"})
	}
	want := st.Expect
	if len(want) == 0 {
		// Okta's re-POST of a returning user may be answered 200 by a server that restores the
		// old record (rancher PR 55220, better-auth PR 11167) or 201; never 409.
		want = []int{200, 201}
	}
	return p.assignUser(ctx, r, u, body, want, fail)
}

// assignUser is what Okta does when a user is assigned to the app: look the userName up and
// POST the user only when nothing matches. A match (a deactivated one too) is linked, and one the
// target shows as deactivated is reactivated with Okta's pathless replace {active: true}; Okta
// does not POST then. Both server designs are correct — keeping deactivated users visible to
// lookups, or hiding them and restoring on the re-POST — so the replay branches on what the
// lookup answered. The user's id on the target is bound either way.
func (p macros) assignUser(ctx context.Context, r *Run, u scenario.User, body map[string]any, want []int, fail func(string, error) error) error {
	userName, _ := body["userName"].(string)
	if userName == "" {
		return fail("assign "+u.Key, &ScenarioError{Msg: "the profile has no userName"})
	}
	path := "/Users?filter=" + idp.QueryEscape("userName eq "+harness.QuoteFilterValue(userName)) + "&startIndex=1&count=100"
	resp, err := p.send(ctx, r, http.MethodGet, path, nil, 200, 404)
	if err != nil {
		return fail("lookup "+userName, err)
	}
	if resp.Status == http.StatusOK {
		var page harness.ListResponse
		if err := resp.JSON(&page); err != nil {
			return fail("lookup "+userName, err)
		}
		if len(page.Resources) > 0 {
			var found struct {
				ID     string `json:"id"`
				Active any    `json:"active"`
			}
			if err := json.Unmarshal(page.Resources[0], &found); err == nil && found.ID != "" {
				r.UserIDs[u.Key] = found.ID
				if active, _ := body["active"].(bool); active && isFalse(found.Active) {
					_, err := p.send(ctx, r, http.MethodPatch, "/Users/"+url.PathEscape(found.ID), map[string]any{
						"schemas":    []any{SchemaPatchOp},
						"Operations": []any{map[string]any{"op": "replace", "value": map[string]any{"active": true}}},
					}, 200, 204)
					if err != nil {
						return fail("reactivate "+userName, err)
					}
				}
				return nil
			}
		}
	}
	if _, ok := body["password"]; !ok {
		body["password"] = "Okta-Gen-" + scenario.OktaID(u.Key)[3:11]
	}
	resp, err = p.send(ctx, r, http.MethodPost, "/Users", body, want...)
	if err != nil {
		return fail("create "+userName, err)
	}
	id, err := idp.IDOf(resp)
	if err != nil {
		return fail("create "+userName, err)
	}
	r.UserIDs[u.Key] = id
	return nil
}

// isFalse reports whether a target's active value says deactivated: false, or Entra's "False".
func isFalse(v any) bool {
	switch x := v.(type) {
	case bool:
		return !x
	case string:
		return strings.EqualFold(x, "false")
	}
	return false
}

// list is Okta's paging loop over /Users or /Groups (startIndex=1, count=100, then +100 until
// totalResults). Okta needs stable ordering: an id served on two pages, or a user or group the
// run created that no page lists, fails the target.
func (p macros) list(ctx context.Context, r *Run, res string, fail func(string, error) error) error {
	seen := map[string]bool{}
	var dup string
	err := p.p.Client.ListIDs(ctx, res, "", func(id string, _ json.RawMessage) error {
		if seen[id] && dup == "" {
			dup = id
		}
		seen[id] = true
		return nil
	})
	if err != nil {
		return fail("GET "+res, err)
	}
	if dup != "" {
		return fail("GET "+res, fmt.Errorf("id %s is served on two pages: the ordering is not stable across pages", dup))
	}
	want := r.UserIDs
	if res == "/Groups" {
		want = r.GroupIDs
	}
	var missing []string
	for key, id := range want {
		if !seen[id] {
			missing = append(missing, key)
		}
	}
	if len(missing) > 0 {
		sort.Strings(missing)
		return fail("GET "+res, fmt.Errorf("%d of the run's resources are on no page (%s…): paging lost them", len(missing), missing[0]))
	}
	return nil
}

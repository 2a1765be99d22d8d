// Package idp is the replay engine the fake identity providers share (fakes/okta, fakes/entra):
// it replays a scenario's steps against a SCIM target — requests, loops, templates, captures,
// echo bodies and the re-binding of recorded ids — and runs a scenario end to end (Replay).
// What differs between identity providers, their macros (okta:, entra:) and their first push of
// the org, is an IdP the engine is given.
package idp

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"

	"github.com/scimreplay/scimreplay/harness"
	"github.com/scimreplay/scimreplay/harness/scenario"
	"github.com/scimreplay/scimreplay/internal/jsonenc"
	"github.com/scimreplay/scimreplay/internal/jsonmerge"
	"github.com/scimreplay/scimreplay/internal/jsonscan"
	"github.com/scimreplay/scimreplay/internal/textcut"
	"github.com/scimreplay/scimreplay/internal/workers"
)

// Replayer sends a scenario's phases to one target as one identity provider does.
type Replayer struct {
	Client *harness.Client
	// Progress, when set, gets one line per phase and a count of requests sent.
	Progress io.Writer
	// IdP runs the identity provider's macros and names it in messages.
	IdP IdP
}

// IdP is what one identity provider adds to the engine.
type IdP interface {
	// Name names the identity provider in messages ("Okta", "Entra ID").
	Name() string
	// Provision is the phase a scenario without provision: steps starts with: the IdP's first
	// push of the org (file places its errors).
	Provision(file string) []scenario.Step
	// Macro runs a step that names one of the IdP's macros (okta:, entra:).
	Macro(ctx context.Context, p *Replayer, r *Run, st *scenario.Step) error
}

// Run is the state of one scenario's replay: the ids the target assigned, captured variables and
// the last GET body of each path (for Okta's echo PUT).
type Run struct {
	Scenario *scenario.Scenario
	ID       string // a short id of this run, {{run}} in templates
	UserIDs  map[string]string
	GroupIDs map[string]string
	Vars     map[string]any
	lastGET  map[string][]byte // raw: decoded only when an echo step uses it; a write drops its path's
	rebind   *rebinder         // nil unless the scenario says rebind: auto
	// provisioned says the IdP's provision macro ran, so the org's memberships were given.
	provisioned bool

	user  *scenario.User
	group *scenario.Group
	// turn is held by the iteration of a concurrent forEach that runs; it is let go only while a
	// request is on the wire, so the run's maps and captures are never touched by two at once.
	turn *sync.Mutex
}

// NewRun starts the replay state of a scenario.
func NewRun(sc *scenario.Scenario, runID string) *Run {
	r := &Run{Scenario: sc, ID: runID, UserIDs: map[string]string{}, GroupIDs: map[string]string{},
		Vars: map[string]any{}, lastGET: map[string][]byte{}}
	if sc.Rebind == scenario.RebindAuto {
		r.rebind = newRebinder(sc)
	}
	return r
}

// User is the loop's user (inside forEach: users, or a macro going through the org's users), nil
// elsewhere.
func (r *Run) User() *scenario.User { return r.user }

// Group is the loop's group (inside forEach: groups), nil elsewhere.
func (r *Run) Group() *scenario.Group { return r.group }

// ForUser is the run with u as its loop user, so templates see {{user.…}}; it shares the run's
// ids, captures and echo bodies.
func (r *Run) ForUser(u *scenario.User) *Run {
	it := *r
	it.user, it.group = u, nil
	return &it
}

// ForGroup is the run with g as its loop group ({{group.…}}), sharing the run's state.
func (r *Run) ForGroup(g *scenario.Group) *Run {
	it := *r
	it.user, it.group = nil, g
	return &it
}

// Render renders the {{templates}} in a step's value (a body) as this run sees them.
func (r *Run) Render(v any) (any, error) { return scenario.Render(v, r.lookup) }

// Provisioned records that the IdP's provision macro gave the org's memberships, which the
// snapshot before the force sync must then show (Expected).
func (r *Run) Provisioned() { r.provisioned = true }

// Rebound is the live id the target assigned in place of a recorded one (rebind: auto).
func (r *Run) Rebound(recorded string) (string, bool) {
	if r.rebind == nil {
		return "", false
	}
	id, ok := r.rebind.ids[recorded]
	return id, ok
}

// Scope is what the run created or touched: the org's userNames (which also finds duplicate
// users), and every user and group id the target assigned.
func (r *Run) Scope() harness.Scope {
	var s harness.Scope
	for _, u := range r.Scenario.Org.Users {
		s.UserNames = append(s.UserNames, u.UserName)
	}
	for _, g := range r.Scenario.Org.Groups {
		s.GroupNames = append(s.GroupNames, g.DisplayName)
	}
	for _, id := range r.UserIDs {
		s.UserIDs = append(s.UserIDs, id)
	}
	for _, id := range r.GroupIDs {
		s.GroupIDs = append(s.GroupIDs, id)
	}
	if r.rebind != nil {
		s.UserNames = append(s.UserNames, r.rebind.userNames()...)
		s.UserIDs = append(s.UserIDs, r.rebind.liveIDs("user")...)
		s.GroupIDs = append(s.GroupIDs, r.rebind.liveIDs("group")...)
	}
	return s
}

// StepError places a failure at its step in the scenario file.
type StepError struct {
	Pos  scenario.Pos
	What string // "PUT /Users/{{user.id}} (bob)"
	Err  error
}

func (e *StepError) Error() string { return fmt.Sprintf("%s: %s: %v", e.Pos, e.What, e.Err) }
func (e *StepError) Unwrap() error { return e.Err }

// ScenarioError means the scenario cannot be replayed as written (a variable with no value, an
// echo with no GET before it): the run could not be done.
type ScenarioError struct{ Msg string }

func (e *ScenarioError) Error() string { return e.Msg }

// Phase replays steps. It stops at the first failure.
func (p *Replayer) Phase(ctx context.Context, r *Run, name string, steps []scenario.Step) error {
	before := p.Client.Sent()
	err := p.steps(ctx, r, steps)
	if p.Progress != nil {
		fmt.Fprintf(p.Progress, "  %s: %d requests sent\n", name, p.Client.Sent()-before)
	}
	return err
}

func (p *Replayer) steps(ctx context.Context, r *Run, steps []scenario.Step) error {
	for i := range steps {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := p.step(ctx, r, &steps[i]); err != nil {
			return err
		}
	}
	return nil
}

func (p *Replayer) step(ctx context.Context, r *Run, st *scenario.Step) error {
	switch {
	case st.Okta != "" || st.Entra != "":
		if p.IdP == nil {
			return &StepError{Pos: st.Pos, What: "macro", Err: &ScenarioError{Msg: "no identity provider runs macros here"}}
		}
		return p.IdP.Macro(ctx, p, r, st)
	case st.ForEach != "":
		return p.forEach(ctx, r, st)
	}
	return p.exchange(ctx, r, st)
}

func (p *Replayer) forEach(ctx context.Context, r *Run, st *scenario.Step) error {
	org := r.Scenario.Org
	var n int
	var bind func(it *Run, i int)
	switch st.ForEach {
	case "users":
		n, bind = len(org.Users), func(it *Run, i int) { it.user = &org.Users[i] }
	case "groups":
		n, bind = len(org.Groups), func(it *Run, i int) { it.group = &org.Groups[i] }
	case "keys":
		n, bind = len(st.Keys), func(it *Run, i int) {
			u, _ := org.UserByKey(st.Keys[i])
			it.user = &u
		}
	}
	// A loop inside a concurrent iteration, and a run that re-binds recorded ids (whose pairing
	// follows the recording's order), go one iteration after another.
	if st.Concurrency > 1 && n > 1 && r.turn == nil && r.rebind == nil {
		return p.forEachConcurrent(ctx, r, st, n, bind)
	}
	defer func() { r.user, r.group = nil, nil }()
	for i := 0; i < n; i++ {
		bind(r, i)
		if err := p.steps(ctx, r, st.Steps); err != nil {
			return err
		}
	}
	return nil
}

// forEachConcurrent runs a forEach's iterations on up to st.Concurrency workers, taking them in
// org order. Each iteration's steps run in order (Okta's ordering per resource); iterations take
// turns holding the run and let go of it only while a request is on the wire, so templating,
// captures and echo bodies need no other lock, and what overlaps is the round trips. The first
// failure cancels the iterations not yet done; the error returned is that of the first failing
// iteration in org order.
func (p *Replayer) forEachConcurrent(ctx context.Context, r *Run, st *scenario.Step, n int, bind func(*Run, int)) error {
	return inTurns(ctx, r, n, st.Concurrency, func(ctx context.Context, it *Run, i int) error {
		bind(it, i)
		return p.steps(ctx, it, st.Steps)
	})
}

// Each runs do(ctx, r, 0) … do(ctx, r, n-1) for a macro: with concurrency above 1, up to that
// many side by side as a concurrent forEach runs its iterations (each in its turn, its requests
// in order); one after another when concurrency is 1 or less, when the run is already one
// iteration of a concurrent loop, or when it re-binds recorded ids (pairing needs the order).
func (r *Run) Each(ctx context.Context, n, concurrency int, do func(ctx context.Context, r *Run, i int) error) error {
	if concurrency > 1 && n > 1 && r.turn == nil && r.rebind == nil {
		return inTurns(ctx, r, n, concurrency, do)
	}
	for i := 0; i < n; i++ {
		if err := do(ctx, r, i); err != nil {
			return err
		}
	}
	return nil
}

// inTurns runs do(0) … do(n-1) on up to concurrency goroutines, taken in order (workers.Run: the
// first failure cancels what is not yet done, and is the error), each with its own copy of the
// run (the same maps) that holds the run's turn except while a request is on the wire.
func inTurns(ctx context.Context, r *Run, n, concurrency int, do func(ctx context.Context, it *Run, i int) error) error {
	var turn sync.Mutex
	return workers.Run(ctx, n, concurrency, func(ctx context.Context, i int) error {
		it := *r // the run's maps, this iteration's user or group
		it.turn = &turn
		turn.Lock()
		defer turn.Unlock()
		return do(ctx, &it, i)
	})
}

// Send is one request of a macro: body (encoded as the engine encodes every body, nil for none)
// to a path relative to the SCIM base, with the run's turn let go while it is on the wire. An
// answer whose status is not among want is a *harness.StatusError naming the IdP.
func (p *Replayer) Send(ctx context.Context, r *Run, method, path string, body any, want ...int) (*harness.Response, error) {
	var b []byte
	if body != nil {
		var err error
		if b, err = jsonenc.Append(nil, body); err != nil {
			return nil, err
		}
	}
	resp, err := onTheWire(r, func() (*harness.Response, error) { return p.Client.Do(ctx, method, path, b, nil) })
	if err != nil {
		return nil, err
	}
	if !statusOK(resp.Status, want) {
		return resp, &harness.StatusError{Method: method, Path: path, Want: want, Got: resp.Status, Body: short(resp.Body), IdP: p.idpName()}
	}
	return resp, nil
}

// onTheWire runs a request with the run's turn let go, so other iterations of a concurrent
// forEach can prepare or read their own exchanges meanwhile.
func onTheWire[T any](r *Run, send func() (T, error)) (T, error) {
	if r.turn == nil {
		return send()
	}
	r.turn.Unlock()
	defer r.turn.Lock()
	return send()
}

func (p *Replayer) exchange(ctx context.Context, r *Run, st *scenario.Step) error {
	fail := func(err error) error { return &StepError{Pos: st.Pos, What: r.what(st), Err: err} }
	// A recording's ids are re-bound in the text as written, before templates are rendered:
	// what a template puts in (an org id, a capture) is already a live id, and rewriting it as
	// if it were a recorded one would bind a value twice (servers that number ids 1, 2, 3…).
	rebound := func(s string) string {
		if r.rebind != nil {
			return r.rebind.path(s)
		}
		return s
	}
	text := func(s string) (string, error) {
		if st.Verbatim {
			return s, nil
		}
		return scenario.RenderString(s, r.lookup)
	}
	if r.rebind != nil {
		r.rebind.take()
	}
	path, err := text(rebound(st.Path))
	if err != nil {
		return fail(&ScenarioError{Msg: err.Error()})
	}
	if len(st.Query) > 0 {
		var q []string
		for _, kv := range st.Query {
			v := kv.Value
			if r.rebind != nil {
				v = r.rebind.queryValue(kv.Key, v)
			}
			if v, err = text(v); err != nil {
				return fail(&ScenarioError{Msg: err.Error()})
			}
			q = append(q, url.QueryEscape(kv.Key)+"="+queryEscape(v))
		}
		sep := "?"
		if strings.Contains(path, "?") {
			sep = "&"
		}
		path += sep + strings.Join(q, "&")
	}
	var header http.Header // nil unless the step sets headers: most do not
	if len(st.Headers) > 0 {
		header = make(http.Header, len(st.Headers))
	}
	for _, kv := range st.Headers {
		v, err := text(kv.Value)
		if err != nil {
			return fail(&ScenarioError{Msg: err.Error()})
		}
		header.Add(kv.Key, v)
	}
	var body []byte
	if st.Echo || st.Profile || st.HasBody {
		var overlays []any // laid on the echoed body (or on nothing) in this order
		if st.Profile {
			overlays = append(overlays, r.Scenario.Profile(*r.user))
		}
		if st.HasBody {
			written := st.Body
			if r.rebind != nil {
				written = r.rebind.body(written)
			}
			rendered := jsonmerge.Copy(written)
			if !st.Verbatim {
				if rendered, err = scenario.Render(written, r.lookup); err != nil {
					return fail(&ScenarioError{Msg: err.Error()})
				}
			}
			overlays = append(overlays, rendered)
		}
		if st.Echo {
			raw, ok := r.lastGET[pathOnly(path)]
			if !ok {
				return fail(&ScenarioError{Msg: noGETToEcho(pathOnly(path))})
			}
			if body, err = echoBody(raw, overlays); errors.Is(err, errNothingToEcho) {
				return fail(&ScenarioError{Msg: noGETToEcho(pathOnly(path))})
			}
		} else {
			var doc any // this step's own, so the overlays are laid on it in place
			for _, o := range overlays {
				doc = jsonmerge.Into(doc, o)
			}
			body, err = marshalBody(doc)
		}
		if err != nil {
			return fail(err)
		}
	}
	if r.rebind != nil {
		if ids := r.rebind.take(); len(ids) > 0 {
			return fail(&ScenarioError{Msg: fmt.Sprintf("the recording's id %s is sent here, but no earlier answer of this target paired it with an id of its own: the recording lacks the steps that created it (record from the first provisioning on, or replay against the server it was recorded on)", ids[0])})
		}
	}
	resp, err := onTheWire(r, func() (*harness.Response, error) {
		return p.Client.DoStep(ctx, st.Pos.String(), st.Method, path, body, header)
	})
	if err != nil {
		return fail(err)
	}
	if !statusOK(resp.Status, st.Expect) {
		want := st.Expect
		if len(want) == 0 {
			want = []int{200, 201, 204}
		}
		return fail(&harness.StatusError{Method: st.Method, Path: path, Want: want, Got: resp.Status, Body: short(resp.Body), IdP: p.idpName()})
	}
	pairing := r.rebind != nil && st.Response != nil && st.Response.Body != nil
	var doc any
	if len(resp.Body) > 0 && (len(st.Capture) > 0 || pairing) {
		if err := json.Unmarshal(resp.Body, &doc); err != nil {
			return fail(&harness.ProtocolError{Msg: fmt.Sprintf("answered %d with a body that is not JSON: %s", resp.Status, short(resp.Body))})
		}
	}
	// A GET body is kept raw for a later echo (decoding every one up front, and keeping the
	// decoded documents of a whole org alive, cost a large sync more CPU and memory than the
	// echo itself); what is kept is a JSON value other than null (the client has already
	// refused a 2xx body that is not JSON).
	// A successful write to the path makes the kept body stale: an echo after it needs a new GET,
	// as Okta's GET + PUT does. So a loop of GET + echo PUT keeps no body past its PUT, and a
	// large sync holds none of its users' bodies (at 100k users they were 116 MB of the live heap,
	// above the harness's soft memory limit, and its collector ran without pause).
	if st.Method == http.MethodGet {
		if resp.Status == http.StatusOK && len(resp.Body) > 0 && !isJSONNull(resp.Body) {
			r.lastGET[pathOnly(path)] = resp.Body
		}
	} else {
		delete(r.lastGET, pathOnly(path))
	}
	if pairing {
		r.rebind.pair(path, st.Response.Body, doc)
	}
	for _, kv := range st.Capture {
		jp, _ := scenario.ParseJSONPath(kv.Value)
		v, ok := jp.Get(doc)
		if !ok {
			return fail(&harness.ProtocolError{Msg: fmt.Sprintf("capture %s: %s not found in the response %s", kv.Key, kv.Value, short(resp.Body))})
		}
		r.bind(kv.Key, v)
	}
	return nil
}

func noGETToEcho(path string) string {
	return "echo: no GET of " + path + " answered 200 since the last write to it"
}

// what names a step for its errors: `PUT /Users/{{user.id}} (bob)`.
func (r *Run) what(st *scenario.Step) string {
	what := st.Method + " " + st.Path
	if r.user != nil {
		what += " (" + r.user.Key + ")"
	} else if r.group != nil {
		what += " (" + r.group.Key + ")"
	}
	return what
}

// bind stores a captured value; users.<key>.id and groups.<key>.id re-bind the org's ids.
func (r *Run) bind(name string, v any) {
	parts := strings.Split(name, ".")
	if len(parts) == 3 && parts[2] == "id" {
		if s, ok := v.(string); ok {
			switch parts[0] {
			case "users":
				r.UserIDs[parts[1]] = s
				return
			case "groups":
				r.GroupIDs[parts[1]] = s
				return
			}
		}
	}
	r.Vars[name] = v
}

func statusOK(got int, want []int) bool {
	if len(want) == 0 {
		return got/100 == 2
	}
	for _, w := range want {
		if got == w {
			return true
		}
	}
	return false
}

func pathOnly(p string) string {
	if i := strings.IndexByte(p, '?'); i >= 0 {
		return p[:i]
	}
	return p
}

func short(b []byte) string { return textcut.Excerpt(b, 300) }

// IDOf reads the id of the resource an answer holds; an answer without one is a protocol
// error (RFC 7643 §3.1 requires it).
func IDOf(resp *harness.Response) (string, error) {
	var v struct {
		ID string `json:"id"`
	}
	if err := resp.JSON(&v); err != nil {
		return "", err
	}
	if v.ID == "" {
		return "", &harness.ProtocolError{Msg: fmt.Sprintf("answered %d without an id: %s", resp.Status, short(resp.Body))}
	}
	return v.ID, nil
}

// Short is an answer's body cut for a message.
func Short(b []byte) string { return short(b) }

func (p *Replayer) idpName() string {
	if p.IdP == nil {
		return ""
	}
	return p.IdP.Name()
}

// lookup resolves a template variable for the current step.
func (r *Run) lookup(ref []string) (any, error) {
	name := func() string { return strings.Join(ref, ".") } // only for an error
	switch ref[0] {
	case "run":
		return r.ID, nil
	case "user":
		if r.user == nil {
			return nil, &ScenarioError{Msg: "{{" + name() + "}} outside forEach: users"}
		}
		return r.userField(*r.user, ref[1])
	case "group":
		if r.group == nil {
			return nil, &ScenarioError{Msg: "{{" + name() + "}} outside forEach: groups"}
		}
		return r.groupField(*r.group, ref[1])
	case "users":
		u, ok := r.Scenario.Org.UserByKey(ref[1])
		if !ok || len(ref) != 3 {
			return nil, &ScenarioError{Msg: "{{" + name() + "}}: no such user"}
		}
		return r.userField(u, ref[2])
	case "groups":
		g, ok := r.Scenario.Org.GroupByKey(ref[1])
		if !ok || len(ref) != 3 {
			return nil, &ScenarioError{Msg: "{{" + name() + "}}: no such group"}
		}
		return r.groupField(g, ref[2])
	}
	v, ok := r.Vars[ref[0]]
	if !ok {
		return nil, &ScenarioError{Msg: "{{" + name() + "}} has no value (its capture did not run)"}
	}
	for _, k := range ref[1:] {
		m, ok := v.(map[string]any)
		if !ok {
			return nil, &ScenarioError{Msg: "{{" + name() + "}}: " + k + " is not inside an object"}
		}
		v = m[k]
	}
	return v, nil
}

func (r *Run) userField(u scenario.User, f string) (any, error) {
	switch f {
	case "key":
		return u.Key, nil
	case "id":
		id, ok := r.UserIDs[u.Key]
		if !ok {
			return nil, &ScenarioError{Msg: "user " + u.Key + " has no id on the target yet (was it provisioned?)"}
		}
		return id, nil
	case "userName":
		return u.UserName, nil
	case "email":
		return u.PrimaryEmail(), nil
	case "secondEmail":
		return u.SecondEmail, nil
	case "profile":
		return r.Scenario.Profile(u), nil
	}
	switch f {
	case "givenName":
		return u.GivenName, nil
	case "familyName":
		return u.FamilyName, nil
	case "externalId":
		return r.Scenario.ExternalID(u), nil
	case "displayName", "locale": // as the profile sends them, defaults included
		return r.Scenario.Profile(u)[f], nil
	}
	return nil, &ScenarioError{Msg: "a user has no field " + f}
}

// GroupMembers is a group's org members as the IdP's member list, [{value: <id>, display:
// <userName>}], by the ids the target assigned ({{group.members}}).
func (r *Run) GroupMembers(g scenario.Group) ([]any, error) {
	v, err := r.groupField(g, "members")
	if err != nil {
		return nil, err
	}
	return v.([]any), nil
}

func (r *Run) groupField(g scenario.Group, f string) (any, error) {
	switch f {
	case "key":
		return g.Key, nil
	case "displayName":
		return g.DisplayName, nil
	case "id":
		id, ok := r.GroupIDs[g.Key]
		if !ok {
			return nil, &ScenarioError{Msg: "group " + g.Key + " has no id on the target yet (was it provisioned?)"}
		}
		return id, nil
	case "members", "memberIds":
		out := make([]any, 0, len(g.Members))
		for _, k := range g.Members {
			u, _ := r.Scenario.Org.UserByKey(k)
			id, ok := r.UserIDs[k]
			if !ok {
				return nil, &ScenarioError{Msg: "member " + k + " of group " + g.Key + " has no id on the target yet"}
			}
			if f == "memberIds" {
				out = append(out, id)
			} else {
				out = append(out, map[string]any{"value": id, "display": u.UserName})
			}
		}
		return out, nil
	}
	return nil, &ScenarioError{Msg: "a group has no field " + f}
}

// echoBody is Okta's echo: the body the target answered on GET with the overlays laid on it in
// order, as jsonmerge.Merge does. The target's members that no overlay touches are sent back as the
// bytes it sent, in its order; the members an overlay names follow, sorted by key, and an object
// that overlays merge into is spliced the same way, so only what the overlays replace is encoded
// and nothing is decoded. (Decoding and re-encoding the whole body was most of the replay engine's
// own cost per profile push.) An object whose keys this cannot read plainly (an escape or non-ASCII
// byte in a key, a repeated key, very many members) is decoded instead. The overlays are never
// changed (a caller may share them), so merging copies only the objects it merges.
func echoBody(raw []byte, overlays []any) ([]byte, error) {
	maps := make([]map[string]any, 0, len(overlays))
	for _, o := range overlays {
		if om, isMap := o.(map[string]any); isMap {
			maps = append(maps, om)
		}
	}
	if len(maps) == len(overlays) { // an overlay that is not an object replaces the body
		out, ok, err := spliceObject(make([]byte, 0, len(raw)+256), raw, maps)
		if ok || err != nil {
			return out, err
		}
	}
	var doc any
	if err := json.Unmarshal(raw, &doc); err != nil || doc == nil {
		return nil, errNothingToEcho
	}
	for _, o := range overlays {
		doc = jsonmerge.Into(doc, o)
	}
	return marshalBody(doc)
}

// spliceObject appends to out the JSON object raw with the overlays laid on it (see echoBody).
// ok is false, with out to be dropped, when raw is not an object this can read plainly.
func spliceObject(out, raw []byte, overlays []map[string]any) (_ []byte, ok bool, _ error) {
	type member struct{ key, val []byte }
	var buf [32]member
	members := buf[:0]
	if !jsonscan.EachMember(raw, func(k, v []byte) { members = append(members, member{k, v}) }) || len(members) > 64 {
		return out, false, nil // (64: the repeated-key check below is quadratic)
	}
	for i := range members {
		for _, m := range members[:i] {
			if bytes.Equal(m.key, members[i].key) {
				return out, false, nil // a repeated key is left to the decoder
			}
		}
	}
	var small [16]string
	keys := small[:0] // the overlays' keys
	for _, om := range overlays {
		for k := range om {
			if !slices.Contains(keys, k) {
				keys = append(keys, k)
			}
		}
	}
	slices.Sort(keys) // json.Marshal's order for a map
	touched := func(k []byte) bool {
		for _, key := range keys {
			if string(k) == key {
				return true
			}
		}
		return false
	}
	start := len(out)
	out = append(out, '{')
	sep := func() {
		if len(out) > start+1 {
			out = append(out, ',')
		}
	}
	for _, m := range members {
		if !touched(m.key) {
			sep()
			out = append(out, '"')
			out = append(out, m.key...) // plain ASCII without escapes, as EachMember read it
			out = append(out, '"', ':')
			out = append(out, m.val...)
		}
	}
	for _, k := range keys {
		// Either the target's value with the object overlays still to merge into it, or the
		// value the overlays made (v, once one replaced the target's).
		var base []byte
		for _, m := range members {
			if string(m.key) == k {
				base = m.val
			}
		}
		var pending []map[string]any
		var v any
		present := base != nil
		for _, om := range overlays {
			ov, has := om[k]
			sub, isMap := ov.(map[string]any)
			switch {
			case !has:
			case ov == nil:
				base, pending, v, present = nil, nil, nil, false
			case isMap && base != nil:
				pending = append(pending, sub)
			default:
				base, pending, v, present = nil, nil, mergedView(v, ov), true
			}
		}
		if !present {
			continue
		}
		sep()
		out = jsonenc.AppendString(out, k)
		out = append(out, ':')
		if base != nil && len(pending) > 0 {
			mark := len(out)
			var err error
			if out, ok, err = spliceObject(out, base, pending); ok || err != nil {
				if err != nil {
					return nil, false, err
				}
				continue
			}
			out = out[:mark] // not an object to splice: decode it and merge
			if err := json.Unmarshal(base, &v); err != nil {
				return nil, false, errNothingToEcho
			}
			for _, p := range pending {
				v = mergedView(v, p)
			}
		}
		var err error
		if out, err = jsonenc.Append(out, v); err != nil {
			return nil, false, &ScenarioError{Msg: "body: " + err.Error()}
		}
	}
	return append(out, '}'), true, nil
}

// mergedView is jsonmerge.Merge(base, over) for a result that is only read (encoded): it changes
// neither argument and copies only the objects it merges, sharing everything else with them.
func mergedView(base, over any) any {
	om, ok := over.(map[string]any)
	bm, ok2 := base.(map[string]any)
	if !ok || !ok2 {
		return over
	}
	out := make(map[string]any, len(bm)+len(om))
	for k, v := range bm {
		out[k] = v
	}
	for k, v := range om {
		if v == nil {
			delete(out, k)
			continue
		}
		out[k] = mergedView(bm[k], v)
	}
	return out
}

// errNothingToEcho: the kept GET body does not decode to a JSON value to echo.
var errNothingToEcho = errors.New("nothing to echo")

func marshalBody(doc any) ([]byte, error) {
	b, err := jsonenc.Append(nil, doc)
	if err != nil {
		return nil, &ScenarioError{Msg: "body: " + err.Error()}
	}
	return b, nil
}

func isJSONNull(b []byte) bool { return string(bytes.TrimSpace(b)) == "null" }

// IsScenarioError reports whether err is a problem of the scenario rather than of the target.
func IsScenarioError(err error) bool {
	var se *ScenarioError
	return errors.As(err, &se)
}

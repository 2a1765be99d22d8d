// Package discover finds out how to gate a SCIM server nobody has described yet: where its SCIM
// API answers, whether it wants the bearer token, what its ServiceProviderConfig, Schemas and
// ResourceTypes say, and — by provisioning a small throwaway org the way Okta does — where it
// shows the account a SCIM user is linked to, whether `userName eq` lookups, PATCH and paging
// work, and whether group list pages carry members. It is what `scimreplay init` runs before it
// writes a target profile; everything it creates it removes before it returns.
package discover

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/scimreplay/scimreplay/fakes/okta"
	"github.com/scimreplay/scimreplay/harness"
	"github.com/scimreplay/scimreplay/harness/scenario"
)

// Options say where the server is and what the user already knows about it.
type Options struct {
	// Root is the server's scheme://host:port.
	Root string
	// BasePath is the base path the user gave ("" when none was): tried first, and the others
	// (CommonBasePaths) only when it does not answer as SCIM.
	BasePath string
	// Query is a raw query the server wants on every SCIM request (a base URL's query, such as
	// Entra's ?aadOptscim062020), "" for none.
	Query string
	Token string
	// RequestTimeout bounds each request (DefaultRequestTimeout when 0).
	RequestTimeout time.Duration
	// Link is a link probe the user named: checked, not searched for.
	Link harness.LinkProbe
	// Audit is an audit probe the user named: checked. Without one none is proposed.
	Audit harness.AuditProbe
	// VerifiedDomains, when known, put one throwaway user on a verified domain.
	VerifiedDomains []string
	// RunID makes the throwaway org's names unique (harness.NewRunID when empty).
	RunID    string
	Progress io.Writer // one line per finding; nil for none
}

// DefaultRequestTimeout bounds each request of a discovery: a server that takes longer to answer
// one request of a three-user org has a problem a gate would only report more slowly.
const DefaultRequestTimeout = 10 * time.Second

// CommonBasePaths are where SCIM servers usually put their API, tried in this order.
var CommonBasePaths = []string{"/scim/v2", "/scim", "/v2", "/api/scim/v2", "/scim/v2.0", "/api/scim", "/"}

// Error is a reason discovery could not be done, in one line: unreachable, no SCIM, a token
// refused.
type Error struct{ Msg string }

func (e *Error) Error() string { return e.Msg }

// Check is one thing discovery tried, and what it saw.
type Check struct {
	Name string // "paging", "userName eq lookup", "PATCH", "group list pages"
	OK   bool   // the harness can rely on it as it is
	Note string // in words
}

// Findings are what discovery found, each with the words a profile comment needs.
type Findings struct {
	BasePath string // where SCIM answers
	// BasePathNote says how it was found ("given", or which given path answered 404).
	BasePathNote string
	// TokenNote says whether the token is needed.
	TokenNote string
	// ServiceProviderConfig, Schemas and ResourceTypes say what the server's discovery
	// endpoints told (or that it has none).
	ServiceProviderConfig, Schemas, ResourceTypes string
	// UserExtensions are the User's schema extensions the server lists.
	UserExtensions []string

	// Link is the link probe to use (not enabled when none was found); LinkNote says why.
	Link     harness.LinkProbe
	LinkNote string
	// LinkCandidates are the other attributes that looked like a link.
	LinkCandidates []string
	// Audit is the audit probe the user named, when it answered; AuditNote says what was seen.
	Audit     harness.AuditProbe
	AuditNote string

	Checks []Check

	// Created, Removed and Left count the throwaway org's resources; Left names what could not
	// be removed ("user 42 (scimreplay-init-…)").
	Created, Removed int
	Left             []string
}

// Run discovers the server. An *Error means it could not (the reason in one line); Findings are
// returned with what was learned even then, so the caller can say what it removed.
func Run(ctx context.Context, o Options) (*Findings, error) {
	if o.RunID == "" {
		o.RunID = harness.NewRunID()
	}
	if o.RequestTimeout <= 0 {
		o.RequestTimeout = DefaultRequestTimeout
	}
	d := &discovery{o: o, f: &Findings{}}
	if err := d.basePath(ctx); err != nil {
		return d.f, err
	}
	d.token(ctx)
	d.discoveryEndpoints(ctx)
	err := d.withOrg(ctx)
	return d.f, err
}

type discovery struct {
	o Options
	f *Findings
	c *harness.Client
}

func (d *discovery) say(format string, args ...any) {
	if d.o.Progress != nil {
		fmt.Fprintf(d.o.Progress, format+"\n", args...)
	}
}

func (d *discovery) client(base, token string) *harness.Client {
	c := harness.NewClient(strings.TrimSuffix(d.o.Root, "/")+joinBase(base), token)
	c.RootURL = strings.TrimSuffix(d.o.Root, "/")
	c.Query = d.o.Query
	c.Timeout = d.o.RequestTimeout
	c.RetryBudget = 30 * time.Second
	return c
}

// joinBase is a base path as a URL suffix: "/" is the root, and no base ends in a slash.
func joinBase(base string) string {
	b := "/" + strings.Trim(base, "/")
	if b == "/" {
		return ""
	}
	return b
}

// answer is how one base path answered.
type answer struct {
	scim   bool   // answered as a SCIM server
	status int    // the status that decided (401 / 403 for a refused token)
	err    error  // transport error
	note   string // "ServiceProviderConfig answered 404, Users answered 404"
}

func (d *discovery) try(ctx context.Context, base string) answer {
	c := d.client(base, d.o.Token)
	var notes []string
	for _, path := range []string{"/ServiceProviderConfig", "/Users?startIndex=1&count=1"} {
		resp, err := c.Do(ctx, http.MethodGet, path, nil, nil)
		var te *harness.TransportError
		switch {
		case errors.As(err, &te):
			return answer{err: err}
		case resp != nil && (resp.Status == http.StatusUnauthorized || resp.Status == http.StatusForbidden):
			return answer{status: resp.Status, note: fmt.Sprintf("%s answered %d", strings.SplitN(path, "?", 2)[0][1:], resp.Status)}
		case err == nil && resp.Status/100 == 2 && looksSCIM(resp.Body, path):
			return answer{scim: true, status: resp.Status}
		case resp != nil:
			notes = append(notes, fmt.Sprintf("%s answered %d", strings.SplitN(path, "?", 2)[0][1:], resp.Status))
		default:
			notes = append(notes, err.Error())
		}
	}
	return answer{note: strings.Join(notes, ", ")}
}

// looksSCIM reports whether a 2xx body is what SCIM answers there: a ServiceProviderConfig, or
// a ListResponse.
func looksSCIM(body []byte, path string) bool {
	var m map[string]any
	if json.Unmarshal(body, &m) != nil {
		return false
	}
	if strings.HasPrefix(path, "/ServiceProviderConfig") {
		return hasSchema(m, "urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig") || m["patch"] != nil || m["filter"] != nil
	}
	_, resources := m["Resources"]
	_, total := m["totalResults"]
	return hasSchema(m, "urn:ietf:params:scim:api:messages:2.0:ListResponse") || resources || total
}

func hasSchema(m map[string]any, urn string) bool {
	list, _ := m["schemas"].([]any)
	for _, s := range list {
		if str, ok := s.(string); ok && strings.EqualFold(str, urn) {
			return true
		}
	}
	return false
}

// basePath finds where SCIM answers: the given path first, then the common ones.
func (d *discovery) basePath(ctx context.Context) error {
	var candidates []string
	if d.o.BasePath != "" {
		candidates = append(candidates, joinBase(d.o.BasePath))
	}
	for _, b := range CommonBasePaths {
		if !slices.Contains(candidates, joinBase(b)) {
			candidates = append(candidates, joinBase(b))
		}
	}
	var tried []string
	// A 401 or 403 is kept, not returned at once: a gateway in front of the server may answer
	// 403 for a path it does not route, so a later candidate can still be the SCIM API. When
	// none is, the first refusal is the likeliest reason.
	var refused *Error
	for _, base := range candidates {
		a := d.try(ctx, base)
		show := base
		if show == "" {
			show = "/"
		}
		switch {
		case a.err != nil:
			return &Error{Msg: fmt.Sprintf("cannot reach %s: %v", harness.RedactURL(d.o.Root), rootCause(a.err))}
		case a.status == http.StatusUnauthorized || a.status == http.StatusForbidden:
			tried = append(tried, fmt.Sprintf("%s: answered %d", show, a.status))
			if refused != nil {
				continue
			}
			if d.o.Token != "" {
				refused = &Error{Msg: fmt.Sprintf("%s%s answered %d with the token given: check --target-token (%s)", harness.RedactURL(d.o.Root), show, a.status, a.note)}
			} else {
				refused = &Error{Msg: fmt.Sprintf("%s%s answered %d without a token: give the server's bearer token with --target-token (or, for a container, pass scimreplay's own with --target-env NAME={{token}})", harness.RedactURL(d.o.Root), show, a.status)}
			}
		case a.scim:
			d.f.BasePath = show
			switch {
			case len(tried) == 0 && d.o.BasePath != "":
				d.f.BasePathNote = "the base path given answers as SCIM"
			case len(tried) == 0:
				d.f.BasePathNote = "found at the usual base path"
			default:
				d.f.BasePathNote = "found after " + strings.Join(tried, "; ")
			}
			d.c = d.client(base, d.o.Token)
			d.say("SCIM API at %s%s (%s)", harness.RedactURL(d.o.Root), show, d.f.BasePathNote)
			return nil
		default:
			tried = append(tried, show+": "+a.note)
		}
	}
	if refused != nil {
		return refused
	}
	return &Error{Msg: fmt.Sprintf("no SCIM API at %s: tried %s", harness.RedactURL(d.o.Root), strings.Join(tried, "; "))}
}

// rootCause is the innermost words of a transport error: "connection refused".
func rootCause(err error) string {
	var te *harness.TransportError
	if errors.As(err, &te) && te.Err != nil {
		return te.Err.Error()
	}
	return err.Error()
}

func (d *discovery) token(ctx context.Context) {
	if d.o.Token == "" {
		d.f.TokenNote = "no token given, and the server answered without one"
		d.say("token: %s", d.f.TokenNote)
		return
	}
	bare := d.client(d.f.BasePath, "")
	resp, err := bare.Do(ctx, http.MethodGet, "/Users?startIndex=1&count=1", nil, nil)
	switch {
	case resp != nil && (resp.Status == http.StatusUnauthorized || resp.Status == http.StatusForbidden):
		d.f.TokenNote = fmt.Sprintf("needed: without it GET /Users answered %d", resp.Status)
	case err == nil && resp.Status/100 == 2:
		d.f.TokenNote = "not needed: GET /Users answered " + strconv.Itoa(resp.Status) + " without it (a server reachable by others should refuse that)"
	case resp != nil:
		d.f.TokenNote = fmt.Sprintf("probably needed: without it GET /Users answered %d", resp.Status)
	default:
		d.f.TokenNote = "unknown: the request without it failed: " + rootCause(err)
	}
	d.say("token: %s", d.f.TokenNote)
}

// discoveryEndpoints reads /ServiceProviderConfig, /Schemas and /ResourceTypes, coping with a
// server that lacks them.
func (d *discovery) discoveryEndpoints(ctx context.Context) {
	var spc struct {
		Patch, Bulk, Sort, ETag, ChangePassword struct {
			Supported bool `json:"supported"`
		}
		Filter struct {
			Supported  bool `json:"supported"`
			MaxResults int  `json:"maxResults"`
		}
		AuthenticationSchemes []struct {
			Type string `json:"type"`
		} `json:"authenticationSchemes"`
	}
	if ok, note := d.read(ctx, "/ServiceProviderConfig", &spc); ok {
		yes := func(b bool) string {
			if b {
				return "yes"
			}
			return "no"
		}
		filter := yes(spc.Filter.Supported)
		if spc.Filter.MaxResults > 0 {
			filter += fmt.Sprintf(" (at most %d a page)", spc.Filter.MaxResults)
		}
		var auth []string
		for _, a := range spc.AuthenticationSchemes {
			auth = append(auth, a.Type)
		}
		d.f.ServiceProviderConfig = fmt.Sprintf("patch %s, filter %s, bulk %s, sort %s, etag %s", yes(spc.Patch.Supported), filter,
			yes(spc.Bulk.Supported), yes(spc.Sort.Supported), yes(spc.ETag.Supported))
		if len(auth) > 0 {
			d.f.ServiceProviderConfig += ", authentication " + strings.Join(auth, "/")
		}
	} else {
		d.f.ServiceProviderConfig = note
	}
	var schemas struct {
		Resources []struct {
			ID string `json:"id"`
		}
	}
	if ok, note := d.read(ctx, "/Schemas", &schemas); ok {
		var ids []string
		for _, s := range schemas.Resources {
			ids = append(ids, s.ID)
		}
		d.f.Schemas = fmt.Sprintf("%d: %s", len(ids), strings.Join(ids, ", "))
	} else {
		d.f.Schemas = note
	}
	var rts struct {
		Resources []struct {
			Name             string `json:"name"`
			Endpoint         string `json:"endpoint"`
			Schema           string `json:"schema"`
			SchemaExtensions []struct {
				Schema string `json:"schema"`
			} `json:"schemaExtensions"`
		}
	}
	if ok, note := d.read(ctx, "/ResourceTypes", &rts); ok {
		var names []string
		for _, rt := range rts.Resources {
			names = append(names, rt.Name+" at "+rt.Endpoint)
			if strings.EqualFold(rt.Schema, "urn:ietf:params:scim:schemas:core:2.0:User") {
				for _, e := range rt.SchemaExtensions {
					d.f.UserExtensions = append(d.f.UserExtensions, e.Schema)
				}
			}
		}
		d.f.ResourceTypes = strings.Join(names, ", ")
		if len(d.f.UserExtensions) > 0 {
			d.f.ResourceTypes += "; User extensions: " + strings.Join(d.f.UserExtensions, ", ")
		}
	} else {
		d.f.ResourceTypes = note
	}
	d.say("ServiceProviderConfig: %s", d.f.ServiceProviderConfig)
	d.say("Schemas: %s", d.f.Schemas)
	d.say("ResourceTypes: %s", d.f.ResourceTypes)
}

// read GETs a discovery endpoint into v; a server without it is no error, only a note.
func (d *discovery) read(ctx context.Context, path string, v any) (bool, string) {
	resp, err := d.c.Do(ctx, http.MethodGet, path, nil, nil)
	switch {
	case err != nil && resp == nil:
		return false, "not read: " + rootCause(err)
	case resp.Status/100 != 2:
		return false, fmt.Sprintf("none (GET %s answered %d)", path, resp.Status)
	case err != nil:
		return false, "not usable: " + err.Error()
	}
	if err := resp.JSON(v); err != nil {
		return false, "not usable: " + err.Error()
	}
	return true, ""
}

// The throwaway org: three users, two on a domain that is not verified (unmanaged, the users
// ACCESS-1003 unlinked), in one group.
func (d *discovery) org() *scenario.Scenario {
	managed := "init.scimreplay.example"
	if len(d.o.VerifiedDomains) > 0 {
		managed = strings.TrimSpace(d.o.VerifiedDomains[0])
	}
	name := func(n int, domain string) string {
		return fmt.Sprintf("scimreplay-init-%s-%d@%s", d.o.RunID, n, domain)
	}
	sc := &scenario.Scenario{
		Version: scenario.Version,
		Name:    "scimreplay-init",
		Source:  "scimreplay init: Okta's provisioning of a throwaway org (fakes/okta)",
		Org: scenario.Org{
			Users: []scenario.User{
				{Key: "one", UserName: name(1, managed), GivenName: "Init", FamilyName: "One", Active: true},
				{Key: "two", UserName: name(2, "partner.scimreplay.example"), GivenName: "Init", FamilyName: "Two", Active: true},
				{Key: "three", UserName: name(3, "partner.scimreplay.example"), GivenName: "Init", FamilyName: "Three", Active: true},
			},
			Groups: []scenario.Group{{Key: "group", DisplayName: "scimreplay-init-" + d.o.RunID, Members: []string{"one", "two"}}},
		},
		Provision: []scenario.Step{{Okta: "provision"}},
	}
	sc.Org.Reindex()
	return sc
}

// withOrg provisions the throwaway org, runs the checks that need it, and removes it, whatever
// happened (also after ctx is cancelled: the removal has its own short deadline).
func (d *discovery) withOrg(ctx context.Context) error {
	sc := d.org()
	run := okta.NewRun(sc, d.o.RunID)
	rp := &okta.Replayer{Client: d.c}
	defer d.removeOrg(ctx, sc, run)
	err := rp.Phase(ctx, run, "provision", sc.Provision)
	d.f.Created = len(run.UserIDs) + len(run.GroupIDs)
	if err != nil {
		return &Error{Msg: "provisioning a throwaway org the way Okta does failed: " + oneLine(err.Error())}
	}
	d.say("provisioned %d users and %d group the way Okta does", len(run.UserIDs), len(run.GroupIDs))
	ids := make([]string, 0, len(sc.Org.Users))
	for _, u := range sc.Org.Users {
		ids = append(ids, run.UserIDs[u.Key])
	}
	gid := run.GroupIDs["group"]
	d.checkLookup(ctx, sc.Org.Users[0].UserName, ids[0])
	d.checkPaging(ctx)
	d.checkPatch(ctx, gid, ids)
	d.checkListMembers(ctx, sc.Org.Groups[0].DisplayName, gid)
	if err := d.link(ctx, sc, ids); err != nil {
		return err
	}
	d.audit(ctx)
	return ctx.Err()
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

func (d *discovery) removeOrg(ctx context.Context, sc *scenario.Scenario, run *okta.Run) {
	if len(run.UserIDs)+len(run.GroupIDs) == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
	defer cancel()
	del := func(kind, id, name string) {
		resp, err := d.c.Do(ctx, http.MethodDelete, "/"+kind+"s/"+url.PathEscape(id), nil, nil)
		if err == nil && (resp.Status/100 == 2 || resp.Status == http.StatusNotFound) {
			d.f.Removed++
			return
		}
		why := ""
		if resp != nil {
			why = fmt.Sprintf("DELETE answered %d", resp.Status)
		} else {
			why = rootCause(err)
		}
		d.f.Left = append(d.f.Left, fmt.Sprintf("%s %s (%s): %s", strings.ToLower(kind), id, name, why))
	}
	for _, g := range sc.Org.Groups {
		if id, ok := run.GroupIDs[g.Key]; ok {
			del("Group", id, g.DisplayName)
		}
	}
	for _, u := range sc.Org.Users {
		if id, ok := run.UserIDs[u.Key]; ok {
			del("User", id, u.UserName)
		}
	}
}

func (d *discovery) check(name string, ok bool, format string, args ...any) {
	c := Check{Name: name, OK: ok, Note: fmt.Sprintf(format, args...)}
	d.f.Checks = append(d.f.Checks, c)
	mark := "ok"
	if !ok {
		mark = "warning"
	}
	d.say("%s: %s (%s)", name, c.Note, mark)
}

type listResponse struct {
	TotalResults int               `json:"totalResults"`
	ItemsPerPage int               `json:"itemsPerPage"`
	Resources    []json.RawMessage `json:"Resources"`
}

func (d *discovery) list(ctx context.Context, path string) (*listResponse, error) {
	resp, err := d.c.Do(ctx, http.MethodGet, path, nil, nil)
	if err != nil {
		return nil, err
	}
	if resp.Status != http.StatusOK {
		return nil, fmt.Errorf("GET %s answered %d", strings.SplitN(path, "?", 2)[0], resp.Status)
	}
	var l listResponse
	if err := resp.JSON(&l); err != nil {
		return nil, err
	}
	return &l, nil
}

func resourceIDs(raw []json.RawMessage) []string {
	var out []string
	for _, r := range raw {
		var v struct {
			ID string `json:"id"`
		}
		_ = json.Unmarshal(r, &v)
		out = append(out, v.ID)
	}
	return out
}

func (d *discovery) checkLookup(ctx context.Context, userName, id string) {
	const name = "userName eq lookup"
	l, err := d.list(ctx, "/Users?filter="+url.QueryEscape(`userName eq "`+userName+`"`)+"&startIndex=1&count=100")
	switch {
	case err != nil:
		d.check(name, false, "Okta's lookup failed: %s; Okta would create a second account on every re-assignment", oneLine(err.Error()))
	case len(l.Resources) == 1 && resourceIDs(l.Resources)[0] == id:
		d.check(name, true, "finds the user Okta created")
	default:
		d.check(name, false, "Okta's lookup of a user it created answered %d resources (ids %v), not that one user", len(l.Resources), resourceIDs(l.Resources))
	}
}

func (d *discovery) checkPaging(ctx context.Context) {
	const name = "paging"
	p1, err := d.list(ctx, "/Users?startIndex=1&count=1")
	if err != nil {
		d.check(name, false, "GET /Users?startIndex=1&count=1 failed: %s", oneLine(err.Error()))
		return
	}
	p2, err := d.list(ctx, "/Users?startIndex=2&count=1")
	switch {
	case err != nil:
		d.check(name, false, "GET /Users?startIndex=2&count=1 failed: %s", oneLine(err.Error()))
	case p1.TotalResults < 3:
		d.check(name, false, "totalResults is %d with at least 3 users on the server: the harness pages by it", p1.TotalResults)
	case len(p1.Resources) == 0 || len(p2.Resources) == 0:
		d.check(name, false, "an empty page (startIndex=1: %d resources, startIndex=2: %d) with totalResults %d: the harness would stop such a listing as ended early",
			len(p1.Resources), len(p2.Resources), p1.TotalResults)
	case len(p1.Resources) > 1:
		d.check(name, true, "count is not honoured (a page of %d for count=1); the harness follows totalResults", len(p1.Resources))
	case len(p1.Resources) == 1 && len(p2.Resources) == 1 && resourceIDs(p1.Resources)[0] == resourceIDs(p2.Resources)[0]:
		d.check(name, false, "startIndex=2 repeats the page of startIndex=1: listings cannot be paged")
	default:
		d.check(name, true, "startIndex and count honoured (totalResults %d)", p1.TotalResults)
	}
}

func (d *discovery) checkPatch(ctx context.Context, gid string, users []string) {
	const name = "PATCH"
	// Okta's membership add: the provision's rename+add already answered 2xx; what counts is
	// that it was applied, and that a further add lands too.
	body := fmt.Sprintf(`{"schemas":["%s"],"Operations":[{"op":"add","path":"members","value":[{"value":%q}]}]}`, okta.SchemaPatchOp, users[2])
	resp, err := d.c.Do(ctx, http.MethodPatch, "/Groups/"+url.PathEscape(gid), []byte(body), nil)
	if err != nil || resp.Status/100 != 2 {
		d.check(name, false, "Okta's membership PATCH was refused: %s", statusOrErr(resp, err))
		return
	}
	members, err := d.groupMembers(ctx, "/Groups/"+url.PathEscape(gid))
	switch {
	case err != nil:
		d.check(name, false, "the group could not be read back: %s", oneLine(err.Error()))
	case len(members) != 3:
		d.check(name, false, "after Okta's PATCHes the group has %d members, not the 3 added", len(members))
	default:
		d.check(name, true, "Okta's membership PATCHes are applied")
	}
}

func statusOrErr(resp *harness.Response, err error) string {
	if err != nil {
		return oneLine(err.Error())
	}
	return fmt.Sprintf("answered %d: %s", resp.Status, oneLine(string(resp.Body[:min(len(resp.Body), 200)])))
}

func (d *discovery) groupMembers(ctx context.Context, path string) ([]string, error) {
	resp, err := d.c.Do(ctx, http.MethodGet, path, nil, nil)
	if err != nil {
		return nil, err
	}
	if resp.Status != http.StatusOK {
		return nil, fmt.Errorf("GET %s answered %d", path, resp.Status)
	}
	var g struct {
		Members []struct {
			Value string `json:"value"`
		} `json:"members"`
	}
	if err := resp.JSON(&g); err != nil {
		return nil, err
	}
	var out []string
	for _, m := range g.Members {
		out = append(out, m.Value)
	}
	return out, nil
}

func (d *discovery) checkListMembers(ctx context.Context, displayName, gid string) {
	const name = "group list pages"
	l, err := d.list(ctx, "/Groups?filter="+url.QueryEscape(`displayName eq "`+displayName+`"`)+"&startIndex=1&count=100")
	if err != nil {
		d.check(name, false, "Okta's group lookup by displayName failed: %s", oneLine(err.Error()))
		return
	}
	if len(l.Resources) != 1 || resourceIDs(l.Resources)[0] != gid {
		d.check(name, false, "Okta's group lookup by displayName answered %d groups (ids %v), not the one created", len(l.Resources), resourceIDs(l.Resources))
		return
	}
	var g map[string]json.RawMessage
	_ = json.Unmarshal(l.Resources[0], &g)
	if _, ok := g["members"]; ok {
		d.check(name, true, "carry members")
	} else {
		d.check(name, true, "omit members; the harness reads each group by id for them")
	}
}

// link finds, or checks, where the server shows a user's linked account.
func (d *discovery) link(ctx context.Context, sc *scenario.Scenario, ids []string) error {
	if d.o.Link.Enabled() {
		d.f.Link = d.o.Link
		n, err := d.probeLinks(ctx, d.o.Link, ids)
		switch {
		case err != nil:
			d.f.LinkNote = "the link probe given could not be read: " + oneLine(err.Error())
		case n < len(ids):
			d.f.LinkNote = fmt.Sprintf("the link probe given shows a link for %d of the %d users created: check it (the gate will say what it cannot see)", n, len(ids))
		default:
			d.f.LinkNote = fmt.Sprintf("the link probe given shows a distinct link for each of the %d users created", len(ids))
		}
		d.say("link: %s", d.f.LinkNote)
		return nil
	}
	first := map[string]map[string]string{} // user id → attribute path → value
	for round := 0; round < 2; round++ {
		for i, id := range ids {
			resp, err := d.c.Do(ctx, http.MethodGet, "/Users/"+url.PathEscape(id), nil, nil)
			if err != nil || resp.Status != http.StatusOK {
				return &Error{Msg: fmt.Sprintf("a user Okta created cannot be read back by id: GET /Users/%s %s", id, statusOrErr(resp, err))}
			}
			var m map[string]any
			if err := resp.JSON(&m); err != nil {
				return &Error{Msg: "a user read back is not a SCIM resource: " + oneLine(err.Error())}
			}
			leaves := map[string]string{}
			flatten("", m, leaves)
			sent := map[string]bool{}
			walk(sc.Org.Users[i].Profile(), func(s string) { sent[strings.ToLower(s)] = true })
			for path, v := range leaves {
				if excluded(path) || sent[strings.ToLower(v)] || v == id || isTime(v) {
					delete(leaves, path)
				}
			}
			if round == 0 {
				first[id] = leaves
				continue
			}
			for path, v := range first[id] {
				if leaves[path] != v {
					delete(first[id], path) // moved on a re-read: not a link
				}
			}
		}
	}
	// A link is on every user, with a different value for each.
	var cands []string
	for path := range first[ids[0]] {
		seen := map[string]bool{}
		ok := true
		for _, id := range ids {
			v, has := first[id][path]
			if !has || v == "" || seen[v] {
				ok = false
				break
			}
			seen[v] = true
		}
		if ok {
			cands = append(cands, path)
		}
	}
	sort.Slice(cands, func(i, j int) bool {
		if a, b := rank(cands[i]), rank(cands[j]); a != b {
			return a < b
		}
		return cands[i] < cands[j]
	})
	for i, cand := range cands {
		probe := harness.LinkProbe{Attribute: cand}
		if n, err := d.probeLinks(ctx, probe, ids); err != nil || n < len(ids) {
			continue // the harness's own reading of it must see every link
		}
		d.f.Link = probe
		d.f.LinkCandidates = append(cands[:i:i], cands[i+1:]...)
		d.f.LinkNote = fmt.Sprintf("an attribute the client did not send, different for each of the %d users created and the same on a re-read", len(ids))
		d.say("link: %s (%s)", cand, d.f.LinkNote)
		if len(d.f.LinkCandidates) > 0 {
			d.say("link: other candidates: %s", strings.Join(d.f.LinkCandidates, ", "))
		}
		return nil
	}
	d.f.LinkNote = "no User attribute the client did not send differs per user and stays put across a re-read; if the server keeps links elsewhere, name them with --target-link-path and --target-link-pointer"
	d.say("link: not found: %s", d.f.LinkNote)
	return nil
}

// rank orders link candidates: extension attributes first (servers put their own data there),
// then names that say account or link.
func rank(path string) int {
	r := 2
	if strings.HasPrefix(strings.ToLower(path), "urn:") {
		r = 0
	}
	last := strings.ToLower(path[strings.LastIndexAny(path, ":.")+1:])
	if strings.Contains(last, "account") || strings.Contains(last, "link") {
		r--
	}
	return r
}

// excluded are attributes that are never the link: the resource's identity and bookkeeping, and
// everything the client sends.
func excluded(path string) bool {
	p := strings.ToLower(path)
	if p == "id" || p == "externalid" || p == "username" || p == "displayname" || p == "locale" || p == "active" ||
		p == "title" || p == "nickname" || p == "usertype" || p == "preferredlanguage" || p == "timezone" || p == "password" {
		return true
	}
	for _, prefix := range []string{"meta", "schemas", "name", "emails", "groups", "phonenumbers", "addresses", "roles", "entitlements"} {
		if p == prefix || strings.HasPrefix(p, prefix+".") {
			return true
		}
	}
	return false
}

// isTime says whether v is a date-time (RFC 7643's dateTime, or without its zone): a per-user
// value that stays put across two reads but moves on every write (an updatedAt), never a link,
// which the gate would then see change on each re-push.
func isTime(v string) bool {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999", "2006-01-02 15:04:05.999999999Z07:00", "2006-01-02 15:04:05.999999999"} {
		if _, err := time.Parse(layout, v); err == nil {
			return true
		}
	}
	return false
}

// flatten lists the scalar leaves of a SCIM resource by attribute path, as harness link probes
// name them: "nickName", "name.givenName", "urn:…:User:atlassianAccountId" (an extension
// schema's attributes after its URN and a colon). Multi-valued attributes are left out: a link
// is one value.
func flatten(prefix string, m map[string]any, out map[string]string) {
	for k, v := range m {
		path := k
		if prefix != "" {
			path = prefix + "." + k
		}
		switch x := v.(type) {
		case map[string]any:
			if prefix == "" && strings.HasPrefix(strings.ToLower(k), "urn:") {
				inner := map[string]string{}
				flatten("", x, inner)
				for ik, iv := range inner {
					out[k+":"+ik] = iv
				}
				continue
			}
			flatten(path, x, out)
		case string:
			out[path] = x
		case float64:
			out[path] = strconv.FormatFloat(x, 'f', -1, 64)
		}
	}
}

func walk(v any, fn func(string)) {
	switch x := v.(type) {
	case string:
		fn(x)
	case map[string]any:
		for _, e := range x {
			walk(e, fn)
		}
	case []any:
		for _, e := range x {
			walk(e, fn)
		}
	}
}

// probeLinks reads the throwaway users' links with the harness's own snapshot, so the probe is
// known to work as the gate will use it: how many users have a link, all distinct.
func (d *discovery) probeLinks(ctx context.Context, p harness.LinkProbe, ids []string) (int, error) {
	snap, err := harness.TakeSnapshot(ctx, d.c, harness.Scope{UserIDs: ids}, harness.Probes{Link: p})
	if err != nil {
		return 0, err
	}
	seen := map[string]bool{}
	for _, u := range snap.Users {
		if u.Link != "" && !seen[u.Link] {
			seen[u.Link] = true
		}
	}
	return len(seen), nil
}

// audit checks an audit probe the user named; none is proposed without one (an audit log's
// place and its unlink lines cannot be told from outside).
func (d *discovery) audit(ctx context.Context) {
	if !d.o.Audit.Enabled() {
		d.f.AuditNote = "none named: an audit log's place and unlink lines cannot be discovered"
		return
	}
	resp, err := d.c.DoRoot(ctx, http.MethodGet, d.o.Audit.Path, nil, nil)
	if err != nil || resp.Status/100 != 2 {
		d.f.AuditNote = "the audit probe given could not be read: " + statusOrErr(resp, err)
		d.say("audit: %s", d.f.AuditNote)
		return
	}
	d.f.Audit = d.o.Audit
	d.f.AuditNote = fmt.Sprintf("the audit path given answers %d", resp.Status)
	d.say("audit: %s", d.f.AuditNote)
}

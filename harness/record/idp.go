package record

import (
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/scimreplay/scimreplay/harness/scenario"
)

// Detection is which identity provider sent recorded traffic, and what told.
type Detection struct {
	IdP     string   // scenario.IdPOkta or scenario.IdPEntra
	Reasons []string // what told, in words, strongest first
	// Mixed is set when the traffic holds signs of both; IdP is then the one with more.
	Mixed bool
}

func (d Detection) String() string {
	return d.IdP + ", told by " + strings.Join(d.Reasons, "; ")
}

// What tells Okta's SCIM client from Microsoft Entra ID's provisioning service.
//
// The User-Agent, where a capture kept it: Okta's production client sends
// "Okta SCIM Client 1.0.0" and its Runscope test suites "OKTA SCIM Integration"
// (../shared/okta-traffic.md). No public source gives the Entra provisioning service's
// User-Agent, so one naming Azure, Entra or Microsoft is taken for Entra, and the request shapes
// decide where it says nothing.
//
// The shapes, from Microsoft Learn ("Tutorial: Develop and plan provisioning for a SCIM endpoint
// in Microsoft Entra ID"; "Known issues and resolutions with SCIM 2.0 protocol compliance of the
// Microsoft Entra user provisioning service") and Okta's SCIM 2.0 reference: only Entra sends
// PATCH ops in capitals ("Replace"), active as the string "True"/"False", excludedAttributes=
// members, the ADSCIM group schema, member values with "$ref": null, member removal by value
// list, PATCH /Users with a path or a pathless value with dotted keys (its aadOptscim062020
// dialect), and a lookup of a random GUID that matches nobody (its test connection). Only Okta
// sends a full PUT /Users carrying "groups", its pathless group rename {id, displayName}, a
// password in POST /Users, and lookups with startIndex=1&count=100.
const (
	schemaADSCIM = "http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group"
)

var (
	guidRE      = regexp.MustCompile(`(?i)\beq\s+"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"`)
	entraUARE   = regexp.MustCompile(`(?i)azure|entra|microsoft`)
	oktaUARE    = regexp.MustCompile(`(?i)\bokta\b`)
	oktaPassKey = "password"
)

// DetectIdP tells from recorded exchanges which identity provider sent them: Okta when nothing
// tells (the scenario format's default).
func DetectIdP(exs []Exchange) Detection {
	type tally struct {
		ua     map[string]bool            // User-Agents that name this IdP
		shapes map[string]map[string]bool // kind of shape → the details seen of it
	}
	okta := tally{map[string]bool{}, map[string]map[string]bool{}}
	entra := tally{map[string]bool{}, map[string]map[string]bool{}}
	note := func(t tally, ss []shape) {
		for _, s := range ss {
			if t.shapes[s.kind] == nil {
				t.shapes[s.kind] = map[string]bool{}
			}
			if s.detail != "" {
				t.shapes[s.kind][s.detail] = true
			}
		}
	}
	for _, ex := range exs {
		switch ua := strings.TrimSpace(ex.UserAgent); {
		case ua == "":
		case oktaUARE.MatchString(ua):
			okta.ua[ua] = true
		case entraUARE.MatchString(ua):
			entra.ua[ua] = true
		}
		note(entra, entraShapes(ex))
		note(okta, oktaShapes(ex))
	}
	reasons := func(t tally) []string {
		var out []string
		for _, ua := range sortedSet(t.ua) {
			out = append(out, fmt.Sprintf("User-Agent %q", ua))
		}
		kinds := make([]string, 0, len(t.shapes))
		for k := range t.shapes {
			kinds = append(kinds, k)
		}
		sort.Strings(kinds)
		for _, k := range kinds {
			if ds := sortedSet(t.shapes[k]); len(ds) > 0 {
				k += " (" + strings.Join(ds, ", ") + ")"
			}
			out = append(out, k)
		}
		return out
	}
	// A User-Agent outranks any shape; among shapes, the kinds of sign count.
	score := func(t tally) int { return 1000*len(t.ua) + len(t.shapes) }
	so, se := score(okta), score(entra)
	d := Detection{IdP: scenario.IdPOkta, Mixed: so > 0 && se > 0}
	switch {
	case se > so:
		d.IdP, d.Reasons = scenario.IdPEntra, reasons(entra)
	case so > 0:
		d.Reasons = reasons(okta)
	default:
		d.Reasons = []string{"nothing in the traffic (no User-Agent, no shape of either): okta, the scenario format's default"}
	}
	return d
}

// shape is a sign of one identity provider in a request: its kind, counted once however often
// it is seen, and a detail that shows it ("Replace").
type shape struct{ kind, detail string }

func sortedSet(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// resource is the first path segment, lower-cased: "users", "groups".
func resource(ex Exchange) (string, int) {
	segs := strings.Split(strings.Trim(ex.Path, "/"), "/")
	return strings.ToLower(segs[0]), len(segs)
}

func entraShapes(ex Exchange) []shape {
	var out []shape
	res, n := resource(ex)
	for _, kv := range ex.Query {
		if strings.EqualFold(kv.Key, "excludedAttributes") && strings.Contains(strings.ToLower(kv.Value), "members") {
			out = append(out, shape{"excludedAttributes=members", ""})
		}
		if strings.EqualFold(kv.Key, "filter") && guidRE.MatchString(kv.Value) && noMatch(ex) {
			out = append(out, shape{"a lookup of a random GUID that matches nobody (Entra's test connection)", ""})
		}
	}
	doc, _ := decodeJSON(ex.ReqBody)
	body, _ := doc.(map[string]any)
	if ex.Method == http.MethodPost && res == "groups" {
		for _, s := range asList(body["schemas"]) {
			if str, _ := s.(string); strings.EqualFold(str, schemaADSCIM) {
				out = append(out, shape{"the ADSCIM group schema in POST /Groups", ""})
			}
		}
	}
	if refNull(body["members"]) {
		out = append(out, shape{`members given as {"$ref": null, "value": …}`, ""})
	}
	if ex.Method != http.MethodPatch {
		return out
	}
	for _, o := range asList(body["Operations"]) {
		op, _ := o.(map[string]any)
		name, _ := op["op"].(string)
		path, _ := op["path"].(string)
		if name != strings.ToLower(name) {
			out = append(out, shape{"PATCH ops in capitals", strconv.Quote(name)})
		}
		if s, ok := op["value"].(string); ok && strings.EqualFold(path, "active") && (s == "True" || s == "False") {
			out = append(out, shape{"active sent as a string", strconv.Quote(s)})
		}
		if strings.EqualFold(path, "members") {
			if refNull(op["value"]) {
				out = append(out, shape{`members given as {"$ref": null, "value": …}`, ""})
			}
			if strings.EqualFold(name, "remove") && op["value"] != nil {
				out = append(out, shape{"member removal by value list", ""})
			}
		}
		if res == "users" && n == 2 && path != "" {
			out = append(out, shape{"PATCH /Users with a path (Okta's are pathless)", ""})
		}
		if m, ok := op["value"].(map[string]any); ok && path == "" {
			for k := range m {
				if strings.Contains(k, ".") && !strings.HasPrefix(strings.ToLower(k), "urn:") {
					out = append(out, shape{"a pathless PATCH value with dotted keys (Entra's aadOptscim062020 dialect)", ""})
					break
				}
			}
		}
	}
	return out
}

func oktaShapes(ex Exchange) []shape {
	var out []shape
	res, n := resource(ex)
	doc, _ := decodeJSON(ex.ReqBody)
	body, _ := doc.(map[string]any)
	switch {
	case ex.Method == http.MethodGet && n == 1 && hasFilter(ex.Query):
		start, count := false, false
		for _, kv := range ex.Query {
			start = start || strings.EqualFold(kv.Key, "startIndex")
			count = count || strings.EqualFold(kv.Key, "count") && kv.Value == "100"
		}
		if start && count {
			out = append(out, shape{"lookups with startIndex and count=100", ""})
		}
	case ex.Method == http.MethodPut && res == "users":
		if _, ok := body["groups"]; ok {
			out = append(out, shape{`a full PUT /Users carrying "groups"`, ""})
		}
	case ex.Method == http.MethodPost && res == "users":
		if _, ok := body[oktaPassKey]; ok {
			out = append(out, shape{"a password in POST /Users", ""})
		}
	case ex.Method == http.MethodPatch && res == "groups":
		for _, o := range asList(body["Operations"]) {
			op, _ := o.(map[string]any)
			v, _ := op["value"].(map[string]any)
			_, id := v["id"]
			_, dn := v["displayName"]
			if p, _ := op["path"].(string); p == "" && id && dn {
				out = append(out, shape{"the pathless group rename {id, displayName}", ""})
			}
		}
	}
	return out
}

// noMatch reports whether the recorded answer to a lookup matched nobody.
func noMatch(ex Exchange) bool {
	if ex.Status == http.StatusNotFound {
		return true
	}
	var page struct {
		TotalResults *json.Number `json:"totalResults"`
	}
	if json.Unmarshal(ex.RespBody, &page) != nil || page.TotalResults == nil {
		return false
	}
	return page.TotalResults.String() == "0"
}

// refNull reports whether a member list holds an element with "$ref": null.
func refNull(v any) bool {
	for _, e := range asList(v) {
		m, _ := e.(map[string]any)
		if r, ok := m["$ref"]; ok && r == nil {
			return true
		}
	}
	return false
}

func asList(v any) []any {
	l, _ := v.([]any)
	return l
}

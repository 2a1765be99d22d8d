package record

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"sort"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/scimreplay/scimreplay/harness/scenario"
)

// Options describe the scenario Build writes.
type Options struct {
	Name   string // scenario name (lower-case, digits, dashes)
	Title  string
	Source string // where the traffic comes from; required by the format
	// IdP is the scenario's idp: scenario.IdPOkta or scenario.IdPEntra; empty, DetectIdP tells
	// from the exchanges, and a comment line says what told.
	IdP    string
	Labels []string
	// Comment lines go at the top of the file, each prefixed with "# ".
	Comment []string
}

// Build turns recorded exchanges into a scenario file with rebind: auto: each exchange is a
// step sending the recorded request verbatim (after redaction), with the recorded status and the
// identifying part of the recorded response, so the replay re-binds the recorded ids to the
// ones the live target assigns. Phases come from the exchanges' Phase; where none is set, Split
// decides. The returned warnings name what was left out. The output is checked by the
// scenario loader before it is returned.
func Build(exs []Exchange, o Options) ([]byte, []string, error) {
	if !scenario.ValidName(o.Name) {
		return nil, nil, fmt.Errorf("scenario name %q must be lower-case letters, digits and dashes", o.Name)
	}
	if strings.TrimSpace(o.Source) == "" {
		return nil, nil, errors.New("a scenario needs a source: say where the traffic comes from")
	}
	var warnings []string
	kept := make([]Exchange, 0, len(exs))
	for _, ex := range exs {
		switch ex.Method {
		case http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete:
			kept = append(kept, ex)
		default:
			warnings = append(warnings, fmt.Sprintf("left out %s %s: not a SCIM method", ex.Method, ex.Path))
		}
	}
	if o.IdP == "" {
		d := DetectIdP(kept)
		o.IdP = d.IdP
		o.Comment = append(o.Comment, "idp: "+d.String()+".")
	}
	if !slices.Contains(scenario.IdPs, o.IdP) {
		return nil, nil, fmt.Errorf("idp %q: want %s", o.IdP, strings.Join(scenario.IdPs, " or "))
	}
	phases := Split(kept)
	byPhase := map[Phase][]any{}
	responses := false
	for i, ex := range kept {
		st, hasResp, w := step(ex)
		warnings = append(warnings, w...)
		responses = responses || hasResp
		byPhase[phases[i]] = append(byPhase[phases[i]], st)
	}
	if len(byPhase[PhaseForceSync]) == 0 {
		return nil, warnings, errors.New("no force sync traffic: mark where it starts (a HAR page titled forceSync, or POST /.scimreplay/phase/forceSync to the recording proxy)")
	}

	doc := &yaml.Node{Kind: yaml.MappingNode}
	add := func(k string, v *yaml.Node) {
		doc.Content = append(doc.Content, &yaml.Node{Kind: yaml.ScalarNode, Value: k}, v)
	}
	str := func(s string) *yaml.Node { n := &yaml.Node{}; n.SetString(s); return n }
	add("version", &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!int", Value: fmt.Sprint(scenario.Version)})
	add("name", str(o.Name))
	if o.Title != "" {
		add("title", str(o.Title))
	}
	add("source", str(o.Source))
	add("idp", str(o.IdP))
	if len(o.Labels) > 0 {
		l := &yaml.Node{Kind: yaml.SequenceNode, Style: yaml.FlowStyle}
		for _, s := range o.Labels {
			l.Content = append(l.Content, str(s))
		}
		add("labels", l)
	}
	if responses {
		add("rebind", str(scenario.RebindAuto))
	} else {
		warnings = append(warnings, "no response carries an id: the scenario replays without re-binding")
	}
	for _, ph := range []Phase{PhaseProvision, PhaseForceSync, PhaseVerify} {
		steps := byPhase[ph]
		if len(steps) == 0 {
			continue
		}
		n := &yaml.Node{}
		if err := n.Encode(steps); err != nil {
			return nil, warnings, fmt.Errorf("encode %s: %w", ph, err)
		}
		compact(n)
		add(string(ph), n)
	}

	var buf bytes.Buffer
	for _, c := range o.Comment {
		buf.WriteString("# " + strings.ReplaceAll(c, "\n", " ") + "\n")
	}
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(doc); err != nil {
		return nil, warnings, fmt.Errorf("encode scenario: %w", err)
	}
	if err := enc.Close(); err != nil {
		return nil, warnings, fmt.Errorf("encode scenario: %w", err)
	}
	out := buf.Bytes()
	if _, err := scenario.Parse(o.Name+".yaml", out); err != nil {
		return nil, warnings, fmt.Errorf("the recorded scenario does not load (a bug in scimreplay): %w", err)
	}
	return out, warnings, nil
}

// stepOut is one recorded exchange as a scenario step; fields in the order a reader wants.
type stepOut struct {
	Method   string     `yaml:"method"`
	Path     string     `yaml:"path"`
	Query    *yaml.Node `yaml:"query,omitempty"`
	Headers  *yaml.Node `yaml:"headers,omitempty"`
	Body     any        `yaml:"body,omitempty"`
	Verbatim bool       `yaml:"verbatim,omitempty"`
	Expect   []int      `yaml:"expect,omitempty,flow"`
	Response *respOut   `yaml:"response,omitempty"`
}

type respOut struct {
	Status int `yaml:"status"`
	Body   any `yaml:"body,omitempty"`
}

func step(ex Exchange) (stepOut, bool, []string) {
	var warnings []string
	path := ex.Path
	if !strings.HasPrefix(path, "/") {
		path = "/" + path
	}
	st := stepOut{Method: ex.Method, Path: path}
	braces := hasBraces(path)
	if len(ex.Query) > 0 {
		q := &yaml.Node{Kind: yaml.MappingNode}
		for _, kv := range ex.Query {
			k, v := &yaml.Node{}, &yaml.Node{}
			k.SetString(kv.Key)
			v.SetString(kv.Value)
			q.Content = append(q.Content, k, v)
			braces = braces || hasBraces(kv.Value) || hasBraces(kv.Key)
		}
		st.Query = q
	}
	if len(ex.Header) > 0 {
		h := &yaml.Node{Kind: yaml.MappingNode}
		keys := make([]string, 0, len(ex.Header))
		for k := range ex.Header {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			for _, v := range ex.Header[k] {
				kn, vn := &yaml.Node{}, &yaml.Node{}
				kn.SetString(k)
				vn.SetString(v)
				h.Content = append(h.Content, kn, vn)
				braces = braces || hasBraces(v)
			}
		}
		st.Headers = h
	}
	if len(ex.ReqBody) > 0 {
		if doc, ok := decodeJSON(ex.ReqBody); ok {
			st.Body = plain(doc)
			braces = braces || anyBraces(st.Body)
		} else {
			warnings = append(warnings, fmt.Sprintf("%s %s: the request body is not JSON and was left out", ex.Method, path))
		}
	}
	st.Verbatim = braces
	lookup := ex.Method == http.MethodGet && hasFilter(ex.Query)
	switch {
	case ex.Status/100 == 2:
	case lookup && ex.Status == http.StatusNotFound:
		st.Expect = []int{200, 404} // Okta takes either for "no match"
	case ex.Status >= 100 && ex.Status <= 599:
		st.Expect = []int{ex.Status}
	}
	hasResp := false
	if ex.Status >= 100 && ex.Status <= 599 {
		st.Response = &respOut{Status: ex.Status}
		if doc, ok := decodeJSON(ex.RespBody); ok {
			st.Response.Body = plain(doc)
			hasResp = true
		}
	}
	return st, hasResp, warnings
}

func hasFilter(q []scenario.KV) bool {
	for _, kv := range q {
		if strings.EqualFold(kv.Key, "filter") {
			return true
		}
	}
	return false
}

func hasBraces(s string) bool { return strings.Contains(s, "{{") || strings.Contains(s, "}}") }

func anyBraces(v any) bool {
	switch x := v.(type) {
	case string:
		return hasBraces(x)
	case map[string]any:
		for k, e := range x {
			if hasBraces(k) || anyBraces(e) {
				return true
			}
		}
	case []any:
		for _, e := range x {
			if anyBraces(e) {
				return true
			}
		}
	}
	return false
}

// plain turns json.Number into int64 or float64, so YAML writes numbers as numbers.
func plain(v any) any {
	switch x := v.(type) {
	case json.Number:
		if i, err := x.Int64(); err == nil {
			return i
		}
		if f, err := x.Float64(); err == nil {
			return f
		}
		return x.String()
	case map[string]any:
		for k, e := range x {
			x[k] = plain(e)
		}
	case []any:
		for i, e := range x {
			x[i] = plain(e)
		}
	}
	return v
}

// compact writes small containers of scalars in flow style ({value: x, display: y}) so a
// recording stays short enough to review.
func compact(n *yaml.Node) int {
	switch n.Kind {
	case yaml.ScalarNode:
		return len(n.Value) + 2
	case yaml.MappingNode, yaml.SequenceNode:
		total, scalars := 2, true
		for _, c := range n.Content {
			total += compact(c) + 2
			if c.Kind != yaml.ScalarNode {
				scalars = false
			}
		}
		if scalars && total <= 100 && len(n.Content) > 0 {
			n.Style = yaml.FlowStyle
		}
		if !scalars || total > 100 {
			return 1000
		}
		return total
	case yaml.DocumentNode:
		for _, c := range n.Content {
			compact(c)
		}
	}
	return 1000
}

// Split gives each exchange its phase. Explicit phases (a HAR page, a proxy marker) are kept and
// carry on to the exchanges after them; exchanges before the first marker are provisioning.
// With no marker at all, provisioning is the longest prefix of provisioning shapes, Okta's and
// Entra's alike: lookups (GET with a filter; Entra's test connection among them), discovery
// (ServiceProviderConfig, Schemas, ResourceTypes), POST /Users and /Groups, and PATCH of a group
// created in that prefix (its first membership push). Everything after is the force sync.
func Split(exs []Exchange) []Phase {
	out := make([]Phase, len(exs))
	marked := false
	for _, ex := range exs {
		if ex.Phase != PhaseAuto {
			marked = true
			break
		}
	}
	if marked {
		cur := PhaseProvision
		for i, ex := range exs {
			if ex.Phase != PhaseAuto {
				cur = ex.Phase
			}
			out[i] = cur
		}
		return out
	}
	created := map[string]bool{}
	i := 0
	for ; i < len(exs); i++ {
		if !provisioning(exs[i], created) {
			break
		}
		out[i] = PhaseProvision
		if exs[i].Method == http.MethodPost && exs[i].Status/100 == 2 {
			if doc, ok := decodeJSON(exs[i].RespBody); ok {
				if m, ok := doc.(map[string]any); ok {
					if id, ok := m["id"].(string); ok {
						created[id] = true
					}
				}
			}
		}
	}
	for ; i < len(exs); i++ {
		out[i] = PhaseForceSync
	}
	return out
}

func provisioning(ex Exchange, created map[string]bool) bool {
	segs := strings.Split(strings.Trim(ex.Path, "/"), "/")
	res := strings.ToLower(segs[0])
	switch ex.Method {
	case http.MethodGet:
		if res == "serviceproviderconfig" || res == "schemas" || res == "resourcetypes" {
			return true
		}
		return len(segs) == 1 && hasFilter(ex.Query)
	case http.MethodPost:
		return len(segs) == 1 && (res == "users" || res == "groups")
	case http.MethodPatch:
		return len(segs) == 2 && res == "groups" && created[segs[1]]
	}
	return false
}

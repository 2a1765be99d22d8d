package scenario

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// LoadFile reads and checks one scenario file.
func LoadFile(file string) (*Scenario, error) {
	b, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("read scenario: %w", err)
	}
	return Parse(file, b)
}

// LoadFS reads every *.yaml scenario in dir of fsys, sorted by file name. All errors of all files
// are reported together; scenario names must be unique.
func LoadFS(fsys fs.FS, dir string) ([]*Scenario, error) {
	entries, err := fs.ReadDir(fsys, dir)
	if err != nil {
		return nil, fmt.Errorf("read scenarios: %w", err)
	}
	var out []*Scenario
	var errs []error
	seen := map[string]string{}
	for _, e := range entries {
		if e.IsDir() || !(strings.HasSuffix(e.Name(), ".yaml") || strings.HasSuffix(e.Name(), ".yml")) {
			continue
		}
		name := path.Join(dir, e.Name())
		b, err := fs.ReadFile(fsys, name)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		sc, err := Parse(name, b)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if prev, ok := seen[sc.Name]; ok {
			errs = append(errs, fmt.Errorf("%s: scenario name %q is already used by %s", name, sc.Name, prev))
			continue
		}
		seen[sc.Name] = name
		out = append(out, sc)
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return out, nil
}

// Parse checks a scenario document. Every problem is reported as file:line:column; it never
// panics, whatever the input.
func Parse(file string, data []byte) (sc *Scenario, err error) {
	defer func() {
		if r := recover(); r != nil {
			sc, err = nil, &Error{Pos: Pos{File: file}, Msg: fmt.Sprintf("cannot read scenario: %v", r)}
		}
	}()
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, yamlError(file, err)
	}
	p := &parser{file: file}
	if doc.Kind == 0 || len(doc.Content) == 0 {
		return nil, &Error{Pos: Pos{File: file, Line: 1, Col: 1}, Msg: "empty scenario file"}
	}
	sc = p.scenario(doc.Content[0])
	if len(p.errs) > 0 {
		return nil, errors.Join(p.errs...)
	}
	return sc, nil
}

var yamlLineRE = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

func yamlError(file string, err error) error {
	msg := err.Error()
	if m := yamlLineRE.FindStringSubmatch(msg); m != nil {
		line, _ := strconv.Atoi(m[1])
		return &Error{Pos: Pos{File: file, Line: line, Col: 1}, Msg: "invalid YAML: " + m[2]}
	}
	return &Error{Pos: Pos{File: file, Line: 1, Col: 1}, Msg: "invalid YAML: " + strings.TrimPrefix(msg, "yaml: ")}
}

type parser struct {
	file string
	idp  string // the scenario's identity provider, known before its org and steps are read
	errs []error
	vars map[string]bool // captured variable names seen so far
	orgv Org
	// responses is set once a step records a response body (rebind: auto needs one).
	responses bool
}

func (p *parser) pos(n *yaml.Node) Pos { return Pos{File: p.file, Line: n.Line, Col: n.Column} }

func (p *parser) errf(n *yaml.Node, format string, args ...any) {
	p.errs = append(p.errs, &Error{Pos: p.pos(n), Msg: fmt.Sprintf(format, args...)})
}

// fields walks a mapping node, checking keys against the allowed ones (reporting unknown and
// repeated keys) and handing each value to fn.
func (p *parser) fields(n *yaml.Node, what string, allowed []string, fn func(key string, v *yaml.Node)) {
	if n.Kind != yaml.MappingNode {
		p.errf(n, "%s must be a mapping, not %s", what, kindName(n))
		return
	}
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if !contains(allowed, k.Value) {
			p.errf(k, "unknown key %q in %s (allowed: %s)", k.Value, what, strings.Join(allowed, ", "))
			continue
		}
		if seen[k.Value] {
			p.errf(k, "key %q given twice in %s", k.Value, what)
			continue
		}
		seen[k.Value] = true
		fn(k.Value, v)
	}
}

func contains(xs []string, x string) bool {
	for _, y := range xs {
		if x == y {
			return true
		}
	}
	return false
}

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		if n.Tag == "!!null" {
			return "null"
		}
		return fmt.Sprintf("the scalar %q", n.Value)
	case yaml.AliasNode:
		return "an alias"
	}
	return "nothing"
}

func (p *parser) str(n *yaml.Node, what string) string {
	if n.Kind != yaml.ScalarNode || n.Tag == "!!null" {
		p.errf(n, "%s must be a string, not %s", what, kindName(n))
		return ""
	}
	return n.Value
}

func (p *parser) boolean(n *yaml.Node, what string) bool {
	var b bool
	if n.Kind != yaml.ScalarNode || n.Tag != "!!bool" || n.Decode(&b) != nil {
		p.errf(n, "%s must be true or false, not %s", what, kindName(n))
	}
	return b
}

func (p *parser) integer(n *yaml.Node, what string) int {
	var i int
	if n.Kind != yaml.ScalarNode || n.Tag != "!!int" || n.Decode(&i) != nil {
		p.errf(n, "%s must be an integer, not %s", what, kindName(n))
	}
	return i
}

func (p *parser) strings(n *yaml.Node, what string) []string {
	if n.Kind == yaml.ScalarNode && n.Tag != "!!null" {
		return []string{n.Value}
	}
	if n.Kind != yaml.SequenceNode {
		p.errf(n, "%s must be a list of strings, not %s", what, kindName(n))
		return nil
	}
	out := make([]string, 0, len(n.Content))
	for _, c := range n.Content {
		out = append(out, p.str(c, what+" entry"))
	}
	return out
}

func (p *parser) kvs(n *yaml.Node, what string) []KV {
	if n.Kind != yaml.MappingNode {
		p.errf(n, "%s must be a mapping, not %s", what, kindName(n))
		return nil
	}
	var out []KV
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		out = append(out, KV{Key: p.str(k, what+" key"), Value: p.scalarText(v, what+" value")})
	}
	return out
}

func (p *parser) scalarText(n *yaml.Node, what string) string {
	if n.Kind != yaml.ScalarNode {
		p.errf(n, "%s must be a scalar, not %s", what, kindName(n))
		return ""
	}
	return n.Value
}

var nameRE = regexp.MustCompile(`^[a-z0-9][a-z0-9-]*$`)
var keyRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]*$`)

func (p *parser) scenario(n *yaml.Node) *Scenario {
	sc := &Scenario{File: p.file, Repeat: 1, IdP: IdPOkta}
	p.vars = map[string]bool{}
	var provision, forceSync, verify, orgNode *yaml.Node
	seenVersion := false
	var idpNode, entraNode *yaml.Node
	p.fields(n, "the scenario", []string{"version", "name", "title", "description", "source", "idp", "labels", "repeat", "rebind", "entra", "org", "provision", "forceSync", "verify"}, func(k string, v *yaml.Node) {
		switch k {
		case "version":
			seenVersion = true
			sc.Version = p.integer(v, "version")
			if sc.Version != Version && sc.Version != 0 {
				p.errf(v, "unsupported scenario version %d (this scimreplay reads version %d)", sc.Version, Version)
			}
		case "name":
			sc.Name = p.str(v, "name")
			if sc.Name != "" && !nameRE.MatchString(sc.Name) {
				p.errf(v, "name %q must be lower-case letters, digits and dashes", sc.Name)
			}
		case "title":
			sc.Title = p.str(v, "title")
		case "description":
			sc.Description = p.str(v, "description")
		case "source":
			sc.Source = p.str(v, "source")
		case "idp":
			idpNode = v
			sc.IdP = p.str(v, "idp")
			if !contains(IdPs, sc.IdP) {
				p.errf(v, "idp must be %s, not %q", strings.Join(IdPs, " or "), sc.IdP)
				sc.IdP = IdPOkta
			}
		case "labels":
			sc.Labels = p.strings(v, "labels")
			p.checkLabels(v, sc.Labels)
		case "rebind":
			switch mode := p.str(v, "rebind"); mode {
			case "auto", "off":
				if mode == "auto" {
					sc.Rebind = RebindAuto
				}
			case "":
			default:
				p.errf(v, "rebind must be auto or off, not %q", mode)
			}
		case "repeat":
			sc.Repeat = p.integer(v, "repeat")
			if sc.Repeat < 1 || sc.Repeat > 100 {
				p.errf(v, "repeat must be between 1 and 100")
			}
		case "entra":
			entraNode = v
			sc.Entra = p.entraSettings(v)
		case "org":
			orgNode = v
		case "provision":
			provision = v
		case "forceSync":
			forceSync = v
		case "verify":
			verify = v
		}
	})
	if n.Kind != yaml.MappingNode {
		return sc
	}
	if sc.IdP == "" {
		sc.IdP = IdPOkta
	}
	p.idp = sc.IdP
	if entraNode != nil && sc.IdP != IdPEntra {
		at := entraNode
		if idpNode != nil {
			at = idpNode
		}
		p.errf(at, "entra: settings belong to an Entra scenario (idp: entra)")
	}
	if orgNode != nil {
		sc.Org = p.org(orgNode)
	}
	if !seenVersion {
		p.errf(n, "missing key \"version\" (this scimreplay reads version %d)", Version)
	}
	if sc.Name == "" {
		p.errf(n, "missing key \"name\"")
	}
	if strings.TrimSpace(sc.Source) == "" {
		p.errf(n, "missing key \"source\": every recording says where its shapes come from")
	}
	// Phases are read in replay order, so a capture is known before it is used.
	sc.Org.Reindex()
	p.orgv = sc.Org
	if provision != nil {
		sc.Provision = p.steps(provision, "provision", scope{})
	}
	if forceSync == nil {
		p.errf(n, "missing key \"forceSync\": the traffic under test")
	} else {
		sc.ForceSync = p.steps(forceSync, "forceSync", scope{})
		if len(sc.ForceSync) == 0 && forceSync.Kind == yaml.SequenceNode {
			p.errf(forceSync, "forceSync has no steps")
		}
	}
	if verify != nil {
		sc.Verify = p.steps(verify, "verify", scope{})
	}
	if sc.Rebind == RebindAuto && !p.responses {
		p.errf(n, "rebind: auto needs recorded responses (a response: with a body on the steps that create or list resources)")
	}
	return sc
}

// notEntra reports what an Entra scenario may not say.
func (p *parser) notEntra(n *yaml.Node, msg string) {
	if p.idp == IdPEntra {
		p.errf(n, "%s", msg)
	}
}

func (p *parser) entraSettings(n *yaml.Node) EntraSettings {
	var es EntraSettings
	p.fields(n, "entra", []string{"dialect", "matching"}, func(k string, v *yaml.Node) {
		switch k {
		case "dialect":
			es.Dialect = p.str(v, "entra.dialect")
			if es.Dialect != "" && !contains(EntraDialects, es.Dialect) {
				p.errf(v, "entra.dialect must be %s, not %q", strings.Join(EntraDialects, " or "), es.Dialect)
			}
		case "matching":
			es.Matching = p.str(v, "entra.matching")
			if es.Matching != "" && es.Matching != EntraMatchUserName && es.Matching != EntraMatchExternalID {
				p.errf(v, "entra.matching must be %s or %s, not %q", EntraMatchUserName, EntraMatchExternalID, es.Matching)
			}
		}
	})
	return es
}

// checkLabels keeps labels to the known set (custom ones start with x-), so --label-filter
// expressions can be trusted.
func (p *parser) checkLabels(n *yaml.Node, labels []string) {
	for i, l := range labels {
		at := n
		if n.Kind == yaml.SequenceNode && i < len(n.Content) {
			at = n.Content[i]
		}
		if _, ok := Labels[l]; ok {
			continue
		}
		if strings.HasPrefix(l, "x-") && customLabelRE.MatchString(l) {
			continue
		}
		known := make([]string, 0, len(Labels))
		for k := range Labels {
			known = append(known, k)
		}
		sort.Strings(known)
		p.errf(at, "unknown label %q (known: %s; custom labels start with x- and hold only a-z, 0-9, -)", l, strings.Join(known, ", "))
	}
}

var customLabelRE = regexp.MustCompile(`^x-[a-z0-9][a-z0-9-]*$`)

func (p *parser) org(n *yaml.Node) Org {
	var o Org
	users := map[string]bool{}
	userNames := map[string]bool{}
	p.fields(n, "org", []string{"users", "groups"}, func(k string, v *yaml.Node) {
		if v.Kind != yaml.SequenceNode {
			p.errf(v, "org.%s must be a list, not %s", k, kindName(v))
			return
		}
		switch k {
		case "users":
			for _, un := range v.Content {
				u := User{Active: true, Pos: p.pos(un)}
				p.fields(un, "an org user", []string{"key", "userName", "email", "givenName", "familyName", "displayName", "externalId", "locale", "secondEmail", "active"}, func(k string, v *yaml.Node) {
					switch k {
					case "key":
						u.Key = p.str(v, "key")
					case "userName":
						u.UserName = p.str(v, "userName")
					case "email":
						u.Email = p.str(v, "email")
					case "givenName":
						u.GivenName = p.str(v, "givenName")
					case "familyName":
						u.FamilyName = p.str(v, "familyName")
					case "displayName":
						u.DisplayName = p.str(v, "displayName")
					case "externalId":
						u.ExternalID = p.str(v, "externalId")
					case "locale":
						u.Locale = p.str(v, "locale")
						p.notEntra(v, "locale is an Okta profile attribute; Entra's default mappings send no locale")
					case "secondEmail":
						u.SecondEmail = p.str(v, "secondEmail")
						if !strings.Contains(u.SecondEmail, "@") {
							p.errf(v, "secondEmail %q has no domain", u.SecondEmail)
						}
						p.notEntra(v, "secondEmail is an Okta profile attribute; Entra's default mappings send one work email")
					case "active":
						u.Active = p.boolean(v, "active")
						if !u.Active {
							p.notEntra(v, "Entra provisions the users in scope: soft-delete one with entra: softDelete in a phase")
						}
					}
				})
				if un.Kind != yaml.MappingNode {
					continue
				}
				switch {
				case u.Key == "":
					p.errf(un, "an org user needs a key")
				case !keyRE.MatchString(u.Key):
					p.errf(un, "user key %q may hold only letters, digits, _ . -", u.Key)
				case users[u.Key]:
					p.errf(un, "user key %q is used twice", u.Key)
				}
				if u.UserName == "" {
					p.errf(un, "org user %q needs a userName", u.Key)
				} else if userNames[strings.ToLower(u.UserName)] {
					p.errf(un, "userName %q is used twice (userName is case-insensitive)", u.UserName)
				}
				if e := u.PrimaryEmail(); e != "" && !strings.Contains(e, "@") {
					p.errf(un, "org user %q: email %q has no domain", u.Key, e)
				}
				users[u.Key] = true
				userNames[strings.ToLower(u.UserName)] = true
				o.Users = append(o.Users, u)
			}
		case "groups":
			groups := map[string]bool{}
			for _, gn := range v.Content {
				g := Group{Pos: p.pos(gn)}
				var members *yaml.Node
				p.fields(gn, "an org group", []string{"key", "displayName", "members"}, func(k string, v *yaml.Node) {
					switch k {
					case "key":
						g.Key = p.str(v, "key")
					case "displayName":
						g.DisplayName = p.str(v, "displayName")
					case "members":
						members = v
						g.Members = p.strings(v, "members")
					}
				})
				if gn.Kind != yaml.MappingNode {
					continue
				}
				if g.Key == "" {
					p.errf(gn, "an org group needs a key")
				} else if groups[g.Key] {
					p.errf(gn, "group key %q is used twice", g.Key)
				}
				if g.DisplayName == "" {
					g.DisplayName = g.Key
				}
				for i, m := range g.Members {
					if !users[m] {
						at := gn
						if members != nil && members.Kind == yaml.SequenceNode && i < len(members.Content) {
							at = members.Content[i]
						}
						p.errf(at, "group %q: member %q is not an org user key", g.Key, m)
					}
				}
				groups[g.Key] = true
				o.Groups = append(o.Groups, g)
			}
		}
	})
	return o
}

// scope says which loop variables a step may use.
type scope struct {
	user, group bool
}

var methods = []string{"GET", "POST", "PUT", "PATCH", "DELETE"}

func (p *parser) steps(n *yaml.Node, what string, sc scope) []Step {
	if n.Kind != yaml.SequenceNode {
		p.errf(n, "%s must be a list of steps, not %s", what, kindName(n))
		return nil
	}
	out := make([]Step, 0, len(n.Content))
	for _, sn := range n.Content {
		out = append(out, p.step(sn, what, sc))
	}
	return out
}

func (p *parser) step(n *yaml.Node, what string, sc scope) Step {
	st := Step{Pos: p.pos(n)}
	var steps, pathNode, bodyNode, concurrencyNode, groupNode, membersNode, expectNode, oktaNode *yaml.Node
	var templated []*yaml.Node
	p.fields(n, "a step of "+what, []string{"name", "method", "path", "query", "headers", "body", "echo", "profile", "expect", "capture", "forEach", "steps", "concurrency", "okta", "entra", "group", "members", "verbatim", "response"}, func(k string, v *yaml.Node) {
		switch k {
		case "name":
			st.Name = p.str(v, "name")
		case "method":
			st.Method = strings.ToUpper(p.str(v, "method"))
			if st.Method != "" && !contains(methods, st.Method) {
				p.errf(v, "method %q is not one of %s", st.Method, strings.Join(methods, ", "))
			}
		case "path":
			pathNode = v
			st.Path = p.str(v, "path")
			templated = append(templated, v)
		case "query":
			st.Query = p.kvs(v, "query")
			templated = append(templated, v)
		case "headers":
			st.Headers = p.kvs(v, "headers")
			templated = append(templated, v)
		case "body":
			st.HasBody = true
			bodyNode = v
			var b any
			if err := v.Decode(&b); err != nil {
				p.errf(v, "body: %v", err)
			}
			st.Body = normalise(b)
			templated = append(templated, v)
		case "echo":
			st.Echo = p.boolean(v, "echo")
		case "profile":
			st.Profile = p.boolean(v, "profile")
		case "expect":
			expectNode = v
			st.Expect = p.statuses(v)
		case "capture":
			st.Capture = p.kvs(v, "capture")
			for i, kv := range st.Capture {
				if !strings.HasPrefix(kv.Value, "$") {
					p.errf(v.Content[2*i+1], "capture %q: %q is not a JSON path (it starts with $)", kv.Key, kv.Value)
				} else if _, err := ParseJSONPath(kv.Value); err != nil {
					p.errf(v.Content[2*i+1], "capture %q: %v", kv.Key, err)
				}
			}
		case "forEach":
			if v.Kind == yaml.SequenceNode {
				st.Keys = p.strings(v, "forEach")
				st.ForEach = "keys"
			} else {
				st.ForEach = p.str(v, "forEach")
				if st.ForEach != "users" && st.ForEach != "groups" {
					p.errf(v, "forEach must be users, groups or a list of keys, not %q", st.ForEach)
				}
			}
		case "steps":
			steps = v
		case "concurrency":
			concurrencyNode = v
			st.Concurrency = p.integer(v, "concurrency")
			if v.Tag == "!!int" && (st.Concurrency < 1 || st.Concurrency > MaxConcurrency) {
				p.errf(v, "concurrency must be between 1 and %d, not %d", MaxConcurrency, st.Concurrency)
			}
		case "okta":
			oktaNode = v
			st.Okta = p.str(v, "okta")
			if _, ok := Macros[st.Okta]; st.Okta != "" && !ok {
				p.errf(v, "unknown okta macro %q (known: %s)", st.Okta, strings.Join(macroNames(), ", "))
			}
		case "entra":
			st.Entra = p.str(v, "entra")
			if _, ok := EntraMacros[st.Entra]; st.Entra != "" && !ok {
				p.errf(v, "unknown entra macro %q (known: %s)", st.Entra, strings.Join(sortedKeys(EntraMacros), ", "))
			}
			if p.idp != IdPEntra {
				p.errf(v, "entra: macros belong to an Entra scenario (idp: entra)")
			}
		case "group":
			groupNode = v
			st.Group = p.str(v, "group")
			if _, ok := p.orgv.GroupByKey(st.Group); st.Group != "" && !ok {
				p.errf(v, "group: %q is not an org group key", st.Group)
			}
		case "members":
			membersNode = v
			st.Members = p.strings(v, "members")
			for i, m := range st.Members {
				if _, ok := p.orgv.UserByKey(m); !ok {
					at := v
					if v.Kind == yaml.SequenceNode && i < len(v.Content) {
						at = v.Content[i]
					}
					p.errf(at, "members: %q is not an org user key", m)
				}
			}
		case "verbatim":
			st.Verbatim = p.boolean(v, "verbatim")
		case "response":
			st.Response = p.response(v)
		}
	})
	if n.Kind != yaml.MappingNode {
		return st
	}
	if st.Response != nil && (st.Okta != "" || st.Entra != "" || st.ForEach != "") {
		p.errf(n, "response: belongs to a step that sends one request, not to a macro or forEach:")
	}
	if oktaNode != nil && p.idp == IdPEntra {
		p.errf(oktaNode, "okta: macros belong to an Okta scenario (this one says idp: entra)")
	}
	if (groupNode != nil || membersNode != nil) && st.Entra == "" {
		at := groupNode
		if at == nil {
			at = membersNode
		}
		p.errf(at, "group: and members: belong to an entra: membership macro")
	}
	if st.Profile && p.idp == IdPEntra {
		p.errf(n, "profile: lays Okta's profile over a PUT; Entra updates users by PATCH (entra: update)")
	}
	if concurrencyNode != nil && st.ForEach == "" && st.Okta != "provision" {
		p.errf(concurrencyNode, "concurrency: belongs to a forEach step (its iterations run side by side) or to okta: provision")
	}
	switch {
	case st.Entra != "":
		p.entraStep(n, &st, sc, bodyNode, groupNode, membersNode, expectNode)
		return st
	case st.Okta != "":
		if st.Method != "" || st.Path != "" || st.ForEach != "" {
			p.errf(n, "a step with okta: takes no method, path or forEach")
		}
		if len(st.Query)+len(st.Headers)+len(st.Capture) > 0 || st.Echo || st.Profile || st.Verbatim {
			p.errf(n, "a step with okta: takes only name, and for assign body: and expect:")
		}
		switch st.Okta {
		case "assign":
			if sc.group {
				p.errf(n, "okta: assign assigns users: use it inside forEach: users or at the top of a phase")
			}
			if bodyNode != nil {
				if bodyNode.Kind != yaml.MappingNode {
					p.errf(bodyNode, "okta: assign body: overlays the user's profile and must be a mapping, not %s", kindName(bodyNode))
				}
				inner := sc
				if !sc.user {
					inner.user = true // at the top, assign loops over every org user
				}
				p.checkTemplates(bodyNode, inner)
			}
		default:
			if sc.user || sc.group {
				p.errf(n, "okta: %s works on the whole org and cannot run inside forEach", st.Okta)
			}
			if st.HasBody {
				p.errf(bodyNode, "okta: %s takes no body", st.Okta)
			}
			if len(st.Expect) > 0 {
				p.errf(n, "okta: %s takes no expect: (only assign, for its POST)", st.Okta)
			}
		}
		return st
	case st.ForEach != "":
		if st.Method != "" || st.Path != "" {
			p.errf(n, "a forEach step takes steps:, not method or path")
		}
		if steps == nil {
			p.errf(n, "a forEach step needs steps:")
			return st
		}
		inner := sc
		switch st.ForEach {
		case "users":
			inner.user = true
		case "groups":
			inner.group = true
		case "keys":
			inner.user = true // keys name users
			for _, k := range st.Keys {
				if _, ok := p.orgv.UserByKey(k); !ok {
					p.errf(n, "forEach: %q is not an org user key", k)
				}
			}
		}
		st.Steps = p.steps(steps, what, inner)
		return st
	}
	if steps != nil {
		p.errf(steps, "steps: belongs to a forEach step")
	}
	if st.Method == "" {
		p.errf(n, "a step needs a method (or forEach:, or okta:)")
	}
	if st.Path == "" {
		p.errf(n, "a step needs a path")
	} else if !strings.HasPrefix(st.Path, "/") {
		p.errf(pathNode, "path %q must start with / (it is relative to the target's SCIM base path)", st.Path)
	}
	if st.Echo && st.Method != "PUT" && st.Method != "POST" && st.Method != "PATCH" {
		p.errf(n, "echo: only makes sense on PUT, POST or PATCH")
	}
	if st.Profile && !sc.user {
		p.errf(n, "profile: needs a user (inside forEach: users)")
	}
	if !st.Verbatim {
		for _, t := range templated {
			p.checkTemplates(t, sc)
		}
	}
	for _, kv := range st.Capture {
		p.vars[kv.Key] = true
	}
	return st
}

// entraStep checks an entra: macro step: what it takes, and where it may run.
func (p *parser) entraStep(n *yaml.Node, st *Step, sc scope, bodyNode, groupNode, membersNode, expectNode *yaml.Node) {
	if st.Method != "" || st.Path != "" || st.ForEach != "" || st.Okta != "" {
		p.errf(n, "a step with entra: takes no method, path, forEach or okta:")
	}
	if len(st.Query)+len(st.Headers)+len(st.Capture) > 0 || st.Echo || st.Verbatim {
		p.errf(n, "a step with entra: takes only name, and as its macro needs body:, group: and members:")
	}
	if expectNode != nil {
		p.errf(expectNode, "entra: %s takes no expect: (the statuses Entra accepts are the macro's)", st.Entra)
	}
	wantBody, userLoop, groupLoop := false, false, false
	switch st.Entra {
	case "testConnection", "provision", "fullCycle":
		if sc.user || sc.group {
			p.errf(n, "entra: %s works on the whole org and cannot run inside forEach", st.Entra)
		}
	case "update":
		wantBody, userLoop = true, true
	case "softDelete", "restore":
		userLoop = true
	case "updateGroup":
		wantBody, groupLoop = true, true
	case "addMembers", "removeMembers":
		groupLoop = true
	}
	if userLoop && sc.group {
		p.errf(n, "entra: %s updates users: use it inside forEach: users or at the top of a phase", st.Entra)
	}
	if groupLoop && sc.user {
		p.errf(n, "entra: %s updates groups: use it inside forEach: groups, with group:, or at the top of a phase", st.Entra)
	}
	if groupNode != nil && (!groupLoop || sc.group) {
		p.errf(groupNode, "group: names the group of entra: updateGroup, addMembers or removeMembers outside forEach: groups")
	}
	if membersNode != nil && st.Entra != "addMembers" && st.Entra != "removeMembers" {
		p.errf(membersNode, "members: belongs to entra: addMembers and removeMembers")
	}
	switch {
	case wantBody && bodyNode == nil:
		p.errf(n, "entra: %s needs body: the attributes that changed (an incremental cycle sends nothing else)", st.Entra)
	case !wantBody && bodyNode != nil:
		p.errf(bodyNode, "entra: %s takes no body", st.Entra)
	case bodyNode != nil && bodyNode.Kind != yaml.MappingNode:
		p.errf(bodyNode, "entra: %s body: maps attribute paths to their new values and must be a mapping, not %s", st.Entra, kindName(bodyNode))
	case bodyNode != nil:
		if len(bodyNode.Content) == 0 {
			p.errf(bodyNode, "entra: %s body: names no attribute", st.Entra)
		}
		for i := 0; i+1 < len(bodyNode.Content); i += 2 {
			k, v := bodyNode.Content[i], bodyNode.Content[i+1]
			if k.Value == "active" && (v.Kind != yaml.ScalarNode || v.Tag != "!!bool") {
				p.errf(v, "active must be true or false: the dialect writes it (\"True\" or true)")
			}
			if v.Kind == yaml.ScalarNode && v.Tag == "!!null" {
				p.errf(v, "%s: Entra sends no null; an attribute whose source is empty is left out", k.Value)
			}
		}
		inner := sc
		switch {
		case userLoop && !sc.user:
			inner.user = true // at the top, the macro goes through every org user
		case groupLoop && !sc.group:
			inner.group = true
		}
		p.checkTemplates(bodyNode, inner)
	}
}

func sortedKeys(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// response reads a recorded response: {status: 201, body: {...}}.
func (p *parser) response(n *yaml.Node) *Recorded {
	r := &Recorded{Pos: p.pos(n)}
	p.fields(n, "response", []string{"status", "body"}, func(k string, v *yaml.Node) {
		switch k {
		case "status":
			r.Status = p.integer(v, "response status")
			if r.Status != 0 && (r.Status < 100 || r.Status > 599) {
				p.errf(v, "response status %d is not an HTTP status", r.Status)
			}
		case "body":
			var b any
			if err := v.Decode(&b); err != nil {
				p.errf(v, "response body: %v", err)
			}
			r.Body = normalise(b)
			if r.Body != nil {
				p.responses = true
			}
		}
	})
	return r
}

func macroNames() []string {
	out := make([]string, 0, len(Macros))
	for k := range Macros {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func (p *parser) statuses(n *yaml.Node) []int {
	nodes := []*yaml.Node{n}
	if n.Kind == yaml.SequenceNode {
		nodes = n.Content
	}
	var out []int
	for _, c := range nodes {
		s := p.integer(c, "expect")
		if s < 100 || s > 599 {
			if s != 0 {
				p.errf(c, "expect: %d is not an HTTP status", s)
			}
			continue
		}
		out = append(out, s)
	}
	return out
}

// checkTemplates parses every {{…}} in the strings below n and checks that each names a
// variable the step can see.
func (p *parser) checkTemplates(n *yaml.Node, sc scope) {
	switch n.Kind {
	case yaml.ScalarNode:
		if n.Tag != "!!str" {
			return
		}
		t, err := ParseTemplate(n.Value)
		if err != nil {
			p.errf(n, "%v", err)
			return
		}
		for _, ref := range t.Refs() {
			if msg := p.checkRef(ref, sc); msg != "" {
				p.errf(n, "%s", msg)
			}
		}
	case yaml.MappingNode, yaml.SequenceNode:
		for _, c := range n.Content {
			p.checkTemplates(c, sc)
		}
	}
}

func (p *parser) checkRef(ref []string, sc scope) string {
	switch ref[0] {
	case "user":
		if !sc.user {
			return fmt.Sprintf("{{%s}} is only known inside forEach: users", strings.Join(ref, "."))
		}
		if len(ref) != 2 || !contains(userFields, ref[1]) {
			return fmt.Sprintf("{{%s}}: a user has %s", strings.Join(ref, "."), strings.Join(userFields, ", "))
		}
	case "group":
		if !sc.group {
			return fmt.Sprintf("{{%s}} is only known inside forEach: groups", strings.Join(ref, "."))
		}
		if len(ref) != 2 || !contains(groupFields, ref[1]) {
			return fmt.Sprintf("{{%s}}: a group has %s", strings.Join(ref, "."), strings.Join(groupFields, ", "))
		}
	case "users", "groups":
		if len(ref) != 3 {
			return fmt.Sprintf("{{%s}}: write {{%s.<key>.<field>}}", strings.Join(ref, "."), ref[0])
		}
		if ref[0] == "users" {
			if _, ok := p.orgv.UserByKey(ref[1]); !ok {
				return fmt.Sprintf("{{%s}}: no org user has key %q", strings.Join(ref, "."), ref[1])
			}
			if !contains(userFields, ref[2]) {
				return fmt.Sprintf("{{%s}}: a user has %s", strings.Join(ref, "."), strings.Join(userFields, ", "))
			}
		} else {
			if _, ok := p.orgv.GroupByKey(ref[1]); !ok {
				return fmt.Sprintf("{{%s}}: no org group has key %q", strings.Join(ref, "."), ref[1])
			}
			if !contains(groupFields, ref[2]) {
				return fmt.Sprintf("{{%s}}: a group has %s", strings.Join(ref, "."), strings.Join(groupFields, ", "))
			}
		}
	case "run":
	default:
		if !p.vars[ref[0]] {
			return fmt.Sprintf("{{%s}}: unknown variable (not captured by an earlier step)", strings.Join(ref, "."))
		}
	}
	return ""
}

var userFields = []string{"key", "id", "userName", "email", "secondEmail", "givenName", "familyName", "displayName", "externalId", "locale", "profile"}
var groupFields = []string{"key", "id", "displayName", "members", "memberIds"}

// normalise turns YAML-decoded maps into map[string]any all the way down.
func normalise(v any) any {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			x[k] = normalise(e)
		}
		return x
	case map[any]any:
		m := make(map[string]any, len(x))
		for k, e := range x {
			m[fmt.Sprint(k)] = normalise(e)
		}
		return m
	case []any:
		for i, e := range x {
			x[i] = normalise(e)
		}
		return x
	}
	return v
}

// ValidName reports whether s may be a scenario name: lower-case letters, digits and dashes.
func ValidName(s string) bool { return nameRE.MatchString(s) }

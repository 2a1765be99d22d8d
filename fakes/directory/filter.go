package directory

import (
	"encoding/json"
	"strings"
	"time"

	filter "github.com/scim2/filter-parser/v2"
)

// maxExpressionLen bounds filters and PATCH paths; longer ones are rejected
// before parsing so a hostile query cannot keep the parser busy.
const maxExpressionLen = 4096

// node is anything a filter can be evaluated against: a resource, or one
// element of a multi-valued complex attribute. Names are canonical.
type node interface {
	get(name string) any
}

type mapNode map[string]any

func (m mapNode) get(name string) any { return m[name] }

// matcher is a compiled filter.
type matcher func(n node) bool

// filterScope says what attribute names mean in a filter: the attributes of a
// resource type (rs set) or the sub-attributes of one complex attribute.
type filterScope struct {
	rs   *resourceSchema
	defs []*attrDef
	// exactUserName compares userName case-sensitively (fault lookup-case-sensitive).
	exactUserName bool
}

func resourceScope(rs *resourceSchema, exactUserName bool) filterScope {
	return filterScope{rs: rs, exactUserName: exactUserName}
}

func elementScope(def *attrDef) filterScope { return filterScope{defs: def.Sub} }

// parseFilter parses a SCIM filter with filter-parser, turning any failure
// (including a parser panic) into a 400 invalidFilter.
func parseFilter(s string) (expr filter.Expression, err error) {
	if len(s) > maxExpressionLen {
		return nil, badRequest(scimInvalidFilter, "filter longer than %d characters", maxExpressionLen)
	}
	if e, ok := simpleEq(s); ok {
		return e, nil
	}
	defer func() {
		if r := recover(); r != nil {
			expr, err = nil, badRequest(scimInvalidFilter, "invalid filter %q", s)
		}
	}()
	expr, err = filter.ParseFilter([]byte(s))
	if err != nil {
		return nil, badRequest(scimInvalidFilter, "invalid filter %q: %v", s, err)
	}
	return expr, nil
}

// simpleEq parses the filter identity providers send most, `attr eq "value"` (a plain attribute
// name, single spaces, a value of printable ASCII without quotes or backslashes), without the
// general parser: Okta looks every user up this way before it provisions it, and filter-parser
// takes ~100 µs a filter, which made a 10k-user provisioning spend a second of the directory's CPU
// parsing. The result is what filter-parser gives (TestSimpleEqMatchesFilterParser).
func simpleEq(s string) (filter.Expression, bool) {
	name, rest, ok := strings.Cut(s, " ")
	if !ok || !plainAttrName(name) {
		return nil, false
	}
	op, val, ok := strings.Cut(rest, " ")
	if !ok || !strings.EqualFold(op, "eq") || len(val) < 2 || val[0] != '"' || val[len(val)-1] != '"' {
		return nil, false
	}
	val = val[1 : len(val)-1]
	for i := 0; i < len(val); i++ {
		if c := val[i]; c < 0x20 || c > 0x7e || c == '"' || c == '\\' {
			return nil, false
		}
	}
	return &filter.AttributeExpression{AttributePath: filter.AttributePath{AttributeName: name}, Operator: filter.EQ, CompareValue: val}, true
}

// simplePath parses the PATCH paths identity providers send most, an attribute name or
// name.subAttribute ("members", "active", "name.givenName", and each key of a pathless value),
// without the general parser: filter-parser allocates ~45 KB a path, which at 100k users was a
// tenth of everything the directory allocated. The result is what filter-parser gives
// (TestSimplePathMatchesFilterParser).
func simplePath(s string) (filter.Path, bool) {
	name, sub, dotted := strings.Cut(s, ".")
	if !plainAttrName(name) || (dotted && !plainAttrName(sub)) {
		return filter.Path{}, false
	}
	p := filter.Path{AttributePath: filter.AttributePath{AttributeName: name}}
	if dotted {
		p.AttributePath.SubAttribute = &sub
	}
	return p, true
}

// plainAttrName reports whether s is an attribute name of RFC 7644's grammar, ALPHA *(nameChar),
// and no filter keyword.
func plainAttrName(s string) bool {
	if s == "" || !isAlpha(s[0]) {
		return false
	}
	for i := 1; i < len(s); i++ {
		if c := s[i]; !isAlpha(c) && !(c >= '0' && c <= '9') && c != '-' && c != '_' {
			return false
		}
	}
	switch strings.ToLower(s) {
	case "not", "and", "or":
		return false
	}
	return true
}

func isAlpha(c byte) bool { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') }

// parsePath parses a PATCH path, turning any failure into a 400 invalidPath.
func parsePath(s string) (p filter.Path, err error) {
	if len(s) > maxExpressionLen {
		return filter.Path{}, badRequest(scimInvalidPath, "path longer than %d characters", maxExpressionLen)
	}
	if p, ok := simplePath(s); ok {
		return p, nil
	}
	defer func() {
		if r := recover(); r != nil {
			p, err = filter.Path{}, badRequest(scimInvalidPath, "invalid path %q", s)
		}
	}()
	p, err = filter.ParsePath([]byte(s))
	if err != nil {
		return filter.Path{}, badRequest(scimInvalidPath, "invalid path %q: %v", s, err)
	}
	return p, nil
}

func (sc filterScope) compile(expr filter.Expression) (matcher, error) {
	switch e := expr.(type) {
	case *filter.LogicalExpression:
		l, err := sc.compile(e.Left)
		if err != nil {
			return nil, err
		}
		r, err := sc.compile(e.Right)
		if err != nil {
			return nil, err
		}
		if e.Operator == filter.OR {
			return func(n node) bool { return l(n) || r(n) }, nil
		}
		return func(n node) bool { return l(n) && r(n) }, nil
	case *filter.NotExpression:
		m, err := sc.compile(e.Expression)
		if err != nil {
			return nil, err
		}
		return func(n node) bool { return !m(n) }, nil
	case *filter.ValuePath:
		if e.AttributePath.SubAttribute != nil {
			return nil, badRequest(scimInvalidFilter, "value filter on a sub-attribute: %s", e.AttributePath)
		}
		get, def, err := sc.resolve(e.AttributePath)
		if err != nil {
			return nil, err
		}
		if def.Type != tComplex || len(def.Sub) == 0 {
			return nil, badRequest(scimInvalidFilter, "%q is not a complex attribute", def.Name)
		}
		inner, err := elementScope(def).compile(e.ValueFilter)
		if err != nil {
			return nil, err
		}
		return func(n node) bool {
			for _, v := range get(n) {
				if m, ok := v.(map[string]any); ok && inner(mapNode(m)) {
					return true
				}
			}
			return false
		}, nil
	case *filter.AttributeExpression:
		get, def, err := sc.resolve(e.AttributePath)
		if err != nil {
			return nil, err
		}
		if def.Type == tComplex && e.Operator != filter.PR {
			// "emails co x" compares the value sub-attribute (RFC 7644 §3.4.2.2).
			vd := def.sub("value")
			if vd == nil {
				return nil, badRequest(scimInvalidFilter, "cannot compare complex attribute %q", def.Name)
			}
			outer := get
			get = func(n node) []any { return subValues(outer(n), vd.Name) }
			def = vd
		}
		cmp, err := sc.comparer(def, e.Operator, e.CompareValue)
		if err != nil {
			return nil, err
		}
		return func(n node) bool { return cmp(get(n)) }, nil
	case nil:
		return nil, badRequest(scimInvalidFilter, "empty filter")
	default:
		return nil, badRequest(scimInvalidFilter, "unsupported filter expression %v", expr)
	}
}

// resolve maps an attribute path to a function yielding its values (flattened
// over multi-valued attributes) and the definition of the attribute named.
func (sc filterScope) resolve(p filter.AttributePath) (func(node) []any, *attrDef, error) {
	var (
		def   *attrDef
		outer func(node) any
	)
	uri := p.URI()
	switch {
	case sc.rs == nil:
		if uri != "" {
			return nil, nil, badRequest(scimInvalidFilter, "schema URI inside a value filter: %s", p)
		}
		def = findAttr(sc.defs, p.AttributeName)
		if def != nil {
			name := def.Name
			outer = func(n node) any { return n.get(name) }
		}
	case uri == "" || strings.EqualFold(uri, sc.rs.core.ID):
		def = sc.rs.core.attr(p.AttributeName)
		if def != nil {
			name := def.Name
			outer = func(n node) any { return n.get(name) }
		}
	case sc.rs.ext(uri) != nil:
		ext := sc.rs.ext(uri)
		def = ext.attr(p.AttributeName)
		if def != nil {
			name := def.Name
			outer = func(n node) any {
				m, _ := n.get(ext.ID).(map[string]any)
				return m[name]
			}
		}
	case sc.rs.ext(uri+":"+p.AttributeName) != nil && p.SubAttribute == nil:
		// The path names a whole extension object: only "pr" is meaningful.
		ext := sc.rs.ext(uri + ":" + p.AttributeName)
		def = &attrDef{Name: ext.ID, Type: tComplex}
		outer = func(n node) any { return n.get(ext.ID) }
	default:
		return nil, nil, badRequest(scimInvalidFilter, "unknown schema %q", uri)
	}
	if def == nil {
		return nil, nil, badRequest(scimInvalidFilter, "unknown attribute %q", p.String())
	}
	if p.SubAttribute == nil {
		return func(n node) []any { return flatten(outer(n)) }, def, nil
	}
	sd := def.sub(*p.SubAttribute)
	if sd == nil {
		return nil, nil, badRequest(scimInvalidFilter, "unknown attribute %q", p.String())
	}
	return func(n node) []any { return subValues(flatten(outer(n)), sd.Name) }, sd, nil
}

func flatten(v any) []any {
	switch t := v.(type) {
	case nil:
		return nil
	case []any:
		return t
	}
	return []any{v}
}

func subValues(vals []any, sub string) []any {
	var out []any
	for _, v := range vals {
		if m, ok := v.(map[string]any); ok {
			if sv, ok := m[sub]; ok && sv != nil {
				out = append(out, sv)
			}
		}
	}
	return out
}

// comparer builds the test for one attribute expression, checking that the
// operator and the compared value suit the attribute's type.
func (sc filterScope) comparer(def *attrDef, op filter.CompareOperator, cv any) (func([]any) bool, error) {
	if op == filter.PR {
		return func(vals []any) bool {
			for _, v := range vals {
				if !isEmptyValue(v) && v != "" {
					return true
				}
			}
			return false
		}, nil
	}
	if cv == nil {
		pr, _ := sc.comparer(def, filter.PR, nil)
		switch op {
		case filter.EQ:
			return func(vals []any) bool { return !pr(vals) }, nil
		case filter.NE:
			return pr, nil
		}
		return nil, badRequest(scimInvalidFilter, "operator %q cannot compare with null", op)
	}
	var pred func(v any) bool
	switch def.Type {
	case tBoolean:
		b, ok := cv.(bool)
		if !ok {
			return nil, badRequest(scimInvalidFilter, "attribute %q is boolean", def.Name)
		}
		if op != filter.EQ && op != filter.NE {
			return nil, badRequest(scimInvalidFilter, "operator %q is not defined for boolean %q", op, def.Name)
		}
		pred = func(v any) bool { return v == b }
	case tInteger, tDecimal:
		f, ok := toFloat(cv)
		if !ok {
			return nil, badRequest(scimInvalidFilter, "attribute %q is numeric", def.Name)
		}
		if cmpOp, ok := ordering(op); ok {
			pred = func(v any) bool {
				x, ok := toFloat(v)
				return ok && cmpOp(compareFloat(x, f))
			}
		} else if op == filter.EQ || op == filter.NE {
			pred = func(v any) bool { x, ok := toFloat(v); return ok && x == f }
		} else {
			return nil, badRequest(scimInvalidFilter, "operator %q is not defined for numeric %q", op, def.Name)
		}
	case tDateTime:
		s, ok := cv.(string)
		if !ok {
			return nil, badRequest(scimInvalidFilter, "attribute %q is a dateTime", def.Name)
		}
		s = unescape(s)
		if cmpOp, ok := ordering(op); ok || op == filter.EQ || op == filter.NE {
			t, err := time.Parse(time.RFC3339Nano, s)
			if err != nil {
				return nil, badRequest(scimInvalidFilter, "%q is not an RFC 3339 dateTime", s)
			}
			if !ok {
				cmpOp = func(c int) bool { return c == 0 }
			}
			pred = func(v any) bool {
				vs, _ := v.(string)
				vt, err := time.Parse(time.RFC3339Nano, vs)
				return err == nil && cmpOp(vt.Compare(t))
			}
		} else {
			pred = stringPred(op, s, true)
		}
	case tComplex:
		return nil, badRequest(scimInvalidFilter, "cannot compare complex attribute %q", def.Name)
	default:
		s, ok := cv.(string)
		if !ok {
			return nil, badRequest(scimInvalidFilter, "attribute %q is a string", def.Name)
		}
		caseExact := def.CaseExact || (sc.exactUserName && def == userCore.attr("userName"))
		pred = stringPred(op, unescape(s), caseExact)
		if pred == nil {
			return nil, badRequest(scimInvalidFilter, "unknown operator %q", op)
		}
	}
	if op == filter.NE {
		return func(vals []any) bool {
			for _, v := range vals {
				if pred(v) {
					return false
				}
			}
			return true
		}, nil
	}
	return func(vals []any) bool {
		for _, v := range vals {
			if pred(v) {
				return true
			}
		}
		return false
	}, nil
}

// stringPred returns the test for op on strings; for "ne" it returns the
// equality test, which the caller negates.
func stringPred(op filter.CompareOperator, want string, caseExact bool) func(any) bool {
	norm := func(s string) string { return s }
	if !caseExact {
		norm = strings.ToLower
	}
	w := norm(want)
	test := map[filter.CompareOperator]func(string) bool{
		filter.EQ: func(s string) bool { return s == w },
		filter.NE: func(s string) bool { return s == w },
		filter.CO: func(s string) bool { return strings.Contains(s, w) },
		filter.SW: func(s string) bool { return strings.HasPrefix(s, w) },
		filter.EW: func(s string) bool { return strings.HasSuffix(s, w) },
		filter.GT: func(s string) bool { return s > w },
		filter.GE: func(s string) bool { return s >= w },
		filter.LT: func(s string) bool { return s < w },
		filter.LE: func(s string) bool { return s <= w },
	}[op]
	if test == nil {
		return nil
	}
	return func(v any) bool {
		s, ok := v.(string)
		return ok && test(norm(s))
	}
}

func ordering(op filter.CompareOperator) (func(int) bool, bool) {
	switch op {
	case filter.GT:
		return func(c int) bool { return c > 0 }, true
	case filter.GE:
		return func(c int) bool { return c >= 0 }, true
	case filter.LT:
		return func(c int) bool { return c < 0 }, true
	case filter.LE:
		return func(c int) bool { return c <= 0 }, true
	}
	return nil, false
}

func compareFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func toFloat(v any) (float64, bool) {
	switch t := v.(type) {
	case float64:
		return t, true
	case int:
		return float64(t), true
	case json.Number:
		f, err := t.Float64()
		return f, err == nil
	}
	return 0, false
}

// unescape decodes the JSON escapes that filter-parser leaves in string values.
func unescape(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var out string
	if err := json.Unmarshal([]byte(`"`+s+`"`), &out); err != nil {
		return s
	}
	return out
}

// eqTerms returns the attribute/value pairs of a filter made only of "eq"
// terms joined by "and" (e.g. type eq "work"), used to create the element a
// PATCH value path names when none matches yet.
func eqTerms(expr filter.Expression, defs []*attrDef) (map[string]any, bool) {
	switch e := expr.(type) {
	case *filter.AttributeExpression:
		if e.Operator != filter.EQ || e.AttributePath.SubAttribute != nil || e.AttributePath.URIPrefix != nil {
			return nil, false
		}
		d := findAttr(defs, e.AttributePath.AttributeName)
		if d == nil || d.readOnly() {
			return nil, false
		}
		v := e.CompareValue
		switch t := v.(type) {
		case string:
			v = unescape(t)
		case int:
			v = float64(t)
		}
		nv, err := normalizeSingle(d, v)
		if err != nil {
			return nil, false
		}
		return map[string]any{d.Name: nv}, true
	case *filter.LogicalExpression:
		if e.Operator != filter.AND {
			return nil, false
		}
		l, ok := eqTerms(e.Left, defs)
		if !ok {
			return nil, false
		}
		r, ok := eqTerms(e.Right, defs)
		if !ok {
			return nil, false
		}
		return mergeMaps(l, r), true
	}
	return nil, false
}

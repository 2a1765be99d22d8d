package scenario

import (
	"encoding/json"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"unicode"
)

// Template is a string with {{ path | filter }} placeholders, Hurl-style.
type Template struct {
	parts []tpart
}

type tpart struct {
	lit     string
	ref     []string // nil for a literal
	filters []string
}

// Filters that a placeholder may apply, left to right.
var Filters = map[string]func(string) string{
	"upper": strings.ToUpper,
	"lower": strings.ToLower,
	"title": titleParts,
	"url":   urlQueryEscape,
}

// titleParts capitalises the first letter of each part split by '.', '@', '-' or '_':
// bob@partner.example → Bob@Partner.Example.
func titleParts(s string) string {
	r := []rune(s)
	up := true
	for i, c := range r {
		if up && unicode.IsLetter(c) {
			r[i] = unicode.ToUpper(c)
		}
		up = c == '.' || c == '@' || c == '-' || c == '_'
	}
	return string(r)
}

// urlQueryEscape escapes for a query value the way Okta does (%20 for spaces, not +).
func urlQueryEscape(s string) string {
	return strings.ReplaceAll(url.QueryEscape(s), "+", "%20")
}

// ParseTemplate parses s; a literal without placeholders is a valid template.
func ParseTemplate(s string) (*Template, error) {
	t := &Template{}
	for {
		i := strings.Index(s, "{{")
		if i < 0 {
			if strings.Contains(s, "}}") {
				return nil, fmt.Errorf("template %q: }} without {{", s)
			}
			if s != "" {
				t.parts = append(t.parts, tpart{lit: s})
			}
			return t, nil
		}
		if i > 0 {
			t.parts = append(t.parts, tpart{lit: s[:i]})
		}
		j := strings.Index(s[i:], "}}")
		if j < 0 {
			return nil, fmt.Errorf("template %q: {{ without }}", s)
		}
		expr := strings.TrimSpace(s[i+2 : i+j])
		segs := strings.Split(expr, "|")
		path := strings.TrimSpace(segs[0])
		if path == "" {
			return nil, fmt.Errorf("template %q: empty {{}}", s)
		}
		ref := strings.Split(path, ".")
		for _, r := range ref {
			if r == "" || strings.ContainsAny(r, " \t{}") {
				return nil, fmt.Errorf("template %q: %q is not a variable path", s, path)
			}
		}
		var filters []string
		for _, f := range segs[1:] {
			f = strings.TrimSpace(f)
			if _, ok := Filters[f]; !ok {
				return nil, fmt.Errorf("template %q: unknown filter %q (known: upper, lower, title, url)", s, f)
			}
			filters = append(filters, f)
		}
		t.parts = append(t.parts, tpart{ref: ref, filters: filters})
		s = s[i+j+2:]
	}
}

// plainString reports whether s holds no placeholder (nor a stray "}}", which ParseTemplate
// refuses): it renders as itself.
func plainString(s string) bool {
	return !strings.Contains(s, "{{") && !strings.Contains(s, "}}")
}

// parsed caches what ParseTemplate makes of a string. A replay renders the same few strings of a
// scenario for every user and every run, and parsing them again was a visible part of the
// engine's cost per request; a Template is never changed once parsed. Bounded, so rendering
// strings that come from elsewhere cannot grow it without limit.
var parsed struct {
	sync.Map // string → *Template
	n        atomic.Int64
}

const maxParsed = 1 << 14

func parseCached(s string) (*Template, error) {
	if t, ok := parsed.Load(s); ok {
		return t.(*Template), nil
	}
	t, err := ParseTemplate(s)
	if err == nil && parsed.n.Load() < maxParsed {
		if _, loaded := parsed.LoadOrStore(s, t); !loaded {
			parsed.n.Add(1)
		}
	}
	return t, err
}

// Refs lists the variable paths the template uses.
func (t *Template) Refs() [][]string {
	var out [][]string
	for _, p := range t.parts {
		if p.ref != nil {
			out = append(out, p.ref)
		}
	}
	return out
}

// Lookup resolves a variable path to a value.
type Lookup func(ref []string) (any, error)

// Value renders the template. A template that is exactly one placeholder without filters yields
// the variable's value as it is (an object or list stays structured); otherwise a string.
func (t *Template) Value(look Lookup) (any, error) {
	if len(t.parts) == 1 && t.parts[0].ref != nil && len(t.parts[0].filters) == 0 {
		return look(t.parts[0].ref)
	}
	return t.String(look)
}

// String renders the template as a string.
func (t *Template) String(look Lookup) (string, error) {
	var b strings.Builder
	for _, p := range t.parts {
		if p.ref == nil {
			b.WriteString(p.lit)
			continue
		}
		v, err := look(p.ref)
		if err != nil {
			return "", err
		}
		s, err := stringify(v)
		if err != nil {
			return "", fmt.Errorf("{{%s}}: %w", strings.Join(p.ref, "."), err)
		}
		for _, f := range p.filters {
			s = Filters[f](s)
		}
		b.WriteString(s)
	}
	return b.String(), nil
}

func stringify(v any) (string, error) {
	switch x := v.(type) {
	case string:
		return x, nil
	case nil:
		return "", nil
	case bool, int, int64, float64, json.Number:
		return fmt.Sprint(x), nil
	default:
		b, err := json.Marshal(x)
		return string(b), err
	}
}

// Render renders every string in a decoded body (maps and lists are copied, never changed).
func Render(body any, look Lookup) (any, error) {
	switch x := body.(type) {
	case string:
		if plainString(x) {
			return x, nil
		}
		t, err := parseCached(x)
		if err != nil {
			return nil, err
		}
		return t.Value(look)
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, v := range x {
			r, err := Render(v, look)
			if err != nil {
				return nil, err
			}
			out[k] = r
		}
		return out, nil
	case []any:
		out := make([]any, len(x))
		for i, v := range x {
			r, err := Render(v, look)
			if err != nil {
				return nil, err
			}
			out[i] = r
		}
		return out, nil
	}
	return body, nil
}

// RenderString renders one string template.
func RenderString(s string, look Lookup) (string, error) {
	if plainString(s) {
		return s, nil
	}
	t, err := parseCached(s)
	if err != nil {
		return "", err
	}
	return t.String(look)
}

// JSONPath is the subset of JSONPath captures use: $, .name, ['name'] and [index].
type JSONPath []any // string keys and int indexes

// ParseJSONPath parses "$.Resources[0].id".
func ParseJSONPath(s string) (JSONPath, error) {
	if !strings.HasPrefix(s, "$") {
		return nil, fmt.Errorf("JSON path %q must start with $", s)
	}
	var p JSONPath
	rest := s[1:]
	for rest != "" {
		switch rest[0] {
		case '.':
			rest = rest[1:]
			end := strings.IndexAny(rest, ".[")
			if end < 0 {
				end = len(rest)
			}
			if end == 0 {
				return nil, fmt.Errorf("JSON path %q: empty name", s)
			}
			p = append(p, rest[:end])
			rest = rest[end:]
		case '[':
			end := strings.IndexByte(rest, ']')
			if end < 0 {
				return nil, fmt.Errorf("JSON path %q: [ without ]", s)
			}
			inner := rest[1:end]
			rest = rest[end+1:]
			if len(inner) >= 2 && (inner[0] == '\'' || inner[0] == '"') && inner[len(inner)-1] == inner[0] {
				p = append(p, inner[1:len(inner)-1])
				continue
			}
			i, err := strconv.Atoi(inner)
			if err != nil || i < 0 {
				return nil, fmt.Errorf("JSON path %q: [%s] is not an index or a quoted name", s, inner)
			}
			p = append(p, i)
		default:
			return nil, fmt.Errorf("JSON path %q: unexpected %q", s, rest[0])
		}
	}
	return p, nil
}

// Get follows the path through a decoded JSON document.
func (p JSONPath) Get(doc any) (any, bool) {
	cur := doc
	for _, s := range p {
		switch k := s.(type) {
		case string:
			m, ok := cur.(map[string]any)
			if !ok {
				return nil, false
			}
			if cur, ok = m[k]; !ok {
				return nil, false
			}
		case int:
			a, ok := cur.([]any)
			if !ok || k >= len(a) {
				return nil, false
			}
			cur = a[k]
		}
	}
	return cur, true
}

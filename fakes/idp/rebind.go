package idp

import (
	"net/url"
	"sort"
	"strings"

	"github.com/scimreplay/scimreplay/harness/scenario"
)

// rebinder carries a recorded server's ids over to the live target's, for scenarios with
// rebind: auto. Each step's recorded response is paired with the live response: the recorded
// resource's id maps to the live one (a list pairs its resources by userName, externalId or
// displayName). Later requests are rewritten through the map: URL path segments, quoted literals
// in filters and PATCH paths, and body strings that are exactly a recorded id (members[].value,
// an "id" in a pathless replace). Nothing is replaced inside other text, so a short recorded id
// such as "1" cannot corrupt a startIndex or a name.
type rebinder struct {
	ids    map[string]string // recorded id → live id
	kind   map[string]string // live id → "user" or "group"
	people map[string]bool   // userNames of paired users, as the target answered them
	// recorded holds every id the recording's responses carry; unpaired collects those a
	// rewrite met before any live answer paired them (see take).
	recorded map[string]bool
	unpaired []string
}

func newRebinder(sc *scenario.Scenario) *rebinder {
	b := &rebinder{ids: map[string]string{}, kind: map[string]string{}, people: map[string]bool{}, recorded: map[string]bool{}}
	var walk func([]scenario.Step)
	walk = func(steps []scenario.Step) {
		for i := range steps {
			if rs := steps[i].Response; rs != nil {
				b.collect(rs.Body)
			}
			walk(steps[i].Steps)
		}
	}
	walk(sc.Provision)
	walk(sc.ForceSync)
	walk(sc.Verify)
	return b
}

// collect notes the ids of a recorded response body: its own and its Resources'.
func (b *rebinder) collect(body any) {
	m, ok := body.(map[string]any)
	if !ok {
		return
	}
	if id, _ := m["id"].(string); id != "" {
		b.recorded[id] = true
	}
	if rs, ok := m["Resources"].([]any); ok {
		for _, r := range rs {
			b.collect(r)
		}
	}
}

// live is the live id for a recorded one; a recorded id no answer has paired yet is noted in
// unpaired (and left as it is).
func (b *rebinder) live(s string) (string, bool) {
	if id, ok := b.ids[s]; ok {
		return id, true
	}
	if b.recorded[s] {
		b.unpaired = append(b.unpaired, s)
	}
	return s, false
}

// take returns the recorded ids the rewrites since the last take met unpaired, and forgets them.
func (b *rebinder) take() []string {
	u := b.unpaired
	b.unpaired = nil
	return u
}

// kindOf names the resource type a SCIM path addresses: /Users… → user, /Groups… → group.
func kindOf(path string) string {
	seg := strings.ToLower(strings.SplitN(strings.TrimPrefix(pathOnly(path), "/"), "/", 2)[0])
	switch seg {
	case "users":
		return "user"
	case "groups":
		return "group"
	}
	return ""
}

// pair learns ids from a recorded response body and the live one answering the same request.
func (b *rebinder) pair(path string, recorded, live any) {
	kind := kindOf(path)
	rm, ok1 := recorded.(map[string]any)
	lm, ok2 := live.(map[string]any)
	if !ok1 || !ok2 {
		return
	}
	if rres, ok := rm["Resources"].([]any); ok {
		lres, _ := lm["Resources"].([]any)
		b.pairList(kind, rres, lres)
		return
	}
	b.pairOne(kind, rm, lm)
}

func (b *rebinder) pairOne(kind string, rec, live map[string]any) {
	rid, _ := rec["id"].(string)
	lid, _ := live["id"].(string)
	if rid == "" || lid == "" {
		return
	}
	b.ids[rid] = lid
	if kind != "" {
		b.kind[lid] = kind
	}
	if kind == "user" {
		if n, _ := live["userName"].(string); n != "" {
			b.people[n] = true
		}
	}
}

// pairList pairs the resources of two list pages: by userName (case-insensitively), then
// externalId, then displayName; when neither side has such keys and the pages are the same
// length, by position.
func (b *rebinder) pairList(kind string, rec, live []any) {
	index := map[string]map[string]any{}
	for _, l := range live {
		lm, ok := l.(map[string]any)
		if !ok {
			continue
		}
		for _, k := range naturalKeys(lm) {
			if _, dup := index[k]; !dup {
				index[k] = lm
			}
		}
	}
	for i, r := range rec {
		rm, ok := r.(map[string]any)
		if !ok {
			continue
		}
		var match map[string]any
		for _, k := range naturalKeys(rm) {
			if m, ok := index[k]; ok {
				match = m
				break
			}
		}
		if match == nil && len(rec) == len(live) && len(naturalKeys(rm)) == 0 {
			match, _ = live[i].(map[string]any)
		}
		if match != nil {
			b.pairOne(kind, rm, match)
		}
	}
}

func naturalKeys(m map[string]any) []string {
	var out []string
	if s, _ := m["userName"].(string); s != "" {
		out = append(out, "u:"+strings.ToLower(s))
	}
	if s, _ := m["externalId"].(string); s != "" {
		out = append(out, "x:"+s)
	}
	if s, _ := m["displayName"].(string); s != "" {
		out = append(out, "d:"+s)
	}
	return out
}

// path rewrites a request path: every segment that is a recorded id, and the quoted literals
// of a filter query parameter.
func (b *rebinder) path(p string) string {
	if len(b.ids) == 0 && len(b.recorded) == 0 {
		return p
	}
	raw, query, hasQuery := strings.Cut(p, "?")
	segs := strings.Split(raw, "/")
	for i, s := range segs {
		if dec, err := url.PathUnescape(s); err == nil {
			if live, ok := b.live(dec); ok {
				segs[i] = url.PathEscape(live)
			}
		}
	}
	out := strings.Join(segs, "/")
	if !hasQuery {
		return out
	}
	parts := strings.Split(query, "&")
	for i, part := range parts {
		k, v, ok := strings.Cut(part, "=")
		if !ok || !strings.EqualFold(k, "filter") {
			continue
		}
		dec, err := url.QueryUnescape(v)
		if err != nil {
			continue
		}
		if nv := b.quoted(dec); nv != dec {
			parts[i] = k + "=" + queryEscape(nv)
		}
	}
	return out + "?" + strings.Join(parts, "&")
}

// queryValue rewrites a query value given apart from the path (filter only).
func (b *rebinder) queryValue(key, v string) string {
	if !strings.EqualFold(key, "filter") {
		return v
	}
	return b.quoted(v)
}

// quoted rewrites the "…" literals of a filter or PATCH path that are exactly a recorded id.
func (b *rebinder) quoted(s string) string {
	if (len(b.ids) == 0 && len(b.recorded) == 0) || !strings.Contains(s, `"`) {
		return s
	}
	var out strings.Builder
	for {
		i := strings.IndexByte(s, '"')
		if i < 0 {
			out.WriteString(s)
			return out.String()
		}
		j := strings.IndexByte(s[i+1:], '"')
		if j < 0 {
			out.WriteString(s)
			return out.String()
		}
		lit := s[i+1 : i+1+j]
		out.WriteString(s[:i+1])
		live, _ := b.live(lit)
		out.WriteString(live)
		out.WriteByte('"')
		s = s[i+1+j+1:]
	}
}

// body rewrites a request body: strings that are a recorded id; PATCH paths and filters by
// their quoted literals; $ref and location URLs by their path segments. A new value is
// returned; the input is not changed.
func (b *rebinder) body(v any) any {
	if len(b.ids) == 0 && len(b.recorded) == 0 {
		return v
	}
	return b.walk(v, "")
}

func (b *rebinder) walk(v any, key string) any {
	switch x := v.(type) {
	case string:
		if live, ok := b.live(x); ok {
			return live
		} else if b.recorded[x] {
			return x
		}
		switch strings.ToLower(key) {
		case "path", "filter":
			return b.quoted(x)
		case "$ref", "location":
			if u, err := url.Parse(x); err == nil && u.Path != "" {
				u.Path = b.path(u.Path)
				u.RawPath = ""
				return u.String()
			}
		}
		return x
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = b.walk(e, k)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = b.walk(e, key)
		}
		return out
	}
	return v
}

// liveIDs lists the live ids paired for one kind, sorted.
func (b *rebinder) liveIDs(kind string) []string {
	var out []string
	for id, k := range b.kind {
		if k == kind {
			out = append(out, id)
		}
	}
	sort.Strings(out)
	return out
}

func (b *rebinder) userNames() []string {
	out := make([]string, 0, len(b.people))
	for n := range b.people {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// QueryEscape escapes a query value the way the identity providers' clients do (%20 for spaces,
// not +).
func QueryEscape(s string) string { return queryEscape(s) }

func queryEscape(s string) string {
	return strings.ReplaceAll(url.QueryEscape(s), "+", "%20")
}

package directory

import (
	"net/http"
	"strconv"
	"strings"

	filter "github.com/scim2/filter-parser/v2"

	"github.com/scimreplay/scimreplay/internal/jsonenc"
)

// maxResults caps one page of a list or search.
const maxResults = 100000

// listQuery is a parsed list or search request (RFC 7644 §3.4.2, §3.4.3).
type listQuery struct {
	expr       filter.Expression // nil: no filter
	match      matcher           // nil: everything matches
	startIndex int               // 1-based
	count      int               // page size
	proj       projection
}

func queryFromURL(r *http.Request, rs *resourceSchema, exact bool) (listQuery, error) {
	v := r.URL.Query()
	q := listQuery{startIndex: 1, count: maxResults}
	if s := v.Get("startIndex"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil {
			return q, badRequest(scimInvalidValue, "startIndex %q is not an integer", s)
		}
		q.startIndex = n
	}
	if s := v.Get("count"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil {
			return q, badRequest(scimInvalidValue, "count %q is not an integer", s)
		}
		q.count = n
	}
	return q.finish(rs, exact, v.Get("filter"), splitList(v.Get("attributes")), splitList(v.Get("excludedAttributes")))
}

func queryFromSearch(r *http.Request, rs *resourceSchema, exact bool) (listQuery, error) {
	var body struct {
		Filter             string   `json:"filter"`
		StartIndex         *int     `json:"startIndex"`
		Count              *int     `json:"count"`
		Attributes         []string `json:"attributes"`
		ExcludedAttributes []string `json:"excludedAttributes"`
	}
	if err := readBody(r, &body); err != nil {
		return listQuery{}, err
	}
	q := listQuery{startIndex: 1, count: maxResults}
	if body.StartIndex != nil {
		q.startIndex = *body.StartIndex
	}
	if body.Count != nil {
		q.count = *body.Count
	}
	return q.finish(rs, exact, body.Filter, body.Attributes, body.ExcludedAttributes)
}

func (q listQuery) finish(rs *resourceSchema, exact bool, filterStr string, attrs, excluded []string) (listQuery, error) {
	if q.startIndex < 1 {
		q.startIndex = 1 // RFC 7644 §3.4.2.4: values below 1 are read as 1
	}
	q.count = min(max(q.count, 0), maxResults)
	if strings.TrimSpace(filterStr) != "" {
		expr, err := parseFilter(filterStr)
		if err != nil {
			return q, err
		}
		m, err := resourceScope(rs, exact).compile(expr)
		if err != nil {
			return q, err
		}
		q.expr, q.match = expr, m
	}
	q.proj = newProjection(rs, attrs, excluded)
	return q, nil
}

func splitList(s string) []string {
	if strings.TrimSpace(s) == "" {
		return nil
	}
	return strings.Split(s, ",")
}

// page returns the slice of matches the query asks for.
func page[T any](all []T, q listQuery) []T {
	start := q.startIndex - 1
	if start >= len(all) {
		return nil
	}
	end := min(start+q.count, len(all))
	return all[start:end]
}

type listResponse struct {
	Schemas      []string `json:"schemas"`
	TotalResults int      `json:"totalResults"`
	StartIndex   int      `json:"startIndex"`
	ItemsPerPage int      `json:"itemsPerPage"`
	Resources    *[]any   `json:"Resources,omitempty"`
}

// appendJSON appends the page as json.Marshal encodes it, its resources without reflection.
func (l listResponse) appendJSON(dst []byte) ([]byte, error) {
	dst = append(dst, `{"schemas":`...)
	dst, _ = jsonenc.Append(dst, l.Schemas)
	dst = append(dst, `,"totalResults":`...)
	dst = strconv.AppendInt(dst, int64(l.TotalResults), 10)
	dst = append(dst, `,"startIndex":`...)
	dst = strconv.AppendInt(dst, int64(l.StartIndex), 10)
	dst = append(dst, `,"itemsPerPage":`...)
	dst = strconv.AppendInt(dst, int64(l.ItemsPerPage), 10)
	if l.Resources != nil {
		dst = append(dst, `,"Resources":`...)
		var err error
		if dst, err = jsonenc.Append(dst, *l.Resources); err != nil {
			return nil, err
		}
	}
	return append(dst, '}'), nil
}

// newListResponse wraps one page; with count=0 the Resources are left out,
// otherwise an empty page is an empty array.
func newListResponse(total int, q listQuery, resources []any) *response {
	body := listResponse{
		Schemas:      []string{listSchema},
		TotalResults: total,
		StartIndex:   q.startIndex,
		ItemsPerPage: len(resources),
	}
	if q.count > 0 {
		if resources == nil {
			resources = []any{}
		}
		body.Resources = &resources
	}
	return &response{status: http.StatusOK, body: body}
}

// eqLookup recognises a filter that is a single `attr eq "string"` on a
// top-level core attribute, so the caller can answer it from an index.
func eqLookup(expr filter.Expression, rs *resourceSchema) (attr, value string, ok bool) {
	e, isAttr := expr.(*filter.AttributeExpression)
	if !isAttr || e.Operator != filter.EQ || e.AttributePath.SubAttribute != nil {
		return "", "", false
	}
	if uri := e.AttributePath.URI(); uri != "" && !strings.EqualFold(uri, rs.core.ID) {
		return "", "", false
	}
	s, isStr := e.CompareValue.(string)
	def := rs.core.attr(e.AttributePath.AttributeName)
	if !isStr || def == nil {
		return "", "", false
	}
	return def.Name, unescape(s), true
}

// projection implements the attributes and excludedAttributes parameters at
// the granularity of top-level attributes (a sub-attribute selects its
// parent); id and schemas are always returned.
type projection struct {
	include map[string]bool
	exclude map[string]bool
}

func newProjection(rs *resourceSchema, include, exclude []string) projection {
	p := projection{}
	for _, a := range include {
		if name := topLevelName(rs, a); name != "" {
			if p.include == nil {
				p.include = map[string]bool{}
			}
			p.include[name] = true
		}
	}
	for _, a := range exclude {
		if name := topLevelName(rs, a); name != "" {
			if p.exclude == nil {
				p.exclude = map[string]bool{}
			}
			p.exclude[name] = true
		}
	}
	return p
}

// topLevelName maps "name.givenName", "urn:...:User:userName" or an extension
// attribute to the key of the rendered resource it lives under.
func topLevelName(rs *resourceSchema, a string) string {
	a = strings.TrimSpace(a)
	if a == "" {
		return ""
	}
	if ext := rs.ext(a); ext != nil {
		return ext.ID
	}
	if isURN(a) {
		if ext := longestExtPrefix(rs, a); ext != nil {
			return ext.ID
		}
		if len(a) > len(rs.core.ID) && strings.EqualFold(a[:len(rs.core.ID)], rs.core.ID) {
			a = strings.TrimPrefix(a[len(rs.core.ID):], ":")
		} else {
			return ""
		}
	}
	name, _, _ := strings.Cut(a, ".")
	if def := rs.core.attr(name); def != nil {
		return def.Name
	}
	return ""
}

func longestExtPrefix(rs *resourceSchema, a string) *schemaDef {
	for _, e := range rs.exts {
		if len(a) > len(e.ID) && strings.EqualFold(a[:len(e.ID)], e.ID) && a[len(e.ID)] == ':' {
			return e
		}
	}
	return nil
}

// wants reports whether the projection keeps the attribute name, so costly
// attributes (group members) need not be built.
func (p projection) wants(name string) bool {
	switch name {
	case "id", "schemas":
		return true
	}
	if p.exclude[name] {
		return false
	}
	return p.include == nil || p.include[name]
}

// without returns the projection that also leaves out name.
func (p projection) without(name string) projection {
	exclude := make(map[string]bool, len(p.exclude)+1)
	for k := range p.exclude {
		exclude[k] = true
	}
	exclude[name] = true
	return projection{include: p.include, exclude: exclude}
}

func (p projection) apply(m map[string]any) map[string]any {
	if p.include == nil && p.exclude == nil {
		return m
	}
	for k := range m {
		if !p.wants(k) {
			delete(m, k)
		}
	}
	return m
}

package elimity

import (
	"strings"

	"github.com/elimity-com/scim"
	scimfilter "github.com/elimity-com/scim/filter"
	"github.com/scim2/filter-parser/v2"
)

// listFilter is a list request's filter, as the library parsed and validated it, ready to be
// evaluated by the library on each resource; nil when the request has none.
type listFilter struct {
	expr filter.Expression
	v    scimfilter.Validator
}

func (rs resourceSchema) listFilter(params scim.ListRequestParams) *listFilter {
	if params.FilterValidator == nil {
		return nil
	}
	expr := rs.rewrite(params.FilterValidator.GetFilter())
	return &listFilter{expr: expr, v: scimfilter.NewFilterValidator(expr, rs.filterCore, rs.exts...)}
}

// match says whether a resource passes the filter; view builds what the filter sees of it (its
// attributes with id, meta, and extension attributes also under their full "urn:…:name" key,
// where the library looks for them), only when there is a filter.
func (f *listFilter) match(view func() map[string]any) (bool, error) {
	if f == nil {
		return true, nil
	}
	return passes(f.v, view())
}

// rewrite works around the library's evaluator, which never matches a sub-attribute of a
// multi-valued complex attribute (emails.value eq "…", members.value eq "…": it expects one
// object where there is a list): such a comparison becomes the value path emails[value eq "…"],
// which it evaluates right and which RFC 7644 §3.4.2.2 makes equivalent.
func (rs resourceSchema) rewrite(e filter.Expression) filter.Expression {
	switch e := e.(type) {
	case *filter.AttributeExpression:
		sub := e.AttributePath.SubAttributeName()
		if sub == "" {
			return e
		}
		_, def, ok := rs.lookup(e.AttributePath)
		if !ok || !def.MultiValued() || def.AttributeType() != "complex" {
			return e
		}
		return &filter.ValuePath{
			AttributePath: filter.AttributePath{URIPrefix: e.AttributePath.URIPrefix, AttributeName: e.AttributePath.AttributeName},
			ValueFilter: &filter.AttributeExpression{
				AttributePath: filter.AttributePath{AttributeName: sub},
				Operator:      e.Operator,
				CompareValue:  e.CompareValue,
			},
		}
	case *filter.LogicalExpression:
		return &filter.LogicalExpression{Left: rs.rewrite(e.Left), Right: rs.rewrite(e.Right), Operator: e.Operator}
	case *filter.NotExpression:
		return &filter.NotExpression{Expression: rs.rewrite(e.Expression)}
	}
	return e
}

// userNameEq is the literal of a filter `userName eq "…"` (Okta's lookup), so a lookup can
// start from the userName index instead of every user; the library still decides the match.
func userNameEq(f *listFilter) (string, bool) {
	if f == nil {
		return "", false
	}
	e, ok := f.expr.(*filter.AttributeExpression)
	if !ok || e.Operator != filter.EQ || e.AttributePath.SubAttributeName() != "" ||
		!strings.EqualFold(e.AttributePath.AttributeName, "userName") {
		return "", false
	}
	if uri := e.AttributePath.URI(); uri != "" && !strings.EqualFold(uri, "urn:ietf:params:scim:schemas:core:2.0:User") {
		return "", false
	}
	s, ok := e.CompareValue.(string)
	return s, ok
}

// page is the resources from 1-based startIndex, at most count of them.
func page[T any](all []T, startIndex, count int) []T {
	from := min(max(startIndex, 1)-1, len(all))
	to := min(from+max(count, 0), len(all))
	return all[from:to]
}

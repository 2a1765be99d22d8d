package elimity

import (
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/elimity-com/scim"
	scimerrors "github.com/elimity-com/scim/errors"
	scimfilter "github.com/elimity-com/scim/filter"
	"github.com/elimity-com/scim/schema"
	"github.com/scim2/filter-parser/v2"
)

// resourceSchema is what the handlers need of a resource type's schemas: the core schema with
// externalId, as the library validates bodies against, the core schema with all common
// attributes (id, externalId, meta), as it validates filters against, and the extensions.
type resourceSchema struct {
	core       schema.Schema
	filterCore schema.Schema
	exts       []schema.Schema
}

func newResourceSchema(core schema.Schema, exts ...schema.Schema) resourceSchema {
	withExternalID := core
	withExternalID.Attributes = append(slices.Clone(core.Attributes), schema.SimpleCoreAttribute(schema.SimpleStringParams(schema.StringParams{
		CaseExact:  true,
		Mutability: schema.AttributeMutabilityReadWrite(),
		Name:       "externalId",
		Uniqueness: schema.AttributeUniquenessNone(),
	})))
	withCommon := core
	withCommon.Attributes = append(slices.Clone(core.Attributes), schema.CommonAttributes()...)
	return resourceSchema{core: withExternalID, filterCore: withCommon, exts: exts}
}

// extension is the id of the extension schema named uri ("" if none).
func (rs resourceSchema) extension(uri string) string {
	for _, e := range rs.exts {
		if strings.EqualFold(e.ID, uri) {
			return e.ID
		}
	}
	return ""
}

// lookup finds the attribute an attribute path names: ext is the extension schema holding it,
// "" for the core schema.
func (rs resourceSchema) lookup(ap filter.AttributePath) (ext string, def schema.CoreAttribute, ok bool) {
	uri := ap.URI()
	if uri == "" || strings.EqualFold(uri, rs.core.ID) {
		if def, ok := rs.core.Attributes.ContainsAttribute(ap.AttributeName); ok {
			return "", def, true
		}
		if uri != "" {
			return "", def, false
		}
	}
	for _, e := range rs.exts {
		if uri != "" && !strings.EqualFold(uri, e.ID) {
			continue
		}
		if def, ok := e.Attributes.ContainsAttribute(ap.AttributeName); ok {
			return e.ID, def, true
		}
	}
	return "", schema.CoreAttribute{}, false
}

func scimError(status int, typ scimerrors.ScimType, format string, args ...any) scimerrors.ScimError {
	return scimerrors.ScimError{Status: status, ScimType: typ, Detail: fmt.Sprintf(format, args...)}
}

func badValue(format string, args ...any) scimerrors.ScimError {
	return scimError(http.StatusBadRequest, scimerrors.ScimTypeInvalidValue, format, args...)
}

func badPath(format string, args ...any) scimerrors.ScimError {
	return scimError(http.StatusBadRequest, scimerrors.ScimTypeInvalidPath, format, args...)
}

func noTarget(format string, args ...any) scimerrors.ScimError {
	return scimError(http.StatusBadRequest, scimerrors.ScimTypeNoTarget, format, args...)
}

func badFilter(format string, args ...any) scimerrors.ScimError {
	return scimError(http.StatusBadRequest, scimerrors.ScimTypeInvalidFilter, format, args...)
}

// apply applies one PATCH operation, as the library validated it (op lower-cased, path parsed,
// value checked against the schema), to attrs in place (RFC 7644 §3.5.2). Operations on
// read-only attributes are ignored.
func (rs resourceSchema) apply(attrs map[string]any, op scim.PatchOperation) error {
	if op.Path != nil {
		return rs.applyPath(attrs, op.Op, *op.Path, op.Value)
	}
	// No path: the value is a set of attributes of the resource itself. The library has
	// validated each key's value but left the keys as the client wrote them.
	values, ok := op.Value.(map[string]any)
	if !ok {
		return badValue("an operation without a path needs an object value")
	}
	for _, k := range sortedKeys(values) {
		if ext := rs.extension(k); ext != "" {
			sub, ok := values[k].(map[string]any)
			if !ok {
				return badValue("the value of %s must be an object", k)
			}
			for _, sk := range sortedKeys(sub) {
				p, err := filter.ParsePath([]byte(sk))
				if err != nil {
					return badPath("invalid attribute path %q", sk)
				}
				p.AttributePath.URIPrefix = &ext
				if err := rs.applyPath(attrs, op.Op, p, sub[sk]); err != nil {
					return err
				}
			}
			continue
		}
		p, err := filter.ParsePath([]byte(k))
		if err != nil {
			return badPath("invalid attribute path %q", k)
		}
		if err := rs.applyPath(attrs, op.Op, p, values[k]); err != nil {
			return err
		}
	}
	return nil
}

func (rs resourceSchema) applyPath(attrs map[string]any, op string, p filter.Path, value any) error {
	ext, def, ok := rs.lookup(p.AttributePath)
	if !ok {
		return badPath("no attribute %q", p.AttributePath.String())
	}
	if def.Mutability() == "readOnly" {
		return nil // assigned by the server (RFC 7643 §2.2): ignored
	}
	container := attrs
	if ext != "" {
		c, _ := attrs[ext].(map[string]any)
		if c == nil {
			c = map[string]any{}
			attrs[ext] = c
		}
		container = c
		defer func() {
			if len(c) == 0 {
				delete(attrs, ext)
			}
		}()
	}
	name := def.Name()
	if p.ValueExpression != nil {
		return applyFiltered(container, op, def, p.ValueExpression, p.SubAttributeName(), value)
	}
	if sub := p.AttributePath.SubAttributeName(); sub != "" {
		sdef, ok := def.SubAttributes().ContainsAttribute(sub)
		if !ok {
			return badPath("no sub-attribute %q of %s", sub, name)
		}
		if sdef.Mutability() == "readOnly" {
			return nil
		}
		if def.MultiValued() { // e.g. emails.type: every value
			for _, e := range asList(container[name]) {
				if m, ok := e.(map[string]any); ok {
					setOrDelete(m, op, sdef.Name(), value)
				}
			}
			return nil
		}
		m, _ := container[name].(map[string]any)
		if m == nil {
			if op == scim.PatchOperationRemove {
				return nil
			}
			m = map[string]any{}
			container[name] = m
		}
		setOrDelete(m, op, sdef.Name(), value)
		if len(m) == 0 {
			delete(container, name)
		}
		return nil
	}
	switch op {
	case scim.PatchOperationRemove:
		if value != nil && def.MultiValued() {
			// A value list names the values to remove (Entra's remove members [{value}]).
			list := asList(container[name])
			for _, v := range asList(value) {
				list = slices.DeleteFunc(list, func(e any) bool { return sameValue(def, e, v) })
			}
			setList(container, name, list)
			return nil
		}
		delete(container, name)
	case scim.PatchOperationAdd:
		switch {
		case def.MultiValued():
			setList(container, name, addValues(def, asList(container[name]), asList(value)))
		case def.AttributeType() == "complex":
			merge(container, name, value)
		default:
			container[name] = value
		}
	case scim.PatchOperationReplace:
		switch {
		case def.MultiValued():
			setList(container, name, asList(value))
		case def.AttributeType() == "complex":
			merge(container, name, value) // sub-attributes not given are left as they are
		default:
			container[name] = value
		}
	default:
		return badValue("unknown operation %q", op)
	}
	return nil
}

// applyFiltered applies an operation whose path selects values of a multi-valued attribute
// (emails[type eq "work"].value, members[value eq "…"]); the library's filter evaluator decides
// which values match.
func applyFiltered(container map[string]any, op string, def schema.CoreAttribute, expr filter.Expression, sub string, value any) error {
	name := def.Name()
	if !def.MultiValued() {
		return badPath("%s is not multi-valued: it takes no value filter", name)
	}
	subName := ""
	if sub != "" {
		sdef, ok := def.SubAttributes().ContainsAttribute(sub)
		if !ok {
			return badPath("no sub-attribute %q of %s", sub, name)
		}
		if sdef.Mutability() == "readOnly" {
			return nil
		}
		subName = sdef.Name()
	}
	match, err := valueMatcher(def, expr)
	if err != nil {
		return err
	}
	list := asList(container[name])
	switch op {
	case scim.PatchOperationRemove:
		kept := list[:0:0]
		for _, e := range list {
			ok, err := match(e)
			if err != nil {
				return err
			}
			switch {
			case !ok:
				kept = append(kept, e)
			case subName != "":
				if m, isMap := e.(map[string]any); isMap {
					delete(m, subName)
				}
				kept = append(kept, e)
			}
		}
		setList(container, name, kept)
		return nil
	case scim.PatchOperationAdd, scim.PatchOperationReplace:
		n := 0
		for i, e := range list {
			ok, err := match(e)
			if err != nil {
				return err
			}
			if !ok {
				continue
			}
			n++
			if subName == "" {
				list[i] = deepCopy(value)
			} else if m, isMap := e.(map[string]any); isMap {
				m[subName] = value
			}
		}
		if n == 0 {
			// RFC 7644 §3.5.2.3: a replace whose filter matches nothing is noTarget. An add
			// (Entra's add emails[type eq "work"].value) creates the value the filter describes.
			el := elementFromFilter(def, expr)
			if op == scim.PatchOperationReplace || el == nil {
				return noTarget("%s matches no value", name)
			}
			if subName != "" {
				el[subName] = value
			} else if m, ok := value.(map[string]any); ok {
				for k, v := range m {
					el[k] = v
				}
			}
			list = append(list, el)
		}
		setList(container, name, list)
		return nil
	}
	return badValue("unknown operation %q", op)
}

// valueMatcher is the library's filter evaluator applied to one value of a multi-valued
// attribute: its sub-attributes for a complex one, {"value": v} for a simple one.
func valueMatcher(def schema.CoreAttribute, expr filter.Expression) (func(any) (bool, error), error) {
	v := scimfilter.NewFilterValidator(expr, schema.Schema{Attributes: scimfilter.MultiValuedFilterAttributes(def)})
	if err := v.Validate(); err != nil {
		return nil, badFilter("%v", err)
	}
	complexValues := def.AttributeType() == "complex"
	return func(e any) (ok bool, err error) {
		m, isMap := e.(map[string]any)
		if !complexValues {
			m, isMap = map[string]any{"value": e}, true
		}
		if !isMap {
			return false, nil
		}
		return passes(v, m)
	}, nil
}

// passes runs the library's evaluator, which panics on a value of an unexpected type.
func passes(v scimfilter.Validator, m map[string]any) (ok bool, err error) {
	defer func() {
		if r := recover(); r != nil {
			ok, err = false, badFilter("the filter cannot be evaluated: %v", r)
		}
	}()
	return v.PassesFilter(m) == nil, nil
}

// elementFromFilter is the value a filter of eq comparisons joined by "and" describes
// (type eq "work" → {"type": "work"}), nil for any other filter.
func elementFromFilter(def schema.CoreAttribute, expr filter.Expression) map[string]any {
	el := map[string]any{}
	var walk func(filter.Expression) bool
	walk = func(e filter.Expression) bool {
		switch e := e.(type) {
		case *filter.AttributeExpression:
			if e.Operator != filter.EQ || e.AttributePath.SubAttributeName() != "" {
				return false
			}
			sdef, ok := def.SubAttributes().ContainsAttribute(e.AttributePath.AttributeName)
			if !ok {
				return false
			}
			el[sdef.Name()] = e.CompareValue
			return true
		case *filter.LogicalExpression:
			return e.Operator == filter.AND && walk(e.Left) && walk(e.Right)
		}
		return false
	}
	if def.AttributeType() != "complex" || !walk(expr) {
		return nil
	}
	return el
}

// addValues adds values to a multi-valued attribute (RFC 7644 §3.5.2.1). A complex value whose
// "value" is already there is merged into the one present, not stored twice.
func addValues(def schema.CoreAttribute, list, add []any) []any {
	for _, v := range add {
		i := slices.IndexFunc(list, func(e any) bool { return sameValue(def, e, v) })
		if i < 0 {
			list = append(list, deepCopy(v))
			continue
		}
		if old, ok := list[i].(map[string]any); ok {
			if m, ok := v.(map[string]any); ok {
				for k, x := range m {
					old[k] = deepCopy(x)
				}
			}
		}
	}
	return list
}

// sameValue says whether two values of a multi-valued attribute are the same value: complex
// values by their "value" sub-attribute (compared as its caseExact says), others by equality.
func sameValue(def schema.CoreAttribute, a, b any) bool {
	if def.AttributeType() != "complex" {
		return a == b
	}
	ma, _ := a.(map[string]any)
	mb, _ := b.(map[string]any)
	va, okA := ma["value"].(string)
	vb, okB := mb["value"].(string)
	if !okA || !okB {
		return false
	}
	if sdef, ok := def.SubAttributes().ContainsAttribute("value"); ok && sdef.CaseExact() {
		return va == vb
	}
	return strings.EqualFold(va, vb)
}

func setOrDelete(m map[string]any, op, key string, value any) {
	if op == scim.PatchOperationRemove {
		delete(m, key)
		return
	}
	m[key] = value
}

// merge lays a complex value's sub-attributes over the ones present.
func merge(container map[string]any, name string, value any) {
	add, _ := value.(map[string]any)
	m, _ := container[name].(map[string]any)
	if m == nil {
		m = map[string]any{}
	}
	for k, v := range add {
		m[k] = deepCopy(v)
	}
	if len(m) == 0 {
		delete(container, name)
		return
	}
	container[name] = m
}

func setList(container map[string]any, name string, list []any) {
	if len(list) == 0 {
		delete(container, name) // unassigned and empty are the same state (RFC 7643 §2.5)
		return
	}
	container[name] = list
}

func asList(v any) []any {
	switch x := v.(type) {
	case nil:
		return nil
	case []any:
		return slices.Clone(x)
	}
	return []any{v}
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

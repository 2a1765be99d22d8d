package directory

import (
	"encoding/json"
	"net/http"
	"reflect"
	"strings"

	filter "github.com/scim2/filter-parser/v2"
)

// patchOp is one operation of a PatchOp request (RFC 7644 §3.5.2), with the
// op name lower-cased: Entra sends "Replace", and RFC 7644 §3.5.2 names the
// ops without saying their case matters, while Microsoft Learn asks servers
// not to require a case-sensitive match of op values.
type patchOp struct {
	op       string // add, remove, replace
	path     string
	value    any
	hasValue bool
}

// readPatch reads a PatchOp request; opCaseSensitive is the
// entra-op-case-sensitive fault, which refuses any op not written in lower case.
func readPatch(r *http.Request, opCaseSensitive bool) ([]patchOp, error) {
	var body struct {
		Schemas    []string `json:"schemas"`
		Operations []struct {
			Op    string          `json:"op"`
			Path  string          `json:"path"`
			Value json.RawMessage `json:"value"`
		} `json:"Operations"`
	}
	if err := readBody(r, &body); err != nil {
		return nil, err
	}
	if len(body.Operations) == 0 {
		return nil, badRequest(scimInvalidSyntax, "PatchOp request without Operations")
	}
	ops := make([]patchOp, 0, len(body.Operations))
	for i, o := range body.Operations {
		op := patchOp{op: strings.ToLower(strings.TrimSpace(o.Op)), path: strings.TrimSpace(o.Path)}
		if opCaseSensitive && op.op != strings.TrimSpace(o.Op) {
			return nil, badRequest(scimInvalidSyntax, "operation %d: unknown op %q (ops are add, remove, replace)", i, o.Op)
		}
		switch op.op {
		case "add", "remove", "replace":
		default:
			return nil, badRequest(scimInvalidSyntax, "operation %d: unknown op %q", i, o.Op)
		}
		if len(o.Value) > 0 {
			if err := json.Unmarshal(o.Value, &op.value); err != nil {
				return nil, badRequest(scimInvalidSyntax, "operation %d: bad value: %v", i, err)
			}
			op.hasValue = op.value != nil
		}
		if op.op != "remove" && !op.hasValue {
			return nil, badRequest(scimInvalidValue, "operation %d: %s needs a value", i, op.op)
		}
		if op.op == "remove" && op.path == "" {
			return nil, badRequest(scimNoTarget, "operation %d: remove needs a path", i)
		}
		ops = append(ops, op)
	}
	return ops, nil
}

// target is what a PATCH path (or a key of a pathless value map) designates.
type target struct {
	ext    *schemaDef // nil: a core attribute; set with def nil: the whole extension object
	def    *attrDef   // the top-level attribute
	expr   filter.Expression
	filter matcher // value filter on def's elements, if any
	sub    *attrDef
}

// key is the name under which the target's top-level attribute is stored.
func (t target) key() string {
	if t.def == nil {
		return t.ext.ID
	}
	return t.def.Name
}

// patcher applies PATCH operations to a working copy of a resource's
// attributes. special, if set, takes over targets it recognises (group
// members) and reports whether it did.
type patcher struct {
	rs      *resourceSchema
	attrs   map[string]any
	touched map[string]bool // top-level attribute names (or extension URNs) operated on
	special func(op patchOp, t target, value any) (bool, error)
}

func newPatcher(rs *resourceSchema, attrs map[string]any) *patcher {
	return &patcher{rs: rs, attrs: attrs, touched: map[string]bool{}}
}

func (p *patcher) apply(ops []patchOp) error {
	for _, op := range ops {
		if err := p.applyOne(op); err != nil {
			return err
		}
	}
	return nil
}

func (p *patcher) applyOne(op patchOp) error {
	if op.path == "" {
		m, ok := op.value.(map[string]any)
		if !ok {
			return badRequest(scimInvalidValue, "%s without a path needs an object value", op.op)
		}
		return p.applyPathless(op, m)
	}
	path, err := parsePath(op.path)
	if err != nil {
		return err
	}
	t, err := p.resolve(path)
	if err != nil {
		return err
	}
	return p.applyTarget(op, t, op.value)
}

// applyPathless applies each attribute of a pathless add/replace value map
// as if it had been given as the path. Read-only (e.g. the id that Okta puts
// in a group rename) and unknown attributes are ignored.
func (p *patcher) applyPathless(op patchOp, m map[string]any) error {
	for k, v := range m {
		if strings.EqualFold(k, "schemas") {
			continue
		}
		var t target
		switch {
		case strings.EqualFold(k, p.rs.core.ID):
			inner, ok := v.(map[string]any)
			if !ok {
				return badRequest(scimInvalidValue, "%s must be an object", k)
			}
			if err := p.applyPathless(op, inner); err != nil {
				return err
			}
			continue
		case p.rs.ext(k) != nil:
			t = target{ext: p.rs.ext(k)}
			if t.ext.ID == ExtensionSchema {
				continue
			}
		default:
			path, err := parsePath(k)
			if err != nil {
				continue // not an attribute name: ignore like any unknown attribute
			}
			if path.ValueExpression != nil {
				return badRequest(scimInvalidPath, "value filter %q as a key of a pathless value", k)
			}
			rt, err := p.resolve(path)
			if err != nil {
				var se *scimError
				if asSCIM(err, &se) && se.scimType == scimMutability {
					continue
				}
				if asSCIM(err, &se) && se.scimType == scimInvalidPath {
					continue
				}
				return err
			}
			t = rt
		}
		if err := p.applyTarget(op, t, v); err != nil {
			return err
		}
	}
	return nil
}

func asSCIM(err error, se **scimError) bool {
	e, ok := err.(*scimError)
	if ok {
		*se = e
	}
	return ok
}

// resolve maps a parsed path to its target, checking that it names a
// writable attribute.
func (p *patcher) resolve(path filter.Path) (target, error) {
	ap := path.AttributePath
	if ap.SubAttribute != nil && path.SubAttribute != nil {
		return target{}, badRequest(scimInvalidPath, "invalid path %s", path)
	}
	var t target
	attrs := p.rs.core.Attrs
	switch uri := ap.URI(); {
	case uri == "" || strings.EqualFold(uri, p.rs.core.ID):
	case p.rs.ext(uri) != nil:
		t.ext = p.rs.ext(uri)
		attrs = t.ext.Attrs
	case p.rs.ext(uri+":"+ap.AttributeName) != nil && ap.SubAttribute == nil && path.ValueExpression == nil:
		t.ext = p.rs.ext(uri + ":" + ap.AttributeName)
		if t.ext.ID == ExtensionSchema {
			return target{}, badRequest(scimMutability, "%s is read-only", t.ext.ID)
		}
		return t, nil
	default:
		return target{}, badRequest(scimInvalidPath, "unknown schema in path %s", path)
	}
	t.def = findAttr(attrs, ap.AttributeName)
	if t.def == nil {
		return target{}, badRequest(scimInvalidPath, "no attribute %q", path.String())
	}
	if t.def.readOnly() {
		return target{}, badRequest(scimMutability, "attribute %q is read-only", t.def.Name)
	}
	if t.def.mutability() == writeOnly {
		return target{}, badRequest(scimInvalidPath, "attribute %q is write-only and not stored", t.def.Name)
	}
	if path.ValueExpression != nil {
		if !t.def.Multi || t.def.Type != tComplex {
			return target{}, badRequest(scimInvalidPath, "value filter on %q, which is not multi-valued", t.def.Name)
		}
		m, err := elementScope(t.def).compile(path.ValueExpression)
		if err != nil {
			return target{}, err
		}
		t.expr, t.filter = path.ValueExpression, m
	}
	subName := ap.SubAttributeName()
	if subName == "" {
		subName = path.SubAttributeName()
	}
	if subName != "" {
		t.sub = t.def.sub(subName)
		if t.sub == nil || t.def.Type != tComplex {
			return target{}, badRequest(scimInvalidPath, "no attribute %q", path.String())
		}
		if t.sub.readOnly() {
			return target{}, badRequest(scimMutability, "attribute %q is read-only", path.String())
		}
	}
	return t, nil
}

// container returns the map holding the target's attribute, creating an
// extension object when create is set.
func (p *patcher) container(t target, create bool) map[string]any {
	if t.ext == nil || t.def == nil {
		return p.attrs
	}
	m, _ := p.attrs[t.ext.ID].(map[string]any)
	if m == nil && create {
		m = map[string]any{}
		p.attrs[t.ext.ID] = m
	}
	return m
}

func (p *patcher) applyTarget(op patchOp, t target, value any) error {
	p.touched[t.key()] = true
	if p.special != nil {
		if done, err := p.special(op, t, value); done || err != nil {
			return err
		}
	}
	if t.def == nil { // a whole extension object
		return p.applyExtension(op, t.ext, value)
	}
	if op.op != "remove" && value == nil {
		if op.op == "replace" { // replace with null unassigns
			op.op = "remove"
		} else {
			return badRequest(scimInvalidValue, "add to %q needs a value", t.def.Name)
		}
	}
	if op.op == "remove" && t.def.Required && t.ext == nil && t.sub == nil && t.filter == nil {
		// RFC 7644 §3.5.2.2: removing a required attribute is a mutability error.
		return badRequest(scimMutability, "attribute %q is required and cannot be removed", t.def.Name)
	}
	c := p.container(t, op.op != "remove")
	if c == nil {
		return nil // removing from an extension the resource does not have
	}
	var err error
	switch {
	case t.filter != nil:
		err = p.applyFiltered(op, t, c, value)
	case t.sub != nil:
		err = applySub(op, t, c, value)
	default:
		err = applyWhole(op, t, c, value)
	}
	if err != nil {
		return err
	}
	setOrDelete(c, t.def.Name, c[t.def.Name])
	if t.ext != nil {
		setOrDelete(p.attrs, t.ext.ID, p.attrs[t.ext.ID])
	}
	return nil
}

func (p *patcher) applyExtension(op patchOp, ext *schemaDef, value any) error {
	if op.op == "remove" {
		delete(p.attrs, ext.ID)
		return nil
	}
	nv, err := normalizeSingle(&attrDef{Name: ext.ID, Type: tComplex, Sub: ext.Attrs}, value)
	if err != nil {
		return err
	}
	cur, _ := p.attrs[ext.ID].(map[string]any)
	setOrDelete(p.attrs, ext.ID, mergeMaps(cur, nv.(map[string]any)))
	return nil
}

// applyWhole handles a path naming a whole attribute.
func applyWhole(op patchOp, t target, c map[string]any, value any) error {
	def := t.def
	cur := c[def.Name]
	switch op.op {
	case "remove":
		if def.Multi && value != nil {
			// Remove the listed values only (a shape some clients send).
			drop, err := normalizeValue(def, asList(value))
			if err != nil {
				return err
			}
			list, _ := cur.([]any)
			kept := list[:0:0]
			for _, e := range list {
				if !containsValue(drop.([]any), e) {
					kept = append(kept, e)
				}
			}
			c[def.Name] = kept
			return nil
		}
		delete(c, def.Name)
		return nil
	case "add":
		if def.Multi {
			add, err := normalizeValue(def, asList(value))
			if err != nil {
				return err
			}
			list, _ := cur.([]any)
			list = append([]any(nil), list...)
			var fresh []int
			for _, e := range add.([]any) {
				if !containsValue(list, e) {
					list = append(list, e)
					fresh = append(fresh, len(list)-1)
				}
			}
			c[def.Name] = onePrimary(list, fresh)
			return nil
		}
	case "replace":
		if def.Multi {
			nv, err := normalizeValue(def, asList(value))
			if err != nil {
				return err
			}
			c[def.Name] = onePrimary(nv.([]any), nil)
			return nil
		}
	}
	nv, err := normalizeSingle(def, value)
	if err != nil {
		return err
	}
	if def.Type == tComplex {
		// RFC 7644 §3.5.2.1/3: sub-attributes not given are left unchanged.
		curMap, _ := cur.(map[string]any)
		nv = mergeMaps(curMap, nv.(map[string]any))
	}
	c[def.Name] = nv
	return nil
}

// applySub handles "name.givenName" and, on multi-valued attributes, a
// sub-attribute of every value ("emails.type").
func applySub(op patchOp, t target, c map[string]any, value any) error {
	var nv any
	if op.op != "remove" {
		var err error
		if nv, err = normalizeSingle(t.sub, value); err != nil {
			return err
		}
	}
	set := func(m map[string]any) {
		if op.op == "remove" {
			delete(m, t.sub.Name)
		} else {
			m[t.sub.Name] = nv
		}
	}
	if !t.def.Multi {
		m, _ := c[t.def.Name].(map[string]any)
		if m == nil {
			if op.op == "remove" {
				return nil
			}
			m = map[string]any{}
		}
		set(m)
		c[t.def.Name] = m
		return nil
	}
	list, _ := c[t.def.Name].([]any)
	if len(list) == 0 && op.op != "remove" {
		return badRequest(scimNoTarget, "%s has no values to set %s on", t.def.Name, t.sub.Name)
	}
	for _, e := range list {
		if m, ok := e.(map[string]any); ok {
			set(m)
		}
	}
	c[t.def.Name] = dropEmpty(list)
	return nil
}

// applyFiltered handles value paths: emails[type eq "work"] and
// emails[type eq "work"].value.
func (p *patcher) applyFiltered(op patchOp, t target, c map[string]any, value any) error {
	list, _ := c[t.def.Name].([]any)
	list = append([]any(nil), list...)
	var hits []int
	for i, e := range list {
		if m, ok := e.(map[string]any); ok && t.filter(mapNode(m)) {
			hits = append(hits, i)
		}
	}
	if op.op == "remove" {
		// A filter that matches nothing removes nothing and is no error:
		// RFC 7644 §3.5.2.2 gives noTarget only for a remove without a path.
		// That is also what Okta relies on when it removes a member that has
		// already left the group.
		if t.sub == nil {
			kept := list[:0]
			for i, e := range list {
				if !containsInt(hits, i) {
					kept = append(kept, e)
				}
			}
			c[t.def.Name] = kept
			return nil
		}
		for _, i := range hits {
			delete(list[i].(map[string]any), t.sub.Name)
		}
		c[t.def.Name] = dropEmpty(list)
		return nil
	}
	var nv any
	var err error
	if t.sub != nil {
		nv, err = normalizeSingle(t.sub, value)
	} else {
		nv, err = normalizeSingle(t.def, value)
	}
	if err != nil {
		return err
	}
	if len(hits) == 0 {
		// RFC 7644 §3.5.2.3: a replace whose value filter matches no value
		// fails with noTarget. An add has no such rule; §3.5.2.1 adds a
		// target that does not exist, so add creates the value the filter
		// describes (add emails[type eq "work"].value); only plain eq terms
		// can. (A remove that matches nothing is no error either: §3.5.2.2
		// names noTarget only for a missing path; see the remove branch.)
		if op.op == "replace" {
			return badRequest(scimNoTarget, "no value of %q matches %s", t.def.Name, op.path)
		}
		elem, ok := eqTerms(t.expr, t.def.Sub)
		if !ok {
			return badRequest(scimNoTarget, "no value of %q matches %s", t.def.Name, op.path)
		}
		if t.sub != nil {
			elem[t.sub.Name] = nv
		} else {
			elem = mergeMaps(elem, nv.(map[string]any))
		}
		list = append(list, elem)
		c[t.def.Name] = onePrimary(list, []int{len(list) - 1})
		return nil
	}
	for _, i := range hits {
		m := list[i].(map[string]any)
		switch {
		case t.sub != nil:
			m = mergeMaps(m, map[string]any{t.sub.Name: nv})
		case op.op == "add":
			m = mergeMaps(m, nv.(map[string]any))
		default:
			m = nv.(map[string]any)
		}
		list[i] = m
	}
	c[t.def.Name] = onePrimary(dropEmpty(list), hits)
	return nil
}

func asList(v any) []any {
	if l, ok := v.([]any); ok {
		return l
	}
	return []any{v}
}

func containsValue(list []any, v any) bool {
	for _, e := range list {
		if reflect.DeepEqual(e, v) {
			return true
		}
	}
	return false
}

func containsInt(s []int, x int) bool {
	for _, v := range s {
		if v == x {
			return true
		}
	}
	return false
}

func dropEmpty(list []any) []any {
	out := list[:0]
	for _, e := range list {
		if !isEmptyValue(e) {
			out = append(out, e)
		}
	}
	return out
}

// onePrimary keeps "primary": true on at most one value (RFC 7643 §2.4):
// a value just written (index in fresh) wins, otherwise the first flagged.
func onePrimary(list []any, fresh []int) []any {
	winner := -1
	for _, i := range fresh {
		if i < len(list) && isPrimary(list[i]) {
			winner = i
		}
	}
	if winner < 0 {
		for i, e := range list {
			if isPrimary(e) {
				winner = i
				break
			}
		}
	}
	for i, e := range list {
		if i != winner && isPrimary(e) {
			m := mergeMaps(e.(map[string]any), nil)
			m["primary"] = false
			list[i] = m
		}
	}
	return list
}

func isPrimary(v any) bool {
	m, ok := v.(map[string]any)
	return ok && m["primary"] == true
}

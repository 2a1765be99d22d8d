// Package xsd validates XML documents against the small subset of XML Schema that a JUnit schema
// uses: global and local elements (name, ref, type, minOccurs, maxOccurs), named and inline
// complex types with sequence and choice content, mixed and simple content, attributes with
// use="required", and simple types restricted by patterns. Anything else in a schema is an error,
// so a schema never validates less than it says.
//
// It exists because Go has no XML Schema validator without cgo and libxml2; the JUnit tests use
// it so that the committed schema, not a hand-copied list of rules, is what the output is held
// to (xmllint checks the same file where it is installed).
package xsd

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
)

const xsNS = "http://www.w3.org/2001/XMLSchema"

// node is a parsed XML element with its line, attributes, children and text.
type node struct {
	name     string
	line     int
	attrs    []xml.Attr
	children []*node
	text     strings.Builder
}

func (n *node) attr(name string) (string, bool) {
	for _, a := range n.attrs {
		if a.Name.Local == name && a.Name.Space == "" {
			return a.Value, true
		}
	}
	return "", false
}

// parse reads a whole document into a tree; the root is returned.
func parse(r io.Reader) (*node, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, err
	}
	dec := xml.NewDecoder(bytes.NewReader(data))
	var stack []*node
	var root *node
	for {
		line, _ := dec.InputPos()
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			n := &node{name: t.Name.Local, line: line, attrs: t.Attr}
			if t.Name.Space == xsNS {
				n.name = "xs:" + t.Name.Local
			}
			if len(stack) > 0 {
				p := stack[len(stack)-1]
				p.children = append(p.children, n)
			} else if root == nil {
				root = n
			}
			stack = append(stack, n)
		case xml.EndElement:
			stack = stack[:len(stack)-1]
		case xml.CharData:
			if len(stack) > 0 {
				stack[len(stack)-1].text.Write(t)
			}
		}
	}
	if root == nil {
		return nil, errors.New("no root element")
	}
	return root, nil
}

// Schema is a compiled schema.
type Schema struct {
	elements map[string]*element
	complex  map[string]*complexType
	simple   map[string]*simpleType
}

type element struct {
	name     string
	typeName string       // a named type, or "" with inline
	inline   *complexType // an anonymous complex type
}

type particle struct {
	elem     *element // set for an element particle (refs resolved at validation)
	ref      string
	seq      []*particle
	choice   []*particle
	min, max int // max < 0: unbounded
}

type attribute struct {
	name, typeName string
	required       bool
}

type complexType struct {
	mixed         bool
	simpleContent bool // text only, no child elements
	content       *particle
	attrs         []attribute
}

type simpleType struct {
	patterns []*regexp.Regexp
}

// Compile reads a schema.
func Compile(r io.Reader) (*Schema, error) {
	root, err := parse(r)
	if err != nil {
		return nil, fmt.Errorf("xsd: %w", err)
	}
	if root.name != "xs:schema" {
		return nil, fmt.Errorf("xsd: root is <%s>, want xs:schema", root.name)
	}
	s := &Schema{elements: map[string]*element{}, complex: map[string]*complexType{}, simple: map[string]*simpleType{}}
	for _, c := range root.children {
		name, _ := c.attr("name")
		switch c.name {
		case "xs:element":
			e, err := s.element(c)
			if err != nil {
				return nil, err
			}
			s.elements[e.name] = e
		case "xs:complexType":
			ct, err := s.complexType(c)
			if err != nil {
				return nil, err
			}
			s.complex[name] = ct
		case "xs:simpleType":
			st, err := simpleTypeOf(c)
			if err != nil {
				return nil, err
			}
			s.simple[name] = st
		default:
			return nil, unsupported(c)
		}
	}
	return s, nil
}

func unsupported(n *node) error {
	return fmt.Errorf("xsd: line %d: <%s> is not supported by this validator", n.line, n.name)
}

func (s *Schema) element(n *node) (*element, error) {
	e := &element{}
	e.name, _ = n.attr("name")
	e.typeName, _ = n.attr("type")
	for _, c := range n.children {
		if c.name != "xs:complexType" {
			return nil, unsupported(c)
		}
		ct, err := s.complexType(c)
		if err != nil {
			return nil, err
		}
		e.inline = ct
	}
	if e.name == "" {
		return nil, fmt.Errorf("xsd: line %d: element without a name", n.line)
	}
	return e, nil
}

func (s *Schema) complexType(n *node) (*complexType, error) {
	ct := &complexType{}
	if m, _ := n.attr("mixed"); m == "true" {
		ct.mixed = true
	}
	for _, c := range n.children {
		switch c.name {
		case "xs:sequence", "xs:choice":
			p, err := s.particle(c)
			if err != nil {
				return nil, err
			}
			ct.content = p
		case "xs:attribute":
			a, err := attributeOf(c)
			if err != nil {
				return nil, err
			}
			ct.attrs = append(ct.attrs, a)
		case "xs:simpleContent":
			ct.simpleContent = true
			if len(c.children) != 1 || c.children[0].name != "xs:extension" {
				return nil, unsupported(c)
			}
			ext := c.children[0]
			if base, _ := ext.attr("base"); base != "xs:string" {
				return nil, fmt.Errorf("xsd: line %d: simpleContent extends %q; only xs:string is supported", ext.line, base)
			}
			for _, a := range ext.children {
				if a.name != "xs:attribute" {
					return nil, unsupported(a)
				}
				at, err := attributeOf(a)
				if err != nil {
					return nil, err
				}
				ct.attrs = append(ct.attrs, at)
			}
		default:
			return nil, unsupported(c)
		}
	}
	return ct, nil
}

func (s *Schema) particle(n *node) (*particle, error) {
	p := &particle{min: 1, max: 1}
	var err error
	if v, ok := n.attr("minOccurs"); ok {
		if p.min, err = strconv.Atoi(v); err != nil {
			return nil, fmt.Errorf("xsd: line %d: minOccurs %q", n.line, v)
		}
	}
	if v, ok := n.attr("maxOccurs"); ok {
		if v == "unbounded" {
			p.max = -1
		} else if p.max, err = strconv.Atoi(v); err != nil {
			return nil, fmt.Errorf("xsd: line %d: maxOccurs %q", n.line, v)
		}
	}
	switch n.name {
	case "xs:element":
		if ref, ok := n.attr("ref"); ok {
			p.ref = ref
			return p, nil
		}
		if p.elem, err = s.element(n); err != nil {
			return nil, err
		}
	case "xs:sequence", "xs:choice":
		for _, c := range n.children {
			cp, err := s.particle(c)
			if err != nil {
				return nil, err
			}
			if n.name == "xs:sequence" {
				p.seq = append(p.seq, cp)
			} else {
				p.choice = append(p.choice, cp)
			}
		}
	default:
		return nil, unsupported(n)
	}
	return p, nil
}

func attributeOf(n *node) (attribute, error) {
	a := attribute{}
	a.name, _ = n.attr("name")
	a.typeName, _ = n.attr("type")
	use, _ := n.attr("use")
	a.required = use == "required"
	if a.name == "" || len(n.children) > 0 {
		return a, unsupported(n)
	}
	return a, nil
}

func simpleTypeOf(n *node) (*simpleType, error) {
	if len(n.children) != 1 || n.children[0].name != "xs:restriction" {
		return nil, unsupported(n)
	}
	r := n.children[0]
	if base, _ := r.attr("base"); base != "xs:string" {
		return nil, fmt.Errorf("xsd: line %d: restriction of %q; only xs:string is supported", r.line, base)
	}
	st := &simpleType{}
	for _, f := range r.children {
		if f.name != "xs:pattern" {
			return nil, unsupported(f)
		}
		v, _ := f.attr("value")
		// XML Schema patterns are anchored at both ends; the subset used here is RE2 syntax.
		re, err := regexp.Compile(`^(?:` + v + `)$`)
		if err != nil {
			return nil, fmt.Errorf("xsd: line %d: pattern %q: %w", f.line, v, err)
		}
		st.patterns = append(st.patterns, re)
	}
	return st, nil
}

// Validate checks a document against the schema and returns every violation found, each with
// the document's line.
func (s *Schema) Validate(r io.Reader) []error {
	root, err := parse(r)
	if err != nil {
		return []error{err}
	}
	decl, ok := s.elements[root.name]
	if !ok {
		return []error{fmt.Errorf("line %d: root <%s> is not declared by the schema", root.line, root.name)}
	}
	var errs []error
	s.validate(root, decl, &errs)
	return errs
}

func (s *Schema) validate(n *node, decl *element, errs *[]error) {
	fail := func(format string, args ...any) {
		*errs = append(*errs, fmt.Errorf("line %d: <%s>: %s", n.line, n.name, fmt.Sprintf(format, args...)))
	}
	ct := decl.inline
	if ct == nil {
		switch decl.typeName {
		case "xs:string", "":
			if len(n.attrs) > 0 {
				fail("attribute %q is not allowed", n.attrs[0].Name.Local)
			}
			if len(n.children) > 0 {
				fail("child <%s> is not allowed in text-only element", n.children[0].name)
			}
			return
		}
		ct = s.complex[decl.typeName]
		if ct == nil {
			fail("type %q is not defined by the schema", decl.typeName)
			return
		}
	}
	s.validateAttrs(n, ct, fail)
	if ct.simpleContent {
		if len(n.children) > 0 {
			fail("child <%s> is not allowed in text-only element", n.children[0].name)
		}
		return
	}
	if !ct.mixed && strings.TrimSpace(n.text.String()) != "" {
		fail("text is not allowed here")
	}
	decls := map[string]*element{}
	var re strings.Builder
	if ct.content != nil {
		s.pattern(ct.content, &re, decls)
	}
	var names strings.Builder
	for _, c := range n.children {
		names.WriteString("<" + c.name + ">")
	}
	model := regexp.MustCompile("^(?:" + re.String() + ")$")
	if !model.MatchString(names.String()) {
		fail("children %s do not match the content model %s", orNone(names.String()), orNone(re.String()))
	}
	for _, c := range n.children {
		if d, ok := decls[c.name]; ok {
			s.validate(c, d, errs)
		}
	}
}

func orNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}

func (s *Schema) validateAttrs(n *node, ct *complexType, fail func(string, ...any)) {
	declared := map[string]attribute{}
	for _, a := range ct.attrs {
		declared[a.name] = a
		if _, ok := n.attr(a.name); a.required && !ok {
			fail("required attribute %q is missing", a.name)
		}
	}
	for _, a := range n.attrs {
		if a.Name.Space == "xmlns" || a.Name.Local == "xmlns" {
			continue
		}
		d, ok := declared[a.Name.Local]
		if !ok || a.Name.Space != "" {
			fail("attribute %q is not allowed", a.Name.Local)
			continue
		}
		if st := s.simple[d.typeName]; st != nil {
			for _, p := range st.patterns {
				if !p.MatchString(a.Value) {
					fail("attribute %s=%q does not match the pattern of type %s", d.name, a.Value, d.typeName)
				}
			}
		} else if d.typeName != "xs:string" && d.typeName != "" {
			fail("attribute type %q is not defined by the schema", d.typeName)
		}
	}
}

// pattern writes the particle as a regular expression over the child names, each as "<name>",
// and records which declaration each child name has.
func (s *Schema) pattern(p *particle, b *strings.Builder, decls map[string]*element) {
	b.WriteString("(?:")
	switch {
	case p.elem != nil || p.ref != "":
		e := p.elem
		if e == nil {
			e = s.elements[p.ref]
			if e == nil {
				e = &element{name: p.ref, typeName: "undefined:" + p.ref}
			}
		}
		decls[e.name] = e
		b.WriteString(regexp.QuoteMeta("<" + e.name + ">"))
	case p.seq != nil:
		for _, c := range p.seq {
			s.pattern(c, b, decls)
		}
	case p.choice != nil:
		for i, c := range p.choice {
			if i > 0 {
				b.WriteByte('|')
			}
			s.pattern(c, b, decls)
		}
	}
	b.WriteByte(')')
	switch {
	case p.min == 1 && p.max == 1:
	case p.max < 0:
		fmt.Fprintf(b, "{%d,}", p.min)
	default:
		fmt.Fprintf(b, "{%d,%d}", p.min, p.max)
	}
}

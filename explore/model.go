package explore

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/scimreplay/scimreplay/harness/scenario"
)

// User is one user of a generated org. Its userName is its email; an unmanaged user's domain
// is not a verified one.
type User struct {
	Key         string // u1, u2, …
	UserName    string
	GivenName   string
	FamilyName  string
	SecondEmail string // "" when the user has one email only
	Unmanaged   bool
}

// Emails is how many emails Okta pushes for the user: 1, or 2 with its second email.
func (u User) Emails() int {
	if u.SecondEmail != "" {
		return 2
	}
	return 1
}

// Group is one pushed group of a generated org; Members are indexes into Org.Users.
type Group struct {
	Key         string
	DisplayName string
	Members     []int
}

// Org is the identity provider's side of a run: small, with managed and unmanaged users and
// groups whose members overlap.
type Org struct {
	Users  []User
	Groups []Group
}

// Unmanaged counts the org's unmanaged users.
func (o *Org) Unmanaged() int {
	n := 0
	for _, u := range o.Users {
		if u.Unmanaged {
			n++
		}
	}
	return n
}

// Push is one no-op push a generator drew: the scenario steps that send it (forceSync steps,
// with {{templates}} for the ids the target assigns) and what makes it what it is.
type Push struct {
	Generator  string   // the generator's name
	Target     string   // what it pushes, in words: "ada (u1)", "group jira-users"
	Shape      string   // the request shape: "GET + PUT", "PATCH, path form"…
	Variations []string // the no-op variations drawn, in words
	// Repeated sends the push twice in a row (a retried or repeated Force Sync).
	Repeated bool
	// Steps are the forceSync steps of one sending; Requests how many requests they send.
	Steps    []*yaml.Node
	Requests int
}

// requests is what the push sends, its repetition included.
func (p Push) requests() int {
	if p.Repeated {
		return 2 * p.Requests
	}
	return p.Requests
}

// Describe is the push in words, as its comment in the scenario file says it.
func (p Push) Describe() string {
	s := p.Generator + " " + p.Target
	if p.Shape != "" {
		s += " (" + p.Shape + ")"
	}
	vs := p.Variations
	if p.Repeated {
		vs = append(append([]string(nil), vs...), "sent twice")
	}
	if len(vs) > 0 {
		s += ": " + strings.Join(vs, "; ")
	}
	return s
}

// Case is one generated run: an org and the no-op pushes sent to it after the IdP's
// provisioning, in one of the dialect's variants ("" when it has none).
type Case struct {
	Org     Org
	Pushes  []Push
	Variant string
}

// Requests counts the requests the pushes send (provisioning and snapshots not included).
func (c *Case) Requests() int {
	n := 0
	for _, p := range c.Pushes {
		n += p.requests()
	}
	return n
}

// Size says how large the case is, in words: "3 users (1 unmanaged), 2 groups, 4 pushes (11 requests)".
func (c *Case) Size() string {
	return fmt.Sprintf("%s (%d unmanaged), %s, %s (%s)", plural(len(c.Org.Users), "user"), c.Org.Unmanaged(),
		plural(len(c.Org.Groups), "group"), plural(len(c.Pushes), "push"), plural(c.Requests(), "request"))
}

// Generators are the names of the generators the case's pushes come from, each once, in order.
func (c *Case) Generators() []string {
	var out []string
	for _, p := range c.Pushes {
		if !contains(out, p.Generator) {
			out = append(out, p.Generator)
		}
	}
	return out
}

func contains(xs []string, x string) bool {
	for _, y := range xs {
		if x == y {
			return true
		}
	}
	return false
}

func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	if strings.HasSuffix(what, "sh") {
		return strconv.Itoa(n) + " " + what + "es"
	}
	return strconv.Itoa(n) + " " + what + "s"
}

// Meta is what a scenario file says of itself besides its org and traffic.
type Meta struct {
	Comment     string // the file's first lines, as a YAML comment
	Name        string
	Title       string
	Description string
	Source      string
	Labels      []string
}

// Scenario renders the case as a version-1 scenario file (scenarios/README.md): the org, the
// dialect's provisioning, and each push as forceSync steps under a comment that names its
// generator and variations. scenario.Parse reads it back; explore replays exactly what it parsed.
func (c *Case) Scenario(d *Dialect, m Meta) ([]byte, error) {
	// The long texts are folded blocks wrapped here (the YAML encoder would write each on one
	// line); the rest is encoded.
	var b bytes.Buffer
	for _, line := range strings.Split(m.Comment, "\n") {
		if line != "" {
			b.WriteString("# " + line + "\n")
		}
	}
	doc := mapping("version", scenario.Version, "name", m.Name)
	if m.Title != "" {
		add(doc, "title", m.Title)
	}
	if err := encode(&b, doc); err != nil {
		return nil, err
	}
	if m.Description != "" {
		writeFolded(&b, "description", m.Description)
	}
	writeFolded(&b, "source", m.Source)
	doc = mapping("idp", d.Name) // whose traffic it is: the gate replays it as that IdP
	if c.Variant != "" && d.Pin != nil {
		add(doc, d.Name, d.Pin(c.Variant)) // the run's variant, whatever the gate's flags say
	}
	if len(m.Labels) > 0 {
		add(doc, "labels", flowList(m.Labels...))
	}
	add(doc, "org", c.orgNode())
	add(doc, "provision", seq(d.Provision()...))
	var steps []*yaml.Node
	for i, p := range c.Pushes {
		for rep := 0; rep < 1+btoi(p.Repeated); rep++ {
			for j, st := range p.Steps {
				n := *st // a shallow copy: the first one of each push carries its comment
				n.HeadComment = ""
				if j == 0 && rep == 0 {
					n.HeadComment = fmt.Sprintf("push %d of %d: %s", i+1, len(c.Pushes), p.Describe())
				} else if j == 0 {
					n.HeadComment = fmt.Sprintf("push %d again", i+1)
				}
				steps = append(steps, &n)
			}
		}
	}
	add(doc, "forceSync", seq(steps...))
	if err := encode(&b, doc); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

func encode(b *bytes.Buffer, doc *yaml.Node) error {
	enc := yaml.NewEncoder(b)
	enc.SetIndent(2)
	if err := enc.Encode(doc); err != nil {
		return fmt.Errorf("render the scenario: %w", err)
	}
	if err := enc.Close(); err != nil {
		return fmt.Errorf("render the scenario: %w", err)
	}
	return nil
}

// writeFolded writes `key: >-` and the text (one paragraph, no line breaks) wrapped at 100
// columns, as the catalogue's files are.
func writeFolded(b *bytes.Buffer, key, text string) {
	b.WriteString(key + ": >-\n")
	line := ""
	for _, w := range strings.Fields(text) {
		if line != "" && len(line)+1+len(w) > 98 {
			b.WriteString("  " + line + "\n")
			line = ""
		}
		if line != "" {
			line += " "
		}
		line += w
	}
	b.WriteString("  " + line + "\n")
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

func (c *Case) orgNode() *yaml.Node {
	users := seq()
	for _, u := range c.Org.Users {
		n := mapping("key", u.Key, "userName", u.UserName, "givenName", u.GivenName, "familyName", u.FamilyName)
		if u.SecondEmail != "" {
			add(n, "secondEmail", u.SecondEmail)
		}
		users.Content = append(users.Content, flow(n))
	}
	org := mapping("users", users)
	if len(c.Org.Groups) > 0 {
		groups := seq()
		for _, g := range c.Org.Groups {
			members := &yaml.Node{Kind: yaml.SequenceNode, Style: yaml.FlowStyle}
			for _, i := range g.Members {
				members.Content = append(members.Content, str(c.Org.Users[i].Key))
			}
			groups.Content = append(groups.Content, flow(mapping("key", g.Key, "displayName", g.DisplayName, "members", members)))
		}
		add(org, "groups", groups)
	}
	return org
}

// YAML node builders: the scenario's keys in the order a reader expects, leaf mappings in flow
// style as the catalogue writes them.

// mapping builds a mapping of key, value pairs; a value is a string, an int, a bool, a node or
// a list of nodes.
func mapping(kv ...any) *yaml.Node {
	n := &yaml.Node{Kind: yaml.MappingNode}
	for i := 0; i+1 < len(kv); i += 2 {
		add(n, kv[i].(string), kv[i+1])
	}
	return n
}

func add(n *yaml.Node, key string, v any) {
	n.Content = append(n.Content, str(key), value(v))
}

func value(v any) *yaml.Node {
	switch x := v.(type) {
	case *yaml.Node:
		return x
	case []*yaml.Node:
		return seq(x...)
	case string:
		return str(x)
	case int:
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!int", Value: strconv.Itoa(x)}
	case bool:
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!bool", Value: strconv.FormatBool(x)}
	case []int:
		l := &yaml.Node{Kind: yaml.SequenceNode, Style: yaml.FlowStyle}
		for _, i := range x {
			l.Content = append(l.Content, value(i))
		}
		return l
	}
	panic(fmt.Sprintf("explore: no YAML for %T", v))
}

func str(s string) *yaml.Node {
	n := &yaml.Node{}
	n.SetString(s)
	return n
}

func seq(items ...*yaml.Node) *yaml.Node {
	return &yaml.Node{Kind: yaml.SequenceNode, Content: items}
}

// flow writes a node on one line: {a: b, c: d}.
func flow(n *yaml.Node) *yaml.Node {
	n.Style = yaml.FlowStyle
	return n
}

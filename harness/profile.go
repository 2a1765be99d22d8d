package harness

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// ProfileVersion is the target profile format version this package reads.
const ProfileVersion = 1

// ProfileError is a problem in a target profile, placed at file:line:column.
type ProfileError struct {
	File      string
	Line, Col int
	Msg       string
}

func (e *ProfileError) Error() string {
	if e.Line == 0 {
		return e.File + ": " + e.Msg
	}
	return fmt.Sprintf("%s:%d:%d: %s", e.File, e.Line, e.Col, e.Msg)
}

// LoadProfile reads a target profile: the settings of the --target-* flags as YAML, meant to be
// checked into the target's own repository. A relative dockerfile is taken from the profile's
// directory. Unknown keys, repeated keys and bad values are errors placed at file:line:column,
// all of them reported at once. Whether the profile names exactly one of image, dockerfile and
// url is left to the caller, since flags may give the source.
func LoadProfile(file string) (TargetSpec, error) {
	b, err := os.ReadFile(file)
	if err != nil {
		return TargetSpec{}, fmt.Errorf("read target profile: %w", err)
	}
	return ParseProfile(file, b)
}

// ParseProfile checks a profile document; file is used for positions and relative paths.
func ParseProfile(file string, data []byte) (TargetSpec, error) {
	p := &profileParser{file: file}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return TargetSpec{}, &ProfileError{File: file, Line: 1, Col: 1, Msg: "empty target profile"}
		}
		return TargetSpec{}, p.yamlError(err)
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); err == nil {
		return TargetSpec{}, &ProfileError{File: file, Line: extra.Line, Col: extra.Column, Msg: "a target profile is one YAML document; remove the second one"}
	}
	root := &doc
	if root.Kind == yaml.DocumentNode && len(root.Content) > 0 {
		root = root.Content[0]
	}
	spec := p.spec(root)
	if len(p.errs) > 0 {
		return TargetSpec{}, errors.Join(p.errs...)
	}
	return spec, nil
}

type profileParser struct {
	file string
	errs []error
}

func (p *profileParser) errf(n *yaml.Node, format string, args ...any) {
	p.errs = append(p.errs, &ProfileError{File: p.file, Line: n.Line, Col: n.Column, Msg: fmt.Sprintf(format, args...)})
}

var yamlErrLineRE = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

func (p *profileParser) yamlError(err error) error {
	msg := err.Error()
	if m := yamlErrLineRE.FindStringSubmatch(msg); m != nil {
		var line int
		fmt.Sscan(m[1], &line)
		return &ProfileError{File: p.file, Line: line, Col: 1, Msg: "invalid YAML: " + m[2]}
	}
	return &ProfileError{File: p.file, Line: 1, Col: 1, Msg: "invalid YAML: " + strings.TrimPrefix(msg, "yaml: ")}
}

// mapping hands each value of a mapping node to the handler of its key; unknown and repeated
// keys are errors naming the known ones.
func (p *profileParser) mapping(n *yaml.Node, what string, handlers map[string]func(*yaml.Node)) {
	if n.Kind != yaml.MappingNode {
		p.errf(n, "%s must be a mapping of keys to values", what)
		return
	}
	known := make([]string, 0, len(handlers))
	for k := range handlers {
		known = append(known, k)
	}
	sort.Strings(known)
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		h, ok := handlers[k.Value]
		switch {
		case !ok:
			p.errf(k, "unknown key %q in %s (known keys: %s)", k.Value, what, strings.Join(known, ", "))
		case seen[k.Value]:
			p.errf(k, "key %q is given twice in %s", k.Value, what)
		default:
			seen[k.Value] = true
			h(v)
		}
	}
}

// str decodes a scalar string; ok is false (and an error recorded) otherwise.
func (p *profileParser) str(n *yaml.Node, key string) (string, bool) {
	if n.Kind != yaml.ScalarNode || n.Tag == "!!null" {
		p.errf(n, "%s must be a string", key)
		return "", false
	}
	return n.Value, true
}

// nonEmpty is str that also refuses blanks and whitespace inside.
func (p *profileParser) nonEmpty(n *yaml.Node, key string) (string, bool) {
	s, ok := p.str(n, key)
	if !ok {
		return "", false
	}
	if s == "" || strings.ContainsAny(s, " \t\r\n") {
		p.errf(n, "%s must be a non-empty value without spaces, not %q", key, s)
		return "", false
	}
	return s, true
}

// path decodes an HTTP path of the target, which must start with /.
func (p *profileParser) path(n *yaml.Node, key string) (string, bool) {
	s, ok := p.nonEmpty(n, key)
	if ok && !strings.HasPrefix(s, "/") {
		p.errf(n, "%s must be a path starting with /, not %q", key, s)
		return "", false
	}
	return s, ok
}

func (p *profileParser) list(n *yaml.Node, key string) []string {
	if n.Kind != yaml.SequenceNode {
		p.errf(n, "%s must be a list of strings, e.g. [--addr, \":8080\"]", key)
		return nil
	}
	out := make([]string, 0, len(n.Content))
	for _, c := range n.Content {
		if s, ok := p.str(c, key+" item"); ok {
			out = append(out, s)
		}
	}
	return out
}

func (p *profileParser) spec(root *yaml.Node) TargetSpec {
	var s TargetSpec
	var sources []*yaml.Node
	var basePathNode *yaml.Node
	source := func(dst *string, key string) func(*yaml.Node) {
		return func(n *yaml.Node) {
			if v, ok := p.nonEmpty(n, key); ok {
				*dst = v
				sources = append(sources, n)
			}
		}
	}
	p.mapping(root, "the target profile", map[string]func(*yaml.Node){
		"version": func(n *yaml.Node) {
			var v int
			if n.Kind != yaml.ScalarNode || n.Decode(&v) != nil || v != ProfileVersion {
				p.errf(n, "version must be %d, not %q", ProfileVersion, n.Value)
			}
		},
		"name":  func(n *yaml.Node) { s.Name, _ = p.str(n, "name") },
		"image": source(&s.Image, "image"),
		"dockerfile": func(n *yaml.Node) {
			dir, ok := p.nonEmpty(n, "dockerfile")
			if !ok {
				return
			}
			if !filepath.IsAbs(dir) {
				dir = filepath.Join(filepath.Dir(p.file), dir)
			}
			if st, err := os.Stat(filepath.Join(dir, "Dockerfile")); err != nil || st.IsDir() {
				p.errf(n, "dockerfile: %s holds no Dockerfile (a relative path is taken from the profile's directory)", dir)
				return
			}
			s.Dockerfile = dir
			sources = append(sources, n)
		},
		"imageTag": func(n *yaml.Node) {
			if v, ok := p.nonEmpty(n, "imageTag"); ok {
				if strings.ToLower(v) != v || strings.Count(v, ":") > 1 {
					p.errf(n, "imageTag must be a lower-case repo:tag, not %q", v)
					return
				}
				s.ImageTag = v
			}
		},
		"url": func(n *yaml.Node) {
			v, ok := p.nonEmpty(n, "url")
			if !ok {
				return
			}
			if err := checkURL(v); err != nil {
				p.errf(n, "url: %v", err)
				return
			}
			s.URL = v
			sources = append(sources, n)
		},
		"port": func(n *yaml.Node) {
			var v int
			if n.Kind != yaml.ScalarNode || n.Tag != "!!int" || n.Decode(&v) != nil || v < 1 || v > 65535 {
				p.errf(n, "port must be a number from 1 to 65535, not %q", n.Value)
				return
			}
			s.Port = v
		},
		"basePath": func(n *yaml.Node) {
			if v, ok := p.path(n, "basePath"); ok {
				s.BasePath, basePathNode = v, n
			}
		},
		"token": func(n *yaml.Node) { s.Token, _ = p.str(n, "token") },
		"env": func(n *yaml.Node) {
			s.Env = map[string]string{}
			if n.Kind != yaml.MappingNode {
				p.errf(n, "env must be a mapping of variable names to values")
				return
			}
			for i := 0; i+1 < len(n.Content); i += 2 {
				k, v := n.Content[i], n.Content[i+1]
				if err := checkEnvName(k.Value); err != nil {
					p.errf(k, "env: %v", err)
					continue
				}
				if _, dup := s.Env[k.Value]; dup {
					p.errf(k, "env: %s is given twice", k.Value)
					continue
				}
				if v.Kind != yaml.ScalarNode {
					p.errf(v, "env %s must be a string", k.Value)
					continue
				}
				s.Env[k.Value] = v.Value
			}
		},
		"cmd":   func(n *yaml.Node) { s.Cmd = p.list(n, "cmd") },
		"ready": func(n *yaml.Node) { s.ReadyPath, _ = p.path(n, "ready") },
		"startupTimeout": func(n *yaml.Node) {
			v, ok := p.str(n, "startupTimeout")
			if !ok {
				return
			}
			d, err := time.ParseDuration(v)
			if err != nil || d <= 0 {
				p.errf(n, "startupTimeout must be a positive duration such as 90s or 2m, not %q", v)
				return
			}
			s.StartupTimeout = d
		},
		"verifiedDomains": func(n *yaml.Node) {
			if n.Kind != yaml.SequenceNode {
				p.errf(n, "verifiedDomains must be a list of domains")
				return
			}
			for _, c := range n.Content {
				d, ok := p.str(c, "verifiedDomains item")
				if !ok {
					continue
				}
				if err := checkDomain(d); err != nil {
					p.errf(c, "verifiedDomains: %v", err)
					continue
				}
				s.VerifiedDomains = append(s.VerifiedDomains, strings.TrimSpace(d))
			}
		},
		"settle": func(n *yaml.Node) {
			v, ok := p.str(n, "settle")
			if !ok {
				return
			}
			d, err := parseSettle(v)
			if err != nil {
				p.errf(n, "settle: %v", err)
				return
			}
			s.Settle = &d
		},
		"linkProbe":  func(n *yaml.Node) { s.LinkProbe = p.linkProbe(n) },
		"auditProbe": func(n *yaml.Node) { s.AuditProbe = p.auditProbe(n) },
	})
	if len(sources) > 1 {
		p.errf(sources[1], "a target profile names at most one of image, dockerfile and url")
	}
	if basePathNode != nil && s.URL != "" {
		if err := checkURLBasePath(s.URL, s.BasePath); err != nil {
			p.errf(basePathNode, "basePath: %v", err)
		}
	}
	return s
}

func (p *profileParser) linkProbe(n *yaml.Node) LinkProbe {
	var l LinkProbe
	p.probe(n, "linkProbe", func() error { return l.check() }, map[string]func(*yaml.Node){
		"attribute": func(v *yaml.Node) { l.Attribute, _ = p.nonEmpty(v, "linkProbe.attribute") },
		"path":      func(v *yaml.Node) { l.Path, _ = p.path(v, "linkProbe.path") },
		"pointer": func(v *yaml.Node) {
			if s, ok := p.str(v, "linkProbe.pointer"); ok {
				if s != "" && !strings.HasPrefix(s, "/") {
					p.errf(v, "linkProbe.pointer must be a JSON pointer starting with /, not %q", s)
					return
				}
				l.Pointer = s
			}
		},
	})
	return l
}

func (p *profileParser) auditProbe(n *yaml.Node) AuditProbe {
	var a AuditProbe
	p.probe(n, "auditProbe", func() error { return a.check() }, map[string]func(*yaml.Node){
		"path": func(v *yaml.Node) { a.Path, _ = p.path(v, "auditProbe.path") },
		"pattern": func(v *yaml.Node) {
			if s, ok := p.nonEmptyPattern(v); ok {
				a.Pattern = s
			}
		},
	})
	return a
}

// probe reads a probe's mapping, then checks the probe as a whole (placed at the mapping) when
// none of its values was wrong on its own.
func (p *profileParser) probe(n *yaml.Node, what string, check func() error, handlers map[string]func(*yaml.Node)) {
	before := len(p.errs)
	p.mapping(n, what, handlers)
	if err := check(); err != nil && len(p.errs) == before {
		p.errf(n, "%s: %v", what, err)
	}
}

func (p *profileParser) nonEmptyPattern(n *yaml.Node) (string, bool) {
	s, ok := p.str(n, "auditProbe.pattern")
	if !ok {
		return "", false
	}
	if _, err := regexp.Compile(s); err != nil || s == "" {
		p.errf(n, "auditProbe.pattern must be a non-empty regular expression: %q (%v)", s, err)
		return "", false
	}
	return s, true
}

func checkEnvName(k string) error {
	if k == "" || strings.ContainsAny(k, "= \t\r\n") {
		return fmt.Errorf("%q is not an environment variable name", k)
	}
	return nil
}

func checkDomain(d string) error {
	d = strings.TrimSpace(d)
	if d == "" || strings.ContainsAny(d, "@/ \t:") || !strings.Contains(d, ".") {
		return fmt.Errorf("%q is not a domain name (give the part after @, e.g. acme.example)", d)
	}
	return nil
}

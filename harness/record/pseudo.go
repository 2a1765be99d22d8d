package record

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"unicode"
)

// Pseudonymiser replaces people's emails and names consistently: the same input (compared
// case-insensitively) always gets the same pseudonym within one file, and the pseudonym keeps
// the original's case pattern, so a case-only change in the traffic stays a case-only change.
// Email domains are kept: they decide which users a target treats as managed.
type Pseudonymiser struct {
	locals map[string]string // lower-cased email → pseudonymous local part
	words  map[string]string // lower-cased name word → pseudonym word
	// handles maps a one-word email local part (lower-cased) to its pseudonym, to replace it
	// where a server derived something from it (an account id like acct-alice).
	handles map[string]string
}

// NewPseudonymiser starts an empty mapping.
func NewPseudonymiser() *Pseudonymiser {
	return &Pseudonymiser{locals: map[string]string{}, words: map[string]string{}, handles: map[string]string{}}
}

var emailRE = regexp.MustCompile(`[A-Za-z0-9._%+'-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+`)

// nameKeys hold people's names; their values are split into words and each word replaced.
var nameKeys = map[string]bool{
	"givenname": true, "familyname": true, "middlename": true, "formatted": true,
	"displayname": true, "nickname": true, "display": true, "honorificprefix": true,
	"honorificsuffix": true,
}

// Learn collects the name words of every person in a JSON body (the strings of "name" objects,
// and displayName and nickName of objects with a userName), so they are known wherever they
// appear later (a member's display, a group's displayName that is a person's name).
func (p *Pseudonymiser) Learn(body []byte) {
	doc, ok := decodeJSON(body)
	if !ok {
		return
	}
	p.learn(doc, false)
}

func (p *Pseudonymiser) learn(v any, inName bool) {
	switch x := v.(type) {
	case string:
		for _, e := range emailRE.FindAllString(x, -1) {
			p.email(e)
		}
		if inName {
			for _, w := range nameWords(x) {
				p.word(w)
			}
		}
	case map[string]any:
		_, person := x["userName"]
		for k, e := range x {
			lk := strings.ToLower(k)
			switch {
			case lk == "name":
				p.learn(e, true)
			case person && (lk == "displayname" || lk == "nickname"):
				p.learn(e, true)
			default:
				p.learn(e, inName)
			}
		}
	case []any:
		for _, e := range x {
			p.learn(e, inName)
		}
	}
}

func nameWords(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return !unicode.IsLetter(r) && r != '\'' })
}

// Text replaces every email in a string, and every word that is the local part of a known email
// (acct-alice → acct-person001).
func (p *Pseudonymiser) Text(s string) string {
	s = emailRE.ReplaceAllStringFunc(s, p.email)
	if len(p.handles) == 0 {
		return s
	}
	var b strings.Builder
	start := -1
	flush := func(end int) {
		w := s[start:end]
		if ps, ok := p.handles[strings.ToLower(w)]; ok {
			b.WriteString(sameCase(w, ps))
		} else {
			b.WriteString(w)
		}
		start = -1
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		alnum := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
		switch {
		case alnum && start < 0:
			start = i
		case !alnum && start >= 0:
			flush(i)
			b.WriteByte(c)
		case !alnum:
			b.WriteByte(c)
		}
	}
	if start >= 0 {
		flush(len(s))
	}
	return b.String()
}

// JSON pseudonymises a JSON body: emails in every string, known name words in the strings of
// name attributes. A body that is not JSON is treated as text.
func (p *Pseudonymiser) JSON(body []byte) []byte {
	if len(body) == 0 {
		return body
	}
	doc, ok := decodeJSON(body)
	if !ok {
		return []byte(p.Text(string(body)))
	}
	out, err := json.Marshal(p.value(doc, ""))
	if err != nil {
		return []byte(p.Text(string(body)))
	}
	return out
}

func (p *Pseudonymiser) value(v any, key string) any {
	switch x := v.(type) {
	case string:
		s := p.Text(x)
		switch lk := strings.ToLower(attrName(key)); {
		case lk == "display" || lk == "displayname":
			s = p.names(s, false)
		case nameKeys[lk]:
			s = p.names(s, true)
		}
		return s
	case map[string]any:
		out := make(map[string]any, len(x))
		// A PATCH operation's value is named by its path (Entra's "Replace" of
		// "name.familyName" carries a family name).
		opPath, isOp := x["path"].(string)
		_, hasOp := x["op"]
		isOp = isOp && hasOp
		for k, e := range x {
			if k == "schemas" {
				out[k] = e
				continue
			}
			if isOp && k == "value" {
				if strings.EqualFold(attrName(opPath), "name") {
					out[k] = p.nameObject(e)
				} else {
					out[k] = p.value(e, opPath)
				}
				continue
			}
			if strings.EqualFold(k, "name") {
				out[k] = p.nameObject(e)
				continue
			}
			out[k] = p.value(e, k)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = p.value(e, key)
		}
		return out
	}
	return v
}

// attrName is the attribute a key or PATCH path names, without its schema URN, value filter
// or parent: "name.familyName" and "urn:…:User:name.familyName" → "familyName",
// `emails[type eq "work"].value` → "value"; a plain key is itself.
func attrName(path string) string {
	if i := strings.IndexByte(path, '['); i >= 0 {
		rest := path[i:]
		path = path[:i]
		if j := strings.IndexByte(rest, ']'); j >= 0 {
			path += rest[j+1:]
		}
	}
	if i := strings.LastIndexByte(path, ':'); i >= 0 {
		path = path[i+1:]
	}
	if i := strings.LastIndexByte(path, '.'); i >= 0 {
		path = path[i+1:]
	}
	return path
}

func (p *Pseudonymiser) nameObject(v any) any {
	m, ok := v.(map[string]any)
	if !ok {
		return p.value(v, "name")
	}
	out := make(map[string]any, len(m))
	for k, e := range m {
		if s, ok := e.(string); ok {
			out[k] = p.names(p.Text(s), true)
		} else {
			out[k] = p.value(e, k)
		}
	}
	return out
}

// names replaces name words of s, whole words only, leaving emails alone. With invent, a word
// not seen before gets a new pseudonym (a givenName); without, only known words are replaced
// (a displayName may be a group's name, which is no person's).
func (p *Pseudonymiser) names(s string, invent bool) string {
	var b strings.Builder
	last := 0
	for _, span := range emailRE.FindAllStringIndex(s, -1) {
		b.WriteString(p.nameWords(s[last:span[0]], invent))
		b.WriteString(s[span[0]:span[1]])
		last = span[1]
	}
	b.WriteString(p.nameWords(s[last:], invent))
	return b.String()
}

func (p *Pseudonymiser) nameWords(s string, invent bool) string {
	var b strings.Builder
	rs := []rune(s)
	for i := 0; i < len(rs); {
		if !unicode.IsLetter(rs[i]) {
			b.WriteRune(rs[i])
			i++
			continue
		}
		j := i
		for j < len(rs) && (unicode.IsLetter(rs[j]) || rs[j] == '\'') {
			j++
		}
		w := string(rs[i:j])
		if ps, ok := p.words[strings.ToLower(w)]; ok {
			b.WriteString(sameCase(w, ps))
		} else if invent {
			b.WriteString(sameCase(w, p.word(w)))
		} else {
			b.WriteString(w)
		}
		i = j
	}
	return b.String()
}

func (p *Pseudonymiser) email(e string) string {
	at := strings.LastIndexByte(e, '@')
	local, domain := e[:at], e[at+1:]
	key := strings.ToLower(e)
	ps, ok := p.locals[key]
	if !ok {
		ps = fmt.Sprintf("person%03d", len(p.locals)+1)
		p.locals[key] = ps
		if l := strings.ToLower(local); len(l) >= 3 && wordOnly(l) {
			if _, taken := p.handles[l]; !taken {
				p.handles[l] = ps
			}
		}
	}
	return sameCase(local, ps) + "@" + domain
}

func wordOnly(s string) bool {
	hasLetter := false
	for _, c := range s {
		switch {
		case c >= 'a' && c <= 'z':
			hasLetter = true
		case c >= '0' && c <= '9':
		default:
			return false
		}
	}
	return hasLetter
}

// word is the pseudonym of a name word, made on first sight: pronounceable, unique.
func (p *Pseudonymiser) word(w string) string {
	key := strings.ToLower(w)
	if ps, ok := p.words[key]; ok {
		return ps
	}
	ps := syllables(len(p.words))
	p.words[key] = ps
	return ps
}

// syllables spells n as consonant-vowel pairs: 0 → "Baba", 1 → "Babe", …
func syllables(n int) string {
	const cons, vows = "bdfgklmnprstvz", "aeiou"
	var parts []string
	for i := 0; i < 2 || n > 0; i++ {
		parts = append(parts, string(cons[(n/len(vows))%len(cons)])+string(vows[n%len(vows)]))
		n /= len(cons) * len(vows)
	}
	for i, j := 0, len(parts)-1; i < j; i, j = i+1, j-1 {
		parts[i], parts[j] = parts[j], parts[i]
	}
	s := strings.Join(parts, "")
	return strings.ToUpper(s[:1]) + s[1:]
}

// sameCase gives ps the case pattern of orig: all lower, all upper, or capitalised.
func sameCase(orig, ps string) string {
	switch {
	case orig == strings.ToLower(orig):
		return strings.ToLower(ps)
	case orig == strings.ToUpper(orig) && len([]rune(orig)) > 1:
		return strings.ToUpper(ps)
	case unicode.IsUpper([]rune(orig)[0]):
		lower := strings.ToLower(ps)
		return strings.ToUpper(lower[:1]) + lower[1:]
	}
	return ps
}

// Exchange pseudonymises one exchange in place: path, query values, header values, bodies.
func (p *Pseudonymiser) Exchange(ex *Exchange) {
	ex.Path = p.Text(ex.Path)
	for i := range ex.Query {
		ex.Query[i].Value = p.Text(ex.Query[i].Value)
	}
	for k, vs := range ex.Header {
		for i, v := range vs {
			vs[i] = p.Text(v)
		}
		ex.Header[k] = vs
	}
	ex.ReqBody = p.JSON(ex.ReqBody)
	ex.RespBody = p.JSON(ex.RespBody)
}

// Pseudonymise pseudonymises every exchange consistently: names are learnt from all the
// bodies first, then replaced everywhere.
func Pseudonymise(exs []Exchange) {
	p := NewPseudonymiser()
	for _, ex := range exs {
		p.Learn(ex.ReqBody)
		p.Learn(ex.RespBody)
	}
	for i := range exs {
		p.Exchange(&exs[i])
	}
}

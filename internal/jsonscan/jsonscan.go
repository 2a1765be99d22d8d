// Package jsonscan reads what scimreplay needs of a JSON body without decoding all of it: whether
// it is valid, the id of a resource, and the members of an object and the elements of an array as
// slices of the bytes given. Each answers as encoding/json would (differential tests and fuzz
// targets, here and in the harness, hold them together) or says that it cannot, and the caller
// decodes instead. The harness's client and the fake Okta's echo share it; it is internal because
// no importer of either needs it.
package jsonscan

import (
	"encoding/json"

	"github.com/tidwall/gjson"
)

// Valid reports whether b is one valid JSON value, exactly as json.Valid does (a differential
// fuzz test holds the two together), about five times faster: it is gjson's validator, which
// does not run encoding/json's state machine a function call per byte. Every successful SCIM
// answer the harness's client reads passes through it.
func Valid(b []byte) bool { return gjson.ValidBytes(b) }

// ResourceID reads the id of one resource of a list page the way
// json.Unmarshal(raw, &struct{ ID any `json:"id"` }) does, so a client can check every resource
// of every page without decoding each one a second time (the page's decoding has already
// validated the bytes).
func ResourceID(raw []byte) (any, error) {
	val, found, ok := topLevelMember(raw, "id")
	if !ok {
		var res struct {
			ID any `json:"id"`
		}
		err := json.Unmarshal(raw, &res)
		return res.ID, err
	}
	var id any
	if !found {
		return nil, nil
	}
	err := json.Unmarshal(val, &id)
	return id, err
}

// topLevelMember finds the value of the top-level member key (ASCII, matched in any letter case,
// the last such member winning, as encoding/json fills a struct field) of the JSON object b,
// which must be valid JSON. ok is false, and the caller must decode b instead, when b is not an
// object or a key is written in a way this scanner does not compare (an escape, a non-ASCII
// byte).
func topLevelMember(b []byte, key string) (val []byte, found, ok bool) {
	ok = EachMember(b, func(k, v []byte) {
		if EqualFold(k, key) {
			val, found = v, true
		}
	})
	if !ok {
		return nil, false, false
	}
	return val, found, true
}

// EachMember calls fn with the key and value bytes of each member of the JSON object b, which
// must be valid JSON, in their order, without decoding or copying anything. It reports false
// (having maybe called fn) when b is not an object or a key holds an escape or a non-ASCII byte:
// decode b instead.
func EachMember(b []byte, fn func(key, val []byte)) bool {
	i := skipSpace(b, 0)
	if i >= len(b) || b[i] != '{' {
		return false
	}
	i = skipSpace(b, i+1)
	if i < len(b) && b[i] == '}' {
		return true
	}
	for {
		if i >= len(b) || b[i] != '"' {
			return false
		}
		end := i + 1
		for end < len(b) && b[end] != '"' {
			if b[end] == '\\' || b[end] >= 0x80 {
				return false
			}
			end++
		}
		if end >= len(b) {
			return false
		}
		k := b[i+1 : end]
		i = skipSpace(b, end+1)
		if i >= len(b) || b[i] != ':' {
			return false
		}
		i = skipSpace(b, i+1)
		vEnd, vok := skipValue(b, i)
		if !vok {
			return false
		}
		fn(k, b[i:vEnd])
		i = skipSpace(b, vEnd)
		switch {
		case i < len(b) && b[i] == ',':
			i = skipSpace(b, i+1)
		case i < len(b) && b[i] == '}':
			return true
		default:
			return false
		}
	}
}

func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// skipValue returns the end of the JSON value starting at b[i].
func skipValue(b []byte, i int) (int, bool) {
	if i >= len(b) {
		return i, false
	}
	switch b[i] {
	case '"':
		return skipString(b, i)
	case '{', '[':
		depth := 0
		for i < len(b) {
			switch b[i] {
			case '"':
				end, ok := skipString(b, i)
				if !ok {
					return i, false
				}
				i = end
				continue
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return i + 1, true
				}
			}
			i++
		}
		return i, false
	}
	start := i
	for i < len(b) && b[i] != ',' && b[i] != '}' && b[i] != ']' && b[i] != ' ' && b[i] != '\t' && b[i] != '\n' && b[i] != '\r' {
		i++
	}
	return i, i > start
}

// skipString returns the end of the JSON string starting at b[i] (just past its closing quote).
func skipString(b []byte, i int) (int, bool) {
	for i++; i < len(b); i++ {
		switch b[i] {
		case '\\':
			i++
		case '"':
			return i + 1, true
		}
	}
	return i, false
}

// EqualFold reports whether the key a equals b in any ASCII letter case: how encoding/json
// matches a plain key (ASCII without escapes, as EachMember hands on) to the name of a field.
func EqualFold(a []byte, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		x, y := a[i], b[i]
		if 'A' <= x && x <= 'Z' {
			x += 'a' - 'A'
		}
		if 'A' <= y && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}

// EachElement calls fn with the bytes of each element of the JSON array b, which must be valid
// JSON, in their order; it reports false (having maybe called fn) when b is not an array.
func EachElement(b []byte, fn func(val []byte)) bool {
	i := skipSpace(b, 0)
	if i >= len(b) || b[i] != '[' {
		return false
	}
	i = skipSpace(b, i+1)
	if i < len(b) && b[i] == ']' {
		return true
	}
	for {
		end, ok := skipValue(b, i)
		if !ok {
			return false
		}
		fn(b[i:end])
		i = skipSpace(b, end)
		switch {
		case i < len(b) && b[i] == ',':
			i = skipSpace(b, i+1)
		case i < len(b) && b[i] == ']':
			return true
		default:
			return false
		}
	}
}

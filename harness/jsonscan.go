package harness

import (
	"encoding/json"

	"github.com/tidwall/gjson"
)

// validJSON reports whether b is one valid JSON value, exactly as json.Valid does (a
// differential fuzz test holds the two together), about five times faster: it is gjson's
// validator, which does not run encoding/json's state machine a function call per byte. Every
// successful SCIM answer passes through it.
func validJSON(b []byte) bool { return gjson.ValidBytes(b) }

// resourceID reads the id of one resource of a list page the way
// json.Unmarshal(raw, &struct{ ID any `json:"id"` }) does, so checkListPage can check every
// resource of every page without decoding each one a second time (the page's decoding has
// already validated the bytes).
func resourceID(raw []byte) (any, error) {
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
	ok = eachMember(b, func(k, v []byte) {
		if asciiEqualFold(k, key) {
			val, found = v, true
		}
	})
	if !ok {
		return nil, false, false
	}
	return val, found, true
}

// EachMember calls fn with the key and value bytes of each member of the JSON object b (valid
// JSON) in their order, without decoding or copying anything. It reports false (having maybe
// called fn) when b is not an object or a key holds an escape or a non-ASCII byte: decode b
// instead.
func EachMember(b []byte, fn func(key, val []byte)) bool { return eachMember(b, fn) }

// eachMember calls fn with the key and value bytes of each member of the JSON object b, which
// must be valid JSON; it reports false (having maybe called fn) when b is not an object or a key
// holds an escape or a non-ASCII byte.
func eachMember(b []byte, fn func(key, val []byte)) bool {
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

func asciiEqualFold(a []byte, b string) bool {
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

// eachElement calls fn with the bytes of each element of the JSON array b, which must be valid
// JSON; it reports false when b is not an array.
func eachElement(b []byte, fn func(val []byte)) bool {
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

// listPage is what List decodes of a page: a pointer tells a missing or null totalResults from
// a number.
type listPage struct {
	ListResponse
	TotalResults *int `json:"totalResults"`
}

// decodeListPage decodes a page as json.Unmarshal(body, &listPage{}) does, with one fast
// validation pass and a scan that slices each resource out of the body instead of having
// encoding/json validate, scan and copy it (most of a listing's CPU went there). Only the small
// paging members are decoded, each with encoding/json. Whatever the scan does not read plainly
// (a key with an escape or a non-ASCII byte, a body that is not an object, a member of the
// wrong type, bad JSON) goes to json.Unmarshal instead, so errors and edge cases are
// encoding/json's own; a differential fuzz test holds the two together.
func decodeListPage(body []byte) (listPage, error) {
	if page, ok := scanListPage(body); ok {
		return page, nil
	}
	var page listPage
	err := json.Unmarshal(body, &page)
	return page, err
}

func scanListPage(body []byte) (page listPage, ok bool) {
	if !validJSON(body) {
		return page, false
	}
	// Every member that names a field is read, in order, so the last of repeated members wins
	// (in any letter case, as encoding/json fills a field) and one of the wrong type fails the
	// page even when a later one would do.
	ok = true
	var resources []byte
	if !eachMember(body, func(k, v []byte) {
		var dst any
		switch {
		case asciiEqualFold(k, "totalResults"):
			dst = &page.TotalResults
		case asciiEqualFold(k, "startIndex"):
			dst = &page.StartIndex
		case asciiEqualFold(k, "itemsPerPage"):
			dst = &page.ItemsPerPage
		case asciiEqualFold(k, "Resources"):
			if string(v) != "null" && v[0] != '[' {
				ok = false
			}
			resources = v
			return
		default:
			return
		}
		if json.Unmarshal(v, dst) != nil {
			ok = false
		}
	}) || !ok {
		return page, false
	}
	if resources != nil && string(resources) != "null" {
		page.Resources = []json.RawMessage{}
		if !eachElement(resources, func(v []byte) { page.Resources = append(page.Resources, v) }) {
			return page, false
		}
	}
	return page, true
}

package harness

import (
	"encoding/json"

	"github.com/scimreplay/scimreplay/internal/jsonscan"
)

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
	if !jsonscan.Valid(body) {
		return page, false
	}
	// Every member that names a field is read, in order, so the last of repeated members wins
	// (in any letter case, as encoding/json fills a field) and one of the wrong type fails the
	// page even when a later one would do.
	ok = true
	var resources []byte
	if !jsonscan.EachMember(body, func(k, v []byte) {
		var dst any
		switch {
		case jsonscan.EqualFold(k, "totalResults"):
			dst = &page.TotalResults
		case jsonscan.EqualFold(k, "startIndex"):
			dst = &page.StartIndex
		case jsonscan.EqualFold(k, "itemsPerPage"):
			dst = &page.ItemsPerPage
		case jsonscan.EqualFold(k, "Resources"):
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
		if !jsonscan.EachElement(resources, func(v []byte) { page.Resources = append(page.Resources, v) }) {
			return page, false
		}
	}
	return page, true
}

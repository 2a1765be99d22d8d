package directory

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
)

// response is what a handler answers when it succeeds.
type response struct {
	status    int
	body      any // nil: no body
	etag      string
	location  string
	mediaType string // default application/scim+json
}

func (resp *response) write(w http.ResponseWriter) {
	if resp.etag != "" {
		w.Header().Set("ETag", resp.etag)
	}
	if resp.location != "" {
		w.Header().Set("Location", resp.location)
	}
	if resp.body == nil {
		w.WriteHeader(resp.status)
		return
	}
	mt := resp.mediaType
	if mt == "" {
		mt = scimMediaType
	}
	writeJSON(w, resp.status, mt, resp.body)
}

// readBody reads a request body as JSON into v, with a size limit; any
// malformed body is a 400 invalidSyntax.
func readBody(r *http.Request, v any) error {
	data, err := io.ReadAll(http.MaxBytesReader(nil, r.Body, maxRequestBody))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return errorf(http.StatusRequestEntityTooLarge, "", "request body larger than %d bytes", maxRequestBody)
		}
		return badRequest(scimInvalidSyntax, "read body: %v", err)
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return badRequest(scimInvalidSyntax, "empty request body")
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(v); err != nil {
		return badRequest(scimInvalidSyntax, "request body is not valid JSON: %v", err)
	}
	if dec.More() {
		return badRequest(scimInvalidSyntax, "request body has data after the JSON value")
	}
	return nil
}

func readObject(r *http.Request) (map[string]any, error) {
	var v any
	if err := readBody(r, &v); err != nil {
		return nil, err
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, badRequest(scimInvalidSyntax, "request body must be a JSON object")
	}
	return m, nil
}

// checkIfMatch enforces an If-Match precondition against the current ETag.
func checkIfMatch(r *http.Request, current string) error {
	h := r.Header.Get("If-Match")
	if h == "" || etagListMatches(h, current) {
		return nil
	}
	return errorf(http.StatusPreconditionFailed, "", "If-Match %s does not match the current version %s", h, current)
}

// notModified reports whether an If-None-Match header matches the ETag.
func notModified(r *http.Request, current string) bool {
	h := r.Header.Get("If-None-Match")
	return h != "" && etagListMatches(h, current)
}

// etagListMatches compares weakly (RFC 9110 §8.8.3.2).
func etagListMatches(header, current string) bool {
	cur := strings.TrimPrefix(current, "W/")
	for tag := range strings.SplitSeq(header, ",") {
		tag = strings.TrimSpace(tag)
		if tag == "*" || strings.TrimPrefix(tag, "W/") == cur {
			return true
		}
	}
	return false
}

// wantsMinimal reports a "Prefer: return=minimal" request (RFC 7240).
func wantsMinimal(r *http.Request) bool {
	for _, v := range r.Header.Values("Prefer") {
		for p := range strings.SplitSeq(v, ",") {
			if strings.EqualFold(strings.TrimSpace(p), "return=minimal") {
				return true
			}
		}
	}
	return false
}

// hasKey reports whether m has key, compared case-insensitively as SCIM
// attribute names are.
func hasKey(m map[string]any, key string) (any, bool) {
	for k, v := range m {
		if strings.EqualFold(k, key) {
			return v, true
		}
	}
	return nil, false
}

package directory

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"sync"

	"github.com/scimreplay/scimreplay/internal/jsonenc"
)

// SCIM message schemas (RFC 7644 §3).
const (
	errorSchema    = "urn:ietf:params:scim:api:messages:2.0:Error"
	listSchema     = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
	patchOpSchema  = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
	searchSchema   = "urn:ietf:params:scim:api:messages:2.0:SearchRequest"
	scimMediaType  = "application/scim+json"
	jsonMediaType  = "application/json"
	maxRequestBody = 64 << 20
)

// scimType values of RFC 7644 §3.12.
const (
	scimInvalidFilter = "invalidFilter"
	scimTooMany       = "tooMany"
	scimUniqueness    = "uniqueness"
	scimMutability    = "mutability"
	scimInvalidSyntax = "invalidSyntax"
	scimInvalidPath   = "invalidPath"
	scimNoTarget      = "noTarget"
	scimInvalidValue  = "invalidValue"
)

// scimError is a protocol error, rendered with the SCIM Error schema.
type scimError struct {
	status     int
	scimType   string
	detail     string
	allow      string // Allow header of a 405
	retryAfter string // Retry-After header of a 429
}

func (e *scimError) Error() string {
	if e.scimType == "" {
		return fmt.Sprintf("%d: %s", e.status, e.detail)
	}
	return fmt.Sprintf("%d %s: %s", e.status, e.scimType, e.detail)
}

func errorf(status int, scimType, format string, args ...any) *scimError {
	return &scimError{status: status, scimType: scimType, detail: fmt.Sprintf(format, args...)}
}

func badRequest(scimType, format string, args ...any) *scimError {
	return errorf(http.StatusBadRequest, scimType, format, args...)
}

func notFound(format string, args ...any) *scimError {
	return errorf(http.StatusNotFound, "", format, args...)
}

func conflict(format string, args ...any) *scimError {
	return errorf(http.StatusConflict, scimUniqueness, format, args...)
}

type errorBody struct {
	Schemas  []string `json:"schemas"`
	Status   string   `json:"status"`
	ScimType string   `json:"scimType,omitempty"`
	Detail   string   `json:"detail,omitempty"`
}

func writeError(w http.ResponseWriter, err error) {
	se, ok := err.(*scimError)
	if !ok {
		se = &scimError{status: http.StatusInternalServerError, detail: err.Error()}
	}
	if se.allow != "" {
		w.Header().Set("Allow", se.allow)
	}
	if se.retryAfter != "" {
		w.Header().Set("Retry-After", se.retryAfter)
	}
	if se.status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer realm="scim"`)
	}
	writeJSON(w, se.status, scimMediaType, errorBody{
		Schemas:  []string{errorSchema},
		Status:   strconv.Itoa(se.status),
		ScimType: se.scimType,
		Detail:   se.detail,
	})
}

// writeJSON writes v as the response body. Bodies are marshalled before the
// header is sent so a marshalling failure still yields a proper error.
func writeJSON(w http.ResponseWriter, status int, mediaType string, v any) {
	buf := bodyBuffers.Get().(*[]byte)
	defer func() {
		if cap(*buf) <= maxPooledBody {
			bodyBuffers.Put(buf)
		}
	}()
	body, err := encode((*buf)[:0], v)
	if err != nil {
		status = http.StatusInternalServerError
		body, _ = json.Marshal(errorBody{Schemas: []string{errorSchema}, Status: "500", Detail: "encode response: " + err.Error()})
		mediaType = scimMediaType
	}
	*buf = body
	writeBody(w, status, mediaType, body)
}

// encode appends v's encoding, exactly json.Marshal's (a test holds them together), without
// reflection for the resources and list pages the directory answers most: at 100k users,
// encoding/json's reflection and its garbage were a quarter of the directory's CPU.
func encode(dst []byte, v any) ([]byte, error) {
	if l, ok := v.(listResponse); ok {
		return l.appendJSON(dst)
	}
	return jsonenc.Append(dst, v)
}

// bodyBuffers hold answers while they are written: every answer was garbage once sent.
var bodyBuffers = sync.Pool{New: func() any { return new([]byte) }}

// maxPooledBody: a buffer grown beyond this by an unusual answer is left to the collector.
const maxPooledBody = 1 << 20

func writeBody(w http.ResponseWriter, status int, mediaType string, body []byte) {
	w.Header().Set("Content-Type", mediaType)
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

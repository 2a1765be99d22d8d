// Package misbehave makes a SCIM target misbehave on purpose, so tests can prove that the gate
// ends every such run with a clear reason, within its timeouts, and without leaving containers.
//
// A Handler wraps a working SCIM server (normally the reference directory) and, once armed,
// answers the way a broken server does: 500s, bodies that are not JSON or not SCIM, the wrong
// Content-Type, no answer at all, a connection closed half way, or the process dying. Arming on
// a trigger request (by default the first audit read, which the gate makes while taking the
// snapshot before the force sync) lets provisioning succeed and the fault strike mid force sync.
package misbehave

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"sync"
)

// Mode is how an armed Handler answers.
type Mode string

// The misbehaviours. Each names what a real broken server does.
const (
	// Off forwards every request: a working target (useful with LogAuth).
	Off Mode = ""
	// Status500 answers 500 with a SCIM error body that echoes the request's Authorization header
	// (as careless servers do), so tests also see whether the gate redacts it.
	Status500 Mode = "500"
	// InvalidJSON answers 200 application/scim+json with a body cut off mid-document.
	InvalidJSON Mode = "invalid-json"
	// NonSCIM answers 200 application/scim+json with JSON that is no SCIM resource or list.
	NonSCIM Mode = "non-scim"
	// WrongContentType forwards the request but labels the (correct) answer text/html.
	WrongContentType Mode = "wrong-content-type"
	// Hang never answers: the request is held until the client gives up (Log's line tells a
	// test that the gate is now waiting).
	Hang Mode = "hang"
	// HalfClose sends the status line, headers and half of the body, then closes the connection.
	HalfClose Mode = "half-close"
	// Die calls the Handler's Die func (in a container: the process exits at once with 137) and
	// drops the connection.
	Die Mode = "die"
)

// Modes lists every mode a test can ask for.
func Modes() []Mode {
	return []Mode{Status500, InvalidJSON, NonSCIM, WrongContentType, Hang, HalfClose, Die}
}

// DefaultTrigger is the request that arms a Handler: the audit read of the snapshot taken just
// before the force sync.
const DefaultTrigger = "GET /admin/audit"

// Handler forwards to Next until it is armed, then misbehaves on every request.
type Handler struct {
	Next http.Handler
	Mode Mode
	// Trigger is "METHOD /path-prefix": the first matching request arms the handler (it is
	// itself answered normally). Empty arms from the first request.
	Trigger string
	// Skip is how many requests after the trigger are still answered normally.
	Skip int
	// Die is called in Die mode; nil panics with http.ErrAbortHandler (the connection drops).
	Die func()
	// LogAuth, when set, gets one line per request holding its Authorization header, as a
	// careless server logs it; tests check the gate never copies it into a report.
	LogAuth io.Writer
	// Log, when set, gets a line for each request answered with the fault.
	Log io.Writer

	mu    sync.Mutex
	armed bool
	left  int
	hits  int
}

// Misbehaved is how many requests were answered with the fault.
func (h *Handler) Misbehaved() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.hits
}

func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if h.LogAuth != nil {
		fmt.Fprintf(h.LogAuth, "misbehave: %s %s Authorization=%q\n", r.Method, r.URL.Path, r.Header.Get("Authorization"))
	}
	if !h.fault(r) {
		h.Next.ServeHTTP(w, r)
		return
	}
	if h.Log != nil {
		fmt.Fprintf(h.Log, "misbehave: %s %s %s\n", h.Mode, r.Method, r.URL.Path)
	}
	switch h.Mode {
	case Status500:
		w.Header().Set("Content-Type", "application/scim+json")
		w.WriteHeader(http.StatusInternalServerError)
		fmt.Fprintf(w, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:Error"],"status":"500","detail":"internal error while handling a request with Authorization %s"}`,
			strconv.Quote(r.Header.Get("Authorization")))
	case InvalidJSON:
		w.Header().Set("Content-Type", "application/scim+json")
		io.WriteString(w, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:ListResponse"],"totalResults":3,"Resources":[{"id":`)
	case NonSCIM:
		w.Header().Set("Content-Type", "application/scim+json")
		io.WriteString(w, `{"status":"ok","message":"request accepted"}`)
	case WrongContentType:
		rec := httptest.NewRecorder()
		h.Next.ServeHTTP(rec, r)
		for k, vs := range rec.Header() {
			w.Header()[k] = vs
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.WriteHeader(rec.Code)
		_, _ = w.Write(rec.Body.Bytes())
	case Hang:
		<-r.Context().Done()
	case HalfClose:
		halfClose(w, r, h.Next)
	case Die:
		if h.Die != nil {
			h.Die()
		}
		panic(http.ErrAbortHandler)
	default:
		h.Next.ServeHTTP(w, r)
	}
}

// fault reports whether r is to be answered with the fault, arming the handler on its trigger.
func (h *Handler) fault(r *http.Request) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.Mode == Off {
		return false
	}
	if !h.armed {
		if h.Trigger != "" {
			method, prefix, _ := strings.Cut(h.Trigger, " ")
			if r.Method == method && strings.HasPrefix(r.URL.Path, prefix) {
				h.armed, h.left = true, h.Skip
			}
			return false
		}
		h.armed, h.left = true, h.Skip
	}
	if h.left > 0 {
		h.left--
		return false
	}
	h.hits++
	return true
}

// halfClose answers the way a server that crashes mid-write does: the real answer's status and a
// Content-Length for all of it, then half the bytes and a closed connection.
func halfClose(w http.ResponseWriter, r *http.Request, next http.Handler) {
	rec := httptest.NewRecorder()
	next.ServeHTTP(rec, r)
	body := rec.Body.Bytes()
	if len(body) < 2 {
		body = []byte(`{"schemas":["urn:ietf:params:scim:api:messages:2.0:ListResponse"],"totalResults":0}`)
	}
	hj, ok := w.(http.Hijacker)
	if !ok {
		panic(http.ErrAbortHandler)
	}
	conn, buf, err := hj.Hijack()
	if err != nil {
		panic(http.ErrAbortHandler)
	}
	defer conn.Close()
	var head bytes.Buffer
	fmt.Fprintf(&head, "HTTP/1.1 %d %s\r\nContent-Type: application/scim+json\r\nContent-Length: %d\r\n\r\n",
		rec.Code, http.StatusText(rec.Code), len(body))
	head.Write(body[:len(body)/2])
	_, _ = buf.Write(head.Bytes())
	_ = buf.Flush()
}

// FromEnv configures a Handler from MISBEHAVE_MODE, MISBEHAVE_TRIGGER (default DefaultTrigger;
// "none" arms from the first request), MISBEHAVE_SKIP and MISBEHAVE_LOG_AUTH=1 (log the
// Authorization header to stdout). Faults are logged to stdout.
func FromEnv(next http.Handler, getenv func(string) string) (*Handler, error) {
	h := &Handler{Next: next, Mode: Mode(getenv("MISBEHAVE_MODE")), Trigger: getenv("MISBEHAVE_TRIGGER")}
	known := h.Mode == Off
	for _, m := range Modes() {
		known = known || m == h.Mode
	}
	if !known {
		return nil, fmt.Errorf("MISBEHAVE_MODE %q is not one of %v", h.Mode, Modes())
	}
	switch h.Trigger {
	case "":
		h.Trigger = DefaultTrigger
	case "none":
		h.Trigger = ""
	}
	if s := getenv("MISBEHAVE_SKIP"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 0 {
			return nil, fmt.Errorf("MISBEHAVE_SKIP %q is not a count", s)
		}
		h.Skip = n
	}
	if getenv("MISBEHAVE_LOG_AUTH") == "1" {
		h.LogAuth = os.Stdout
	}
	h.Log = os.Stdout
	return h, nil
}

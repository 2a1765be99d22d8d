// Package har imports HAR 1.2 files (saved by browser dev tools, mitmproxy, Charles) as
// scimreplay scenarios: every SCIM exchange becomes a step, redacted exactly as the recording
// proxy does it, with the recorded response ids kept so the replay re-binds them (rebind: auto).
// Pages whose title names a phase (provision, forceSync, verify) mark the phases.
package har

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"time"

	"github.com/scimreplay/scimreplay/harness"
	"github.com/scimreplay/scimreplay/harness/record"
)

// File is the part of a HAR 1.2 document the import reads.
type File struct {
	Log struct {
		Version string  `json:"version"`
		Pages   []Page  `json:"pages"`
		Entries []Entry `json:"entries"`
	} `json:"log"`
}

// Page is a HAR page; its title may name a phase.
type Page struct {
	ID    string `json:"id"`
	Title string `json:"title"`
}

// Entry is one HAR exchange.
type Entry struct {
	PageRef         string   `json:"pageref"`
	StartedDateTime string   `json:"startedDateTime"`
	Request         Request  `json:"request"`
	Response        Response `json:"response"`
}

// Request is a HAR request.
type Request struct {
	Method   string    `json:"method"`
	URL      string    `json:"url"`
	Headers  []NameVal `json:"headers"`
	PostData *PostData `json:"postData"`
	Query    []NameVal `json:"queryString"`
}

// Response is a HAR response.
type Response struct {
	Status  int       `json:"status"`
	Headers []NameVal `json:"headers"`
	Content Content   `json:"content"`
}

// NameVal is a HAR header or query pair.
type NameVal struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// PostData is a HAR request body.
type PostData struct {
	MimeType string `json:"mimeType"`
	Text     string `json:"text"`
	Encoding string `json:"encoding"` // not in HAR 1.2, but some tools write it
}

// Content is a HAR response body.
type Content struct {
	MimeType string `json:"mimeType"`
	Text     string `json:"text"`
	Encoding string `json:"encoding"`
}

// Options steer the import.
type Options struct {
	// BasePath is the SCIM base path in the recorded URLs ("/scim/v2"). Empty: found from the
	// first URL that addresses a SCIM resource (the path before /Users, /Groups…).
	BasePath string
	// Pseudonymise replaces emails and names consistently.
	Pseudonymise bool
}

// MaxFile bounds the HAR files read.
const MaxFile = 256 << 20

var scimResources = map[string]bool{"users": true, "groups": true, "serviceproviderconfig": true, "schemas": true, "resourcetypes": true, "bulk": true, "me": true}

// Exchanges reads a HAR document into redacted exchanges, in the order they were started.
// Entries outside the SCIM base (other hosts, pages, assets) are left out with a warning.
func Exchanges(data []byte, o Options) ([]record.Exchange, []string, error) {
	if len(data) > MaxFile {
		return nil, nil, fmt.Errorf("HAR file larger than %d MB", MaxFile>>20)
	}
	var f File
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&f); err != nil {
		return nil, nil, fmt.Errorf("not a HAR file: %w", jsonErr(data, err))
	}
	if f.Log.Version == "" && len(f.Log.Entries) == 0 {
		return nil, nil, errors.New("not a HAR file: no log.version and no log.entries")
	}
	if f.Log.Version != "" && !strings.HasPrefix(f.Log.Version, "1.") {
		return nil, nil, fmt.Errorf("HAR version %q: this import reads HAR 1.x", f.Log.Version)
	}
	phases := map[string]record.Phase{}
	for _, p := range f.Log.Pages {
		if ph, ok := record.ParsePhase(p.Title); ok {
			phases[p.ID] = ph
		}
	}
	entries := inOrder(f.Log.Entries)
	base := strings.TrimRight(o.BasePath, "/")
	host := ""
	var out []record.Exchange
	var warnings []string
	for i, e := range entries {
		where := fmt.Sprintf("entry %d (%s %s)", i+1, e.Request.Method, harness.RedactURL(e.Request.URL))
		u, err := url.Parse(e.Request.URL)
		if err != nil || u.Host == "" {
			warnings = append(warnings, where+": left out, the URL does not parse")
			continue
		}
		if base == "" && o.BasePath == "" {
			if b, ok := findBase(u.Path); ok {
				base = b
			}
		}
		rest, ok := strings.CutPrefix(u.Path, base)
		if !ok || (rest != "" && rest[0] != '/') || !scimResources[strings.ToLower(firstSeg(rest))] {
			warnings = append(warnings, where+": left out, not a SCIM request under "+orRoot(base))
			continue
		}
		if host == "" {
			host = u.Host
		} else if u.Host != host {
			warnings = append(warnings, where+": left out, another host than "+host)
			continue
		}
		if e.Response.Status == 0 {
			warnings = append(warnings, where+": left out, it has no response (blocked or cancelled)")
			continue
		}
		header := http.Header{}
		for _, h := range e.Request.Headers {
			header.Add(h.Name, h.Value)
		}
		reqBody, err := postData(e.Request.PostData)
		if err != nil {
			warnings = append(warnings, where+": left out, "+err.Error())
			continue
		}
		respBody, err := content(e.Response.Content)
		if err != nil {
			warnings = append(warnings, where+": response body left out, "+err.Error())
		}
		ex, err := record.Capture(e.Request.Method, rest, u.RawQuery, header, reqBody, e.Response.Status, respBody, phases[e.PageRef])
		if err != nil {
			warnings = append(warnings, where+": left out, "+err.Error())
			continue
		}
		out = append(out, ex)
	}
	if len(out) == 0 {
		return nil, warnings, errors.New("the HAR file holds no SCIM request (is --base-path right?)")
	}
	if o.Pseudonymise {
		record.Pseudonymise(out)
	}
	return out, warnings, nil
}

// Import reads a HAR document and writes it as a scenario (see record.Build).
func Import(data []byte, o Options, so record.Options) ([]byte, []string, error) {
	exs, warnings, err := Exchanges(data, o)
	if err != nil {
		return nil, warnings, err
	}
	out, w, err := record.Build(exs, so)
	return out, append(warnings, w...), err
}

// inOrder sorts entries by startedDateTime when every entry has one that parses; else the
// file's order is kept (HAR writers list entries in order anyway).
func inOrder(es []Entry) []Entry {
	out := append([]Entry(nil), es...)
	at := make([]time.Time, len(out))
	for i, e := range out {
		t, err := time.Parse(time.RFC3339Nano, e.StartedDateTime)
		if err != nil {
			return out
		}
		at[i] = t
	}
	idx := make([]int, len(out))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool { return at[idx[a]].Before(at[idx[b]]) })
	sorted := make([]Entry, len(out))
	for i, j := range idx {
		sorted[i] = out[j]
	}
	return sorted
}

// findBase is the path before the first SCIM resource segment: /scim/v2/Users/1 → /scim/v2.
func findBase(p string) (string, bool) {
	segs := strings.Split(p, "/")
	for i, s := range segs {
		if scimResources[strings.ToLower(s)] && i > 0 {
			return strings.Join(segs[:i], "/"), true
		}
	}
	return "", false
}

func firstSeg(p string) string {
	return strings.SplitN(strings.TrimPrefix(p, "/"), "/", 2)[0]
}

func orRoot(b string) string {
	if b == "" {
		return "/"
	}
	return b
}

func postData(p *PostData) ([]byte, error) {
	if p == nil || p.Text == "" {
		return nil, nil
	}
	if strings.EqualFold(p.Encoding, "base64") {
		b, err := base64.StdEncoding.DecodeString(p.Text)
		if err != nil {
			return nil, fmt.Errorf("the request body is not valid base64: %w", err)
		}
		return b, nil
	}
	return []byte(p.Text), nil
}

func content(c Content) ([]byte, error) {
	if c.Text == "" {
		return nil, nil
	}
	if strings.EqualFold(c.Encoding, "base64") {
		b, err := base64.StdEncoding.DecodeString(c.Text)
		if err != nil {
			return nil, fmt.Errorf("not valid base64: %w", err)
		}
		return b, nil
	}
	return []byte(c.Text), nil
}

// jsonErr places a JSON syntax error at its line and column.
func jsonErr(data []byte, err error) error {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	off := int64(-1)
	switch {
	case errors.As(err, &se):
		off = se.Offset
	case errors.As(err, &te):
		off = te.Offset
	case errors.Is(err, io.ErrUnexpectedEOF):
		off, err = int64(len(data)), errors.New("unexpected end of file")
	}
	if off < 0 || off > int64(len(data)) {
		return err
	}
	line, col := 1, 1
	for _, c := range data[:off] {
		if c == '\n' {
			line++
			col = 1
		} else {
			col++
		}
	}
	return fmt.Errorf("line %d, column %d: %w", line, col, err)
}

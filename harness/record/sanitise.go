package record

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"

	"github.com/scimreplay/scimreplay/harness"
)

// Headers never recorded: credentials, the ones Okta's client sends by itself (the replay adds
// them), hop-by-hop and browser noise in HAR files.
var dropHeaders = map[string]bool{
	"Authorization": true, "Proxy-Authorization": true, "Cookie": true, "Set-Cookie": true,
	"User-Agent": true, "Accept": true, "Accept-Charset": true, "Accept-Encoding": true,
	"Accept-Language": true, "Content-Type": true, "Content-Length": true, "Host": true,
	"Connection": true, "Keep-Alive": true, "Te": true, "Trailer": true, "Transfer-Encoding": true,
	"Upgrade": true, "Via": true, "Forwarded": true, "Origin": true, "Referer": true,
	"Cache-Control": true, "Pragma": true, "Dnt": true, "Priority": true,
	"Upgrade-Insecure-Requests": true, "X-Real-Ip": true,
}

// secretWords in a header or JSON key name mark its value as a secret.
var secretWords = []string{"token", "secret", "password", "passwd", "apikey", "api-key", "api_key", "auth", "session", "csrf", "cookie", "signature", "credential", "private"}

func secretName(name string) bool {
	n := strings.ToLower(name)
	for _, w := range secretWords {
		if strings.Contains(n, w) {
			return true
		}
	}
	return false
}

// credentials pulls the secrets out of request headers (the bearer token and the like), so
// they can be redacted wherever else they appear.
func credentials(h http.Header) []string {
	var out []string
	for k, vs := range h {
		ck := http.CanonicalHeaderKey(k)
		if ck != "Authorization" && ck != "Proxy-Authorization" && ck != "Cookie" && !secretName(ck) {
			continue
		}
		for _, v := range vs {
			if _, cred, ok := strings.Cut(strings.TrimSpace(v), " "); ok && (ck == "Authorization" || ck == "Proxy-Authorization") {
				v = cred
			}
			for _, part := range strings.FieldsFunc(v, func(r rune) bool { return r == ';' || r == ',' || r == ' ' }) {
				if _, val, ok := strings.Cut(part, "="); ok && ck == "Cookie" {
					part = val
				}
				if len(part) >= 4 {
					out = append(out, part)
				}
			}
		}
	}
	return out
}

// keepHeaders is the request headers worth replaying, their values redacted.
func keepHeaders(h http.Header, secrets []string) http.Header {
	out := http.Header{}
	for k, vs := range h {
		ck := http.CanonicalHeaderKey(k)
		if dropHeaders[ck] || strings.HasPrefix(ck, ":") || strings.HasPrefix(ck, "X-Forwarded-") || strings.HasPrefix(ck, "Sec-") || secretName(ck) {
			continue
		}
		for _, v := range vs {
			out.Add(ck, harness.Redact(v, secrets...))
		}
	}
	return out
}

// redactJSON redacts a JSON body: values under secret-looking keys (Okta's "password" on
// create) become [REDACTED], and every string loses the given secrets and anything that looks
// like a bearer or basic credential. A body that is not JSON is redacted as text.
func redactJSON(body []byte, secrets []string) []byte {
	if len(bytes.TrimSpace(body)) == 0 {
		return nil
	}
	doc, ok := decodeJSON(body)
	if !ok {
		return []byte(harness.Redact(string(body), secrets...))
	}
	doc = redactValue(doc, "", secrets)
	out, err := json.Marshal(doc)
	if err != nil {
		return []byte(harness.Redacted)
	}
	return out
}

func redactValue(v any, key string, secrets []string) any {
	switch x := v.(type) {
	case string:
		if key != "" && secretName(key) {
			return harness.Redacted
		}
		return harness.Redact(x, secrets...)
	case map[string]any:
		for k, e := range x {
			x[k] = redactValue(e, k, secrets)
		}
		return x
	case []any:
		for i, e := range x {
			x[i] = redactValue(e, key, secrets)
		}
		return x
	}
	if key != "" && secretName(key) && v != nil {
		return harness.Redacted
	}
	return v
}

func decodeJSON(b []byte) (any, bool) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var doc any
	if err := dec.Decode(&doc); err != nil {
		return nil, false
	}
	if dec.More() {
		return nil, false
	}
	return doc, true
}

// trimResponse keeps what identifies the resources in a response (what rebind: auto pairs):
// id, userName, displayName, externalId, totalResults and Resources, each resource trimmed
// the same way. Nil when nothing is left.
func trimResponse(doc any) any {
	m, ok := doc.(map[string]any)
	if !ok {
		return nil
	}
	out := map[string]any{}
	for _, k := range []string{"id", "userName", "displayName", "externalId"} {
		if s, ok := m[k].(string); ok && s != "" {
			out[k] = s
		}
	}
	if n, ok := m["totalResults"]; ok {
		out["totalResults"] = n
	}
	if rs, ok := m["Resources"].([]any); ok {
		list := make([]any, 0, len(rs))
		for _, r := range rs {
			if t := trimResponse(r); t != nil {
				list = append(list, t)
			}
		}
		out["Resources"] = list
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

// Capture builds a redacted Exchange from what went over the wire. rawQuery is the request's
// query string as sent; header the request headers (credentials among them are dropped and
// redacted everywhere else). The response body is kept trimmed (see trimResponse).
func Capture(method, path, rawQuery string, header http.Header, reqBody []byte, status int, respBody []byte, phase Phase) (Exchange, error) {
	secrets := credentials(header)
	ex := Exchange{
		Method: strings.ToUpper(method),
		Path:   harness.Redact(path, secrets...),
		Header: keepHeaders(header, secrets),
		// Redacted like every value kept, though a User-Agent holds no credential.
		UserAgent: harness.Redact(header.Get("User-Agent"), secrets...),
		Status:    status,
		Phase:     phase,
	}
	q, err := SplitQuery(rawQuery)
	if err != nil {
		return ex, err
	}
	for i := range q {
		if secretName(q[i].Key) || strings.EqualFold(q[i].Key, "key") {
			q[i].Value = harness.Redacted
		} else {
			q[i].Value = harness.Redact(q[i].Value, secrets...)
		}
	}
	ex.Query = q
	ex.ReqBody = redactJSON(reqBody, secrets)
	if doc, ok := decodeJSON(respBody); ok {
		if t := trimResponse(redactValue(doc, "", secrets)); t != nil {
			ex.RespBody, _ = json.Marshal(t)
		}
	}
	return ex, nil
}

package harness

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"unicode/utf8"
)

// Redacted replaces every secret the harness writes anywhere.
const Redacted = "[REDACTED]"

var bearerRE = regexp.MustCompile(`(?i)(bearer|basic|token)(\s+|=|:\s*)[A-Za-z0-9._~+/=\-]{6,}`)

// Redact removes the given secrets, and anything that looks like a bearer or basic credential,
// from s. Every string the harness writes to a log, a recording or a report passes through it.
func Redact(s string, secrets ...string) string {
	for _, sec := range secrets {
		if len(sec) >= 4 {
			s = strings.ReplaceAll(s, sec, Redacted)
		}
	}
	if !mayHoldCredential(s) {
		return s
	}
	return bearerRE.ReplaceAllString(s, "${1}${2}"+Redacted)
}

// mayHoldCredential reports whether bearerRE can match s: a match starts with bearer, basic or
// token in some letter case. Checking that costs a scan of the bytes, far less than running the
// regexp over every request and response body of a large sync. A string with a non-ASCII byte
// always goes to the regexp, whose case folding also knows letters such as the Kelvin sign.
func mayHoldCredential(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= utf8.RuneSelf {
			return true
		}
		switch c | 0x20 {
		case 'b':
			if hasFoldPrefix(s[i:], "bearer") || hasFoldPrefix(s[i:], "basic") {
				return true
			}
		case 't':
			if hasFoldPrefix(s[i:], "token") {
				return true
			}
		}
	}
	return false
}

func hasFoldPrefix(s, word string) bool {
	return len(s) >= len(word) && strings.EqualFold(s[:len(word)], word)
}

// RedactHeader returns a copy of h with Authorization, cookies and API-key headers redacted.
func RedactHeader(h http.Header, secrets ...string) http.Header {
	out := make(http.Header, len(h))
	for k, vs := range h {
		switch http.CanonicalHeaderKey(k) {
		case "Authorization", "Proxy-Authorization", "Cookie", "Set-Cookie", "X-Api-Key", "Api-Key", "X-Auth-Token":
			out[k] = []string{Redacted}
		default:
			cp := make([]string, len(vs))
			for i, v := range vs {
				cp[i] = Redact(v, secrets...)
			}
			out[k] = cp
		}
	}
	return out
}

// RedactURL hides user info and token-like query values in a URL.
func RedactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return Redact(raw)
	}
	if u.User != nil {
		u.User = url.User(Redacted)
	}
	q := u.Query()
	changed := false
	for k := range q {
		lk := strings.ToLower(k)
		if strings.Contains(lk, "token") || strings.Contains(lk, "key") || strings.Contains(lk, "secret") || lk == "password" {
			q.Set(k, Redacted)
			changed = true
		}
	}
	if changed {
		u.RawQuery = q.Encode()
	}
	// url.User escapes the brackets of Redacted; say it as the rest of the output does.
	return strings.Replace(u.String(), url.User(Redacted).String()+"@", Redacted+"@", 1)
}

// RedactError returns err with the given secrets (and bearer-like credentials) removed from its
// message; errors.Is and errors.As still see the original. A target may echo a token in an
// error body, and error messages reach reports.
func RedactError(err error, secrets ...string) error {
	if err == nil {
		return nil
	}
	return &redactedError{msg: Redact(err.Error(), secrets...), err: err}
}

type redactedError struct {
	msg string
	err error
}

func (e *redactedError) Error() string { return e.msg }
func (e *redactedError) Unwrap() error { return e.err }

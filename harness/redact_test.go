package harness

import (
	"net/url"
	"strings"
	"testing"
)

// A URL's user info and token-like query values are hidden, in the plain [REDACTED] the rest
// of the output uses; everything else is kept.
func TestRedactURLHidesUserInfoAndTokens(t *testing.T) {
	for raw, want := range map[string]string{
		"http://admin:s3cret@127.0.0.1:9/scim/v2":            "http://" + Redacted + "@127.0.0.1:9/scim/v2",
		"https://scim.example.test/scim?access_token=s3cret": "https://scim.example.test/scim?access_token=" + url.QueryEscape(Redacted),
		"https://scim.example.test/scim/v2?aadOptscim062020": "https://scim.example.test/scim/v2?aadOptscim062020",
	} {
		got := RedactURL(raw)
		if got != want {
			t.Errorf("RedactURL(%q) = %q, want %q", raw, got, want)
		}
		if strings.Contains(got, "s3cret") {
			t.Errorf("RedactURL(%q) keeps the secret: %q", raw, got)
		}
	}
}

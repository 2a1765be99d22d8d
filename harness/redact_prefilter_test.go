package harness

import (
	"math/rand/v2"
	"strings"
	"testing"
)

// TestRedactPrefilterAgreesWithRegexp checks that skipping the credential regexp on strings that
// cannot hold a credential changes nothing: Redact must equal the regexp applied to every string.
func TestRedactPrefilterAgreesWithRegexp(t *testing.T) {
	pieces := []string{"bearer", "BeArEr", "basic", "BASIC", "token", "ToKeN", "to\u212Aen", "ba\u017Fic",
		" ", "=", ": ", ":", "abcdef123456", "xyz", "{\"userName\":\"bob@partner.example\"}", "é", "\n", "b", "t"}
	rng := rand.New(rand.NewPCG(3, 5))
	for i := 0; i < 20000; i++ {
		var b strings.Builder
		for n := rng.IntN(6); n >= 0; n-- {
			b.WriteString(pieces[rng.IntN(len(pieces))])
		}
		s := b.String()
		want := bearerRE.ReplaceAllString(s, "${1}${2}"+Redacted)
		if got := Redact(s); got != want {
			t.Fatalf("Redact(%q) = %q, the regexp alone gives %q", s, got, want)
		}
	}
}

// BenchmarkRedactBody is the redaction of a typical SCIM user body with no credential in it.
func BenchmarkRedactBody(b *testing.B) {
	body := `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"id":"2819c223-7f76-453a-919d-413861904646","userName":"bob@partner.example","name":{"givenName":"Bob","familyName":"Brown"},"emails":[{"primary":true,"value":"bob@partner.example","type":"work"}],"displayName":"Bob Brown","locale":"en-US","externalId":"00u1a2b3c4d5e6f7g8h9","active":true,"meta":{"resourceType":"User","created":"2026-11-28T17:00:00.000Z","lastModified":"2026-11-28T17:00:00.000Z","location":"http://127.0.0.1:32768/scim/v2/Users/2819c223-7f76-453a-919d-413861904646","version":"W/\"3\""}}`
	for b.Loop() {
		Redact(body, "srt_0123456789abcdef")
	}
}

package harness

import "testing"

// A filter's string value is a JSON string with only what JSON requires escaped: & < > stay as
// the IdPs send them.
func TestQuoteFilterValueEscapesOnlyWhatJSONRequires(t *testing.T) {
	for in, want := range map[string]string{
		`R&D <ops>`:           `"R&D <ops>"`,
		`say "hi" \ bye`:      `"say \"hi\" \\ bye"`,
		"tab\there":           `"tab\u0009here"`,
		"Zoë@partner.example": `"Zoë@partner.example"`,
	} {
		if got := QuoteFilterValue(in); got != want {
			t.Errorf("QuoteFilterValue(%q) = %s, want %s", in, got, want)
		}
	}
}

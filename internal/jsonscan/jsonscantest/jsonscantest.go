// Package jsonscantest holds what the differential tests of package jsonscan and of the harness's
// list-page decoding share: a generator of random JSON objects and seeds for JSON validity. Only
// tests import it.
package jsonscantest

import (
	"math/rand/v2"
	"strings"
)

// RandomObject writes a JSON object of fewer than most members, each a key and a value drawn
// from keys and values (JSON texts), with whitespace drawn from spaces around every token.
func RandomObject(rng *rand.Rand, keys, values, spaces []string, most int) string {
	sp := func() string { return spaces[rng.IntN(len(spaces))] }
	var b strings.Builder
	b.WriteString(sp() + "{")
	for j := range rng.IntN(most) {
		if j > 0 {
			b.WriteString(sp() + ",")
		}
		b.WriteString(sp() + keys[rng.IntN(len(keys))] + sp() + ":" + sp() + values[rng.IntN(len(values))])
	}
	b.WriteString(sp() + "}" + sp())
	return b.String()
}

// ValiditySeeds are edge cases of JSON validity: control bytes and escapes in strings, invalid
// UTF-8 (which encoding/json accepts), number forms, trailing commas and garbage.
var ValiditySeeds = []string{`{}`, `[1,2]`, `{"a":"b\u0041"}`, `01`, `1e5`, `-0`, "\"\x01\"", `tru`,
	`{"a":1,}`, `[1,]`, ` 1 `, `1 2`, "\"\xff\"", `"\ud800"`, `{"a"  :  [ ] }`, `-`, `1.`, `.5`, `1e`,
	`"\/"`, `"\x"`, "\"\x10\\b\"", `{"a":}`, `{"a" 1}`, `[1 2]`, `nul`, `null `, `"\u12"`, `1E+2`,
	`-01`, `{"a":[{"b":[{}]}]}`, "\t\r\n[]", `{"a":1}}`, `[`}

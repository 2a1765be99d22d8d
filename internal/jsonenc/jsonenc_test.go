package jsonenc

import (
	"encoding/json"
	"math"
	"math/rand/v2"
	"testing"
)

// jsonStringSeeds are strings encoding/json escapes: quotes, backslashes, every control byte,
// HTML's <>&, U+2028/2029, invalid UTF-8, multi-byte runes.
var jsonStringSeeds = []string{"", "plain", `q"uote`, `back\slash`, "\b\f\n\r\t\x00\x01\x1f\x7f", "<a href='x'>&amp;</a>",
	"line\u2028sep\u2029", "bad\xffutf8\xc3", "trunc\xe2\x82", "ü é 日本 🙂", "\u00a0", "\xed\xa0\x80"}

// randomTree builds a body of the kinds a scenario, a decoded answer or a directory's rendered
// resource holds.
func randomTree(rng *rand.Rand, depth int) any {
	switch k := rng.IntN(10); {
	case depth > 3 || k < 3:
		return jsonStringSeeds[rng.IntN(len(jsonStringSeeds))]
	case k == 3:
		return rng.IntN(2) == 0
	case k == 4:
		return nil
	case k == 5:
		return []any{1.5, 1e21, 1e-7, -0.0, float64(rng.IntN(1000)), 42, -rng.IntN(1 << 40), int64(-7), json.Number("12.50"), math.Inf(1)}[rng.IntN(10)]
	case k == 6 && rng.IntN(3) == 0:
		var a []string // nil sometimes: null
		for range rng.IntN(4) {
			a = append(a, jsonStringSeeds[rng.IntN(len(jsonStringSeeds))])
		}
		return a
	case k == 6:
		a := make([]any, rng.IntN(4))
		for i := range a {
			a[i] = randomTree(rng, depth+1)
		}
		return a
	default:
		m := map[string]any{}
		for range rng.IntN(5) {
			m[jsonStringSeeds[rng.IntN(len(jsonStringSeeds))]+string(rune('a'+rng.IntN(26)))] = randomTree(rng, depth+1)
		}
		return m
	}
}

func TestAppendMatchesMarshal(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 9))
	for range 20000 {
		checkAppend(t, randomTree(rng, 0))
	}
	for _, v := range []any{map[string]any(nil), []any(nil), map[string]any{"raw": json.RawMessage(` { "a" : "<b>" } `)},
		map[string]any{"n": []string{"typed", "slice"}}} {
		checkAppend(t, v)
	}
}

func checkAppend(t *testing.T, v any) {
	t.Helper()
	want, werr := json.Marshal(v)
	got, gerr := Append(nil, v)
	if (werr != nil) != (gerr != nil) || string(got) != string(want) {
		t.Fatalf("Append(%#v) = %s, %v; json.Marshal %s, %v", v, got, gerr, want, werr)
	}
}

// FuzzAppendString: any string, in a value and as a key, encodes as json.Marshal encodes it.
func FuzzAppendString(f *testing.F) {
	for _, s := range jsonStringSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		checkAppend(t, map[string]any{s: []any{s, true, nil}})
	})
}

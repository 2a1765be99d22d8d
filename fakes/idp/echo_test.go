package idp

import (
	"encoding/json"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"

	"github.com/scimreplay/scimreplay/internal/jsonmerge"
)

// TestEchoBodyMatchesMergeOfTheDecodedBody: the spliced echo body is, as JSON, exactly what
// decoding the GET body and laying the overlays on it with jsonmerge.Merge gives, on random bodies
// (nested objects, repeated and escaped keys, arrays, non-objects) and random overlays (null to
// remove, objects to merge, lists and scalars to replace, overlays that are not objects).
func TestEchoBodyMatchesMergeOfTheDecodedBody(t *testing.T) {
	keys := []string{"id", "name", "emails", "meta", "groups", "active", "urn:x:User", "ü", `q\"k`}
	rng := rand.New(rand.NewPCG(5, 7))
	var value func(depth int) any
	value = func(depth int) any {
		switch rng.IntN(7) {
		case 0:
			return "v" + strings.Repeat("x", rng.IntN(3))
		case 1:
			return float64(rng.IntN(5))
		case 2:
			return rng.IntN(2) == 0
		case 3:
			if depth > 1 {
				return nil
			}
			return []any{value(depth + 1), value(depth + 1)}
		case 4, 5:
			if depth > 1 {
				return "leaf"
			}
			m := map[string]any{}
			for i := 0; i < rng.IntN(3); i++ {
				m[keys[rng.IntN(3)]] = value(depth + 1)
			}
			return m
		}
		return nil
	}
	rawBody := func() string {
		if rng.IntN(15) == 0 {
			return `["not", "an", "object"]`
		}
		var b strings.Builder
		b.WriteString("{")
		for i := 0; i < rng.IntN(6); i++ {
			if i > 0 {
				b.WriteString(", ")
			}
			k := keys[rng.IntN(len(keys))]
			v, _ := json.Marshal(value(0))
			b.WriteString(`"` + k + `": ` + string(v))
		}
		b.WriteString("}")
		return b.String()
	}
	overlay := func() any {
		if rng.IntN(20) == 0 {
			return []any{"replaces", "everything"}
		}
		m := map[string]any{}
		for i := 0; i < rng.IntN(4); i++ {
			m[keys[rng.IntN(7)]] = value(0)
		}
		return m
	}
	spliced := 0
	for i := 0; i < 20000; i++ {
		raw := []byte(rawBody())
		var overlays []any
		for j := 0; j < rng.IntN(3); j++ {
			overlays = append(overlays, overlay())
		}
		var want any
		if err := json.Unmarshal(raw, &want); err != nil {
			t.Fatalf("the test made invalid JSON: %s", raw)
		}
		for _, o := range overlays {
			want = jsonmerge.Merge(want, o)
		}
		kept := jsonmerge.Copy(overlays)
		got, err := echoBody(raw, overlays)
		if err != nil {
			t.Fatalf("%s with %v: %v", raw, overlays, err)
		}
		if !reflect.DeepEqual(jsonmerge.Copy(overlays), kept) { // callers may share their overlays
			t.Fatalf("%s: echoBody changed its overlays %v into %v", raw, kept, overlays)
		}
		var gotDoc any
		if err := json.Unmarshal(got, &gotDoc); err != nil {
			t.Fatalf("%s with %v: echo body %s is not JSON: %v", raw, overlays, got, err)
		}
		if !reflect.DeepEqual(gotDoc, want) {
			t.Fatalf("%s with %v:\n got %s\nwant %v", raw, overlays, got, want)
		}
		if !strings.Contains(string(raw), `\"`) && raw[0] == '{' {
			spliced++
		}
	}
	if spliced < 5000 {
		t.Fatalf("only %d bodies could be spliced: the test no longer exercises the splice", spliced)
	}
}

// BenchmarkEchoBody is one profile push's body: a directory's user, Okta's profile on top.
func BenchmarkEchoBody(b *testing.B) {
	raw := []byte(`{"active":true,"displayName":"Ada Abbott","emails":[{"primary":true,"type":"work","value":"user00001@acme.example"}],"externalId":"00u8f0a3c1b2d4e5f6a","groups":[{"$ref":"http://127.0.0.1:32768/scim/v2/Groups/6b1e","display":"group-001","type":"direct","value":"6b1e"}],"id":"2819c223-7f76-453a-919d-413861904646","locale":"en-US","meta":{"created":"2026-11-28T17:00:00.000Z","lastModified":"2026-11-28T17:00:00.000Z","location":"http://127.0.0.1:32768/scim/v2/Users/2819c223","resourceType":"User","version":"W/\"3\""},"name":{"familyName":"Abbott","givenName":"Ada"},"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"urn:scimreplay:params:scim:schemas:extension:atlassian:2.0:User":{"atlassianAccountId":"acct-user00001"},"userName":"user00001@acme.example"}`)
	profile := map[string]any{
		"schemas": []any{"urn:ietf:params:scim:schemas:core:2.0:User"}, "userName": "user00001@acme.example",
		"name":        map[string]any{"givenName": "Ada", "familyName": "Abbott"},
		"emails":      []any{map[string]any{"primary": true, "value": "user00001@acme.example", "type": "work"}},
		"displayName": "Ada Abbott", "locale": "en-US", "externalId": "00u8f0a3c1b2d4e5f6a", "groups": []any{}, "active": true,
	}
	b.Run("splice", func(b *testing.B) {
		for b.Loop() {
			if _, err := echoBody(raw, []any{profile}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("decode-merge-encode", func(b *testing.B) {
		for b.Loop() {
			var doc any
			_ = json.Unmarshal(raw, &doc)
			_, _ = json.Marshal(jsonmerge.Into(doc, profile))
		}
	})
}

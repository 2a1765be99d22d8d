package jsonscan

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/scimreplay/scimreplay/internal/jsonscan/jsonscantest"
)

// TestResourceIDMatchesEncodingJSON compares ResourceID with decoding into a struct with an id
// field, on random objects: keys in any case, repeated, escaped or non-ASCII, nested ids, every
// kind of value, odd spacing, and values that are not objects.
func TestResourceIDMatchesEncodingJSON(t *testing.T) {
	keys := []string{`"id"`, `"ID"`, `"Id"`, `"name"`, `"idx"`, `"\u0069d"`, `"ıd"`, `"i\"d"`, `""`, `"members"`}
	values := []string{`"a"`, `""`, `1`, `-2.5e3`, `null`, `true`, `{"id":"nested","x":[1,{"id":2}]}`, `["id","}"]`, `"x\"y\\"`, `"}"`, `{}`, `[]`, `"ü"`}
	spaces := []string{"", " ", "\n\t", "\r\n  "}
	rng := rand.New(rand.NewPCG(4, 2))
	fast := 0
	for i := 0; i < 50000; i++ {
		doc := jsonscantest.RandomObject(rng, keys, values, spaces, 5)
		switch rng.IntN(12) {
		case 0:
			doc = values[rng.IntN(len(values))] // not an object
		case 1:
			doc = "null"
		}
		if !json.Valid([]byte(doc)) {
			t.Fatalf("the test made invalid JSON: %s", doc)
		}
		var want struct {
			ID any `json:"id"`
		}
		werr := json.Unmarshal([]byte(doc), &want)
		got, gerr := ResourceID([]byte(doc))
		if (werr != nil) != (gerr != nil) || fmt.Sprintf("%#v", got) != fmt.Sprintf("%#v", want.ID) {
			t.Fatalf("%s: ResourceID gives %#v, %v; encoding/json gives %#v, %v", doc, got, gerr, want.ID, werr)
		}
		if _, _, ok := topLevelMember([]byte(doc), "id"); ok {
			fast++
		}
	}
	if fast < 10000 {
		t.Fatalf("only %d of 50000 documents took the scanner", fast)
	}
}

// BenchmarkResourceID is the id check of one user resource as the reference directory renders it.
func BenchmarkResourceID(b *testing.B) {
	raw := []byte(`{"active":true,"displayName":"Ada Abbott","emails":[{"primary":true,"type":"work","value":"user00001@acme.example"}],"externalId":"00u8f0a3c1b2d4e5f6a","groups":[{"$ref":"http://127.0.0.1:32768/scim/v2/Groups/6b1e","display":"group-001","type":"direct","value":"6b1e"}],"id":"2819c223-7f76-453a-919d-413861904646","locale":"en-US","meta":{"created":"2026-11-28T17:00:00.000Z","lastModified":"2026-11-28T17:00:00.000Z","location":"http://127.0.0.1:32768/scim/v2/Users/2819c223","resourceType":"User","version":"W/\"3\""},"name":{"familyName":"Abbott","givenName":"Ada"},"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"urn:scimreplay:params:scim:schemas:extension:atlassian:2.0:User":{"atlassianAccountId":"acct-user00001"},"userName":"user00001@acme.example"}`)
	b.Run("scanner", func(b *testing.B) {
		for b.Loop() {
			if _, err := ResourceID(raw); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("encoding/json", func(b *testing.B) {
		for b.Loop() {
			var res struct {
				ID any `json:"id"`
			}
			if err := json.Unmarshal(raw, &res); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// TestEachMemberMatchesEncodingJSON compares EachMember with decoding into
// map[string]json.RawMessage on random objects (keys repeated and in odd spacing, nested values).
func TestEachMemberMatchesEncodingJSON(t *testing.T) {
	keys := []string{`"id"`, `"ID"`, `"name"`, `"meta"`, `"urn:x:User"`, `"\u0069d"`, `"ü"`, `""`}
	values := []string{`"a"`, `1`, `null`, `true`, `{"id":"nested","x":[1,{"y":"}"}]}`, `["]",{}]`, `"x\"y\\"`, `{}`, `[]`, `-0.5e-3`}
	spaces := []string{"", " ", "\n\t"}
	rng := rand.New(rand.NewPCG(8, 1))
	fast := 0
	for i := 0; i < 30000; i++ {
		doc := []byte(jsonscantest.RandomObject(rng, keys, values, spaces, 6))
		got := map[string]json.RawMessage{}
		ok := EachMember(doc, func(k, v []byte) { got[string(k)] = v }) // the last member wins, as in a decoded map
		if !ok {
			continue
		}
		fast++
		var want map[string]json.RawMessage
		if err := json.Unmarshal(doc, &want); err != nil {
			t.Fatalf("%s: EachMember read it, encoding/json fails: %v", doc, err)
		}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("%s: EachMember gives %s, encoding/json %s", doc, got, want)
		}
	}
	if fast < 10000 {
		t.Fatalf("only %d documents took the scanner", fast)
	}
}

// FuzzValidJSON holds Valid (gjson's validator) to json.Valid: the replay's protocol check
// must refuse exactly the bodies encoding/json refuses. (fastjson's validator, also tried,
// accepts control bytes in strings; this is how that was found.)
func FuzzValidJSON(f *testing.F) {
	for _, s := range jsonscantest.ValiditySeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if got, want := Valid(b), json.Valid(b); got != want {
			t.Fatalf("Valid(%q) = %v, json.Valid %v", b, got, want)
		}
	})
}

package harness

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
)

// TestResourceIDMatchesEncodingJSON compares resourceID with decoding into a struct with an id
// field, on random objects: keys in any case, repeated, escaped or non-ASCII, nested ids, every
// kind of value, odd spacing, and values that are not objects.
func TestResourceIDMatchesEncodingJSON(t *testing.T) {
	keys := []string{`"id"`, `"ID"`, `"Id"`, `"name"`, `"idx"`, `"\u0069d"`, `"ıd"`, `"i\"d"`, `""`, `"members"`}
	values := []string{`"a"`, `""`, `1`, `-2.5e3`, `null`, `true`, `{"id":"nested","x":[1,{"id":2}]}`, `["id","}"]`, `"x\"y\\"`, `"}"`, `{}`, `[]`, `"ü"`}
	spaces := []string{"", " ", "\n\t", "\r\n  "}
	rng := rand.New(rand.NewPCG(4, 2))
	fast := 0
	for i := 0; i < 50000; i++ {
		doc := randomObject(rng, keys, values, spaces, 5)
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
		got, gerr := resourceID([]byte(doc))
		if (werr != nil) != (gerr != nil) || fmt.Sprintf("%#v", got) != fmt.Sprintf("%#v", want.ID) {
			t.Fatalf("%s: resourceID gives %#v, %v; encoding/json gives %#v, %v", doc, got, gerr, want.ID, werr)
		}
		if _, _, ok := topLevelMember([]byte(doc), "id"); ok {
			fast++
		}
	}
	if fast < 10000 {
		t.Fatalf("only %d of 50000 documents took the scanner", fast)
	}
}

// randomObject writes a JSON object of fewer than most members, each a key and a value drawn
// from keys and values (JSON texts), with whitespace drawn from spaces around every token.
func randomObject(rng *rand.Rand, keys, values, spaces []string, most int) string {
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

// BenchmarkResourceID is the id check of one user resource as the reference directory renders it.
func BenchmarkResourceID(b *testing.B) {
	raw := []byte(`{"active":true,"displayName":"Ada Abbott","emails":[{"primary":true,"type":"work","value":"user00001@acme.example"}],"externalId":"00u8f0a3c1b2d4e5f6a","groups":[{"$ref":"http://127.0.0.1:32768/scim/v2/Groups/6b1e","display":"group-001","type":"direct","value":"6b1e"}],"id":"2819c223-7f76-453a-919d-413861904646","locale":"en-US","meta":{"created":"2026-11-28T17:00:00.000Z","lastModified":"2026-11-28T17:00:00.000Z","location":"http://127.0.0.1:32768/scim/v2/Users/2819c223","resourceType":"User","version":"W/\"3\""},"name":{"familyName":"Abbott","givenName":"Ada"},"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"urn:scimreplay:params:scim:schemas:extension:atlassian:2.0:User":{"atlassianAccountId":"acct-user00001"},"userName":"user00001@acme.example"}`)
	b.Run("scanner", func(b *testing.B) {
		for b.Loop() {
			if _, err := resourceID(raw); err != nil {
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
		doc := []byte(randomObject(rng, keys, values, spaces, 6))
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

// validJSONSeeds are edge cases of JSON validity: control bytes and escapes in strings, invalid
// UTF-8 (which encoding/json accepts), number forms, trailing commas and garbage.
var validJSONSeeds = []string{`{}`, `[1,2]`, `{"a":"b\u0041"}`, `01`, `1e5`, `-0`, "\"\x01\"", `tru`,
	`{"a":1,}`, `[1,]`, ` 1 `, `1 2`, "\"\xff\"", `"\ud800"`, `{"a"  :  [ ] }`, `-`, `1.`, `.5`, `1e`,
	`"\/"`, `"\x"`, "\"\x10\\b\"", `{"a":}`, `{"a" 1}`, `[1 2]`, `nul`, `null `, `"\u12"`, `1E+2`,
	`-01`, `{"a":[{"b":[{}]}]}`, "\t\r\n[]", `{"a":1}}`, `[`}

// FuzzValidJSON holds validJSON (gjson's validator) to json.Valid: the replay's protocol check
// must refuse exactly the bodies encoding/json refuses. (fastjson's validator, also tried,
// accepts control bytes in strings; this is how that was found.)
func FuzzValidJSON(f *testing.F) {
	for _, s := range validJSONSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if got, want := validJSON(b), json.Valid(b); got != want {
			t.Fatalf("validJSON(%q) = %v, json.Valid %v", b, got, want)
		}
	})
}

// TestDecodeListPageMatchesEncodingJSON compares decodeListPage with json.Unmarshal into a
// listPage on random pages: paging members in any case, repeated, null, of the wrong type;
// resources of every kind; keys the scanner leaves to encoding/json; bodies that are not JSON.
func TestDecodeListPageMatchesEncodingJSON(t *testing.T) {
	keys := []string{`"totalResults"`, `"TOTALRESULTS"`, `"startIndex"`, `"itemsPerPage"`, `"Resources"`, `"resources"`,
		`"schemas"`, `"\u0052esources"`, `"ü"`, `"Resources "`}
	values := []string{`3`, `-1`, `1.5`, `1e2`, `"2"`, `null`, `true`, `[]`, `{}`, `[{"id":"a"},{"id":"b"}]`,
		`[ {"id":"a", "x":[1,"]"]} , 2, "s", null, [] ]`, `["urn:ietf:params:scim:api:messages:2.0:ListResponse"]`,
		`99999999999999999999`, `{"Resources":[1]}`}
	spaces := []string{"", " ", "\n\t"}
	rng := rand.New(rand.NewPCG(7, 3))
	fast := 0
	for i := 0; i < 40000; i++ {
		doc := randomObject(rng, keys, values, spaces, 6)
		switch rng.IntN(15) {
		case 0:
			doc = values[rng.IntN(len(values))] // not an object
		case 1:
			doc = doc[:rng.IntN(len(doc))] // cut short
		}
		if _, ok := scanListPage([]byte(doc)); ok {
			fast++
		}
		checkListPageDecoding(t, []byte(doc))
	}
	if fast < 5000 {
		t.Fatalf("only %d of 40000 pages took the scanner", fast)
	}
}

// FuzzDecodeListPage is TestDecodeListPageMatchesEncodingJSON on any bytes.
func FuzzDecodeListPage(f *testing.F) {
	f.Add([]byte(`{"totalResults":2,"Resources":[{"id":"a"},{"id":"b"}],"startIndex":1,"itemsPerPage":2}`))
	f.Add([]byte(`{"totalresults":null,"resources":null}`))
	f.Add([]byte(`{"Resources":{"id":"a"}}`))
	for _, s := range validJSONSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(checkListPageDecoding)
}

func checkListPageDecoding(t *testing.T, doc []byte) {
	var want listPage
	werr := json.Unmarshal(doc, &want)
	got, gerr := decodeListPage(doc)
	if (werr != nil) != (gerr != nil) {
		t.Fatalf("%s: decodeListPage error %v, encoding/json %v", doc, gerr, werr)
	}
	if werr == nil && !reflect.DeepEqual(got, want) {
		t.Fatalf("%s: decodeListPage gives %+v, encoding/json %+v", doc, got, want)
	}
}

// BenchmarkDecodeListPage is one page of 100 users as the reference directory renders them.
func BenchmarkDecodeListPage(b *testing.B) {
	page := []byte(usersPage(1, 100, 100))
	b.Run("scanner", func(b *testing.B) {
		for b.Loop() {
			if _, err := decodeListPage(page); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("encoding/json", func(b *testing.B) {
		for b.Loop() {
			var p listPage
			if err := json.Unmarshal(page, &p); err != nil {
				b.Fatal(err)
			}
		}
	})
}

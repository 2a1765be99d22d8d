package harness

import (
	"encoding/json"
	"math/rand/v2"
	"reflect"
	"testing"

	"github.com/scimreplay/scimreplay/internal/jsonscan/jsonscantest"
)

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
		doc := jsonscantest.RandomObject(rng, keys, values, spaces, 6)
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
	for _, s := range jsonscantest.ValiditySeeds {
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

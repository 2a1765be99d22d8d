package jsonmerge

import (
	"reflect"
	"testing"
)

func TestMerge(t *testing.T) {
	base := map[string]any{
		"userName": "ada", "active": true, "id": "u1",
		"name":   map[string]any{"givenName": "Ada", "familyName": "Abbott"},
		"emails": []any{map[string]any{"value": "a@x"}},
	}
	over := map[string]any{
		"name":   map[string]any{"givenName": "Renamed"},
		"emails": []any{map[string]any{"value": "b@x"}},
		"active": nil,
	}
	keptBase, keptOver := Copy(base), Copy(over)
	got := Merge(base, over)
	want := map[string]any{
		"userName": "ada", "id": "u1",
		"name":   map[string]any{"givenName": "Renamed", "familyName": "Abbott"},
		"emails": []any{map[string]any{"value": "b@x"}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("Merge gives %v, want %v", got, want)
	}
	if !reflect.DeepEqual(base, keptBase) || !reflect.DeepEqual(over, keptOver) {
		t.Fatalf("Merge changed its arguments: base %v, over %v", base, over)
	}
	got.(map[string]any)["emails"].([]any)[0].(map[string]any)["value"] = "c@x"
	if !reflect.DeepEqual(over, keptOver) {
		t.Fatal("the result shares an array of over")
	}
	if got := Merge(base, []any{"replaces"}); !reflect.DeepEqual(got, []any{"replaces"}) {
		t.Fatalf("an overlay that is not an object replaces the base: %v", got)
	}
}

func TestIntoChangesOnlyBase(t *testing.T) {
	base := map[string]any{"a": map[string]any{"b": 1.0}, "c": 2.0}
	over := map[string]any{"a": map[string]any{"d": map[string]any{"e": 3.0}}, "c": nil}
	got := Into(base, over).(map[string]any)
	if want := map[string]any{"a": map[string]any{"b": 1.0, "d": map[string]any{"e": 3.0}}}; !reflect.DeepEqual(got, want) {
		t.Fatalf("Into gives %v, want %v", got, want)
	}
	got["a"].(map[string]any)["d"].(map[string]any)["e"] = 4.0
	if over["a"].(map[string]any)["d"].(map[string]any)["e"] != 3.0 {
		t.Fatal("the result shares an object of over")
	}
	if got := Into(nil, over); !reflect.DeepEqual(got, over) {
		t.Fatalf("Into a nil base gives %v", got)
	}
}

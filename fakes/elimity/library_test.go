package elimity

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"

	scimfilter "github.com/elimity-com/scim/filter"
)

// These tests pin down what github.com/elimity-com/scim gets wrong and the server works
// around. Should one start failing, the library changed, and the workaround may go.

// The library's evaluator expects one object under a multi-valued complex attribute, so
// `emails.value eq "…"` never matches; rewrite makes it the value path it does evaluate.
func TestLibraryMissesSubAttributeOfMultiValued(t *testing.T) {
	s, err := New(Config{})
	if err != nil {
		t.Fatal(err)
	}
	user := map[string]any{"userName": "bob", "emails": []any{map[string]any{"value": "bob@partner.example", "type": "work"}}}
	v, err := scimfilter.NewValidator(`emails.value eq "bob@partner.example"`, s.users.filterCore, s.users.exts...)
	if err != nil {
		t.Fatal(err)
	}
	if err := v.PassesFilter(user); err == nil {
		t.Error("the library now matches emails.value eq itself: the rewrite may go")
	}
	fixed := scimfilter.NewFilterValidator(s.users.rewrite(v.GetFilter()), s.users.filterCore, s.users.exts...)
	if err := fixed.PassesFilter(user); err != nil {
		t.Errorf("the rewritten filter does not match: %v", err)
	}
}

// The library's ListResponse says itemsPerPage = the count asked for, whatever it returns.
func TestLibraryItemsPerPageIsTheCountAsked(t *testing.T) {
	s, err := New(Config{})
	if err != nil {
		t.Fatal(err)
	}
	rec := httptest.NewRecorder()
	s.lib.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/Users?startIndex=1&count=100", nil))
	var page struct{ ItemsPerPage, TotalResults int }
	if err := json.Unmarshal(rec.Body.Bytes(), &page); err != nil {
		t.Fatal(err)
	}
	if page.TotalResults != 0 || page.ItemsPerPage != 100 {
		t.Errorf("the library now answers itemsPerPage %d for an empty page: fixItemsPerPage may go", page.ItemsPerPage)
	}
}

// The library strips a leading /v2 from every path itself.
func TestLibraryStripsV2(t *testing.T) {
	s, err := New(Config{})
	if err != nil {
		t.Fatal(err)
	}
	rec := httptest.NewRecorder()
	s.lib.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/v2/ServiceProviderConfig", nil))
	if rec.Code != http.StatusOK {
		t.Errorf("the library no longer strips /v2 (%d): ServeHTTP's guard may go", rec.Code)
	}
}

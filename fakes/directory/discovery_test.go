package directory

import (
	"net/http"
	"net/url"
	"testing"
)

func TestDiscovery(t *testing.T) {
	h := newHarness(t)
	spc := h.must(http.StatusOK, "GET", "/scim/v2/ServiceProviderConfig", nil).body
	for _, feature := range []string{"patch", "filter", "etag"} {
		if spc[feature].(map[string]any)["supported"] != true {
			t.Errorf("ServiceProviderConfig %s not supported: %v", feature, spc[feature])
		}
	}
	if spc["bulk"].(map[string]any)["supported"] != false {
		t.Errorf("bulk advertised")
	}

	rts := h.must(http.StatusOK, "GET", "/scim/v2/ResourceTypes", nil).body
	if rts["totalResults"] != float64(2) {
		t.Errorf("ResourceTypes %v", rts)
	}
	user := h.must(http.StatusOK, "GET", "/scim/v2/ResourceTypes/User", nil).body
	if user["endpoint"] != "/Users" || user["schema"] != userSchema || len(user["schemaExtensions"].([]any)) != 2 {
		t.Errorf("ResourceTypes/User %v", user)
	}
	h.must(http.StatusNotFound, "GET", "/scim/v2/ResourceTypes/Printer", nil)

	schemas := h.must(http.StatusOK, "GET", "/scim/v2/Schemas", nil).body
	ids := map[string]bool{}
	for _, s := range schemas["Resources"].([]any) {
		ids[s.(map[string]any)["id"].(string)] = true
	}
	for _, want := range []string{userSchema, groupSchema, enterpriseSchema, ExtensionSchema} {
		if !ids[want] {
			t.Errorf("Schemas lacks %s", want)
		}
	}
	us := h.must(http.StatusOK, "GET", "/scim/v2/Schemas/"+url.PathEscape(userSchema), nil).body
	attrs := map[string]map[string]any{}
	for _, a := range us["attributes"].([]any) {
		m := a.(map[string]any)
		attrs[m["name"].(string)] = m
	}
	if attrs["userName"]["caseExact"] != false || attrs["userName"]["uniqueness"] != "server" {
		t.Errorf("userName %v", attrs["userName"])
	}
	if attrs["groups"]["mutability"] != "readOnly" || attrs["password"]["returned"] != "never" {
		t.Errorf("groups %v password %v", attrs["groups"], attrs["password"])
	}
	if _, ok := attrs["id"]; ok {
		t.Errorf("common attribute id listed in the schema")
	}
	h.must(http.StatusNotFound, "GET", "/scim/v2/Schemas/urn:nope", nil)
	h.must(http.StatusMethodNotAllowed, "POST", "/scim/v2/Schemas", map[string]any{})
}

func TestBasePath(t *testing.T) {
	h := newHarnessConfig(t, Config{BasePath: "scim/"})
	r := h.do("GET", "/scim/Users", nil)
	if r.status != http.StatusOK {
		t.Fatalf("custom base path: %d", r.status)
	}
	if h.do("GET", "/scim/v2/Users", nil).status != http.StatusNotFound {
		t.Errorf("default base path still served")
	}
	if h.do("GET", "/scimx/Users", nil).status != http.StatusNotFound {
		t.Errorf("prefix match without a slash")
	}
}

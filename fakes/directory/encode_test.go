package directory

import (
	"encoding/json"
	"net/http"
	"testing"
)

// TestEncodeMatchesMarshal: what the directory answers, users with every kind of attribute,
// groups with members and list pages (with and without Resources), encodes exactly as
// json.Marshal encodes it.
func TestEncodeMatchesMarshal(t *testing.T) {
	h := newHarness(t)
	a := h.createUser("a@acme.example")
	h.must(http.StatusCreated, "POST", "/scim/v2/Users", map[string]any{
		"schemas": []any{userSchema}, "userName": "Ünïcode <b>&</b>\u2028@partner.example", "active": false,
		"name":   map[string]any{"givenName": "Zoë", "familyName": "O\"Brien\\"},
		"emails": []any{map[string]any{"value": "bob@partner.example", "primary": true, "type": "work"}, map[string]any{"value": "b@x.example"}},
		"title":  "\x01\t", "nickName": nil, "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": map[string]any{"employeeNumber": "7"},
	})
	h.createGroup("eng", a)
	h.d.mu.Lock()
	defer h.d.mu.Unlock()
	var values []any
	var users, groups []any
	for _, u := range h.d.st.userOrder {
		r := h.d.renderUser(u, "http://x/scim/v2", projection{})
		users, values = append(users, r), append(values, r)
	}
	for _, g := range h.d.st.groupOrder {
		r := h.d.renderGroup(g, "http://x/scim/v2", projection{})
		groups, values = append(groups, r), append(values, r)
	}
	q := listQuery{startIndex: 1, count: 100}
	values = append(values, newListResponse(2, q, users).body, newListResponse(1, q, groups).body,
		newListResponse(0, q, nil).body, newListResponse(7, listQuery{startIndex: 3}, nil).body,
		listResponse{TotalResults: -1})
	for _, v := range values {
		want, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		got, err := encode(nil, v)
		if err != nil || string(got) != string(want) {
			t.Errorf("encode: %s, %v\njson.Marshal: %s", got, err, want)
		}
	}
}

package directory

import (
	"net/http"
	"strings"
)

// Discovery endpoints (RFC 7644 §4). Schemas are rendered from the same
// definitions that drive validation, filters and PATCH, so they cannot drift.

func (d *Directory) serviceProviderConfig(r *http.Request) *response {
	base := d.baseURL(r)
	return &response{status: http.StatusOK, body: map[string]any{
		"schemas":          []string{"urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"},
		"documentationUri": "https://datatracker.ietf.org/doc/html/rfc7644",
		"patch":            map[string]any{"supported": true},
		"bulk":             map[string]any{"supported": false, "maxOperations": 0, "maxPayloadSize": 0},
		"filter":           map[string]any{"supported": true, "maxResults": maxResults},
		"changePassword":   map[string]any{"supported": false},
		"sort":             map[string]any{"supported": false},
		"etag":             map[string]any{"supported": true},
		"authenticationSchemes": []any{map[string]any{
			"type":        "oauthbearertoken",
			"name":        "OAuth Bearer Token",
			"description": "Authentication with a bearer token in the Authorization header",
			"primary":     true,
		}},
		"meta": map[string]any{
			"resourceType": "ServiceProviderConfig",
			"location":     base + "/ServiceProviderConfig",
		},
	}}
}

func (d *Directory) resourceTypeBody(rs *resourceSchema, base string) map[string]any {
	body := map[string]any{
		"schemas":     []string{"urn:ietf:params:scim:schemas:core:2.0:ResourceType"},
		"id":          rs.name,
		"name":        rs.name,
		"endpoint":    rs.endpoint,
		"description": rs.core.Description,
		"schema":      rs.core.ID,
		"meta": map[string]any{
			"resourceType": "ResourceType",
			"location":     base + "/ResourceTypes/" + rs.name,
		},
	}
	if len(rs.exts) > 0 {
		exts := make([]any, len(rs.exts))
		for i, e := range rs.exts {
			exts[i] = map[string]any{"schema": e.ID, "required": false}
		}
		body["schemaExtensions"] = exts
	}
	return body
}

func (d *Directory) resourceTypes(r *http.Request, id string) (*response, error) {
	base := d.baseURL(r)
	all := []*resourceSchema{userResource, groupResource}
	if id != "" {
		for _, rs := range all {
			if strings.EqualFold(rs.name, id) {
				return &response{status: http.StatusOK, body: d.resourceTypeBody(rs, base)}, nil
			}
		}
		return nil, notFound("no resource type %q", id)
	}
	list := make([]any, len(all))
	for i, rs := range all {
		list[i] = d.resourceTypeBody(rs, base)
	}
	return discoveryList(list), nil
}

func (d *Directory) schemas(r *http.Request, id string) (*response, error) {
	base := d.baseURL(r)
	if id != "" {
		for _, s := range allSchemas {
			if strings.EqualFold(s.ID, id) {
				return &response{status: http.StatusOK, body: schemaBody(s, base)}, nil
			}
		}
		return nil, notFound("no schema %q", id)
	}
	list := make([]any, len(allSchemas))
	for i, s := range allSchemas {
		list[i] = schemaBody(s, base)
	}
	return discoveryList(list), nil
}

func discoveryList(resources []any) *response {
	return newListResponse(len(resources), listQuery{startIndex: 1, count: len(resources)}, resources)
}

func schemaBody(s *schemaDef, base string) map[string]any {
	var attrs []any
	for _, a := range s.Attrs {
		if !a.common {
			attrs = append(attrs, attrBody(a))
		}
	}
	return map[string]any{
		"schemas":     []string{"urn:ietf:params:scim:schemas:core:2.0:Schema"},
		"id":          s.ID,
		"name":        s.Name,
		"description": s.Description,
		"attributes":  attrs,
		"meta": map[string]any{
			"resourceType": "Schema",
			"location":     base + "/Schemas/" + s.ID,
		},
	}
}

func attrBody(a *attrDef) map[string]any {
	returned := a.Returned
	if returned == "" {
		returned = "default"
	}
	uniqueness := a.Uniqueness
	if uniqueness == "" {
		uniqueness = "none"
	}
	body := map[string]any{
		"name":        a.Name,
		"type":        string(a.Type),
		"multiValued": a.Multi,
		"description": a.Description,
		"required":    a.Required,
		"caseExact":   a.CaseExact,
		"mutability":  a.mutability(),
		"returned":    returned,
		"uniqueness":  uniqueness,
	}
	if len(a.CanonicalVals) > 0 {
		body["canonicalValues"] = a.CanonicalVals
	}
	if len(a.ReferenceTypes) > 0 {
		body["referenceTypes"] = a.ReferenceTypes
	}
	if len(a.Sub) > 0 {
		subs := make([]any, len(a.Sub))
		for i, s := range a.Sub {
			subs[i] = attrBody(s)
		}
		body["subAttributes"] = subs
	}
	return body
}

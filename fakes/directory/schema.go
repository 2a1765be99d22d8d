package directory

import (
	"math"
	"strings"
)

// Schema URNs served by the directory.
const (
	userSchema       = "urn:ietf:params:scim:schemas:core:2.0:User"
	groupSchema      = "urn:ietf:params:scim:schemas:core:2.0:Group"
	enterpriseSchema = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"

	// ExtensionSchema holds a user's link to an Atlassian account:
	// {"atlassianAccountId": "acct-bob"}. An unlinked user has no such object.
	ExtensionSchema = "urn:scim:schemas:extension:atlassian-external:1.0"
)

type attrType string

const (
	tString    attrType = "string"
	tBoolean   attrType = "boolean"
	tDecimal   attrType = "decimal"
	tInteger   attrType = "integer"
	tDateTime  attrType = "dateTime"
	tBinary    attrType = "binary"
	tReference attrType = "reference"
	tComplex   attrType = "complex"
)

const (
	readWrite = "readWrite"
	readOnly  = "readOnly"
	immutable = "immutable"
	writeOnly = "writeOnly"
)

// attrDef describes one attribute as in RFC 7643 §7. The same definitions
// drive input normalisation, filters, PATCH paths and the /Schemas endpoint.
type attrDef struct {
	Name           string
	Type           attrType
	Multi          bool
	Required       bool
	CaseExact      bool
	Mutability     string // default readWrite
	Returned       string // default "default"
	Uniqueness     string // default "none"
	CanonicalVals  []string
	ReferenceTypes []string
	Description    string
	Sub            []*attrDef
	common         bool // id, externalId, meta: not listed by /Schemas
}

func (a *attrDef) mutability() string {
	if a.Mutability == "" {
		return readWrite
	}
	return a.Mutability
}

func (a *attrDef) readOnly() bool { return a.mutability() == readOnly }

func (a *attrDef) sub(name string) *attrDef { return findAttr(a.Sub, name) }

func findAttr(defs []*attrDef, name string) *attrDef {
	for _, d := range defs {
		if strings.EqualFold(d.Name, name) {
			return d
		}
	}
	return nil
}

// schemaDef is a core schema or a schema extension.
type schemaDef struct {
	ID          string
	Name        string
	Description string
	Attrs       []*attrDef
}

func (s *schemaDef) attr(name string) *attrDef { return findAttr(s.Attrs, name) }

// resourceSchema ties a resource type to its core schema and extensions.
type resourceSchema struct {
	name     string // "User"
	endpoint string // "/Users"
	core     *schemaDef
	exts     []*schemaDef
}

func (rs *resourceSchema) ext(urn string) *schemaDef {
	for _, e := range rs.exts {
		if strings.EqualFold(e.ID, urn) {
			return e
		}
	}
	return nil
}

func str(name, desc string) *attrDef {
	return &attrDef{Name: name, Type: tString, Description: desc}
}

func exact(a *attrDef) *attrDef { a.CaseExact = true; return a }

func ro(a *attrDef) *attrDef { a.Mutability = readOnly; return a }

// multi builds the usual multi-valued attribute with value/display/type/primary.
func multi(name, desc string, valueType attrType, types ...string) *attrDef {
	return &attrDef{Name: name, Type: tComplex, Multi: true, Description: desc, Sub: []*attrDef{
		{Name: "value", Type: valueType, Description: "The attribute's value."},
		str("display", "A human-readable name, primarily used for display purposes."),
		{Name: "type", Type: tString, CanonicalVals: types, Description: "A label indicating the attribute's function."},
		{Name: "primary", Type: tBoolean, Description: "Indicates the 'primary' or preferred attribute value."},
	}}
}

func commonAttrs(resourceType string) []*attrDef {
	return []*attrDef{
		{Name: "id", Type: tString, CaseExact: true, Mutability: readOnly, Returned: "always", Uniqueness: "server", common: true,
			Description: "Unique identifier for the resource, assigned by the service provider."},
		{Name: "externalId", Type: tString, CaseExact: true, common: true,
			Description: "Identifier of the resource as defined by the provisioning client."},
		{Name: "meta", Type: tComplex, Mutability: readOnly, common: true, Description: "Resource metadata.", Sub: []*attrDef{
			exact(ro(str("resourceType", "Name of the resource type: "+resourceType+"."))),
			ro(&attrDef{Name: "created", Type: tDateTime, Description: "When the resource was added."}),
			ro(&attrDef{Name: "lastModified", Type: tDateTime, Description: "When the resource was last updated."}),
			ro(&attrDef{Name: "location", Type: tReference, CaseExact: true, Description: "URI of the resource."}),
			exact(ro(str("version", "Version (ETag) of the resource."))),
		}},
	}
}

var userCore = &schemaDef{
	ID: userSchema, Name: "User", Description: "User Account",
	Attrs: append(commonAttrs("User"),
		&attrDef{Name: "userName", Type: tString, Required: true, Uniqueness: "server",
			Description: "Unique identifier for the User, typically used to authenticate; case-insensitive."},
		&attrDef{Name: "name", Type: tComplex, Description: "The components of the user's real name.", Sub: []*attrDef{
			str("formatted", "The full name."),
			str("familyName", "The family name."),
			str("givenName", "The given name."),
			str("middleName", "The middle name(s)."),
			str("honorificPrefix", "Honorific prefix(es)."),
			str("honorificSuffix", "Honorific suffix(es)."),
		}},
		str("displayName", "The name of the User, suitable for display."),
		str("nickName", "The casual way to address the user."),
		&attrDef{Name: "profileUrl", Type: tReference, ReferenceTypes: []string{"external"}, Description: "URL of the user's online profile."},
		str("title", "The user's title."),
		str("userType", "The relationship between the organization and the user."),
		str("preferredLanguage", "The user's preferred written or spoken language."),
		str("locale", "The user's default location."),
		str("timezone", "The user's time zone in IANA format."),
		&attrDef{Name: "active", Type: tBoolean, Description: "The user's administrative status."},
		&attrDef{Name: "password", Type: tString, Mutability: writeOnly, Returned: "never", Description: "The user's cleartext password; never stored or returned."},
		multi("emails", "Email addresses for the user; value is case-insensitive.", tString, "work", "home", "other"),
		multi("phoneNumbers", "Phone numbers for the user.", tString, "work", "home", "mobile", "fax", "pager", "other"),
		multi("ims", "Instant messaging addresses for the user.", tString),
		multi("photos", "URLs of photos of the user.", tReference, "photo", "thumbnail"),
		&attrDef{Name: "addresses", Type: tComplex, Multi: true, Description: "Physical mailing addresses.", Sub: []*attrDef{
			str("formatted", "The full mailing address."),
			str("streetAddress", "The street address."),
			str("locality", "The city or locality."),
			str("region", "The state or region."),
			str("postalCode", "The zip code or postal code."),
			str("country", "The country name (ISO 3166-1 alpha-2)."),
			{Name: "type", Type: tString, CanonicalVals: []string{"work", "home", "other"}, Description: "The address's function."},
			{Name: "primary", Type: tBoolean, Description: "The primary address."},
		}},
		&attrDef{Name: "groups", Type: tComplex, Multi: true, Mutability: readOnly,
			Description: "Groups the user belongs to, computed from group membership.", Sub: []*attrDef{
				exact(ro(str("value", "The id of the group."))),
				ro(&attrDef{Name: "$ref", Type: tReference, CaseExact: true, ReferenceTypes: []string{"Group"}, Description: "The URI of the group."}),
				ro(str("display", "The group's displayName.")),
				ro(&attrDef{Name: "type", Type: tString, CanonicalVals: []string{"direct", "indirect"}, Description: "How the membership was derived."}),
			}},
		multi("entitlements", "Entitlements of the user.", tString),
		multi("roles", "Roles of the user.", tString),
		multi("x509Certificates", "Certificates of the user.", tBinary),
	),
}

var enterpriseExt = &schemaDef{
	ID: enterpriseSchema, Name: "EnterpriseUser", Description: "Enterprise User",
	Attrs: []*attrDef{
		str("employeeNumber", "Numeric or alphanumeric identifier assigned to a person."),
		str("costCenter", "Name of a cost center."),
		str("organization", "Name of an organization."),
		str("division", "Name of a division."),
		str("department", "Name of a department."),
		{Name: "manager", Type: tComplex, Description: "The user's manager.", Sub: []*attrDef{
			exact(str("value", "The id of the manager.")),
			{Name: "$ref", Type: tReference, CaseExact: true, ReferenceTypes: []string{"User"}, Description: "The URI of the manager."},
			ro(str("displayName", "The manager's displayName.")),
		}},
	},
}

var atlassianExt = &schemaDef{
	ID: ExtensionSchema, Name: "AtlassianExternal", Description: "Link of a user to an Atlassian account",
	Attrs: []*attrDef{
		exact(ro(str("atlassianAccountId", "The Atlassian account the user is linked to; absent when unlinked."))),
	},
}

var groupCore = &schemaDef{
	ID: groupSchema, Name: "Group", Description: "Group",
	Attrs: append(commonAttrs("Group"),
		&attrDef{Name: "displayName", Type: tString, Required: true, Uniqueness: "server",
			Description: "A human-readable name for the Group; unique, case-insensitive."},
		&attrDef{Name: "members", Type: tComplex, Multi: true, Description: "The members of the group (users).", Sub: []*attrDef{
			{Name: "value", Type: tString, CaseExact: true, Mutability: immutable, Description: "The id of the member."},
			{Name: "$ref", Type: tReference, CaseExact: true, Mutability: immutable, ReferenceTypes: []string{"User"}, Description: "The URI of the member."},
			ro(str("display", "The member's displayName or userName.")),
			{Name: "type", Type: tString, CanonicalVals: []string{"User"}, Mutability: immutable, Description: "The type of member."},
		}},
	),
}

var (
	userResource  = &resourceSchema{name: "User", endpoint: "/Users", core: userCore, exts: []*schemaDef{enterpriseExt, atlassianExt}}
	groupResource = &resourceSchema{name: "Group", endpoint: "/Groups", core: groupCore}
	allSchemas    = []*schemaDef{userCore, groupCore, enterpriseExt, atlassianExt}
)

// normalizeResource validates a client-supplied resource body against rs and
// returns its writable attributes under their canonical names. Read-only and
// unknown attributes are ignored (RFC 7644 §3.3, §3.5.1), as is the write-only
// password, which the directory never stores; null means unassigned.
// Attributes of unknown schema extensions (URN keys) are kept as sent.
func normalizeResource(rs *resourceSchema, in map[string]any) (map[string]any, error) {
	out := map[string]any{}
	for k, v := range in {
		if err := putAttr(rs, out, k, v); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// putAttr stores one top-level key of a resource body (or of a pathless PATCH
// value map) in out, normalised.
func putAttr(rs *resourceSchema, out map[string]any, key string, v any) error {
	if strings.EqualFold(key, "schemas") {
		return nil
	}
	if v == nil {
		return nil
	}
	if isURN(key) {
		return putExtension(rs, out, key, v)
	}
	def := rs.core.attr(key)
	if def == nil || def.readOnly() || def.mutability() == writeOnly {
		return nil
	}
	nv, err := normalizeValue(def, v)
	if err != nil {
		return err
	}
	setOrDelete(out, def.Name, nv)
	return nil
}

func isURN(key string) bool { return len(key) > 4 && strings.EqualFold(key[:4], "urn:") }

func putExtension(rs *resourceSchema, out map[string]any, key string, v any) error {
	if strings.EqualFold(key, rs.core.ID) {
		m, ok := v.(map[string]any)
		if !ok {
			return badRequest(scimInvalidValue, "%s must be an object", key)
		}
		for k, sv := range m {
			if err := putAttr(rs, out, k, sv); err != nil {
				return err
			}
		}
		return nil
	}
	if ext := rs.ext(key); ext != nil {
		m, ok := v.(map[string]any)
		if !ok {
			return badRequest(scimInvalidValue, "%s must be an object", key)
		}
		if ext.ID == ExtensionSchema {
			return nil // the link is managed by the directory (read-only)
		}
		em := map[string]any{}
		for k, sv := range m {
			def := ext.attr(k)
			if def == nil || def.readOnly() || sv == nil {
				continue
			}
			nv, err := normalizeValue(def, sv)
			if err != nil {
				return err
			}
			setOrDelete(em, def.Name, nv)
		}
		setOrDelete(out, ext.ID, em)
		return nil
	}
	// A fully qualified attribute ("urn:...:User:userName") or an unknown extension.
	if i := strings.LastIndex(key, ":"); i > 0 {
		prefix, name := key[:i], key[i+1:]
		if strings.EqualFold(prefix, rs.core.ID) {
			return putAttr(rs, out, name, v)
		}
		if ext := rs.ext(prefix); ext != nil {
			em, _ := out[ext.ID].(map[string]any)
			if em == nil {
				em = map[string]any{}
			}
			if err := putExtension(rs, out, ext.ID, mergeMaps(em, map[string]any{name: v})); err != nil {
				return err
			}
			return nil
		}
	}
	if _, ok := v.(map[string]any); !ok {
		return badRequest(scimInvalidValue, "extension %s must be an object", key)
	}
	out[key] = v
	return nil
}

func mergeMaps(a, b map[string]any) map[string]any {
	m := make(map[string]any, len(a)+len(b))
	for k, v := range a {
		m[k] = v
	}
	for k, v := range b {
		m[k] = v
	}
	return m
}

// setOrDelete stores v, or removes the key when v is unassigned (nil, empty
// list or empty object).
func setOrDelete(m map[string]any, key string, v any) {
	if isEmptyValue(v) {
		delete(m, key)
		return
	}
	m[key] = v
}

func isEmptyValue(v any) bool {
	switch t := v.(type) {
	case nil:
		return true
	case []any:
		return len(t) == 0
	case map[string]any:
		return len(t) == 0
	}
	return false
}

// normalizeValue checks v against def and returns it with canonical
// sub-attribute names. A multi-valued attribute must be a JSON array.
func normalizeValue(def *attrDef, v any) (any, error) {
	if !def.Multi {
		return normalizeSingle(def, v)
	}
	list, ok := v.([]any)
	if !ok {
		return nil, badRequest(scimInvalidValue, "attribute %q is multi-valued and needs an array", def.Name)
	}
	out := make([]any, 0, len(list))
	for _, e := range list {
		if e == nil {
			continue
		}
		ne, err := normalizeSingle(def, e)
		if err != nil {
			return nil, err
		}
		if !isEmptyValue(ne) {
			out = append(out, ne)
		}
	}
	return out, nil
}

func normalizeSingle(def *attrDef, v any) (any, error) {
	switch def.Type {
	case tComplex:
		m, ok := v.(map[string]any)
		if !ok {
			return nil, badRequest(scimInvalidValue, "attribute %q needs an object", def.Name)
		}
		out := map[string]any{}
		for k, sv := range m {
			sd := def.sub(k)
			if sd == nil || sv == nil || sd.mutability() == writeOnly {
				continue
			}
			nv, err := normalizeSingle(sd, sv)
			if err != nil {
				return nil, err
			}
			out[sd.Name] = nv
		}
		return out, nil
	case tBoolean:
		switch t := v.(type) {
		case bool:
			return t, nil
		case string: // Entra sends "True"/"False"
			switch strings.ToLower(t) {
			case "true":
				return true, nil
			case "false":
				return false, nil
			}
		}
		return nil, badRequest(scimInvalidValue, "attribute %q needs a boolean", def.Name)
	case tInteger, tDecimal:
		f, ok := v.(float64)
		if !ok || (def.Type == tInteger && f != math.Trunc(f)) {
			return nil, badRequest(scimInvalidValue, "attribute %q needs a %s", def.Name, def.Type)
		}
		return f, nil
	default:
		s, ok := v.(string)
		if !ok {
			return nil, badRequest(scimInvalidValue, "attribute %q needs a string", def.Name)
		}
		return s, nil
	}
}

// deepCopy copies a JSON value (maps, slices, scalars).
func deepCopy(v any) any {
	switch t := v.(type) {
	case map[string]any:
		m := make(map[string]any, len(t))
		for k, e := range t {
			m[k] = deepCopy(e)
		}
		return m
	case []any:
		s := make([]any, len(t))
		for i, e := range t {
			s[i] = deepCopy(e)
		}
		return s
	}
	return v
}

func copyAttrs(m map[string]any) map[string]any { return deepCopy(m).(map[string]any) }

// equivalent compares two JSON values the way SCIM does for "did the
// resource change": objects key by key, arrays as multisets, since
// multi-valued attributes have no order (RFC 7643 §2.4).
func equivalent(a, b any) bool {
	switch x := a.(type) {
	case map[string]any:
		y, ok := b.(map[string]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for k, v := range x {
			w, ok := y[k]
			if !ok || !equivalent(v, w) {
				return false
			}
		}
		return true
	case []any:
		y, ok := b.([]any)
		if !ok || len(x) != len(y) {
			return false
		}
		used := make([]bool, len(y))
	next:
		for _, v := range x {
			for j, w := range y {
				if !used[j] && equivalent(v, w) {
					used[j] = true
					continue next
				}
			}
			return false
		}
		return true
	}
	switch b.(type) {
	case map[string]any, []any:
		return false
	}
	return a == b
}

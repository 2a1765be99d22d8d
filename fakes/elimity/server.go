// Package elimity is a small in-memory SCIM 2.0 server built on the third-party library
// github.com/elimity-com/scim, so that scimreplay is proven against an implementation it did not
// write. The library does the routing, the schema validation of request bodies, the parsing of
// filters and PATCH paths, list responses and error bodies; this package holds only the resource
// handlers: storage, the application of PATCH operations and the account link, an extension
// attribute (LinkAttribute) assigned when a user is created.
//
// Config.Variants switch on harmful variants (Variants), each a real class of re-sync defect.
package elimity

import (
	"bytes"
	"crypto/subtle"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"

	"github.com/elimity-com/scim"
	scimerrors "github.com/elimity-com/scim/errors"
	"github.com/elimity-com/scim/optional"
	"github.com/elimity-com/scim/schema"
)

// ExtensionSchema is the User extension holding the account link.
const ExtensionSchema = "urn:scimreplay:params:scim:schemas:extension:elimity:1.0:User"

// LinkAttribute is the account link as a harness names it: the read-only accountId of
// ExtensionSchema, assigned by the server when a user is created.
const LinkAttribute = ExtensionSchema + ":accountId"

// Server is the SCIM server: an http.Handler.
type Server struct {
	base     string // the base path, "" for the root
	token    string
	domains  []string
	variants map[string]bool
	st       *state
	lib      scim.Server
	users    resourceSchema
	groups   resourceSchema
}

// New builds a server from cfg; it fails on an unknown variant or a bad base path.
func New(cfg Config) (*Server, error) {
	base, err := cfg.check()
	if err != nil {
		return nil, err
	}
	s := &Server{base: base, token: cfg.Token, variants: map[string]bool{}, st: newState()}
	for _, d := range cfg.VerifiedDomains {
		s.domains = append(s.domains, strings.ToLower(strings.TrimSpace(d)))
	}
	for _, v := range cfg.Variants {
		s.variants[v] = true
	}

	userSchema := schema.CoreUserSchema()
	if s.on(VariantLookupCaseSensitive) {
		userSchema = caseExactUserName(userSchema)
	}
	s.users = newResourceSchema(userSchema, extensionSchema())
	s.groups = newResourceSchema(schema.CoreGroupSchema())

	spc := &scim.ServiceProviderConfig{
		DocumentationURI: optional.NewString("https://github.com/scimreplay/scimreplay/tree/main/fakes/elimity"),
		MaxResults:       100,
		SupportFiltering: true,
		SupportPatch:     true,
	}
	if s.token != "" {
		spc.AuthenticationSchemes = []scim.AuthenticationScheme{{
			Type:        scim.AuthenticationTypeOauthBearerToken,
			Name:        "OAuth Bearer Token",
			Description: "Authentication with a bearer token (RFC 6750).",
			Primary:     true,
		}}
	}
	resourceTypes := []scim.ResourceType{
		{
			ID:          optional.NewString("User"),
			Name:        "User",
			Endpoint:    "/Users",
			Description: optional.NewString("User Account"),
			Schema:      userSchema,
			SchemaExtensions: []scim.SchemaExtension{
				{Schema: extensionSchema()},
			},
			Handler: userHandler{s},
		},
		{
			ID:          optional.NewString("Group"),
			Name:        "Group",
			Endpoint:    "/Groups",
			Description: optional.NewString("Group"),
			Schema:      schema.CoreGroupSchema(),
			Handler:     groupHandler{s},
		},
	}
	var opts []scim.ServerOption
	if base != "" {
		// meta.location and Location become /scim/v2/Users/{id} rather than Users/{id}.
		opts = append(opts, scim.WithBaseURL(base))
	}
	s.lib, err = scim.NewServer(&scim.ServerArgs{ServiceProviderConfig: spc, ResourceTypes: resourceTypes}, opts...)
	if err != nil {
		return nil, err
	}
	return s, nil
}

func (s *Server) on(variant string) bool { return s.variants[variant] }

// extensionSchema is the account-link extension.
func extensionSchema() schema.Schema {
	return schema.Schema{
		ID:          ExtensionSchema,
		Name:        optional.NewString("AccountLink"),
		Description: optional.NewString("The account a SCIM user is linked to."),
		Attributes: []schema.CoreAttribute{
			schema.SimpleCoreAttribute(schema.SimpleStringParams(schema.StringParams{
				Name:        "accountId",
				Description: optional.NewString("The linked account, assigned by the server when the user is created; absent when unlinked."),
				CaseExact:   true,
				Mutability:  schema.AttributeMutabilityReadOnly(),
				Uniqueness:  schema.AttributeUniquenessServer(),
			})),
		},
	}
}

// caseExactUserName is the core User schema with userName declared caseExact (the
// lookup-case-sensitive variant): the library then filters on it case-sensitively.
func caseExactUserName(s schema.Schema) schema.Schema {
	attrs := make([]schema.CoreAttribute, len(s.Attributes))
	copy(attrs, s.Attributes)
	for i, a := range attrs {
		if a.Name() == "userName" {
			attrs[i] = schema.SimpleCoreAttribute(schema.SimpleStringParams(schema.StringParams{
				Name:        "userName",
				Description: optional.NewString(a.Description()),
				CaseExact:   true,
				Required:    true,
				Uniqueness:  schema.AttributeUniquenessServer(),
			}))
		}
	}
	s.Attributes = attrs
	return s
}

// ServeHTTP checks the token and the base path and hands the request to the library.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if s.token != "" && !s.authorized(r) {
		w.Header().Set("WWW-Authenticate", `Bearer realm="scim"`)
		writeError(w, scimerrors.ScimError{Status: http.StatusUnauthorized, Detail: "A valid bearer token is required."})
		return
	}
	rest, ok := strings.CutPrefix(r.URL.Path, s.base)
	if !ok || (rest != "" && !strings.HasPrefix(rest, "/")) {
		writeError(w, scimerrors.ScimError{Status: http.StatusNotFound, Detail: "Specified endpoint does not exist."})
		return
	}
	// The library strips a leading "/v2" from every path by itself: without this guard,
	// {base}/v2/Users would be served as {base}/Users.
	if rest == "/v2" || strings.HasPrefix(rest, "/v2/") {
		writeError(w, scimerrors.ScimError{Status: http.StatusNotFound, Detail: "Specified endpoint does not exist."})
		return
	}
	r2 := r.Clone(r.Context())
	r2.URL.Path, r2.URL.RawPath = rest, ""
	if r.Method != http.MethodGet {
		s.lib.ServeHTTP(w, r2)
		return
	}
	// The library's ListResponse says itemsPerPage = the count asked for, also on a last page
	// holding fewer resources; RFC 7644 §3.4.2 makes it the number of resources returned.
	bw := &bufferedWriter{header: w.Header()}
	s.lib.ServeHTTP(bw, r2)
	body := bw.buf.Bytes()
	if bw.status == http.StatusOK {
		body = fixItemsPerPage(body)
	}
	if bw.status == 0 {
		bw.status = http.StatusOK
	}
	w.WriteHeader(bw.status)
	w.Write(body)
}

func (s *Server) authorized(r *http.Request) bool {
	scheme, tok, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return false
	}
	return subtle.ConstantTimeCompare([]byte(strings.TrimSpace(tok)), []byte(s.token)) == 1
}

func writeError(w http.ResponseWriter, e scimerrors.ScimError) {
	raw, _ := json.Marshal(e)
	w.Header().Set("Content-Type", "application/scim+json")
	w.WriteHeader(e.Status)
	w.Write(raw)
}

// bufferedWriter holds a response until it is complete.
type bufferedWriter struct {
	header http.Header
	status int
	buf    bytes.Buffer
}

func (b *bufferedWriter) Header() http.Header { return b.header }

func (b *bufferedWriter) WriteHeader(status int) {
	if b.status == 0 {
		b.status = status
	}
}

func (b *bufferedWriter) Write(p []byte) (int, error) {
	if b.status == 0 {
		b.status = http.StatusOK
	}
	return b.buf.Write(p)
}

const listResponseSchema = "urn:ietf:params:scim:api:messages:2.0:ListResponse"

// fixItemsPerPage sets a ListResponse's itemsPerPage to the number of resources it holds; any
// other body is returned as it is.
func fixItemsPerPage(body []byte) []byte {
	var page map[string]json.RawMessage
	if err := json.Unmarshal(body, &page); err != nil {
		return body
	}
	var schemas []string
	if json.Unmarshal(page["schemas"], &schemas) != nil || len(schemas) != 1 || schemas[0] != listResponseSchema {
		return body
	}
	var resources []json.RawMessage
	if r, ok := page["Resources"]; ok && string(r) != "null" {
		if json.Unmarshal(r, &resources) != nil {
			return body
		}
	} else {
		page["Resources"] = json.RawMessage("[]")
	}
	page["itemsPerPage"] = json.RawMessage(strconv.Itoa(len(resources)))
	out, err := json.Marshal(page)
	if err != nil {
		return body
	}
	return out
}

// Package scenario defines scimreplay's recorded-traffic format: a versioned YAML file naming
// where its shapes come from, the org it needs, and the phases of traffic an identity provider
// sends (provision, forceSync, verify). The format is documented in scenarios/README.md.
package scenario

import (
	"crypto/sha1"
	"encoding/hex"
	"strconv"
	"strings"
)

// Version is the scenario format version this package reads.
const Version = 1

// MaxConcurrency bounds a forEach step's concurrency: more requests in flight than this would
// measure the target's queueing, not its behaviour.
const MaxConcurrency = 64

// Scenario is one recorded exchange sequence under test.
type Scenario struct {
	File        string
	Version     int
	Name        string
	Title       string
	Description string
	Source      string
	// IdP is the identity provider whose traffic the scenario holds: IdPOkta (the default when
	// the file does not say) or IdPEntra. It decides which macros its steps may name and whose
	// client replays it.
	IdP    string
	Labels []string
	// Repeat replays the forceSync phase this many times (idempotency); default 1.
	Repeat int
	// Rebind is "auto" for recordings whose paths and bodies hold the ids of the server they were
	// recorded against: the replay pairs each step's recorded response ids with the live ones and
	// rewrites later requests. "" (off) for scenarios that use {{templates}} instead.
	Rebind string
	// Entra holds the settings of an Entra scenario (IdP IdPEntra).
	Entra     EntraSettings
	Org       Org
	Provision []Step
	ForceSync []Step
	Verify    []Step
}

// Identity providers a scenario's traffic can come from (its `idp:` key).
const (
	IdPOkta  = "okta"
	IdPEntra = "entra"
)

// IdPs are the values of a scenario's `idp:` key, the default first.
var IdPs = []string{IdPOkta, IdPEntra}

// EntraSettings are what an Entra provisioning job is configured with that changes what it
// sends.
type EntraSettings struct {
	// Dialect pins the PATCH dialect: EntraDialectDefault or EntraDialectSCIM062020 (the
	// aadOptscim062020 flag on the Tenant URL); "" leaves it to the gate (--entra-dialect).
	Dialect string
	// Matching is the attribute Entra matches users by: EntraMatchUserName (the default) or
	// EntraMatchExternalID.
	Matching string
}

// Entra's PATCH dialects and matching attributes.
const (
	// EntraDialectDefault is what Entra sends without the flag: capitalised ops ("Replace"),
	// booleans as strings ("True"), one op per attribute, members removed by value list.
	EntraDialectDefault = "default"
	// EntraDialectSCIM062020 is what the aadOptscim062020 flag selects: lower-case ops, JSON
	// booleans, several attributes in one path-less replace with dotted keys, members removed
	// by a filtered path.
	EntraDialectSCIM062020 = "aadOptscim062020"

	EntraMatchUserName   = "userName"
	EntraMatchExternalID = "externalId"
)

// EntraDialects lists the dialects, the default first.
var EntraDialects = []string{EntraDialectDefault, EntraDialectSCIM062020}

// Rebind modes.
const (
	RebindOff  = ""
	RebindAuto = "auto"
)

// Org is the identity provider's side: its users, groups and memberships.
type Org struct {
	Users  []User
	Groups []Group

	userIdx, groupIdx map[string]int // by key; see Reindex
}

// User is an Okta user assigned to the app.
type User struct {
	Key         string
	UserName    string
	Email       string
	GivenName   string
	FamilyName  string
	DisplayName string
	ExternalID  string
	Locale      string
	// SecondEmail is Okta's secondEmail profile attribute, pushed as a second, non-primary
	// email of type "other" (inferred mapping).
	SecondEmail string
	Active      bool
	Pos         Pos
}

// Group is an Okta pushed group.
type Group struct {
	Key         string
	DisplayName string
	Members     []string // user keys
	Pos         Pos
}

// Step is one HTTP exchange, a loop over org users or groups, or an Okta macro.
type Step struct {
	Name    string
	Method  string
	Path    string   // relative to the SCIM base path; may hold a query string
	Query   []KV     // added to the path's query, in order
	Headers []KV     // on top of Okta's
	Body    any      // decoded YAML: maps, lists, scalars; strings are templates
	HasBody bool     // a body was given (even null)
	Echo    bool     // start the body from the last GET response of the same path
	Profile bool     // lay the org user's Okta app profile over the body
	Expect  []int    // accepted statuses; empty means any 2xx
	Capture []KV     // variable name → JSON path ($.id, $.Resources[0].id)
	ForEach string   // "users", "groups" or "" ; see Keys
	Keys    []string // forEach over these org keys (users or groups, per ForEach)
	Steps   []Step   // the loop body
	// Concurrency lets a forEach run up to this many iterations side by side (each iteration's
	// steps stay in order, so Okta's ordering per resource holds), and okta: provision push that
	// many users (then groups) side by side; 0 or 1 runs them one after another. Only a scenario
	// that says so is replayed concurrently; see MaxConcurrency.
	Concurrency int
	Okta        string // a macro: provision, assign, listUsers, listGroups
	// Entra is an Entra macro (see EntraMacros); Group and Members are its group (a key) and
	// the user keys it adds or removes.
	Entra   string
	Group   string
	Members []string
	// Verbatim sends path, query, headers and body exactly as written: no {{templates}} (an
	// imported recording whose text holds braces). Re-binding still applies.
	Verbatim bool
	// Response is what the recorded server answered; with Rebind auto its ids are paired with the
	// live answer's ids.
	Response *Recorded
	Pos      Pos
}

// Recorded is a recorded response: its status and its body, trimmed to what identifies the
// resources in it (id, userName, displayName, externalId, Resources).
type Recorded struct {
	Status int
	Body   any
	Pos    Pos
}

// KV is an ordered key/value pair.
type KV struct {
	Key, Value string
}

// Pos is where something stands in its file.
type Pos struct {
	File      string
	Line, Col int
}

func (p Pos) String() string {
	if p.Line == 0 {
		return p.File
	}
	return p.File + ":" + strconv.Itoa(p.Line) + ":" + strconv.Itoa(p.Col) // once per request sent: no Sprintf
}

// Error is a problem in a scenario file, with its place.
type Error struct {
	Pos Pos
	Msg string
}

func (e *Error) Error() string { return e.Pos.String() + ": " + e.Msg }

// Macros are the Okta operations a step may name with `okta:`.
var Macros = map[string]string{
	"provision":  "Okta's initial push of the org: lookup by userName, POST each user, POST each group, then the rename+add membership PATCH",
	"assign":     "Okta's assignment of a user (the loop's user, or every org user): lookup by userName, linked if found, else POST; body: overlays the profile",
	"listUsers":  "GET /Users?startIndex=1&count=100 and the following pages until totalResults",
	"listGroups": "GET /Groups?startIndex=1&count=100 and the following pages until totalResults",
}

// EntraMacros are the Entra operations a step may name with `entra:`.
var EntraMacros = map[string]string{
	"testConnection": "Test Connection: GET /Users?filter=<matching attribute> eq \"<random GUID>\", expecting 200 with an empty ListResponse",
	"provision":      "the initial cycle: per user the matching GET, then POST (or, matched, an update of every mapped attribute); per group the lookup with excludedAttributes=members, POST with Entra's extra schema, then one PATCH adding its members",
	"fullCycle":      "the cycle Restart provisioning starts: per user the matching GET and a PATCH of every mapped attribute, changed or not; per group the lookup, a PATCH of its attributes and one adding every member",
	"update":         "an incremental cycle's update of the loop's user (or every org user): one PATCH of the attributes in body:, as the dialect writes them",
	"softDelete":     "the loop's user (or every org user) goes out of scope: PATCH active False",
	"restore":        "the loop's user (or every org user) comes back in scope: PATCH active True",
	"updateGroup":    "an incremental cycle's update of a group (group:, the loop's group or every org group): one PATCH of the attributes in body:",
	"addMembers":     "PATCH add members (members:, default the group's org members) to a group, in one operation",
	"removeMembers":  "PATCH remove members (members:, default the group's org members) from a group, as the dialect writes it",
}

// OktaID is the Okta user id (`00u…`, 20 characters) Okta would send as externalId for a key,
// derived deterministically so a scenario replays the same way every time.
func OktaID(key string) string {
	sum := sha1.Sum([]byte(key))
	return "00u" + hex.EncodeToString(sum[:])[:17]
}

// PrimaryEmail is the user's email (its userName when none is given).
func (u User) PrimaryEmail() string {
	if u.Email != "" {
		return u.Email
	}
	return u.UserName
}

// displayName is the user's display name, or given and family name joined when it has none,
// as both IdPs send it.
func (u User) displayName() string {
	if u.DisplayName != "" {
		return u.DisplayName
	}
	return strings.TrimSpace(u.GivenName + " " + u.FamilyName)
}

// Profile is the Okta app-user profile as Okta's SCIM client sends it in a POST or PUT body.
func (u User) Profile() map[string]any {
	display := u.displayName()
	locale := u.Locale
	if locale == "" {
		locale = "en-US"
	}
	ext := u.ExternalID
	if ext == "" {
		ext = OktaID(u.Key)
	}
	return map[string]any{
		"schemas":  []any{"urn:ietf:params:scim:schemas:core:2.0:User"},
		"userName": u.UserName,
		"name": map[string]any{
			"givenName":  u.GivenName,
			"familyName": u.FamilyName,
		},
		"emails":      u.emails(),
		"displayName": display,
		"locale":      locale,
		"externalId":  ext,
		"groups":      []any{},
		"active":      u.Active,
	}
}

func (u User) emails() []any {
	out := []any{map[string]any{"primary": true, "value": u.PrimaryEmail(), "type": "work"}}
	if u.SecondEmail != "" {
		// A second email from a custom mapping comes without the primary flag (okta-traffic.md).
		out = append(out, map[string]any{"value": u.SecondEmail, "type": "other"})
	}
	return out
}

// Reindex builds the key indexes UserByKey and GroupByKey use, so lookups in a large org cost
// O(1). The loader calls it; code that builds an Org by hand may (lookups work without it, by
// a scan).
func (o *Org) Reindex() {
	o.userIdx = make(map[string]int, len(o.Users))
	for i, u := range o.Users {
		if _, dup := o.userIdx[u.Key]; !dup {
			o.userIdx[u.Key] = i
		}
	}
	o.groupIdx = make(map[string]int, len(o.Groups))
	for i, g := range o.Groups {
		if _, dup := o.groupIdx[g.Key]; !dup {
			o.groupIdx[g.Key] = i
		}
	}
}

// UserByKey finds an org user.
func (o Org) UserByKey(key string) (User, bool) {
	if i, ok := o.userIdx[key]; ok && i < len(o.Users) && o.Users[i].Key == key {
		return o.Users[i], true
	}
	for _, u := range o.Users {
		if u.Key == key {
			return u, true
		}
	}
	return User{}, false
}

// GroupByKey finds an org group.
func (o Org) GroupByKey(key string) (Group, bool) {
	if i, ok := o.groupIdx[key]; ok && i < len(o.Groups) && o.Groups[i].Key == key {
		return o.Groups[i], true
	}
	for _, g := range o.Groups {
		if g.Key == key {
			return g, true
		}
	}
	return Group{}, false
}

// Labels a scenario may carry (besides custom ones starting with "x-"); the suite adds
// idp:okta and scenario:<name> itself. They select scenarios with --label-filter.
var Labels = map[string]string{
	"access-1003":  "the force sync of Atlassian's ACCESS-1003, as filed",
	"profile-push": "user profile pushes: GET then a full-body PUT",
	"emails":       "re-pushed emails that mean the same: case, order, display, type, primary",
	"lookup":       "Okta's lookup by userName before it creates a user",
	"lifecycle":    "deactivate, reactivate and Okta's re-POST of a returning user",
	"group-push":   "Group Push: rename PATCH, membership deltas, Push Now, PUT /Groups",
	"aiw":          "apps built with Okta's App Integration Wizard: PUT for everything",
	"paging":       "Okta's count=100 paging loops",
	"idempotency":  "the same force sync replayed more than once",
	"scale":        "large generated orgs",
	"recorded":     "captured with scimreplay record",
	"imported":     "imported from a HAR file",
	"generated":    "made by scimreplay generate",
	"full-cycle":   "Entra's Restart provisioning: every in-scope object matched again and every mapped attribute re-sent",
	"incremental":  "Entra's incremental cycle: only what changed since the last one",
	"membership":   "Entra's group membership Add and Remove",
	"soft-delete":  "Entra's soft delete (active False) and restore",
	"dialect":      "a scenario that pins Entra's PATCH dialect",
}

// Profile is the user as the scenario's identity provider sends it in a create body (Okta lays
// it over every PUT too): {{user.profile}}.
func (sc *Scenario) Profile(u User) map[string]any {
	if sc.IdP == IdPEntra {
		return u.EntraProfile()
	}
	return u.Profile()
}

// ExternalID is the externalId the scenario's identity provider sends for u: the one the org
// gives, else the IdP's default (Okta's user id; Entra's mailNickname).
func (sc *Scenario) ExternalID(u User) string {
	switch {
	case u.ExternalID != "":
		return u.ExternalID
	case sc.IdP == IdPEntra:
		return u.MailNickname()
	}
	return OktaID(u.Key)
}

// MailNickname is the user's Entra mail alias, which Entra's default mapping sends as externalId:
// the userName up to its @.
func (u User) MailNickname() string {
	local, _, _ := strings.Cut(u.UserName, "@")
	return local
}

// Entra's schema URNs in a create body.
const (
	SchemaEnterpriseUser = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
	// SchemaEntraGroup is the extra schema Entra lists when it creates a group.
	SchemaEntraGroup = "http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group"
)

// EntraProfile is the body Entra POSTs to create the user with its default attribute mappings
// (Microsoft Learn, "Develop and plan provisioning for a SCIM endpoint", Create User): the core
// and enterprise schemas, externalId (the mailNickname unless the org gives one), userName,
// active true, displayName, the work email flagged primary, meta.resourceType, name with
// formatted (Join(" ", givenName, surname)), and roles: [].
func (u User) EntraProfile() map[string]any {
	display := u.displayName()
	ext := u.ExternalID
	if ext == "" {
		ext = u.MailNickname()
	}
	body := map[string]any{
		"schemas":    []any{"urn:ietf:params:scim:schemas:core:2.0:User", SchemaEnterpriseUser},
		"externalId": ext,
		"userName":   u.UserName,
		"active":     true,
		"emails":     []any{map[string]any{"primary": true, "type": "work", "value": u.PrimaryEmail()}},
		"meta":       map[string]any{"resourceType": "User"},
		"roles":      []any{},
	}
	// An attribute whose source is empty is not sent.
	if display != "" {
		body["displayName"] = display
	}
	name := map[string]any{}
	if f := strings.TrimSpace(u.GivenName + " " + u.FamilyName); f != "" {
		name["formatted"] = f
	}
	if u.FamilyName != "" {
		name["familyName"] = u.FamilyName
	}
	if u.GivenName != "" {
		name["givenName"] = u.GivenName
	}
	if len(name) > 0 {
		body["name"] = name
	}
	return body
}

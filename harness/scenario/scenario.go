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
	Labels      []string
	// Repeat replays the forceSync phase this many times (idempotency); default 1.
	Repeat int
	// Rebind is "auto" for recordings whose paths and bodies hold the ids of the server they were
	// recorded against: the replay pairs each step's recorded response ids with the live ones and
	// rewrites later requests. "" (off) for scenarios that use {{templates}} instead.
	Rebind    string
	Org       Org
	Provision []Step
	ForceSync []Step
	Verify    []Step
}

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

// Profile is the Okta app-user profile as Okta's SCIM client sends it in a POST or PUT body.
func (u User) Profile() map[string]any {
	display := u.DisplayName
	if display == "" {
		display = strings.TrimSpace(u.GivenName + " " + u.FamilyName)
	}
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
}

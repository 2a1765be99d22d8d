package directory

import (
	"math/rand/v2"
	"net/http"
	"slices"
	"strconv"
)

// Variation is one entry of the variation catalogue: a behaviour a correct
// SCIM server may show, which a correct client (and harness) must tolerate.
// A variation is not a fault: with any of them on the directory is still a
// correct server, and the gate must stay green.
type Variation struct {
	Name        string
	Description string
}

// Variation names, exactly as in the catalogue of variations.
const (
	varMembersNotInList = "members-not-in-list"
	varThrottle429      = "throttle-429"
	varMembersShuffled  = "members-shuffled"
	varSmallPages       = "small-pages"
	varInactiveHidden   = "inactive-hidden"
	varSequentialIDs    = "sequential-ids"
)

// SmallPageSize is the most resources one list page holds under the
// small-pages variation, whatever count asks for.
const SmallPageSize = 7

// DefaultThrottleEvery is N of the throttle-429 variation when
// Config.ThrottleEvery is 0: every Nth SCIM request is refused.
const DefaultThrottleEvery = 40

var variationCatalogue = []Variation{
	{varMembersNotInList, "GET /Groups list pages and POST /Groups/.search leave out members; GET /Groups/{id} has them"},
	{varThrottle429, "every Nth SCIM request (DIRECTORY_THROTTLE_EVERY, default 40) is refused with 429, Retry-After: 1, and does nothing"},
	{varMembersShuffled, "group members come back in another order on every read, never the same order twice in a row"},
	{varSmallPages, "list pages hold at most 7 resources whatever count asks; itemsPerPage says how many (RFC 7644 §3.4.2.4)"},
	{varInactiveHidden, "deactivated users are left out of filtered lookups; Okta's re-POST with their externalId restores them and answers 200"},
	{varSequentialIDs, "ids are decimal integers 1, 2, 3, ... from one counter shared by users and groups"},
}

// Variations returns the whole variation catalogue, each with a one-line
// description.
func Variations() []Variation {
	return append([]Variation(nil), variationCatalogue...)
}

func variationNames() []string {
	names := make([]string, len(variationCatalogue))
	for i, v := range variationCatalogue {
		names[i] = v.Name
	}
	return names
}

// ParseVariations splits a comma-separated list of variation names ("a,b"),
// as ParseFaults does: an empty string gives nil, an unknown name is an error
// that lists the valid names.
func ParseVariations(s string) ([]string, error) {
	return parseNames("variation", s, variationNames())
}

// throttled counts one SCIM request and reports whether throttle-429 refuses
// it: every throttleEvery-th request since the start (or the last reset).
func (d *Directory) throttled() bool {
	if !d.variations.on(varThrottle429) {
		return false
	}
	return d.requests.Add(1)%d.throttleEvery == 0
}

func throttleError() *scimError {
	return &scimError{status: http.StatusTooManyRequests, retryAfter: "1",
		detail: "too many requests: retry after 1 second"}
}

// capPage applies small-pages to a list query.
func (d *Directory) capPage(q listQuery) listQuery {
	if d.variations.on(varSmallPages) {
		q.count = min(q.count, SmallPageSize)
	}
	return q
}

// hidesInactive reports whether deactivated users are left out of a
// filtered lookup: under inactive-hidden, and under reactivate-conflict,
// whose servers hide them too (that is why Okta re-POSTs at all).
func (d *Directory) hidesInactive(q listQuery) bool {
	return q.expr != nil && (d.variations.on(varInactiveHidden) || d.faults.on(faultReactivateConflict))
}

// sequentialID is the id generator of sequential-ids. The caller holds d.mu.
func (d *Directory) sequentialID() string {
	d.st.lastID++
	return strconv.FormatUint(d.st.lastID, 10)
}

// memberOrder returns the ids to render a group's members in: the stored
// order, or under members-shuffled a fresh permutation, seeded by the group
// and its read count, that is never the order the group was served in last.
// The caller holds d.mu.
func (d *Directory) memberOrder(g *group) []string {
	if !d.variations.on(varMembersShuffled) || g.members.len() < 2 {
		return g.members.ids
	}
	ids := slices.Clone(g.members.ids)
	g.reads++
	rng := rand.New(rand.NewPCG(g.seq, g.reads))
	rng.Shuffle(len(ids), func(i, j int) { ids[i], ids[j] = ids[j], ids[i] })
	if slices.Equal(ids, g.lastOrder) {
		// Swap the first member with the first one that differs from it, so
		// the order changes (a list of one repeated id has only one order).
		for i := 1; i < len(ids); i++ {
			if ids[i] != ids[0] {
				ids[0], ids[i] = ids[i], ids[0]
				break
			}
		}
	}
	g.lastOrder = ids
	return ids
}

package directory

import (
	"fmt"
	"slices"
	"strings"
)

// Fault is one entry of the fault catalogue: a re-sync defect that real SCIM
// servers have shipped, which the directory can be told to reproduce.
type Fault struct {
	Name        string
	Description string
	// Background says the fault acts after the write is answered: only a re-read of the
	// state in a settle window sees it.
	Background bool
	// ExploreOnly says no catalogue scenario triggers the fault by design: it needs a
	// combination of no-op variations that only `scimreplay explore` generates, so the
	// detection matrix expects the catalogue to miss it.
	ExploreOnly bool
}

// Fault mode names, exactly as in the re-sync bug catalogue.
const (
	faultAccess1003            = "access-1003"
	faultEmailCaseSensitive    = "email-case-sensitive"
	faultLookupCaseSensitive   = "lookup-case-sensitive"
	faultPrimaryFlagLost       = "primary-flag-lost"
	faultPutGroupsClears       = "put-groups-clears"
	faultPutReissuesID         = "put-reissues-id"
	faultRenameWipesMembers    = "rename-wipes-members"
	faultAddAsReplace          = "add-as-replace"
	faultFilteredRemoveAll     = "filtered-remove-all"
	faultFilteredRemoveIgnored = "filtered-remove-ignored"
	faultEmptyReplaceIgnored   = "empty-replace-ignored"
	faultReaddDuplicates       = "readd-duplicates"
	faultGroupPutDropsMembers  = "group-put-drops-members"
	faultReactivateConflict    = "reactivate-conflict"

	// Faults that move exactly one thing the harness watches.
	faultRelinkOnRepush    = "relink-on-repush"
	faultExternalIDDropped = "externalid-dropped"
	faultActiveFlipped     = "active-flipped-on-repush"
	faultEmailsMergedOnPut = "emails-merged-on-put"
	faultAccess1003Queued  = "access-1003-queued"
	faultAccess1003Delayed = "access-1003-delayed"

	// Faults that only a combination of no-op variations in one push triggers (explore-only).
	faultEmailsCaseAndOrder = "emails-case-and-order"
	// Entra ID faults: servers written for Okta's shapes meet Entra's.
	faultEntraOpCaseSensitive = "entra-op-case-sensitive"
	faultEntraStringBool      = "entra-string-bool"
	faultRemoveValueListEmpty = "remove-valuelist-empties"
	faultReaddMemberConflict  = "readd-member-conflict"
)

var catalogue = []Fault{
	{Name: faultAccess1003, Description: "any PUT/PATCH carrying emails for an unmanaged user counts as an email change: unlinked, removed from groups, audit line written"},
	{Name: faultEmailCaseSensitive, Description: "emails compared case-sensitively, so a case-only change is an email change (unlinks an unmanaged user)"},
	{Name: faultLookupCaseSensitive, Description: "userName filters and uniqueness are case-sensitive, so the IdP's lookup misses and it creates a duplicate user"},
	{Name: faultPrimaryFlagLost, Description: "re-pushed emails lose their primary flag: the first email becomes primary and a moved primary is an email change"},
	{Name: faultPutGroupsClears, Description: "PUT /Users honours the read-only groups attribute, so Okta's groups: [] removes the user from every group"},
	{Name: faultPutReissuesID, Description: "PUT /Users recreates the user: new id, account link and group memberships gone"},
	{Name: faultRenameWipesMembers, Description: "a pathless group replace {id, displayName} is applied as a full replace and empties members"},
	{Name: faultAddAsReplace, Description: "PATCH add path=members replaces the member list instead of adding to it"},
	{Name: faultFilteredRemoveAll, Description: "PATCH remove members[value eq \"x\"] removes every member"},
	{Name: faultFilteredRemoveIgnored, Description: "PATCH remove members[value eq \"x\"] answers 200 and changes nothing"},
	{Name: faultEmptyReplaceIgnored, Description: "PATCH replace members [] is ignored, so stale memberships stay"},
	{Name: faultReaddDuplicates, Description: "adding a member that is already there stores it twice"},
	{Name: faultGroupPutDropsMembers, Description: "PUT /Groups with members answers 200 but stores no members"},
	{Name: faultReactivateConflict, Description: "deactivated users are hidden from filtered lookups, and Okta's re-POST with the same externalId gets 409 instead of restoring the user"},
	{Name: faultRelinkOnRepush, Description: "a PUT/PATCH carrying emails for an unmanaged user moves its link to a freshly created account; memberships, emails and audit stay"},
	{Name: faultExternalIDDropped, Description: "a PUT to an unmanaged user stores no externalId; nothing else changes"},
	{Name: faultActiveFlipped, Description: "a PUT whose body says active: true answers 200 and stores active: false; link and memberships stay"},
	{Name: faultEmailsMergedOnPut, Description: "PUT /Users merges the pushed emails into the stored ones, so a case-only variant is stored as a second, non-primary email"},
	{Name: faultAccess1003Queued, Description: "the access-1003 audit line is written at once, the unlink itself is queued for longer than any settle window (DIRECTORY_QUEUE_DELAY, default 10m)"},
	{Name: faultAccess1003Delayed, Description: "the access-1003 unlink, group removal and audit line happen in the background about a second after the write (DIRECTORY_DELAY)", Background: true},
	{Name: faultEmailsCaseAndOrder, Description: "a PUT/PATCH for an unmanaged user whose emails come back both reordered and with a value in another case counts as an email change (unlinked, removed from groups, audit line); either variation alone is fine", ExploreOnly: true},
	{Name: faultEntraOpCaseSensitive, Description: "PATCH op compared case-sensitively: Entra's \"Replace\", \"Add\" and \"Remove\" are refused with 400"},
	{Name: faultEntraStringBool, Description: "a string active in a PATCH is compared to \"true\" case-sensitively, so Entra's re-sent \"True\" deactivates the user"},
	{Name: faultRemoveValueListEmpty, Description: "PATCH remove of members with a value list and no filter (Entra's default) removes every member"},
	{Name: faultReaddMemberConflict, Description: "PATCH add of a member already in the group answers 409 instead of success"},
}

// Faults returns the whole fault catalogue, in the order of the re-sync bug
// catalogue, each with a one-line description.
func Faults() []Fault {
	return append([]Fault(nil), catalogue...)
}

func faultNames() []string {
	names := make([]string, len(catalogue))
	for i, f := range catalogue {
		names[i] = f.Name
	}
	return names
}

// ParseFaults splits a comma-separated list of fault names ("a,b"). An empty
// string gives nil; an unknown name is an error that lists the valid names.
// Surrounding blanks are trimmed and empty items skipped.
func ParseFaults(s string) ([]string, error) {
	return parseNames("fault", s, faultNames())
}

// parseNames splits a comma-separated list of catalogue names of one kind
// ("fault", "variation").
func parseNames(kind, s string, valid []string) ([]string, error) {
	var names []string
	for item := range strings.SplitSeq(s, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		if !slices.Contains(valid, item) {
			return nil, unknownNameError(kind, item, valid)
		}
		names = append(names, item)
	}
	return names, nil
}

func unknownNameError(kind, name string, valid []string) error {
	return fmt.Errorf("unknown %s %q (valid: %s)", kind, name, strings.Join(valid, ", "))
}

// nameSet is the set of fault modes (or variations) switched on for one
// directory.
type nameSet map[string]bool

func newNameSet(kind string, names, valid []string) (nameSet, error) {
	set := nameSet{}
	for _, n := range names {
		if !slices.Contains(valid, n) {
			return nil, unknownNameError(kind, n, valid)
		}
		set[n] = true
	}
	return set, nil
}

func (s nameSet) on(name string) bool { return s[name] }

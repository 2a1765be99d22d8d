package elimity

import (
	"fmt"
	"slices"
	"strings"
)

// DefaultBasePath is where the SCIM API is served unless Config.BasePath says otherwise.
const DefaultBasePath = "/scim/v2"

// Config is the server's configuration.
type Config struct {
	// Token, when set, is the bearer token every request must carry (401 otherwise).
	Token string
	// BasePath is the SCIM base path ("/scim/v2" when empty; "/" serves at the root).
	BasePath string
	// VerifiedDomains are the org's verified email domains: a user whose primary email is on
	// one is managed, the others unmanaged. Only the harmful variants look at it.
	VerifiedDomains []string
	// Variants switch harmful variants on (see Variants); unknown names are rejected.
	Variants []string
}

// Variant is a harmful variant: a real class of re-sync defect the server can be switched to.
type Variant struct {
	Name        string
	Description string
}

// Names of the harmful variants.
const (
	VariantAccess1003            = "access-1003"
	VariantPutGroupsClears       = "put-groups-clears"
	VariantRenameWipesMembers    = "rename-wipes-members"
	VariantFilteredRemoveIgnored = "filtered-remove-ignored"
	VariantAddAsReplace          = "add-as-replace"
	VariantLookupCaseSensitive   = "lookup-case-sensitive"
)

var variants = []Variant{
	{VariantAccess1003, "any PUT/PATCH carrying emails for an unmanaged user unlinks it (accountId removed) and removes it from every group"},
	{VariantPutGroupsClears, "PUT /Users honours the read-only \"groups\" it carries (Okta sends []) and removes the user from every group not listed"},
	{VariantRenameWipesMembers, "a pathless PATCH replace on a group without \"members\" (Okta's rename {id, displayName}) empties its members"},
	{VariantFilteredRemoveIgnored, "PATCH remove members[value eq \"…\"] answers 200 and changes nothing"},
	{VariantAddAsReplace, "PATCH add path=members replaces the member list instead of adding to it"},
	{VariantLookupCaseSensitive, "userName is declared caseExact: filters and the uniqueness check compare it case-sensitively"},
}

// Variants lists the harmful variants, each with a one-line description.
func Variants() []Variant { return slices.Clone(variants) }

func knownVariant(name string) bool {
	return slices.ContainsFunc(variants, func(v Variant) bool { return v.Name == name })
}

// ConfigFromEnv reads ELIMITY_TOKEN, ELIMITY_VERIFIED_DOMAINS and ELIMITY_VARIANTS (comma
// lists) and ELIMITY_BASE_PATH, and checks the result as New does.
func ConfigFromEnv(getenv func(string) string) (Config, error) {
	cfg := Config{
		Token:           getenv("ELIMITY_TOKEN"),
		BasePath:        getenv("ELIMITY_BASE_PATH"),
		VerifiedDomains: commaList(getenv("ELIMITY_VERIFIED_DOMAINS")),
		Variants:        commaList(getenv("ELIMITY_VARIANTS")),
	}
	if _, err := cfg.check(); err != nil {
		return Config{}, err
	}
	return cfg, nil
}

func commaList(s string) []string {
	var out []string
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

// check validates the configuration and returns the normalised base path ("" for the root).
func (c Config) check() (string, error) {
	for _, v := range c.Variants {
		if !knownVariant(v) {
			names := make([]string, len(variants))
			for i, k := range variants {
				names[i] = k.Name
			}
			return "", fmt.Errorf("unknown variant %q (known: %s)", v, strings.Join(names, ", "))
		}
	}
	for _, d := range c.VerifiedDomains {
		if strings.TrimSpace(d) == "" || strings.ContainsAny(d, "@/ ") {
			return "", fmt.Errorf("verified domain %q is not a domain", d)
		}
	}
	base := c.BasePath
	if base == "" {
		base = DefaultBasePath
	}
	if !strings.HasPrefix(base, "/") {
		return "", fmt.Errorf("base path %q must start with /", base)
	}
	if strings.ContainsAny(base, "?#") {
		return "", fmt.Errorf("base path %q must be a path", base)
	}
	return strings.TrimRight(base, "/"), nil
}

package directory

import (
	"slices"
	"strings"
)

// Email handling is where the re-sync bugs live, so it is kept in one place.
//
// The account email of a user is its primary email: the value flagged
// primary, else the first one; a user without emails falls back to its
// userName (Atlassian's userName is the email). Emails are compared
// case-insensitively after trimming; order, display and type do not matter.

func emailList(attrs map[string]any) []any {
	l, _ := attrs["emails"].([]any)
	return l
}

func emailValue(e any) string {
	m, _ := e.(map[string]any)
	s, _ := m["value"].(string)
	return strings.TrimSpace(s)
}

// primaryEmail returns the value flagged primary, else the first value.
func primaryEmail(list []any) string {
	for _, e := range list {
		if isPrimary(e) {
			return emailValue(e)
		}
	}
	if len(list) > 0 {
		return emailValue(list[0])
	}
	return ""
}

func accountEmail(attrs map[string]any) string {
	if p := primaryEmail(emailList(attrs)); p != "" {
		return p
	}
	s, _ := attrs["userName"].(string)
	return strings.TrimSpace(s)
}

// sameEmail compares two emails the way the directory is configured to:
// case-insensitively, or exactly under the email-case-sensitive fault.
func (d *Directory) sameEmail(a, b string, faulty bool) bool {
	if faulty && d.faults.on(faultEmailCaseSensitive) {
		return a == b
	}
	return strings.EqualFold(a, b)
}

// settlePrimary marks exactly one email primary in attrs before they are
// stored. With a primary flag given, the first flagged value wins. With none,
// the stored primary keeps its flag if it is still among the values (a
// re-push without flags is not an email change), else the first value gets
// it. Under primary-flag-lost (faulty set), flags are dropped and the first
// value becomes primary, as the broken servers do.
func (d *Directory) settlePrimary(attrs map[string]any, storedPrimary string, faulty bool) {
	list := emailList(attrs)
	if len(list) == 0 {
		return
	}
	winner := -1
	if faulty && d.faults.on(faultPrimaryFlagLost) {
		winner = 0
	} else {
		for i, e := range list {
			if isPrimary(e) {
				winner = i
				break
			}
		}
		if winner < 0 && storedPrimary != "" {
			for i, e := range list {
				if strings.EqualFold(emailValue(e), storedPrimary) {
					winner = i
					break
				}
			}
		}
		if winner < 0 {
			winner = 0
		}
	}
	out := make([]any, len(list))
	for i, e := range list {
		m := mergeMaps(e.(map[string]any), nil)
		switch {
		case i == winner:
			m["primary"] = true
		case faulty && d.faults.on(faultPrimaryFlagLost):
			delete(m, "primary")
		case m["primary"] == true:
			m["primary"] = false
		}
		out[i] = m
	}
	attrs["emails"] = out
}

// dedupeEmails stores each (value, type) pair once, values compared
// case-insensitively as emails are (RFC 7643 §2.4: a service provider SHOULD
// NOT return the same (type, value) combination more than once). The first
// entry is kept; it is primary if any of its duplicates was.
func dedupeEmails(attrs map[string]any) {
	list := emailList(attrs)
	if len(list) < 2 {
		return
	}
	seen := make(map[string]int, len(list))
	out := make([]any, 0, len(list))
	for _, e := range list {
		m, ok := e.(map[string]any)
		if !ok {
			out = append(out, e)
			continue
		}
		typ, _ := m["type"].(string)
		key := strings.ToLower(emailValue(e)) + "\x00" + strings.ToLower(strings.TrimSpace(typ))
		if i, dup := seen[key]; dup {
			if isPrimary(e) && !isPrimary(out[i]) {
				kept := mergeMaps(out[i].(map[string]any), nil)
				kept["primary"] = true
				out[i] = kept
			}
			continue
		}
		seen[key] = len(out)
		out = append(out, e)
	}
	attrs["emails"] = out
}

// mergeEmails is the emails-merged-on-put fault: instead of replacing the
// stored emails, the pushed ones are added to them. A pushed value equal
// (exactly, case included) to a stored one is skipped; any other is appended
// without a primary flag, so the stored primary stays and a case-only variant
// becomes a second entry.
func mergeEmails(stored, pushed []any) []any {
	if len(stored) == 0 {
		return pushed
	}
	out := append([]any(nil), stored...)
	for _, p := range pushed {
		if slices.ContainsFunc(stored, func(s any) bool { return emailValue(s) == emailValue(p) }) {
			continue
		}
		m := mergeMaps(p.(map[string]any), nil)
		delete(m, "primary")
		out = append(out, m)
	}
	return out
}

// reorderedWithCaseChange is the trigger of the emails-case-and-order fault: the pushed emails
// are the stored ones (compared case-insensitively, as a multiset) in another order, and at
// least one value comes back in another case. Each variation alone is a no-op by RFC 7643 (the
// order of a multi-valued attribute carries no meaning, §2.4; emails are caseExact=false); the
// broken server mistakes only the two together for an email change.
func reorderedWithCaseChange(stored, pushed []any) bool {
	if len(stored) < 2 || len(stored) != len(pushed) {
		return false
	}
	reordered, recased := false, false
	remaining := slices.Clone(stored)
	for i, p := range pushed {
		v := emailValue(p)
		if !strings.EqualFold(v, emailValue(stored[i])) {
			reordered = true
		}
		j := slices.IndexFunc(remaining, func(s any) bool { return strings.EqualFold(emailValue(s), v) })
		if j < 0 {
			return false // another value: a real change, not this fault's combination
		}
		if emailValue(remaining[j]) != v {
			recased = true
		}
		remaining = slices.Delete(remaining, j, j+1)
	}
	return reordered && recased
}

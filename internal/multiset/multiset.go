// Package multiset renders a multiset of names the one way scimreplay words it, in the harness's
// diff and in the reports that show the states themselves, so the two always read alike.
package multiset

import (
	"fmt"
	"sort"
	"strings"
)

// Format renders the multiset xs as {a, b×2}: each distinct element once, sorted, with its count
// when it occurs more than once; {} when xs is empty.
func Format(xs []string) string {
	count := map[string]int{}
	for _, x := range xs {
		count[x]++
	}
	keys := make([]string, 0, len(count))
	for k := range count {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k
		if count[k] > 1 {
			parts[i] = fmt.Sprintf("%s×%d", k, count[k])
		}
	}
	return "{" + strings.Join(parts, ", ") + "}"
}

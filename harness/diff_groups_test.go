package harness

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
)

// TestCompareUserGroupsMatchesFullIndex checks the per-user "groups" detail of Compare, which
// indexes only users whose groups can have moved, against indexing every membership of both
// snapshots, on random snapshots with reissued ids, duplicate members and groups sharing a name.
func TestCompareUserGroupsMatchesFullIndex(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 11))
	for i := 0; i < 2000; i++ {
		before, after := randomPair(rng)
		d := Compare(before, after, nil)
		got := map[string]string{}
		for _, c := range d.Changes {
			for _, det := range c.Details {
				if c.Kind == "user" && strings.HasPrefix(det, "groups ") {
					got[c.Subject] = det
				}
			}
		}
		want := map[string]string{}
		bg, ag := fullGroupsByUser(before), fullGroupsByUser(after)
		bu, au := indexUsers(before), indexUsers(after)
		for k, bs := range bu {
			as := au[k]
			if len(as) == 0 {
				continue
			}
			if g1, g2 := bg[bs[0].ID], ag[as[0].ID]; !sameMultiset(g1, g2) {
				want[k] = fmt.Sprintf("groups %s → %s", fmtSet(g1), fmtSet(g2))
			}
		}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("case %d: groups details\n got %v\nwant %v\nbefore %+v\nafter  %+v", i, got, want, before, after)
		}
	}
}

func fullGroupsByUser(s *Snapshot) map[string][]string {
	m := map[string][]string{}
	for _, g := range s.Groups {
		for _, id := range g.Members {
			m[id] = append(m[id], g.DisplayName)
		}
	}
	return m
}

func randomPair(rng *rand.Rand) (before, after *Snapshot) {
	before, after = &Snapshot{}, &Snapshot{}
	n := 1 + rng.IntN(5)
	ids := make([]string, n)
	newIDs := make([]string, n)
	for i := range n {
		ids[i] = fmt.Sprintf("u%d", i)
		newIDs[i] = ids[i]
		if rng.IntN(4) == 0 {
			newIDs[i] = fmt.Sprintf("r%d", i) // reissued
		}
		name := fmt.Sprintf("user%d@x.example", i)
		before.Users = append(before.Users, UserState{ID: ids[i], UserName: name})
		after.Users = append(after.Users, UserState{ID: newIDs[i], UserName: name})
	}
	members := func(pool []string) []string {
		var out []string
		for _, id := range pool {
			for c := rng.IntN(3); c > 1; c-- { // 0, 1 or (rarely) 2 copies
				out = append(out, id)
			}
			if rng.IntN(2) == 0 {
				out = append(out, id)
			}
		}
		return out
	}
	for g := range 1 + rng.IntN(4) {
		name := fmt.Sprintf("g%d", rng.IntN(3)) // names repeat
		bm := members(ids)
		before.Groups = append(before.Groups, GroupState{ID: fmt.Sprint(g), DisplayName: name, Members: bm})
		am := make([]string, 0, len(bm))
		for _, id := range bm {
			for i := range ids {
				if ids[i] == id {
					am = append(am, newIDs[i])
				}
			}
		}
		if rng.IntN(3) == 0 {
			am = members(newIDs)
		}
		if rng.IntN(6) != 0 {
			after.Groups = append(after.Groups, GroupState{ID: fmt.Sprint(g), DisplayName: name, Members: am})
		}
	}
	if rng.IntN(5) == 0 {
		after.Groups = append(after.Groups, GroupState{ID: "new", DisplayName: "g9", Members: members(newIDs)})
	}
	return before, after
}

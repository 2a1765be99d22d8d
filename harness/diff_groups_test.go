package harness

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/scimreplay/scimreplay/internal/multiset"
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
		want := fullUserGroups(before, after)
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("case %d: groups details\n got %v\nwant %v\nbefore %+v\nafter  %+v", i, got, want, before, after)
		}
	}
}

// fullUserGroups is the per-user "groups" detail worked out by indexing every membership of both
// snapshots: each user's groups before, carried over to the groups they are paired with after,
// against its groups after.
func fullUserGroups(before, after *Snapshot) map[string]string {
	gpairs := pairGroups(before.Groups, after.Groups)
	to := map[*GroupState]*GroupState{}
	for _, p := range gpairs {
		if p.b != nil {
			to[p.b] = p.a
		}
	}
	of := func(s *Snapshot, id string) []*GroupState {
		var out []*GroupState
		for i := range s.Groups {
			for _, m := range s.Groups[i].Members {
				if m == id {
					out = append(out, &s.Groups[i])
				}
			}
		}
		return out
	}
	want := map[string]string{}
	for _, p := range pairUsers(before.Users, after.Users) {
		if p.b == nil || p.a == nil {
			continue
		}
		g1, g2 := of(before, p.b.ID), of(after, p.a.ID)
		var m1, m2 []string
		for _, g := range g1 {
			if a := to[g]; a != nil {
				m1 = append(m1, a.ID)
			} else {
				m1 = append(m1, "gone:"+g.ID)
			}
		}
		for _, g := range g2 {
			m2 = append(m2, g.ID)
		}
		if !sameMultiset(m1, m2) {
			want[p.b.Key()] = fmt.Sprintf("groups %s → %s", multiset.Format(groupNames(g1)), multiset.Format(groupNames(g2)))
		}
	}
	return want
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

package bench

import (
	"fmt"
	"runtime"
	"sort"
	"time"

	"github.com/scimreplay/scimreplay/harness"
)

var unmanagedDomains = []string{"partner.example", "contractor.example", "agency.example"}

// SnapshotPair builds two in-memory snapshots of users users and groups groups, as TakeSnapshot
// leaves them (sorted, normalised), where every 1/changed-th user and group moved: users lose
// their link, change primary email or are deactivated in turn, groups lose a member. It returns
// how many users and groups were changed.
func SnapshotPair(users, groups int, changed float64) (before, after *harness.Snapshot, nUsers, nGroups int) {
	before = &harness.Snapshot{LinkProbed: true}
	after = &harness.Snapshot{LinkProbed: true}
	every := 0
	if changed > 0 {
		every = max(int(1/changed), 1)
	}
	groups = max(groups, 1)
	yes, no := true, false
	for i := 0; i < users; i++ {
		domain := ManagedDomain
		if i%10 < 3 {
			domain = unmanagedDomains[i%len(unmanagedDomains)]
		}
		name := fmt.Sprintf("u%06d@%s", i, domain)
		u := harness.UserState{
			ID:           fmt.Sprintf("%08x-0000-4000-8000-%012x", i, i),
			UserName:     name,
			ExternalID:   fmt.Sprintf("00u%017d", i),
			Active:       &yes,
			PrimaryEmail: name,
			Emails:       []string{name},
			Link:         fmt.Sprintf("acct-u%06d", i),
		}
		before.Users = append(before.Users, u)
		if every > 0 && i%every == every/2 {
			nUsers++
			switch (i / every) % 3 {
			case 0:
				u.Link = ""
			case 1:
				u.PrimaryEmail = "moved-" + name
				u.Emails = []string{u.PrimaryEmail}
			case 2:
				u.Active = &no
			}
		}
		after.Users = append(after.Users, u)
	}
	members := make([][]string, groups)
	for i := 0; i < users; i++ {
		id := before.Users[i].ID
		members[0] = append(members[0], id)
		if groups > 1 {
			members[1+i%(groups-1)] = append(members[1+i%(groups-1)], id)
			if b := 1 + (i/(groups-1)+i*7)%(groups-1); b != 1+i%(groups-1) {
				members[b] = append(members[b], id)
			}
		}
	}
	for g := 0; g < groups; g++ {
		sort.Strings(members[g])
		gs := harness.GroupState{ID: fmt.Sprintf("g%07d", g), DisplayName: fmt.Sprintf("group-%05d", g), Members: members[g]}
		before.Groups = append(before.Groups, gs)
		if every > 0 && g%every == every/2 && len(gs.Members) > 0 {
			nGroups++
			gs.Members = gs.Members[1:]
		}
		after.Groups = append(after.Groups, gs)
	}
	sort.Slice(before.Users, func(i, j int) bool { return before.Users[i].Key() < before.Users[j].Key() })
	sort.Slice(after.Users, func(i, j int) bool { return after.Users[i].Key() < after.Users[j].Key() })
	return before, after, nUsers, nGroups
}

// CompareTime is the median time of harness.Compare on the pair over reps runs, and the diff of
// the last run. Each run starts after a collection, so none pays for garbage an earlier one left.
func CompareTime(before, after *harness.Snapshot, reps int) (time.Duration, harness.Diff) {
	var ds []time.Duration
	var d harness.Diff
	for i := 0; i < max(reps, 1); i++ {
		runtime.GC()
		start := time.Now()
		d = Compare(before, after)
		ds = append(ds, time.Since(start))
	}
	return Median(ds), d
}

// Compare is harness.Compare with the reference directory's classifier.
func Compare(before, after *harness.Snapshot) harness.Diff {
	return harness.Compare(before, after, Managed)
}

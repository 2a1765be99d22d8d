package bench

import (
	"context"
	"strings"
	"testing"
)

// TestForceSyncMeasuresTheWholeSync: the measured run provisions, snapshots, replays and diffs a
// generated org, sending every request it should, with concurrency on.
func TestForceSyncMeasuresTheWholeSync(t *testing.T) {
	c := serveDirectory(t)
	run := provisioned(t, c, OrgSpec{Users: 60, Groups: 6, Unmanaged: 0.3, Concurrency: 4})
	res, err := ForceSync(context.Background(), c, run)
	if err != nil {
		t.Fatal(err)
	}
	// GET + PUT per user and a PATCH per group at least, plus the paging loops and snapshots.
	if res.Requests < 2*60+6 || res.Changes != 0 || res.Total <= 0 || res.Replay <= 0 {
		t.Fatalf("result %+v", res)
	}
}

// TestForceSyncFailsOnARegression: the measured run is a real gate: a directory with ACCESS-1003
// makes it fail, naming an unmanaged user.
func TestForceSyncFailsOnARegression(t *testing.T) {
	c := serveDirectory(t, "access-1003")
	run := provisioned(t, c, OrgSpec{Users: 20, Groups: 2, Unmanaged: 0.3})
	_, err := ForceSync(context.Background(), c, run)
	if err == nil || !strings.Contains(err.Error(), "(unmanaged)") {
		t.Fatalf("error %v, want the diff naming an unmanaged user", err)
	}
}

// TestReplayOverheadSendsTheSameRequests: both sides of the comparison run every round, and the
// plain loop sends what the engine sent.
func TestReplayOverheadSendsTheSameRequests(t *testing.T) {
	c := serveDirectory(t)
	run := provisioned(t, c, OrgSpec{Users: 10, Groups: 2, Unmanaged: 0.3})
	sc := run.Scenario
	before := c.Sent()
	res, err := ReplayOverhead(context.Background(), c, run, sc.ForceSync, 5)
	if err != nil {
		t.Fatal(err)
	}
	if res.Requests < 2*10+2 || res.Rounds != 5 || res.Replay <= 0 || res.Plain <= 0 {
		t.Fatalf("result %+v", res)
	}
	if !(0 < res.PairRatioP25 && res.PairRatioP25 <= res.Ratio() && res.Ratio() <= res.PairRatioP75) {
		t.Fatalf("quartiles %.3f and %.3f do not surround the median pair ratio %.3f", res.PairRatioP25, res.PairRatioP75, res.Ratio())
	}
	// The client sent the warm-up and five replay rounds; the plain loop its own requests.
	if got := c.Sent() - before; got != int64(6*res.Requests) {
		t.Fatalf("the engine sent %d requests, want 6 rounds of %d", got, res.Requests)
	}
}

// TestSnapshotPairDiffFindsEveryChange: the diff figure's input holds the changes it says.
func TestSnapshotPairDiffFindsEveryChange(t *testing.T) {
	before, after, users, groups := SnapshotPair(2000, 100, 0.01)
	if users != 20 || groups != 1 {
		t.Fatalf("%d users and %d groups changed, want 20 and 1", users, groups)
	}
	d := Compare(before, after)
	userChanges := 0
	for _, c := range d.Changes {
		if c.Kind == "user" {
			userChanges++
		}
	}
	// Every changed user, plus the member the changed group lost (if not already counted).
	if userChanges < users || userChanges > users+1 {
		t.Fatalf("%d user changes, want %d or %d:\n%s", userChanges, users, users+1, d)
	}
	if d2 := Compare(before, before); !d2.Empty() {
		t.Fatalf("a snapshot differs from itself:\n%s", d2)
	}
}

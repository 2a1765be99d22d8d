package directory

import (
	"net/http"
	"testing"
)

func TestAccess1003NoOpPushUnlinksOnlyWithFault(t *testing.T) {
	for _, tc := range []struct {
		faults     []string
		wantUnlink bool
	}{
		{nil, false},
		{[]string{"access-1003"}, true},
	} {
		t.Run(map[bool]string{true: "fault", false: "correct"}[tc.wantUnlink], func(t *testing.T) {
			h := newHarness(t, tc.faults...)
			bob := h.createUser("bob@partner.example")
			g := h.createGroup("eng", bob)
			// Force sync: the same profile re-pushed as a full PUT.
			h.must(http.StatusOK, "PUT", "/scim/v2/Users/"+bob, userBody("bob@partner.example", "bob@partner.example", "00u-bob@partner.example"))
			u := h.user(bob)
			unlinks := h.unlinkEvents()
			if tc.wantUnlink {
				if linkOf(u) != "" || len(h.memberIDs(g)) != 0 || len(unlinks) != 1 {
					t.Fatalf("fault on: want unlinked and removed, got link %q, members %v, unlinks %v", linkOf(u), h.memberIDs(g), unlinks)
				}
				want := unlinkMessage(bob, "bob@partner.example")
				if unlinks[0].Message != want {
					t.Fatalf("audit message %q, want %q", unlinks[0].Message, want)
				}
				return
			}
			if linkOf(u) != "acct-7" || len(h.memberIDs(g)) != 1 || len(unlinks) != 0 {
				t.Fatalf("fault off: link %q, members %v, unlinks %v", linkOf(u), h.memberIDs(g), unlinks)
			}
		})
	}
}

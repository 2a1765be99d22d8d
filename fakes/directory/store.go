package directory

import (
	"slices"
	"strconv"
	"strings"
	"time"
)

// user is a stored User. attrs holds the client-writable attributes under
// their canonical names; the link, id and meta are the directory's own.
type user struct {
	id        string
	seq       uint64
	attrs     map[string]any
	accountID string // "" when unlinked
	created   time.Time
	modified  time.Time
	version   uint64
}

func (u *user) userName() string   { s, _ := u.attrs["userName"].(string); return s }
func (u *user) externalID() string { s, _ := u.attrs["externalId"].(string); return s }

// active reports the user's status; an unset active counts as active.
func (u *user) active() bool {
	b, ok := u.attrs["active"].(bool)
	return !ok || b
}

func (u *user) display() string {
	if s, _ := u.attrs["displayName"].(string); s != "" {
		return s
	}
	return u.userName()
}

// group is a stored Group. Its members are kept apart from attrs so
// membership operations stay O(1) or O(members).
type group struct {
	id       string
	seq      uint64
	attrs    map[string]any // displayName, externalId
	members  *memberList
	created  time.Time
	modified time.Time
	version  uint64

	// members-shuffled: how often the members were rendered, and the order
	// they were served in last.
	reads     uint64
	lastOrder []string
}

func (g *group) displayName() string { s, _ := g.attrs["displayName"].(string); return s }

// memberList is an ordered multiset of user ids: the order is the order of
// addition, the counts allow an O(1) "is a member" test. Correct behaviour
// keeps every count at 1; the readd-duplicates fault stores a member twice.
type memberList struct {
	ids   []string
	count map[string]int
}

func newMemberList() *memberList { return &memberList{count: map[string]int{}} }

func (m *memberList) clone() *memberList {
	c := &memberList{ids: slices.Clone(m.ids), count: make(map[string]int, len(m.count))}
	for k, v := range m.count {
		c.count[k] = v
	}
	return c
}

func (m *memberList) has(id string) bool { return m.count[id] > 0 }

func (m *memberList) len() int { return len(m.ids) }

// add appends id; an id already present is skipped unless dup is set.
func (m *memberList) add(id string, dup bool) {
	if m.count[id] > 0 && !dup {
		return
	}
	m.ids = append(m.ids, id)
	m.count[id]++
}

func (m *memberList) clear() {
	m.ids = nil
	m.count = map[string]int{}
}

// removeIf drops every entry for which drop returns true, in O(members).
func (m *memberList) removeIf(drop func(id string) bool) {
	kept := m.ids[:0:0]
	for _, id := range m.ids {
		if drop(id) {
			m.count[id]--
			if m.count[id] == 0 {
				delete(m.count, id)
			}
			continue
		}
		kept = append(kept, id)
	}
	m.ids = kept
}

func (m *memberList) remove(id string) {
	if !m.has(id) {
		return
	}
	m.removeIf(func(x string) bool { return x == id })
}

// store is the directory's whole state. Every access holds Directory.mu.
type store struct {
	seq            uint64
	lastID         uint64 // the last id handed out under sequential-ids
	users          map[string]*user
	userOrder      []*user          // creation order, for stable paging
	userByName     map[string]*user // key: Directory.userKey(userName)
	inactive       map[*user]bool   // deactivated users, for Okta's re-POST
	groups         map[string]*group
	groupOrder     []*group
	groupByName    map[string]*group              // key: lower-cased displayName
	memberOf       map[string]map[string]struct{} // user id -> group ids
	accounts       map[string]Account             // account id -> account
	accountByEmail map[string]string              // lower-cased email -> account id
	audit          []Event
}

func newStore(seeds []Account) *store {
	s := &store{
		users:          map[string]*user{},
		userByName:     map[string]*user{},
		inactive:       map[*user]bool{},
		groups:         map[string]*group{},
		groupByName:    map[string]*group{},
		memberOf:       map[string]map[string]struct{}{},
		accounts:       map[string]Account{},
		accountByEmail: map[string]string{},
	}
	for _, a := range seeds {
		s.accounts[a.ID] = a
		s.accountByEmail[strings.ToLower(a.Email)] = a.ID
	}
	return s
}

func (s *store) nextSeq() uint64 { s.seq++; return s.seq }

func (s *store) removeUserFromOrder(u *user) {
	i := slices.Index(s.userOrder, u)
	if i >= 0 {
		s.userOrder = slices.Delete(s.userOrder, i, i+1)
	}
}

func (s *store) removeGroupFromOrder(g *group) {
	i := slices.Index(s.groupOrder, g)
	if i >= 0 {
		s.groupOrder = slices.Delete(s.groupOrder, i, i+1)
	}
}

// groupsOf returns the groups a user belongs to, in group creation order.
func (s *store) groupsOf(userID string) []*group {
	set := s.memberOf[userID]
	if len(set) == 0 {
		return nil
	}
	gs := make([]*group, 0, len(set))
	for gid := range set {
		if g := s.groups[gid]; g != nil {
			gs = append(gs, g)
		}
	}
	slices.SortFunc(gs, func(a, b *group) int { return compareSeq(a.seq, b.seq) })
	return gs
}

func compareSeq(a, b uint64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// newAccountID picks acct-<localpart>, adding -2, -3 ... on collision.
func (s *store) newAccountID(email string) string {
	local := strings.ToLower(email)
	if i := strings.LastIndex(local, "@"); i >= 0 {
		local = local[:i]
	}
	if local == "" {
		local = "user"
	}
	base := "acct-" + local
	id := base
	for n := 2; ; n++ {
		if _, taken := s.accounts[id]; !taken {
			return id
		}
		id = base + "-" + strconv.Itoa(n)
	}
}

package elimity

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"
)

// user is a stored User. attrs holds the attributes as the library validated them (canonical
// names), without password (write-only, never kept), groups (read-only, computed) and the
// extension (the link is accountID).
type user struct {
	id        string
	seq       int
	attrs     map[string]any
	accountID string // "" when unlinked
	created   time.Time
	modified  time.Time
}

func (u *user) userName() string { s, _ := u.attrs["userName"].(string); return s }

func (u *user) externalID() string { s, _ := u.attrs["externalId"].(string); return s }

// active is the user's status; an absent active is not a deactivation.
func (u *user) active() bool {
	b, ok := u.attrs["active"].(bool)
	return !ok || b
}

// group is a stored Group; members are resource ids, in the order they were added.
type group struct {
	id          string
	seq         int
	displayName string
	externalID  string
	members     []string
	created     time.Time
	modified    time.Time
}

// state is everything the server holds, behind one mutex.
type state struct {
	mu         sync.Mutex
	seq        int
	accounts   int
	users      map[string]*user
	userOrder  []*user
	byName     map[string][]*user // lower-cased userName → users
	byExternal map[string][]*user // externalId → users, oldest first
	groups     map[string]*group
	groupOrder []*group
	memberOf   map[string]map[string]bool // member id → ids of the groups holding it
}

func newState() *state {
	return &state{
		users:      map[string]*user{},
		byName:     map[string][]*user{},
		byExternal: map[string][]*user{},
		groups:     map[string]*group{},
		memberOf:   map[string]map[string]bool{},
	}
}

func (st *state) nextSeq() int { st.seq++; return st.seq }

func newID() string { return uuid.NewString() }

// newAccount is a fresh linked account id.
func (st *state) newAccount() string {
	st.accounts++
	return fmt.Sprintf("acct-%d", st.accounts)
}

func nameKey(userName string) string { return strings.ToLower(userName) }

func (st *state) indexUser(u *user) {
	k := nameKey(u.userName())
	st.byName[k] = append(st.byName[k], u)
	if ext := u.externalID(); ext != "" {
		st.byExternal[ext] = append(st.byExternal[ext], u)
		slices.SortFunc(st.byExternal[ext], func(a, b *user) int { return a.seq - b.seq })
	}
}

func (st *state) unindexUser(u *user) {
	k := nameKey(u.userName())
	st.byName[k] = slices.DeleteFunc(st.byName[k], func(x *user) bool { return x == u })
	if len(st.byName[k]) == 0 {
		delete(st.byName, k)
	}
	if ext := u.externalID(); ext != "" {
		st.byExternal[ext] = slices.DeleteFunc(st.byExternal[ext], func(x *user) bool { return x == u })
		if len(st.byExternal[ext]) == 0 {
			delete(st.byExternal, ext)
		}
	}
}

// addUser stores a new user.
func (st *state) addUser(u *user) {
	st.users[u.id] = u
	st.userOrder = append(st.userOrder, u)
	st.indexUser(u)
}

// setUserAttrs replaces a user's attributes, keeping the userName and externalId indexes right.
func (st *state) setUserAttrs(u *user, attrs map[string]any, now time.Time) {
	st.unindexUser(u)
	u.attrs = attrs
	u.modified = now
	st.indexUser(u)
}

func (st *state) deleteUser(u *user) {
	st.dropMember(u.id)
	st.unindexUser(u)
	delete(st.users, u.id)
	st.userOrder = slices.DeleteFunc(st.userOrder, func(x *user) bool { return x == u })
}

func (st *state) addGroup(g *group) {
	st.groups[g.id] = g
	st.groupOrder = append(st.groupOrder, g)
	st.index(g)
}

func (st *state) deleteGroup(g *group) {
	st.unindex(g)
	st.dropMember(g.id)
	delete(st.groups, g.id)
	st.groupOrder = slices.DeleteFunc(st.groupOrder, func(x *group) bool { return x == g })
}

// setMembers replaces a group's members, keeping memberOf right.
func (st *state) setMembers(g *group, members []string) {
	st.unindex(g)
	g.members = members
	st.index(g)
}

func (st *state) index(g *group) {
	for _, m := range g.members {
		if st.memberOf[m] == nil {
			st.memberOf[m] = map[string]bool{}
		}
		st.memberOf[m][g.id] = true
	}
}

func (st *state) unindex(g *group) {
	for _, m := range g.members {
		delete(st.memberOf[m], g.id)
		if len(st.memberOf[m]) == 0 {
			delete(st.memberOf, m)
		}
	}
}

// dropMember takes a resource out of every group holding it.
func (st *state) dropMember(id string) {
	for gid := range st.memberOf[id] {
		g := st.groups[gid]
		g.members = slices.DeleteFunc(g.members, func(m string) bool { return m == id })
	}
	delete(st.memberOf, id)
}

// groupsOf is the groups holding a member, in the order the groups were created.
func (st *state) groupsOf(id string) []*group {
	var out []*group
	for gid := range st.memberOf[id] {
		out = append(out, st.groups[gid])
	}
	slices.SortFunc(out, func(a, b *group) int { return a.seq - b.seq })
	return out
}

// managed reports whether an email is on one of the verified domains.
func (s *Server) managed(email string) bool {
	_, domain, ok := strings.Cut(strings.TrimSpace(email), "@")
	if !ok {
		return false
	}
	for _, d := range s.domains {
		if strings.EqualFold(d, domain) {
			return true
		}
	}
	return false
}

// primaryEmail is the email flagged primary, else the first one, else the userName.
func primaryEmail(attrs map[string]any) string {
	list, _ := attrs["emails"].([]any)
	first := ""
	for _, e := range list {
		m, _ := e.(map[string]any)
		v, _ := m["value"].(string)
		if v == "" {
			continue
		}
		if p, _ := m["primary"].(bool); p {
			return v
		}
		if first == "" {
			first = v
		}
	}
	if first != "" {
		return first
	}
	s, _ := attrs["userName"].(string)
	return s
}

// deepCopy copies the maps and slices of a JSON-like value.
func deepCopy(v any) any {
	switch x := v.(type) {
	case map[string]any:
		m := make(map[string]any, len(x))
		for k, e := range x {
			m[k] = deepCopy(e)
		}
		return m
	case []any:
		if x == nil {
			return []any(nil)
		}
		l := make([]any, len(x))
		for i, e := range x {
			l[i] = deepCopy(e)
		}
		return l
	}
	return v
}

func copyAttrs(m map[string]any) map[string]any { return deepCopy(m).(map[string]any) }

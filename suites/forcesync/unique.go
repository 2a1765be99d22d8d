package forcesync

import (
	"crypto/sha1"
	"encoding/hex"
	"regexp"
	"sort"
	"strings"

	"github.com/scimreplay/scimreplay/harness/scenario"
)

// UniqueForRun returns a copy of sc whose names belong to one run of one scenario, for a
// target that outlives the run (a --target-url server, perhaps a shared staging server with
// other data and other runs in it): the userName, emails and externalId of every org user and
// the displayName of every org group get a tag, <run>-<8 hex of the scenario name> (a run id
// longer than 16 characters is hashed too), and the steps' literal mentions of them are
// rewritten the same way. So neither a re-run nor another scenario of the same run collides
// with earlier data (409 on create, Okta's lookup linking an old user) or reads its state.
//
//	bob@partner.example → bob+<tag>@partner.example   (the domain, so managed or not, is kept)
//	jira-users          → jira-users-<tag>
//	externalId          → a fresh Okta-style id derived from the tag and the user's key
//	                      (Entra's, its mailNickname by default: <externalId>-<tag>)
//
// Emails are rewritten wherever they appear in literal text (case kept, %40 understood; in a
// path the + is written %2B); group names, externalIds and userNames that are not emails only
// where a whole string is exactly one of them. Text inside {{…}} is never touched (templates
// already resolve to the new names). A group name spelt inside a filter in a path is not
// rewritten: use {{groups.<key>.displayName}} there.
func UniqueForRun(sc *scenario.Scenario, run string) *scenario.Scenario {
	r := newRenamer(sc, runTag(run, sc.Name))
	out := *sc
	out.Org.Users = make([]scenario.User, len(sc.Org.Users))
	for i, u := range sc.Org.Users {
		ext := sc.ExternalID(u) // before the userName (Entra's default derives from it) changes
		u.UserName = r.exactOrEmails(u.UserName, "+")
		u.Email = r.emailText(u.Email, "+")
		u.SecondEmail = r.emailText(u.SecondEmail, "+")
		u.ExternalID = r.exact[ext]
		out.Org.Users[i] = u
	}
	out.Org.Groups = make([]scenario.Group, len(sc.Org.Groups))
	for i, g := range sc.Org.Groups {
		g.DisplayName = r.exactOrEmails(g.DisplayName, "+")
		out.Org.Groups[i] = g
	}
	out.Provision = r.steps(sc.Provision)
	out.ForceSync = r.steps(sc.ForceSync)
	out.Verify = r.steps(sc.Verify)
	return &out
}

// runTag is the suffix UniqueForRun gives the names of one scenario in one run.
func runTag(run, scenarioName string) string {
	if len(run) > 16 {
		run = shortHash(run)
	}
	return run + "-" + shortHash(scenarioName)
}

func shortHash(s string) string {
	sum := sha1.Sum([]byte(s))
	return hex.EncodeToString(sum[:4])
}

type renamer struct {
	run    string            // the tag
	emails *regexp.Regexp    // any org email, case-insensitively, @ or %40
	exact  map[string]string // whole strings: group names, externalIds, non-email userNames
}

func newRenamer(sc *scenario.Scenario, run string) *renamer {
	org := sc.Org
	r := &renamer{run: run, exact: map[string]string{}}
	var alts []string
	addEmail := func(e string) {
		local, domain, ok := strings.Cut(e, "@")
		if ok && local != "" && domain != "" {
			alts = append(alts, regexp.QuoteMeta(local)+"(?:@|%40)"+regexp.QuoteMeta(domain))
		}
	}
	for _, u := range org.Users {
		if strings.Contains(u.UserName, "@") {
			addEmail(u.UserName)
		} else if u.UserName != "" {
			r.exact[u.UserName] = u.UserName + "-" + run
		}
		addEmail(u.Email)
		addEmail(u.SecondEmail)
		if ext := sc.ExternalID(u); sc.IdP == scenario.IdPEntra {
			r.exact[ext] = ext + "-" + run
		} else {
			r.exact[ext] = scenario.OktaID(run + "/" + u.Key)
		}
	}
	for _, g := range org.Groups {
		r.exact[g.DisplayName] = g.DisplayName + "-" + run
	}
	if len(alts) > 0 {
		// Longest first, so that of two emails where one ends the other the longer one wins.
		sort.Slice(alts, func(i, j int) bool { return len(alts[i]) > len(alts[j]) })
		r.emails = regexp.MustCompile("(?i)(?:" + strings.Join(alts, "|") + ")")
	}
	return r
}

// emailText inserts sep+run before the @ of every org email in s.
func (r *renamer) emailText(s, sep string) string {
	if r.emails == nil || s == "" {
		return s
	}
	return r.emails.ReplaceAllStringFunc(s, func(m string) string {
		i := strings.Index(m, "@")
		if i < 0 {
			i = strings.Index(strings.ToLower(m), "%40")
		}
		return m[:i] + sep + r.run + m[i:]
	})
}

// exactOrEmails renames a string that is exactly a known name, else the emails in it.
func (r *renamer) exactOrEmails(s, sep string) string {
	if n, ok := r.exact[s]; ok {
		return n
	}
	return r.emailText(s, sep)
}

// text rewrites the literal parts of a template, leaving {{…}} alone; verbatim text has none.
func (r *renamer) text(s, sep string, verbatim bool) string {
	if verbatim || !strings.Contains(s, "{{") {
		return r.exactOrEmails(s, sep)
	}
	var b strings.Builder
	for s != "" {
		i := strings.Index(s, "{{")
		if i < 0 {
			b.WriteString(r.emailText(s, sep))
			break
		}
		b.WriteString(r.emailText(s[:i], sep))
		j := strings.Index(s[i:], "}}")
		if j < 0 {
			b.WriteString(s[i:])
			break
		}
		b.WriteString(s[i : i+j+2])
		s = s[i+j+2:]
	}
	return b.String()
}

func (r *renamer) value(v any, verbatim bool) any {
	switch x := v.(type) {
	case string:
		return r.text(x, "+", verbatim)
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = r.value(e, verbatim)
		}
		return out
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = r.value(e, verbatim)
		}
		return out
	}
	return v
}

func (r *renamer) kvs(in []scenario.KV, verbatim bool) []scenario.KV {
	if in == nil {
		return nil
	}
	out := make([]scenario.KV, len(in))
	for i, kv := range in {
		out[i] = scenario.KV{Key: kv.Key, Value: r.text(kv.Value, "+", verbatim)}
	}
	return out
}

func (r *renamer) steps(in []scenario.Step) []scenario.Step {
	if in == nil {
		return nil
	}
	out := make([]scenario.Step, len(in))
	for i, st := range in {
		// In a path the query is not encoded again by the replayer: + would read as a space.
		st.Path = r.text(st.Path, "%2B", st.Verbatim)
		st.Query = r.kvs(st.Query, st.Verbatim)
		st.Headers = r.kvs(st.Headers, st.Verbatim)
		st.Body = r.value(st.Body, st.Verbatim)
		if st.Response != nil {
			rec := *st.Response
			rec.Body = r.value(rec.Body, true)
			st.Response = &rec
		}
		st.Steps = r.steps(st.Steps)
		out[i] = st
	}
	return out
}

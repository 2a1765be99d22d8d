package directory

import (
	"fmt"
	"net/http"
	"strings"
	"time"
)

// UnlinkAuditPattern is the part of the unlink audit message that the
// harness looks for, as in Atlassian's audit log.
const UnlinkAuditPattern = "unlinked any associated atlassian account"

// Audit event types.
const (
	EventLink           = "link"
	EventUnlink         = "unlink"
	EventMemberAdd      = "member-add"
	EventMemberRemove   = "member-remove"
	EventUserCreate     = "user-create"
	EventUserDeactivate = "user-deactivate"
	EventUserReactivate = "user-reactivate"
)

// Event is one line of the audit log served at GET /admin/audit (?type=a,b: only those types).
type Event struct {
	Time      string `json:"time"`
	Type      string `json:"type"`
	UserID    string `json:"userId,omitempty"`
	GroupID   string `json:"groupId,omitempty"`
	AccountID string `json:"accountId,omitempty"`
	Message   string `json:"message"`
}

func unlinkMessage(userID, email string) string {
	return fmt.Sprintf("Email update to unmanaged user with ID %s, primary email %s, %s.", userID, email, UnlinkAuditPattern)
}

func (d *Directory) record(e Event) {
	e.Time = d.timestamp().Format(time.RFC3339Nano)
	d.st.audit = append(d.st.audit, e)
}

func (d *Directory) serveAudit(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet {
		writeError(w, methodNotAllowed(r, http.MethodGet))
		return
	}
	// ?type=unlink,link serves only events of those types, as audit APIs filter by action
	// (Atlassian's organization events take an action parameter): the log grows with every user
	// provisioned (82 MB of JSON at 100k users), and a snapshot needs only the unlink lines.
	var types map[string]bool
	if t := r.URL.Query().Get("type"); t != "" {
		types = map[string]bool{}
		for _, name := range strings.Split(t, ",") {
			types[strings.TrimSpace(name)] = true
		}
	}
	d.mu.Lock()
	events := []Event{}
	if types == nil {
		events = append(events, d.st.audit...)
	}
	for i := 0; types != nil && i < len(d.st.audit); i++ {
		if types[d.st.audit[i].Type] {
			events = append(events, d.st.audit[i])
		}
	}
	d.mu.Unlock()
	writeJSON(w, http.StatusOK, jsonMediaType, struct {
		Events []Event `json:"events"`
	}{events})
}

// serveReset drops every user, group and audit event and any pending
// background work; accounts go back to the seeds, and the counters of
// throttle-429 and sequential-ids start again.
func (d *Directory) serveReset(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		writeError(w, methodNotAllowed(r, http.MethodPost))
		return
	}
	d.mu.Lock()
	d.stopTimers()
	d.st = newStore(d.seeds)
	d.requests.Store(0)
	d.mu.Unlock()
	w.WriteHeader(http.StatusNoContent)
}

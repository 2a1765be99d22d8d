package harness

import (
	"fmt"
	"strings"
	"sync"

	"github.com/scimreplay/scimreplay/internal/textcut"
)

// MaxLoggedExchanges is how many of the latest exchanges an ExchangeLog keeps.
const MaxLoggedExchanges = 200

// ExchangeLog keeps a one-line summary of the latest requests a client sent (already redacted by
// the client), for the report of a failed spec: pass its Add to Client.Observe. The zero value
// is ready to use and safe for concurrent use.
type ExchangeLog struct {
	mu    sync.Mutex
	lines []string
	n     int
}

// Add records one exchange; an error answer keeps the start of its body.
func (l *ExchangeLog) Add(e Exchange) {
	line := e.String()
	if e.Status >= 400 || e.Err != "" {
		line += " " + textcut.Truncate(e.RespBody, 300)
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.n++
	l.lines = append(l.lines, line)
	if len(l.lines) > MaxLoggedExchanges {
		l.lines = l.lines[1:]
	}
}

// String is the log, headed by how many requests were sent ("" when none was).
func (l *ExchangeLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.n == 0 {
		return ""
	}
	head := fmt.Sprintf("%d requests sent", l.n)
	if l.n > len(l.lines) {
		head += fmt.Sprintf(" (the last %d shown)", len(l.lines))
	}
	return head + ":\n" + strings.Join(l.lines, "\n")
}

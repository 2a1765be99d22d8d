package harness

import (
	"fmt"
	"strings"
	"testing"
)

func TestExchangeLogKeepsTheLatestAndErrorBodies(t *testing.T) {
	var l ExchangeLog
	if l.String() != "" {
		t.Fatal("an empty log says nothing")
	}
	for i := 0; i < MaxLoggedExchanges+5; i++ {
		l.Add(Exchange{Method: "GET", URL: fmt.Sprintf("http://t/scim/v2/Users/%d", i), Status: 200})
	}
	l.Add(Exchange{Method: "PUT", URL: "http://t/scim/v2/Users/x", Status: 500, RespBody: strings.Repeat("é", 400)})
	s := l.String()
	if !strings.HasPrefix(s, fmt.Sprintf("%d requests sent (the last %d shown):", MaxLoggedExchanges+6, MaxLoggedExchanges)) {
		t.Fatalf("head: %q", s[:80])
	}
	if strings.Contains(s, "/Users/5 ") || !strings.Contains(s, "/Users/6 ") {
		t.Fatalf("the oldest exchanges are dropped first")
	}
	last := s[strings.LastIndex(s, "\n")+1:]
	if !strings.HasPrefix(last, "PUT /scim/v2/Users/x → 500") || !strings.HasSuffix(last, "é…") || len(last) > 360 {
		t.Fatalf("an error keeps the start of its body, cut on a rune: %q", last)
	}
}

package main

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"github.com/scimreplay/scimreplay/reports"
)

func TestPrintVerdictBoundsEachDiff(t *testing.T) {
	var lines []string
	for i := 0; i < 40; i++ {
		lines = append(lines, fmt.Sprintf("user%03d@partner.example (unmanaged): link acct-%d → none", i, i))
	}
	run := &reports.Run{Cases: []reports.Case{
		{Name: "forcesync/okta/large-org-paging", Status: reports.Failed, Verdict: reports.VerdictRegression, Message: strings.Join(lines, "\n")},
		{Name: "forcesync/okta/identical-repush", Status: reports.Passed},
	}}
	var out bytes.Buffer
	printVerdict(&out, run, 1)
	s := out.String()
	if !strings.Contains(s, "user024@partner.example") || strings.Contains(s, "user025@partner.example") {
		t.Fatalf("the first %d lines are shown, no more:\n%s", maxVerdictLines, s)
	}
	if !strings.Contains(s, "… 15 more lines in the JUnit and summary.md") {
		t.Fatalf("the cut is not said:\n%s", s)
	}
	if !strings.Contains(s, "PASS identical-repush") || !strings.Contains(s, "FAIL large-org-paging") {
		t.Fatalf("every scenario is listed:\n%s", s)
	}
}

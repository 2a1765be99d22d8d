package main

import (
	"strings"
	"testing"
	"time"
)

func TestScanPassesOutputThroughAndTimesPackages(t *testing.T) {
	in := "ok  \texample.com/a\t1.500s\n" +
		"--- FAIL: TestX (0.00s)\n    x_test.go:3: boom\nFAIL\n" +
		"FAIL\texample.com/b\t12.250s\n" +
		"?   \texample.com/c\t[no test files]\n" +
		"ok  \texample.com/d\t0.020s"
	var out strings.Builder
	times, err := scan(strings.NewReader(in), &out)
	if err != nil {
		t.Fatal(err)
	}
	if out.String() != in {
		t.Errorf("output changed:\n%q\nwant\n%q", out.String(), in)
	}
	var b strings.Builder
	report(&b, times, 2, 90*time.Second)
	want := "\nslowest packages (of 3; the whole run took 1m30s):\n" +
		"     12.2s  FAIL  example.com/b\n" +
		"      1.5s  ok    example.com/a\n"
	if b.String() != want {
		t.Errorf("report:\n%s\nwant\n%s", b.String(), want)
	}
}

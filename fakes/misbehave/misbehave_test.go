package misbehave_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/scimreplay/scimreplay/fakes/directory"
	"github.com/scimreplay/scimreplay/fakes/misbehave"
	"github.com/scimreplay/scimreplay/harness"
)

const token = "srt_misbehave_test_token"

func serve(t *testing.T, h *misbehave.Handler) *harness.Client {
	t.Helper()
	d, err := directory.New(directory.Config{Token: token, VerifiedDomains: []string{"acme.example"}})
	if err != nil {
		t.Fatal(err)
	}
	h.Next = d
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	c := harness.NewClient(srv.URL+"/scim/v2", token)
	c.Timeout = time.Second
	return c
}

// Each mode, armed from the first request, reaches the harness client as the failure it
// stands for: a status Okta does not expect (a regression) or no usable SCIM answer.
func TestModesAsTheHarnessSeesThem(t *testing.T) {
	for _, tc := range []struct {
		mode        misbehave.Mode
		couldNotRun bool
		want        string
	}{
		{misbehave.Status500, false, "answered 500"},
		{misbehave.InvalidJSON, true, "a body that is not JSON"},
		{misbehave.NonSCIM, true, "not a SCIM ListResponse (no totalResults)"},
		{misbehave.WrongContentType, true, `Content-Type "text/html; charset=utf-8"`},
		{misbehave.Hang, true, "no answer within the request timeout of 1s"},
		{misbehave.HalfClose, true, "closed the connection before answering in full"},
		{misbehave.Die, true, "GET"},
	} {
		t.Run(string(tc.mode), func(t *testing.T) {
			h := &misbehave.Handler{Mode: tc.mode}
			c := serve(t, h)
			err := c.List(context.Background(), "/Users", "", func(json.RawMessage) error { return nil })
			if err == nil {
				t.Fatal("no error")
			}
			if harness.IsCouldNotRun(err) != tc.couldNotRun {
				t.Errorf("IsCouldNotRun = %v, want %v: %v", !tc.couldNotRun, tc.couldNotRun, err)
			}
			var se *harness.StatusError
			if !tc.couldNotRun && !errors.As(err, &se) {
				t.Errorf("not a StatusError: %v", err)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q lacks %q", err, tc.want)
			}
			if h.Misbehaved() == 0 {
				t.Error("the fault never struck")
			}
		})
	}
}

// The trigger request and the Skip requests after it are answered normally; then every request
// gets the fault.
func TestTriggerAndSkip(t *testing.T) {
	var logged bytes.Buffer
	h := &misbehave.Handler{Mode: misbehave.Status500, Trigger: "GET /admin/audit", Skip: 1, LogAuth: &logged}
	c := serve(t, h)
	ctx := context.Background()
	status := func(method, path string) int {
		t.Helper()
		var resp *harness.Response
		var err error
		if strings.HasPrefix(path, "/admin") {
			resp, err = c.DoRoot(ctx, method, path, nil, nil)
		} else {
			resp, err = c.Do(ctx, method, path, nil, nil)
		}
		if err != nil {
			t.Fatal(err)
		}
		return resp.Status
	}
	got := []int{status("GET", "/Users"), status("GET", "/admin/audit"), status("GET", "/Users"), status("GET", "/Users"), status("GET", "/Groups")}
	want := []int{200, 200, 200, 500, 500}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("statuses %v, want %v", got, want)
		}
	}
	if h.Misbehaved() != 2 {
		t.Errorf("misbehaved %d times, want 2", h.Misbehaved())
	}
	if !strings.Contains(logged.String(), "Bearer "+token) {
		t.Errorf("LogAuth does not log the Authorization header: %q", logged.String())
	}
}

func TestFromEnv(t *testing.T) {
	env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }
	h, err := misbehave.FromEnv(http.NotFoundHandler(), env(map[string]string{"MISBEHAVE_MODE": "hang", "MISBEHAVE_SKIP": "2"}))
	if err != nil || h.Mode != misbehave.Hang || h.Skip != 2 || h.Trigger != misbehave.DefaultTrigger {
		t.Fatalf("%+v %v", h, err)
	}
	h, err = misbehave.FromEnv(http.NotFoundHandler(), env(map[string]string{"MISBEHAVE_MODE": "die", "MISBEHAVE_TRIGGER": "none"}))
	if err != nil || h.Trigger != "" {
		t.Fatalf("%+v %v", h, err)
	}
	for _, bad := range []map[string]string{{"MISBEHAVE_MODE": "explode"}, {"MISBEHAVE_MODE": "500", "MISBEHAVE_SKIP": "-1"}} {
		if _, err := misbehave.FromEnv(http.NotFoundHandler(), env(bad)); err == nil {
			t.Errorf("%v accepted", bad)
		}
	}
}

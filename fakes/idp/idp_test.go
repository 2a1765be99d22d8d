package idp_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/scimreplay/scimreplay/fakes/idp"
	"github.com/scimreplay/scimreplay/harness"
	"github.com/scimreplay/scimreplay/harness/scenario"
)

// fakeIdP records the macros the engine hands it.
type fakeIdP struct{ macros []string }

func (f *fakeIdP) Name() string { return "Fake IdP" }

func (f *fakeIdP) Provision(file string) []scenario.Step {
	return []scenario.Step{{Okta: "provision", Pos: scenario.Pos{File: file}}}
}

func (f *fakeIdP) Macro(ctx context.Context, p *idp.Replayer, r *idp.Run, st *scenario.Step) error {
	f.macros = append(f.macros, st.Okta)
	_, err := p.Send(ctx, r, http.MethodGet, "/Users/missing", nil, 200)
	return err
}

// The engine hands macro steps to its IdP, and an answer the IdP does not expect is a status
// error in the IdP's name.
func TestMacrosGoToTheIdPAndStatusErrorsNameIt(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/scim+json")
		w.WriteHeader(http.StatusNotFound)
		w.Write([]byte(`{"schemas":["urn:ietf:params:scim:api:messages:2.0:Error"],"status":"404"}`))
	}))
	defer srv.Close()
	sc, err := scenario.Parse("t.yaml", []byte("version: 1\nname: t\nsource: test\nforceSync:\n  - {method: GET, path: /Users}\n"))
	if err != nil {
		t.Fatal(err)
	}
	f := &fakeIdP{}
	p := &idp.Replayer{Client: harness.NewClient(srv.URL+"/scim/v2", "t"), IdP: f}
	_, err = p.Replay(context.Background(), sc, "run", idp.Options{})
	var pe *idp.PhaseError
	var se *harness.StatusError
	if !errors.As(err, &pe) || pe.Phase != "provision" || !errors.As(err, &se) {
		t.Fatalf("err %v, want a status error of the provision phase", err)
	}
	if len(f.macros) != 1 || f.macros[0] != "provision" {
		t.Errorf("macros run: %v, want the IdP's provision", f.macros)
	}
	if !strings.Contains(err.Error(), "answered 404, Fake IdP expects 200") {
		t.Errorf("the error does not name the IdP: %v", err)
	}
}

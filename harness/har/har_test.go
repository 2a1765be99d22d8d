package har_test

import (
	"context"
	"net/http/httptest"
	"os"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/scimreplay/scimreplay/fakes/directory"
	"github.com/scimreplay/scimreplay/fakes/okta"
	"github.com/scimreplay/scimreplay/fakes/reference"
	"github.com/scimreplay/scimreplay/harness"
	"github.com/scimreplay/scimreplay/harness/har"
	"github.com/scimreplay/scimreplay/harness/record"
	"github.com/scimreplay/scimreplay/harness/scenario"
)

const sample = "testdata/okta-force-sync.har"

// Secrets the sample HAR holds: the bearer token, a cookie, and Okta's generated password.
var secrets = []string{"har-sample-secret-7Q2xVb9LmN4pR8sT", "har-cookie-secret-Zx81", "Okta-Gen-"}

func importSample(t *testing.T, o har.Options) ([]byte, []string) {
	t.Helper()
	data, err := os.ReadFile(sample)
	if err != nil {
		t.Fatal(err)
	}
	out, warnings, err := har.Import(data, o, record.Options{Name: "imported-sample", Source: "HAR sample in testdata", Labels: []string{"imported"}})
	if err != nil {
		t.Fatal(err)
	}
	return out, warnings
}

func TestImportRedactsAndMarksPhases(t *testing.T) {
	out, warnings := importSample(t, har.Options{})
	for _, s := range secrets {
		if strings.Contains(string(out), s) {
			t.Errorf("the imported scenario holds the secret %q", s)
		}
	}
	sc, err := scenario.Parse("imported.yaml", out)
	if err != nil {
		t.Fatal(err)
	}
	if sc.Rebind != scenario.RebindAuto || len(sc.Provision) != 6 || len(sc.ForceSync) != 5 {
		t.Fatalf("rebind %q, %d provision steps (want 6), %d forceSync steps (want 5)\n%s", sc.Rebind, len(sc.Provision), len(sc.ForceSync), out)
	}
	if len(warnings) != 1 || !strings.Contains(warnings[0], "favicon.ico") {
		t.Errorf("warnings %q, want one for the favicon", warnings)
	}
	if first := sc.Provision[0]; first.Method != "GET" || first.Path != "/Users" || len(first.Query) != 3 || first.Query[0].Value != `userName eq "alice@acme.example"` {
		t.Errorf("first step %+v", first)
	}
}

// TestImportedScenarioReplaysAgainstAFreshTarget replays the imported file, with no hand
// editing, against a directory that assigns its own ids: every request goes to the live ids,
// none to a recorded one, and the force sync moves nothing.
func TestImportedScenarioReplaysAgainstAFreshTarget(t *testing.T) {
	for _, pseudo := range []bool{false, true} {
		out, _ := importSample(t, har.Options{Pseudonymise: pseudo})
		sc, err := scenario.Parse("imported.yaml", out)
		if err != nil {
			t.Fatal(err)
		}
		recorded := map[string]bool{}
		for _, id := range regexp.MustCompile(`[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}`).FindAllString(string(out), -1) {
			recorded[id] = true
		}
		if len(recorded) < 3 {
			t.Fatalf("the sample holds %d recorded ids", len(recorded))
		}
		spec := reference.Target(nil, nil)
		d, err := directory.New(directory.Config{Token: spec.Token, VerifiedDomains: spec.VerifiedDomains})
		if err != nil {
			t.Fatal(err)
		}
		srv := httptest.NewServer(d)
		defer srv.Close()
		c := harness.NewClient(srv.URL+"/scim/v2", spec.Token)
		c.Timeout = 10 * time.Second
		var mu sync.Mutex
		var sent []string
		c.Observe(func(e harness.Exchange) {
			mu.Lock()
			defer mu.Unlock()
			sent = append(sent, e.Method+" "+e.URL+" "+e.ReqBody)
		})
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		res, err := (&okta.Replayer{Client: c}).Replay(ctx, sc, "t", okta.Options{Probes: harness.Probes{Link: spec.LinkProbe, Audit: spec.AuditProbe}, Managed: spec.Classifier()})
		if err != nil {
			t.Fatalf("pseudonymised=%t: %v", pseudo, err)
		}
		if d := res.Diff; !d.Empty() {
			t.Fatalf("pseudonymised=%t: the force sync moved state:\n%s", pseudo, d)
		}
		if len(res.Before.Users) != 2 || len(res.Before.Groups) != 1 || len(res.Before.Groups[0].Members) != 2 {
			t.Fatalf("snapshot scope: %+v", res.Before)
		}
		for _, s := range sent {
			for id := range recorded {
				if strings.Contains(s, id) {
					t.Errorf("a recorded id %s was sent: %s", id, s)
				}
			}
		}
	}
}

func TestImportPseudonymisesConsistently(t *testing.T) {
	out, _ := importSample(t, har.Options{Pseudonymise: true})
	text := string(out)
	for _, real := range []string{"alice", "Alice", "Archer", "bob@", "Bob", "Brown"} {
		if strings.Contains(text, real) {
			t.Errorf("pseudonymised file still holds %q", real)
		}
	}
	// The lookup and the POST of the same person name the same pseudonym, on the same domain.
	sc, err := scenario.Parse("p.yaml", out)
	if err != nil {
		t.Fatal(err)
	}
	lookup := sc.Provision[0].Query[0].Value
	post := sc.Provision[1].Body.(map[string]any)["userName"].(string)
	if lookup != `userName eq "`+post+`"` || !strings.HasSuffix(post, "@acme.example") {
		t.Errorf("lookup %q and POST userName %q disagree", lookup, post)
	}
}

func TestImportErrors(t *testing.T) {
	so := record.Options{Name: "x", Source: "s"}
	cases := map[string]string{
		"{\n  \"log\": [\n":                            "not a HAR file: line 3, column 1: unexpected end of file",
		`{"log": {"version": "2.0", "entries": [{}]}}`: `HAR version "2.0"`,
		`{"foo": 1}`:                                   "no log.version and no log.entries",
		`{"log": {"version": "1.2", "entries": [{"request": {"method": "GET", "url": "https://x.example/index.html"}, "response": {"status": 200}}]}}`:                                                        "holds no SCIM request",
		`{"log": {"version": "1.2", "entries": [{"request": {"method": "POST", "url": "https://x.example/scim/v2/Users"}, "response": {"status": 201}}]}}`:                                                    "no force sync traffic",
		`{"log": {"version": "1.2", "entries": [{"request": {"method": "GET", "url": "https://x.example/scim/v2/Users/1", "postData": {"text": "%%", "encoding": "base64"}}, "response": {"status": 200}}]}}`: "holds no SCIM request",
	}
	for in, want := range cases {
		_, _, err := har.Import([]byte(in), har.Options{}, so)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("input %q: error %v, want %q", in, err, want)
		}
	}
}

func FuzzImportHAR(f *testing.F) {
	if b, err := os.ReadFile(sample); err == nil {
		f.Add(b)
	}
	f.Add([]byte(`{"log": {"version": "1.2", "pages": [{"id": "p", "title": "forceSync"}], "entries": [{"pageref": "p", "request": {"method": "PUT", "url": "https://x.example/scim/v2/Users/1", "postData": {"text": "{\"id\": \"1\", \"emails\": [{\"value\": \"A@b.example\"}]}"}}, "response": {"status": 200, "content": {"text": "{\"id\": \"1\"}"}}}]}}`))
	f.Add([]byte(`{"log": {"entries": [{"request": {"method": "GET", "url": "https://x.example/Users?filter=userName%20eq%20%22{{x}}%22"}, "response": {"status": 404}}]}}`))
	f.Add([]byte(`{"log": null}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		for _, pseudo := range []bool{false, true} {
			out, _, err := har.Import(b, har.Options{Pseudonymise: pseudo}, record.Options{Name: "fuzz", Source: "fuzz"})
			if err != nil {
				continue
			}
			if _, err := scenario.Parse("fuzz.yaml", out); err != nil {
				t.Fatalf("an imported scenario does not load: %v\n%s", err, out)
			}
		}
	})
}

// entraSample is Entra-shaped traffic as a HAR 1.2 file: the test connection, the initial cycle
// (lookups, POST /Users, POST /Groups with the ADSCIM schema, "Add" of members with
// {"$ref": null}) and a "Restart provisioning" page (lookups, PATCH /Users re-sending every
// mapped attribute with "Replace" and active "True", group lookups with
// excludedAttributes=members). Shapes from Microsoft Learn's SCIM tutorial and Known issues
// page; it holds no User-Agent, as no public source gives Entra's, so its shapes alone must
// tell.
const entraSample = "testdata/entra-restart-provisioning.har"

const entraToken = "entra-har-secret-Kq93JdLw0PzX5mV"

func importEntra(t *testing.T, pseudo bool) []byte {
	t.Helper()
	data, err := os.ReadFile(entraSample)
	if err != nil {
		t.Fatal(err)
	}
	out, warnings, err := har.Import(data, har.Options{Pseudonymise: pseudo}, record.Options{Name: "entra-imported", Source: "Entra HAR sample in testdata"})
	if err != nil {
		t.Fatal(err)
	}
	if len(warnings) != 0 {
		t.Errorf("warnings %q", warnings)
	}
	return out
}

// An Entra capture imports as an Entra scenario that loads: idp: entra told by its shapes,
// the token redacted, the "Restart provisioning" page as the force sync, and the recording
// replays against a fresh directory without moving anything.
func TestImportEntraCapture(t *testing.T) {
	out := importEntra(t, false)
	if strings.Contains(string(out), entraToken) {
		t.Error("the imported scenario holds the bearer token")
	}
	sc, err := scenario.Parse("entra.yaml", out)
	if err != nil {
		t.Fatalf("the imported Entra scenario does not load: %v\n%s", err, out)
	}
	if sc.IdP != scenario.IdPEntra {
		t.Errorf("idp %q, want entra\n%s", sc.IdP, out)
	}
	if len(sc.Provision) != 8 || len(sc.ForceSync) != 7 {
		t.Errorf("%d provision steps (want 8), %d forceSync steps (want 7)", len(sc.Provision), len(sc.ForceSync))
	}
	for _, want := range []string{`# idp: entra, told by `, `PATCH ops in capitals ("Add", "Replace")`, "excludedAttributes=members", "the ADSCIM group schema in POST /Groups", `active sent as a string ("True")`, "Entra's test connection"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("the scenario does not say %q:\n%s", want, out)
		}
	}
	for _, want := range []string{"op: Replace", "value: \"True\"", "excludedAttributes: members", "http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group", "$ref: null"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("the recording lost Entra's shape %q:\n%s", want, out)
		}
	}

	spec := reference.Target(nil, nil)
	d, err := directory.New(directory.Config{Token: spec.Token, VerifiedDomains: spec.VerifiedDomains})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(d)
	defer srv.Close()
	c := harness.NewClient(srv.URL+"/scim/v2", spec.Token)
	c.Timeout = 10 * time.Second
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	res, err := (&okta.Replayer{Client: c}).Replay(ctx, sc, "t", okta.Options{Probes: harness.Probes{Link: spec.LinkProbe, Audit: spec.AuditProbe}, Managed: spec.Classifier()})
	if err != nil {
		t.Fatal(err)
	}
	if !res.Diff.Empty() {
		t.Fatalf("the recorded Restart provisioning moved state:\n%s", res.Diff)
	}
	if len(res.Before.Users) != 2 || len(res.Before.Groups) != 1 || len(res.Before.Groups[0].Members) != 2 {
		t.Fatalf("snapshot scope: %+v", res.Before)
	}
}

func TestImportEntraPseudonymises(t *testing.T) {
	text := string(importEntra(t, true))
	for _, real := range []string{"alice", "Alice", "Archer", "bob@", "Bob", "Brown"} {
		if strings.Contains(text, real) {
			t.Errorf("pseudonymised Entra file still holds %q:\n%s", real, text)
		}
	}
	if _, err := scenario.Parse("p.yaml", []byte(text)); err != nil {
		t.Fatal(err)
	}
}

// Okta's capture says okta, told by its shapes and its User-Agent.
func TestImportOktaCaptureSaysOkta(t *testing.T) {
	out, _ := importSample(t, har.Options{})
	sc, err := scenario.Parse("okta.yaml", []byte(out))
	if err != nil {
		t.Fatal(err)
	}
	if sc.IdP != scenario.IdPOkta || !strings.Contains(string(out), `# idp: okta, told by User-Agent "Okta SCIM Client 1.0.0"`) {
		t.Errorf("idp %q\n%s", sc.IdP, out)
	}
}

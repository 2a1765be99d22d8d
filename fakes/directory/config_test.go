package directory

import (
	"maps"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestParseAccounts(t *testing.T) {
	got, err := ParseAccounts(" bob@partner.example=acct-7, carol@x.example = acct-9 ,")
	want := []Account{{ID: "acct-7", Email: "bob@partner.example"}, {ID: "acct-9", Email: "carol@x.example"}}
	if err != nil || !slices.Equal(got, want) {
		t.Fatalf("ParseAccounts = %v, %v", got, err)
	}
	if got, err := ParseAccounts(""); got != nil || err != nil {
		t.Fatalf(`ParseAccounts("") = %v, %v`, got, err)
	}
	for _, bad := range []string{"bob@partner.example", "bob=acct-1", "bob@x.example="} {
		if _, err := ParseAccounts(bad); err == nil {
			t.Errorf("ParseAccounts(%q): no error", bad)
		}
	}
}

func TestConfigFromEnv(t *testing.T) {
	env := map[string]string{
		"DIRECTORY_TOKEN":            "tok",
		"DIRECTORY_VERIFIED_DOMAINS": "acme.example, corp.example",
		"DIRECTORY_SEED_ACCOUNTS":    "bob@partner.example=acct-7",
		"DIRECTORY_FAULTS":           "access-1003,readd-duplicates",
		"DIRECTORY_BASE_PATH":        "/scim",
	}
	cfg, err := ConfigFromEnv(func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Token != "tok" || !slices.Equal(cfg.VerifiedDomains, []string{"acme.example", "corp.example"}) ||
		len(cfg.SeedAccounts) != 1 || !slices.Equal(cfg.Faults, []string{"access-1003", "readd-duplicates"}) || cfg.BasePath != "/scim" {
		t.Errorf("config %+v", cfg)
	}
	if _, err := New(cfg); err != nil {
		t.Errorf("New(ConfigFromEnv): %v", err)
	}
	env["DIRECTORY_FAULTS"] = "nope"
	if _, err := ConfigFromEnv(func(k string) string { return env[k] }); err == nil || !strings.Contains(err.Error(), "DIRECTORY_FAULTS") {
		t.Errorf("bad faults: %v", err)
	}
	empty, err := ConfigFromEnv(func(string) string { return "" })
	if err != nil || empty.Token != "" || empty.Faults != nil || empty.SeedAccounts != nil || empty.VerifiedDomains != nil ||
		empty.Variations != nil || empty.ThrottleEvery != 0 || empty.QueueDelay != 0 || empty.Delay != 0 {
		t.Errorf("empty env: %+v, %v", empty, err)
	}
}

func TestConfigFromEnvVariationsAndDelays(t *testing.T) {
	env := map[string]string{
		"DIRECTORY_FAULTS":         "access-1003-queued,access-1003-delayed",
		"DIRECTORY_VARIATIONS":     "throttle-429, small-pages",
		"DIRECTORY_THROTTLE_EVERY": "5",
		"DIRECTORY_QUEUE_DELAY":    "90s",
		"DIRECTORY_DELAY":          "50ms",
	}
	cfg, err := ConfigFromEnv(func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(cfg.Variations, []string{"throttle-429", "small-pages"}) || cfg.ThrottleEvery != 5 ||
		cfg.QueueDelay != 90*time.Second || cfg.Delay != 50*time.Millisecond {
		t.Errorf("config %+v", cfg)
	}
	d, err := New(cfg)
	if err != nil {
		t.Fatalf("New(ConfigFromEnv): %v", err)
	}
	if d.throttleEvery != 5 || d.queueDelay != 90*time.Second || d.delay != 50*time.Millisecond {
		t.Errorf("directory throttles every %d, queue %v, delay %v", d.throttleEvery, d.queueDelay, d.delay)
	}
	if d, _ := New(Config{}); d.throttleEvery != DefaultThrottleEvery || d.queueDelay != DefaultQueueDelay || d.delay != DefaultDelay {
		t.Errorf("defaults: every %d, queue %v, delay %v", d.throttleEvery, d.queueDelay, d.delay)
	}
	for k, bad := range map[string]string{
		"DIRECTORY_VARIATIONS":     "no-such-variation",
		"DIRECTORY_THROTTLE_EVERY": "often",
		"DIRECTORY_QUEUE_DELAY":    "10",
		"DIRECTORY_DELAY":          "soon",
	} {
		broken := maps.Clone(env)
		broken[k] = bad
		if _, err := ConfigFromEnv(func(k string) string { return broken[k] }); err == nil || !strings.Contains(err.Error(), k) {
			t.Errorf("%s=%s: err = %v, want it named", k, bad, err)
		}
	}
}

func TestNewRejectsBadSeeds(t *testing.T) {
	for _, seeds := range [][]Account{
		{{ID: "", Email: "a@x.example"}},
		{{ID: "a", Email: "no-at"}},
		{{ID: "a", Email: "a@x.example"}, {ID: "a", Email: "b@x.example"}},
	} {
		if _, err := New(Config{SeedAccounts: seeds}); err == nil {
			t.Errorf("New with seeds %v: no error", seeds)
		}
	}
}

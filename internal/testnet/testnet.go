// Package testnet gives tests an address on which a connection is refused for as long as the
// test runs.
//
// The usual way — listen on port 0, note the port, close the listener — frees the port at once,
// and on a machine running many tests side by side another test's server can take it before the
// dial: then "nobody listens" finds somebody listening, and a test of a refusal passes or fails
// by chance (seen in make test: a readiness check that was to be refused was answered).
package testnet

import "testing"

// RefusedURL is http://127.0.0.1:PORT, where PORT is bound for the rest of the test but not
// listened on, so that every connection to it is refused and no other process can take it.
func RefusedURL(t testing.TB) string {
	t.Helper()
	addr, release, err := refusedAddr()
	if err != nil {
		t.Fatalf("testnet: a port that refuses connections: %v", err)
	}
	t.Cleanup(release)
	return "http://" + addr
}

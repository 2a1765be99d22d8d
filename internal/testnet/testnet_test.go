package testnet

import (
	"errors"
	"net"
	"net/url"
	"syscall"
	"testing"
	"time"
)

// A dial of the URL is refused, and the port cannot be taken by a listener while the test runs.
func TestRefusedURLRefusesAndKeepsItsPort(t *testing.T) {
	u, err := url.Parse(RefusedURL(t))
	if err != nil {
		t.Fatal(err)
	}
	for range 3 {
		c, err := net.DialTimeout("tcp", u.Host, 5*time.Second)
		if err == nil {
			c.Close()
			t.Fatalf("dial %s connected, want refused", u.Host)
		}
		if !errors.Is(err, syscall.ECONNREFUSED) {
			t.Fatalf("dial %s: %v, want connection refused", u.Host, err)
		}
	}
	if ln, err := net.Listen("tcp", u.Host); err == nil {
		ln.Close()
		t.Fatalf("another listener took %s", u.Host)
	}
}

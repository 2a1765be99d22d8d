//go:build !unix

package testnet

import "net"

// refusedAddr, where a socket cannot be bound without listening here, falls back to a port
// listened on and closed at once: refused unless another process takes it before the dial.
func refusedAddr() (string, func(), error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, err
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr, func() {}, nil
}

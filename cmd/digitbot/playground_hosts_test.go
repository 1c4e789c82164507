package main

import (
	"net"
	"slices"
	"testing"
)

// TestLoopbackHosts: a loopback playground answers to its address and to
// localhost on its port, and to nothing else.
func TestLoopbackHosts(t *testing.T) {
	t.Parallel()
	got := loopbackHosts(&net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 8080})
	for _, want := range []string{"127.0.0.1:8080", "localhost:8080", "[::1]:8080"} {
		if !slices.Contains(got, want) {
			t.Errorf("%v lacks %s", got, want)
		}
	}
	for _, h := range got {
		if host, port, err := net.SplitHostPort(h); err != nil || port != "8080" || (host != "localhost" && !net.ParseIP(host).IsLoopback()) {
			t.Errorf("%s is not a loopback host on the port", h)
		}
	}
	if got := loopbackHosts(&net.TCPAddr{IP: net.IPv6loopback, Port: 9}); !slices.Contains(got, "[::1]:9") {
		t.Errorf("IPv6: %v", got)
	}
}

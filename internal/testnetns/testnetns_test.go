//go:build linux

package testnetns

import (
	"context"
	"net"
	"net/netip"
	"slices"
	"testing"
	"time"
)

// TestCapture: in the namespace, connections to addresses of any kind
// (a listener, a public IPv4 address, IPv6, nothing listening) are
// refused or served locally and recorded once each with their SYN, a DNS
// query is recorded, and the answers (SYN-ACK, RST) are not.
func TestCapture(t *testing.T) {
	if !Isolate(t) {
		return
	}
	c, err := StartCapture()
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			conn.Close()
		}
	}()
	served := netip.MustParseAddrPort(ln.Addr().String())
	if conn, err := net.Dial("tcp", served.String()); err != nil {
		t.Fatal(err)
	} else {
		conn.Close()
	}
	for _, addr := range []string{"203.0.113.7:443", "[2001:db8::1]:80"} {
		conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
		if err == nil {
			conn.Close()
			t.Errorf("%s answered: nothing listens there", addr)
		}
	}
	r := &net.Resolver{PreferGo: true, Dial: func(ctx context.Context, _, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, "udp", "192.0.2.53:53")
	}}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if _, err := r.LookupHost(ctx, "navette.example"); err == nil {
		t.Error("a DNS query was answered")
	}
	if err := c.Sync(); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, a := range c.Attempts() {
		got = append(got, a.Proto+" "+a.Dst.String())
	}
	want := []string{"tcp " + served.String(), "tcp 203.0.113.7:443", "tcp [2001:db8::1]:80", "udp 192.0.2.53:53"}
	for _, w := range want {
		if !slices.Contains(got, w) {
			t.Errorf("%s not recorded in %q", w, got)
		}
	}
	for _, g := range got {
		if !slices.Contains(want, g) {
			t.Errorf("recorded %s, not an attempt the test made", g)
		}
	}
	if n := len(got); n > 0 && got[0] != want[0] {
		t.Errorf("first attempt %s, want %s", got[0], want[0])
	}
	if err := c.Close(); err != nil {
		t.Error(err)
	}
}

// Package realip finds the address of the client of a request that may
// have come through reverse proxies the operator trusts, for the limits
// that count requests per client address. Without trusted proxies it is the
// peer's address. Behind them it is the rightmost address of
// X-Forwarded-For that is not a trusted proxy: each proxy appends the
// address it received the request from, so the entries to the right of
// the first untrusted one were written by trusted proxies, and the ones to
// its left by whoever the client is, who may write anything.
package realip

import (
	"net"
	"net/http"
	"net/netip"
	"strings"
)

// Resolver finds client addresses. The zero Resolver trusts no proxy.
type Resolver struct {
	// Trusted are the networks of the reverse proxies whose
	// X-Forwarded-For is believed.
	Trusted []netip.Prefix
}

// ParseTrusted reads a comma-separated list of networks (10.0.0.0/8) or
// single addresses (192.0.2.7, 2001:db8::1). Returns an error naming the
// first entry that is neither.
func ParseTrusted(s string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, f := range strings.Split(s, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		if p, err := netip.ParsePrefix(f); err == nil {
			out = append(out, p.Masked())
			continue
		}
		a, err := netip.ParseAddr(f)
		if err != nil {
			return nil, &ParseError{Entry: f}
		}
		a = a.Unmap()
		out = append(out, netip.PrefixFrom(a, a.BitLen()))
	}
	return out, nil
}

// ParseError is ParseTrusted's error.
type ParseError struct{ Entry string }

func (e *ParseError) Error() string {
	return "not a network (10.0.0.0/8) or an address (192.0.2.7): " + e.Entry
}

// trusted reports whether a is one of the trusted proxies.
func (r Resolver) trusted(a netip.Addr) bool {
	for _, p := range r.Trusted {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// ClientIP returns the client address of req: the peer's, or behind
// trusted proxies the rightmost untrusted address of X-Forwarded-For (all
// its fields, in order). An entry that is not an address stops the walk at
// the last address read, which a trusted proxy vouched for.
func (r Resolver) ClientIP(req *http.Request) string {
	host, _, err := net.SplitHostPort(req.RemoteAddr)
	if err != nil {
		host = req.RemoteAddr
	}
	peer, err := netip.ParseAddr(host)
	if err != nil {
		return host
	}
	client := peer.Unmap()
	if len(r.Trusted) == 0 || !r.trusted(client) {
		return client.String()
	}
	var hops []string
	for _, v := range req.Header.Values("X-Forwarded-For") {
		hops = append(hops, strings.Split(v, ",")...)
	}
	for i := len(hops) - 1; i >= 0; i-- {
		a, err := parseHop(hops[i])
		if err != nil {
			break
		}
		client = a
		if !r.trusted(a) {
			break
		}
	}
	return client.String()
}

// parseHop reads one X-Forwarded-For entry: an address, possibly with a
// port, IPv6 possibly in brackets.
func parseHop(s string) (netip.Addr, error) {
	s = strings.TrimSpace(s)
	if ap, err := netip.ParseAddrPort(s); err == nil {
		return ap.Addr().Unmap(), nil
	}
	a, err := netip.ParseAddr(strings.TrimSuffix(strings.TrimPrefix(s, "["), "]"))
	return a.Unmap(), err
}

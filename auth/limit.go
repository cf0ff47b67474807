package auth

import (
	"net/netip"
	"sync"
	"time"
)

// limiter counts events per key in fixed windows, in memory: it bounds what
// one client address can try on one node. Per-address limits, which must
// hold across nodes, are kept in the database instead.
type limiter struct {
	mu     sync.Mutex
	window time.Duration
	start  time.Time
	counts map[string]int
}

func newLimiter(window time.Duration) *limiter {
	return &limiter{window: window, counts: map[string]int{}}
}

// allow counts one event for key at now and reports whether it stays within
// max in the current window.
func (l *limiter) allow(key string, max int, now time.Time) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if now.Sub(l.start) >= l.window || now.Before(l.start) {
		l.start, l.counts = now, map[string]int{}
	}
	l.counts[key]++
	return l.counts[key] <= max
}

// network is the client a per-address limit counts for the address ip: an
// IPv4 address, or an IPv6 address's /64, the network one subscriber is
// given, whose 2^64 addresses would otherwise each start a count of their
// own.
func network(ip string) string {
	a, err := netip.ParseAddr(ip)
	if err != nil || !a.Unmap().Is6() {
		return ip
	}
	p, err := a.Prefix(64)
	if err != nil {
		return ip
	}
	return p.String()
}

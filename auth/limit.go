package auth

import (
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

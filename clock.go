package navette

import (
	"sync"
	"time"
)

// Clock tells the time. Services take one so that expiry and purges can be
// tested without sleeping.
type Clock interface {
	Now() time.Time
}

// SystemClock is the real clock, in UTC, truncated to the microsecond that
// storage keeps.
type SystemClock struct{}

// Now returns the current time.
func (SystemClock) Now() time.Time { return time.Now().UTC().Truncate(time.Microsecond) }

// FakeClock is a clock that moves only when told to, for tests.
type FakeClock struct {
	mu sync.Mutex
	t  time.Time
}

// NewFakeClock returns a fake clock showing t.
func NewFakeClock(t time.Time) *FakeClock { return &FakeClock{t: t.UTC().Truncate(time.Microsecond)} }

// Now returns the clock's time.
func (c *FakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// Advance moves the clock forward by d.
func (c *FakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

package deposit

import (
	"hash"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
)

// countingHash counts the Writes in progress across all its copies and
// keeps the most seen at once.
type countingHash struct {
	hash.Hash
	now, most *atomic.Int64
	bytes     *atomic.Int64
}

func (c countingHash) Write(p []byte) (int, error) {
	n := c.now.Add(1)
	for m := c.most.Load(); n > m && !c.most.CompareAndSwap(m, n); m = c.most.Load() {
	}
	runtime.Gosched() // give the other writers the time to come in
	c.bytes.Add(int64(len(p)))
	c.now.Add(-1)
	return len(p), nil
}

// TestHashSlotsCap checks that many transfers hashing at once never hash
// on more than cap(hashSlots) goroutines together, and that every byte is
// hashed.
func TestHashSlotsCap(t *testing.T) {
	var now, most, bytes atomic.Int64
	h := countingHash{now: &now, most: &most, bytes: &bytes}
	p := make([]byte, 4096)
	var wg sync.WaitGroup
	for range 16 {
		wg.Go(func() {
			for range 200 {
				hashLimited(h, p)
			}
		})
	}
	wg.Wait()
	if got := most.Load(); got > int64(cap(hashSlots)) || got < 1 {
		t.Errorf("%d hashed at once, want 1 to %d", got, cap(hashSlots))
	}
	if got, want := bytes.Load(), int64(16*200*len(p)); got != want {
		t.Errorf("%d bytes hashed, want %d", got, want)
	}
	if want := max(1, runtime.GOMAXPROCS(0)-1); cap(hashSlots) != want {
		t.Errorf("cap(hashSlots) = %d, want %d", cap(hashSlots), want)
	}
}

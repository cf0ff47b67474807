package deposit

import (
	"hash"
	"runtime"
)

// hashSlots bounds how many transfers hash at once to one fewer than the
// cores Go runs on (at least one). SHA-256 is most of a transfer's CPU:
// with every core hashing, a short request (an inbox page, a recipient
// search) waited hundreds of milliseconds to run (docs/performance.md).
// A transfer hashes on one goroutine, so one alone is as fast as before.
var hashSlots = make(chan struct{}, max(1, runtime.GOMAXPROCS(0)-1))

// hashLimited writes p to h holding one of hashSlots: only while hashing,
// never across a channel or an I/O.
func hashLimited(h hash.Hash, p []byte) {
	hashSlots <- struct{}{}
	h.Write(p)
	<-hashSlots
}

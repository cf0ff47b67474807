package deposit

import "context"

// Claim, Begin, End and Release are the Room's bookkeeping, for tests.
func (r *Room) Claim(ctx context.Context, id string, size int64) error { return r.claim(ctx, id, size) }
func (r *Room) Begin(id string, size, off int64)                       { r.begin(id, size, off) }
func (r *Room) End(id string, size, off int64)                         { r.end(id, size, off) }
func (r *Room) Release(id string)                                      { r.release(id) }

// QueuedCommits is how many commits wait for the running batch of the
// group commit, for tests.
func (s *Service) QueuedCommits() int {
	s.commits.mu.Lock()
	defer s.commits.mu.Unlock()
	return len(s.commits.queue)
}

// SegmentsOut is how many upload segment buffers are in use, for tests.
func SegmentsOut() int { return len(segmentPool.slots) }

// DownloadBuffersOut is how many download segment buffers are in use, for
// tests.
func DownloadBuffersOut() int { return len(sealedPool.slots) }

// SetBundlePage makes a case bundle read n deposits at a time until the
// test ends, for tests.
func SetBundlePage(t interface{ Cleanup(func()) }, n int) {
	old := bundlePage
	bundlePage = n
	t.Cleanup(func() { bundlePage = old })
}

// HoldDownloadBuffers takes every shared download buffer, as downloads
// whose clients stopped reading would, until the test ends, for tests.
func HoldDownloadBuffers(t interface{ Cleanup(func()) }) {
	held := make([]*[]byte, 0, maxDownloadSegments)
	for range maxDownloadSegments {
		held = append(held, sealedPool.Get())
	}
	t.Cleanup(func() {
		for _, b := range held {
			sealedPool.Put(b)
		}
	})
}

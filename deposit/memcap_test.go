package deposit_test

import (
	"context"
	"runtime/metrics"
	"sync"
	"testing"
	"time"

	"navette/deposit"
	"navette/seal"
)

// heapAllocated returns the bytes the process has allocated on the heap
// since it started, as the runtime counts them.
func heapAllocated() uint64 {
	s := []metrics.Sample{{Name: "/gc/heap/allocs:bytes"}}
	metrics.Read(s)
	return s[0].Value.Uint64()
}

// stalledWriter blocks its first Write until release is closed, counting
// it in stalled.
type stalledWriter struct {
	stalled *sync.WaitGroup
	release <-chan struct{}
	once    sync.Once
}

func (w *stalledWriter) Write(p []byte) (int, error) {
	w.once.Do(func() {
		w.stalled.Done()
		<-w.release
	})
	return len(p), nil
}

// TestDownloadsStayWithinCap starts 50 downloads of a 40-segment file at
// once, with every shared download buffer held (as by clients that stopped
// reading), and stalls each client at its first segment, so that each
// pipeline would queue every segment it could get: the heap allocations of
// all 50 stay within a few segments per download (each download's own
// buffers, its reader and its records), where buffers past the cap would
// cost some 35 segments each.
func TestDownloadsStayWithinCap(t *testing.T) {
	const n = 50
	S := int64(seal.SegmentSize)
	size := 40*S + 11
	fx := newFixture(t)
	ctx := context.Background()
	v, file := fx.availableData(t, make([]byte, size))
	deposit.HoldDownloadBuffers(t)

	var stalled sync.WaitGroup
	stalled.Add(n)
	release := make(chan struct{})
	errs := make([]error, n)
	var done sync.WaitGroup
	before := heapAllocated()
	for i := range n {
		done.Go(func() {
			w := &stalledWriter{stalled: &stalled, release: release}
			dl, err := fx.svc.OpenFile(ctx, fx.recipient, v.ID, file.ID)
			if err != nil {
				errs[i] = err
				w.once.Do(stalled.Done)
				return
			}
			errs[i] = dl.WriteRange(ctx, w, 0, size)
		})
	}
	stalled.Wait()
	time.Sleep(200 * time.Millisecond) // time for the pipelines to fill
	allocated := heapAllocated() - before
	close(release)
	done.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("download %d: %v", i, err)
		}
	}
	if limit := uint64(n * 6 * seal.SealedSegmentSize); allocated > limit {
		t.Errorf("%d stalled downloads allocated %d KiB, want at most %d KiB (6 segments each)", n, allocated>>10, limit>>10)
	}
	t.Logf("%d stalled downloads allocated %d KiB (%.1f segments each)", n, allocated>>10, float64(allocated)/n/float64(seal.SealedSegmentSize))
}

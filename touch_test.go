package navette_test

import (
	"context"
	"errors"
	"log/slog"
	"sync/atomic"
	"testing"

	"navette"
)

// TestToucherWritesOncePerKeyInFlight: a use while the write of the same
// key runs is not written again, another key is, and a write outlives the
// request that asked for it.
func TestToucherWritesOncePerKeyInFlight(t *testing.T) {
	var tc navette.Toucher
	release := make(chan struct{})
	var writes atomic.Int64
	ctx, cancel := context.WithCancel(context.Background())
	write := func(ctx context.Context) error {
		<-release
		writes.Add(1)
		return ctx.Err()
	}
	var failed atomic.Int64
	log := slog.New(slog.NewTextHandler(failWriter{&failed}, nil))
	tc.Touch(ctx, "token:a", log, "recording", write)
	tc.Touch(ctx, "token:a", log, "recording", write)
	tc.Touch(ctx, "token:b", log, "recording", write)
	cancel() // the request ends before the writes
	close(release)
	tc.Wait()
	if got := writes.Load(); got != 2 {
		t.Errorf("writes: got %d, want 2 (one per key)", got)
	}
	if failed.Load() != 0 {
		t.Errorf("a write saw the request's cancelled context")
	}
	tc.Touch(context.Background(), "token:a", log, "recording", func(context.Context) error { return errors.New("disk full") })
	tc.Wait()
	if failed.Load() != 1 {
		t.Errorf("a failed write was not logged")
	}
}

type failWriter struct{ n *atomic.Int64 }

func (w failWriter) Write(p []byte) (int, error) { w.n.Add(1); return len(p), nil }

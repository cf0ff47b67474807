package client

import (
	"context"
	"errors"
	"math/rand/v2"
	"sync"
	"time"
)

// backoff paces the attempts of one transfer under a RetryPolicy.
type backoff struct {
	p     RetryPolicy
	delay time.Duration
	since time.Time // start of the current run of failures; zero when none
}

// progressed records that the transfer moved: the next failure starts a new
// run with the initial delay and a full budget.
func (b *backoff) progressed() { b.delay, b.since = 0, time.Time{} }

// wait sleeps before the next attempt. It returns cause (the last failure)
// when the budget is spent, or the context's error when it ends first.
func (b *backoff) wait(ctx context.Context, cause error) error {
	now := time.Now()
	if b.since.IsZero() {
		b.since = now
		b.delay = b.p.InitialDelay
	} else {
		b.delay *= 2
	}
	b.delay = max(b.delay, time.Millisecond)
	if b.p.MaxDelay > 0 && b.delay > b.p.MaxDelay {
		b.delay = b.p.MaxDelay
	}
	if now.Sub(b.since)+b.delay > b.p.Budget {
		return cause
	}
	// ±20 % jitter, so clients cut off together do not come back together.
	d := time.Duration(float64(b.delay) * (0.8 + 0.4*rand.Float64()))
	if b.p.Notify != nil {
		b.p.Notify(cause, d)
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// errStalled is the cause of a request cancelled by its stall watchdog.
var errStalled = errors.New("the connection stalled")

// watchdog cancels a request when its transfer moves no byte for a while.
type watchdog struct {
	d      time.Duration
	mu     sync.Mutex
	t      *time.Timer
	cancel context.CancelCauseFunc
}

// newWatchdog returns a context for one request, cancelled with errStalled
// when kick is not called for d (never if d is zero). Call stop when done.
func newWatchdog(ctx context.Context, d time.Duration) (context.Context, *watchdog) {
	ctx, cancel := context.WithCancelCause(ctx)
	w := &watchdog{d: d, cancel: cancel}
	if d > 0 {
		w.t = time.AfterFunc(d, func() { cancel(errStalled) })
	}
	return ctx, w
}

// kick postpones the deadline: the transfer moved.
func (w *watchdog) kick() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.t != nil {
		w.t.Reset(w.d)
	}
}

// pause stops the watchdog without cancelling the request (the body is
// sent; the server may take its time to answer).
func (w *watchdog) pause() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.t != nil {
		w.t.Stop()
		w.t = nil
	}
}

// stop releases the request's context.
func (w *watchdog) stop() {
	w.pause()
	w.cancel(context.Canceled)
}

// requestError returns the error of a request that failed with err under
// the watchdog's context: the parent context's error when it ended, a
// retryable stall error when the watchdog fired, err otherwise.
func requestError(parent, reqCtx context.Context, err error) error {
	if parent.Err() != nil {
		return parent.Err()
	}
	if errors.Is(context.Cause(reqCtx), errStalled) {
		return errStalled
	}
	return err
}

package navette

import (
	"context"
	"log/slog"
	"sync"
	"time"
)

// touchTimeout bounds a background write of a last-use time.
const touchTimeout = 30 * time.Second

// Toucher records when tokens and sessions were last used off the request
// path: a request never waits for a write that only pushes a last-use time
// back (under heavy transfers such a write can wait seconds for the disk).
// At most one write per key is in flight; a use while it runs is not
// written again, since the next use a minute later will be. The zero value
// is ready to use.
type Toucher struct {
	inflight sync.Map
	wg       sync.WaitGroup
}

// Touch runs write in the background with a context that outlives the
// request's, unless a write for key is in flight. A failure is logged to
// log as what.
func (t *Toucher) Touch(ctx context.Context, key string, log *slog.Logger, what string, write func(context.Context) error) {
	if _, busy := t.inflight.LoadOrStore(key, struct{}{}); busy {
		return
	}
	t.wg.Go(func() {
		defer t.inflight.Delete(key)
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), touchTimeout)
		defer cancel()
		if err := write(ctx); err != nil && !IsCode(err, ENOTFOUND) {
			log.WarnContext(ctx, what+" failed", "err", err)
		}
	})
}

// Wait returns once the writes in flight have ended: before the store is
// closed, and in tests that read a last-use time.
func (t *Toucher) Wait() { t.wg.Wait() }

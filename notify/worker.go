package notify

import (
	"context"
	"log/slog"
	"strings"
	"sync"
	"time"

	"navette"
)

// Defaults of a Worker.
const (
	DefaultMaxAttempts = 12
	DefaultConcurrency = 4
	DefaultBatch       = 32
	DefaultLease       = 5 * time.Minute
	DefaultPoll        = 15 * time.Second
	DefaultBackoff     = 30 * time.Second
	DefaultMaxBackoff  = time.Hour
	DefaultSendTimeout = 2 * time.Minute
)

// maxErrorText bounds the error text kept with a notice.
const maxErrorText = 500

// Worker delivers the notices of the outbox: it claims a batch of due
// notices, renders each, hands it to the Mailer, and records the outcome. A
// failed delivery is retried after an exponential backoff (Backoff, doubled
// at each attempt, at most MaxBackoff); a notice the mail server refuses for
// good, or that failed MaxAttempts times, becomes a dead letter that an
// admin can replay. Every node runs a Worker: the lease taken by
// MetaStore.ClaimNotices keeps them from sending the same notice twice.
//
// A notice is recorded as sent only after the Mailer accepted it. If the
// process dies in between, the notice is claimed again once its lease ends
// and sent again, with the same Message-ID: a rare duplicate, never a loss.
//
// Set the fields, then call Run. Zero values take the defaults.
type Worker struct {
	Meta     Store
	Keys     navette.KeyWrapper
	Mailer   Mailer
	Renderer *Renderer
	Clock    navette.Clock
	Log      *slog.Logger
	// Evidence, if set, gives the claims of the "notified" evidence of
	// notice n, which the mail server accepted at at as message m (see
	// deposit.Service.NoticeClaims): their digest and the claims sealed,
	// or nil for a notice that gives no evidence. They go with the
	// notice.sent event; a failure is logged and the event recorded
	// without them.
	Evidence func(ctx context.Context, n *navette.Notice, m *Message, at time.Time) (digest, sealed []byte, err error)
	// Holds, if set, checks at sending that notice n, opened as d, still
	// holds for its addressee to: nil, or why not. An error of code
	// EINVALID drops it as a dead letter, as for a disabled addressee;
	// another is retried. It keeps the rules of who may receive what
	// outside this package: account.Service.NoticeHolds drops a notice
	// asking to review a request to someone who may no longer review it.
	Holds func(ctx context.Context, n *navette.Notice, to *navette.User, d *Data) error

	MaxAttempts int           // a notice failing this many times is dead (12)
	Concurrency int           // messages handed to the Mailer at once (4)
	Batch       int           // notices claimed at once (32)
	Lease       time.Duration // how long a claimed notice is kept from other workers; longer than SendTimeout (5 min)
	Poll        time.Duration // how often the outbox is looked at when nothing kicks the worker (15 s)
	Backoff     time.Duration // wait after the first failure, doubled after each (30 s)
	MaxBackoff  time.Duration // longest wait between attempts (1 h)
	SendTimeout time.Duration // bound of one Send (2 min)

	once sync.Once
	kick chan struct{}
}

func (w *Worker) init() {
	w.once.Do(func() {
		w.kick = make(chan struct{}, 1)
		orDefault(&w.MaxAttempts, DefaultMaxAttempts)
		orDefault(&w.Concurrency, DefaultConcurrency)
		orDefault(&w.Batch, DefaultBatch)
		orDefault(&w.SendTimeout, DefaultSendTimeout)
		orDefault(&w.Lease, max(DefaultLease, 2*w.SendTimeout))
		orDefault(&w.Poll, DefaultPoll)
		orDefault(&w.Backoff, DefaultBackoff)
		orDefault(&w.MaxBackoff, DefaultMaxBackoff)
		if w.Clock == nil {
			w.Clock = navette.SystemClock{}
		}
		if w.Log == nil {
			w.Log = slog.Default()
		}
	})
}

// orDefault sets *v to def when it is not positive.
func orDefault[T int | time.Duration](v *T, def T) {
	if *v <= 0 {
		*v = def
	}
}

// Kick wakes the worker so that it looks at the outbox now rather than at
// its next poll: call it after writing notices. It never blocks.
func (w *Worker) Kick() {
	w.init()
	select {
	case w.kick <- struct{}{}:
	default:
	}
}

// Run delivers notices until ctx is done, then waits for the deliveries in
// progress to be recorded and returns nil.
func (w *Worker) Run(ctx context.Context) error {
	w.init()
	timer := time.NewTimer(w.Poll)
	defer timer.Stop()
	for {
		n, err := w.RunOnce(ctx)
		if err != nil && ctx.Err() == nil {
			w.Log.ErrorContext(ctx, "delivering notices", "err", err)
		}
		if ctx.Err() != nil {
			return nil
		}
		if n == w.Batch && err == nil {
			continue // more may be due
		}
		if !w.wait(ctx, timer) {
			return nil
		}
	}
}

// wait waits for a kick or the next poll, and reports false if ctx ends
// first.
func (w *Worker) wait(ctx context.Context, timer *time.Timer) bool {
	timer.Reset(w.Poll) // discards a stale tick (Go 1.23 timers)
	select {
	case <-ctx.Done():
		return false
	case <-w.kick:
	case <-timer.C:
	}
	return true
}

// RunOnce claims one batch of due notices and delivers them, at most
// Concurrency at once, and returns how many it claimed. Outcomes are
// recorded even if ctx ends meanwhile.
func (w *Worker) RunOnce(ctx context.Context) (int, error) {
	w.init()
	ns, err := w.Meta.ClaimNotices(ctx, w.Clock.Now(), w.Lease, w.Batch)
	if err != nil {
		return 0, err
	}
	sem := make(chan struct{}, w.Concurrency)
	var wg sync.WaitGroup
	for _, n := range ns {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			w.deliver(ctx, n)
		})
	}
	wg.Wait()
	return len(ns), nil
}

// deliver sends one claimed notice and records the outcome.
func (w *Worker) deliver(ctx context.Context, n *navette.Notice) {
	rec := context.WithoutCancel(ctx) // outcomes are recorded even on shutdown
	msg, err := w.message(rec, n)
	if err == nil {
		sctx, cancel := context.WithTimeout(ctx, w.SendTimeout)
		err = w.Mailer.Send(sctx, msg)
		cancel()
	}
	if err == nil {
		w.recordSent(ctx, rec, n, msg)
	} else {
		w.recordFailed(ctx, rec, n, err)
	}
}

// recordSent records, in rec, that n was sent as msg, with the evidence of
// it; a failure is logged in ctx.
func (w *Worker) recordSent(ctx, rec context.Context, n *navette.Notice, msg *Message) {
	at := w.Clock.Now()
	ev := w.event(navette.EventNoticeSent, n)
	ev.Time = at
	if w.Evidence != nil {
		var err error
		if ev.Claims, ev.SealedClaims, err = w.Evidence(rec, n, msg, at); err != nil {
			w.Log.ErrorContext(ctx, "making the evidence of a sent notice", "notice", n.ID, "err", err)
			ev.Claims, ev.SealedClaims = nil, nil
		}
	}
	if err := w.Meta.NoticeSent(rec, n.ID, at, ev); err != nil {
		// The lease will end and the notice be sent again, with the
		// same Message-ID.
		w.Log.ErrorContext(ctx, "recording a sent notice", "notice", n.ID, "err", err)
	}
}

// recordFailed records, in rec, that delivering n failed with err: for
// good if err is permanent or the attempts are spent, otherwise to be
// retried after a backoff. The outcome is logged in ctx.
func (w *Worker) recordFailed(ctx, rec context.Context, n *navette.Notice, err error) {
	dead := Permanent(err) || n.Attempts >= w.MaxAttempts
	next := time.Time{}
	var evs []navette.Event
	if dead {
		evs = append(evs, w.event(navette.EventNoticeDead, n))
	} else {
		next = w.Clock.Now().Add(w.backoff(n.Attempts))
	}
	// The outcome is logged once recorded: a notice logged as failed is no
	// longer held by this worker's lease.
	if rerr := w.Meta.NoticeFailed(rec, n.ID, n.Attempts, errorText(err), next, dead, evs...); rerr != nil {
		if navette.IsCode(rerr, navette.ECONFLICT) {
			w.Log.InfoContext(ctx, "notice was taken over by another delivery", "notice", n.ID)
			return
		}
		w.Log.ErrorContext(ctx, "recording a failed notice", "notice", n.ID, "kind", n.Kind, "attempts", n.Attempts, "err", rerr, "delivery_err", err)
		return
	}
	if dead {
		w.Log.WarnContext(ctx, "notice failed for good", "notice", n.ID, "kind", n.Kind, "attempts", n.Attempts, "err", err)
	} else {
		w.Log.InfoContext(ctx, "notice delivery failed; will retry", "notice", n.ID, "kind", n.Kind, "attempts", n.Attempts, "next", next, "err", err)
	}
}

// message loads the addressee and the payload of n, checks that n still
// holds for them (Holds), and renders it.
func (w *Worker) message(ctx context.Context, n *navette.Notice) (*Message, error) {
	to, err := w.Meta.User(ctx, n.UserID)
	if err != nil {
		return nil, err
	}
	if to.Disabled && n.Kind != navette.NoticeAccessRevoked {
		return nil, navette.Errorf(navette.EINVALID, "The addressee is disabled.")
	}
	d, err := Open(w.Keys, n)
	if navette.IsCode(err, navette.EUNAVAILABLE) {
		// This node lacks the key-encryption key (not copied yet): another
		// attempt, here once it is or on another node, will open it.
		return nil, err
	} else if err != nil {
		// A payload that does not open never will: a dead letter.
		return nil, navette.WrapError(navette.EINVALID, err, "The notice's payload cannot be opened.")
	}
	if w.Holds != nil {
		if err := w.Holds(ctx, n, to, d); err != nil {
			return nil, err
		}
	}
	return w.Renderer.Render(n, to, d)
}

// backoff returns the wait after the given number of failed attempts.
func (w *Worker) backoff(attempts int) time.Duration {
	d := w.Backoff
	for i := 1; i < attempts && d < w.MaxBackoff; i++ {
		d *= 2
	}
	return min(d, w.MaxBackoff)
}

// event returns the journal event of an outcome of n.
func (w *Worker) event(typ navette.EventType, n *navette.Notice) navette.Event {
	return navette.Event{Time: w.Clock.Now(), Type: typ, DepositID: n.DepositID, Detail: NoticeDetail(n)}
}

// NoticeDetail is the Detail of the journal events about notice n: "KIND
// USERID NOTICEID".
func NoticeDetail(n *navette.Notice) string {
	return string(n.Kind) + " " + n.UserID + " " + n.ID
}

// errorText returns err as the single line of bounded length kept with a
// notice.
func errorText(err error) string {
	s := strings.Join(strings.Fields(strings.ToValidUTF8(err.Error(), "?")), " ")
	if len(s) > maxErrorText {
		s = s[:maxErrorText]
		s = strings.ToValidUTF8(s, "")
	}
	return s
}

package app

import (
	"context"
	"strconv"
	"sync"
	"time"

	"navette/clamav"
	"navette/deposit"
)

// antivirusState is what the start-up probe and the background checker
// last learnt of the antivirus, for /readyz.
type antivirusState struct {
	mu      sync.Mutex
	version string // clamd's VERSION line
	limit   string // a warning: clamd will not scan files as large as allowed
	wake    chan struct{}
}

// openAntivirus sets the deposit service's content checks from the
// configuration.
func (a *App) openAntivirus() error {
	cfg := a.Config
	a.av.wake = make(chan struct{}, 1)
	a.Deposits.ChecksQueued = func() {
		select {
		case a.av.wake <- struct{}{}:
		default:
		}
	}
	a.Deposits.AntivirusVersion = func(context.Context) string {
		a.av.mu.Lock()
		defer a.av.mu.Unlock()
		return a.av.version
	}
	a.Deposits.DeliverMarked = cfg.DeliverMarked
	a.Deposits.RefusedTypes = cfg.RefusedTypes
	switch {
	case cfg.Antivirus != nil:
		a.Deposits.Antivirus = cfg.Antivirus
	case cfg.Clamd != "":
		c, err := clamav.New(cfg.Clamd)
		if err != nil {
			return err
		}
		a.Deposits.Antivirus = c
	}
	return nil
}

// probeAntivirus asks clamd, at start-up, its version and whether it
// accepts streams as large as the largest file allowed (its
// StreamMaxLength). A clamd out of reach is no reason not to start: files
// wait until it answers, and /readyz tells. A clamd that will not scan
// files as large as allowed is logged as an error and shown in /readyz:
// such files are then refused, or offered marked under the deliver-marked
// policy.
func (a *App) probeAntivirus() error {
	c, ok := a.Deposits.Antivirus.(*clamav.Client)
	if !ok {
		if a.Deposits.Antivirus == nil {
			a.Config.Logger.Warn("no antivirus (--antivirus=off): files are offered marked \"non analysé par un antivirus\"")
		}
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	log := a.Config.Logger
	v, err := c.Version(ctx)
	if err != nil {
		log.Error("antivirus unreachable at start-up: files wait until it answers", "clamd", c.String(), "err", err)
		return nil
	}
	if _, err := c.Stats(ctx); err != nil {
		log.Error("antivirus answers VERSION but not STATS", "clamd", c.String(), "err", err)
	}
	lim, err := a.Deposits.CurrentLimits(ctx)
	if err != nil {
		return err
	}
	a.av.mu.Lock()
	a.av.version = v
	a.av.mu.Unlock()
	a.probeStreamLimit(ctx, c, v, lim.MaxFileSize)
	return nil
}

// probeStreamLimit asks clamd, of version v, whether it scans streams of
// maxFileSize bytes; if it does not, the problem is logged and kept for
// /readyz.
func (a *App) probeStreamLimit(ctx context.Context, c *clamav.Client, v string, maxFileSize int64) {
	log := a.Config.Logger
	okSize, err := c.StreamLimit(ctx, maxFileSize)
	switch {
	case err != nil:
		log.Error("antivirus: probing its stream limit failed", "clamd", c.String(), "err", err)
	case !okSize:
		policy := "refused"
		if a.Deposits.DeliverMarked {
			policy = "offered marked as not scanned"
		}
		msg := "clamd's StreamMaxLength is smaller than the largest file allowed (" + iecBytes(maxFileSize) + "): larger files will be " + policy + "; raise StreamMaxLength, MaxFileSize and MaxScanSize in clamd.conf (docs/operations.md)"
		a.av.mu.Lock()
		a.av.limit = msg
		a.av.mu.Unlock()
		log.Error("antivirus limit", "clamd", c.String(), "problem", msg)
	default:
		log.Info("antivirus ready", "clamd", c.String(), "version", v, "max_file_size", maxFileSize)
	}
}

// health reports the antivirus for /readyz: "ok", "degraded" (it does not
// answer: files wait in checking, nothing is offered unscanned) or "off",
// with the number of files waiting for their checks.
func (a *App) health() map[string]any {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	out := map[string]any{"antivirus": a.antivirusStatus(ctx)}
	a.av.report(out)
	if n, err := a.Deposits.Waiting(ctx); err == nil {
		out["files_checking"] = n
	}
	if a.Deposits.Room != nil {
		if st, err := a.Deposits.Room.State(ctx); err == nil {
			out["storage"] = map[string]int64{"free_bytes": st.Free, "total_bytes": st.Total, "reserve_bytes": st.Reserve, "promised_bytes": st.Promised}
		}
	}
	return out
}

// antivirusStatus says whether the antivirus is "off", "bypassed" by the
// policy, "degraded" (it does not answer) or "ok".
func (a *App) antivirusStatus(ctx context.Context) string {
	switch av := a.Deposits.Antivirus; {
	case av == nil:
		return "off"
	case a.Deposits.AntivirusBypassed != nil && a.Deposits.AntivirusBypassed():
		return "bypassed"
	case av.Ping(ctx) != nil:
		return "degraded"
	}
	return "ok"
}

// report adds to out what the probe and the checker learnt: the
// antivirus's version and the problem with its limit, if known.
func (s *antivirusState) report(out map[string]any) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.version != "" {
		out["antivirus_version"] = s.version
	}
	if s.limit != "" {
		out["antivirus_limit"] = s.limit
	}
}

// checkLoop runs the background checker every CheckInterval, until ctx
// ends.
func (a *App) checkLoop(ctx context.Context) {
	t := newTicker(a.Config.CheckInterval, 10*time.Second)
	defer t.Stop()
	for {
		st, err := a.Deposits.CheckFiles(ctx)
		a.logFailure(ctx, "content checks failed", err)
		if err == nil && st != (deposit.CheckStats{}) {
			a.Config.Logger.Info("content checks", "checked", st.Checked, "waiting", st.Waiting)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-a.av.wake:
		}
	}
}

// scrubLoop runs the scrubber until ctx ends: at start-up, then every
// scrubLook, it runs a pass if one is due for the platform (none ever
// ended, or the last ended ScrubInterval or more ago; deposit.ScrubDue),
// so that the platform scrubs once an interval whatever its nodes and
// their restarts.
func (a *App) scrubLoop(ctx context.Context) {
	rate := a.Config.ScrubRate
	if rate < 0 {
		return
	}
	if rate == 0 {
		rate = deposit.DefaultScrubRate
	}
	interval := a.Config.ScrubInterval
	if interval <= 0 {
		interval = 24 * time.Hour
	}
	t := time.NewTicker(scrubLook(interval))
	defer t.Stop()
	for {
		a.scrubIfDue(ctx, rate, interval)
		if !tick(ctx, t.C) {
			return
		}
	}
}

// scrubLook is how often the scrubber looks whether a pass is due: a 24th
// of interval, an hour at most (a millisecond at least).
func scrubLook(interval time.Duration) time.Duration {
	return max(min(interval/24, time.Hour), time.Millisecond)
}

// scrubIfDue shows the platform's last scrub pass in the metrics, then
// runs one if it is due.
func (a *App) scrubIfDue(ctx context.Context, rate int64, interval time.Duration) {
	last, err := a.Deposits.LastScrub(ctx)
	if err != nil {
		a.logFailure(ctx, "scrub failed", err)
		return
	}
	a.showLastScrub(last)
	if !deposit.ScrubIsDue(last, a.Config.Clock.Now(), interval) {
		return
	}
	a.scrubStarted()
	ran, st, err := a.Deposits.ScrubDue(ctx, rate, interval)
	a.scrubEnded(ran, st, err)
	if err != nil {
		a.logFailure(ctx, "scrub failed", err)
		return
	}
	if ran {
		a.Config.Logger.Info("scrub", "files", st.Files, "bytes", st.Bytes, "corrupt", len(st.Corrupt), "unreadable", st.Unreadable)
	}
}

// newTicker returns a ticker every interval, or every fallback if
// interval is not positive.
func newTicker(interval, fallback time.Duration) *time.Ticker {
	if interval <= 0 {
		interval = fallback
	}
	return time.NewTicker(interval)
}

// tick waits for the next tick of c and reports false if ctx ends first.
func tick(ctx context.Context, c <-chan time.Time) bool {
	select {
	case <-ctx.Done():
		return false
	case <-c:
		return true
	}
}

// iecBytes writes n in binary units: "1 GiB", "1536 MiB".
func iecBytes(n int64) string {
	units := []string{"B", "KiB", "MiB", "GiB", "TiB"}
	i := 0
	for n >= 1024 && n%1024 == 0 && i < len(units)-1 {
		n /= 1024
		i++
	}
	return strconv.FormatInt(n, 10) + " " + units[i]
}

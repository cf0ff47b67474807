package cli

import (
	"fmt"
	"io"
	"sync"
	"time"
	"unicode/utf8"

	"navette/client"
)

// progress draws the progress of one transfer on one line of a terminal,
// redrawn in place with \r. A nil *progress draws nothing, so callers need
// not care whether stderr is a terminal.
type progress struct {
	mu       sync.Mutex
	w        io.Writer
	name     string
	size     int64
	done     int64
	lastDraw time.Time
	samples  []sample // recent (time, bytes) points, for the current rate
	start    sample   // where this run began, for the average rate
	now      func() time.Time
}

type sample struct {
	t    time.Time
	done int64
}

// rateWindow is how far back the transfer rate is measured.
const rateWindow = 5 * time.Second

// newProgress returns the progress line of the transfer of name (size
// bytes, of which done are there already), or nil when stderr is not a
// terminal.
func newProgress(env *Env, name string, size, done int64) *progress {
	if !env.stderrIsTerminal() {
		return nil
	}
	p := &progress{w: env.Stderr, name: printable(name, 32), size: size, done: done, now: time.Now}
	p.start = sample{p.now(), done}
	p.samples = []sample{p.start}
	return p
}

// update records that done bytes are transferred and redraws at most ten
// times a second.
func (p *progress) update(done int64) {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	now := p.now()
	if done < p.done { // the server lost some: measure afresh
		p.start = sample{now, done}
		p.samples = nil
	}
	p.done = done
	p.samples = append(p.samples, sample{now, done})
	for len(p.samples) > 2 && now.Sub(p.samples[1].t) >= rateWindow {
		p.samples = p.samples[1:]
	}
	if now.Sub(p.lastDraw) >= 100*time.Millisecond {
		p.draw(now, "")
	}
}

// finish draws the final state and ends the line.
func (p *progress) finish(ok bool) {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	end := "done"
	if !ok {
		end = "failed"
	}
	p.draw(p.now(), end)
	fmt.Fprintln(p.w)
}

// draw writes the line. Called with p.mu held.
func (p *progress) draw(now time.Time, end string) {
	p.lastDraw = now
	pct := 100
	if p.size > 0 {
		pct = int(p.done * 100 / p.size)
	}
	rate, left := p.rate(now, end == "")
	status := left + " left"
	if end != "" {
		status = end
	}
	// \x1b[K erases what a longer previous line left.
	fmt.Fprintf(p.w, "\r%-32s %3d%%  %s  %s\x1b[K", p.name, pct, rate, status)
}

// rate returns the transfer rate at now, over the last samples while the
// transfer runs (the average once it has ended), and the time left at
// that rate; "--" for what is not known yet. Called with p.mu held.
func (p *progress) rate(now time.Time, running bool) (rate, left string) {
	rate, left = "   -- MB/s", "--"
	first := p.start
	if running && len(p.samples) > 0 {
		first = p.samples[0]
	}
	if now.Sub(first.t) > 0 && p.done > first.done {
		bps := float64(p.done-first.done) / now.Sub(first.t).Seconds()
		rate = fmt.Sprintf("%6.1f MB/s", bps/1e6)
		if bps > 0 {
			left = formatDuration(time.Duration(float64(p.size-p.done) / bps * float64(time.Second)))
		}
	}
	return rate, left
}

// formatDuration renders a remaining time briefly: 45s, 3m12s, 1h02m.
func formatDuration(d time.Duration) string {
	s := int64(d.Round(time.Second) / time.Second)
	switch {
	case s < 60:
		return fmt.Sprintf("%ds", s)
	case s < 3600:
		return fmt.Sprintf("%dm%02ds", s/60, s%60)
	case s < 100*3600:
		return fmt.Sprintf("%dh%02dm", s/3600, s%3600/60)
	}
	return "a long time"
}

// humanSize renders a number of bytes with SI units: 950 B, 12.3 MB.
func humanSize(n int64) string {
	if n < 1000 {
		return fmt.Sprintf("%d B", n)
	}
	f := float64(n)
	for _, unit := range []string{"kB", "MB", "GB", "TB"} {
		f /= 1000
		if f < 999.95 {
			return fmt.Sprintf("%.1f %s", f, unit)
		}
	}
	return fmt.Sprintf("%.1f PB", f/1000)
}

// printable makes text from another user safe to show on a terminal
// (client.Printable) and cuts it to at most max runes (… marks a cut).
func printable(s string, max int) string {
	out := client.Printable(s)
	if max > 0 && utf8.RuneCountInString(out) > max {
		out = string([]rune(out)[:max-1]) + "…"
	}
	return out
}

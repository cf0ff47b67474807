package app_test

import (
	"context"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"

	"navette"
	"navette/app"
	"navette/app/apptest"
	"navette/deposit"
	"navette/internal/testpg"
)

// scrubEvery is the scrub interval of these tests: a node looks whether a
// pass is due every 10 ms.
const scrubEvery = 240 * time.Millisecond

// scrubbing sets a node to scrub every scrubEvery and to serve metrics.
func scrubbing(c *app.Config) {
	c.ScrubInterval, c.ScrubRate, c.MetricsAddr = scrubEvery, 0, "127.0.0.1:0"
}

// lastScrubbed records, before the node opens, that the platform's last
// scrub pass ended at end, as a pass of an earlier run of the node would
// have.
func lastScrubbed(t *testing.T, clock navette.Clock, end time.Time) func(*app.Config) {
	return func(c *app.Config) {
		a, err := app.Open(app.Config{DataDir: c.DataDir, DB: c.DB, Clock: clock})
		if err != nil {
			t.Fatal(err)
		}
		defer a.Close()
		if err := a.Meta.(navette.JobStore).RecordRun(t.Context(), deposit.ScrubJob, navette.JobRun{Start: end.Add(-time.Minute), End: end}); err != nil {
			t.Fatal(err)
		}
	}
}

// lastScrub returns the platform's last scrub pass as a's store keeps it.
func lastScrub(t *testing.T, a *app.App) navette.JobRun {
	t.Helper()
	run, err := a.Deposits.LastScrub(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	return run
}

// waitScrub waits, 20 s at most, until a's store shows a scrub pass that
// ended after end, and returns it.
func waitScrub(t *testing.T, a *app.App, end time.Time) navette.JobRun {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		run := lastScrub(t, a)
		if run.End.After(end) {
			return run
		}
		if time.Now().After(deadline) {
			t.Fatalf("no scrub pass ended after %v: last %+v", end, run)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// scrubPasses returns the scrub passes a node counted.
func scrubPasses(t *testing.T, a *app.App) float64 {
	t.Helper()
	m := scrape(t, a)
	if !has(m, "navette_scrub_passes_total") {
		return 0
	}
	return value(t, m, "navette_scrub_passes_total")
}

// lastPassGauge waits until a node shows the end of the platform's last
// scrub pass in its metrics and returns it.
func lastPassGauge(t *testing.T, a *app.App) float64 {
	t.Helper()
	m := scrapeUntil(t, a, func(m map[string]*dto.MetricFamily) bool {
		return has(m, "navette_scrub_last_pass_end_timestamp_seconds")
	})
	return value(t, m, "navette_scrub_last_pass_end_timestamp_seconds")
}

// idle lets a node look whether a scrub pass is due many times over.
func idle() { time.Sleep(20 * scrubEvery / 24) }

// TestScrubOverdue: a node started on a platform whose last scrub pass
// ended more than an interval ago scrubs at once, not an interval later
// (a node restarted more often than the interval scrubbed never).
func TestScrubOverdue(t *testing.T) {
	clock := navette.NewFakeClock(time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC))
	ended := clock.Now().Add(-2 * scrubEvery)
	a := apptest.Start(t, clock, scrubbing, lastScrubbed(t, clock, ended))
	run := waitScrub(t, a, ended)
	if !run.Start.Equal(clock.Now()) || !run.End.Equal(clock.Now()) {
		t.Errorf("pass %+v, want it at %v", run, clock.Now())
	}
	if n := scrubPasses(t, a); n != 1 {
		t.Errorf("navette_scrub_passes_total = %v, want 1", n)
	}
}

// TestScrubNotDue: a node started on a platform whose last scrub pass
// ended less than an interval ago shows that pass in its metrics at once
// and does not scrub until the interval has passed since it ended; then
// it does, once.
func TestScrubNotDue(t *testing.T) {
	clock := navette.NewFakeClock(time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC))
	ended := clock.Now().Add(-time.Millisecond)
	a := apptest.Start(t, clock, scrubbing, lastScrubbed(t, clock, ended))
	if got := lastPassGauge(t, a); got != float64(ended.Unix()) {
		t.Errorf("navette_scrub_last_pass_end_timestamp_seconds = %v at start-up, want %v", got, ended.Unix())
	}
	idle()
	if run := lastScrub(t, a); !run.End.Equal(ended) {
		t.Fatalf("a pass ran before it was due: %+v", run)
	}
	clock.Advance(scrubEvery)
	waitScrub(t, a, ended)
	idle()
	if n := scrubPasses(t, a); n != 1 {
		t.Errorf("navette_scrub_passes_total = %v, want 1", n)
	}
}

// TestScrubTwoNodes: two nodes on one PostgreSQL database make one scrub
// pass an interval between them, not one each.
func TestScrubTwoNodes(t *testing.T) {
	pg := testpg.Start(t)
	dsn := pg.NewDatabase(t)
	clock := navette.NewFakeClock(time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC))
	a := apptest.Start(t, clock, scrubbing, func(c *app.Config) { c.DB = dsn })
	b := apptest.Start(t, clock, scrubbing, func(c *app.Config) { c.DB, c.DataDir = dsn, a.Config.DataDir })
	passes := func() float64 { return scrubPasses(t, a) + scrubPasses(t, b) }

	first := waitScrub(t, a, time.Time{})
	idle()
	if n := passes(); n != 1 {
		t.Fatalf("%v scrub passes on two nodes that never scrubbed, want 1", n)
	}
	clock.Advance(scrubEvery)
	waitScrub(t, b, first.End)
	idle()
	if n := passes(); n != 2 {
		t.Errorf("%v scrub passes once the next was due, want 2", n)
	}
	for _, n := range []*app.App{a, b} {
		if got := lastPassGauge(t, n); got != float64(clock.Now().Unix()) {
			t.Errorf("navette_scrub_last_pass_end_timestamp_seconds = %v, want %v", got, clock.Now().Unix())
		}
	}
}

// TestScrubFailedPass: a pass that fails records its start but no end, so
// the pass stays due (the last end is still the one before).
func TestScrubFailedPass(t *testing.T) {
	e := newEnv(t)
	e.send(map[string][]byte{"a.txt": randomBytes(1000, 3)})
	before := waitScrub(t, e.app, time.Time{}) // the pass at start-up
	e.clock.Advance(25 * time.Hour)
	ctx, cancel := context.WithCancel(t.Context())
	stop := time.AfterFunc(50*time.Millisecond, cancel)
	defer stop.Stop()
	if _, err := e.app.Deposits.Scrub(ctx, 1); err == nil { // a byte a second: cut short
		t.Fatal("a pass cut short ended without error")
	}
	run := lastScrub(t, e.app)
	if !run.Start.Equal(e.clock.Now()) || !run.End.Equal(before.End) {
		t.Fatalf("after a failed pass: %+v, want its start and the end before, %v", run, before.End)
	}
	if !deposit.ScrubIsDue(run, e.clock.Now(), 24*time.Hour) {
		t.Error("the pass is no longer due after a failed one")
	}
}

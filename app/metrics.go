package app

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"time"

	"navette"
	"navette/deposit"
	"navette/disk"
	navhttp "navette/http"
	"navette/metrics"
	"navette/proof"
)

// listenMetrics binds the metrics address, if configured, and has srv
// count its requests: metrics are served on a listener of their own,
// never on the public one.
func (a *App) listenMetrics(srv *navhttp.Server) error {
	addr := a.Config.MetricsAddr
	if addr == "" {
		return nil
	}
	a.reg = metrics.New()
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return navette.WrapError(navette.EINVALID, err, "Cannot listen on %s for metrics (--metrics-addr).", addr)
	}
	a.mln = ln
	srv.Metrics = a.reg
	a.Deposits.Scrubbed = func(n int64) {
		a.reg.Counter("navette_scrub_files_total").Inc()
		a.reg.Counter("navette_scrub_bytes_total").AddInt64(n)
	}
	for _, name := range []string{"navette_sweeps_total", "navette_sweep_failures_total", "navette_scrub_passes_total",
		"navette_scrub_files_total", "navette_scrub_bytes_total", "navette_scrub_corrupt_found_total", "navette_scrub_unreadable_total"} {
		a.reg.Counter(name)
	}
	for _, what := range sweptKinds {
		a.reg.Counter(`navette_sweep_items_total{what="` + what + `"}`)
	}
	a.reg.Gauge("navette_scrub_running")
	a.reg.Collect(a.collectMetrics)
	return nil
}

// MetricsAddr returns the address metrics are served on, "" if none.
func (a *App) MetricsAddr() string {
	if a.mln == nil {
		return ""
	}
	return a.mln.Addr().String()
}

// serveMetrics serves the metrics until ctx ends.
func (a *App) serveMetrics(ctx context.Context) {
	if a.mln == nil {
		return
	}
	srv := &http.Server{
		Handler:           a.reg.Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		ErrorLog:          slog.NewLogLogger(a.Config.Logger.Handler(), slog.LevelWarn),
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(a.mln) }()
	select {
	case <-ctx.Done():
	case err := <-done:
		if !errors.Is(err, http.ErrServerClosed) && !errors.Is(err, net.ErrClosed) {
			a.Config.Logger.Error("metrics server stopped", "err", err)
		}
		return
	}
	shut, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = srv.Shutdown(shut)
}

// sweptKinds label navette_sweep_items_total.
var sweptKinds = []string{"reminded", "expired", "purged", "abandoned", "blobs_deleted", "orphans", "proofs_ended"}

// recordSweep counts a sweep and what it did; one cut short by the
// node's stopping is not counted.
func (a *App) recordSweep(ctx context.Context, st deposit.SweepStats, err error) {
	if a.reg == nil || ctx.Err() != nil {
		return
	}
	a.reg.Counter("navette_sweeps_total").Inc()
	if err != nil {
		a.reg.Counter("navette_sweep_failures_total").Inc()
		return
	}
	for i, n := range []int{st.Reminded, st.Expired, st.Purged, st.Abandoned, st.BlobsDeleted, st.Orphans, st.ProofsEnded} {
		a.reg.Counter(`navette_sweep_items_total{what="` + sweptKinds[i] + `"}`).Add(n)
	}
}

// scrubStarted marks a scrub pass running.
func (a *App) scrubStarted() {
	if a.reg != nil {
		a.reg.Gauge("navette_scrub_running").Set(1)
	}
}

// scrubEnded marks the scrub pass no longer running and counts it if it
// ran and ended without error (on PostgreSQL, a node whose turn another
// took, or which found the pass no longer due once it held the scrubber's
// lock, ran none).
func (a *App) scrubEnded(ran bool, st deposit.ScrubStats, err error) {
	if a.reg == nil {
		return
	}
	a.reg.Gauge("navette_scrub_running").Set(0)
	if err != nil || !ran {
		return
	}
	a.reg.Counter("navette_scrub_passes_total").Inc()
	a.reg.Counter("navette_scrub_corrupt_found_total").Add(len(st.Corrupt))
	a.reg.Counter("navette_scrub_unreadable_total").Add(st.Unreadable)
	a.reg.Gauge("navette_scrub_last_pass_end_timestamp_seconds").Set(float64(a.Config.Clock.Now().Unix()))
}

// showLastScrub sets the time the platform's last scrub pass ended, on
// whichever node it ran, before or after this node started: the
// NavetteScrubberStalled alert reads it. Nothing is set while no pass
// ever ended.
func (a *App) showLastScrub(last navette.JobRun) {
	if a.reg == nil || last.End.IsZero() {
		return
	}
	a.reg.Gauge("navette_scrub_last_pass_end_timestamp_seconds").Set(float64(last.End.Unix()))
}

// collectMetrics writes the gauges computed at each scrape: what the store
// holds, the journal, the antivirus, free space and the database pools.
func (a *App) collectMetrics(ctx context.Context, w *metrics.Writer) {
	now := a.Config.Clock.Now()
	stats := a.collectStoreMetrics(ctx, w)
	a.collectJournalMetrics(ctx, w, now, stats)
	a.collectAntivirusMetrics(ctx, w)
	a.collectSpaceMetrics(w)
	a.collectPoolMetrics(w)
}

// collectStoreMetrics writes what the metadata store holds and returns
// its counts, nil if it could not count.
func (a *App) collectStoreMetrics(ctx context.Context, w *metrics.Writer) *navette.StoreStats {
	var stats *navette.StoreStats
	storeUp := 0.0
	if ss, ok := a.Meta.(navette.StatsStore); ok {
		if st, err := ss.Stats(ctx); err == nil {
			stats, storeUp = st, 1
		} else {
			a.Config.Logger.Warn("metrics: counting the store failed", "err", err)
		}
	}
	w.Gauge("navette_store_up", "1 if the metadata store answered the scrape's queries, else 0.", storeUp)
	if stats == nil {
		return nil
	}
	var files []metrics.Sample
	for _, s := range []navette.FileState{navette.FileUploading, navette.FileChecking, navette.FileStored,
		navette.FileAvailable, navette.FileRejected, navette.FilePurged} {
		files = append(files, metrics.Sample{Labels: []string{"state", string(s)}, Value: float64(stats.Files[s])})
	}
	w.Gauge("navette_files", "Files by state; checking: waiting for the antivirus.", 0, files...)
	w.Gauge("navette_files_corrupt", "Files kept whose stored blob failed its integrity check.", float64(stats.CorruptFiles))
	w.Gauge("navette_notices_pending", "Notices waiting to be sent (outbox depth).", float64(stats.PendingNotices))
	w.Gauge("navette_notices_dead", "Notices given up on (dead letters).", float64(stats.DeadNotices))
	return stats
}

// collectJournalMetrics writes the journal's size and the state of its
// checkpoints and time-stamps.
func (a *App) collectJournalMetrics(ctx context.Context, w *metrics.Writer, now time.Time, stats *navette.StoreStats) {
	if n, err := a.Meta.TreeSize(ctx); err == nil {
		w.Gauge("navette_journal_tree_size", "Leaves of the journal's Merkle tree (events journaled).", float64(n))
	}
	tsa := a.Config.Stamper != nil
	w.Gauge("navette_journal_tsa_enabled", "1 if a time-stamping authority stamps the checkpoints.", oneIf(tsa))
	if st, err := a.Checkpointer.Status(ctx); err == nil {
		writeCheckpointMetrics(w, now, st, tsa)
	}
	if stats != nil && stats.LastStamped != nil {
		w.Gauge("navette_journal_stamped_checkpoint_age_seconds", "Age of the last checkpoint that carries a time-stamp token.", max(now.Sub(stats.LastStamped.CreatedAt).Seconds(), 0))
	}
}

// writeCheckpointMetrics writes the state st of the journal's checkpoints,
// and of their time-stamps if tsa.
func writeCheckpointMetrics(w *metrics.Writer, now time.Time, st proof.Status, tsa bool) {
	w.Gauge("navette_journal_checkpoint_size", "Tree size of the last signed checkpoint.", float64(st.Size))
	if !st.CheckpointAt.IsZero() {
		w.Gauge("navette_journal_checkpoint_age_seconds", "Age of the last signed checkpoint.", max(now.Sub(st.CheckpointAt).Seconds(), 0))
	}
	if tsa {
		w.Gauge("navette_journal_stamp_lag_seconds", "Age of the oldest checkpoint still waiting for its time-stamp (0: none waits).", st.StampLag.Seconds())
	}
	w.Gauge("navette_journal_problem", "1 if checkpoints cannot be signed or stamped (see /readyz).", oneIf(st.Problem != ""))
}

// collectAntivirusMetrics writes whether an antivirus scans files and
// whether it answers.
func (a *App) collectAntivirusMetrics(ctx context.Context, w *metrics.Writer) {
	avOn, avUp := 0.0, 0.0
	if av := a.Deposits.Antivirus; av != nil {
		avOn = 1
		pctx, cancel := context.WithTimeout(ctx, 3*time.Second)
		if av.Ping(pctx) == nil {
			avUp = 1
		}
		cancel()
	}
	w.Gauge("navette_antivirus_enabled", "1 if files are scanned by an antivirus.", avOn)
	w.Gauge("navette_antivirus_up", "1 if the antivirus answers; 0 if it is down (degraded: files wait in checking) or off.", avUp)
}

// collectSpaceMetrics writes the free space and size of the file systems
// of a local blob store and of the data directory.
func (a *App) collectSpaceMetrics(w *metrics.Writer) {
	if d, ok := a.Blobs.(*disk.Store); ok {
		if free, size, err := diskSpace(d.Dir()); err == nil {
			w.Gauge("navette_blob_store_free_bytes", "Bytes available to navette on the blob store's file system (local directory only).", float64(free))
			w.Gauge("navette_blob_store_size_bytes", "Size of the blob store's file system (local directory only).", float64(size))
		}
	}
	if free, size, err := diskSpace(a.Config.DataDir); err == nil {
		w.Gauge("navette_data_dir_free_bytes", "Bytes available on the data directory's file system (keys, SQLite database).", float64(free))
		w.Gauge("navette_data_dir_size_bytes", "Size of the data directory's file system.", float64(size))
	}
}

// collectPoolMetrics writes the connections of the database pools of a
// store that has them.
func (a *App) collectPoolMetrics(w *metrics.Writer) {
	ps, ok := a.Meta.(interface{ PoolStats() []navette.PoolStats })
	if !ok {
		return
	}
	var conns, maxOpen, waits, waited []metrics.Sample
	for _, p := range ps.PoolStats() {
		conns = append(conns, metrics.Sample{Labels: []string{"pool", p.Name, "state", "in_use"}, Value: float64(p.InUse)},
			metrics.Sample{Labels: []string{"pool", p.Name, "state", "idle"}, Value: float64(p.Idle)})
		maxOpen = append(maxOpen, metrics.Sample{Labels: []string{"pool", p.Name}, Value: float64(p.MaxOpen)})
		waits = append(waits, metrics.Sample{Labels: []string{"pool", p.Name}, Value: float64(p.WaitCount)})
		waited = append(waited, metrics.Sample{Labels: []string{"pool", p.Name}, Value: p.WaitDuration.Seconds()})
	}
	w.Gauge("navette_db_connections", "Open database connections by pool and state.", 0, conns...)
	w.Gauge("navette_db_connections_max", "Most connections a pool opens (0: no limit).", 0, maxOpen...)
	w.Counter("navette_db_waits_total", "Times a query waited for a free connection.", 0, waits...)
	w.Counter("navette_db_wait_seconds_total", "Time spent waiting for a free connection.", 0, waited...)
}

// oneIf returns 1 for true and 0 for false, a gauge's value for a yes or no.
func oneIf(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// diskSpace returns the bytes available to unprivileged users and the
// size of the file system holding dir (disk.SpaceOf).
func diskSpace(dir string) (free, size uint64, err error) {
	sp, err := disk.SpaceOf(dir)
	if err != nil {
		return 0, 0, err
	}
	return uint64(sp.Free), uint64(sp.Total), nil
}

package deposit

import (
	"context"
	"errors"
	"sync"
	"time"

	"navette"
	"navette/seal"
)

// DefaultScrubRate is the scrubber's default pace: 50 MB/s.
const DefaultScrubRate = 50_000_000

// ScrubStats is what one scrub pass found.
type ScrubStats struct {
	Files   int   // files verified whole
	Bytes   int64 // sealed bytes read
	Corrupt []*navette.FileRecord
	// Unreadable counts files that could not be read (the blob store out
	// of reach): they are verified on the next pass.
	Unreadable int
}

// ScrubJob names the scrubber's job: its lock on PostgreSQL and its last
// run in the metadata store (navette.JobStore).
const ScrubJob = "scrub"

// Scrub verifies every stored file, on disk or S3 alike: the blob's
// header, each segment's authentication at its place, nothing past the
// final segment, and the SHA-256 of the whole, reading at most rate bytes
// per second (no bound if rate <= 0). A corrupt file is rejected, never
// served again, journaled (file.corrupt, saying where) and reported to
// platform admins; its key is kept until its deposit is purged. With
// several nodes on one database, one scrubs at a time: on another, Scrub
// returns at once with nothing done. The pass's start and, if it ends
// without error, its end are recorded as the platform's last scrub
// (ScrubJob), which ScrubDue reads.
func (s *Service) Scrub(ctx context.Context, rate int64) (ScrubStats, error) {
	_, st, err := s.scrubJob(ctx, rate, func(navette.JobRun) bool { return true })
	return st, err
}

// ScrubDue runs a scrub pass as Scrub does, if one is due: none ever
// ended, or the platform's last one ended interval or more ago. With
// several nodes on one database, the due time is read again once the
// scrubber's lock is held, so that a pass another node has just ended is
// not run twice. Reports whether a pass ran.
func (s *Service) ScrubDue(ctx context.Context, rate int64, interval time.Duration) (bool, ScrubStats, error) {
	return s.scrubJob(ctx, rate, func(last navette.JobRun) bool {
		return ScrubIsDue(last, s.Clock.Now(), interval)
	})
}

// ScrubIsDue reports whether a scrub pass is due at now when the last one
// was last: none ever ended, or the last ended interval or more ago.
func ScrubIsDue(last navette.JobRun, now time.Time, interval time.Duration) bool {
	return last.End.IsZero() || !now.Before(last.End.Add(interval))
}

// LastScrub returns the platform's last scrub pass, the zero JobRun if
// none ever ran.
func (s *Service) LastScrub(ctx context.Context) (navette.JobRun, error) {
	return s.jobStore().LastRun(ctx, ScrubJob)
}

// scrubJob runs a scrub pass under the scrubber's lock if due says so of
// the last one, recording its start, then its end if it ends without
// error, and reports whether it ran.
func (s *Service) scrubJob(ctx context.Context, rate int64, due func(navette.JobRun) bool) (ran bool, st ScrubStats, err error) {
	js := s.jobStore()
	err = s.exclusiveJob(ctx, ScrubJob, func(ctx context.Context) error {
		last, err := js.LastRun(ctx, ScrubJob)
		if err != nil || !due(last) {
			return err
		}
		ran = true
		run := navette.JobRun{Start: s.Clock.Now(), End: last.End}
		if err := js.RecordRun(ctx, ScrubJob, run); err != nil {
			return err
		}
		if st, err = s.scrub(ctx, rate); err != nil {
			return err
		}
		run.End = s.Clock.Now()
		return js.RecordRun(ctx, ScrubJob, run)
	})
	return ran, st, err
}

// jobStore returns the metadata store's record of the jobs' runs, or, if
// it keeps none, the service's own, in memory.
func (s *Service) jobStore() navette.JobStore {
	if js, ok := s.Meta.(navette.JobStore); ok {
		return js
	}
	return &s.jobs
}

// memJobs keeps the jobs' last runs in memory, for a metadata store that
// does not (navette.JobStore).
type memJobs struct {
	mu   sync.Mutex
	runs map[string]navette.JobRun
}

// LastRun returns the last run of the job called name.
func (m *memJobs) LastRun(_ context.Context, name string) (navette.JobRun, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.runs[name], nil
}

// RecordRun replaces the last run of the job called name.
func (m *memJobs) RecordRun(_ context.Context, name string, run navette.JobRun) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.runs == nil {
		m.runs = map[string]navette.JobRun{}
	}
	m.runs[name] = run
	return nil
}

func (s *Service) scrub(ctx context.Context, rate int64) (ScrubStats, error) {
	var st ScrubStats
	p := pacer{rate: rate, start: time.Now(), ctx: ctx}
	after := ""
	for {
		files, err := s.Meta.StoredFiles(ctx, after, 100)
		if err != nil {
			return st, err
		}
		for _, f := range files {
			after = f.ID
			if f.Key.IsZero() {
				continue
			}
			if err := s.scrubFile(ctx, f, &p, &st); err != nil {
				return st, err
			}
		}
		if len(files) < 100 {
			return st, nil
		}
	}
}

// scrubFile verifies f at the pace of p and counts what it found in st.
// Returns an error only if scrubbing cannot go on.
func (s *Service) scrubFile(ctx context.Context, f *navette.FileRecord, p *pacer, st *ScrubStats) error {
	err := s.readStored(ctx, f, func([]byte) error { return nil }, p.pace)
	switch {
	case err == nil:
		st.Files++
		st.Bytes += seal.SealedSize(f.Size)
		if s.Scrubbed != nil {
			s.Scrubbed(seal.SealedSize(f.Size))
		}
		return nil
	case errors.Is(err, ErrCorrupt):
		return s.scrubbedCorrupt(ctx, f.ID, err, st)
	case ctx.Err() != nil:
		return ctx.Err()
	}
	s.log().WarnContext(ctx, "scrub: a file could not be read; it is verified on the next pass", "file", f.ID, "err", err)
	st.Unreadable++
	return nil
}

// scrubbedCorrupt marks corrupt file id, found so by cause, if it is still
// kept, and adds it to st. A file purged or rejected meanwhile lost its
// blob rightly: markCorrupt only marks a file still kept.
func (s *Service) scrubbedCorrupt(ctx context.Context, id string, cause error, st *ScrubStats) error {
	now, err := s.Meta.File(ctx, id)
	if err != nil || now.Key.IsZero() || !kept(now) {
		return nil
	}
	if err := s.markCorrupt(ctx, now, cause); err != nil {
		return err
	}
	if now, err = s.Meta.File(ctx, id); err == nil && now.Check == navette.CheckCorrupt {
		st.Corrupt = append(st.Corrupt, now)
	}
	return nil
}

// kept reports whether f is stored to be offered: checking, stored or
// available.
func kept(f *navette.FileRecord) bool {
	return f.State == navette.FileChecking || f.State == navette.FileStored || f.State == navette.FileAvailable
}

// pacer keeps reading at or under rate bytes per second since start.
type pacer struct {
	rate  int64
	start time.Time
	read  int64
	ctx   context.Context
}

func (p *pacer) pace(n int) error {
	if p.rate <= 0 {
		return nil
	}
	p.read += int64(n)
	due := time.Duration(float64(p.read) / float64(p.rate) * float64(time.Second))
	if wait := due - time.Since(p.start); wait > time.Millisecond {
		t := time.NewTimer(wait)
		defer t.Stop()
		select {
		case <-t.C:
		case <-p.ctx.Done():
			return p.ctx.Err()
		}
	}
	return nil
}

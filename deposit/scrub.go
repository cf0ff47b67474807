package deposit

import (
	"context"
	"errors"
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

// Scrub verifies every stored file, on disk or S3 alike: the blob's
// header, each segment's authentication at its place, nothing past the
// final segment, and the SHA-256 of the whole, reading at most rate bytes
// per second (no bound if rate <= 0). A corrupt file is rejected, never
// served again, journaled (file.corrupt, saying where) and reported to
// platform admins; its key is kept until its deposit is purged. With
// several nodes on one database, one scrubs at a time: on another, Scrub
// returns at once with nothing done.
func (s *Service) Scrub(ctx context.Context, rate int64) (ScrubStats, error) {
	var st ScrubStats
	err := s.exclusiveJob(ctx, "scrub", func(ctx context.Context) error {
		var err error
		st, err = s.scrub(ctx, rate)
		return err
	})
	return st, err
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

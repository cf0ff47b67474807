package deposit

import (
	"context"
	"time"

	"navette"
)

// SweepStats counts what one sweep did.
type SweepStats struct {
	Expired      int
	Purged       int
	Abandoned    int
	BlobsDeleted int
	Orphans      int // unfinished blobs no live upload owned
}

// Sweep purges what is due at the clock's time: available deposits past
// their expiry (marked expired), revoked and expired ones, and drafts older
// than AbandonAfter. A purge destroys the deposit's and files' keys and
// sealed fields at once, leaving a tombstone (ids, sizes, hashes, dates);
// blobs are then deleted. Each transition is conditional, so sweepers on
// several nodes never record the same purge twice.
func (s *Service) Sweep(ctx context.Context) (SweepStats, error) {
	var st SweepStats
	now := s.Clock.Now()
	abandon := s.AbandonAfter
	if abandon <= 0 {
		abandon = 24 * time.Hour
	}
	for {
		ids, err := s.Meta.DueDeposits(ctx, now, now.Add(-abandon), 100)
		if err != nil {
			return st, err
		}
		for _, id := range ids {
			if err := s.purge(ctx, id, now, abandon, &st); err != nil {
				return st, err
			}
		}
		if len(ids) < 100 {
			break
		}
	}
	for {
		files, err := s.Meta.BlobsToDelete(ctx, 100)
		if err != nil {
			return st, err
		}
		for _, f := range files {
			if err := s.Blobs.Delete(ctx, f.ID); err != nil {
				return st, err
			}
			err := s.Meta.UpdateFile(ctx, f.ID, func(f *navette.FileRecord) ([]navette.Event, error) {
				f.BlobDeleted = true
				return nil, nil
			})
			if err != nil {
				return st, err
			}
			st.BlobsDeleted++
		}
		if len(files) < 100 {
			break
		}
	}
	if err := s.removeOrphans(ctx, &st); err != nil {
		return st, err
	}
	if st.Purged > 0 {
		// Destroyed keys are overwritten in the database file only once its
		// write-ahead log is checkpointed (SQLite); do it now.
		if c, ok := s.Meta.(interface{ Checkpoint(context.Context) error }); ok {
			if err := c.Checkpoint(ctx); err != nil {
				s.log().Warn("checkpoint after purge deferred", "err", err)
			}
		}
	}
	return st, nil
}

func (s *Service) purge(ctx context.Context, id string, now time.Time, abandon time.Duration, st *SweepStats) error {
	return s.Meta.UpdateDeposit(ctx, id, func(d *navette.DepositRecord, files []*navette.FileRecord) ([]navette.Event, error) {
		if !d.PurgedAt.IsZero() {
			return nil, nil
		}
		var evs []navette.Event
		detail := string(d.State)
		switch {
		case d.State == navette.DepositAvailable && !now.Before(d.ExpiresAt):
			d.State = navette.DepositExpired
			detail = "expired"
			evs = append(evs, navette.Event{Time: now, Type: navette.EventDepositExpired, DepositID: d.ID})
			st.Expired++
		case d.State == navette.DepositRevoked || d.State == navette.DepositExpired:
		case d.State == navette.DepositDraft && !d.CreatedAt.After(now.Add(-abandon)):
			detail = "abandoned"
			st.Abandoned++
		default:
			return nil, nil // no longer due
		}
		d.PurgedAt = now
		d.Key = navette.WrappedKey{}
		d.Reference = nil
		d.Message = nil
		for _, f := range files {
			if f.State != navette.FilePurged {
				shred(f)
			}
			evs = append(evs, navette.Event{Time: now, Type: navette.EventDepositPurged, DepositID: d.ID, FileID: f.ID, Size: f.Size, SHA256: f.SHA256, Detail: detail})
		}
		if len(files) == 0 {
			evs = append(evs, navette.Event{Time: now, Type: navette.EventDepositPurged, DepositID: d.ID, Detail: detail})
		}
		st.Purged++
		return evs, nil
	})
}

// removeOrphans deletes unfinished blobs that no uploading file owns: left by
// a write that raced a purge, or by a crash before the file record was made.
// A blob younger than its upload's record is never at risk: only blobs whose
// record is missing or no longer uploading are removed.
func (s *Service) removeOrphans(ctx context.Context, st *SweepStats) error {
	keys, err := s.Blobs.Unfinished(ctx)
	if err != nil {
		return err
	}
	for _, k := range keys {
		f, err := s.Meta.File(ctx, k)
		switch {
		case navette.IsCode(err, navette.ENOTFOUND):
		case err != nil:
			return err
		case f.State == navette.FileUploading:
			continue
		case f.State == navette.FileStored || f.State == navette.FileAvailable:
			continue // finished in the database, not yet renamed: the next access finishes it
		}
		if err := s.Blobs.Delete(ctx, k); err != nil {
			return err
		}
		st.Orphans++
	}
	return nil
}

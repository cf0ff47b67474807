package deposit

import (
	"cmp"
	"context"
	"errors"
	"strconv"
	"time"

	"navette"
	"navette/notify"
)

// SweepStats counts what one sweep did.
type SweepStats struct {
	Reminded     int // deposits whose recipients were reminded
	Expired      int
	Purged       int
	Abandoned    int
	BlobsDeleted int
	Orphans      int // unfinished blobs no live upload owned
	// ProofsEnded counts deposits whose proof retention ended: their
	// proof key destroyed, their evidence deleted.
	ProofsEnded int
}

// Sweep queues the reminders that are due and purges what is due at the
// clock's time: available deposits past their expiry (marked expired, with
// a report to the sender if someone never fetched), revoked and expired
// ones, and drafts older than AbandonAfter. A purge destroys the deposit's
// and files' keys and sealed fields at once, leaving a tombstone (ids,
// sizes, hashes, dates); blobs are then deleted. Each transition is
// conditional, so sweepers on several nodes never record the same reminder
// or purge twice. Blobs that cannot be deleted are left for the next sweep
// and reported in the error, once the orphans are removed and the proof
// retentions due are ended.
func (s *Service) Sweep(ctx context.Context) (SweepStats, error) {
	// With several nodes on one database, one sweeps at a time, so that no
	// purge, delete or notice is worked on twice.
	if ex, ok := s.Meta.(interface {
		Exclusive(context.Context, func(context.Context) error) (bool, error)
	}); ok {
		var st SweepStats
		_, err := ex.Exclusive(ctx, func(ctx context.Context) error {
			var err error
			st, err = s.sweep(ctx)
			return err
		})
		return st, err
	}
	return s.sweep(ctx)
}

func (s *Service) sweep(ctx context.Context) (SweepStats, error) {
	var st SweepStats
	now := s.Clock.Now()
	abandon := s.abandonAfter()
	queued := 0
	defer func() {
		if queued > 0 {
			s.kick()
		}
	}()
	n, err := s.sendReminders(ctx, now, &st)
	queued += n
	if err != nil {
		return st, err
	}
	n, err = s.purgeDue(ctx, now, abandon, &st)
	queued += n
	if err != nil {
		return st, err
	}
	// Each step runs whatever failed in the one before: a blob the store
	// will not delete keeps no orphan nor proof retention from its end.
	err = s.deleteBlobs(ctx, &st)
	err = errors.Join(err, s.removeOrphans(ctx, &st))
	err = errors.Join(err, s.endProofs(ctx, now, &st))
	if st.Purged > 0 || st.ProofsEnded > 0 {
		s.checkpoint(ctx)
	}
	return st, err
}

// sendReminders reminds the recipients of the deposits due a reminder at
// now (if reminders are on), and returns the number of notices queued.
func (s *Service) sendReminders(ctx context.Context, now time.Time, st *SweepStats) (int, error) {
	if s.RemindBefore <= 0 {
		return 0, nil
	}
	queued := 0
	err := eachDue(func(limit int) ([]string, error) {
		return s.Meta.DueReminders(ctx, now, s.RemindBefore, limit)
	}, func(id string) error {
		n, done, err := s.remind(ctx, id, now)
		if err != nil {
			return err
		}
		queued += n
		if done {
			st.Reminded++
		}
		return nil
	})
	return queued, err
}

// eachDue calls fn on each deposit id that due returns, reading them a
// page of 100 at a time, until a page is not full or fn fails. fn deals
// with each id so that due no longer returns it.
func eachDue(due func(limit int) ([]string, error), fn func(id string) error) error {
	const page = 100
	for {
		ids, err := due(page)
		if err != nil {
			return err
		}
		for _, id := range ids {
			if err := fn(id); err != nil {
				return err
			}
		}
		if len(ids) < page {
			return nil
		}
	}
}

// purgeDue purges the deposits due at now (drafts abandoned for abandon),
// and returns the number of notices queued.
func (s *Service) purgeDue(ctx context.Context, now time.Time, abandon time.Duration, st *SweepStats) (int, error) {
	queued := 0
	err := eachDue(func(limit int) ([]string, error) {
		return s.Meta.DueDeposits(ctx, now, now.Add(-abandon), limit)
	}, func(id string) error {
		n, err := s.purge(ctx, id, now, abandon, st)
		if err != nil {
			return err
		}
		queued += n
		return nil
	})
	return queued, err
}

// deleteBlobs deletes the blobs of purged and rejected files whose keys
// are gone, and marks them deleted. A blob the store refuses to delete is
// logged and left unmarked for the next sweep, and the others are deleted;
// the error then counts them. A store out of reach ends it at once.
func (s *Service) deleteBlobs(ctx context.Context, st *SweepStats) error {
	after, refused := "", 0
	var first error
	for {
		files, err := s.Meta.BlobsToDelete(ctx, after, 100)
		if err != nil {
			return err
		}
		for _, f := range files {
			after = f.ID
			if err := s.Blobs.Delete(ctx, f.Blob()); navette.IsCode(err, navette.EUNAVAILABLE) || ctx.Err() != nil {
				return cmp.Or(err, ctx.Err())
			} else if err != nil {
				s.log().ErrorContext(ctx, "deleting a blob failed; the next sweep tries again", "file", f.ID, "err", err)
				refused, first = refused+1, cmp.Or(first, err)
				continue
			}
			err := s.Meta.UpdateFile(ctx, f.ID, func(f *navette.FileRecord) ([]navette.Event, error) {
				f.BlobDeleted = true
				return nil, nil
			})
			if err != nil {
				return err
			}
			st.BlobsDeleted++
		}
		if len(files) < 100 {
			break
		}
	}
	if refused > 0 {
		return navette.WrapError(navette.EINTERNAL, first, "%d blobs of purged files could not be deleted; the next sweep tries again.", refused)
	}
	return nil
}

// checkpoint checkpoints the write-ahead log of the metadata store, if it
// has one (SQLite): destroyed keys are overwritten in the database file
// only then. A failure is logged: the next checkpoint does it.
func (s *Service) checkpoint(ctx context.Context) {
	if c, ok := s.Meta.(interface{ Checkpoint(context.Context) error }); ok {
		if err := c.Checkpoint(ctx); err != nil {
			s.log().WarnContext(ctx, "checkpoint after purge deferred", "err", err)
		}
	}
}

// remind queues a reminder for each recipient of deposit id who has not
// downloaded, and marks the deposit reminded, if it is still due (another
// node may have done it). Returns the number of notices queued and whether
// this call marked the deposit reminded.
func (s *Service) remind(ctx context.Context, id string, now time.Time) (int, bool, error) {
	d, err := s.Meta.Deposit(ctx, id)
	if err != nil {
		return 0, false, err
	}
	sender, err := s.Meta.User(ctx, d.SenderID)
	if err != nil {
		return 0, false, err
	}
	queued, done := 0, false
	err = s.Meta.UpdateDeposit(ctx, id, func(d *navette.DepositRecord, files []*navette.FileRecord) ([]navette.Event, error) {
		queued, done = 0, false
		if !s.reminderDue(d, now) {
			return nil, nil // no longer due
		}
		d.RemindedAt = now
		done = true
		ev := navette.Event{Time: now, Type: navette.EventDepositReminded, DepositID: d.ID}
		var err error
		if ev.Notices, err = s.reminders(ctx, d, files, sender, now); err != nil {
			return nil, err
		}
		if len(ev.Notices) == 0 {
			return nil, nil // everyone fetched meanwhile, or lost access: nothing to journal
		}
		ev.Detail = strconv.Itoa(len(ev.Notices))
		queued = len(ev.Notices)
		return []navette.Event{ev}, nil
	})
	if err != nil {
		return 0, false, err
	}
	return queued, done, nil
}

// reminderDue reports whether d, available, is due its reminder at now:
// it expires within RemindBefore and was not reminded yet.
func (s *Service) reminderDue(d *navette.DepositRecord, now time.Time) bool {
	return d.State == navette.DepositAvailable && d.PurgedAt.IsZero() && d.RemindedAt.IsZero() &&
		now.Before(d.ExpiresAt) && !now.Add(s.RemindBefore).Before(d.ExpiresAt)
}

// reminders returns a reminder for each recipient of d, sent by sender,
// who has not downloaded it and may still sign in: one whose access was
// revoked (struck off the directory) could not fetch it, and the notice
// would only become a dead letter.
func (s *Service) reminders(ctx context.Context, d *navette.DepositRecord, files []*navette.FileRecord, sender *navette.User, now time.Time) ([]navette.Notice, error) {
	nd, err := s.senderNoticeData(ctx, d, files, sender)
	if err != nil {
		return nil, err
	}
	var out []navette.Notice
	for _, r := range d.Recipients {
		if !r.FirstDownloadAt.IsZero() || r.Disabled {
			continue
		}
		n, err := notify.NewNotice(s.Keys, navette.NoticeReminder, r.UserID, d.ID, now, nd)
		if err != nil {
			return nil, err
		}
		out = append(out, n)
	}
	return out, nil
}

// purge ends deposit id if it is due, and returns the number of notices
// queued (the expiry report).
func (s *Service) purge(ctx context.Context, id string, now time.Time, abandon time.Duration, st *SweepStats) (int, error) {
	queued := 0
	err := s.Meta.UpdateDeposit(ctx, id, func(d *navette.DepositRecord, files []*navette.FileRecord) ([]navette.Event, error) {
		queued = 0
		if !d.PurgedAt.IsZero() {
			return nil, nil
		}
		var evs []navette.Event
		detail := string(d.State)
		switch {
		case d.State == navette.DepositAvailable && !now.Before(d.ExpiresAt):
			detail = "expired"
			expired, err := s.expire(d, files, now)
			if err != nil {
				return nil, err
			}
			queued = len(expired.Notices)
			evs = append(evs, expired)
			st.Expired++
		case d.State == navette.DepositRevoked || d.State == navette.DepositExpired:
		case d.State == navette.DepositDraft && !d.CreatedAt.After(now.Add(-abandon)):
			detail = "abandoned"
			st.Abandoned++
		default:
			return nil, nil // no longer due
		}
		// The claims are made while the keys are still there: the proofs
		// keep the reference and file names the purge destroys.
		evs, err := s.withClaims(ctx, d, files, nil, nil, append(evs, purgedEvents(d, files, detail, now)...))
		if err != nil {
			return nil, err
		}
		s.shredDeposit(d, files, now)
		st.Purged++
		return evs, nil
	})
	return queued, err
}

// expire marks the available deposit d, whose files are files, expired at
// now, and returns the deposit.expired event, with the expiry report. The
// report is made before purge destroys the keys, in the same transaction:
// its payload keeps what it needs.
func (s *Service) expire(d *navette.DepositRecord, files []*navette.FileRecord, now time.Time) (navette.Event, error) {
	d.State = navette.DepositExpired
	expired := navette.Event{Time: now, Type: navette.EventDepositExpired, DepositID: d.ID}
	report, err := s.expiryReport(d, files, now)
	if err != nil {
		return navette.Event{}, err
	}
	expired.Notices = report
	return expired, nil
}

// purgedEvents returns the deposit.purged events of d, ended as detail
// says, one for each of its files (one for d if it has none).
func purgedEvents(d *navette.DepositRecord, files []*navette.FileRecord, detail string, now time.Time) []navette.Event {
	var evs []navette.Event
	for _, f := range files {
		evs = append(evs, navette.Event{Time: now, Type: navette.EventDepositPurged, DepositID: d.ID, FileID: f.ID, Size: f.Size, SHA256: f.SHA256, Detail: detail})
	}
	if len(files) == 0 {
		evs = append(evs, navette.Event{Time: now, Type: navette.EventDepositPurged, DepositID: d.ID, Detail: detail})
	}
	return evs
}

// shredDeposit marks d purged at now, its proofs kept for the proof
// retention, and destroys its key, sealed fields and files' keys.
func (s *Service) shredDeposit(d *navette.DepositRecord, files []*navette.FileRecord, now time.Time) {
	d.PurgedAt = now
	d.ProofUntil = now.Add(s.proofRetention())
	d.Key = navette.WrappedKey{}
	d.Reference = nil
	d.Message = nil
	for _, f := range files {
		if f.State != navette.FilePurged {
			shred(f)
		}
	}
}

// expiryReport returns the report to the sender of a deposit that expires
// at now, naming the recipients who never downloaded: one notice, or none if
// everyone did or the sender lost access since (d.SenderDisabled: the
// worker would refuse it, a dead letter for the admins).
func (s *Service) expiryReport(d *navette.DepositRecord, files []*navette.FileRecord, now time.Time) ([]navette.Notice, error) {
	var never []notify.Person
	for _, r := range d.Recipients {
		if r.FirstDownloadAt.IsZero() {
			never = append(never, notify.Person{Name: r.Name, Email: r.Email})
		}
	}
	if len(never) == 0 || d.Key.IsZero() || d.SenderDisabled {
		return nil, nil
	}
	nd, err := s.noticeData(d, files, nil)
	if err != nil {
		return nil, err
	}
	nd.FileNames, nd.Message = nil, ""
	nd.NeverFetched = never
	n, err := notify.NewNotice(s.Keys, navette.NoticeExpiryReport, d.SenderID, d.ID, now, nd)
	if err != nil {
		return nil, err
	}
	return []navette.Notice{n}, nil
}

// endProof deletes the evidence of deposit id, whose proof retention
// ended at now, and destroys its proof key, with an evidence.deleted event
// that counts the pieces; it reports whether it did (DeleteEvidence).
func endProof(ctx context.Context, es navette.EvidenceStore, id string, now time.Time) (bool, error) {
	evs, err := es.DepositEvidence(ctx, id)
	if err != nil {
		return false, err
	}
	ev := navette.Event{Time: now, Type: navette.EventEvidenceDeleted, DepositID: id, Detail: strconv.Itoa(len(evs))}
	return es.DeleteEvidence(ctx, id, now, ev)
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
		orphan, err := s.orphan(ctx, k)
		if err != nil {
			return err
		}
		if !orphan {
			continue
		}
		if err := s.Blobs.Delete(ctx, k); err != nil {
			return err
		}
		st.Orphans++
	}
	return nil
}

// orphan reports whether the unfinished blob k belongs to no file that
// still needs it: its file is missing, or neither uploading nor finished
// in the database (stored or available, the blob not yet renamed: the next
// access finishes it).
func (s *Service) orphan(ctx context.Context, k string) (bool, error) {
	f, err := s.Meta.File(ctx, k)
	switch {
	case navette.IsCode(err, navette.ENOTFOUND):
		return true, nil
	case err != nil:
		return false, err
	}
	return f.State != navette.FileUploading && f.State != navette.FileStored && f.State != navette.FileAvailable, nil
}

// endProofs destroys the proof keys and deletes the evidence of deposits
// whose proof retention ended at now, with an evidence.deleted event each.
func (s *Service) endProofs(ctx context.Context, now time.Time, st *SweepStats) error {
	es := s.evidence()
	if es == nil {
		return nil
	}
	return eachDue(func(limit int) ([]string, error) {
		return es.DueEvidence(ctx, now, limit)
	}, func(id string) error {
		done, err := endProof(ctx, es, id, now)
		if err != nil {
			return err
		}
		if done {
			st.ProofsEnded++
		}
		return nil
	})
}

package sqlstore

import (
	"context"
	"database/sql"
	"errors"

	"navette"
)

var _ navette.ForwardStore = (*Store)(nil)

// ForwardDeposit adds d, its recipients and its files, which share the
// blobs of files of another deposit, with events, in one transaction. A
// holder of each blob is locked first, so that the purge that would leave
// the blob without holder waits for the forward, or is seen by it.
func (s *Store) ForwardDeposit(ctx context.Context, d *navette.DepositRecord, files []*navette.FileRecord, events ...navette.Event) error {
	if err := checkForward(d, files); err != nil {
		return err
	}
	if err := checkEvents(events); err != nil {
		return err
	}
	return s.inTx(ctx, "forward deposit", func(tx *sql.Tx) error {
		if err := s.insertDeposit(ctx, tx, d); err != nil {
			return err
		}
		for _, f := range files {
			if err := s.holdBlob(ctx, tx, f); err != nil {
				return err
			}
		}
		return s.insertEvents(ctx, tx, events)
	})
}

// checkForward returns EINVALID unless d and files make a forward (a
// recipient given twice is refused as by CreateDeposit).
func checkForward(d *navette.DepositRecord, files []*navette.FileRecord) error {
	if d == nil || d.CreatedAt.IsZero() {
		return invalid("A forward needs a deposit with a creation time.")
	}
	for _, f := range files {
		if f.DepositID != d.ID || f.BlobID == "" || f.BlobID == f.ID {
			return invalid("A forwarded file belongs to the forward and shares the blob of another file.")
		}
	}
	return nil
}

// holdBlob locks a file that holds the blob of f (stored or available,
// with its key), then adds f. Returns EGONE if none does.
func (s *Store) holdBlob(ctx context.Context, tx *sql.Tx, f *navette.FileRecord) error {
	var id string
	err := tx.QueryRowContext(ctx, `SELECT id FROM files WHERE (id = $1 OR blob_id = $1) AND state IN ('stored', 'available')
		AND key_id <> '' AND blob_deleted = 0 ORDER BY id LIMIT 1`+s.lock, f.BlobID).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return navette.Errorf(navette.EGONE, "A file to forward is no longer available.")
	}
	if err != nil {
		return s.internal(err, "hold blob")
	}
	return s.insertFile(ctx, tx, f)
}

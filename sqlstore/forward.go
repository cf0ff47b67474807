package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"strings"

	"navette"
)

var _ navette.ForwardStore = (*Store)(nil)

// ForwardDeposit adds d, the forward of d.ForwardedFrom, its recipients and
// its files, which share the blobs of files of another deposit, with
// events, in one transaction. A holder of each blob is locked first, so
// that the purge that would leave the blob without holder waits for the
// forward, or is seen by it.
func (s *Store) ForwardDeposit(ctx context.Context, d *navette.DepositRecord, files []*navette.FileRecord, events ...navette.Event) error {
	if err := checkForward(d, files); err != nil {
		return err
	}
	if err := checkEvents(events); err != nil {
		return err
	}
	return s.inTx(ctx, "forward deposit", func(tx *sql.Tx) error {
		if _, err := queryOne(s, "forward deposit", "No such deposit to forward.", scanString,
			tx.QueryRowContext(ctx, `SELECT id FROM deposits WHERE id = $1`, d.ForwardedFrom)); err != nil {
			return err
		}
		if err := s.releaseIdempotencyKey(ctx, tx, d); err != nil {
			return err
		}
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
	if d.ForwardedFrom == "" || d.ForwardedFrom == d.ID {
		return invalid("A forward names the deposit it forwards.")
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

// forwarderCols are userCols of the table aliased fu, the forwarder.
var forwarderCols = "fu." + strings.ReplaceAll(userCols, ", ", ", fu.")

// DepositForwards returns the forwards of deposit id, oldest first, each
// with its forwarder and recipients, in one query: one row per forward and
// recipient, by the index of deposits on forwarded_from.
func (s *Store) DepositForwards(ctx context.Context, id string) ([]navette.ForwardRecord, error) {
	rows, err := queryAll(ctx, s, s.rdb, "list forwards", scanForward, `SELECT `+forwarderCols+`, f.id, f.state, f.created_at, f.expires_at, `+recipientCols+`
		FROM deposits f JOIN users fu ON fu.id = f.sender_id
		LEFT JOIN deposit_recipients r ON r.deposit_id = f.id LEFT JOIN users u ON u.id = r.user_id
		WHERE f.forwarded_from = $1 ORDER BY f.created_at, f.id, `+recipientOrder, id)
	if err != nil {
		return nil, err
	}
	var out []navette.ForwardRecord
	for _, r := range rows {
		if n := len(out); n == 0 || out[n-1].ID != r.fw.ID {
			out = append(out, r.fw)
		}
		if r.rr.userID.Valid {
			fw := &out[len(out)-1]
			fw.Recipients = append(fw.Recipients, r.rr.recipient())
		}
	}
	return out, nil
}

// forwardRow is a row of DepositForwards: a forward with its forwarder,
// and one of its recipients (NULLs if it has none).
type forwardRow struct {
	fw navette.ForwardRecord
	rr recipientRow
}

// scanForward reads the columns forwarderCols, those of the forward, then
// recipientCols.
func scanForward(row scanner) (forwardRow, error) {
	var (
		r                forwardRow
		state            string
		created, expires sql.NullInt64
	)
	u, err := scanUser(row, append([]any{&r.fw.ID, &state, &created, &expires}, r.rr.dest()...)...)
	if err != nil {
		return r, err
	}
	r.fw.Forwarder, r.fw.State, r.fw.CreatedAt, r.fw.ExpiresAt = u, navette.DepositState(state), timeCol(created), timeCol(expires)
	return r, nil
}

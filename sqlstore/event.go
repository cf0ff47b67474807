package sqlstore

import (
	"context"
	"database/sql"

	"navette"
)

const eventCols = "seq, time, type, actor_id, deposit_id, file_id, size, sha256, detail"

// checkEvents refuses events the journal cannot hold: without a time or a
// type, or with a notice the outbox cannot hold. Their Seq is ignored:
// storage assigns it.
func checkEvents(events []navette.Event) error {
	for _, e := range events {
		if e.Time.IsZero() {
			return invalid("An event needs a time.")
		}
		if e.Type == "" {
			return invalid("An event needs a type.")
		}
		for i := range e.Notices {
			if err := checkNotice(&e.Notices[i]); err != nil {
				return err
			}
		}
	}
	return nil
}

// insertEvents appends events in tx, in their order, and adds the notices
// they carry; the database assigns their sequence numbers.
func (s *Store) insertEvents(ctx context.Context, tx *sql.Tx, events []navette.Event) error {
	if len(events) > 0 && s.d.LockEvents != "" {
		if _, err := tx.ExecContext(ctx, s.d.LockEvents); err != nil {
			return s.internal(err, "lock events")
		}
	}
	for _, e := range events {
		_, err := tx.ExecContext(ctx, `INSERT INTO events (time, type, actor_id, deposit_id, file_id, size, sha256, detail)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
			timeArg(e.Time), string(e.Type), e.ActorID, e.DepositID, e.FileID, e.Size, bytesArg(e.SHA256), e.Detail)
		if err != nil {
			return s.internal(err, "append event")
		}
	}
	return s.insertNotices(ctx, tx, events)
}

// AppendEvents appends events that go with no other change, in one
// transaction.
func (s *Store) AppendEvents(ctx context.Context, events ...navette.Event) error {
	if len(events) == 0 {
		return nil
	}
	if err := checkEvents(events); err != nil {
		return err
	}
	return s.inTx(ctx, "append events", func(tx *sql.Tx) error {
		return s.insertEvents(ctx, tx, events)
	})
}

// Events returns events matching f, oldest first.
func (s *Store) Events(ctx context.Context, f navette.EventFilter) ([]navette.Event, error) {
	limit, err := limitArg(f.Limit, 1000)
	if err != nil {
		return nil, err
	}
	var rows *sql.Rows
	if f.DepositID != "" {
		rows, err = s.rdb.QueryContext(ctx, `SELECT `+eventCols+` FROM events
			WHERE deposit_id = $1 AND seq > $2 ORDER BY seq LIMIT $3`, f.DepositID, f.AfterSeq, limit)
	} else {
		rows, err = s.rdb.QueryContext(ctx, `SELECT `+eventCols+` FROM events
			WHERE seq > $1 ORDER BY seq LIMIT $2`, f.AfterSeq, limit)
	}
	if err != nil {
		return nil, s.internal(err, "list events")
	}
	defer rows.Close()
	var out []navette.Event
	for rows.Next() {
		var (
			e   navette.Event
			t   sql.NullInt64
			typ string
		)
		if err := rows.Scan(&e.Seq, &t, &typ, &e.ActorID, &e.DepositID, &e.FileID, &e.Size, &e.SHA256, &e.Detail); err != nil {
			return nil, s.internal(err, "list events")
		}
		e.Time = timeCol(t)
		e.Type = navette.EventType(typ)
		e.SHA256 = bytesCol(e.SHA256)
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, s.internal(err, "list events")
	}
	return out, nil
}

package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"strconv"
	"strings"
	"time"

	"navette"
)

const noticeCols = "id, kind, user_id, deposit_id, state, attempts, next_attempt_at, last_error, created_at, sent_at, key_id, key_data, payload"

// checkNotice refuses a notice the outbox cannot hold.
func checkNotice(n *navette.Notice) error {
	switch {
	case !navette.ValidID(n.ID):
		return invalid("A notice needs an id made by navette.NewID.")
	case !n.Kind.Valid():
		return invalid("Unknown notice kind %q.", n.Kind)
	case n.UserID == "":
		return invalid("A notice needs an addressee.")
	case n.CreatedAt.IsZero():
		return invalid("A notice needs a creation time.")
	case n.State != "" && !n.State.Valid():
		return invalid("Unknown notice state %q.", n.State)
	case n.Attempts < 0:
		return invalid("A notice cannot have a negative number of attempts.")
	}
	return nil
}

// insertNotices adds the notices of events in tx. A notice with no state is
// pending, and one with no NextAttemptAt is due at its creation.
func (s *Store) insertNotices(ctx context.Context, tx *sql.Tx, events []navette.Event) error {
	for _, e := range events {
		for i := range e.Notices {
			n := &e.Notices[i]
			state, next := n.State, n.NextAttemptAt
			if state == "" {
				state = navette.NoticePending
			}
			if next.IsZero() {
				next = n.CreatedAt
			}
			_, err := tx.ExecContext(ctx, `INSERT INTO notices (`+noticeCols+`)
				VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)`,
				n.ID, string(n.Kind), n.UserID, n.DepositID, string(state), n.Attempts, timeArg(next), n.LastError,
				timeArg(n.CreatedAt), timeArg(n.SentAt), n.Key.KeyID, bytesArg(n.Key.Data), bytesArg(n.Payload))
			if err != nil {
				return s.insertErr(err, "add notice", "A notice with this id exists already.", "No such addressee.")
			}
		}
	}
	return nil
}

// scanNotice reads the columns noticeCols.
func scanNotice(row scanner) (*navette.Notice, error) {
	var (
		n                   navette.Notice
		kind, state         string
		next, created, sent sql.NullInt64
	)
	err := row.Scan(&n.ID, &kind, &n.UserID, &n.DepositID, &state, &n.Attempts, &next, &n.LastError,
		&created, &sent, &n.Key.KeyID, &n.Key.Data, &n.Payload)
	if err != nil {
		return nil, err
	}
	n.Kind = navette.NoticeKind(kind)
	n.State = navette.NoticeState(state)
	n.NextAttemptAt = timeCol(next)
	n.CreatedAt = timeCol(created)
	n.SentAt = timeCol(sent)
	n.Key.Data = bytesCol(n.Key.Data)
	n.Payload = bytesCol(n.Payload)
	return &n, nil
}

// queryNotices runs a query returning noticeCols through q.
func (s *Store) queryNotices(ctx context.Context, q queryer, op, query string, args ...any) ([]*navette.Notice, error) {
	return queryAll(ctx, s, q, op, scanNotice, query, args...)
}

// ClaimNotices leases up to limit due pending notices to the caller. On
// PostgreSQL the rows are selected FOR UPDATE SKIP LOCKED, so that claimers
// on several nodes take disjoint batches without waiting for each other;
// on SQLite writes are serialized anyway.
func (s *Store) ClaimNotices(ctx context.Context, now time.Time, lease time.Duration, limit int) ([]*navette.Notice, error) {
	if limit <= 0 {
		return nil, invalid("The limit must be positive.")
	}
	if lease < 0 {
		return nil, invalid("The lease must not be negative.")
	}
	skip := ""
	if s.lock != "" {
		skip = " FOR UPDATE SKIP LOCKED"
	}
	until := now.Add(lease)
	var out []*navette.Notice
	err := s.inTx(ctx, "claim notices", func(tx *sql.Tx) error {
		var err error
		out, err = s.queryNotices(ctx, tx, "claim notices", `SELECT `+noticeCols+` FROM notices
			WHERE state = 'pending' AND next_attempt_at <= $1 ORDER BY next_attempt_at, id LIMIT $2`+skip,
			timeArg(now), limit)
		if err != nil || len(out) == 0 {
			return err
		}
		return s.leaseNotices(ctx, tx, out, until)
	})
	if err != nil {
		return nil, err
	}
	for _, n := range out {
		n.NextAttemptAt = until.UTC().Truncate(time.Microsecond)
		n.Attempts++
	}
	return out, nil
}

// leaseNotices counts, in tx, an attempt of each of notices, claimed until
// until.
func (s *Store) leaseNotices(ctx context.Context, tx *sql.Tx, notices []*navette.Notice, until time.Time) error {
	args := []any{timeArg(until)}
	for _, n := range notices {
		args = append(args, n.ID)
	}
	_, err := tx.ExecContext(ctx, `UPDATE notices SET next_attempt_at = $1, attempts = attempts + 1
			WHERE id IN (`+placeholders(2, len(notices))+`)`, args...)
	if err != nil {
		return s.internal(err, "claim notices")
	}
	return nil
}

// lockNotice reads the state and attempts of notice id in tx, locking its
// row. Returns ENOTFOUND if there is none.
func (s *Store) lockNotice(ctx context.Context, tx *sql.Tx, id string) (navette.NoticeState, int, error) {
	var (
		state    string
		attempts int
	)
	err := tx.QueryRowContext(ctx, `SELECT state, attempts FROM notices WHERE id = $1`+s.lock, id).Scan(&state, &attempts)
	if errors.Is(err, sql.ErrNoRows) {
		return "", 0, navette.Errorf(navette.ENOTFOUND, "No such notice.")
	} else if err != nil {
		return "", 0, s.internal(err, "load notice")
	}
	return navette.NoticeState(state), attempts, nil
}

// NoticeSent marks the notice sent and destroys its key and payload.
func (s *Store) NoticeSent(ctx context.Context, id string, at time.Time, events ...navette.Event) error {
	if at.IsZero() {
		return invalid("A sent notice needs a time.")
	}
	return s.updateNotice(ctx, "notice sent", id, events, func(state navette.NoticeState, _ int) (string, []any, error) {
		if state == navette.NoticeSent {
			return "", nil, nil
		}
		return `UPDATE notices SET state = 'sent', sent_at = $2, last_error = '',
			key_id = '', key_data = NULL, payload = NULL WHERE id = $1`, []any{timeArg(at)}, nil
	})
}

// updateNotice changes notice id in a transaction, locking its row: change,
// given the notice's state and attempts, returns the UPDATE to run (id is
// its $1, args the next) with events, or "" to leave the notice as it is
// and journal nothing. what names the change in errors.
func (s *Store) updateNotice(ctx context.Context, what, id string, events []navette.Event, change func(state navette.NoticeState, attempts int) (q string, args []any, err error)) error {
	if err := checkEvents(events); err != nil {
		return err
	}
	return s.inTx(ctx, what, func(tx *sql.Tx) error {
		state, attempts, err := s.lockNotice(ctx, tx, id)
		if err != nil {
			return err
		}
		q, args, err := change(state, attempts)
		if err != nil || q == "" {
			return err
		}
		if _, err := tx.ExecContext(ctx, q, append([]any{id}, args...)...); err != nil {
			return s.internal(err, what)
		}
		return s.insertEvents(ctx, tx, events)
	})
}

// NoticeFailed records a failed delivery, if the caller's claim still holds.
func (s *Store) NoticeFailed(ctx context.Context, id string, attempt int, errText string, next time.Time, dead bool, events ...navette.Event) error {
	if next.IsZero() && !dead {
		return invalid("A notice to retry needs the time of its next attempt.")
	}
	return s.updateNotice(ctx, "notice failed", id, events, func(state navette.NoticeState, attempts int) (string, []any, error) {
		if state != navette.NoticePending || attempts != attempt {
			return "", nil, navette.Errorf(navette.ECONFLICT, "The notice is no longer held by this delivery.")
		}
		newState := navette.NoticePending
		if dead {
			newState = navette.NoticeDead
		}
		return `UPDATE notices SET state = $2, last_error = $3,
			next_attempt_at = COALESCE($4, next_attempt_at) WHERE id = $1`, []any{string(newState), errText, timeArg(next)}, nil
	})
}

// Notice returns the notice with the given id.
func (s *Store) Notice(ctx context.Context, id string) (*navette.Notice, error) {
	return queryOne(s, "get notice", "No such notice.", scanNotice, s.rdb.QueryRowContext(ctx, `SELECT `+noticeCols+` FROM notices WHERE id = $1`, id))
}

// Notices returns notices matching f, oldest first (by creation, then id).
func (s *Store) Notices(ctx context.Context, f navette.NoticeFilter) ([]*navette.Notice, error) {
	limit, err := limitArg(f.Limit, 100)
	if err != nil {
		return nil, err
	}
	if f.State != "" && !f.State.Valid() {
		return nil, invalid("Unknown notice state %q.", f.State)
	}
	var (
		where []string
		args  []any
	)
	add := func(col, v string) {
		if v != "" {
			args = append(args, v)
			where = append(where, col+" = $"+strconv.Itoa(len(args)))
		}
	}
	add("state", string(f.State))
	add("deposit_id", f.DepositID)
	add("user_id", f.UserID)
	q := `SELECT ` + noticeCols + ` FROM notices`
	if len(where) > 0 {
		q += ` WHERE ` + strings.Join(where, " AND ")
	}
	args = append(args, limit)
	q += ` ORDER BY created_at, id LIMIT $` + strconv.Itoa(len(args))
	return s.queryNotices(ctx, s.rdb, "list notices", q, args...)
}

// ReplayNotice makes a dead notice pending again.
func (s *Store) ReplayNotice(ctx context.Context, id string, now time.Time, events ...navette.Event) error {
	if now.IsZero() {
		return invalid("A replayed notice needs a time.")
	}
	return s.updateNotice(ctx, "replay notice", id, events, func(state navette.NoticeState, _ int) (string, []any, error) {
		if state != navette.NoticeDead {
			return "", nil, navette.Errorf(navette.ECONFLICT, "Only a dead notice can be replayed; this one is %s.", state)
		}
		return `UPDATE notices SET state = 'pending', attempts = 0, next_attempt_at = $2
			WHERE id = $1`, []any{timeArg(now)}, nil
	})
}

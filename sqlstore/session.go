package sqlstore

import (
	"context"
	"database/sql"
	"time"

	"navette"
)

const (
	sessionCols = "id, hash, user_id, stage, method, created_at, seen_at, expires_at, pending, verified_at"
	codeCols    = "id, user_id, hash, created_at, expires_at, attempts, used_at"
)

// scanSession reads the columns sessionCols.
func scanSession(row scanner) (*navette.Session, error) {
	var (
		s                      navette.Session
		stage                  string
		created, seen, expires sql.NullInt64
		verified               sql.NullInt64
	)
	err := row.Scan(&s.ID, &s.Hash, &s.UserID, &stage, &s.Method, &created, &seen, &expires, &s.Pending, &verified)
	if err != nil {
		return nil, err
	}
	s.Hash = bytesCol(s.Hash)
	s.Stage = navette.SessionStage(stage)
	s.CreatedAt = timeCol(created)
	s.SeenAt = timeCol(seen)
	s.ExpiresAt = timeCol(expires)
	s.Pending = bytesCol(s.Pending)
	s.VerifiedAt = timeCol(verified)
	return &s, nil
}

// sessionArgs returns the columns of s that UpdateSession writes, in the
// order of its SET list.
func sessionArgs(s *navette.Session) []any {
	return []any{string(s.Stage), s.Method, timeArg(s.SeenAt), timeArg(s.ExpiresAt), bytesArg(s.Pending), timeArg(s.VerifiedAt)}
}

// checkStage refuses an unknown stage.
func checkStage(st navette.SessionStage) error {
	switch st {
	case navette.StageSecondFactor, navette.StageEnrol, navette.StageFull:
		return nil
	}
	return invalid("Unknown session stage %q.", st)
}

// CreateSession adds s. Returns EINVALID if it has no hash, creation time
// or expiry, or an unknown stage. A zero SeenAt counts as the creation time
// for DeleteStaleSessions.
func (s *Store) CreateSession(ctx context.Context, sess *navette.Session, events ...navette.Event) error {
	switch {
	case sess == nil:
		return invalid("No session given.")
	case len(sess.Hash) == 0:
		return invalid("A session needs a hash.")
	case sess.CreatedAt.IsZero():
		return invalid("A session needs a creation time.")
	case sess.ExpiresAt.IsZero():
		return invalid("A session needs an expiry.")
	}
	if err := checkStage(sess.Stage); err != nil {
		return err
	}
	if err := checkEvents(events); err != nil {
		return err
	}
	return s.insertRow(ctx, "create session", "A session with this id or secret exists already.", "No such user.", events, `INSERT INTO sessions (id, hash, user_id, created_at, stage, method, seen_at, expires_at, pending, verified_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
		append([]any{sess.ID, bytesArg(sess.Hash), sess.UserID, timeArg(sess.CreatedAt)}, sessionArgs(sess)...)...)
}

// SessionByHash returns the session whose secret hashes to hash.
func (s *Store) SessionByHash(ctx context.Context, hash []byte) (*navette.Session, error) {
	return queryByKey(ctx, s, "session", scanSession, `SELECT `+sessionCols+` FROM sessions WHERE hash = $1`, hash)
}

// UpdateSession loads the session in a write transaction, calls fn, and
// writes back what fn changed (stage, method, seen time, expiry, pending
// state, verification time) with the events it returns. Returns EINVALID if fn leaves an
// unknown stage or no expiry.
func (s *Store) UpdateSession(ctx context.Context, id string, fn func(sess *navette.Session) ([]navette.Event, error)) error {
	return updateRow(ctx, s, id, rowUpdate[*navette.Session]{
		what:  "session",
		load:  `SELECT ` + sessionCols + ` FROM sessions WHERE id = $1`,
		scan:  scanSession,
		args:  sessionArgs,
		check: checkSession,
		write: `UPDATE sessions SET stage = $2, method = $3, seen_at = $4, expires_at = $5,
				pending = $6, verified_at = $7 WHERE id = $1`,
	}, fn)
}

// checkSession checks what UpdateSession's fn leaves: a known stage and an
// expiry.
func checkSession(sess *navette.Session) error {
	if err := checkStage(sess.Stage); err != nil {
		return err
	}
	if sess.ExpiresAt.IsZero() {
		return invalid("A session needs an expiry.")
	}
	return nil
}

// DeleteSession ends the session, with events.
func (s *Store) DeleteSession(ctx context.Context, id string, events ...navette.Event) error {
	if err := checkEvents(events); err != nil {
		return err
	}
	return s.inTx(ctx, "delete session", func(tx *sql.Tx) error {
		if err := s.execOne(ctx, tx, "delete session", "No such session.", `DELETE FROM sessions WHERE id = $1`, id); err != nil {
			return err
		}
		return s.insertEvents(ctx, tx, events)
	})
}

// DeleteSessions ends every session of a user, with events, appended even
// if there was none.
func (s *Store) DeleteSessions(ctx context.Context, userID string, events ...navette.Event) (int, error) {
	if err := checkEvents(events); err != nil {
		return 0, err
	}
	var n int64
	err := s.inTx(ctx, "delete sessions", func(tx *sql.Tx) error {
		var err error
		if n, err = s.execCount(ctx, tx, "delete sessions", `DELETE FROM sessions WHERE user_id = $1`, userID); err != nil {
			return err
		}
		return s.insertEvents(ctx, tx, events)
	})
	return int(n), err
}

// Sessions returns the user's live sessions, newest first (ties broken by
// id, descending), without their hash or pending state.
func (s *Store) Sessions(ctx context.Context, userID string, now, idleSince time.Time) ([]*navette.Session, error) {
	return queryAll(ctx, s, s.rdb, "list sessions", scanSession, `SELECT id, NULL, user_id, stage, method, created_at, seen_at, expires_at, NULL, verified_at
		FROM sessions WHERE user_id = $1 AND expires_at > $2 AND COALESCE(seen_at, created_at) > $3
		ORDER BY created_at DESC, id DESC`, userID, now.UnixMicro(), idleSince.UnixMicro())
}

// DeleteStaleSessions removes sessions whose expiry is at or before now, or
// last seen (or, if never, created) at or before idleSince.
func (s *Store) DeleteStaleSessions(ctx context.Context, now, idleSince time.Time) (int, error) {
	n, err := s.execCount(ctx, s.wdb, "delete stale sessions", `DELETE FROM sessions WHERE expires_at <= $1 OR seen_at <= $2
		OR (seen_at IS NULL AND created_at <= $2)`, now.UnixMicro(), idleSince.UnixMicro())
	if err != nil {
		return 0, err
	}
	return int(n), nil
}

// scanCode reads the columns codeCols.
func scanCode(row scanner) (*navette.SignInCode, error) {
	var (
		c                      navette.SignInCode
		created, expires, used sql.NullInt64
	)
	if err := row.Scan(&c.ID, &c.UserID, &c.Hash, &created, &expires, &c.Attempts, &used); err != nil {
		return nil, err
	}
	c.Hash = bytesCol(c.Hash)
	c.CreatedAt = timeCol(created)
	c.ExpiresAt = timeCol(expires)
	c.UsedAt = timeCol(used)
	return &c, nil
}

// CreateSignInCode adds c. Returns EINVALID if it has no hash, creation
// time or expiry, or a negative number of attempts.
func (s *Store) CreateSignInCode(ctx context.Context, c *navette.SignInCode, events ...navette.Event) error {
	switch {
	case c == nil:
		return invalid("No code given.")
	case len(c.Hash) == 0:
		return invalid("A code needs a hash.")
	case c.CreatedAt.IsZero():
		return invalid("A code needs a creation time.")
	case c.ExpiresAt.IsZero():
		return invalid("A code needs an expiry.")
	case c.Attempts < 0:
		return invalid("A code cannot have a negative number of attempts.")
	}
	if err := checkEvents(events); err != nil {
		return err
	}
	return s.insertRow(ctx, "create sign-in code", "A code with this id exists already.", "No such user.", events, `INSERT INTO sign_in_codes (`+codeCols+`) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
		c.ID, c.UserID, bytesArg(c.Hash), timeArg(c.CreatedAt), timeArg(c.ExpiresAt), c.Attempts, timeArg(c.UsedAt))
}

// SignInCodes returns the user's codes created at or after since, newest
// first (ties broken by id, descending).
func (s *Store) SignInCodes(ctx context.Context, userID string, since time.Time) ([]*navette.SignInCode, error) {
	return queryAll(ctx, s, s.rdb, "list sign-in codes", scanCode, `SELECT `+codeCols+` FROM sign_in_codes WHERE user_id = $1 AND created_at >= $2
		ORDER BY created_at DESC, id DESC`, userID, since.UnixMicro())
}

// UpdateSignInCode loads the code in a write transaction, calls fn, and
// writes back what fn changed (attempts, used time) with the events it
// returns. Returns EINVALID if fn leaves a negative number of attempts.
func (s *Store) UpdateSignInCode(ctx context.Context, id string, fn func(c *navette.SignInCode) ([]navette.Event, error)) error {
	return s.inTx(ctx, "update sign-in code", func(tx *sql.Tx) error {
		c, err := queryOne(s, "load sign-in code", "No such code.", scanCode, tx.QueryRowContext(ctx, `SELECT `+codeCols+` FROM sign_in_codes WHERE id = $1`+s.lock, id))
		if err != nil {
			return err
		}
		attempts, used := c.Attempts, timeArg(c.UsedAt)
		events, err := fn(c)
		if err != nil {
			return err
		}
		if c.Attempts < 0 {
			return invalid("A code cannot have a negative number of attempts.")
		}
		if err := checkEvents(events); err != nil {
			return err
		}
		if c.Attempts != attempts || timeArg(c.UsedAt) != used {
			_, err := tx.ExecContext(ctx, `UPDATE sign_in_codes SET attempts = $2, used_at = $3 WHERE id = $1`,
				id, c.Attempts, timeArg(c.UsedAt))
			if err != nil {
				return s.internal(err, "write sign-in code")
			}
		}
		return s.insertEvents(ctx, tx, events)
	})
}

// DeleteSignInCodes removes codes that expired at or before before.
func (s *Store) DeleteSignInCodes(ctx context.Context, before time.Time) (int, error) {
	n, err := s.execCount(ctx, s.wdb, "delete sign-in codes", `DELETE FROM sign_in_codes WHERE expires_at <= $1`, before.UnixMicro())
	if err != nil {
		return 0, err
	}
	return int(n), nil
}

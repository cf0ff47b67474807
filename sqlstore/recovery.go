package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"strings"

	"navette"
)

var _ navette.RecoveryStore = (*Store)(nil)

// SetRecoveryCodes replaces the recovery codes of userID with codes. The
// user's row is locked first, so that two replacements at once leave one
// set, not a mix.
func (s *Store) SetRecoveryCodes(ctx context.Context, userID string, codes []*navette.RecoveryCode, events ...navette.Event) error {
	if err := checkRecoveryCodes(userID, codes); err != nil {
		return err
	}
	if err := checkEvents(events); err != nil {
		return err
	}
	return s.inTx(ctx, "set recovery codes", func(tx *sql.Tx) error {
		if err := s.lockRow(ctx, tx, "users", userID, "set recovery codes", "No such user."); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM recovery_codes WHERE user_id = $1`, userID); err != nil {
			return s.internal(err, "set recovery codes")
		}
		if err := s.insertRecoveryCodes(ctx, tx, codes); err != nil {
			return err
		}
		return s.insertEvents(ctx, tx, events)
	})
}

// checkRecoveryCodes checks that codes are whole recovery codes of userID.
func checkRecoveryCodes(userID string, codes []*navette.RecoveryCode) error {
	for _, c := range codes {
		switch {
		case c == nil || len(c.Hash) == 0:
			return invalid("A recovery code needs its digest.")
		case c.UserID != userID:
			return invalid("A recovery code is another user's.")
		case c.CreatedAt.IsZero():
			return invalid("A recovery code needs a creation time.")
		}
	}
	return nil
}

// insertRecoveryCodes inserts codes in tx.
func (s *Store) insertRecoveryCodes(ctx context.Context, tx *sql.Tx, codes []*navette.RecoveryCode) error {
	for _, c := range codes {
		_, err := tx.ExecContext(ctx, `INSERT INTO recovery_codes (id, user_id, hash, created_at) VALUES ($1, $2, $3, $4)`,
			c.ID, c.UserID, bytesArg(c.Hash), timeArg(c.CreatedAt))
		if err != nil {
			return s.insertErr(err, "set recovery codes", "A recovery code with this id exists already.", "No such user.")
		}
	}
	return nil
}

// RecoveryCodes returns the user's unused recovery codes, oldest first.
func (s *Store) RecoveryCodes(ctx context.Context, userID string) ([]*navette.RecoveryCode, error) {
	return queryAll(ctx, s, s.rdb, "list recovery codes", scanRecoveryCode,
		`SELECT id, user_id, hash, created_at FROM recovery_codes WHERE user_id = $1 ORDER BY created_at, id`, userID)
}

// scanRecoveryCode reads a recovery code's id, user, hash and creation.
func scanRecoveryCode(row scanner) (*navette.RecoveryCode, error) {
	var (
		c       navette.RecoveryCode
		created sql.NullInt64
	)
	err := row.Scan(&c.ID, &c.UserID, &c.Hash, &created)
	c.Hash, c.CreatedAt = bytesCol(c.Hash), timeCol(created)
	return &c, err
}

// UseRecoveryCode removes the code: of two uses at once, one removes it
// and the other finds it gone.
func (s *Store) UseRecoveryCode(ctx context.Context, userID, id string, fn func(left int) []navette.Event) error {
	return s.inTx(ctx, "use recovery code", func(tx *sql.Tx) error {
		if err := s.execOne(ctx, tx, "use recovery code", "No such recovery code.", `DELETE FROM recovery_codes WHERE id = $1 AND user_id = $2`, id, userID); err != nil {
			return err
		}
		var left int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM recovery_codes WHERE user_id = $1`, userID).Scan(&left); err != nil {
			return s.internal(err, "use recovery code")
		}
		var events []navette.Event
		if fn != nil {
			events = fn(left)
		}
		if err := checkEvents(events); err != nil {
			return err
		}
		return s.insertEvents(ctx, tx, events)
	})
}

const recoveryCols = "id, user_id, state, created_at, expires_at, decided_by, decided_at, updated_at"

func scanRecovery(row scanner) (*navette.RecoveryRequest, error) {
	var (
		r                                  navette.RecoveryRequest
		created, expires, decided, updated sql.NullInt64
	)
	if err := row.Scan(&r.ID, &r.UserID, &r.State, &created, &expires, &r.DecidedBy, &decided, &updated); err != nil {
		return nil, err
	}
	r.CreatedAt, r.ExpiresAt, r.DecidedAt, r.UpdatedAt = timeCol(created), timeCol(expires), timeCol(decided), timeCol(updated)
	return &r, nil
}

func checkRecovery(r *navette.RecoveryRequest) error {
	switch {
	case !r.State.Valid():
		return invalid("Unknown recovery request state %q.", r.State)
	case r.CreatedAt.IsZero() || r.ExpiresAt.IsZero():
		return invalid("A recovery request needs a creation time and an expiry.")
	}
	return nil
}

// recoveryArgs returns the columns UpdateRecoveryRequest writes, in the
// order of its SET list.
func recoveryArgs(r *navette.RecoveryRequest) []any {
	return []any{string(r.State), timeArg(r.ExpiresAt), r.DecidedBy, timeArg(r.DecidedAt), timeArg(r.UpdatedAt)}
}

// CreateRecoveryRequest adds r.
func (s *Store) CreateRecoveryRequest(ctx context.Context, r *navette.RecoveryRequest, events ...navette.Event) error {
	if r == nil {
		return invalid("No recovery request given.")
	}
	if err := checkRecovery(r); err != nil {
		return err
	}
	if err := checkEvents(events); err != nil {
		return err
	}
	if r.UpdatedAt.IsZero() {
		r.UpdatedAt = r.CreatedAt
	}
	return s.insertRow(ctx, "create recovery request", "A recovery request with this id exists already.", "No such user.", events, `INSERT INTO recovery_requests (`+recoveryCols+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
		r.ID, r.UserID, string(r.State), timeArg(r.CreatedAt), timeArg(r.ExpiresAt), r.DecidedBy, timeArg(r.DecidedAt), timeArg(r.UpdatedAt))
}

// RecoveryRequest returns the request id.
func (s *Store) RecoveryRequest(ctx context.Context, id string) (*navette.RecoveryRequest, error) {
	return queryOne(s, "get recovery request", "No such recovery request.", scanRecovery, s.rdb.QueryRowContext(ctx, `SELECT `+recoveryCols+` FROM recovery_requests WHERE id = $1`, id))
}

// RecoveryRequests returns the requests f selects, newest first.
func (s *Store) RecoveryRequests(ctx context.Context, f navette.RecoveryFilter) ([]*navette.RecoveryRequest, error) {
	var (
		where []string
		args  sqlArgs
	)
	arg := args.add
	if f.UserID != "" {
		where = append(where, "r.user_id = "+arg(f.UserID))
	}
	if f.CourtID != "" {
		where = append(where, "u.court_id = "+arg(f.CourtID))
	}
	if len(f.States) > 0 {
		var in []string
		for _, st := range f.States {
			in = append(in, arg(string(st)))
		}
		where = append(where, "r.state IN ("+strings.Join(in, ", ")+")")
	}
	if !f.Since.IsZero() {
		where = append(where, "r.created_at >= "+arg(f.Since.UnixMicro()))
	}
	limit := f.Limit
	if limit <= 0 {
		limit = 100
	}
	q := `SELECT r.id, r.user_id, r.state, r.created_at, r.expires_at, r.decided_by, r.decided_at, r.updated_at
		FROM recovery_requests r JOIN users u ON u.id = r.user_id`
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	q += " ORDER BY r.created_at DESC, r.id DESC LIMIT " + arg(limit)
	return queryAll(ctx, s, s.rdb, "list recovery requests", scanRecovery, q, args...)
}

// UpdateRecoveryRequest loads the request in a write transaction, calls
// fn, and writes back what fn changed.
func (s *Store) UpdateRecoveryRequest(ctx context.Context, id string, fn func(r *navette.RecoveryRequest) ([]navette.Event, error)) error {
	return updateRow(ctx, s, id, rowUpdate[*navette.RecoveryRequest]{
		what:  "recovery request",
		load:  `SELECT ` + recoveryCols + ` FROM recovery_requests WHERE id = $1`,
		scan:  scanRecovery,
		args:  recoveryArgs,
		check: checkRecovery,
		write: `UPDATE recovery_requests SET state = $2, expires_at = $3, decided_by = $4, decided_at = $5, updated_at = $6
				WHERE id = $1`,
	}, fn)
}

var _ navette.ActorEventStore = (*Store)(nil)

// EventsByActor returns the last limit events of actorID, newest first.
func (s *Store) EventsByActor(ctx context.Context, actorID string, limit int) ([]navette.Event, error) {
	limit, err := limitArg(limit, 20)
	if err != nil {
		return nil, err
	}
	rows, err := s.rdb.QueryContext(ctx, `SELECT `+eventCols+` FROM events WHERE actor_id = $1 ORDER BY seq DESC LIMIT $2`, actorID, limit)
	if err != nil {
		return nil, s.internal(err, "list events")
	}
	return s.scanEvents(rows)
}

// CompleteRecovery completes an approved recovery request: the request,
// the person's factors and sessions change in one transaction.
func (s *Store) CompleteRecovery(ctx context.Context, c *navette.RecoveryCompletion, events ...navette.Event) error {
	if c == nil || c.RequestID == "" || c.UserID == "" || c.At.IsZero() {
		return invalid("A recovery completion needs its request, user and time.")
	}
	if err := checkEvents(events); err != nil {
		return err
	}
	return s.inTx(ctx, "complete recovery", func(tx *sql.Tx) error {
		if err := s.completeRequest(ctx, tx, c); err != nil {
			return err
		}
		removed, err := s.resetFactors(ctx, tx, c)
		if err != nil {
			return err
		}
		for _, q := range []string{`DELETE FROM recovery_codes WHERE user_id = $1`, `DELETE FROM sessions WHERE user_id = $1`} {
			if _, err := tx.ExecContext(ctx, q, c.UserID); err != nil {
				return s.internal(err, "complete recovery")
			}
		}
		return s.insertEvents(ctx, tx, append(removed, events...))
	})
}

// resetFactors replaces the TOTP secret of c.UserID and removes their
// passkeys but c.KeepPasskey, and returns the events of what it removed.
func (s *Store) resetFactors(ctx context.Context, tx *sql.Tx, c *navette.RecoveryCompletion) ([]navette.Event, error) {
	var removed []navette.Event
	if had, err := s.replaceTOTP(ctx, tx, c); err != nil {
		return nil, err
	} else if had {
		removed = append(removed, navette.Event{Time: c.At, Type: navette.EventUserUpdated, ActorID: c.UserID, Detail: c.UserID + " totp reset"})
	}
	keys, err := s.dropPasskeys(ctx, tx, c)
	if err != nil {
		return nil, err
	}
	for _, id := range keys {
		removed = append(removed, navette.Event{Time: c.At, Type: navette.EventPasskeyRemoved, ActorID: c.UserID, Detail: id})
	}
	return removed, nil
}

// completeRequest marks the request of c completed, if it is c.UserID's
// and approved at c.At.
func (s *Store) completeRequest(ctx context.Context, tx *sql.Tx, c *navette.RecoveryCompletion) error {
	r, err := queryOne(s, "complete recovery", "No such recovery request.", scanRecovery, tx.QueryRowContext(ctx, `SELECT `+recoveryCols+` FROM recovery_requests WHERE id = $1`+s.lock, c.RequestID))
	if err != nil {
		return err
	}
	if r.UserID != c.UserID || r.StateAt(c.At) != navette.RecoveryApproved {
		return navette.Errorf(navette.ECONFLICT, "This recovery request is not approved (any more).")
	}
	_, err = tx.ExecContext(ctx, `UPDATE recovery_requests SET state = $2, updated_at = $3 WHERE id = $1`,
		c.RequestID, string(navette.RecoveryCompleted), timeArg(c.At))
	if err != nil {
		return s.internal(err, "complete recovery")
	}
	return nil
}

// replaceTOTP sets the TOTP secret of c.UserID to c.TOTP and reports
// whether they had one before.
func (s *Store) replaceTOTP(ctx context.Context, tx *sql.Tx, c *navette.RecoveryCompletion) (bool, error) {
	var old string
	err := tx.QueryRowContext(ctx, `SELECT totp_key_id FROM users WHERE id = $1`+s.lock, c.UserID).Scan(&old)
	if errors.Is(err, sql.ErrNoRows) {
		return false, navette.Errorf(navette.ENOTFOUND, "No such user.")
	} else if err != nil {
		return false, s.internal(err, "complete recovery")
	}
	_, err = tx.ExecContext(ctx, `UPDATE users SET totp_key_id = $2, totp_key_data = $3, totp_step = $4, updated_at = $5 WHERE id = $1`,
		c.UserID, c.TOTP.KeyID, bytesArg(c.TOTP.Data), c.TOTPStep, timeArg(c.At))
	if err != nil {
		return false, s.internal(err, "complete recovery")
	}
	return old != "", nil
}

// dropPasskeys removes the passkeys of c.UserID but c.KeepPasskey and
// returns their ids.
func (s *Store) dropPasskeys(ctx context.Context, tx *sql.Tx, c *navette.RecoveryCompletion) ([]string, error) {
	ids, err := queryAll(ctx, s, tx, "complete recovery", scanString,
		`SELECT id FROM passkeys WHERE user_id = $1 AND id <> $2 ORDER BY id`, c.UserID, c.KeepPasskey)
	if err != nil {
		return nil, err
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM passkeys WHERE user_id = $1 AND id <> $2`, c.UserID, c.KeepPasskey); err != nil {
		return nil, s.internal(err, "complete recovery")
	}
	return ids, nil
}

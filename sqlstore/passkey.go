package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"navette"
)

var _ navette.PasskeyStore = (*Store)(nil)

const passkeyCols = "id, user_id, credential_id, name, record, sign_count, created_at, last_used_at"

// scanPasskey reads the columns passkeyCols.
func scanPasskey(row scanner) (*navette.Passkey, error) {
	var (
		p             navette.Passkey
		created, used sql.NullInt64
	)
	if err := row.Scan(&p.ID, &p.UserID, &p.CredentialID, &p.Name, &p.Record, &p.SignCount, &created, &used); err != nil {
		return nil, err
	}
	p.CredentialID = bytesCol(p.CredentialID)
	p.Record = bytesCol(p.Record)
	p.CreatedAt = timeCol(created)
	p.LastUsedAt = timeCol(used)
	return &p, nil
}

// passkeyArgs returns the columns of p that UpdatePasskey writes, in the
// order of its SET list.
func passkeyArgs(p *navette.Passkey) []any {
	return []any{p.Name, bytesArg(p.Record), p.SignCount, timeArg(p.LastUsedAt)}
}

// checkPasskey refuses a passkey that storage cannot keep.
func checkPasskey(p *navette.Passkey) error {
	switch {
	case len(p.Record) == 0:
		return invalid("A passkey needs its credential record.")
	case p.SignCount < 0:
		return invalid("A passkey's signature counter cannot be negative.")
	}
	return nil
}

// CreatePasskey adds p.
func (s *Store) CreatePasskey(ctx context.Context, p *navette.Passkey, events ...navette.Event) error {
	switch {
	case p == nil:
		return invalid("No passkey given.")
	case len(p.CredentialID) == 0:
		return invalid("A passkey needs a credential id.")
	case p.CreatedAt.IsZero():
		return invalid("A passkey needs a creation time.")
	}
	if err := checkPasskey(p); err != nil {
		return err
	}
	if err := checkEvents(events); err != nil {
		return err
	}
	return s.insertRow(ctx, "create passkey", "This passkey is registered already.", "No such user.", events, `INSERT INTO passkeys (`+passkeyCols+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
		p.ID, p.UserID, bytesArg(p.CredentialID), p.Name, bytesArg(p.Record), p.SignCount, timeArg(p.CreatedAt), timeArg(p.LastUsedAt))
}

// Passkeys returns the user's passkeys, oldest first (ties by id).
func (s *Store) Passkeys(ctx context.Context, userID string) ([]*navette.Passkey, error) {
	return queryAll(ctx, s, s.rdb, "list passkeys", scanPasskey, `SELECT `+passkeyCols+` FROM passkeys WHERE user_id = $1 ORDER BY created_at, id`, userID)
}

// PasskeyByCredentialID returns the passkey with the given credential id.
func (s *Store) PasskeyByCredentialID(ctx context.Context, credentialID []byte) (*navette.Passkey, error) {
	return queryByKey(ctx, s, "passkey", scanPasskey, `SELECT `+passkeyCols+` FROM passkeys WHERE credential_id = $1`, credentialID)
}

// UpdatePasskey loads the passkey in a write transaction, calls fn, and
// writes back what fn changed (name, record, sign count, last use).
func (s *Store) UpdatePasskey(ctx context.Context, id string, fn func(p *navette.Passkey) ([]navette.Event, error)) error {
	return updateRow(ctx, s, id, rowUpdate[*navette.Passkey]{
		what:  "passkey",
		load:  `SELECT ` + passkeyCols + ` FROM passkeys WHERE id = $1`,
		scan:  scanPasskey,
		args:  passkeyArgs,
		check: checkPasskey,
		write: `UPDATE passkeys SET name = $2, record = $3, sign_count = $4, last_used_at = $5
				WHERE id = $1`,
	}, fn)
}

// DeletePasskey removes the passkey id of userID. With keepFactor, the
// user's row is locked first, so that two removals at once cannot both
// see the other's passkey and leave none.
func (s *Store) DeletePasskey(ctx context.Context, userID, id string, keepFactor bool, events ...navette.Event) error {
	if err := checkEvents(events); err != nil {
		return err
	}
	return s.inTx(ctx, "delete passkey", func(tx *sql.Tx) error {
		if keepFactor {
			if err := s.checkNotLastFactor(ctx, tx, userID, id); err != nil {
				return err
			}
		}
		if err := s.execOne(ctx, tx, "delete passkey", "No such passkey.", `DELETE FROM passkeys WHERE id = $1 AND user_id = $2`, id, userID); err != nil {
			return err
		}
		return s.insertEvents(ctx, tx, events)
	})
}

// checkNotLastFactor refuses to delete the passkey id of userID if it is
// the user's last second factor: no TOTP key and no other passkey.
func (s *Store) checkNotLastFactor(ctx context.Context, tx *sql.Tx, userID, id string) error {
	var totp string
	err := tx.QueryRowContext(ctx, `SELECT totp_key_id FROM users WHERE id = $1`+s.lock, userID).Scan(&totp)
	if errors.Is(err, sql.ErrNoRows) {
		return navette.Errorf(navette.ENOTFOUND, "No such passkey.")
	} else if err != nil {
		return s.internal(err, "delete passkey")
	}
	if totp != "" {
		return nil
	}
	var others int
	err = tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM passkeys WHERE user_id = $1 AND id <> $2`, userID, id).Scan(&others)
	if err != nil {
		return s.internal(err, "delete passkey")
	}
	if others > 0 {
		return nil
	}
	var mine int
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM passkeys WHERE user_id = $1 AND id = $2`, userID, id).Scan(&mine); err != nil {
		return s.internal(err, "delete passkey")
	}
	if mine == 0 {
		return navette.Errorf(navette.ENOTFOUND, "No such passkey.")
	}
	return navette.Errorf(navette.ECONFLICT, "This passkey is your last second factor: add another one before removing it.")
}

// CreatePasskeyChallenge adds c.
func (s *Store) CreatePasskeyChallenge(ctx context.Context, c *navette.PasskeyChallenge) error {
	switch {
	case c == nil:
		return invalid("No challenge given.")
	case len(c.Binding) == 0:
		return invalid("A challenge needs a binding.")
	case len(c.Data) == 0:
		return invalid("A challenge needs its data.")
	case c.ExpiresAt.IsZero():
		return invalid("A challenge needs an expiry.")
	}
	_, err := s.wdb.ExecContext(ctx, `INSERT INTO passkey_challenges (id, binding, data, expires_at) VALUES ($1, $2, $3, $4)`,
		c.ID, bytesArg(c.Binding), bytesArg(c.Data), timeArg(c.ExpiresAt))
	if err != nil {
		return s.insertErr(err, "create passkey challenge", "A challenge with this id exists already.", "")
	}
	return nil
}

// TakePasskeyChallenge removes the challenge id and returns it.
func (s *Store) TakePasskeyChallenge(ctx context.Context, id string) (*navette.PasskeyChallenge, error) {
	var c *navette.PasskeyChallenge
	err := s.inTx(ctx, "take passkey challenge", func(tx *sql.Tx) error {
		var (
			x       navette.PasskeyChallenge
			expires sql.NullInt64
		)
		err := tx.QueryRowContext(ctx, `SELECT id, binding, data, expires_at FROM passkey_challenges WHERE id = $1`+s.lock, id).
			Scan(&x.ID, &x.Binding, &x.Data, &expires)
		if errors.Is(err, sql.ErrNoRows) {
			return navette.Errorf(navette.ENOTFOUND, "No such challenge.")
		} else if err != nil {
			return s.internal(err, "take passkey challenge")
		}
		if err := s.execOne(ctx, tx, "take passkey challenge", "No such challenge.", `DELETE FROM passkey_challenges WHERE id = $1`, id); err != nil {
			return err
		}
		x.Binding, x.Data, x.ExpiresAt = bytesCol(x.Binding), bytesCol(x.Data), timeCol(expires)
		c = &x
		return nil
	})
	return c, err
}

// DeletePasskeyChallenges removes challenges that expired at or before
// before.
func (s *Store) DeletePasskeyChallenges(ctx context.Context, before time.Time) (int, error) {
	n, err := s.execCount(ctx, s.wdb, "delete passkey challenges", `DELETE FROM passkey_challenges WHERE expires_at <= $1`, before.UnixMicro())
	if err != nil {
		return 0, err
	}
	return int(n), nil
}

package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"slices"
	"strings"
	"time"

	"navette"
)

// tokenCols are the columns of tokens, in the order scanToken reads them.
// scopes holds the scopes separated by spaces.
const tokenCols = "id, user_id, hash, label, scopes, created_at, expires_at, revoked_at, last_used_at"

// scanToken reads the columns tokenCols.
func scanToken(row scanner) (*navette.Token, error) {
	var (
		t                               navette.Token
		scopes                          string
		created, expires, revoked, used sql.NullInt64
	)
	if err := row.Scan(&t.ID, &t.UserID, &t.Hash, &t.Label, &scopes, &created, &expires, &revoked, &used); err != nil {
		return nil, err
	}
	for _, sc := range strings.Fields(scopes) {
		t.Scopes = append(t.Scopes, navette.Scope(sc))
	}
	t.Hash = bytesCol(t.Hash)
	t.CreatedAt = timeCol(created)
	t.ExpiresAt = timeCol(expires)
	t.RevokedAt = timeCol(revoked)
	t.LastUsed = timeCol(used)
	return &t, nil
}

// scopesArg returns the scopes as stored, refusing none, unknown ones and
// repeated ones.
func scopesArg(scopes []navette.Scope) (string, error) {
	if len(scopes) == 0 {
		return "", invalid("A token needs at least one scope.")
	}
	words := make([]string, len(scopes))
	for i, sc := range scopes {
		if !slices.Contains(navette.Scopes, sc) {
			return "", invalid("Unknown scope %q.", sc)
		}
		if slices.Contains(scopes[:i], sc) {
			return "", invalid("The scope %q is given twice.", sc)
		}
		words[i] = string(sc)
	}
	return strings.Join(words, " "), nil
}

// CreateToken adds t. Returns EINVALID if it has no hash, no creation time,
// no scope or an unknown one.
func (s *Store) CreateToken(ctx context.Context, t *navette.Token, events ...navette.Event) error {
	if t == nil {
		return invalid("No token given.")
	}
	if len(t.Hash) == 0 {
		return invalid("A token needs a hash.")
	}
	if t.CreatedAt.IsZero() {
		return invalid("A token needs a creation time.")
	}
	scopes, err := scopesArg(t.Scopes)
	if err != nil {
		return err
	}
	if err := checkEvents(events); err != nil {
		return err
	}
	return s.insertRow(ctx, "create token", "A token with this id or secret exists already.", "No such user.", events, `INSERT INTO tokens (`+tokenCols+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
		t.ID, t.UserID, bytesArg(t.Hash), t.Label, scopes, timeArg(t.CreatedAt), timeArg(t.ExpiresAt),
		timeArg(t.RevokedAt), timeArg(t.LastUsed))
}

// TokenByHash returns the token whose secret hashes to hash.
func (s *Store) TokenByHash(ctx context.Context, hash []byte) (*navette.Token, error) {
	return queryByKey(ctx, s, "token", scanToken, `SELECT `+tokenCols+` FROM tokens WHERE hash = $1`, hash)
}

// Tokens returns the user's tokens, newest first (ties broken by id,
// descending).
func (s *Store) Tokens(ctx context.Context, userID string) ([]*navette.Token, error) {
	return queryAll(ctx, s, s.rdb, "list tokens", scanToken, `SELECT `+tokenCols+` FROM tokens WHERE user_id = $1
		ORDER BY created_at DESC, id DESC`, userID)
}

// RevokeToken revokes the token at at, with events, unless it is revoked
// already. Returns EINVALID for a zero time.
func (s *Store) RevokeToken(ctx context.Context, id string, at time.Time, events ...navette.Event) error {
	if at.IsZero() {
		return invalid("A revocation needs a time.")
	}
	if err := checkEvents(events); err != nil {
		return err
	}
	return s.inTx(ctx, "revoke token", func(tx *sql.Tx) error {
		var revoked sql.NullInt64
		err := tx.QueryRowContext(ctx, `SELECT revoked_at FROM tokens WHERE id = $1`+s.lock, id).Scan(&revoked)
		if errors.Is(err, sql.ErrNoRows) {
			return navette.Errorf(navette.ENOTFOUND, "No such token.")
		} else if err != nil {
			return s.internal(err, "load token")
		}
		if revoked.Valid {
			return nil
		}
		if _, err := tx.ExecContext(ctx, `UPDATE tokens SET revoked_at = $2 WHERE id = $1`, id, timeArg(at)); err != nil {
			return s.internal(err, "revoke token")
		}
		return s.insertEvents(ctx, tx, events)
	})
}

// TouchToken records that the token was used at at, truncated to the
// minute. It writes only when that moves the last use forward, so a token
// used many times a minute costs one write. Returns ENOTFOUND if there is no
// such token, EINVALID for a zero time.
func (s *Store) TouchToken(ctx context.Context, id string, at time.Time) error {
	if at.IsZero() {
		return invalid("A use needs a time.")
	}
	minute := at.Truncate(time.Minute).UnixMicro()
	var used sql.NullInt64
	err := s.rdb.QueryRowContext(ctx, `SELECT last_used_at FROM tokens WHERE id = $1`, id).Scan(&used)
	if errors.Is(err, sql.ErrNoRows) {
		return navette.Errorf(navette.ENOTFOUND, "No such token.")
	} else if err != nil {
		return s.internal(err, "touch token")
	}
	if used.Valid && used.Int64 >= minute {
		return nil
	}
	_, err = s.wdb.ExecContext(ctx, `UPDATE tokens SET last_used_at = $2
		WHERE id = $1 AND (last_used_at IS NULL OR last_used_at < $2)`, id, minute)
	if err != nil {
		return s.internal(err, "touch token")
	}
	return nil
}

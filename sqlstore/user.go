package sqlstore

import (
	"context"
	"database/sql"
	"errors"

	"navette"
)

const userCols = "id, email, name, role, disabled, lang, created_at"

// CreateUser adds u.
func (s *Store) CreateUser(ctx context.Context, u *navette.User, events ...navette.Event) error {
	if u == nil {
		return invalid("No user given.")
	}
	if u.CreatedAt.IsZero() {
		return invalid("A user needs a creation time.")
	}
	if !navette.ValidLang(u.Lang) {
		return invalid("Unknown language %q.", u.Lang)
	}
	if err := checkEvents(events); err != nil {
		return err
	}
	return s.inTx(ctx, "create user", func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO users (`+userCols+`) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
			u.ID, u.Email, u.Name, string(u.Role), boolArg(u.Disabled), u.Lang, timeArg(u.CreatedAt))
		if err != nil {
			return s.insertErr(err, "create user", "A user with this id or e-mail address exists already.", "")
		}
		return s.insertEvents(ctx, tx, events)
	})
}

// User returns the user with the given id.
func (s *Store) User(ctx context.Context, id string) (*navette.User, error) {
	return s.user(ctx, `SELECT `+userCols+` FROM users WHERE id = $1`, id)
}

// UserByEmail returns the user with the given e-mail address, compared
// exactly: callers normalize it with navette.NormalizeEmail, on writes as on
// reads.
func (s *Store) UserByEmail(ctx context.Context, email string) (*navette.User, error) {
	return s.user(ctx, `SELECT `+userCols+` FROM users WHERE email = $1`, email)
}

func (s *Store) user(ctx context.Context, query, arg string) (*navette.User, error) {
	var (
		u        navette.User
		role     string
		disabled int64
		created  sql.NullInt64
	)
	err := s.rdb.QueryRowContext(ctx, query, arg).Scan(&u.ID, &u.Email, &u.Name, &role, &disabled, &u.Lang, &created)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, navette.Errorf(navette.ENOTFOUND, "No such user.")
	} else if err != nil {
		return nil, s.internal(err, "get user")
	}
	u.Role = navette.Role(role)
	u.Disabled = disabled != 0
	u.CreatedAt = timeCol(created)
	return &u, nil
}

const tokenCols = "id, user_id, hash, label, created_at, expires_at, revoked_at"

// CreateToken adds t.
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
	if err := checkEvents(events); err != nil {
		return err
	}
	return s.inTx(ctx, "create token", func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO tokens (`+tokenCols+`) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
			t.ID, t.UserID, bytesArg(t.Hash), t.Label, timeArg(t.CreatedAt), timeArg(t.ExpiresAt), timeArg(t.RevokedAt))
		if err != nil {
			return s.insertErr(err, "create token", "A token with this id or secret exists already.", "No such user.")
		}
		return s.insertEvents(ctx, tx, events)
	})
}

// TokenByHash returns the token whose secret hashes to hash.
func (s *Store) TokenByHash(ctx context.Context, hash []byte) (*navette.Token, error) {
	if len(hash) == 0 {
		return nil, navette.Errorf(navette.ENOTFOUND, "No such token.")
	}
	var (
		t                         navette.Token
		created, expires, revoked sql.NullInt64
	)
	err := s.rdb.QueryRowContext(ctx, `SELECT `+tokenCols+` FROM tokens WHERE hash = $1`, hash).
		Scan(&t.ID, &t.UserID, &t.Hash, &t.Label, &created, &expires, &revoked)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, navette.Errorf(navette.ENOTFOUND, "No such token.")
	} else if err != nil {
		return nil, s.internal(err, "get token")
	}
	t.Hash = bytesCol(t.Hash)
	t.CreatedAt = timeCol(created)
	t.ExpiresAt = timeCol(expires)
	t.RevokedAt = timeCol(revoked)
	return &t, nil
}

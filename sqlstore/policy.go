package sqlstore

import (
	"context"
	"database/sql"
	"maps"
	"reflect"
	"time"

	"navette"
)

// Policy returns the platform's security policy as last saved; the zero
// Policy if it never changed.
func (s *Store) Policy(ctx context.Context) (*navette.Policy, error) {
	return s.readPolicy(ctx, s.rdb, "")
}

// querier is what reads the policy: the pool or a transaction.
type querier interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

// readPolicy reads the policy through q, its row locked with lock.
func (s *Store) readPolicy(ctx context.Context, q querier, lock string) (*navette.Policy, error) {
	var (
		p      navette.Policy
		bypass int64
		at     int64
	)
	err := q.QueryRowContext(ctx, `SELECT antivirus_bypass, updated_at, updated_by, request_id FROM policy WHERE id = 1`+lock).
		Scan(&bypass, &at, &p.UpdatedBy, &p.RequestID)
	if err != nil && err != sql.ErrNoRows {
		return nil, s.internal(err, "read policy")
	}
	p.AntivirusBypass = bypass == 1
	if at != 0 {
		p.UpdatedAt = time.UnixMicro(at).UTC()
	}
	rows, err := q.QueryContext(ctx, `SELECT role, level FROM policy_assurance ORDER BY role`)
	if err != nil {
		return nil, s.internal(err, "read policy")
	}
	defer rows.Close()
	p.MinAssurance = map[navette.Role]navette.Assurance{}
	for rows.Next() {
		var role, level string
		if err := rows.Scan(&role, &level); err != nil {
			return nil, s.internal(err, "read policy")
		}
		p.MinAssurance[navette.Role(role)] = navette.Assurance(level)
	}
	if err := rows.Err(); err != nil {
		return nil, s.internal(err, "read policy")
	}
	return &p, nil
}

// UpdatePolicy loads the policy in a write transaction, calls fn with it
// and writes back what fn changed, with fn's events.
func (s *Store) UpdatePolicy(ctx context.Context, fn func(p *navette.Policy) ([]navette.Event, error)) error {
	return s.inTx(ctx, "update policy", func(tx *sql.Tx) error {
		p, err := s.readPolicy(ctx, tx, s.lock)
		if err != nil {
			return err
		}
		before := *p
		before.MinAssurance = maps.Clone(p.MinAssurance)
		events, err := callUpdate(p, fn, checkPolicy)
		if err != nil {
			return err
		}
		if !reflect.DeepEqual(*p, before) {
			if err := s.writePolicy(ctx, tx, p); err != nil {
				return err
			}
		}
		return s.insertEvents(ctx, tx, events)
	})
}

// checkPolicy returns EINVALID if p names a role that does not sign in,
// an unknown level, or lacks its update time.
func checkPolicy(p *navette.Policy) error {
	if p.UpdatedAt.IsZero() {
		return invalid("A policy needs the time it changed.")
	}
	for role, level := range p.MinAssurance {
		if !role.CanSignIn() || level.Rank() == 0 {
			return invalid("No minimum assurance %q for role %q.", level, role)
		}
	}
	return nil
}

// writePolicy replaces the stored policy with p in tx.
func (s *Store) writePolicy(ctx context.Context, tx *sql.Tx, p *navette.Policy) error {
	bypass := 0
	if p.AntivirusBypass {
		bypass = 1
	}
	_, err := tx.ExecContext(ctx, `UPDATE policy SET antivirus_bypass = $1, updated_at = $2, updated_by = $3, request_id = $4 WHERE id = 1`,
		bypass, p.UpdatedAt.UnixMicro(), p.UpdatedBy, p.RequestID)
	if err != nil {
		return s.internal(err, "write policy")
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM policy_assurance`); err != nil {
		return s.internal(err, "write policy")
	}
	for _, role := range p.Roles() {
		if _, err := tx.ExecContext(ctx, `INSERT INTO policy_assurance (role, level) VALUES ($1, $2)`, string(role), string(p.MinAssurance[role])); err != nil {
			return s.internal(err, "write policy")
		}
	}
	return nil
}

package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"slices"
	"time"

	"navette"
)

const (
	courtCols  = "id, code, name, source, created_at"
	memberCols = "service_id, user_id, source, created_at"
)

// scanCourt reads the columns courtCols.
func scanCourt(row scanner) (*navette.Court, error) {
	var (
		c       navette.Court
		created sql.NullInt64
	)
	if err := row.Scan(&c.ID, &c.Code, &c.Name, &c.Source, &created); err != nil {
		return nil, err
	}
	c.CreatedAt = timeCol(created)
	return &c, nil
}

// CreateCourt adds c, and adds its code and name to the search terms of the
// users that name it already. Returns EINVALID if it has no id, code or
// creation time.
func (s *Store) CreateCourt(ctx context.Context, c *navette.Court, events ...navette.Event) error {
	switch {
	case c == nil:
		return invalid("No court given.")
	case c.ID == "":
		return invalid("A court needs an id.")
	case c.Code == "":
		return invalid("A court needs a code.")
	case c.CreatedAt.IsZero():
		return invalid("A court needs a creation time.")
	}
	if err := checkEvents(events); err != nil {
		return err
	}
	return s.inTx(ctx, "create court", func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO courts (`+courtCols+`) VALUES ($1, $2, $3, $4, $5)`,
			c.ID, c.Code, c.Name, c.Source, timeArg(c.CreatedAt))
		if err != nil {
			return s.insertErr(err, "create court", "A court with this id or code exists already.", "")
		}
		if err := s.indexCourtUsers(ctx, tx, c.ID); err != nil {
			return err
		}
		return s.insertEvents(ctx, tx, events)
	})
}

// Court returns the court with the given id.
func (s *Store) Court(ctx context.Context, id string) (*navette.Court, error) {
	return s.court(ctx, `SELECT `+courtCols+` FROM courts WHERE id = $1`, id)
}

// CourtByCode returns the court with the given code.
func (s *Store) CourtByCode(ctx context.Context, code string) (*navette.Court, error) {
	return s.court(ctx, `SELECT `+courtCols+` FROM courts WHERE code = $1`, code)
}

func (s *Store) court(ctx context.Context, query, arg string) (*navette.Court, error) {
	return queryOne(s, "get court", "No such court.", scanCourt, s.rdb.QueryRowContext(ctx, query, arg))
}

// Courts returns every court, by code.
func (s *Store) Courts(ctx context.Context) ([]*navette.Court, error) {
	return queryAll(ctx, s, s.rdb, "list courts", scanCourt, `SELECT `+courtCols+` FROM courts ORDER BY code`)
}

// loadService checks, in tx, that serviceID is a service mailbox; with
// lock, the row is locked until tx ends.
func (s *Store) loadService(ctx context.Context, tx *sql.Tx, serviceID string, lock bool) error {
	q := `SELECT role FROM users WHERE id = $1`
	if lock {
		q += s.lock
	}
	var role string
	err := tx.QueryRowContext(ctx, q, serviceID).Scan(&role)
	if errors.Is(err, sql.ErrNoRows) {
		return navette.Errorf(navette.ENOTFOUND, "No such service.")
	} else if err != nil {
		return s.internal(err, "load service")
	}
	if navette.Role(role) != navette.RoleService {
		return invalid("This user is not a service mailbox.")
	}
	return nil
}

// AddMember makes m.UserID a member of the service m.ServiceID. Returns
// EINVALID if m has no creation time.
func (s *Store) AddMember(ctx context.Context, m *navette.Member, events ...navette.Event) error {
	if m == nil {
		return invalid("No membership given.")
	}
	if m.CreatedAt.IsZero() {
		return invalid("A membership needs a creation time.")
	}
	if err := checkEvents(events); err != nil {
		return err
	}
	return s.inTx(ctx, "add member", func(tx *sql.Tx) error {
		if err := s.loadService(ctx, tx, m.ServiceID, false); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO members (`+memberCols+`) VALUES ($1, $2, $3, $4)`,
			m.ServiceID, m.UserID, m.Source, timeArg(m.CreatedAt))
		if err != nil {
			return s.insertErr(err, "add member", "This user is a member of the service already.", "No such user.")
		}
		return s.insertEvents(ctx, tx, events)
	})
}

// RemoveMember ends a membership, whatever its source.
func (s *Store) RemoveMember(ctx context.Context, serviceID, userID string, events ...navette.Event) error {
	if err := checkEvents(events); err != nil {
		return err
	}
	return s.inTx(ctx, "remove member", func(tx *sql.Tx) error {
		if err := s.execOne(ctx, tx, "remove member", "No such membership.", `DELETE FROM members WHERE service_id = $1 AND user_id = $2`, serviceID, userID); err != nil {
			return err
		}
		return s.insertEvents(ctx, tx, events)
	})
}

// SetMembers makes userIDs the members of serviceID from source: the
// memberships of source whose user is not in userIDs end, and users of
// userIDs who are not members get a membership of source created at at. A
// user who is a member through another source keeps that membership as it
// is. The service is locked, so that two calls on it apply one after the
// other. Returns EINVALID for a zero time.
func (s *Store) SetMembers(ctx context.Context, serviceID, source string, userIDs []string, at time.Time, events ...navette.Event) error {
	if at.IsZero() {
		return invalid("A membership needs a creation time.")
	}
	if err := checkEvents(events); err != nil {
		return err
	}
	want := slices.Clone(userIDs)
	slices.Sort(want)
	want = slices.Compact(want)
	return s.inTx(ctx, "set members", func(tx *sql.Tx) error {
		if err := s.loadService(ctx, tx, serviceID, true); err != nil {
			return err
		}
		have, err := s.memberSources(ctx, tx, serviceID)
		if err != nil {
			return err
		}
		if err := s.endMemberships(ctx, tx, serviceID, source, have, want); err != nil {
			return err
		}
		if err := s.addMemberships(ctx, tx, serviceID, source, have, want, at); err != nil {
			return err
		}
		return s.insertEvents(ctx, tx, events)
	})
}

// memberSources returns, in tx, the source of each membership of
// serviceID, by user.
func (s *Store) memberSources(ctx context.Context, tx *sql.Tx, serviceID string) (map[string]string, error) {
	pairs, err := queryAll(ctx, s, tx, "load members", scanPair, `SELECT user_id, source FROM members WHERE service_id = $1`, serviceID)
	if err != nil {
		return nil, err
	}
	have := make(map[string]string, len(pairs))
	for _, p := range pairs {
		have[p[0]] = p[1]
	}
	return have, nil
}

// endMemberships ends, in tx, the memberships of serviceID from source
// (of have, by user) whose user is not in want, sorted.
func (s *Store) endMemberships(ctx context.Context, tx *sql.Tx, serviceID, source string, have map[string]string, want []string) error {
	for u, src := range have {
		if _, found := slices.BinarySearch(want, u); src == source && !found {
			if _, err := tx.ExecContext(ctx, `DELETE FROM members WHERE service_id = $1 AND user_id = $2`, serviceID, u); err != nil {
				return s.internal(err, "remove member")
			}
		}
	}
	return nil
}

// addMemberships makes, in tx, the users of want who are not members of
// serviceID (have) members from source, created at at.
func (s *Store) addMemberships(ctx context.Context, tx *sql.Tx, serviceID, source string, have map[string]string, want []string, at time.Time) error {
	for _, u := range want {
		if _, ok := have[u]; ok {
			continue
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO members (`+memberCols+`) VALUES ($1, $2, $3, $4)`,
			serviceID, u, source, timeArg(at))
		if err != nil {
			return s.insertErr(err, "add member", "This user is a member of the service already.", "No such user.")
		}
	}
	return nil
}

// Members returns the memberships of a service, oldest first (ties broken
// by user id).
func (s *Store) Members(ctx context.Context, serviceID string) ([]*navette.Member, error) {
	return s.queryMembers(ctx, `SELECT `+memberCols+` FROM members WHERE service_id = $1 ORDER BY created_at, user_id`, serviceID)
}

// Memberships returns the memberships of a user, oldest first (ties broken
// by service id).
func (s *Store) Memberships(ctx context.Context, userID string) ([]*navette.Member, error) {
	return s.queryMembers(ctx, `SELECT `+memberCols+` FROM members WHERE user_id = $1 ORDER BY created_at, service_id`, userID)
}

func (s *Store) queryMembers(ctx context.Context, query, arg string) ([]*navette.Member, error) {
	return queryAll(ctx, s, s.rdb, "list members", scanMember, query, arg)
}

// scanMember reads the columns memberCols.
func scanMember(row scanner) (*navette.Member, error) {
	var (
		m       navette.Member
		created sql.NullInt64
	)
	err := row.Scan(&m.ServiceID, &m.UserID, &m.Source, &created)
	m.CreatedAt = timeCol(created)
	return &m, err
}

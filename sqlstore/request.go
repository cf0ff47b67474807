package sqlstore

import (
	"context"
	"database/sql"
	"strings"

	"navette"
)

var _ navette.RequestStore = (*Store)(nil)

const requestCols = "id, requester_id, action, params, params_hash, reason, court_id, created_at, expires_at, state, reviewer_id, reviewed_at, executed_at, failure"

// scanRequest reads the columns requestCols.
func scanRequest(row scanner) (*navette.AdminRequest, error) {
	var (
		r                                   navette.AdminRequest
		created, expires, reviewed, execute sql.NullInt64
	)
	if err := row.Scan(&r.ID, &r.RequesterID, &r.Action, &r.Params, &r.ParamsHash, &r.Reason, &r.CourtID,
		&created, &expires, &r.State, &r.ReviewerID, &reviewed, &execute, &r.Error); err != nil {
		return nil, err
	}
	r.Params, r.ParamsHash = bytesCol(r.Params), bytesCol(r.ParamsHash)
	r.CreatedAt, r.ExpiresAt = timeCol(created), timeCol(expires)
	r.ReviewedAt, r.ExecutedAt = timeCol(reviewed), timeCol(execute)
	return &r, nil
}

// requestArgs returns the columns of r that UpdateRequest writes, in the
// order of its SET list.
func requestArgs(r *navette.AdminRequest) []any {
	return []any{string(r.State), r.ReviewerID, timeArg(r.ReviewedAt), timeArg(r.ExecutedAt), r.Error}
}

// checkRequest refuses a request that storage cannot keep.
func checkRequest(r *navette.AdminRequest) error {
	switch {
	case r == nil:
		return invalid("No request given.")
	case !r.Action.Valid():
		return invalid("Unknown request action %q.", r.Action)
	case len(r.Params) == 0 || len(r.ParamsHash) == 0:
		return invalid("A request needs its parameters and their hash.")
	case r.CreatedAt.IsZero() || r.ExpiresAt.IsZero():
		return invalid("A request needs a creation and an expiry time.")
	case !r.State.Valid():
		return invalid("Unknown request state %q.", r.State)
	}
	return nil
}

// CreateRequest adds r.
func (s *Store) CreateRequest(ctx context.Context, r *navette.AdminRequest, events ...navette.Event) error {
	if err := checkRequest(r); err != nil {
		return err
	}
	if err := checkEvents(events); err != nil {
		return err
	}
	return s.insertRow(ctx, "create request", "A request with this id exists already.", "No such user.", events, `INSERT INTO admin_requests (`+requestCols+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)`,
		r.ID, r.RequesterID, string(r.Action), bytesArg(r.Params), bytesArg(r.ParamsHash), r.Reason, r.CourtID,
		timeArg(r.CreatedAt), timeArg(r.ExpiresAt), string(r.State), r.ReviewerID, timeArg(r.ReviewedAt), timeArg(r.ExecutedAt), r.Error)
}

// Request returns the request id.
func (s *Store) Request(ctx context.Context, id string) (*navette.AdminRequest, error) {
	return queryOne(s, "get request", "No such request.", scanRequest, s.rdb.QueryRowContext(ctx, `SELECT `+requestCols+` FROM admin_requests WHERE id = $1`, id))
}

// Requests returns requests, newest first.
func (s *Store) Requests(ctx context.Context, f navette.RequestFilter) ([]*navette.AdminRequest, error) {
	limit := f.Limit
	if limit <= 0 {
		limit = 100
	}
	var where []string
	var args []any
	if f.State != "" {
		args = append(args, string(f.State))
		where = append(where, `state = `+placeholders(len(args), 1))
	}
	if f.Action != "" {
		args = append(args, string(f.Action))
		where = append(where, `action = `+placeholders(len(args), 1))
	}
	if !f.ExpiredBy.IsZero() {
		args = append(args, timeArg(f.ExpiredBy))
		where = append(where, `expires_at <= `+placeholders(len(args), 1))
	}
	q := `SELECT ` + requestCols + ` FROM admin_requests`
	if len(where) > 0 {
		q += ` WHERE ` + strings.Join(where, ` AND `)
	}
	q += ` ORDER BY created_at DESC, id DESC LIMIT ` + placeholders(len(args)+1, 1)
	return queryAll(ctx, s, s.rdb, "list requests", scanRequest, q, append(args, limit)...)
}

// UpdateRequest loads the request in a write transaction, calls fn, and
// writes back its state, reviewer and times.
func (s *Store) UpdateRequest(ctx context.Context, id string, fn func(r *navette.AdminRequest) ([]navette.Event, error)) error {
	return updateRow(ctx, s, id, rowUpdate[*navette.AdminRequest]{
		what: "request",
		load: `SELECT ` + requestCols + ` FROM admin_requests WHERE id = $1`,
		scan: scanRequest,
		args: requestArgs,
		check: func(r *navette.AdminRequest) error {
			if !r.State.Valid() {
				return invalid("Unknown request state %q.", r.State)
			}
			return nil
		},
		write: `UPDATE admin_requests SET state = $2, reviewer_id = $3, reviewed_at = $4, executed_at = $5, failure = $6
				WHERE id = $1`,
	}, fn)
}

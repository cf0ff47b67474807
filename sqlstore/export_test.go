package sqlstore

import (
	"context"
	"database/sql"

	"navette"
)

// WhyConflict is the message of SaveUsers for a conflict of a user of
// batch, read through s's read pool, and the number of queries it took, for
// tests.
func WhyConflict(ctx context.Context, s *Store, batch []*navette.User) (string, int) {
	q := &countQueries{q: s.rdb}
	return whyConflict(ctx, q, s.d.QuestionMarks, batch), q.n
}

// countQueries is a queryer that counts the queries it passes on to q.
type countQueries struct {
	q queryer
	n int
}

func (c *countQueries) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	c.n++
	return c.q.QueryContext(ctx, query, args...)
}

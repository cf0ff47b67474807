package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"reflect"
	"strconv"

	"navette"
)

// scanner is a row to read: a *sql.Row or the current row of a *sql.Rows.
type scanner = interface {
	Scan(dest ...any) error
}

// queryAll runs query through q and reads each row it returns with scan;
// op names what failed in an error.
func queryAll[T any](ctx context.Context, s *Store, q queryer, op string, scan func(scanner) (T, error), query string, args ...any) ([]T, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, s.internal(err, op)
	}
	defer rows.Close()
	var out []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, s.internal(err, op)
		}
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		return nil, s.internal(err, op)
	}
	return out, nil
}

// queryOne reads row with scan: ENOTFOUND with the message notFound if
// there is no row; op names what failed in another error.
func queryOne[T any](s *Store, op, notFound string, scan func(scanner) (T, error), row *sql.Row) (T, error) {
	v, err := scan(row)
	if errors.Is(err, sql.ErrNoRows) {
		var zero T
		return zero, navette.Errorf(navette.ENOTFOUND, "%s", notFound)
	} else if err != nil {
		var zero T
		return zero, s.internal(err, op)
	}
	return v, nil
}

// queryByKey reads with scan the row that query selects by $1, key, a
// secret's hash or a credential id: ENOTFOUND "No such what." if there is
// none. An empty key, stored as NULL (bytesArg), matches no row.
func queryByKey[T any](ctx context.Context, s *Store, what string, scan func(scanner) (T, error), query string, key []byte) (T, error) {
	notFound := "No such " + what + "."
	if len(key) == 0 {
		var zero T
		return zero, navette.Errorf(navette.ENOTFOUND, "%s", notFound)
	}
	return queryOne(s, "get "+what, notFound, scan, s.rdb.QueryRowContext(ctx, query, key))
}

// scanString reads a row of one text column.
func scanString(row scanner) (string, error) {
	var v string
	err := row.Scan(&v)
	return v, err
}

// scanPair reads a row of two text columns.
func scanPair(row scanner) ([2]string, error) {
	var p [2]string
	err := row.Scan(&p[0], &p[1])
	return p, err
}

// sqlArgs are the arguments of a query being built.
type sqlArgs []any

// add appends v to the arguments and returns its placeholder.
func (a *sqlArgs) add(v any) string {
	*a = append(*a, v)
	return "$" + strconv.Itoa(len(*a))
}

// rowUpdate is how updateRow loads, checks and writes back a row of a
// table, named what in errors.
type rowUpdate[T any] struct {
	what  string
	load  string                   // SELECT of the row whose id is $1
	scan  func(scanner) (T, error) // reads the row load selects
	args  func(T) []any            // the columns fn may change: write's $2, $3…
	check func(T) error            // what fn must leave valid
	write string                   // UPDATE of the row whose id is $1
}

// updateRow loads the row id in a write transaction, calls fn, checks what
// it left, and writes back the row if fn changed it, with the events fn
// returns.
func updateRow[T any](ctx context.Context, s *Store, id string, u rowUpdate[T], fn func(T) ([]navette.Event, error)) error {
	return s.inTx(ctx, "update "+u.what, func(tx *sql.Tx) error {
		v, err := queryOne(s, "load "+u.what, "No such "+u.what+".", u.scan, tx.QueryRowContext(ctx, u.load+s.lock, id))
		if err != nil {
			return err
		}
		before := u.args(v)
		events, err := callUpdate(v, fn, u.check)
		if err != nil {
			return err
		}
		if after := u.args(v); !reflect.DeepEqual(after, before) {
			if _, err := tx.ExecContext(ctx, u.write, append([]any{id}, after...)...); err != nil {
				return s.internal(err, "write "+u.what)
			}
		}
		return s.insertEvents(ctx, tx, events)
	})
}

// callUpdate calls fn, an update's, on v, the record it loaded, and
// returns fn's events once fn succeeded, check (if not nil) accepts what
// fn left in v and the events are valid; nothing is written before.
func callUpdate[T any](v T, fn func(T) ([]navette.Event, error), check func(T) error) ([]navette.Event, error) {
	events, err := fn(v)
	if err != nil {
		return nil, err
	}
	if check != nil {
		if err := check(v); err != nil {
			return nil, err
		}
	}
	if err := checkEvents(events); err != nil {
		return nil, err
	}
	return events, nil
}

// insertRow runs the INSERT query with args and appends events, in one
// write transaction named op; a unique or foreign key violation is
// ECONFLICT with the message conflict or ENOTFOUND with notFound, as
// insertErr says.
func (s *Store) insertRow(ctx context.Context, op, conflict, notFound string, events []navette.Event, query string, args ...any) error {
	return s.inTx(ctx, op, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, query, args...); err != nil {
			return s.insertErr(err, op, conflict, notFound)
		}
		return s.insertEvents(ctx, tx, events)
	})
}

// lockRow locks, in tx, the row id of table (deposits, users) until tx
// ends: ENOTFOUND with the message notFound if there is none; op names the
// operation in other errors.
func (s *Store) lockRow(ctx context.Context, tx *sql.Tx, table, id, op, notFound string) error {
	_, err := queryOne(s, op, notFound, scanString, tx.QueryRowContext(ctx, `SELECT id FROM `+table+` WHERE id = $1`+s.lock, id))
	return err
}

// execer runs statements: a *sql.DB or a *sql.Tx.
type execer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

// execCount runs query through q and returns how many rows it changed; op
// names what failed in an error.
func (s *Store) execCount(ctx context.Context, q execer, op, query string, args ...any) (int64, error) {
	res, err := q.ExecContext(ctx, query, args...)
	if err != nil {
		return 0, s.internal(err, op)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, s.internal(err, op)
	}
	return n, nil
}

// execOne runs query in tx and returns ENOTFOUND with the message notFound
// if it changed no row; op names what failed in other errors.
func (s *Store) execOne(ctx context.Context, tx *sql.Tx, op, notFound, query string, args ...any) error {
	n, err := s.execCount(ctx, tx, op, query, args...)
	if err != nil {
		return err
	}
	if n == 0 {
		return navette.Errorf(navette.ENOTFOUND, "%s", notFound)
	}
	return nil
}

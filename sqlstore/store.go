// Package sqlstore implements navette.MetaStore over database/sql with SQL
// that SQLite and PostgreSQL both accept. What differs between the two
// engines is described by a Dialect; the packages that open a database
// (navette/sqlite, and later a PostgreSQL one) supply it and own the schema.
//
// The SQL it sends uses $1, $2… placeholders; times are INTEGER Unix
// microseconds in UTC, NULL for the zero time; byte strings are BLOB/BYTEA,
// NULL when empty; booleans are INTEGER 0 or 1.
package sqlstore

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"navette"
)

// Dialect describes what differs between the database engines a Store can
// run on.
type Dialect struct {
	// Name names the engine in error messages, such as "sqlite".
	Name string
	// LockRows, when true, appends " FOR NO KEY UPDATE" to the queries that load
	// rows inside a write transaction before changing them (UpdateDeposit,
	// UpdateFile, CreateFile, UpdateUser, UpdateSession, UpdateSignInCode,
	// RevokeToken, SetMembers, CreateCourt). PostgreSQL needs it; SQLite
	// does not, as its write transactions already exclude each other, and
	// rejects the clause.
	LockRows bool
	// IsUniqueViolation reports whether err is the violation of a primary
	// key or unique constraint. Required.
	IsUniqueViolation func(err error) bool
	// IsForeignKeyViolation reports whether err is the violation of a
	// foreign key constraint. Required.
	IsForeignKeyViolation func(err error) bool
	// Classify, if set, gives the navette error code and the message for
	// users of a driver error that would otherwise be EINTERNAL, or "" to
	// leave it so: for instance EUNAVAILABLE when the server cannot be
	// reached, or EINVALID for text the database refuses to hold
	// (PostgreSQL refuses NUL bytes and invalid UTF-8; SQLite keeps any
	// bytes).
	Classify func(err error) (code, message string)
	// LockEvents, if not empty, is a statement run in a write transaction
	// just before it appends events. It must take a lock held until the
	// transaction ends, so that transactions appending events commit in
	// the order of the sequence numbers they draw and a reader paging with
	// EventFilter.AfterSeq never steps over an event committed late.
	// PostgreSQL, which draws identity values outside of any lock, needs it;
	// SQLite, whose writes are serialized, does not.
	LockEvents string
	// IdentityInsert, if not empty, is put between the column list and
	// VALUES when CopyFrom inserts journal rows with their own sequence
	// numbers (PostgreSQL: " OVERRIDING SYSTEM VALUE").
	IdentityInsert string
	// QuestionMarks, when true, writes the placeholders of the multi-row
	// INSERTs of bulk writes (a directory import, the journal's events and
	// tree), and of the lookup that explains an import's conflict, as ?,
	// bound in order, rather than $N. SQLite wants it: it keeps
	// a named parameter such as $N in a list it searches on every bind and
	// parse, a cost that grows with the square of a statement's parameters.
	// PostgreSQL accepts only $N.
	QuestionMarks bool
	// BulkInsert, if not empty, replaces INSERT at the head of those
	// multi-row INSERTs. SQLite's "INSERT OR FAIL" spares it a statement
	// journal (a copy of each page a statement changes, kept to undo that
	// statement alone should a row break a constraint): they all run in
	// transactions that any error rolls back whole.
	BulkInsert string
	// ResetIdentity, if not empty, is run after CopyFrom so that new journal
	// rows are numbered after the copied ones (PostgreSQL's identity does
	// not follow explicit inserts; SQLite's AUTOINCREMENT does).
	ResetIdentity string
	// Copy, if set, writes rows into the columns cols of table in one bulk
	// write (PostgreSQL: COPY FROM) on driverConn, the driver's connection
	// of an open transaction: next gives the rows in order, then nil. The
	// directory import writes its users and their search terms with it.
	Copy func(ctx context.Context, driverConn any, table string, cols []string, next func() ([]any, error)) error
}

// Store is a navette.MetaStore over database/sql. Writes go through the write
// pool, each in one transaction; reads that need no transaction go through the
// read pool. Its methods are safe for concurrent use.
//
// Besides the error codes of the navette.MetaStore documentation, methods
// return EINVALID for input that the schema cannot hold (a nil record, a zero
// creation time, an event without time or type, a negative limit, an unknown
// box, recipients given twice) and EINTERNAL wrapping the driver error for
// any other failure, unless the Dialect classifies it otherwise.
//
// Events are appended in the order given; the Seq they carry is ignored, as
// the database assigns it.
//
// The functions given to UpdateDeposit, UpdateFile, UpdateUser,
// UpdateSession and UpdateSignInCode run while the write transaction is
// open: they must not call the store's write methods, which would wait for
// that very transaction.
type Store struct {
	wdb, rdb *sql.DB
	d        Dialect
	lock     string // " FOR NO KEY UPDATE" or ""

	// users caches the number of users for SearchUsers' plans, counted
	// again once older than userCountTTL.
	users struct {
		sync.Mutex
		n  int
		at time.Time
	}

	// edge caches the journal tree's edge after this store's last append,
	// so that the next one need not read it back (see treeWriter).
	edge treeEdge

	// noTree is set by WithoutTree.
	noTree bool
}

// WithoutTree makes s append events to the hash chain only, with no leaf
// in the journal's Merkle tree, so that a benchmark can measure what the
// tree costs against the same code path without it. Only for benchmarks:
// the events appended after it have no leaf, hence no inclusion proof and
// no receipt.
func (s *Store) WithoutTree() { s.noTree = true }

var _ navette.MetaStore = (*Store)(nil)

// New returns a Store that writes through writeDB and reads through readDB,
// which may be the same pool. SQLite passes a pool of a single connection for
// writes and a pool of several for reads; PostgreSQL passes one pool twice.
// The schema must exist already. The Store owns the pools: Close closes them.
func New(writeDB, readDB *sql.DB, d Dialect) *Store {
	if d.IsUniqueViolation == nil || d.IsForeignKeyViolation == nil {
		panic("sqlstore: Dialect " + d.Name + " lacks an error classifier")
	}
	s := &Store{wdb: writeDB, rdb: readDB, d: d}
	if d.LockRows {
		// Not FOR UPDATE: that lock also blocks the key-share locks
		// foreign-key checks take, so a transaction appending events (whose
		// rows refer to the deposit) under the journal's lock would wait
		// for one holding the deposit's row and waiting for the journal's
		// lock: a deadlock, seen when a recipient opened a deposit while
		// another download was journaled. Nothing locked changes a key.
		s.lock = " FOR NO KEY UPDATE"
	}
	return s
}

// Ping checks that both pools reach the database.
func (s *Store) Ping(ctx context.Context) error {
	for _, db := range []*sql.DB{s.wdb, s.rdb} {
		if err := db.PingContext(ctx); err != nil {
			return navette.WrapError(navette.EUNAVAILABLE, err, "The database cannot be reached.")
		}
	}
	return nil
}

// Close releases both pools.
func (s *Store) Close() error {
	err := s.wdb.Close()
	if s.rdb != s.wdb {
		err = errors.Join(err, s.rdb.Close())
	}
	if err != nil {
		return s.internal(err, "close")
	}
	return nil
}

// internal wraps a driver error as an EINTERNAL navette error, as
// EUNAVAILABLE if the request's context ended, or as the error
// Dialect.Classify chooses. The message of an EINTERNAL error is left
// empty so that users see the generic one; op and the driver error are kept
// for the logs.
func (s *Store) internal(err error, op string) error {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		// The request ended before its answer: nothing is wrong with the
		// store, and the truthful answer, if one is still read, is to try
		// again.
		return navette.WrapError(navette.EUNAVAILABLE, fmt.Errorf("%s store: %s: %w", s.d.Name, op, err), "The request was interrupted; try again.")
	}
	if s.d.Classify != nil {
		if code, msg := s.d.Classify(err); code != "" {
			return navette.WrapError(code, fmt.Errorf("%s store: %s: %w", s.d.Name, op, err), "%s", msg)
		}
	}
	return navette.WrapError(navette.EINTERNAL, fmt.Errorf("%s store: %s: %w", s.d.Name, op, err), "")
}

// insertErr classifies the error of an INSERT: a unique violation becomes
// ECONFLICT with message conflict, a foreign key violation ENOTFOUND with
// message notFound, anything else EINTERNAL.
func (s *Store) insertErr(err error, op, conflict, notFound string) error {
	switch {
	case s.d.IsUniqueViolation(err):
		return navette.WrapError(navette.ECONFLICT, err, "%s", conflict)
	case notFound != "" && s.d.IsForeignKeyViolation(err):
		return navette.WrapError(navette.ENOTFOUND, err, "%s", notFound)
	}
	return s.internal(err, op)
}

// inTx runs f in a write transaction, committed if f returns nil and rolled
// back otherwise. f's error is returned unchanged: f reports driver errors as
// navette errors itself, and errors of callers' functions must reach them as
// they were.
func (s *Store) inTx(ctx context.Context, op string, f func(tx *sql.Tx) error) error {
	tx, err := s.wdb.BeginTx(ctx, nil)
	if err != nil {
		return s.internal(err, op+": begin")
	}
	return s.endTx(tx, op, f)
}

// endTx runs f in tx, then commits tx if f returns nil or rolls it back.
func (s *Store) endTx(tx *sql.Tx, op string, f func(tx *sql.Tx) error) error {
	defer tx.Rollback() // a no-op after Commit
	if err := f(tx); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return s.internal(err, op+": commit")
	}
	return nil
}

// inConnTx is inTx that also gives f the connection of the transaction,
// for the dialect's Copy. As sql.DB's BeginTx, it tries another
// connection when the driver finds the one it was given broken.
func (s *Store) inConnTx(ctx context.Context, op string, f func(conn *sql.Conn, tx *sql.Tx) error) error {
	for try := 0; ; try++ {
		conn, err := s.wdb.Conn(ctx)
		if err != nil {
			return s.internal(err, op+": begin")
		}
		tx, err := conn.BeginTx(ctx, nil)
		if errors.Is(err, driver.ErrBadConn) && try < 2 {
			conn.Close()
			continue
		} else if err != nil {
			conn.Close()
			return s.internal(err, op+": begin")
		}
		defer conn.Close()
		return s.endTx(tx, op, func(tx *sql.Tx) error { return f(conn, tx) })
	}
}

// invalid returns an EINVALID error.
func invalid(format string, args ...any) error {
	return navette.Errorf(navette.EINVALID, format, args...)
}

// queryer is what *sql.DB and *sql.Tx have in common that queryFiles needs.
type queryer interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

// Conversions between Go values and column values.

// timeArg returns t as Unix microseconds, or nil (NULL) for the zero time.
func timeArg(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UnixMicro()
}

// timeCol returns the time stored in n: UTC, zero for NULL.
func timeCol(n sql.NullInt64) time.Time {
	if !n.Valid {
		return time.Time{}
	}
	return time.UnixMicro(n.Int64).UTC()
}

// bytesArg returns a copy of b, or nil (NULL) when b is empty. The copy lets
// argument lists serve as snapshots that fn cannot change in place.
func bytesArg(b []byte) any {
	if len(b) == 0 {
		return nil
	}
	return append([]byte(nil), b...)
}

// nullString returns s, or nil (NULL) when it is empty.
func nullString(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// bytesCol returns b, or nil when it is empty.
func bytesCol(b []byte) []byte {
	if len(b) == 0 {
		return nil
	}
	return b
}

// boolArg returns b as 0 or 1.
func boolArg(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

// placeholders returns "$from, $from+1, …" for n parameters.
func placeholders(from, n int) string {
	b := make([]byte, 0, n*5)
	for i := range n {
		if i > 0 {
			b = append(b, ", "...)
		}
		b = fmt.Appendf(b, "$%d", from+i)
	}
	return string(b)
}

// questionMarks returns "?, ?, …" for n parameters bound in order, where
// placeholders(from, n) would number them from from.
func questionMarks(_, n int) string {
	return strings.Repeat("?, ", n-1) + "?"
}

// limitArg returns the limit to use: def for 0, EINVALID for a negative one.
func limitArg(n, def int) (int, error) {
	switch {
	case n < 0:
		return 0, invalid("The limit must not be negative.")
	case n == 0:
		return def, nil
	}
	return n, nil
}

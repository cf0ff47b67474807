// Package postgres keeps navette's metadata in a PostgreSQL database, through
// the pgx driver (github.com/jackc/pgx/v5, as a database/sql driver) and the
// SQL of package sqlstore, so that several stateless navette nodes can share
// one database.
//
// Open brings the schema up to date with goose under an advisory lock, so
// nodes starting together migrate one after the other. Events are appended
// under a transaction-level advisory lock: PostgreSQL draws identity values
// before commit, and without the lock a transaction could commit an event
// whose sequence number is lower than one a reader has already seen, which
// a reader paging with navette.EventFilter.AfterSeq would skip.
//
// Text columns sort and compare by bytes (COLLATE "C"), as in SQLite. Text
// holding NUL bytes or invalid UTF-8, which SQLite would keep, is refused
// with EINVALID. Failures to reach the server are EUNAVAILABLE.
//
// The package also provides Locker, an upload locker (navette.UploadLocker)
// that works across nodes.
package postgres

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"embed"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"

	"navette"
	"navette/sqlstore"
)

// migrations hold the schema, applied in order by goose at Open.
//
//go:embed migrations/*.sql
var migrations embed.FS

// Pool limits of a Store's connection pool. Every node has its own pool:
// the server's max_connections must exceed nodes × maxConns, plus the
// connections of each node's upload locks (see Locker).
const (
	maxConns        = 16
	connMaxLifetime = 30 * time.Minute
	connMaxIdleTime = 5 * time.Minute
)

// Pool limits of the pool that holds upload locks, one connection per upload
// in progress on the node, plus one that listens for unlock requests.
const (
	maxLockConns     = 64
	maxIdleLockConns = 4
)

// Advisory lock keys. The two-integer form is used so that they cannot
// collide with the single bigint keys of upload locks (PostgreSQL keeps the
// two key spaces apart).
const (
	lockSpace        = 0x6e617665 // "nave"
	lockMigration    = 1          // held by the node migrating the schema
	lockEvents       = 2          // held from a transaction's first event to its end
	lockSweep        = 3          // held by the one node sweeping
	lockJournalSign  = 4          // held by the one node signing a journal checkpoint
	lockJournalStamp = 5          // held by the one node time-stamping journal checkpoints
	lockCheck        = 6          // held by the one node checking stored files (antivirus)
	lockScrub        = 7          // held by the one node scrubbing
)

// dialect tells sqlstore how PostgreSQL differs from SQLite.
var dialect = sqlstore.Dialect{
	Name:     "postgres",
	LockRows: true,
	IsUniqueViolation: func(err error) bool {
		return pgCode(err) == "23505" // unique_violation
	},
	IsForeignKeyViolation: func(err error) bool {
		return pgCode(err) == "23503" // foreign_key_violation
	},
	Classify:   classify,
	LockEvents: fmt.Sprintf("SELECT pg_advisory_xact_lock(%d, %d)", lockSpace, lockEvents),
	// A migration copies the journal with its sequence numbers.
	IdentityInsert: " OVERRIDING SYSTEM VALUE",
	ResetIdentity:  "SELECT setval(pg_get_serial_sequence('events', 'seq'), GREATEST((SELECT max(seq) FROM events), 1))",
	Copy:           copyFrom,
}

// copyFrom writes rows into table with COPY FROM, on the pgx connection of
// the database/sql driver connection dc.
func copyFrom(ctx context.Context, dc any, table string, cols []string, next func() ([]any, error)) error {
	c, ok := dc.(*stdlib.Conn)
	if !ok {
		return fmt.Errorf("copy into %s: the connection is a %T", table, dc)
	}
	_, err := c.Conn().CopyFrom(ctx, pgx.Identifier{table}, cols, pgx.CopyFromFunc(next))
	return err
}

// pgCode returns the SQLSTATE of a PostgreSQL error in err's chain, or "".
func pgCode(err error) string {
	var e *pgconn.PgError
	if errors.As(err, &e) {
		return e.Code
	}
	return ""
}

// classify gives the navette code of the driver errors that are not
// EINTERNAL: text the database refuses (EINVALID), a server that cannot
// be reached or is going away and a transaction it rolled back as a
// deadlock's victim (EUNAVAILABLE: the client tries again), and a server
// whose disk is full (ENOSPACE).
func classify(err error) (code, message string) {
	if c := pgCode(err); c != "" {
		return classifyCode(c)
	}
	if lostConnection(err) {
		return navette.EUNAVAILABLE, unavailableText
	}
	return "", ""
}

// unavailableText is the message of a server that cannot be reached.
const unavailableText = "The database cannot be reached; try again later."

// classifyCode gives the navette code of a SQLSTATE, as classify.
func classifyCode(c string) (code, message string) {
	switch {
	case c == "22021" || c == "22P05": // character_not_in_repertoire, untranslatable_character
		return navette.EINVALID, "The text contains characters the database does not accept."
	case strings.HasPrefix(c, "08") || // connection_exception
		strings.HasPrefix(c, "57P") || // admin_shutdown, crash_shutdown, cannot_connect_now…
		c == "53300": // too_many_connections
		return navette.EUNAVAILABLE, unavailableText
	case c == "40P01" || c == "40001": // deadlock_detected, serialization_failure: rolled back, may be tried again
		return navette.EUNAVAILABLE, "The database was busy; try again later."
	case c == "53100": // disk_full
		return navette.ENOSPACE, "The database server's storage is full; try again later."
	}
	return "", ""
}

// lostConnection reports whether err, with no SQLSTATE, says the
// connection to the server failed or was lost.
func lostConnection(err error) bool {
	var (
		connErr *pgconn.ConnectError
		netErr  net.Error
	)
	return errors.As(err, &connErr) || errors.As(err, &netErr) || errors.Is(err, driver.ErrBadConn) ||
		errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || pgconn.SafeToRetry(err) ||
		// A transaction whose connection was lost under it (the server
		// restarted) ends with these rather than the network error.
		errors.Is(err, sql.ErrTxDone) || errors.Is(err, sql.ErrConnDone) || strings.Contains(err.Error(), "conn closed")
}

// Store is a navette.MetaStore in a PostgreSQL database. It also makes the
// upload locker of its node (Locker).
type Store struct {
	*sqlstore.Store
	cfg *pgx.ConnConfig

	mu     sync.Mutex
	closed bool
	locker *Locker
	lockDB *sql.DB
}

var _ navette.MetaStore = (*Store)(nil)

// Open connects to the database named by url, a PostgreSQL connection URL
// (postgres://user:password@host:port/dbname?sslmode=verify-full, or any
// form pgx accepts, with the PG* environment variables as defaults), and
// brings its schema up to date. The pool holds at most 16 connections.
// Returns EINVALID for a malformed url, EUNAVAILABLE if the server cannot be
// reached, EINTERNAL if the migration fails.
func Open(ctx context.Context, url string) (*Store, error) {
	cfg, err := pgx.ParseConfig(url)
	if err != nil {
		// pgx's error hides the password.
		return nil, navette.WrapError(navette.EINVALID, err, "The PostgreSQL URL is malformed.")
	}
	if _, ok := cfg.RuntimeParams["application_name"]; !ok {
		cfg.RuntimeParams["application_name"] = "navette"
	}
	db := stdlib.OpenDB(*cfg)
	db.SetMaxOpenConns(maxConns)
	db.SetMaxIdleConns(maxConns)
	db.SetConnMaxLifetime(connMaxLifetime)
	db.SetConnMaxIdleTime(connMaxIdleTime)
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, navette.WrapError(navette.EUNAVAILABLE, fmt.Errorf("postgres: connect to %s: %w", cfg.Host, err),
			"The database cannot be reached.")
	}
	if err := migrate(ctx, db); err != nil {
		db.Close()
		code := navette.EINTERNAL
		if c, _ := classify(err); c == navette.EUNAVAILABLE {
			code = c
		}
		return nil, navette.WrapError(code, fmt.Errorf("postgres: migrate: %w", err), "")
	}
	st := sqlstore.New(db, db, dialect)
	if err := st.CompleteTree(ctx); err != nil {
		db.Close()
		return nil, err
	}
	return &Store{Store: st, cfg: cfg}, nil
}

// migrate applies the migrations not yet applied, holding an advisory lock
// so that nodes starting at the same time migrate one after the other.
func migrate(ctx context.Context, db *sql.DB) (err error) {
	p, err := sqlstore.NewMigrations(goose.DialectPostgres, db, migrations)
	if err != nil {
		return err
	}
	// The lock is a session lock, held by a connection of its own while
	// goose works through others.
	conn, err := db.Conn(ctx)
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			// The lock may be held, or be granted as the query is cancelled:
			// ending the session releases it.
			discard(conn)
			return
		}
		conn.Close()
	}()
	if _, err := conn.ExecContext(ctx, "SELECT pg_advisory_lock($1, $2)", lockSpace, lockMigration); err != nil {
		return fmt.Errorf("lock: %w", err)
	}
	if _, err := p.Up(ctx); err != nil {
		return err
	}
	var unlocked bool
	if err := conn.QueryRowContext(ctx, "SELECT pg_advisory_unlock($1, $2)", lockSpace, lockMigration).Scan(&unlocked); err != nil {
		return fmt.Errorf("unlock: %w", err)
	}
	if !unlocked {
		return errors.New("unlock: the lock was not held")
	}
	return nil
}

// discard closes c and the connection under it instead of returning it to
// its pool, ending its session and so releasing its session locks.
func discard(c *sql.Conn) {
	_ = c.Raw(func(any) error { return driver.ErrBadConn })
	_ = c.Close() // already closed by Raw: ErrConnDone
}

// Locker returns the node's upload locker, which keeps its locks in the
// database so that two nodes never serve the same upload at once (see
// Locker). It is made on the first call, with a pool of connections of its
// own, and closed with the Store. A Store that is closed returns a locker
// whose locks fail.
func (s *Store) Locker() navette.UploadLocker {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.locker == nil {
		cfg := s.cfg.Copy()
		if cfg.RuntimeParams["application_name"] == "navette" {
			cfg.RuntimeParams["application_name"] = "navette-locks"
		}
		s.lockDB = stdlib.OpenDB(*cfg)
		s.lockDB.SetMaxOpenConns(maxLockConns)
		s.lockDB.SetMaxIdleConns(maxIdleLockConns)
		s.lockDB.SetConnMaxIdleTime(connMaxIdleTime)
		s.locker = NewLocker(s.lockDB)
		if s.closed {
			s.locker.Close()
			s.lockDB.Close()
		}
	}
	return s.locker
}

// Close releases the store's connections, and stops its locker: the
// connections of locks still held close as they are unlocked.
func (s *Store) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	var errs []error
	if s.locker != nil {
		errs = append(errs, s.locker.Close(), s.lockDB.Close())
	}
	s.mu.Unlock()
	if err := errors.Join(errs...); err != nil {
		s.Store.Close()
		return navette.WrapError(navette.EINTERNAL, fmt.Errorf("postgres: close locker: %w", err), "")
	}
	return s.Store.Close()
}

// Exclusive runs fn while holding a lock no other node can hold at the same
// time, and reports whether it ran: if another node holds the lock, it
// returns false at once. The lock is held on a connection of its own, so a
// node that dies releases it. The sweeper uses it so that several nodes
// never do the same purge or delete twice.
func (s *Store) Exclusive(ctx context.Context, fn func(context.Context) error) (bool, error) {
	return s.exclusive(ctx, lockSweep, fn)
}

// ExclusiveJournal is Exclusive with a lock of its own for each task of
// the journal's checkpoints (proof.Checkpointer): "sign", held by the node
// that signs a checkpoint, and "stamp", by the node that has them
// time-stamped; neither waits for the sweeper nor makes it wait. Returns
// EINVALID for another task.
func (s *Store) ExclusiveJournal(ctx context.Context, task string, fn func(context.Context) error) (bool, error) {
	switch task {
	case "sign":
		return s.exclusive(ctx, lockJournalSign, fn)
	case "stamp":
		return s.exclusive(ctx, lockJournalStamp, fn)
	}
	return false, navette.Errorf(navette.EINVALID, "No journal task is named %q.", task)
}

// ExclusiveJob is Exclusive for the background job named job, each with a
// lock of its own so that jobs do not wait for one another: "check" (the
// content checks of stored files) and "scrub" (the scrubber). Returns
// EINVALID for another name.
func (s *Store) ExclusiveJob(ctx context.Context, job string, fn func(context.Context) error) (bool, error) {
	switch job {
	case "check":
		return s.exclusive(ctx, lockCheck, fn)
	case "scrub":
		return s.exclusive(ctx, lockScrub, fn)
	}
	return false, navette.Errorf(navette.EINVALID, "No background job %q.", job)
}

// exclusive runs fn holding the advisory lock (lockSpace, key), if no other
// session holds it.
func (s *Store) exclusive(ctx context.Context, key int, fn func(context.Context) error) (bool, error) {
	conn, err := s.SQL().ReadDB().Conn(ctx)
	if err != nil {
		return false, navette.WrapError(navette.EUNAVAILABLE, err, "The database cannot be reached.")
	}
	defer conn.Close()
	var got bool
	if err := conn.QueryRowContext(ctx, "SELECT pg_try_advisory_lock($1, $2)", lockSpace, key).Scan(&got); err != nil {
		return false, navette.WrapError(navette.EUNAVAILABLE, err, "The database cannot be reached.")
	}
	if !got {
		return false, nil
	}
	defer func() {
		// If the unlock fails the connection is dropped, which releases it.
		var ok bool
		if err := conn.QueryRowContext(context.WithoutCancel(ctx), "SELECT pg_advisory_unlock($1, $2)", lockSpace, key).Scan(&ok); err != nil || !ok {
			conn.Raw(func(any) error { return driver.ErrBadConn })
		}
	}()
	return true, fn(ctx)
}

// SchemaVersion returns the schema version of the database at url and the
// latest one this binary knows, without changing anything. Returns
// EINVALID for a malformed url, EUNAVAILABLE if the server cannot be
// reached.
func SchemaVersion(ctx context.Context, url string) (current, latest int64, err error) {
	db, err := openDoctor(ctx, url)
	if err != nil {
		return 0, 0, err
	}
	defer db.Close()
	return sqlstore.SchemaVersions(ctx, "postgres", goose.DialectPostgres, db, migrations)
}

// Checkpointed reports whether the journal of the database at url has a
// signed checkpoint, without changing anything (for navette doctor).
func Checkpointed(ctx context.Context, url string) (bool, error) {
	db, err := openDoctor(ctx, url)
	if err != nil {
		return false, err
	}
	defer db.Close()
	return sqlstore.Checkpointed(ctx, db)
}

// openDoctor opens one connection to the database at url, named "navette
// doctor" unless the URL names it, for a look that changes nothing.
func openDoctor(ctx context.Context, url string) (*sql.DB, error) {
	cfg, err := pgx.ParseConfig(url)
	if err != nil {
		return nil, navette.WrapError(navette.EINVALID, err, "The PostgreSQL URL is malformed.")
	}
	if _, ok := cfg.RuntimeParams["application_name"]; !ok {
		cfg.RuntimeParams["application_name"] = "navette doctor"
	}
	db := stdlib.OpenDB(*cfg)
	db.SetMaxOpenConns(1)
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, navette.WrapError(navette.EUNAVAILABLE, fmt.Errorf("postgres: connect to %s: %w", cfg.Host, err),
			"The database cannot be reached.")
	}
	return db, nil
}

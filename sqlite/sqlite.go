// Package sqlite keeps navette's metadata in a SQLite database file, through
// the pure-Go driver modernc.org/sqlite and the SQL of package sqlstore.
//
// Every connection runs in WAL mode with synchronous=FULL (a commit is on disk
// when it returns, so files are acknowledged only once durable), foreign keys
// enforced, a busy timeout of 10 s, secure_delete on (deleted or overwritten
// content, such as purged keys, is zeroed in the file rather than left in
// free space), temporary data (statement journals, sorts) in memory, and
// the first GiB of the file mapped in memory, so that reads that jump around
// large indexes (recipient search) find their pages without a system call
// each. Writes go through a single connection whose transactions begin
// IMMEDIATE, with a page cache of 64 MiB so that a directory import of tens
// of thousands of users is not written out and read back while it runs;
// reads through a pool of read-only connections. Other processes, such as
// the admin command line, may open the same file at the same time.
package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/pressly/goose/v3"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"navette"
	"navette/sqlstore"
)

// migrations hold the schema, applied in order by goose at Open.
//
//go:embed migrations/*.sql
var migrations embed.FS

// readConns is the size of the read pool.
const readConns = 8

// pragmas are set on every connection, in the DSN.
var pragmas = []string{
	"busy_timeout(10000)",
	"foreign_keys(1)",
	"journal_mode(WAL)",
	"synchronous(FULL)",
	"secure_delete(ON)",
	"mmap_size(1073741824)",
	"temp_store(MEMORY)",
}

// writerCache is the page cache of the write connection.
const writerCache = "cache_size(-65536)"

// dialect tells sqlstore how SQLite differs from PostgreSQL.
var dialect = sqlstore.Dialect{
	Name:     "sqlite",
	LockRows: false, // the single writer connection and BEGIN IMMEDIATE exclude concurrent writes
	IsUniqueViolation: func(err error) bool {
		return hasCode(err, sqlite3.SQLITE_CONSTRAINT_UNIQUE, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY)
	},
	IsForeignKeyViolation: func(err error) bool {
		return hasCode(err, sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY)
	},
	Classify:      classify,
	QuestionMarks: true,
	BulkInsert:    "INSERT OR FAIL",
}

// classify makes a write refused for a full disk (SQLITE_FULL, whatever
// its extended code) an ENOSPACE error.
func classify(err error) (code, message string) {
	var e *sqlite.Error
	if errors.As(err, &e) && e.Code()&0xff == sqlite3.SQLITE_FULL {
		return navette.ENOSPACE, "The server's storage is full; try again later."
	}
	return "", ""
}

// hasCode reports whether err is a SQLite error with one of the extended
// result codes.
func hasCode(err error, codes ...int) bool {
	var e *sqlite.Error
	if !errors.As(err, &e) {
		return false
	}
	for _, c := range codes {
		if e.Code() == c {
			return true
		}
	}
	return false
}

// Store is a navette.MetaStore in a SQLite database file. Its Close closes
// both connection pools.
type Store struct {
	*sqlstore.Store
	wdb *sql.DB
}

var _ navette.MetaStore = (*Store)(nil)

// Open opens the database file at path, creating it (mode 0600, and its
// directory mode 0700) if needed, and brings its schema up to date.
func Open(path string) (*Store, error) {
	s, err := open(path)
	if err != nil {
		return nil, navette.WrapError(navette.EINTERNAL, fmt.Errorf("sqlite: open %s: %w", path, err), "")
	}
	return s, nil
}

func open(path string) (_ *Store, err error) {
	abs, err := createFile(path)
	if err != nil {
		return nil, err
	}
	dsn := abs + "?_pragma=" + strings.Join(pragmas, "&_pragma=")
	wdb, err := sql.Open("sqlite", dsn+"&_pragma="+writerCache+"&_txlock=immediate")
	if err != nil {
		return nil, err
	}
	wdb.SetMaxOpenConns(1)
	wdb.SetMaxIdleConns(1)
	wdb.SetConnMaxLifetime(0)
	wdb.SetConnMaxIdleTime(0)
	defer func() {
		if err != nil {
			wdb.Close()
		}
	}()
	if err := migrate(context.Background(), wdb); err != nil {
		return nil, fmt.Errorf("migrate: %w", err)
	}

	rdb, err := openReaders(dsn)
	if err != nil {
		return nil, err
	}
	st := sqlstore.New(wdb, rdb, dialect)
	if err := st.CompleteTree(context.Background()); err != nil {
		rdb.Close()
		return nil, err
	}
	return &Store{Store: st, wdb: wdb}, nil
}

// createFile creates the database file at path, if absent, mode 0600 in a
// directory made mode 0700 if needed, and returns its absolute path.
func createFile(path string) (string, error) {
	if path == "" {
		return "", errors.New("no path")
	}
	if strings.Contains(path, "?") {
		return "", errors.New("the path must not contain '?'")
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return "", err
	}
	if err := os.MkdirAll(filepath.Dir(abs), 0o700); err != nil {
		return "", err
	}
	// Create the file ourselves: SQLite would make it 0644, and gives its
	// -wal and -shm files the mode of the database file.
	f, err := os.OpenFile(abs, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return "", err
	}
	return abs, f.Close()
}

// openReaders opens the pool of read-only connections to dsn, and checks
// it can read.
func openReaders(dsn string) (*sql.DB, error) {
	rdb, err := sql.Open("sqlite", dsn+"&_query_only=1")
	if err != nil {
		return nil, err
	}
	rdb.SetMaxOpenConns(readConns)
	rdb.SetMaxIdleConns(readConns)
	if err := rdb.PingContext(context.Background()); err != nil {
		rdb.Close()
		return nil, err
	}
	return rdb, nil
}

// migrate applies the migrations not yet applied.
func migrate(ctx context.Context, db *sql.DB) error {
	p, err := sqlstore.NewMigrations(goose.DialectSQLite3, db, migrations)
	if err != nil {
		return err
	}
	// Another process opening the same file at the same time may apply a
	// migration first, failing ours: then all is well if none is left.
	for try := 0; ; try++ {
		_, err := p.Up(ctx)
		if err == nil {
			return nil
		}
		if pending, perr := p.HasPending(ctx); perr == nil && !pending {
			return nil
		}
		if try == 2 {
			return err
		}
	}
}

// Checkpoint copies the write-ahead log into the database file and truncates
// the log. Until then a purged key survives on disk, in the old version of
// its page in the database file or in old frames of the log: the sweeper
// should call it after purging. Returns EUNAVAILABLE if readers kept it from
// completing within the busy timeout.
func (s *Store) Checkpoint(ctx context.Context) error {
	var busy, logFrames, done int
	err := s.wdb.QueryRowContext(ctx, "PRAGMA wal_checkpoint(TRUNCATE)").Scan(&busy, &logFrames, &done)
	if err != nil {
		return navette.WrapError(navette.EINTERNAL, fmt.Errorf("sqlite: checkpoint: %w", err), "")
	}
	if busy != 0 {
		return navette.Errorf(navette.EUNAVAILABLE, "The database is busy; try again later.")
	}
	return nil
}

// SchemaVersion returns the schema version of the database file at path
// and the latest one this binary knows, without changing anything: the
// file is opened read-only. Returns ENOTFOUND if there is no such file.
func SchemaVersion(ctx context.Context, path string) (current, latest int64, err error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return 0, 0, navette.WrapError(navette.EINVALID, err, "")
	}
	if _, err := os.Stat(abs); err != nil {
		return 0, 0, navette.WrapError(navette.ENOTFOUND, fmt.Errorf("sqlite: %w", err), "")
	}
	db, err := sql.Open("sqlite", "file:"+abs+"?mode=ro&_pragma=busy_timeout(10000)")
	if err != nil {
		return 0, 0, navette.WrapError(navette.EINTERNAL, fmt.Errorf("sqlite: open %s: %w", path, err), "")
	}
	defer db.Close()
	return sqlstore.SchemaVersions(ctx, "sqlite", goose.DialectSQLite3, db, migrations)
}

// Checkpointed reports whether the journal of the database at path has a
// signed checkpoint, reading it without migrating or changing it (for
// navette doctor).
func Checkpointed(ctx context.Context, path string) (bool, error) {
	db, err := sql.Open("sqlite", "file:"+path+"?mode=ro&_pragma=busy_timeout(10000)")
	if err != nil {
		return false, navette.WrapError(navette.EINTERNAL, fmt.Errorf("sqlite: open %s: %w", path, err), "")
	}
	defer db.Close()
	return sqlstore.Checkpointed(ctx, db)
}

package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"io/fs"

	"github.com/pressly/goose/v3"

	"navette"
)

// GoMigrations returns the schema migrations written in Go, numbered among
// the SQL ones of the packages that own the schema (navette/sqlite,
// navette/postgres), which register them with their goose provider. They
// fill what SQL alone cannot:
//
//	4: the search terms of every user (IndexUsers), once migration 3 has
//	   made their table.
//
// Each call returns new values, as a provider keeps state in them.
func GoMigrations() []*goose.Migration {
	return []*goose.Migration{
		goose.NewGoMigration(4, &goose.GoFunc{RunTx: IndexUsers}, nil),
	}
}

// NewMigrations returns the goose provider of the schema's migrations for
// dialect over db: the SQL files of the folder "migrations" of fsys, where
// the package that owns the schema embeds them, and GoMigrations.
func NewMigrations(dialect goose.Dialect, db *sql.DB, fsys fs.FS) (*goose.Provider, error) {
	sub, err := fs.Sub(fsys, "migrations")
	if err != nil {
		return nil, err
	}
	return goose.NewProvider(dialect, db, sub, goose.WithGoMigrations(GoMigrations()...))
}

// SchemaVersions returns the schema version of db and the latest one of
// the migrations of fsys (NewMigrations), without changing anything. A
// failure to read the version is EINTERNAL, its message prefixed by name.
func SchemaVersions(ctx context.Context, name string, dialect goose.Dialect, db *sql.DB, fsys fs.FS) (current, latest int64, err error) {
	p, err := NewMigrations(dialect, db, fsys)
	if err != nil {
		return 0, 0, err
	}
	current, latest, err = p.GetVersions(ctx)
	if err != nil {
		return 0, latest, navette.WrapError(navette.EINTERNAL, fmt.Errorf("%s: schema version: %w", name, err), "")
	}
	return current, latest, nil
}

// Checkpointed reports whether the journal in db has a signed checkpoint,
// without changing anything.
func Checkpointed(ctx context.Context, db *sql.DB) (bool, error) {
	var n int
	if err := db.QueryRowContext(ctx, `SELECT COUNT(*) FROM (SELECT 1 FROM journal_checkpoints LIMIT 1) c`).Scan(&n); err != nil {
		return false, navette.WrapError(navette.EINTERNAL, fmt.Errorf("journal checkpoints: %w", err), "")
	}
	return n > 0, nil
}

package sqlstore

import "github.com/pressly/goose/v3"

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

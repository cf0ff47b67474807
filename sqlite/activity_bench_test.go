package sqlite_test

import (
	"database/sql"
	"path/filepath"
	"testing"

	"navette/sqlite"
	"navette/storetest"
)

// BenchmarkActivity runs storetest.BenchActivity on SQLite, analyzed once
// loaded:
//
//	go test ./sqlite/ -run '^$' -bench Activity -benchtime 2x
func BenchmarkActivity(b *testing.B) {
	path := filepath.Join(b.TempDir(), "navette.db")
	s, err := sqlite.Open(path)
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	raw, err := sql.Open("sqlite", path+"?_pragma=busy_timeout(10000)")
	if err != nil {
		b.Fatal(err)
	}
	defer raw.Close()
	storetest.BenchActivity(b, s, raw, func() error {
		_, err := raw.Exec("ANALYZE")
		return err
	})
}

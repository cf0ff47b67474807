package sqlite_test

import (
	"path/filepath"
	"testing"

	"navette/sqlite"
	"navette/storetest"
)

// BenchmarkInbox runs storetest.BenchInbox on SQLite:
//
//	go test ./sqlite -run '^$' -bench Inbox -benchtime 300x
func BenchmarkInbox(b *testing.B) {
	s, err := sqlite.Open(filepath.Join(b.TempDir(), "navette.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	storetest.BenchInbox(b, s, nil)
}

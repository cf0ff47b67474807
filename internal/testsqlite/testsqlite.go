// Package testsqlite opens SQLite metadata stores for tests without applying
// the migrations each time: applying them takes a store's first opening from
// milliseconds to about a second under the race detector, and tests open
// hundreds. The migrated empty database is made once per test process and
// copied where a test opens its own, as if an earlier opening had made it.
// Only tests import it.
package testsqlite

import (
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"navette/sqlite"
)

// empty is a SQLite database with every migration applied and nothing else.
var empty = sync.OnceValues(func() ([]byte, error) {
	dir, err := os.MkdirTemp("", "navette-testsqlite-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "navette.db")
	s, err := sqlite.Open(path)
	if err != nil {
		return nil, err
	}
	if err := s.Close(); err != nil {
		return nil, err
	}
	if _, err := os.Stat(path + "-wal"); err == nil {
		return nil, fmt.Errorf("testsqlite: %s-wal outlived the store", path)
	}
	return os.ReadFile(path)
})

// Seed writes the migrated empty database at path, which must not exist
// yet (mode 0600, its directory made mode 0700 if needed, as sqlite.Open
// does).
func Seed(t testing.TB, path string) {
	t.Helper()
	b, err := empty()
	if err != nil {
		t.Fatalf("testsqlite: the empty database: %v", err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		t.Fatal(err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		t.Fatalf("testsqlite: %v", err)
	}
	if _, err := f.Write(b); err != nil {
		f.Close()
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}

// Open seeds path (Seed) and opens the store there, closed when t ends.
func Open(t testing.TB, path string) *sqlite.Store {
	t.Helper()
	Seed(t, path)
	s, err := sqlite.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

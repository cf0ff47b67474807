package sqlite_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"navette"
	"navette/sqlite"
	"navette/storetest"
)

var epoch = time.Date(2025, 3, 14, 9, 26, 53, 589793000, time.UTC)

func open(t *testing.T, path string) *sqlite.Store {
	t.Helper()
	s, err := sqlite.Open(path)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return s
}

// openMigrated returns a function that opens a store on a new database
// file, for the conformance suites, which open one per subtest. Each file is
// a copy of one that Open migrated once for t: Open on the copy runs its
// real path and finds the schema up to date, which costs a fraction of
// migrating an empty file again (most under the race detector, which slows
// the pure-Go SQLite). The migrations themselves still run from an empty
// file here, for the template, and in the package's other tests.
func openMigrated(t *testing.T) func(t *testing.T) *sqlite.Store {
	t.Helper()
	template := filepath.Join(t.TempDir(), "meta.db")
	s, err := sqlite.Open(template)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if _, err := os.Stat(template + "-wal"); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("the template's log is not folded into it on Close: %v", err)
	}
	data, err := os.ReadFile(template)
	if err != nil {
		t.Fatal(err)
	}
	return func(t *testing.T) *sqlite.Store {
		t.Helper()
		path := filepath.Join(t.TempDir(), "meta.db")
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
		return open(t, path)
	}
}

func TestMetaStore(t *testing.T) {
	open := openMigrated(t)
	storetest.TestMetaStore(t, func(t *testing.T) navette.MetaStore { return open(t) })
}

func TestKeyStore(t *testing.T) {
	open := openMigrated(t)
	storetest.TestKeyStore(t, func(t *testing.T) storetest.KeyMetaStore { return open(t) })
}

func TestCaseStore(t *testing.T) {
	open := openMigrated(t)
	storetest.TestCaseStore(t, func(t *testing.T) storetest.CaseMetaStore { return open(t) })
}

func TestDeliveryStore(t *testing.T) {
	open := openMigrated(t)
	storetest.TestDeliveryStore(t, func(t *testing.T) storetest.DeliveryMetaStore { return open(t) })
}

// user creates a user in s.
func user(t *testing.T, s navette.MetaStore, name string) *navette.User {
	t.Helper()
	u := &navette.User{ID: navette.NewID(), Email: name + "@example.org", Name: name, Role: navette.RolePartner, CreatedAt: epoch}
	if err := s.CreateUser(t.Context(), u); err != nil {
		t.Fatalf("CreateUser: %v", err)
	}
	return u
}

func TestFileModes(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "var", "navette")
	path := filepath.Join(dir, "meta.db")
	s := open(t, path)
	user(t, s, "alice") // so that the log holds something
	for _, p := range []string{path, path + "-wal", path + "-shm"} {
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != 0o600 {
			t.Errorf("%s has mode %v, want 0600", filepath.Base(p), fi.Mode().Perm())
		}
	}
	fi, err := os.Stat(dir)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o700 {
		t.Errorf("directory has mode %v, want 0700", fi.Mode().Perm())
	}
}

func TestOpenBadPath(t *testing.T) {
	_, err := sqlite.Open(filepath.Join(t.TempDir(), "what?.db"))
	if navette.ErrorCode(err) != navette.EINTERNAL {
		t.Errorf("Open(path with '?') = %v, want an internal error", err)
	}
	_, err = sqlite.Open("")
	if err == nil {
		t.Error("Open(\"\") succeeded")
	}
}

// TestSecondOpen opens the file twice, as the admin command line does while
// the server runs: both can read and write, at the same time.
func TestSecondOpen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "meta.db")
	server := open(t, path)
	alice := user(t, server, "alice")
	cli := open(t, path)
	bob := user(t, cli, "bob")
	if _, err := server.User(t.Context(), bob.ID); err != nil {
		t.Errorf("server does not see the CLI's user: %v", err)
	}
	if _, err := cli.User(t.Context(), alice.ID); err != nil {
		t.Errorf("CLI does not see the server's user: %v", err)
	}

	// Both write at once; the busy timeout makes each wait for the other.
	const n = 25
	var wg sync.WaitGroup
	errs := make(chan error, 2*n)
	for _, s := range []*sqlite.Store{server, cli} {
		wg.Go(func() {
			for i := range n {
				ev := navette.Event{Time: epoch, Type: navette.EventAccessDenied, Detail: fmt.Sprint(i)}
				if err := s.AppendEvents(t.Context(), ev); err != nil {
					errs <- err
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Errorf("AppendEvents: %v", err)
	}
	evs, err := cli.Events(t.Context(), navette.EventFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) != 2*n {
		t.Errorf("%d events, want %d", len(evs), 2*n)
	}
}

// TestEventsAppendOnly checks that the schema itself refuses to change the
// journal, whoever connects to the file.
func TestEventsAppendOnly(t *testing.T) {
	path := filepath.Join(t.TempDir(), "meta.db")
	s := open(t, path)
	ev := navette.Event{Time: epoch, Type: navette.EventDepositPurged, DepositID: navette.NewID()}
	if err := s.AppendEvents(t.Context(), ev, ev); err != nil {
		t.Fatal(err)
	}
	raw, err := sql.Open("sqlite", path+"?_pragma=busy_timeout(10000)")
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	for _, q := range []string{
		`UPDATE events SET detail = 'forged' WHERE seq = 1`,
		`UPDATE events SET seq = 10`,
		`DELETE FROM events WHERE seq = 1`,
		`DELETE FROM events`,
	} {
		_, err := raw.Exec(q)
		if err == nil || !strings.Contains(err.Error(), "append-only") {
			t.Errorf("%s: error %v, want the trigger's", q, err)
		}
	}
	evs, err := s.Events(t.Context(), navette.EventFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) != 2 || evs[0].Detail != "" || evs[0].Seq != 1 {
		t.Errorf("events changed: %+v", evs)
	}
}

// TestPurgedKeysLeaveTheFile checks secure_delete: once a purge has cleared
// the keys and the log is checkpointed, their bytes are nowhere in the
// database file or its log.
func TestPurgedKeysLeaveTheFile(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "meta.db")
	s := open(t, path)
	alice, bob := user(t, s, "alice"), user(t, s, "bob")
	// Rows shrink a lot when purged, as real ones do when their sealed
	// message goes: the new, short row is written at the end of the space
	// the old one took, and only secure_delete clears the start of it,
	// where the key lies.
	depositKey, fileKey, name := secret(t), secret(t), secret(t)
	d := &navette.DepositRecord{
		ID: navette.NewID(), SenderID: alice.ID, State: navette.DepositDraft, RetentionDays: 7,
		Key:       navette.WrappedKey{KeyID: "kek-1", Data: depositKey},
		Reference: []byte("sealed reference"), Message: bytes.Repeat([]byte("sealed message "), 100),
		CreatedAt: epoch, Recipients: []navette.Recipient{{UserID: bob.ID}},
	}
	if err := s.CreateDeposit(ctx, d); err != nil {
		t.Fatal(err)
	}
	f := &navette.FileRecord{
		ID: navette.NewID(), DepositID: d.ID, Name: name, Size: 10, State: navette.FileUploading,
		Key: navette.WrappedKey{KeyID: "kek-1", Data: fileKey}, Resume: bytes.Repeat([]byte("resume state "), 100),
		CreatedAt: epoch,
	}
	if err := s.CreateFile(ctx, f, 10); err != nil {
		t.Fatal(err)
	}
	checkpoint(t, s)
	db := readDB(t, path)
	for _, b := range [][]byte{depositKey, fileKey, name} {
		if !bytes.Contains(db, b) {
			t.Fatal("a key is not in the database file before the purge: the test is blind")
		}
	}

	err := s.UpdateDeposit(ctx, d.ID, func(d *navette.DepositRecord, files []*navette.FileRecord) ([]navette.Event, error) {
		d.State = navette.DepositExpired
		d.PurgedAt = epoch.Add(time.Hour)
		d.Key = navette.WrappedKey{}
		d.Reference, d.Message = nil, nil
		for _, f := range files {
			f.State = navette.FilePurged
			f.Key = navette.WrappedKey{}
			f.Name, f.Resume = nil, nil
		}
		return []navette.Event{{Time: d.PurgedAt, Type: navette.EventDepositPurged, DepositID: d.ID}}, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	checkpoint(t, s)
	db = readDB(t, path)
	for i, b := range [][]byte{depositKey, fileKey, name} {
		if bytes.Contains(db, b) {
			t.Errorf("secret %d is still in the database files after the purge", i)
		}
	}
}

// secret returns 32 random bytes, which no database page holds by chance.
func secret(t *testing.T) []byte {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return b
}

func checkpoint(t *testing.T, s *sqlite.Store) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	if err := s.Checkpoint(ctx); err != nil {
		t.Fatalf("Checkpoint: %v", err)
	}
}

// readDB returns the database file followed by its log, if any.
func readDB(t *testing.T, path string) []byte {
	t.Helper()
	db, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	wal, err := os.ReadFile(path + "-wal")
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	return append(db, wal...)
}

// TestConcurrentOpen opens a new file from several goroutines at once, as a
// server and the admin command line starting together would: whichever
// applies the migrations, all opens succeed.
func TestConcurrentOpen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "meta.db")
	const n = 4
	stores := make([]*sqlite.Store, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { stores[i], errs[i] = sqlite.Open(path) })
	}
	wg.Wait()
	for i := range n {
		if errs[i] != nil {
			t.Errorf("Open %d: %v", i, errs[i])
			continue
		}
		user(t, stores[i], fmt.Sprint("user", i))
		if err := stores[i].Close(); err != nil {
			t.Errorf("Close %d: %v", i, err)
		}
	}
}

func TestJournalTamper(t *testing.T) {
	storetest.TestJournalTamper(t, func(t *testing.T) (navette.MetaStore, func(string, ...any) error) {
		path := filepath.Join(t.TempDir(), "meta.db")
		s := open(t, path)
		raw, err := sql.Open("sqlite", path+"?_pragma=busy_timeout(10000)")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { raw.Close() })
		return s, func(q string, args ...any) error {
			_, err := raw.ExecContext(t.Context(), q, args...)
			return err
		}
	}, "DROP TRIGGER events_no_update; DROP TRIGGER events_no_delete")
}

func TestJournalTreeTamper(t *testing.T) {
	storetest.TestJournalTreeTamper(t, func(t *testing.T) (navette.MetaStore, func(string, ...any) error) {
		path := filepath.Join(t.TempDir(), "meta.db")
		s := open(t, path)
		raw, err := sql.Open("sqlite", path+"?_pragma=busy_timeout(10000)")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { raw.Close() })
		return s, func(q string, args ...any) error {
			_, err := raw.ExecContext(t.Context(), q, args...)
			return err
		}
	}, "DROP TRIGGER events_no_update; DROP TRIGGER events_no_delete; DROP TRIGGER journal_hashes_no_update; DROP TRIGGER journal_hashes_no_delete")
}

func TestForwardStore(t *testing.T) {
	storetest.TestForwardStore(t, func(t *testing.T) storetest.ForwardMetaStore {
		return open(t, filepath.Join(t.TempDir(), "meta.db"))
	})
}

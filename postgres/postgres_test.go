package postgres_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" driver of database/sql

	"navette"
	"navette/app"
	"navette/internal/testpg"
	"navette/keyring"
	"navette/postgres"
	"navette/proof"
	"navette/storetest"
)

// pg is the server of the package's tests, each of which makes its own
// databases. Tests that stop it do not run in parallel with others.
var pg *testpg.Server

func TestMain(m *testing.M) {
	var err error
	if pg, err = testpg.StartServer(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	code := m.Run()
	if err := pg.Close(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		if code == 0 {
			code = 1
		}
	}
	os.Exit(code)
}

var epoch = time.Date(2025, 3, 14, 9, 26, 53, 589793000, time.UTC)

// open opens a store on a new database, closed when t ends.
func open(t *testing.T) (*postgres.Store, string) {
	t.Helper()
	url := pg.NewDatabase(t)
	return openURL(t, url), url
}

// openURL opens a store on url, closed when t ends.
func openURL(t *testing.T, url string) *postgres.Store {
	t.Helper()
	s, err := postgres.Open(t.Context(), url)
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

// rawDB opens a plain pool on url, closed when t ends.
func rawDB(t *testing.T, url string) *sql.DB {
	t.Helper()
	db, err := sql.Open("pgx", url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// conformanceDBs numbers the databases of openMigrated.
var conformanceDBs atomic.Int64

// openMigrated returns a function that opens a store on a new database,
// dropped when its test ends, for the conformance suites, which open one per
// subtest. Each new database is a copy of a template that Open migrated
// once, made for t and dropped when t ends: Open on the copy runs its real
// path (connect, migrate, complete the tree) and finds the schema up to
// date, which costs a fraction of migrating an empty database again. The
// migrations themselves still run from an empty database here, for the
// template, and in the package's other tests (open, TestConcurrentMigration).
func openMigrated(t *testing.T) func(t *testing.T) *postgres.Store {
	t.Helper()
	template := fmt.Sprintf("conformance_template_%d", conformanceDBs.Add(1))
	create(t, "CREATE DATABASE "+template)
	s, err := postgres.Open(t.Context(), pg.URL(template))
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	version, err := serverVersion(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	opts := ""
	if version >= 150000 {
		opts = " STRATEGY FILE_COPY" // the default, WAL_LOG, copies a small database slower
	}
	return func(t *testing.T) *postgres.Store {
		t.Helper()
		name := fmt.Sprintf("conformance_%d", conformanceDBs.Add(1))
		create(t, "CREATE DATABASE "+name+" TEMPLATE "+template+opts)
		return openURL(t, pg.URL(name))
	}
}

// serverVersion returns pg's server_version_num, asked on a connection of
// its own to the database "postgres", closed at once: a connection to a
// template would stop its copy.
func serverVersion(ctx context.Context) (int, error) {
	db, err := sql.Open("pgx", pg.URL("postgres"))
	if err != nil {
		return 0, err
	}
	defer db.Close()
	var v int
	err = db.QueryRowContext(ctx, "SHOW server_version_num").Scan(&v)
	return v, err
}

// create runs stmt, a CREATE DATABASE, and drops the database when t ends.
func create(t *testing.T, stmt string) {
	t.Helper()
	if err := pg.Exec(t.Context(), stmt); err != nil {
		t.Fatal(err)
	}
	name := strings.Fields(stmt)[2]
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if err := pg.Exec(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
			t.Errorf("drop %s: %v", name, err)
		}
	})
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

// TestConcurrentMigration opens the same empty database from three nodes at
// once: each waits for the one migrating, and the schema is made once.
func TestConcurrentMigration(t *testing.T) {
	url := pg.NewDatabase(t)
	const nodes = 3
	stores := make([]*postgres.Store, nodes)
	errs := make([]error, nodes)
	var wg sync.WaitGroup
	for i := range nodes {
		wg.Go(func() { stores[i], errs[i] = postgres.Open(t.Context(), url) })
	}
	wg.Wait()
	for i, s := range stores {
		if errs[i] != nil {
			t.Errorf("Open %d: %v", i, errs[i])
			continue
		}
		t.Cleanup(func() { s.Close() })
	}
	if t.Failed() {
		t.FailNow()
	}
	var applied int
	err := rawDB(t, url).QueryRowContext(t.Context(), "SELECT COUNT(*) FROM goose_db_version WHERE version_id = 1 AND is_applied").Scan(&applied)
	if err != nil {
		t.Fatal(err)
	}
	if applied != 1 {
		t.Errorf("migration 1 recorded %d times", applied)
	}
	u := &navette.User{ID: navette.NewID(), Email: "alice@example.org", Role: navette.RoleAgent, CreatedAt: epoch}
	if err := stores[0].CreateUser(t.Context(), u); err != nil {
		t.Fatalf("CreateUser: %v", err)
	}
	for i, s := range stores[1:] {
		if _, err := s.User(t.Context(), u.ID); err != nil {
			t.Errorf("node %d: User: %v", i+1, err)
		}
	}
	// A node starting later finds nothing to do.
	openURL(t, url)
}

// TestEventOrder appends events from several goroutines while a reader
// pages through the journal with AfterSeq, as an exporter would: it must
// see every event exactly once, in increasing order.
func TestEventOrder(t *testing.T) {
	s, _ := open(t)
	const (
		writers = 8
		txs     = 40
	)
	ctx := t.Context()
	var (
		wg          sync.WaitGroup
		writersDone = make(chan struct{})
		total       int
	)
	for w := range writers {
		n := 1 + w%3 // one to three events in a transaction
		total += txs * n
		wg.Go(func() {
			for i := range txs {
				evs := make([]navette.Event, n)
				for j := range evs {
					evs[j] = navette.Event{Time: epoch, Type: navette.EventAccessDenied, Detail: fmt.Sprintf("%d/%d/%d", w, i, j)}
				}
				if err := s.AppendEvents(ctx, evs...); err != nil {
					t.Errorf("AppendEvents: %v", err)
					return
				}
			}
		})
	}
	go func() {
		wg.Wait()
		close(writersDone)
	}()

	var (
		seen  = make(map[string]int64)
		after int64
	)
	page := func() int {
		evs, err := s.Events(ctx, navette.EventFilter{AfterSeq: after, Limit: 7})
		if err != nil {
			t.Fatalf("Events: %v", err)
		}
		for _, e := range evs {
			if e.Seq <= after {
				t.Fatalf("event %d after %d", e.Seq, after)
			}
			if prev, ok := seen[e.Detail]; ok {
				t.Fatalf("event %s seen twice, as %d and %d", e.Detail, prev, e.Seq)
			}
			seen[e.Detail] = e.Seq
			after = e.Seq
		}
		return len(evs)
	}
	// Page while the writers write, then to the end.
	for done := false; !done; {
		select {
		case <-writersDone:
			done = true
		default:
		}
		for page() > 0 {
		}
	}
	if len(seen) != total {
		all, err := s.Events(ctx, navette.EventFilter{Limit: total + 1})
		if err != nil {
			t.Fatal(err)
		}
		var missed []string
		for _, e := range all {
			if _, ok := seen[e.Detail]; !ok {
				missed = append(missed, fmt.Sprintf("%s (seq %d)", e.Detail, e.Seq))
			}
		}
		t.Fatalf("the reader saw %d events of %d; it skipped %v", len(seen), len(all), missed)
	}
}

// TestAppendOnly checks that the journal refuses changes made behind the
// store's back.
func TestAppendOnly(t *testing.T) {
	s, url := open(t)
	if err := s.AppendEvents(t.Context(), navette.Event{Time: epoch, Type: navette.EventAccessDenied}); err != nil {
		t.Fatal(err)
	}
	db := rawDB(t, url)
	for _, q := range []string{
		"UPDATE events SET detail = 'forged'",
		"DELETE FROM events",
		"TRUNCATE events",
	} {
		_, err := db.ExecContext(t.Context(), q)
		if err == nil || !strings.Contains(err.Error(), "append-only") {
			t.Errorf("%s: %v, want the append-only error", q, err)
		}
	}
	evs, err := s.Events(t.Context(), navette.EventFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) != 1 || evs[0].Detail != "" {
		t.Errorf("events after the attempts: %+v", evs)
	}
}

// TestTextColumnsCollateC checks that every text column sorts by bytes, as
// in SQLite, whatever the database's default collation.
func TestTextColumnsCollateC(t *testing.T) {
	_, url := open(t)
	rows, err := rawDB(t, url).QueryContext(t.Context(), `SELECT table_name, column_name, COALESCE(collation_name, '')
		FROM information_schema.columns
		WHERE table_schema = 'public' AND data_type = 'text' AND table_name <> 'goose_db_version'`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	n := 0
	for rows.Next() {
		var table, column, collation string
		if err := rows.Scan(&table, &column, &collation); err != nil {
			t.Fatal(err)
		}
		n++
		if collation != "C" {
			t.Errorf("%s.%s has collation %q, want C", table, column, collation)
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if n < 20 {
		t.Errorf("only %d text columns", n)
	}
}

// TestInvalidText checks that text PostgreSQL cannot hold, which SQLite
// would, is the caller's error.
func TestInvalidText(t *testing.T) {
	s, _ := open(t)
	for _, email := range []string{"nul\x00@example.org", "bad\xff@example.org"} {
		u := &navette.User{ID: navette.NewID(), Email: email, Role: navette.RoleAgent, CreatedAt: epoch}
		if err := s.CreateUser(t.Context(), u); navette.ErrorCode(err) != navette.EINVALID {
			t.Errorf("CreateUser(%q) = %v, want EINVALID", email, err)
		}
		if _, err := s.UserByEmail(t.Context(), email); navette.ErrorCode(err) != navette.EINVALID {
			t.Errorf("UserByEmail(%q) = %v, want EINVALID", email, err)
		}
	}
}

func TestOpenErrors(t *testing.T) {
	_, err := postgres.Open(t.Context(), "postgres://test@127.0.0.1:notaport/x")
	if navette.ErrorCode(err) != navette.EINVALID {
		t.Errorf("Open(malformed URL) = %v, want EINVALID", err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	_, err = postgres.Open(ctx, pg.URL("no_such_database"))
	if navette.ErrorCode(err) != navette.EUNAVAILABLE {
		t.Errorf("Open(no such database) = %v, want EUNAVAILABLE", err)
	}
}

// TestOpenMeta opens PostgreSQL through the app's URL switch, which also
// hands the app the store's locker.
func TestOpenMeta(t *testing.T) {
	for _, scheme := range []string{"postgres", "postgresql"} {
		url := scheme + strings.TrimPrefix(pg.NewDatabase(t), "postgres")
		m, err := app.OpenMeta(url, t.TempDir())
		if err != nil {
			t.Fatalf("OpenMeta(%s): %v", url, err)
		}
		if _, ok := m.(*postgres.Store); !ok {
			t.Errorf("OpenMeta(%s) = %T", url, m)
		}
		if _, ok := m.(interface{ Locker() navette.UploadLocker }); !ok {
			t.Errorf("OpenMeta(%s) has no locker", url)
		}
		if err := m.Ping(t.Context()); err != nil {
			t.Errorf("Ping: %v", err)
		}
		if err := m.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	}
}

var errAgain = errors.New("not tried yet")

// TestRestart restarts the server under an open store: calls fail cleanly
// while it is down and work again once it is back, on the same store.
func TestRestart(t *testing.T) {
	s, url := open(t)
	ctx := t.Context()
	// The locker listens before the restart, and its pool keeps a
	// connection the restart breaks.
	locker := s.Locker()
	if err := lock(t, locker, "before-restart").Unlock(); err != nil {
		t.Fatal(err)
	}
	u := &navette.User{ID: navette.NewID(), Email: "alice@example.org", Role: navette.RoleAgent, CreatedAt: epoch}
	if err := s.CreateUser(ctx, u); err != nil {
		t.Fatal(err)
	}
	// Fill the pool, so that it holds connections the restart breaks.
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			if _, err := s.User(ctx, u.ID); err != nil {
				t.Errorf("User: %v", err)
			}
		})
	}
	wg.Wait()

	if err := pg.Stop(); err != nil {
		t.Fatal(err)
	}
	restarted := false
	defer func() {
		if !restarted {
			if err := pg.Start(); err != nil {
				t.Errorf("Start: %v", err)
			}
		}
	}()
	down := func(what string, err error) {
		t.Helper()
		if code := navette.ErrorCode(err); code != navette.EUNAVAILABLE && code != navette.EINTERNAL {
			t.Errorf("%s with the server down: %v, want EUNAVAILABLE or EINTERNAL", what, err)
		} else {
			t.Logf("%s with the server down: %v", what, err)
		}
	}
	if err := s.Ping(ctx); navette.ErrorCode(err) != navette.EUNAVAILABLE {
		t.Errorf("Ping with the server down: %v, want EUNAVAILABLE", err)
	}
	_, err := s.User(ctx, u.ID)
	down("User", err)
	down("AppendEvents", s.AppendEvents(ctx, navette.Event{Time: epoch, Type: navette.EventAccessDenied}))
	down("UpdateDeposit", s.UpdateDeposit(ctx, navette.NewID(), func(*navette.DepositRecord, []*navette.FileRecord) ([]navette.Event, error) {
		return nil, nil
	}))

	if err := pg.Start(); err != nil {
		t.Fatal(err)
	}
	restarted = true
	// Each call that meets a connection the restart broke discards it: the
	// pool (16 connections at most) is clean after a bounded number.
	var tries int
	for err = errAgain; err != nil && tries < 20; tries++ {
		_, err = s.User(ctx, u.ID)
	}
	if err != nil {
		t.Fatalf("User after the restart: %v", err)
	}
	t.Logf("User works again at try %d", tries)
	if err := s.Ping(ctx); err != nil {
		t.Errorf("Ping after the restart: %v", err)
	}
	if err := s.AppendEvents(ctx, navette.Event{Time: epoch, Type: navette.EventAccessDenied}); err != nil {
		t.Errorf("AppendEvents after the restart: %v", err)
	}
	u2 := &navette.User{ID: navette.NewID(), Email: "bob@example.org", Role: navette.RolePartner, CreatedAt: epoch}
	if err := s.CreateUser(ctx, u2); err != nil {
		t.Errorf("CreateUser after the restart: %v", err)
	}

	// The store's locker listens again: a waiter on another node gets the
	// holder to let go.
	other := postgres.NewLocker(rawDB(t, url))
	defer other.Close()
	testHandOver(t, locker, other, "after-restart")
}

func TestExclusive(t *testing.T) {
	ctx := context.Background()
	url := pg.NewDatabase(t)
	a, err := postgres.Open(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	b, err := postgres.Open(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	inside := make(chan struct{})
	release := make(chan struct{})
	done := make(chan error, 1)
	go func() {
		ran, err := a.Exclusive(ctx, func(context.Context) error {
			close(inside)
			<-release
			return nil
		})
		if err == nil && !ran {
			err = errors.New("the first node did not run")
		}
		done <- err
	}()
	<-inside
	// Another node does not run while the first holds the lock…
	ran, err := b.Exclusive(ctx, func(context.Context) error { return nil })
	if err != nil || ran {
		t.Fatalf("second node while held: ran %v, %v", ran, err)
	}
	close(release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	// …and runs once it is released, with fn's error passed on.
	boom := errors.New("boom")
	ran, err = b.Exclusive(ctx, func(context.Context) error { return boom })
	if !ran || !errors.Is(err, boom) {
		t.Fatalf("second node after release: ran %v, %v", ran, err)
	}
}

// TestExclusiveJob: each background job has its lock, apart from the
// sweeper's and from the other jobs'.
func TestExclusiveJob(t *testing.T) {
	ctx := context.Background()
	url := pg.NewDatabase(t)
	a, err := postgres.Open(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	b, err := postgres.Open(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	ran, err := a.ExclusiveJob(ctx, "check", func(ctx context.Context) error {
		if ran, err := b.ExclusiveJob(ctx, "check", func(context.Context) error { return nil }); err != nil || ran {
			t.Errorf("check on another node while held: ran %v, %v", ran, err)
		}
		for _, other := range []func() (bool, error){
			func() (bool, error) { return b.ExclusiveJob(ctx, "scrub", func(context.Context) error { return nil }) },
			func() (bool, error) { return b.Exclusive(ctx, func(context.Context) error { return nil }) },
		} {
			if ran, err := other(); err != nil || !ran {
				t.Errorf("another job while check is held: ran %v, %v", ran, err)
			}
		}
		return nil
	})
	if err != nil || !ran {
		t.Fatalf("check: ran %v, %v", ran, err)
	}
	if _, err := a.ExclusiveJob(ctx, "nope", func(context.Context) error { return nil }); !navette.IsCode(err, navette.EINVALID) {
		t.Errorf("unknown job: %v, want EINVALID", err)
	}
}

// BenchmarkInbox runs storetest.BenchInbox on PostgreSQL, analyzed once
// loaded as autovacuum would:
//
//	go test ./postgres -run '^$' -bench Inbox -benchtime 300x
func BenchmarkInbox(b *testing.B) {
	s, err := postgres.Open(b.Context(), pg.NewDatabase(b))
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	storetest.BenchInbox(b, s, func() error {
		_, err := s.SQL().ReadDB().ExecContext(b.Context(), "ANALYZE")
		return err
	})
}

// BenchmarkActivity runs storetest.BenchActivity on PostgreSQL, analyzed
// once loaded as autovacuum would:
//
//	go test ./postgres -run '^$' -bench Activity -benchtime 2x
func BenchmarkActivity(b *testing.B) {
	url := pg.NewDatabase(b)
	s, err := postgres.Open(b.Context(), url)
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	raw, err := sql.Open("pgx", url)
	if err != nil {
		b.Fatal(err)
	}
	defer raw.Close()
	storetest.BenchActivity(b, s, raw, func() error {
		_, err := raw.ExecContext(b.Context(), "ANALYZE")
		return err
	})
}

func TestJournalTamper(t *testing.T) {
	storetest.TestJournalTamper(t, func(t *testing.T) (navette.MetaStore, func(string, ...any) error) {
		s, url := open(t)
		raw := rawDB(t, url)
		return s, func(q string, args ...any) error {
			_, err := raw.ExecContext(t.Context(), q, args...)
			return err
		}
	}, "ALTER TABLE events DISABLE TRIGGER USER")
}

func TestJournalTreeTamper(t *testing.T) {
	storetest.TestJournalTreeTamper(t, func(t *testing.T) (navette.MetaStore, func(string, ...any) error) {
		s, url := open(t)
		raw := rawDB(t, url)
		return s, func(q string, args ...any) error {
			_, err := raw.ExecContext(t.Context(), q, args...)
			return err
		}
	}, "ALTER TABLE events DISABLE TRIGGER USER; ALTER TABLE journal_hashes DISABLE TRIGGER USER")
}

// TestJournalCheckpointsAcrossNodes runs a checkpointer on each of three
// nodes sharing a database, with ExclusiveJournal, while each appends
// events: none fails, and the journal, its tree and every checkpoint they
// signed verify. The sign and stamp tasks have locks of their own.
func TestJournalCheckpointsAcrossNodes(t *testing.T) {
	url := pg.NewDatabase(t)
	keys, err := keyring.OpenJournalKeys(filepath.Join(t.TempDir(), "keys"), "navette.example/navette-journal")
	if err != nil {
		t.Fatal(err)
	}
	var nodes []*postgres.Store
	for range 3 {
		nodes = append(nodes, openURL(t, url))
	}
	ctx := t.Context()

	inside, release := make(chan struct{}), make(chan struct{})
	go nodes[0].ExclusiveJournal(ctx, proof.TaskSign, func(context.Context) error {
		close(inside)
		<-release
		return nil
	})
	<-inside
	if ran, err := nodes[1].ExclusiveJournal(ctx, proof.TaskSign, func(context.Context) error { return nil }); ran || err != nil {
		t.Errorf("sign on a second node while the first signs: ran %v, %v", ran, err)
	}
	if ran, err := nodes[1].ExclusiveJournal(ctx, proof.TaskStamp, func(context.Context) error { return nil }); !ran || err != nil {
		t.Errorf("stamp on a second node while the first signs: ran %v, %v", ran, err)
	}
	close(release)
	if _, err := nodes[1].ExclusiveJournal(ctx, "other", func(context.Context) error { return nil }); navette.ErrorCode(err) != navette.EINVALID {
		t.Errorf("an unknown task: %v", err)
	}

	clock := navette.NewFakeClock(time.Date(2026, 12, 5, 13, 0, 0, 0, time.UTC))
	var wg sync.WaitGroup
	for i, s := range nodes {
		cp := &proof.Checkpointer{Store: s, Keys: keys, Clock: clock, Exclusive: s.ExclusiveJournal}
		wg.Go(func() {
			for j := range 20 {
				if err := s.AppendEvents(ctx, navette.Event{Time: clock.Now(), Type: navette.EventAccessDenied, Detail: fmt.Sprint(i, j)}); err != nil {
					t.Error(err)
					return
				}
				if _, err := cp.Checkpoint(ctx); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	rep, err := proof.Verify(ctx, nodes[0], keys.Verifiers(), nil)
	if err != nil || rep.Leaves != 60 || rep.Checkpoints == 0 || rep.Latest.Size != 60 {
		t.Errorf("Verify = %+v, %v", rep, err)
	}
}

func TestForwardStore(t *testing.T) {
	storetest.TestForwardStore(t, func(t *testing.T) storetest.ForwardMetaStore {
		s, _ := open(t)
		return s
	})
}

// TestJournalKeyRotationAcrossNodes: a rotation on one node, under the
// sign lock of every node sharing the database, journals itself and signs
// with the new key; a node whose key directory is a copy made before
// cannot sign any more (the old key signs no tree larger than its
// retirement records) until it gets the new directory.
func TestJournalKeyRotationAcrossNodes(t *testing.T) {
	url := pg.NewDatabase(t)
	ctx := t.Context()
	clock := navette.NewFakeClock(time.Date(2026, 12, 5, 13, 0, 0, 0, time.UTC))
	dirs := []string{filepath.Join(t.TempDir(), "keys"), filepath.Join(t.TempDir(), "keys")}
	var cps []*proof.Checkpointer
	var keys []*keyring.JournalKeys
	for i, dir := range dirs {
		if i > 0 {
			copyKeys(t, dirs[0], dir)
		}
		k, err := keyring.OpenJournalKeys(dir, "navette.example/navette-journal")
		if err != nil {
			t.Fatal(err)
		}
		s := openURL(t, url)
		keys = append(keys, k)
		cps = append(cps, &proof.Checkpointer{Store: s, Keys: k, Clock: clock, Exclusive: s.ExclusiveJournal})
	}
	s := cps[0].Store
	appendEvents := func(n int) {
		for range n {
			if err := s.AppendEvents(ctx, navette.Event{Time: clock.Now(), Type: navette.EventAccessDenied}); err != nil {
				t.Fatal(err)
			}
		}
	}
	appendEvents(3)
	if _, err := cps[1].Checkpoint(ctx); err != nil {
		t.Fatal(err)
	}
	var r keyring.Rotation
	cp, err := cps[0].RotateKey(ctx, func(ctx context.Context) error {
		var err error
		if r, err = keys[0].Rotate(func() (int64, error) { return s.TreeSize(ctx) }); err != nil {
			return err
		}
		return s.AppendEvents(ctx, navette.Event{Time: clock.Now(), Type: navette.EventKeyRotated, ActorID: navette.LocalOperator, Detail: "journal " + r.Verifier})
	})
	if err != nil || cp == nil || cp.Size != 4 || r.RetiredAt != 3 {
		t.Fatalf("RotateKey = %+v, %v; retired at %d", cp, err, r.RetiredAt)
	}
	appendEvents(2)
	if c, err := cps[1].Checkpoint(ctx); err == nil {
		t.Fatalf("the node with the old key signed a checkpoint of %d leaves", c.Size)
	}
	copyKeys(t, dirs[0], dirs[1])
	if c, err := cps[1].Checkpoint(ctx); err != nil || c.Size != 6 {
		t.Fatalf("with the new keys: %+v, %v", c, err)
	}
	rep, err := proof.Verify(ctx, s, keys[1].Verifiers(), nil)
	if err != nil || rep.Leaves != 6 {
		t.Errorf("Verify = %+v, %v", rep, err)
	}
}

// copyKeys copies the key files of the directory from to the directory
// to, as an operator does between nodes, replacing those there.
func copyKeys(t *testing.T, from, to string) {
	t.Helper()
	if err := os.MkdirAll(to, 0o700); err != nil {
		t.Fatal(err)
	}
	entries, err := os.ReadDir(from)
	if err != nil {
		t.Fatal(err)
	}
	old, _ := filepath.Glob(filepath.Join(to, "journal-*.ed25519"))
	for _, f := range old {
		os.Remove(f)
	}
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(from, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(to, e.Name()), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
}

package postgres_test

import (
	"context"
	"errors"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	tusd "github.com/tus/tusd/v2/pkg/handler"

	"navette"
	"navette/postgres"
)

// patience bounds the waits of the locker tests; none should come near it.
const patience = 30 * time.Second

// newLocker returns a locker on its own pool of the database at url, as a
// node would have, closed when t ends.
func newLocker(t *testing.T, url string) *postgres.Locker {
	t.Helper()
	l := postgres.NewLocker(rawDB(t, url)) // closed after l: cleanups run last first
	t.Cleanup(func() {
		if err := l.Close(); err != nil {
			t.Errorf("Locker.Close: %v", err)
		}
	})
	return l
}

// held is a lock taken, with the signal of its requestUnlock.
type held struct {
	tusd.Lock
	requested chan struct{}
}

// lock takes the lock of id from l.
func lock(t *testing.T, l tusd.Locker, id string) *held {
	t.Helper()
	k, err := l.NewLock(id)
	if err != nil {
		t.Fatalf("NewLock: %v", err)
	}
	h := &held{Lock: k, requested: make(chan struct{})}
	ctx, cancel := context.WithTimeout(t.Context(), patience)
	defer cancel()
	if err := k.Lock(ctx, func() { close(h.requested) }); err != nil {
		t.Fatalf("Lock(%s): %v", id, err)
	}
	return h
}

// lockAsync starts taking the lock of id from l; the channel receives the
// result of Lock.
func lockAsync(t *testing.T, l tusd.Locker, id string) (*held, <-chan error) {
	t.Helper()
	k, err := l.NewLock(id)
	if err != nil {
		t.Fatalf("NewLock: %v", err)
	}
	h := &held{Lock: k, requested: make(chan struct{})}
	res := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), patience)
		defer cancel()
		res <- k.Lock(ctx, func() { close(h.requested) })
	}()
	return h, res
}

// wait returns what c receives, failing t after patience.
func wait[T any](t *testing.T, what string, c <-chan T) T {
	t.Helper()
	select {
	case v := <-c:
		return v
	case <-time.After(patience):
		t.Fatalf("%s did not happen", what)
		panic("unreachable")
	}
}

// testHandOver takes the lock of id with holder, then with waiter: the
// waiter must block and ask the holder to let go, which it does, and then
// get the lock.
func testHandOver(t *testing.T, holder, waiter tusd.Locker, id string) {
	t.Helper()
	first := lock(t, holder, id)
	second, res := lockAsync(t, waiter, id)
	wait(t, "the holder's requestUnlock", first.requested)
	select {
	case err := <-res:
		t.Fatalf("the waiter's Lock returned %v while the lock is held", err)
	default:
	}
	if err := first.Unlock(); err != nil {
		t.Errorf("Unlock: %v", err)
	}
	if err := wait(t, "the waiter's Lock", res); err != nil {
		t.Fatalf("the waiter's Lock: %v", err)
	}
	select {
	case <-second.requested:
		t.Error("the new holder was asked to let go")
	default:
	}
	if err := second.Unlock(); err != nil {
		t.Errorf("Unlock: %v", err)
	}
}

// TestLockerTwoNodes has a second node take an upload the first holds, as
// when a client reconnects to another node after a dropped connection.
func TestLockerTwoNodes(t *testing.T) {
	url := pg.NewDatabase(t)
	a, b := newLocker(t, url), newLocker(t, url)
	testHandOver(t, a, b, "upload-1")
	testHandOver(t, b, a, "upload-1") // and back
}

// TestLockerOneNode has a second request of the same node take an upload.
func TestLockerOneNode(t *testing.T) {
	a := newLocker(t, pg.NewDatabase(t))
	testHandOver(t, a, a, "upload-1")
}

// TestLockerStore uses the locker a Store makes.
func TestLockerStore(t *testing.T) {
	s, url := open(t)
	testHandOver(t, s.Locker(), newLocker(t, url), "upload-1")
	if s.Locker() != s.Locker() {
		t.Error("Locker returns a new locker each time")
	}
}

// TestLockerIndependent checks that locks of different uploads do not wait
// for each other, and that a lock released can be taken again at once.
func TestLockerIndependent(t *testing.T) {
	url := pg.NewDatabase(t)
	a, b := newLocker(t, url), newLocker(t, url)
	x := lock(t, a, "upload-x")
	y := lock(t, b, "upload-y")
	for _, h := range []*held{x, y} {
		select {
		case <-h.requested:
			t.Error("a holder was asked to let go")
		default:
		}
		if err := h.Unlock(); err != nil {
			t.Errorf("Unlock: %v", err)
		}
	}
	if err := lock(t, b, "upload-x").Unlock(); err != nil {
		t.Errorf("Unlock: %v", err)
	}
	// Unlocking a lock not held does nothing.
	k, _ := a.NewLock("upload-z")
	if err := k.Unlock(); err != nil {
		t.Errorf("Unlock of a lock not held: %v", err)
	}
}

// TestLockerTimeout has a holder that does not let go: the waiter gives up
// when its context is done.
func TestLockerTimeout(t *testing.T) {
	url := pg.NewDatabase(t)
	a, b := newLocker(t, url), newLocker(t, url)
	first := lock(t, a, "upload-1")
	k, _ := b.NewLock("upload-1")
	ctx, cancel := context.WithCancel(t.Context())
	res := make(chan error, 1)
	go func() { res <- k.Lock(ctx, func() {}) }()
	wait(t, "the holder's requestUnlock", first.requested)
	cancel()
	if err := wait(t, "the waiter's Lock", res); !errors.Is(err, tusd.ErrLockTimeout) {
		t.Errorf("Lock with its context done = %v, want ErrLockTimeout", err)
	}
	if err := first.Unlock(); err != nil {
		t.Errorf("Unlock: %v", err)
	}
}

// TestLockerDeadHolder kills the connection holding a lock, as when its node
// dies: the lock can be taken.
func TestLockerDeadHolder(t *testing.T) {
	url := pg.NewDatabase(t)
	a, b := newLocker(t, url), newLocker(t, url)
	first := lock(t, a, "upload-1")
	var killed int
	err := rawDB(t, url).QueryRowContext(t.Context(), `SELECT COUNT(pg_terminate_backend(pid)) FROM pg_locks
		WHERE locktype = 'advisory' AND granted AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`).
		Scan(&killed)
	if err != nil {
		t.Fatal(err)
	}
	if killed != 1 {
		t.Fatalf("%d connections hold advisory locks, want 1", killed)
	}
	// The holder does not let go when asked: only the dead connection frees
	// the lock.
	second := lock(t, b, "upload-1")
	if err := first.Unlock(); err != nil {
		t.Errorf("Unlock of a lock whose connection died: %v", err)
	}
	if err := second.Unlock(); err != nil {
		t.Errorf("Unlock: %v", err)
	}
}

// TestLockerUnreachable takes a lock with the database out of reach: the
// error is EUNAVAILABLE, and carries the tusd answer (503, a message for
// users) so that tusd does not answer 500 with the error's text, which
// names the database's address.
func TestLockerUnreachable(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	l := newLocker(t, "postgres://test@"+addr+"/none?sslmode=disable&connect_timeout=5")
	k, _ := l.NewLock("upload-1")
	ctx, cancel := context.WithTimeout(t.Context(), patience)
	defer cancel()
	err = k.Lock(ctx, func() {})
	if code := navette.ErrorCode(err); code != navette.EUNAVAILABLE {
		t.Errorf("Lock with the database out of reach = %v (%s), want EUNAVAILABLE", err, code)
	}
	var te tusd.Error
	if !errors.As(err, &te) || te.HTTPResponse.StatusCode != http.StatusServiceUnavailable ||
		strings.Contains(te.HTTPResponse.Body, addr) || strings.Contains(te.Message, addr) {
		t.Errorf("Lock with the database out of reach = %v, want a tusd answer 503 that does not name the database (got %+v)", err, te)
	}
	if te.HTTPResponse.Header["Retry-After"] == "" {
		t.Errorf("the 503 of a Lock with the database out of reach has no Retry-After: %+v", te.HTTPResponse)
	}
}

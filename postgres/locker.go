package postgres

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"hash/fnv"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/stdlib"

	"navette"
)

// unlockChannel is the channel on which a request waiting for an upload
// lock asks its holder, on whichever node, to release it. The payload is the
// upload id.
const unlockChannel = "navette_upload_unlock"

// Timing of a Lock that waits.
const (
	lockPoll   = 50 * time.Millisecond  // between two attempts to take the lock
	lockNotify = 250 * time.Millisecond // between two requests to the holder
	unlockWait = 5 * time.Second        // for the query that releases a lock
	listenWait = 2 * time.Second        // at most, before listening again after a failure
)

// Locker is a navette.UploadLocker for several navette nodes sharing one
// PostgreSQL database: two requests, on the same node or on two, never work
// on the same upload at once.
//
// A lock is a session-level advisory lock keyed by a 64-bit hash of the
// upload id, held by a connection of its own from Lock to Unlock. A lock
// whose node dies is released by PostgreSQL when its connection drops.
//
// As tusd, whose locker it serves as, requires, a request that wants a lock someone holds asks the
// holder to release it: it calls the holder's requestUnlock directly when
// the holder is on the same node, and sends a notification on the channel
// navette_upload_unlock for holders on other nodes; each Locker listens on
// that channel and calls the requestUnlock of the lock it holds, once per
// lock taken. This is how a client
// reconnecting after a dropped connection, maybe to another node, takes its
// upload back from the request that still holds it. The waiting request
// tries again every 50 ms, and notifies again every 250 ms in case a
// notification was missed, until its context is done.
type Locker struct {
	db *sql.DB

	stop context.CancelFunc
	done chan struct{}

	mu   sync.Mutex
	held map[string]*uploadLock // the locks this node holds, by upload id
}

var _ navette.UploadLocker = (*Locker)(nil)

// NewLocker returns a Locker keeping its locks in the database of db, a pool
// opened with pgx's database/sql driver (github.com/jackc/pgx/v5/stdlib).
// Each lock held takes one of its connections, and listening for unlock
// requests one more, so the pool should be one of its own: see
// Store.Locker. Close the Locker before db.
func NewLocker(db *sql.DB) *Locker {
	ctx, stop := context.WithCancel(context.Background())
	l := &Locker{db: db, stop: stop, done: make(chan struct{}), held: make(map[string]*uploadLock)}
	go l.listen(ctx)
	return l
}

// NewLock returns the lock of upload id, not yet taken.
func (l *Locker) NewLock(id string) (navette.UploadLock, error) {
	h := fnv.New64a()
	h.Write([]byte(id))
	return &uploadLock{l: l, id: id, key: int64(h.Sum64())}, nil
}

// Close stops listening for unlock requests. Locks still held stay held
// until they are unlocked or their connections close.
func (l *Locker) Close() error {
	l.stop()
	<-l.done
	return nil
}

// listen receives the requests to release upload locks until ctx is done,
// listening again after a failure.
func (l *Locker) listen(ctx context.Context) {
	defer close(l.done)
	wait := lockPoll
	for {
		listened, err := l.listenOnce(ctx)
		if errors.Is(err, errNotPgx) || ctx.Err() != nil {
			return
		}
		if listened {
			wait = lockPoll
		} else {
			wait = min(2*wait, listenWait)
		}
		if !sleep(ctx, wait) {
			return
		}
	}
}

// sleep waits for d to pass, and reports whether it did before ctx was
// done.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	select {
	case <-ctx.Done():
		t.Stop()
		return false
	case <-t.C:
		return true
	}
}

// errNotPgx is returned by listenOnce when the pool is not pgx's.
var errNotPgx = errors.New("postgres: the locker's pool does not use pgx's driver")

// listenOnce listens on a connection of its own until it fails or ctx is
// done, and reports whether it got to listen.
func (l *Locker) listenOnce(ctx context.Context) (listened bool, err error) {
	conn, err := l.db.Conn(ctx)
	if err != nil {
		return false, err
	}
	// The connection listens: it never goes back to the pool.
	defer discard(conn)
	err = conn.Raw(func(dc any) error {
		sc, ok := dc.(*stdlib.Conn)
		if !ok {
			return errNotPgx
		}
		c := sc.Conn()
		if _, err := c.Exec(ctx, "LISTEN "+unlockChannel); err != nil {
			return err
		}
		listened = true
		for {
			n, err := c.WaitForNotification(ctx)
			if err != nil {
				return err
			}
			l.requestUnlock(n.Payload)
		}
	})
	return listened, err
}

// requestUnlock asks the holder of the lock of upload id on this node, if
// any, to release it: once for each lock held.
func (l *Locker) requestUnlock(id string) {
	l.mu.Lock()
	k := l.held[id]
	var f func()
	if k != nil && !k.requested {
		k.requested = true
		f = k.requestUnlock
	}
	l.mu.Unlock()
	if f != nil {
		f()
	}
}

// uploadLock is the lock of one upload, used from one goroutine at a time.
type uploadLock struct {
	l   *Locker
	id  string
	key int64

	// While held:
	conn          *sql.Conn // the session holding the advisory lock
	requestUnlock func()    // the holder's request to release it
	requested     bool      // requestUnlock was called; guarded by l.mu
}

// Lock takes the lock, asking its holder to release it if needed, until ctx
// is done: then it returns an error wrapping ctx.Err(). Returns
// EUNAVAILABLE if the database cannot be reached.
func (k *uploadLock) Lock(ctx context.Context, requestUnlock func()) error {
	if k.conn != nil {
		return navette.Errorf(navette.EINTERNAL, "The upload lock is held already.")
	}
	var (
		conn       *sql.Conn
		lastNotify time.Time
		failures   int
	)
	for {
		if conn == nil {
			c, err := k.l.db.Conn(ctx)
			if err != nil {
				return k.lockErr(ctx, err)
			}
			conn = c
		}
		ok, err := k.try(ctx, conn, &lastNotify)
		if err != nil {
			// The lock may have been granted as the query was cancelled:
			// ending the session releases it.
			discard(conn)
			conn = nil
			// A connection of the pool may have been broken by a restart
			// of the server: try another.
			if failures++; failures < maxLockFailures && ctx.Err() == nil {
				continue
			}
			return k.lockErr(ctx, err)
		}
		if ok {
			break
		}
		if !sleep(ctx, lockPoll) {
			conn.Close()
			return fmt.Errorf("postgres: lock upload %s: %w", k.id, ctx.Err())
		}
	}
	k.hold(conn, requestUnlock)
	return nil
}

// hold records the lock as held by the session conn, to be released on
// requestUnlock, in the locks of its node.
func (k *uploadLock) hold(conn *sql.Conn, requestUnlock func()) {
	k.conn, k.requestUnlock = conn, requestUnlock
	k.l.mu.Lock()
	k.requested = false
	// A lock of this node whose connection died may still be registered:
	// this one replaces it.
	k.l.held[k.id] = k
	k.l.mu.Unlock()
}

// maxLockFailures is how many connections a Lock tries before it gives up.
const maxLockFailures = 3

// try tries to take the lock on conn. If it is held, it asks the holder to
// release it: directly if it is on this node, and by a notification if the
// last was sent long enough ago.
func (k *uploadLock) try(ctx context.Context, conn *sql.Conn, lastNotify *time.Time) (bool, error) {
	var ok bool
	if err := conn.QueryRowContext(ctx, "SELECT pg_try_advisory_lock($1)", k.key).Scan(&ok); err != nil || ok {
		return ok, err
	}
	k.l.requestUnlock(k.id)
	if now := time.Now(); now.Sub(*lastNotify) >= lockNotify {
		if _, err := conn.ExecContext(ctx, "SELECT pg_notify($1, $2)", unlockChannel, k.id); err != nil {
			return false, err
		}
		*lastNotify = now
	}
	return false, nil
}

// lockErr returns the error of a Lock that failed with err: one wrapping
// ctx.Err() if ctx is done, else EUNAVAILABLE with a message for users that
// does not name the database.
func (k *uploadLock) lockErr(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return fmt.Errorf("postgres: lock upload %s: %w", k.id, ctx.Err())
	}
	return navette.WrapError(navette.EUNAVAILABLE, fmt.Errorf("postgres: lock upload %s: %w", k.id, err), "The database cannot be reached; try again later.")
}

// Unlock releases the lock. Releasing a lock not held does nothing. If the
// lock cannot be released by a query, its connection is closed, which
// releases it as well: Unlock always succeeds.
func (k *uploadLock) Unlock() error {
	k.l.mu.Lock()
	if k.l.held[k.id] == k {
		delete(k.l.held, k.id)
	}
	k.l.mu.Unlock()
	conn := k.conn
	if conn == nil {
		return nil
	}
	k.conn, k.requestUnlock = nil, nil
	ctx, cancel := context.WithTimeout(context.Background(), unlockWait)
	defer cancel()
	var ok bool
	if err := conn.QueryRowContext(ctx, "SELECT pg_advisory_unlock($1)", k.key).Scan(&ok); err != nil || !ok {
		discard(conn)
		return nil
	}
	conn.Close()
	return nil
}

package navette

import (
	"context"
	"time"
)

// StoreStats counts what a metadata store holds, for the metrics an
// operator watches. Counting is meant to be cheap enough to run at every
// scrape.
type StoreStats struct {
	// Files counts files by state; states with no file are absent.
	Files map[FileState]int64
	// CorruptFiles counts the files not purged whose stored blob failed
	// its integrity check.
	CorruptFiles int64
	// PendingNotices and DeadNotices count the notices waiting to be sent
	// and those given up on.
	PendingNotices, DeadNotices int64
	// LastStamped is the latest checkpoint of the journal that carries a
	// time-stamp token, nil if none does.
	LastStamped *Checkpoint
}

// StatsStore is a metadata store that counts what it holds.
type StatsStore interface {
	// Stats counts files by state, corrupt files and notices waiting or
	// dead, and finds the latest time-stamped checkpoint.
	Stats(ctx context.Context) (*StoreStats, error)
}

// PoolStats describes a pool of database connections, the subset of
// database/sql.DBStats an operator watches.
type PoolStats struct {
	Name         string // "write", "read" or "main" when one pool serves both
	MaxOpen      int
	Open         int
	InUse        int
	Idle         int
	WaitCount    int64
	WaitDuration time.Duration
}

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

// Period is a span of time the activity figures are counted by: a
// calendar month in the operator's time zone, from Start (included) to End
// (excluded).
type Period struct {
	Label      string // "2026-11"
	Start, End time.Time
}

// ActivityFilter chooses what ActivityStore.Activity counts.
type ActivityFilter struct {
	// Periods are the months to count by, oldest first, each ending where
	// the next begins; a deposit outside them is not counted.
	Periods []Period
	// CourtID, if set, keeps the deposits whose sender belongs to that
	// court, and the notices about them.
	CourtID string
	// Top is how many partner organisations to rank; 0 ranks none.
	Top int
	// Now is when a deposit's availability is judged to have ended.
	Now time.Time
}

// Activity is what the platform carried in a span of months, counted by
// the store without reading deposits one by one.
type Activity struct {
	// Rows count the deposits submitted, their files and their bytes, by
	// month and sender's court, in month then court order.
	Rows []ActivityRow
	// Notices count the reminders sent and the notices given up on (dead
	// letters), by month, for the months that have any.
	Notices []NoticeMonth
	// Delays describe the deposits made available in the span.
	Delays Delays
	// Orgs are the partner organisations that received the most bytes,
	// most first.
	Orgs []OrgVolume
	// LocalOperator counts the journal's events caused from the server's
	// shell (actor LocalOperator: `navette admin … --data`), which no
	// second admin reviewed; platform-wide figures only.
	LocalOperator int64
}

// ActivityRow counts the deposits of one month and one group of senders:
// a court (CourtID), partners of no court (Partners), or staff of no
// court (neither).
type ActivityRow struct {
	Month    string
	CourtID  string
	Partners bool
	Deposits int64
	Files    int64
	Bytes    int64
}

// NoticeMonth counts the notices of one month, by the month they were
// queued in.
type NoticeMonth struct {
	Month     string
	Reminders int64 // reminders sent
	Dead      int64 // notices of any kind given up on
}

// Delays describe how soon recipients fetch what is made available for
// them: the time from availability (when the notice goes) to the first
// download by any recipient.
type Delays struct {
	// Available counts the deposits made available; Fetched, those a
	// recipient downloaded from.
	Available, Fetched int64
	// Ended counts the deposits whose retention ran out (not revoked)
	// before Now; Unfetched, those of them nobody downloaded from.
	Ended, Unfetched int64
	// Median and P90 are the median and 90th percentile of the delays
	// of the fetched deposits, interpolated linearly between ranks as
	// PostgreSQL's percentile_cont does; 0 if none was fetched.
	Median, P90 time.Duration
	// Buckets count the fetched deposits first downloaded within a day,
	// 3 days, 7 days, 14 days, and later.
	Buckets [5]int64
}

// DelayLimits are the upper bounds of the first four Delays.Buckets.
var DelayLimits = [4]time.Duration{24 * time.Hour, 72 * time.Hour, 7 * 24 * time.Hour, 14 * 24 * time.Hour}

// OrgVolume is what the partners of one organisation (a firm) received:
// the deposits made available to any of them and those deposits' bytes,
// each deposit counted once.
type OrgVolume struct {
	Org      string
	Deposits int64
	Bytes    int64
}

// ActivityStore is a metadata store that counts its activity with
// aggregate queries.
type ActivityStore interface {
	// Activity counts deposits, files, bytes, notices, delays to first
	// download and the top partner organisations in f's periods. Returns
	// EINVALID if f has no period.
	Activity(ctx context.Context, f ActivityFilter) (*Activity, error)
}

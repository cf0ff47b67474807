package sqlstore

import (
	"context"
	"database/sql"

	"navette"
)

var _ navette.StatsStore = (*Store)(nil)

// Stats counts files by state, corrupt files and notices waiting or dead,
// and finds the latest time-stamped checkpoint.
func (s *Store) Stats(ctx context.Context) (*navette.StoreStats, error) {
	st := &navette.StoreStats{Files: map[navette.FileState]int64{}}
	if err := s.countFiles(ctx, st); err != nil {
		return nil, err
	}
	if err := s.countNotices(ctx, st); err != nil {
		return nil, err
	}
	cs, err := s.queryCheckpoints(ctx, `SELECT `+checkpointCols+` FROM journal_checkpoints WHERE token IS NOT NULL ORDER BY size DESC LIMIT 1`)
	if err != nil {
		return nil, err
	}
	if len(cs) == 1 {
		st.LastStamped = cs[0]
	}
	return st, nil
}

// countFiles counts into st the files by state, and the corrupt ones not
// purged.
func (s *Store) countFiles(ctx context.Context, st *navette.StoreStats) error {
	files, err := queryAll(ctx, s, s.rdb, "count files", scanStateCount,
		`SELECT state, COUNT(*), SUM(CASE WHEN check_outcome = 'corrupt' THEN 1 ELSE 0 END) FROM files GROUP BY state`)
	if err != nil {
		return err
	}
	for _, c := range files {
		st.Files[navette.FileState(c.state)] = c.n
		if navette.FileState(c.state) != navette.FilePurged {
			st.CorruptFiles += c.corrupt
		}
	}
	return nil
}

// countNotices counts into st the notices pending and dead.
func (s *Store) countNotices(ctx context.Context, st *navette.StoreStats) error {
	notices, err := queryAll(ctx, s, s.rdb, "count notices", scanStateTotal,
		`SELECT state, COUNT(*) FROM notices WHERE state IN ('pending', 'dead') GROUP BY state`)
	if err != nil {
		return err
	}
	for _, c := range notices {
		switch navette.NoticeState(c.state) {
		case navette.NoticePending:
			st.PendingNotices = c.n
		case navette.NoticeDead:
			st.DeadNotices = c.n
		}
	}
	return nil
}

// stateCount is a count of rows in a state, and of those corrupt.
type stateCount struct {
	state      string
	n, corrupt int64
}

func scanStateCount(row scanner) (stateCount, error) {
	var c stateCount
	err := row.Scan(&c.state, &c.n, &c.corrupt)
	return c, err
}

func scanStateTotal(row scanner) (stateCount, error) {
	var c stateCount
	err := row.Scan(&c.state, &c.n)
	return c, err
}

// PoolStats describes the store's connection pools: "write" and "read",
// or "main" when one pool serves both.
func (s *Store) PoolStats() []navette.PoolStats {
	pool := func(name string, db *sql.DB) navette.PoolStats {
		d := db.Stats()
		return navette.PoolStats{Name: name, MaxOpen: d.MaxOpenConnections, Open: d.OpenConnections, InUse: d.InUse,
			Idle: d.Idle, WaitCount: d.WaitCount, WaitDuration: d.WaitDuration}
	}
	if s.wdb == s.rdb {
		return []navette.PoolStats{pool("main", s.wdb)}
	}
	return []navette.PoolStats{pool("write", s.wdb), pool("read", s.rdb)}
}

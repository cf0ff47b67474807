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
	rows, err := s.rdb.QueryContext(ctx, `SELECT state, COUNT(*), SUM(CASE WHEN check_outcome = 'corrupt' THEN 1 ELSE 0 END) FROM files GROUP BY state`)
	if err != nil {
		return nil, s.internal(err, "count files")
	}
	defer rows.Close()
	for rows.Next() {
		var (
			state      string
			n, corrupt int64
		)
		if err := rows.Scan(&state, &n, &corrupt); err != nil {
			return nil, s.internal(err, "count files")
		}
		st.Files[navette.FileState(state)] = n
		if navette.FileState(state) != navette.FilePurged {
			st.CorruptFiles += corrupt
		}
	}
	if err := rows.Err(); err != nil {
		return nil, s.internal(err, "count files")
	}
	rows.Close()
	nrows, err := s.rdb.QueryContext(ctx, `SELECT state, COUNT(*) FROM notices WHERE state IN ('pending', 'dead') GROUP BY state`)
	if err != nil {
		return nil, s.internal(err, "count notices")
	}
	defer nrows.Close()
	for nrows.Next() {
		var (
			state string
			n     int64
		)
		if err := nrows.Scan(&state, &n); err != nil {
			return nil, s.internal(err, "count notices")
		}
		switch navette.NoticeState(state) {
		case navette.NoticePending:
			st.PendingNotices = n
		case navette.NoticeDead:
			st.DeadNotices = n
		}
	}
	if err := nrows.Err(); err != nil {
		return nil, s.internal(err, "count notices")
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

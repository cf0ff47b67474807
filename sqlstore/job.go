package sqlstore

import (
	"context"
	"database/sql"
	"errors"

	"navette"
)

// LastRun returns the last run of the job called name; the zero JobRun if
// it never ran. It reads from the write pool, so that a node that has just
// taken a job's lock sees the run another node recorded before letting it
// go.
func (s *Store) LastRun(ctx context.Context, name string) (navette.JobRun, error) {
	var start, end sql.NullInt64
	err := s.wdb.QueryRowContext(ctx, `SELECT last_start, last_end FROM jobs WHERE name = $1`, name).Scan(&start, &end)
	if errors.Is(err, sql.ErrNoRows) {
		return navette.JobRun{}, nil
	}
	if err != nil {
		return navette.JobRun{}, s.internal(err, "read job "+name)
	}
	return navette.JobRun{Start: timeCol(start), End: timeCol(end)}, nil
}

// RecordRun replaces the last run of the job called name with run.
// Returns EINVALID for an empty name or a run without its start.
func (s *Store) RecordRun(ctx context.Context, name string, run navette.JobRun) error {
	switch {
	case name == "":
		return invalid("A job needs its name.")
	case run.Start.IsZero():
		return invalid("A job's run needs its start.")
	}
	_, err := s.wdb.ExecContext(ctx, `INSERT INTO jobs (name, last_start, last_end) VALUES ($1, $2, $3)
		ON CONFLICT (name) DO UPDATE SET last_start = excluded.last_start, last_end = excluded.last_end`,
		name, timeArg(run.Start), timeArg(run.End))
	if err != nil {
		return s.internal(err, "record job "+name)
	}
	return nil
}

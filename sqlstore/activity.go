package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"navette"
)

var _ navette.ActivityStore = (*Store)(nil)

// activityQuery is a query of Activity and its arguments: $1 the court,
// $2 and $3 the span's bounds, then what arg adds.
type activityQuery struct {
	args []any
}

// spanQuery returns the arguments every query of Activity starts with.
func spanQuery(f navette.ActivityFilter) activityQuery {
	return activityQuery{args: []any{f.CourtID, f.Periods[0].Start.UnixMicro(), f.Periods[len(f.Periods)-1].End.UnixMicro()}}
}

// month returns an expression giving the label of the period the time
// in col falls in, the periods being contiguous and col within the span.
func (q *activityQuery) month(f navette.ActivityFilter, col string) string {
	var b strings.Builder
	b.WriteString("CASE")
	for _, p := range f.Periods {
		fmt.Fprintf(&b, " WHEN %s < CAST(%s AS BIGINT) THEN CAST(%s AS TEXT)", col, q.arg(p.End.UnixMicro()), q.arg(p.Label))
	}
	b.WriteString(" END")
	return b.String()
}

// arg appends v to the arguments and returns its placeholder.
func (q *activityQuery) arg(v any) string {
	q.args = append(q.args, v)
	return fmt.Sprintf("$%d", len(q.args))
}

// Activity counts deposits, files, bytes, notices, delays to first
// download and the top partner organisations in f's periods, each figure
// by one aggregate query.
func (s *Store) Activity(ctx context.Context, f navette.ActivityFilter) (*navette.Activity, error) {
	if len(f.Periods) == 0 {
		return nil, invalid("Statistics need at least one month.")
	}
	a := &navette.Activity{}
	for _, step := range []func(context.Context, navette.ActivityFilter, *navette.Activity) error{
		s.activityRows, s.activityNotices, s.activityDelays, s.activityPercentiles, s.activityOrgs, s.activityLocal,
	} {
		if err := step(ctx, f, a); err != nil {
			return nil, err
		}
	}
	return a, nil
}

// activityLocal counts the events the local operator caused in the span,
// for the whole platform only.
func (s *Store) activityLocal(ctx context.Context, f navette.ActivityFilter, a *navette.Activity) error {
	if f.CourtID != "" {
		return nil
	}
	err := s.rdb.QueryRowContext(ctx, `SELECT COUNT(*) FROM events WHERE actor_id = $1 AND time >= $2 AND time < $3`,
		navette.LocalOperator, f.Periods[0].Start.UnixMicro(), f.Periods[len(f.Periods)-1].End.UnixMicro()).Scan(&a.LocalOperator)
	if err != nil {
		return s.internal(err, "count local operator events")
	}
	return nil
}

// scanAll runs query and calls scan on each row.
func (s *Store) scanAll(ctx context.Context, op, query string, args []any, scan func(*sql.Rows) error) error {
	rows, err := s.rdb.QueryContext(ctx, query, args...)
	if err != nil {
		return s.internal(err, op)
	}
	defer rows.Close()
	for rows.Next() {
		if err := scan(rows); err != nil {
			return s.internal(err, op)
		}
	}
	if err := rows.Err(); err != nil {
		return s.internal(err, op)
	}
	return nil
}

// activityRows counts the deposits submitted in each period by sender's
// court, with their files and bytes (rejected files left out).
func (s *Store) activityRows(ctx context.Context, f navette.ActivityFilter, a *navette.Activity) error {
	q := spanQuery(f)
	query := `SELECT x.label, x.court_id, x.partners, COUNT(*), CAST(COALESCE(SUM(x.files), 0) AS BIGINT), CAST(COALESCE(SUM(x.bytes), 0) AS BIGINT)
		FROM (SELECT ` + q.month(f, "d.submitted_at") + ` AS label, s.court_id,
			CASE WHEN s.court_id = '' AND s.role = 'partner' THEN 1 ELSE 0 END AS partners,
			(SELECT COUNT(*) FROM files fl WHERE fl.deposit_id = d.id AND fl.state <> 'rejected') AS files,
			(SELECT COALESCE(SUM(fl.size), 0) FROM files fl WHERE fl.deposit_id = d.id AND fl.state <> 'rejected') AS bytes
			FROM deposits d
			JOIN users s ON s.id = d.sender_id
			WHERE d.submitted_at >= $2 AND d.submitted_at < $3 AND ($1 = '' OR s.court_id = $1)) x
		GROUP BY x.label, x.court_id, x.partners ORDER BY 1, 2, 3`
	return s.scanAll(ctx, "count deposits", query, q.args, func(rows *sql.Rows) error {
		var (
			r        navette.ActivityRow
			partners int64
		)
		if err := rows.Scan(&r.Month, &r.CourtID, &partners, &r.Deposits, &r.Files, &r.Bytes); err != nil {
			return err
		}
		r.Partners = partners == 1
		a.Rows = append(a.Rows, r)
		return nil
	})
}

// activityNotices counts the reminders sent and the dead letters queued
// in each period; with a court, only those about its senders' deposits.
func (s *Store) activityNotices(ctx context.Context, f navette.ActivityFilter, a *navette.Activity) error {
	q := spanQuery(f)
	query := `SELECT x.label, CAST(COALESCE(SUM(x.reminder), 0) AS BIGINT), CAST(COALESCE(SUM(x.dead), 0) AS BIGINT)
		FROM (SELECT ` + q.month(f, "n.created_at") + ` AS label,
			CASE WHEN n.kind = 'reminder' AND n.state = 'sent' THEN 1 ELSE 0 END AS reminder,
			CASE WHEN n.state = 'dead' THEN 1 ELSE 0 END AS dead
			FROM notices n
			WHERE n.created_at >= $2 AND n.created_at < $3 AND n.state IN ('sent', 'dead')
			AND ($1 = '' OR EXISTS (SELECT 1 FROM deposits d JOIN users s ON s.id = d.sender_id
				WHERE d.id = n.deposit_id AND s.court_id = $1))) x
		GROUP BY x.label ORDER BY 1`
	return s.scanAll(ctx, "count notices", query, q.args, func(rows *sql.Rows) error {
		var m navette.NoticeMonth
		if err := rows.Scan(&m.Month, &m.Reminders, &m.Dead); err != nil {
			return err
		}
		if m.Reminders+m.Dead > 0 {
			a.Notices = append(a.Notices, m)
		}
		return nil
	})
}

// firstDownloads is the query of the deposits made available in the span
// (of the court, if any), each with its first download time (NULL if
// none): columns available_at, expires_at, revoked_at, first.
const firstDownloads = `SELECT d.available_at, d.expires_at, d.revoked_at,
		(SELECT MIN(r.first_download_at) FROM deposit_recipients r WHERE r.deposit_id = d.id) AS first
	FROM deposits d
	JOIN users s ON s.id = d.sender_id
	WHERE d.available_at >= $2 AND d.available_at < $3 AND ($1 = '' OR s.court_id = $1)`

// activityDelays counts the deposits made available, fetched, ended and
// ended unfetched, and the first downloads under each of DelayLimits.
func (s *Store) activityDelays(ctx context.Context, f navette.ActivityFilter, a *navette.Activity) error {
	q := spanQuery(f)
	now := q.arg(f.Now.UnixMicro())
	ended := `x.revoked_at IS NULL AND x.expires_at <= ` + now
	cols := []string{"COUNT(*)", "COUNT(x.first)",
		`CAST(COALESCE(SUM(CASE WHEN ` + ended + ` THEN 1 ELSE 0 END), 0) AS BIGINT)`,
		`CAST(COALESCE(SUM(CASE WHEN ` + ended + ` AND x.first IS NULL THEN 1 ELSE 0 END), 0) AS BIGINT)`}
	for _, l := range navette.DelayLimits {
		cols = append(cols, `CAST(COALESCE(SUM(CASE WHEN x.first - x.available_at < `+q.arg(l.Microseconds())+` THEN 1 ELSE 0 END), 0) AS BIGINT)`)
	}
	query := `SELECT ` + strings.Join(cols, ", ") + ` FROM (` + firstDownloads + `) x`
	var under [len(navette.DelayLimits)]int64
	d := &a.Delays
	err := s.rdb.QueryRowContext(ctx, query, q.args...).Scan(
		&d.Available, &d.Fetched, &d.Ended, &d.Unfetched, &under[0], &under[1], &under[2], &under[3])
	if err != nil {
		return s.internal(err, "count first downloads")
	}
	prev := int64(0)
	for i, n := range under {
		d.Buckets[i] = n - prev
		prev = n
	}
	d.Buckets[len(under)] = d.Fetched - prev
	return nil
}

// activityPercentiles finds the median and 90th percentile of the delays
// to first download, reading at most two delays for each.
func (s *Store) activityPercentiles(ctx context.Context, f navette.ActivityFilter, a *navette.Activity) error {
	n := a.Delays.Fetched
	if n == 0 {
		return nil
	}
	var err error
	if a.Delays.Median, err = s.percentile(ctx, f, n, 50); err != nil {
		return err
	}
	a.Delays.P90, err = s.percentile(ctx, f, n, 90)
	return err
}

// percentile returns the p-th percentile of the n delays to first
// download, interpolated between the two ranks around p×(n−1).
func (s *Store) percentile(ctx context.Context, f navette.ActivityFilter, n int64, p int64) (time.Duration, error) {
	pos := p * (n - 1) // in hundredths of a rank
	rank, frac := pos/100, pos%100
	q := spanQuery(f)
	query := `SELECT x.first - x.available_at FROM (` + firstDownloads + `) x WHERE x.first IS NOT NULL
		ORDER BY 1 LIMIT 2 OFFSET ` + q.arg(rank)
	var vs []int64
	err := s.scanAll(ctx, "find a percentile", query, q.args, func(rows *sql.Rows) error {
		var v int64
		err := rows.Scan(&v)
		vs = append(vs, v)
		return err
	})
	if err != nil || len(vs) == 0 {
		return 0, err
	}
	v := vs[0] * 100
	if len(vs) == 2 {
		v += (vs[1] - vs[0]) * frac
	}
	return time.Duration(v) * time.Microsecond / 100, nil
}

// activityOrgs ranks the partner organisations by the bytes of the
// deposits made available to their members in the span, each deposit
// counted once per organisation.
func (s *Store) activityOrgs(ctx context.Context, f navette.ActivityFilter, a *navette.Activity) error {
	if f.Top <= 0 {
		return nil
	}
	q := spanQuery(f)
	args := append(q.args, f.Top)
	query := `SELECT o.org, COUNT(*), CAST(COALESCE(SUM(o.bytes), 0) AS BIGINT) FROM (
			SELECT p.org, (SELECT COALESCE(SUM(fl.size), 0) FROM files fl WHERE fl.deposit_id = p.id AND fl.state <> 'rejected') AS bytes
			FROM (SELECT DISTINCT d.id, u.org
				FROM deposits d
				JOIN users s ON s.id = d.sender_id
				JOIN deposit_recipients r ON r.deposit_id = d.id
				JOIN users u ON u.id = r.user_id
				WHERE d.available_at >= $2 AND d.available_at < $3 AND ($1 = '' OR s.court_id = $1)
				AND u.role = 'partner' AND u.org <> '') p
		) o GROUP BY o.org ORDER BY 3 DESC, 1 LIMIT $4`
	return s.scanAll(ctx, "rank organisations", query, args, func(rows *sql.Rows) error {
		var o navette.OrgVolume
		if err := rows.Scan(&o.Org, &o.Deposits, &o.Bytes); err != nil {
			return err
		}
		a.Orgs = append(a.Orgs, o)
		return nil
	})
}

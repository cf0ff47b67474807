package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"slices"
	"strconv"
	"strings"
	"time"

	"navette"
)

var _ navette.DeliveryStore = (*Store)(nil)

// AddDelivered merges r into what userID was delivered of fileID. The
// file's row is locked first, so that concurrent calls for the file are
// applied one after the other and only one of them sees the cover complete.
func (s *Store) AddDelivered(ctx context.Context, fileID, userID string, r navette.ByteRange, at time.Time) (bool, error) {
	if at.IsZero() {
		return false, invalid("A delivery needs a time.")
	}
	if r.Start < 0 || r.End < r.Start {
		return false, invalid("Bad byte range %d-%d.", r.Start, r.End)
	}
	var complete bool
	err := s.inTx(ctx, "add delivered bytes", func(tx *sql.Tx) (err error) {
		complete, err = s.addDelivered(ctx, tx, fileID, userID, r, at)
		return err
	})
	if err != nil {
		return false, err
	}
	return complete, nil
}

// addDelivered is AddDelivered in tx.
func (s *Store) addDelivered(ctx context.Context, tx *sql.Tx, fileID, userID string, r navette.ByteRange, at time.Time) (bool, error) {
	size, err := s.lockDeliveryFile(ctx, tx, fileID, userID, r)
	if err != nil {
		return false, err
	}
	if r.Len() == 0 && size > 0 {
		return false, nil
	}
	have, err := s.readDelivered(ctx, tx, fileID, userID)
	if err != nil {
		return false, err
	}
	have = mergeRange(have, r)
	if covered(have, size) {
		if _, err := tx.ExecContext(ctx, `DELETE FROM deliveries WHERE file_id = $1 AND user_id = $2`, fileID, userID); err != nil {
			return false, s.internal(err, "clear delivered bytes")
		}
		return true, nil
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO deliveries (file_id, user_id, ranges, updated_at) VALUES ($1, $2, $3, $4)
			ON CONFLICT (file_id, user_id) DO UPDATE SET ranges = excluded.ranges, updated_at = excluded.updated_at`,
		fileID, userID, formatRanges(have), at.UnixMicro())
	if err != nil {
		return false, s.insertErr(err, "write delivered bytes", "", "No such user.")
	}
	return false, nil
}

// covered reports whether the ranges have, sorted, disjoint and
// non-adjacent, cover a file of size bytes.
func covered(have []navette.ByteRange, size int64) bool {
	return size == 0 || len(have) == 1 && have[0].Start == 0 && have[0].End >= size
}

// Delivered returns the ranges of fileID delivered to userID since their
// last complete cover.
func (s *Store) Delivered(ctx context.Context, fileID, userID string) ([]navette.ByteRange, error) {
	return s.readDelivered(ctx, s.rdb, fileID, userID)
}

// rowQueryer is a database or a transaction, to read one row from.
type rowQueryer interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// readDelivered returns the ranges of fileID delivered to userID since
// their last complete cover, read with q.
func (s *Store) readDelivered(ctx context.Context, q rowQueryer, fileID, userID string) ([]navette.ByteRange, error) {
	var text string
	err := q.QueryRowContext(ctx, `SELECT ranges FROM deliveries WHERE file_id = $1 AND user_id = $2`, fileID, userID).Scan(&text)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	} else if err != nil {
		return nil, s.internal(err, "read delivered bytes")
	}
	rs, err := parseRanges(text)
	if err != nil {
		return nil, s.internal(err, "read delivered bytes")
	}
	return rs, nil
}

// lockDeliveryFile locks the row of fileID, to which the delivery r of
// userID must belong, and returns the file's size.
func (s *Store) lockDeliveryFile(ctx context.Context, tx *sql.Tx, fileID, userID string, r navette.ByteRange) (int64, error) {
	var size int64
	err := tx.QueryRowContext(ctx, `SELECT size FROM files WHERE id = $1`+s.lock, fileID).Scan(&size)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, navette.Errorf(navette.ENOTFOUND, "No such file.")
	} else if err != nil {
		return 0, s.internal(err, "lock file")
	}
	if r.End > size {
		return 0, invalid("Byte range %d-%d outside a file of %d bytes.", r.Start, r.End, size)
	}
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM users WHERE id = $1`, userID).Scan(&n); err != nil {
		return 0, s.internal(err, "find user")
	}
	if n == 0 {
		return 0, navette.Errorf(navette.ENOTFOUND, "No such user.")
	}
	return size, nil
}

// mergeRange adds r to rs, sorted, disjoint and non-adjacent ranges, and
// returns the result in the same form, keeping at most
// navette.MaxDeliveredRanges of them: the largest.
func mergeRange(rs []navette.ByteRange, r navette.ByteRange) []navette.ByteRange {
	if r.Len() <= 0 {
		return rs
	}
	out := make([]navette.ByteRange, 0, len(rs)+1)
	i := 0
	for ; i < len(rs) && rs[i].End < r.Start; i++ {
		out = append(out, rs[i])
	}
	for ; i < len(rs) && rs[i].Start <= r.End; i++ {
		r.Start, r.End = min(r.Start, rs[i].Start), max(r.End, rs[i].End)
	}
	out = append(out, r)
	out = append(out, rs[i:]...)
	if len(out) > navette.MaxDeliveredRanges {
		keep := slices.Clone(out)
		slices.SortStableFunc(keep, func(a, b navette.ByteRange) int { return compareInt64(b.Len(), a.Len()) })
		keep = keep[:navette.MaxDeliveredRanges]
		slices.SortFunc(keep, func(a, b navette.ByteRange) int { return compareInt64(a.Start, b.Start) })
		out = keep
	}
	return out
}

func compareInt64(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// formatRanges writes rs as "START-END,…".
func formatRanges(rs []navette.ByteRange) string {
	var b strings.Builder
	for i, r := range rs {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(strconv.FormatInt(r.Start, 10))
		b.WriteByte('-')
		b.WriteString(strconv.FormatInt(r.End, 10))
	}
	return b.String()
}

// parseRanges reads what formatRanges wrote.
func parseRanges(s string) ([]navette.ByteRange, error) {
	if s == "" {
		return nil, nil
	}
	var out []navette.ByteRange
	for part := range strings.SplitSeq(s, ",") {
		a, b, ok := strings.Cut(part, "-")
		start, err1 := strconv.ParseInt(a, 10, 64)
		end, err2 := strconv.ParseInt(b, 10, 64)
		if !ok || err1 != nil || err2 != nil || start < 0 || end <= start || len(out) > 0 && start <= out[len(out)-1].End {
			return nil, errors.New("bad delivered ranges " + strconv.Quote(s))
		}
		out = append(out, navette.ByteRange{Start: start, End: end})
	}
	return out, nil
}

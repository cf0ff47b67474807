package deposit

import (
	"strconv"
	"strings"
	"time"

	"navette"
)

// A page cursor is "<unix micros>.<id>" of the last deposit shown.
func formatCursor(t time.Time, id string) string {
	return strconv.FormatInt(t.UnixMicro(), 10) + "." + id
}

func parseCursor(s string) (time.Time, string, bool) {
	ts, id, ok := strings.Cut(s, ".")
	if !ok || !navette.ValidID(id) {
		return time.Time{}, "", false
	}
	us, err := strconv.ParseInt(ts, 10, 64)
	if err != nil || us < 0 {
		return time.Time{}, "", false
	}
	return time.UnixMicro(us).UTC(), id, true
}

// pageLimit returns limit, or the default page size of 50 if limit is not
// from 1 to 200.
func pageLimit(limit int) int {
	if limit <= 0 || limit > 200 {
		return 50
	}
	return limit
}

// pageCursor returns the time and id of the cursor before (zero for ""),
// or EINVALID if it is not a cursor.
func pageCursor(before string) (time.Time, string, error) {
	if before == "" {
		return time.Time{}, "", nil
	}
	t, id, ok := parseCursor(before)
	if !ok {
		return time.Time{}, "", navette.Errorf(navette.EINVALID, "Invalid page cursor.")
	}
	return t, id, nil
}

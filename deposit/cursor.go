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

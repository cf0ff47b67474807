package cli

import (
	"time"
	_ "time/tzdata" // times are shown in Paris time, even without system tzdata
)

// paris returns the time zone every time meant for a person is shown in,
// the platform's (JSON and other machine output stay RFC 3339 UTC).
func paris() *time.Location {
	loc, err := time.LoadLocation("Europe/Paris")
	if err != nil { // impossible with time/tzdata embedded
		return time.UTC
	}
	return loc
}

// parisTime is t as a person reads it: in Paris, to the minute. A table
// says "(PARIS)" in the heading of its column, a sentence "(Paris time)"
// after it.
func parisTime(t time.Time) string { return t.In(paris()).Format("2006-01-02 15:04") }

// parisSecond is parisTime to the second, for what is dated to the second
// (an event of the journal, a backup).
func parisSecond(t time.Time) string { return t.In(paris()).Format("2006-01-02 15:04:05") }

package navette

import (
	"context"
	"time"
)

// JobRun is when a background job of the platform last ran: Start, when
// its last run started; End, when its last complete run ended. A run that
// started and did not end (it failed, or still runs) has Start after End.
// The zero JobRun is a job that never ran.
type JobRun struct {
	Start time.Time
	End   time.Time
}

// JobStore keeps when the platform's background jobs (the scrubber's
// "scrub") last ran, shared by all the nodes of a platform, so that a job
// due once a day runs once a day whatever the nodes and their restarts.
// An optional role, implemented by the SQL stores.
type JobStore interface {
	// LastRun returns the last run of the job called name; the zero
	// JobRun, not an error, if it never ran.
	LastRun(ctx context.Context, name string) (JobRun, error)

	// RecordRun replaces the last run of the job called name with run.
	// Returns EINVALID for an empty name or a run without its start.
	RecordRun(ctx context.Context, name string, run JobRun) error
}

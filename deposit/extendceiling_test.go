package deposit

import (
	"testing"
	"time"

	"navette"
)

// TestExtendToTheCeiling: a deposit made available a moment after it was
// made (its files took that long to arrive) may be extended to the full
// ceiling in days; a clerk with 10 days of retention under a ceiling of 30
// was told "1 to 19 days" and refused 20, by the milliseconds between the
// deposit's creation and its availability.
func TestExtendToTheCeiling(t *testing.T) {
	created := time.Date(2026, 12, 7, 4, 26, 4, 925_000_000, time.UTC)
	for _, upload := range []time.Duration{78 * time.Millisecond, 3 * time.Hour} {
		d := &navette.DepositRecord{State: navette.DepositAvailable, CreatedAt: created, RetentionDays: 10,
			ExpiresAt: created.Add(upload + 10*24*time.Hour)}
		lim := navette.Limits{MaxRetentionDays: 30}
		now := created.Add(time.Hour)
		if err := checkExtension(d, 20, lim, now); err != nil {
			t.Errorf("after an upload of %s, extending by 20 days: %v", upload, err)
		}
		if err := checkExtension(d, 21, lim, now); !navette.IsCode(err, navette.EINVALID) || navette.ErrorMessage(err) != "A deposit can be extended by 1 to 20 days (at most 30 days from its availability)." {
			t.Errorf("after an upload of %s, extending by 21 days: %v", upload, err)
		}
	}
}

package deposit

import (
	"time"
)

// abandonAfter is how long a draft may wait for submission.
func (s *Service) abandonAfter() time.Duration {
	if s.AbandonAfter <= 0 {
		return 24 * time.Hour
	}
	return s.AbandonAfter
}

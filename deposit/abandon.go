package deposit

import (
	"context"
	"time"

	"navette"
)

// abandonAfter is how long a draft may wait for submission.
func (s *Service) abandonAfter() time.Duration {
	if s.AbandonAfter <= 0 {
		return 24 * time.Hour
	}
	return s.AbandonAfter
}

// UploadExpires returns when actor's unfinished upload f is discarded with
// its draft if the draft is not submitted: the draft's creation plus
// AbandonAfter. Returns the zero time for a file no longer uploading,
// ENOTFOUND unless actor sent its deposit.
func (s *Service) UploadExpires(ctx context.Context, actor *navette.User, f *navette.FileRecord) (time.Time, error) {
	if f.State != navette.FileUploading {
		return time.Time{}, nil
	}
	if actor == nil {
		return time.Time{}, navette.Errorf(navette.EUNAUTHORIZED, "Authentication is required.")
	}
	d, err := s.Meta.DepositFor(ctx, f.DepositID, actor.ID)
	if err == nil && d.SenderID != actor.ID {
		err = navette.Errorf(navette.ENOTFOUND, "No such upload.")
	}
	if err != nil {
		return time.Time{}, err
	}
	return d.CreatedAt.Add(s.abandonAfter()), nil
}

package deposit

import (
	"cmp"
	"context"
	"slices"

	"navette"
	"navette/notify"
)

// maxWaiting bounds the deposits Waiting lists: the newest that many of a
// person's inbox are read.
const maxWaiting = 200

// WaitingFor returns the deposits still waiting for the user userID, soonest
// expiry first: available, addressed to them in person, not downloaded by
// them yet. The mail that restores someone's access lists them (see
// notify.WaitingFor): while it was withdrawn, their reminders, and even a
// deposit's notice, were skipped (recipientNotices, reminders), and the
// sweeper reminds a deposit once.
func (s *Service) WaitingFor(ctx context.Context, userID string) ([]notify.Waiting, error) {
	recs, err := s.Meta.ListDeposits(ctx, navette.DepositFilter{UserID: userID, Box: navette.BoxInbox, Limit: maxWaiting})
	if err != nil {
		return nil, err
	}
	now := s.Clock.Now()
	var out []notify.Waiting
	for _, d := range recs {
		i := slices.IndexFunc(d.Recipients, func(r navette.Recipient) bool { return r.UserID == userID })
		if i < 0 || !d.Recipients[i].FirstDownloadAt.IsZero() || d.State != navette.DepositAvailable || Expired(d, now) || d.Key.IsZero() {
			continue
		}
		_, ref, err := s.openReference(d)
		if err != nil {
			return nil, err
		}
		out = append(out, notify.Waiting{DepositID: d.ID, Reference: ref, ExpiresAt: d.ExpiresAt})
	}
	slices.SortFunc(out, func(a, b notify.Waiting) int { return cmp.Compare(a.ExpiresAt.UnixNano(), b.ExpiresAt.UnixNano()) })
	return out, nil
}

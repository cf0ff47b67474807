package deposit

import (
	"context"
	"slices"
	"time"

	"navette"
)

// A forward is sent in person, so that before it was listed on the
// original, the colleagues of the mailbox a deposit came to could not tell
// that one of them had passed it on. The original's view (Get, View.Forwards)
// now lists its forwards for the sending side (its sender, who is mailed
// each one (NoticeForwarded), and the members of the mailbox it was sent
// from) and for the agents who received it, in person or through a
// mailbox: those who could forward it themselves. A partner who received it
// sees none: a forward stays within the ministry, and who in the court was
// given the case is not theirs to learn. What is listed is who forwarded,
// to whom, when and in what state, never the forward's message or files:
// reading those takes access to the forward itself.
//
// A forward names its original (DepositRecord.ForwardedFrom, migration 36),
// so the list is one query of the store (ForwardStore.DepositForwards), not
// a read of the original's journal, however long it grew; the deposit's
// view fails as a whole if the list cannot be read.

// ForwardView is a forward of a deposit as the people who see the
// deposit see it: nothing of its content.
type ForwardView struct {
	ID        string
	Forwarder *navette.User
	// Recipients are whom it was forwarded to, people or service
	// mailboxes, with their names, e-mail addresses and roles.
	Recipients []navette.Recipient
	At         time.Time // when it was forwarded
	// State is the forward's state, expired once past its expiry even if
	// the sweeper has not recorded it yet; ExpiresAt is its expiry.
	State     navette.DepositState
	ExpiresAt time.Time
	// Open is set when the viewer may open the forward itself: they made
	// it, or received it in person or through a mailbox.
	Open bool
}

// forwards returns the forwards of d, oldest first, as actor sees them
// (sending: actor is on d's sending side): to the sending side and the
// agents who received d; nothing to a partner who received it. They are
// read by one query of the store, whatever the length of d's journal.
func (s *Service) forwards(ctx context.Context, actor *navette.User, d *navette.DepositRecord, sending bool) ([]ForwardView, error) {
	if !sending && actor.Role != navette.RoleAgent && actor.Role != navette.RoleCourtAdmin {
		return nil, nil
	}
	store, ok := s.Meta.(navette.ForwardStore)
	if !ok || d.State == navette.DepositDraft || d.State == navette.DepositChecking { // never available: never forwarded
		return nil, nil
	}
	recs, err := store.DepositForwards(ctx, d.ID)
	if err != nil || len(recs) == 0 {
		return nil, err
	}
	var svcs map[string]bool
	if slices.ContainsFunc(recs, toMailbox) {
		if svcs, err = s.services(ctx, actor); err != nil {
			return nil, err
		}
	}
	now := s.Clock.Now()
	out := make([]ForwardView, 0, len(recs))
	for _, r := range recs {
		out = append(out, forwardView(r, actor, svcs, now))
	}
	return out, nil
}

// forwardView returns the forward r as actor, a member of the mailboxes
// svcs, sees it at now.
func forwardView(r navette.ForwardRecord, actor *navette.User, svcs map[string]bool, now time.Time) ForwardView {
	fv := ForwardView{ID: r.ID, Forwarder: r.Forwarder, Recipients: r.Recipients, At: r.CreatedAt, State: r.State,
		ExpiresAt: r.ExpiresAt, Open: r.Forwarder.ID == actor.ID}
	if r.State == navette.DepositAvailable && Expired(&navette.DepositRecord{State: r.State, ExpiresAt: r.ExpiresAt}, now) {
		fv.State = navette.DepositExpired
	}
	for _, to := range r.Recipients {
		fv.Open = fv.Open || to.UserID == actor.ID || svcs[to.UserID]
	}
	return fv
}

// toMailbox reports whether r was forwarded to a service mailbox.
func toMailbox(r navette.ForwardRecord) bool {
	return slices.ContainsFunc(r.Recipients, func(to navette.Recipient) bool { return to.Role == navette.RoleService })
}

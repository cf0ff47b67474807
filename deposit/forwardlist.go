package deposit

import (
	"context"
	"time"

	"navette"
)

// A forward is sent in person, so that before it was listed on the
// original, the colleagues of the mailbox a deposit came to could not tell
// that one of them had passed it on. The original's page now lists its
// forwards for the sending side (its sender, who is mailed each one
// (NoticeForwarded), and the members of the mailbox it was sent from) and
// for the agents who received it, in person or through a mailbox: those
// who could forward it themselves. A partner who received it sees none: a
// forward stays within the ministry, and who in the court was given the
// case is not theirs to learn. What is listed is who forwarded, to whom,
// when and in what state, never the forward's message or files: reading
// those takes access to the forward itself.

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

// Forwards returns the forwards of deposit id, oldest first, to those who
// see them: the sending side and the agents who received it; nothing to a
// partner who received it. Returns what Get returns.
func (s *Service) Forwards(ctx context.Context, actor *navette.User, id string) ([]ForwardView, error) {
	d, sending, err := s.lookupLive(ctx, actor, id)
	if err != nil {
		return nil, err
	}
	if !sending && actor.Role != navette.RoleAgent && actor.Role != navette.RoleCourtAdmin {
		return nil, nil
	}
	evs, err := s.Meta.Events(ctx, navette.EventFilter{DepositID: d.ID, Limit: 10000})
	if err != nil {
		return nil, err
	}
	svcs, err := s.services(ctx, actor)
	if err != nil {
		return nil, err
	}
	people := map[string]*navette.User{}
	var out []ForwardView
	for _, e := range evs {
		if e.Type != navette.EventDepositForwarded {
			continue
		}
		fv, err := s.forwardView(ctx, actor, svcs, people, e)
		if err != nil {
			return nil, err
		}
		out = append(out, fv)
	}
	return out, nil
}

// forwardView returns the forward e journals as actor, a member of the
// mailboxes svcs, sees it; people keeps the forwarders read.
func (s *Service) forwardView(ctx context.Context, actor *navette.User, svcs map[string]bool, people map[string]*navette.User, e navette.Event) (ForwardView, error) {
	fw, err := s.Meta.Deposit(ctx, e.Detail)
	if err != nil {
		return ForwardView{}, err
	}
	by, ok := people[fw.SenderID]
	if !ok {
		if by, err = s.Meta.User(ctx, fw.SenderID); err != nil {
			return ForwardView{}, err
		}
		people[fw.SenderID] = by
	}
	fv := ForwardView{ID: fw.ID, Forwarder: by, Recipients: fw.Recipients, At: e.Time, State: fw.State, ExpiresAt: fw.ExpiresAt,
		Open: fw.SenderID == actor.ID}
	if fw.State == navette.DepositAvailable && Expired(fw, s.Clock.Now()) {
		fv.State = navette.DepositExpired
	}
	for _, r := range fw.Recipients {
		fv.Open = fv.Open || r.UserID == actor.ID || svcs[r.UserID]
	}
	return fv, nil
}

package deposit

import (
	"context"
	"time"

	"navette"
)

// MaxDrafts is how many drafts Drafts returns at most.
const MaxDrafts = 100

// Drafts returns the actor's drafts, newest first: the deposits they
// created and have not submitted yet, at most MaxDrafts.
func (s *Service) Drafts(ctx context.Context, actor *navette.User) ([]*View, error) {
	if actor == nil {
		return nil, navette.Errorf(navette.EUNAUTHORIZED, "Authentication is required.")
	}
	recs, err := s.Meta.ListDeposits(ctx, navette.DepositFilter{
		UserID: actor.ID, Box: navette.BoxSent, States: []navette.DepositState{navette.DepositDraft}, Limit: MaxDrafts,
	})
	if err != nil {
		return nil, err
	}
	pg, err := s.readPage(ctx, recs)
	if err != nil {
		return nil, err
	}
	views := make([]*View, 0, len(recs))
	for _, d := range recs {
		v, err := s.viewIn(ctx, d, pg.files[d.ID], pg)
		if err != nil {
			return nil, err
		}
		views = append(views, v)
	}
	return views, nil
}

// AbandonedAt is when the sweep purges the draft d if it is still not
// submitted.
func (s *Service) AbandonedAt(d *navette.DepositRecord) time.Time {
	return d.CreatedAt.Add(s.abandonAfter())
}

// Discard gives up the actor's draft id: it is withdrawn at once (journaled
// as a withdrawal, detail "discarded") and the sweep purges its files and
// keys. Only the sender may discard. Returns ECONFLICT if the deposit is
// no longer a draft: a submitted deposit is withdrawn, not discarded.
func (s *Service) Discard(ctx context.Context, actor *navette.User, id string) error {
	if _, err := s.lookupSent(ctx, actor, id, "Only the sender may discard a draft."); err != nil {
		return err
	}
	err := s.Meta.UpdateDeposit(ctx, id, func(d *navette.DepositRecord, files []*navette.FileRecord) ([]navette.Event, error) {
		if d.State != navette.DepositDraft {
			return nil, navette.Errorf(navette.ECONFLICT, "Only a draft can be discarded; this deposit is %s.", d.State)
		}
		now := s.Clock.Now()
		d.State = navette.DepositRevoked
		d.RevokedAt = now
		ev := navette.Event{Time: now, Type: navette.EventDepositRevoked, ActorID: actor.ID, DepositID: d.ID, Detail: "discarded"}
		return s.withClaims(ctx, d, files, actor, nil, []navette.Event{ev})
	})
	if err == nil {
		s.kick()
	}
	return err
}

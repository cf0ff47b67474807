package deposit

import (
	"context"
	"time"

	"navette"
)

// Extend lengthens the retention of an available deposit by days, within
// the operator's ceiling counted from the start of its retention (its
// availability, just after its creation): its new expiry is at most
// MaxRetentionDays after it was made available. Its recipients are
// told by a notice, the extension is journaled with its claims (the actor
// is who extended). Only the sender, or a member of the service mailbox it
// was sent from, may extend; others who know the deposit get EFORBIDDEN.
// Returns EINVALID for days below 1 or past the ceiling
// (saying how far it may go), ECONFLICT for a deposit not yet available,
// EGONE for one that ended.
func (s *Service) Extend(ctx context.Context, actor *navette.User, id string, days int) (*View, error) {
	if _, err := s.lookupSent(ctx, actor, id, "Only the sender may extend a deposit."); err != nil {
		return nil, err
	}
	lim, err := s.CurrentLimits(ctx)
	if err != nil {
		return nil, err
	}
	err = s.Meta.UpdateDeposit(ctx, id, func(d *navette.DepositRecord, files []*navette.FileRecord) ([]navette.Event, error) {
		now := s.Clock.Now()
		if err := checkExtension(d, days, lim, now); err != nil {
			return nil, err
		}
		d.ExpiresAt = d.ExpiresAt.Add(time.Duration(days) * 24 * time.Hour)
		d.RetentionDays += days
		d.RemindedAt = time.Time{} // a new reminder before the new expiry
		ev := navette.Event{Time: now, Type: navette.EventDepositExtended, ActorID: actor.ID, DepositID: d.ID, Detail: d.ExpiresAt.UTC().Format(time.RFC3339)}
		nd, err := s.senderNoticeData(ctx, d, files, actor)
		if err != nil {
			return nil, err
		}
		if ev.Notices, err = s.recipientNotices(navette.NoticeExtended, d, now, nd); err != nil {
			return nil, err
		}
		return s.withClaims(ctx, d, files, actor, nil, []navette.Event{ev})
	})
	if err != nil {
		return nil, err
	}
	s.kick()
	return s.Get(ctx, actor, id)
}

// retentionStart is when d's retention started: its availability, which
// follows its creation by the time its files took to arrive (its expiry
// less its retention), or its creation if that is unknown.
func retentionStart(d *navette.DepositRecord) time.Time {
	start := d.ExpiresAt.Add(-time.Duration(d.RetentionDays) * 24 * time.Hour)
	if d.RetentionDays <= 0 || start.Before(d.CreatedAt) {
		return d.CreatedAt
	}
	return start
}

// checkExtension returns nil if d may be extended at now by days under
// lim: EGONE once it ended, ECONFLICT unless it is available, EINVALID
// (saying how far it may go) for days below 1 or past the ceiling.
func checkExtension(d *navette.DepositRecord, days int, lim navette.Limits, now time.Time) error {
	if Expired(d, now) {
		return gone(d)
	}
	if d.State != navette.DepositAvailable {
		return navette.Errorf(navette.ECONFLICT, "Only an available deposit can be extended; this one is %s.", d.State)
	}
	ceiling := retentionStart(d).Add(time.Duration(lim.MaxRetentionDays) * 24 * time.Hour)
	if days < 1 || days > lim.MaxRetentionDays || d.ExpiresAt.Add(time.Duration(days)*24*time.Hour).After(ceiling) {
		most := int(ceiling.Sub(d.ExpiresAt) / (24 * time.Hour))
		if most < 1 {
			return navette.Errorf(navette.EINVALID, "This deposit cannot be extended: it is kept as long as the platform allows (%d days from its availability).", lim.MaxRetentionDays)
		}
		return navette.Errorf(navette.EINVALID, "A deposit can be extended by 1 to %d days (at most %d days from its availability).", most, lim.MaxRetentionDays)
	}
	return nil
}

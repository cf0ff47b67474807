package deposit

import (
	"context"

	"navette"
)

// Answer is what a recipient gives to reply to a deposit: the reply goes
// to the deposit's sender's side, in the same case, under the same
// reference.
type Answer struct {
	Message       string
	RetentionDays int // 0: the default
	NoReceipts    bool
}

// Reply makes a draft deposit from actor, a recipient of deposit id (in
// person or as a member of a recipient mailbox), back to its sender's
// side: the service mailbox of the case the sender's deposits came from
// (see replyTo), or the sender in person; in the same case and under the
// same reference. Files are then uploaded and the draft submitted as any
// other. Returns ENOTFOUND as Get does, EFORBIDDEN for the sender or a role
// that may not deposit, or when actor could not send a deposit to the
// sender's side (partners write to a court's mailboxes).
func (s *Service) Reply(ctx context.Context, actor *navette.User, id string, in Answer) (*View, error) {
	d, err := s.lookup(ctx, actor, id)
	if err != nil {
		return nil, err
	}
	if err := s.mayReply(ctx, actor, d); err != nil {
		return nil, err
	}
	if d.Key.IsZero() {
		return nil, gone(d)
	}
	caseID, err := s.caseOf(ctx, d.ID)
	if err != nil {
		return nil, err
	}
	if caseID == "" {
		if caseID, err = s.joinCase(ctx, nil, d); err != nil {
			return nil, err
		}
	}
	to, err := s.replyTo(ctx, actor, d, caseID)
	if err != nil {
		return nil, err
	}
	k, err := s.depositKey(d)
	if err != nil {
		return nil, err
	}
	ref, err := k.OpenValue("reference", d.ID, d.Reference)
	if err != nil {
		return nil, navette.WrapError(navette.EINTERNAL, err, "")
	}
	v, err := s.Create(ctx, actor, Draft{Recipients: []string{to.Email}, Reference: string(ref), Message: in.Message,
		RetentionDays: in.RetentionDays, NoReceipts: in.NoReceipts})
	if err != nil {
		return nil, err
	}
	if cs := s.cases(); cs != nil && caseID != "" {
		now := s.Clock.Now()
		if _, err := cs.JoinCase(ctx, caseID, v.ID, now, caseEvent(actor, v.ID, caseID, now),
			navette.Event{Time: now, Type: navette.EventDepositReply, ActorID: actor.ID, DepositID: v.ID, Detail: d.ID}); err != nil {
			return nil, err
		}
		v.CaseID = caseID
	}
	return v, nil
}

// replyTo returns who a reply of actor to deposit d, of case caseID, goes
// to: the sender's side. A deposit sent on behalf of a service mailbox is
// answered to that mailbox while it is enabled. Otherwise, when the sender is a member of service mailboxes,
// the reply goes to the one of them the case's deposits from actor's side
// were last addressed to, or to the only one the sender is a member of;
// otherwise to the sender in person. Returns EFORBIDDEN if actor may not
// send there.
func (s *Service) replyTo(ctx context.Context, actor *navette.User, d *navette.DepositRecord, caseID string) (*navette.User, error) {
	sender, err := s.Meta.User(ctx, d.SenderID)
	if err != nil {
		return nil, err
	}
	svcs, err := s.services(ctx, sender)
	if err != nil {
		return nil, err
	}
	to, err := s.fromMailbox(ctx, d)
	if err != nil {
		return nil, err
	}
	if to == nil && len(svcs) > 0 && caseID != "" {
		if to, err = s.lastMailbox(ctx, actor, sender, caseID, svcs); err != nil {
			return nil, err
		}
	}
	if to == nil && len(svcs) == 1 {
		for id := range svcs {
			if to, err = s.Meta.User(ctx, id); err != nil {
				return nil, err
			}
		}
	}
	if to == nil || to.Disabled {
		to = sender
	}
	if to.Disabled {
		return nil, navette.Errorf(navette.EFORBIDDEN, "The sender of this deposit can no longer receive deposits.")
	}
	if err := s.mayReceive(actor, to); err != nil {
		return nil, navette.Errorf(navette.EFORBIDDEN, "You cannot reply to this deposit: %s", navette.ErrorMessage(err))
	}
	return to, nil
}

// lastMailbox returns the mailbox of sender, one of svcs, that the newest
// deposit of the case from actor's side was addressed to, reading the
// deposits of the case actor may see a page at a time; nil if none was.
func (s *Service) lastMailbox(ctx context.Context, actor, sender *navette.User, caseID string, svcs map[string]bool) (*navette.User, error) {
	cs := s.cases()
	if cs == nil {
		return nil, nil
	}
	f := navette.CaseFilter{UserID: actor.ID, CaseID: caseID, Limit: MaxCaseDeposits}
	for {
		recs, err := cs.CaseDeposits(ctx, f)
		if err != nil {
			return nil, err
		}
		for _, cd := range recs {
			if cd.Deposit.SenderID == sender.ID {
				continue
			}
			for _, r := range cd.Deposit.Recipients {
				if svcs[r.UserID] {
					return s.Meta.User(ctx, r.UserID)
				}
			}
		}
		if len(recs) < f.Limit {
			return nil, nil
		}
		last := recs[len(recs)-1].Deposit
		f.After, f.AfterID = last.CreatedAt, last.ID
	}
}

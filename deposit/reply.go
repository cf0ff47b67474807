package deposit

import (
	"context"
	"slices"

	"navette"
)

// Answer is what a recipient gives to reply to a deposit: the reply goes
// to the deposit's sender's side, in the same case, under the same
// reference.
type Answer struct {
	Message       string
	RetentionDays int // 0: the default
	NoReceipts    bool
	// FromSpace is whom the reply is sent as: nil for the default (see
	// ReplyChoices), a pointer to "" for actor in person, or the e-mail
	// address of a service mailbox actor is a member of, on behalf of
	// which it is sent as by Draft.FromSpace.
	FromSpace *string
	// IdempotencyKey, if set, makes the reply happen once, as
	// Draft.IdempotencyKey does a creation.
	IdempotencyKey string
}

// Reply makes a draft deposit from actor, a recipient of deposit id (in
// person or as a member of a recipient mailbox), back to its sender's
// side: the service mailbox of the case the sender's deposits came from
// (see replyTo), or the sender in person; in the same case and under the
// same reference; on behalf of in.FromSpace, by default of the recipient
// mailbox through which actor received the deposit (replyFrom). Files are
// then uploaded and the draft submitted as any other. Returns ENOTFOUND as Get does, EFORBIDDEN for the sender or a role
// that may not deposit, or when actor could not send a deposit to the
// sender's side (partners write to a court's mailboxes). With an
// idempotency key, it is made once (see once).
func (s *Service) Reply(ctx context.Context, actor *navette.User, id string, in Answer) (*View, error) {
	key := in.IdempotencyKey
	in.IdempotencyKey = ""
	return onceOn(ctx, s, actor, "reply", id, key, in, s.reply)
}

// reply makes actor's reply in to deposit id as Reply does, holding the
// idempotency key key with the digest of its request if key is set.
func (s *Service) reply(ctx context.Context, actor *navette.User, id string, in Answer, key string, digest []byte) (*View, error) {
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
	caseID, err := s.caseOrJoin(ctx, d)
	if err != nil {
		return nil, err
	}
	to, err := s.replyTo(ctx, actor, d, caseID)
	if err != nil {
		return nil, err
	}
	draft, err := s.replyDraft(ctx, actor, d, to, in)
	if err != nil {
		return nil, err
	}
	if err := s.maySend(actor); err != nil {
		return nil, err
	}
	draft.IdempotencyKey = key
	v, err := s.create(ctx, actor, draft, digest)
	if err != nil {
		return nil, err
	}
	if err := s.joinReply(ctx, actor, v, d.ID, caseID); err != nil {
		return nil, err
	}
	return v, nil
}

// replyDraft returns the draft of actor's reply in to deposit d, going to
// to under d's reference, on behalf of the mailbox replyFrom names.
func (s *Service) replyDraft(ctx context.Context, actor *navette.User, d *navette.DepositRecord, to *navette.User, in Answer) (Draft, error) {
	_, ref, err := s.openReference(d)
	if err != nil {
		return Draft{}, err
	}
	from, err := s.replyFrom(ctx, actor, d, to, in.FromSpace)
	if err != nil {
		return Draft{}, err
	}
	return Draft{Recipients: []string{to.Email}, Reference: ref, Message: in.Message,
		RetentionDays: in.RetentionDays, NoReceipts: in.NoReceipts, FromSpace: from}, nil
}

// caseOrJoin returns the id of d's case, putting d in its case first if
// it is in none ("" without cases).
func (s *Service) caseOrJoin(ctx context.Context, d *navette.DepositRecord) (string, error) {
	caseID, err := s.caseOf(ctx, d.ID)
	if err != nil || caseID != "" {
		return caseID, err
	}
	return s.joinCase(ctx, nil, d)
}

// joinReply puts v, a reply of actor to deposit answered, in case caseID
// (none if ""), with the deposit.reply event that links the two.
func (s *Service) joinReply(ctx context.Context, actor *navette.User, v *View, answered, caseID string) error {
	cs := s.cases()
	if cs == nil || caseID == "" {
		return nil
	}
	now := s.Clock.Now()
	if _, err := cs.JoinCase(ctx, caseID, v.ID, now, caseEvent(actor, v.ID, caseID, now),
		navette.Event{Time: now, Type: navette.EventDepositReply, ActorID: actor.ID, DepositID: v.ID, Detail: answered}); err != nil {
		return err
	}
	v.CaseID = caseID
	return nil
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
	to, err := s.senderMailbox(ctx, actor, sender, d, caseID)
	if err != nil {
		return nil, err
	}
	if to == nil || to.Disabled {
		to = sender
	}
	if err := s.mayAnswer(actor, to); err != nil {
		return nil, err
	}
	return to, nil
}

// mayAnswer returns EFORBIDDEN unless actor may send a reply to to, the
// sender's side of the deposit answered: enabled, and one actor may send
// to.
func (s *Service) mayAnswer(actor, to *navette.User) error {
	if to.Disabled {
		return navette.Errorf(navette.EFORBIDDEN, "The sender of this deposit can no longer receive deposits.")
	}
	if err := s.mayReceive(actor, to); err != nil {
		return navette.Errorf(navette.EFORBIDDEN, "You cannot reply to this deposit: %s", navette.ErrorMessage(err))
	}
	return nil
}

// senderMailbox returns the service mailbox on the side of sender, who
// sent d, of case caseID, that a reply of actor goes to (see replyTo);
// nil for none.
func (s *Service) senderMailbox(ctx context.Context, actor, sender *navette.User, d *navette.DepositRecord, caseID string) (*navette.User, error) {
	svcs, err := s.services(ctx, sender)
	if err != nil {
		return nil, err
	}
	to, err := s.fromMailbox(ctx, d)
	if err != nil || to != nil {
		return to, err
	}
	if len(svcs) > 0 && caseID != "" {
		if to, err = s.lastMailbox(ctx, actor, sender, caseID, svcs); err != nil || to != nil {
			return to, err
		}
	}
	return s.onlyMailbox(ctx, svcs)
}

// onlyMailbox returns the mailbox of svcs when it holds one only; nil
// otherwise.
func (s *Service) onlyMailbox(ctx context.Context, svcs map[string]bool) (*navette.User, error) {
	if len(svcs) != 1 {
		return nil, nil
	}
	for id := range svcs {
		return s.Meta.User(ctx, id)
	}
	return nil, nil
}

// ReplyRefused returns the refusal Reply would answer actor's reply to v
// with, when it is known without the case the reply joins: actor is on its
// sending side or may not deposit, v ended, or the reply can only go to
// its sender in person (sent in person, or from a mailbox now disabled, by
// a sender who is a member of no mailbox) and actor may not send to them
// (a partner to an agent). Nil otherwise, when a sender in mailboxes
// leaves the choice to the case (replyTo): Reply then says. For the
// pages, which offer no reply that is sure to be refused.
func (s *Service) ReplyRefused(ctx context.Context, actor *navette.User, v *View) error {
	d := v.DepositRecord
	if err := s.mayReply(ctx, actor, d); err != nil {
		return err
	}
	if d.Key.IsZero() {
		return gone(d)
	}
	if to, err := s.fromMailbox(ctx, d); err != nil || to != nil {
		return err
	}
	sender, err := s.Meta.User(ctx, d.SenderID)
	if err != nil {
		return err
	}
	if svcs, err := s.services(ctx, sender); err != nil || len(svcs) > 0 {
		return err
	}
	return s.mayAnswer(actor, sender)
}

// ReplyChoice is whom a person may send a reply to a deposit as.
type ReplyChoice struct {
	// Mailboxes are the service mailboxes the reply may be sent on behalf
	// of, by e-mail address; none for a person who is a member of none.
	Mailboxes []*navette.User
	// Default is the mailbox a reply is sent on behalf of unless another
	// choice is made; nil for in person.
	Default *navette.User
}

// ReplyChoices returns whom actor may send a reply to v as, and the
// default: the mailboxes actor is a member of and may send on behalf of,
// but the one the reply goes to.
func (s *Service) ReplyChoices(ctx context.Context, actor *navette.User, v *View) (*ReplyChoice, error) {
	ms, err := s.SendingMailboxes(ctx, actor)
	if err != nil || len(ms) == 0 {
		return &ReplyChoice{}, err
	}
	to, err := s.replyTo(ctx, actor, v.DepositRecord, v.CaseID)
	if navette.IsCode(err, navette.EFORBIDDEN) {
		to = nil
	} else if err != nil {
		return nil, err
	}
	out := &ReplyChoice{Mailboxes: othersThan(ms, to)}
	if out.Default, err = s.defaultReplyFrom(ctx, actor, v.DepositRecord, to); err != nil {
		return nil, err
	}
	return out, nil
}

// othersThan returns the mailboxes of ms but to (all of them if to is
// nil).
func othersThan(ms []*navette.User, to *navette.User) []*navette.User {
	out := make([]*navette.User, 0, len(ms))
	for _, m := range ms {
		if to == nil || m.ID != to.ID {
			out = append(out, m)
		}
	}
	return out
}

// replyFrom returns the e-mail address of the service mailbox a reply of
// actor to d, going to to, is sent on behalf of ("" for in person): the
// one asked for, else the default (defaultReplyFrom). Create checks it.
func (s *Service) replyFrom(ctx context.Context, actor *navette.User, d *navette.DepositRecord, to *navette.User, asked *string) (string, error) {
	if asked != nil {
		return *asked, nil
	}
	u, err := s.defaultReplyFrom(ctx, actor, d, to)
	if err != nil || u == nil {
		return "", err
	}
	return u.Email, nil
}

// defaultReplyFrom returns the service mailbox a reply of actor to d,
// going to to, is sent on behalf of unless asked otherwise: the first
// recipient of d, in its order, that is an enabled mailbox actor is a
// member of and not to; nil (in person) when d was addressed to actor in
// person or through no such mailbox.
func (s *Service) defaultReplyFrom(ctx context.Context, actor *navette.User, d *navette.DepositRecord, to *navette.User) (*navette.User, error) {
	svcs, err := s.services(ctx, actor)
	if err != nil || len(svcs) == 0 || addressedTo(d, actor.ID) {
		return nil, err
	}
	return s.firstMailbox(ctx, d, svcs, to)
}

// addressedTo reports whether deposit d was addressed to user userID in
// person.
func addressedTo(d *navette.DepositRecord, userID string) bool {
	return slices.ContainsFunc(d.Recipients, func(r navette.Recipient) bool { return r.UserID == userID })
}

// firstMailbox returns the first recipient of d, in its order, that is an
// enabled mailbox of svcs other than to; nil if there is none.
func (s *Service) firstMailbox(ctx context.Context, d *navette.DepositRecord, svcs map[string]bool, to *navette.User) (*navette.User, error) {
	for _, r := range d.Recipients {
		if !svcs[r.UserID] || (to != nil && r.UserID == to.ID) {
			continue
		}
		u, err := s.Meta.User(ctx, r.UserID)
		if err != nil {
			return nil, err
		}
		if !u.Disabled && u.Role == navette.RoleService {
			return u, nil
		}
	}
	return nil, nil
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
		if id := mailboxAddressed(recs, sender, svcs); id != "" {
			return s.Meta.User(ctx, id)
		}
		if len(recs) < f.Limit {
			return nil, nil
		}
		last := recs[len(recs)-1].Deposit
		f.After, f.AfterID = last.CreatedAt, last.ID
	}
}

// mailboxAddressed returns the id of the first mailbox of svcs that a
// deposit of recs not from sender was addressed to; "" if none was.
func mailboxAddressed(recs []navette.CaseDeposit, sender *navette.User, svcs map[string]bool) string {
	for _, cd := range recs {
		if cd.Deposit.SenderID == sender.ID {
			continue
		}
		for _, r := range cd.Deposit.Recipients {
			if svcs[r.UserID] {
				return r.UserID
			}
		}
	}
	return ""
}

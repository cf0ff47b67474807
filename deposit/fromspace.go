package deposit

import (
	"context"
	"slices"
	"strings"

	"navette"
)

// A member of service mailboxes may send a deposit on behalf of one of
// them (Draft.FromSpace): the deposit keeps the mailbox (FromSpaceID), and
// every member of it stands for the sender once it is submitted — it is in
// their sent list, its page shows it as theirs, they may follow, extend
// and withdraw it, and a reply to it goes to the mailbox. The draft stays
// its author's: only they upload its files and submit it.

// sending reports whether actor is on the sending side of d: its sender,
// or a member of the service mailbox it was sent from.
func (s *Service) sending(ctx context.Context, actor *navette.User, d *navette.DepositRecord) (bool, error) {
	if d.SenderID == actor.ID {
		return true, nil
	}
	if d.FromSpaceID == "" {
		return false, nil
	}
	svcs, err := s.services(ctx, actor)
	if err != nil {
		return false, err
	}
	return svcs[d.FromSpaceID], nil
}

// fromMailbox returns the service mailbox d was sent on behalf of, nil if
// it was sent in person or the mailbox is disabled.
func (s *Service) fromMailbox(ctx context.Context, d *navette.DepositRecord) (*navette.User, error) {
	if d.FromSpaceID == "" {
		return nil, nil
	}
	u, err := s.Meta.User(ctx, d.FromSpaceID)
	if err != nil || u.Disabled {
		return nil, err
	}
	return u, nil
}

// mayReply returns EFORBIDDEN unless actor may reply to d: not on its
// sending side, and in a role that may deposit.
func (s *Service) mayReply(ctx context.Context, actor *navette.User, d *navette.DepositRecord) error {
	sending, err := s.sending(ctx, actor, d)
	if err != nil {
		return err
	}
	if sending {
		return navette.Errorf(navette.EFORBIDDEN, "You sent this deposit: a reply goes to its sender.")
	}
	if !CanDeposit(actor.Role) || (s.Internal && actor.Role == navette.RolePartner) {
		return navette.Errorf(navette.EFORBIDDEN, "Your role does not allow sending deposits.")
	}
	return nil
}

// fromSpace returns the id of the service mailbox with the given e-mail
// address on behalf of which actor sends, "" for none. Returns EINVALID
// unless actor is a member of it and it may still send.
func (s *Service) fromSpace(ctx context.Context, actor *navette.User, email string) (string, error) {
	if email == "" {
		return "", nil
	}
	svc, err := s.userByAddress(ctx, email)
	if err != nil {
		return "", err
	}
	if err := s.maySendFor(ctx, actor, svc, email); err != nil {
		return "", err
	}
	return svc.ID, nil
}

// maySendFor returns nil if actor may send on behalf of svc, the person of
// the address email (nil if none): an enabled service mailbox actor is a
// member of; EINVALID naming email otherwise.
func (s *Service) maySendFor(ctx context.Context, actor, svc *navette.User, email string) error {
	refuse := navette.Errorf(navette.EINVALID, "You may send on behalf of a service mailbox you are a member of only; %q is not one.", clipText(email, 254))
	if svc == nil {
		return refuse
	}
	svcs, err := s.services(ctx, actor)
	if err != nil {
		return err
	}
	if svc.Role != navette.RoleService || svc.Disabled || !svcs[svc.ID] {
		return refuse
	}
	return nil
}

// stillFromSpace checks again, as fromSpace did when the draft d was made,
// that actor may still send on behalf of the service mailbox d is sent
// for, if any: actor may have left it since.
func (s *Service) stillFromSpace(ctx context.Context, actor *navette.User, d *navette.DepositRecord) error {
	if d.FromSpaceID == "" {
		return nil
	}
	svc, err := s.Meta.User(ctx, d.FromSpaceID)
	if err != nil {
		return err
	}
	return s.maySendFor(ctx, actor, svc, svc.Email)
}

// userByAddress returns the user whose e-mail address is email once
// normalised; nil if it is not a usable address or no user has it.
func (s *Service) userByAddress(ctx context.Context, email string) (*navette.User, error) {
	e := navette.NormalizeEmail(email)
	if e == "" || len(e) > 254 || !printable(e, false) {
		return nil, nil
	}
	u, err := s.Meta.UserByEmail(ctx, e)
	if navette.IsCode(err, navette.ENOTFOUND) {
		return nil, nil
	}
	return u, err
}

// SendingMailboxes returns the service mailboxes actor may send on behalf
// of: those they are a member of that are not disabled.
func (s *Service) SendingMailboxes(ctx context.Context, actor *navette.User) ([]*navette.User, error) {
	if actor == nil {
		return nil, navette.Errorf(navette.EUNAUTHORIZED, "Authentication is required.")
	}
	svcs, err := s.services(ctx, actor)
	if err != nil {
		return nil, err
	}
	out := make([]*navette.User, 0, len(svcs))
	for id := range svcs {
		u, err := s.Meta.User(ctx, id)
		if err != nil {
			return nil, err
		}
		if !u.Disabled {
			out = append(out, u)
		}
	}
	slices.SortFunc(out, func(a, b *navette.User) int { return strings.Compare(a.Email, b.Email) })
	return out, nil
}

// clipText returns s cut to at most n bytes.
func clipText(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return strings.ToValidUTF8(s[:n], "")
}

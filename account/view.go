package account

import (
	"context"
	"time"

	"navette"
)

// maxMailboxes bounds the service mailboxes listed for one court.
const maxMailboxes = 1000

// Users returns the users matching f, for a platform admin. Returns
// EFORBIDDEN unless actor is a platform admin.
func (s *Service) Users(ctx context.Context, actor *navette.User, f navette.UserFilter) ([]*navette.User, error) {
	if err := platformAdmin(actor); err != nil {
		return nil, err
	}
	return s.Meta.SearchUsers(ctx, f)
}

// User returns the user id, for a platform admin. Returns EFORBIDDEN unless
// actor is a platform admin, ENOTFOUND if there is no such user.
func (s *Service) User(ctx context.Context, actor *navette.User, id string) (*navette.User, error) {
	if err := platformAdmin(actor); err != nil {
		return nil, err
	}
	if !navette.ValidID(id) {
		return nil, navette.Errorf(navette.ENOTFOUND, "No such user.")
	}
	return s.Meta.User(ctx, id)
}

// CourtOf returns the court u belongs to, nil for someone of no court: what
// anyone shown u may read of it.
func (s *Service) CourtOf(ctx context.Context, u *navette.User) (*navette.Court, error) {
	if u.CourtID == "" {
		return nil, nil
	}
	return s.Meta.Court(ctx, u.CourtID)
}

// Courts returns the courts actor administers: every court for a platform
// admin, their own for a court admin. Returns EFORBIDDEN for anyone else.
func (s *Service) Courts(ctx context.Context, actor *navette.User) ([]*navette.Court, error) {
	if !anyAdmin(actor) {
		return nil, navette.Errorf(navette.EFORBIDDEN, "Only court administrators may do this.")
	}
	cs, err := s.Meta.Courts(ctx)
	if err != nil {
		return nil, err
	}
	out := cs[:0]
	for _, c := range cs {
		if courtAdmin(actor, c.ID) == nil {
			out = append(out, c)
		}
	}
	return out, nil
}

// Court returns the court id if actor administers it. Returns ENOTFOUND
// otherwise, so that a court admin cannot tell other courts' ids from
// unknown ones.
func (s *Service) Court(ctx context.Context, actor *navette.User, id string) (*navette.Court, error) {
	notFound := navette.Errorf(navette.ENOTFOUND, "No such court.")
	if !navette.ValidID(id) || courtAdmin(actor, id) != nil {
		return nil, notFound
	}
	c, err := s.Meta.Court(ctx, id)
	if navette.IsCode(err, navette.ENOTFOUND) {
		return nil, notFound
	}
	return c, err
}

// CourtMailboxes returns the service mailboxes of the court id, for an
// admin of it. Returns what Court returns.
func (s *Service) CourtMailboxes(ctx context.Context, actor *navette.User, id string) ([]*navette.User, error) {
	if _, err := s.Court(ctx, actor, id); err != nil {
		return nil, err
	}
	return s.mailboxes(ctx, id)
}

func (s *Service) mailboxes(ctx context.Context, courtID string) ([]*navette.User, error) {
	return s.Meta.SearchUsers(ctx, navette.UserFilter{Roles: []navette.Role{navette.RoleService}, CourtID: courtID, Limit: maxMailboxes})
}

// CourtRow is a court with its service mailboxes.
type CourtRow struct {
	Court     *navette.Court
	Mailboxes []*navette.User
}

// CourtRows returns the courts actor administers, each with its service
// mailboxes. Returns what Courts returns.
func (s *Service) CourtRows(ctx context.Context, actor *navette.User) ([]CourtRow, error) {
	cs, err := s.Courts(ctx, actor)
	if err != nil {
		return nil, err
	}
	out := make([]CourtRow, 0, len(cs))
	for _, c := range cs {
		ms, err := s.mailboxes(ctx, c.ID)
		if err != nil {
			return nil, err
		}
		out = append(out, CourtRow{Court: c, Mailboxes: ms})
	}
	return out, nil
}

// Mailbox returns the service mailbox id, for an admin of its court.
// Returns ENOTFOUND if there is no such service, EFORBIDDEN if actor does
// not administer it.
func (s *Service) Mailbox(ctx context.Context, actor *navette.User, id string) (*navette.User, error) {
	if !navette.ValidID(id) {
		return nil, navette.Errorf(navette.ENOTFOUND, "No such service.")
	}
	return s.service(ctx, actor, id)
}

// Memberships returns actor's own memberships of service mailboxes.
func (s *Service) Memberships(ctx context.Context, actor *navette.User) ([]*navette.Member, error) {
	return s.Meta.Memberships(ctx, actor.ID)
}

// Mailboxes returns the service mailboxes actor is a member of.
func (s *Service) Mailboxes(ctx context.Context, actor *navette.User) ([]*navette.User, error) {
	ms, err := s.Memberships(ctx, actor)
	if err != nil {
		return nil, err
	}
	out := make([]*navette.User, 0, len(ms))
	for _, m := range ms {
		svc, err := s.Meta.User(ctx, m.ServiceID)
		if err != nil {
			return nil, err
		}
		out = append(out, svc)
	}
	return out, nil
}

// MemberRow is a member of a service mailbox, with how and since when.
type MemberRow struct {
	User   *navette.User
	Source string // "" when added by hand, the directory's name otherwise
	Since  time.Time
}

// MemberRows returns the members of a service mailbox with how they came
// to be, leaving out those whose account is gone. Returns what Members
// returns.
func (s *Service) MemberRows(ctx context.Context, actor *navette.User, serviceID string) ([]MemberRow, error) {
	if _, err := s.service(ctx, actor, serviceID); err != nil {
		return nil, err
	}
	ms, err := s.Meta.Members(ctx, serviceID)
	if err != nil {
		return nil, err
	}
	return navette.Existing(ms, func(m *navette.Member) (MemberRow, error) {
		u, err := s.Meta.User(ctx, m.UserID)
		return MemberRow{User: u, Source: m.Source, Since: m.CreatedAt}, err
	})
}

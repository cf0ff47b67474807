package account

import (
	"context"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"navette"
	"navette/notify"
)

// may reports whether actor administers users (platform admins only).
func platformAdmin(actor *navette.User) error {
	if actor == nil || actor.Role != navette.RoleAdmin {
		return navette.Errorf(navette.EFORBIDDEN, "Only platform administrators may do this.")
	}
	return nil
}

// anyAdmin reports whether actor is a platform or court admin.
func anyAdmin(actor *navette.User) bool {
	return actor != nil && (actor.Role == navette.RoleAdmin || actor.Role == navette.RoleCourtAdmin)
}

// courtAdmin returns nil if actor administers the court: platform admins
// administer every court, court admins their own.
func courtAdmin(actor *navette.User, courtID string) error {
	if actor != nil && (actor.Role == navette.RoleAdmin || (actor.Role == navette.RoleCourtAdmin && actor.CourtID == courtID && courtID != "")) {
		return nil
	}
	return navette.Errorf(navette.EFORBIDDEN, "Only this court's administrators may do this.")
}

// change says how an admin's change to a person is made: tell, whether
// the person is told by e-mail (not when an executed request runs it: its
// execution tells them, executedNotices); strict, whether a change that
// would change nothing is refused (ECONFLICT), as an approved request's
// is: it was approved to change something, and nobody is told of a change
// that did not happen.
type change struct{ tell, strict bool }

// direct is how an admin's own change is made: the person is told, and a
// change to what is already so is no change and no error.
var direct = change{tell: true}

// SetRole changes a user's role; it takes effect on the user's next
// request. A person given the admin or auditor role is told by e-mail
// (role_granted, naming actor). Returns EFORBIDDEN unless actor is a
// platform admin, EINVALID for an unknown role or a change to or from a
// service mailbox, ECONFLICT if actor demotes themselves, ENOTFOUND if
// there is no such user.
func (s *Service) SetRole(ctx context.Context, actor *navette.User, userID string, role navette.Role) (*navette.User, error) {
	return s.setRole(ctx, actor, userID, role, direct)
}

// setRole is SetRole, made as how says.
func (s *Service) setRole(ctx context.Context, actor *navette.User, userID string, role navette.Role, how change) (*navette.User, error) {
	if err := platformAdmin(actor); err != nil {
		return nil, err
	}
	if err := checkRole(role); err != nil {
		return nil, err
	}
	if userID == actor.ID && role != navette.RoleAdmin {
		return nil, navette.Errorf(navette.ECONFLICT, "You cannot remove your own administrator role.")
	}
	now := s.Clock.Now()
	return s.updateUser(ctx, userID, func(u *navette.User) ([]navette.Event, error) {
		if err := checkRoleChange(u.Role, role); err != nil {
			return nil, err
		}
		old := u.Role
		u.Role, u.UpdatedAt = role, now
		if old == role {
			return nil, unchanged(how, "This person has this role already.")
		}
		ev := navette.Event{Time: now, Type: navette.EventRoleChanged, ActorID: actor.ID, Detail: u.ID + " " + string(old) + " " + string(role)}
		if how.tell && (role == navette.RoleAdmin || role == navette.RoleAuditor) {
			err := s.tellPerson(&ev, navette.NoticeRoleGranted, actor, u, now, &notify.Request{Role: string(role)})
			return []navette.Event{ev}, err
		}
		return []navette.Event{ev}, nil
	})
}

// updateUser changes the user userID with fn, in storage's UpdateUser,
// and returns the user as fn left it; it wakes the mail worker when the
// events fn returned carry notices.
func (s *Service) updateUser(ctx context.Context, userID string, fn func(u *navette.User) ([]navette.Event, error)) (*navette.User, error) {
	var (
		out  *navette.User
		told bool
	)
	err := s.Meta.UpdateUser(ctx, userID, func(u *navette.User) ([]navette.Event, error) {
		evs, err := fn(u)
		out, told = u, slices.ContainsFunc(evs, func(e navette.Event) bool { return len(e.Notices) > 0 })
		return evs, err
	})
	if err != nil {
		return nil, err
	}
	if told {
		s.queued()
	}
	return out, nil
}

// unchanged returns nil for a change made as how that would change
// nothing, or, if how is strict, ECONFLICT with msg.
func unchanged(how change, msg string) error {
	if !how.strict {
		return nil
	}
	return navette.Errorf(navette.ECONFLICT, "%s", msg)
}

// tellPerson adds to ev the notice of kind telling u what actor changed
// about them by hand at now (what, the mailbox or role; nil for none),
// naming actor ("an administrator of navette" for the local operator);
// nobody is told who made the change themself, nor who cannot sign in.
func (s *Service) tellPerson(ev *navette.Event, kind navette.NoticeKind, actor, u *navette.User, now time.Time, what *notify.Request) error {
	if u.ID == actor.ID || u.Disabled || !u.Role.CanSignIn() {
		return nil
	}
	admin := personOf(actor)
	d := &notify.Data{Admin: &admin}
	if what != nil {
		what.At = now
		d.Request = what
	}
	return s.tell(ev, kind, u.ID, now, d)
}

// checkRole returns EINVALID unless role may be given to a person: a
// known role, not that of service mailboxes.
func checkRole(role navette.Role) error {
	if !role.Valid() || role == navette.RoleService {
		return navette.Errorf(navette.EINVALID, "Unknown role %q (agent, court_admin, partner, admin or auditor).", role)
	}
	return nil
}

// checkRoleChange returns EINVALID if a user's role cannot go from from
// to to: a service mailbox has none to change, and partners and staff come
// from different directories.
func checkRoleChange(from, to navette.Role) error {
	if from == navette.RoleService {
		return navette.Errorf(navette.EINVALID, "A service mailbox has no role to change.")
	}
	if (from == navette.RolePartner) != (to == navette.RolePartner) {
		return navette.Errorf(navette.EINVALID, "Partners and staff come from different directories: a partner cannot become staff or the reverse.")
	}
	return nil
}

// SetDisabled revokes (disabled true) or restores a user's access by hand:
// a revoked user's sessions end at once and their tokens stop working. A
// person who can sign in is told by e-mail (access_revoked or
// access_restored, naming actor). Returns EFORBIDDEN unless actor is a
// platform admin, ECONFLICT if actor revokes themselves, ENOTFOUND if
// there is no such user.
func (s *Service) SetDisabled(ctx context.Context, actor *navette.User, userID string, disabled bool) (*navette.User, error) {
	return s.setDisabled(ctx, actor, userID, disabled, direct)
}

// setDisabled is SetDisabled, made as how says.
func (s *Service) setDisabled(ctx context.Context, actor *navette.User, userID string, disabled bool, how change) (*navette.User, error) {
	if err := platformAdmin(actor); err != nil {
		return nil, err
	}
	if userID == actor.ID {
		return nil, navette.Errorf(navette.ECONFLICT, "You cannot revoke your own access.")
	}
	var waiting []notify.Waiting
	if !disabled && how.tell {
		var err error
		if waiting, err = s.waiting(ctx, userID); err != nil {
			return nil, err
		}
	}
	now := s.Clock.Now()
	return s.updateUser(ctx, userID, func(u *navette.User) ([]navette.Event, error) {
		if u.Disabled == disabled {
			return nil, unchanged(how, "This person's access is not revoked: there is nothing to restore.")
		}
		u.Disabled, u.UpdatedAt = disabled, now
		ev := navette.Event{Time: now, Type: navette.EventUserRestored, ActorID: actor.ID, Detail: u.ID}
		kind := navette.NoticeAccessRestored
		u.RevokedAt = time.Time{}
		if disabled {
			u.RevokedAt = now
			ev.Type, ev.Detail, kind = navette.EventUserRevoked, u.ID+" admin", navette.NoticeAccessRevoked
		}
		if !how.tell || !u.Role.CanSignIn() {
			return []navette.Event{ev}, nil
		}
		admin := personOf(actor)
		d := &notify.Data{Admin: &admin}
		if !disabled {
			d.Waiting = waiting
		}
		err := s.tell(&ev, kind, u.ID, now, d)
		return []navette.Event{ev}, err
	})
}

// CreateCourt adds a court by hand. Returns EFORBIDDEN unless actor is a
// platform admin, EINVALID for a bad code or name, ECONFLICT if the code is
// taken.
func (s *Service) CreateCourt(ctx context.Context, actor *navette.User, code, name string) (*navette.Court, error) {
	if err := platformAdmin(actor); err != nil {
		return nil, err
	}
	code, name = strings.TrimSpace(code), strings.TrimSpace(name)
	if !validCode(code) {
		return nil, navette.Errorf(navette.EINVALID, "A court code is 1 to 64 letters, digits, '-', '_' or '.'.")
	}
	if err := validName(name); err != nil {
		return nil, err
	}
	now := s.Clock.Now()
	c := &navette.Court{ID: navette.NewID(), Code: code, Name: name, CreatedAt: now}
	ev := navette.Event{Time: now, Type: navette.EventCourtCreated, ActorID: actor.ID, Detail: code}
	if err := s.Meta.CreateCourt(ctx, c, ev); err != nil {
		if navette.IsCode(err, navette.ECONFLICT) {
			return nil, navette.Errorf(navette.ECONFLICT, "A court with the code %s exists already.", code)
		}
		return nil, err
	}
	return c, nil
}

// CreateService adds a service mailbox to a court. Notices of deposits to it
// go to its functional e-mail address. Returns EFORBIDDEN unless actor
// administers the court, ENOTFOUND if there is no such court, EINVALID for
// a bad name or address, ECONFLICT if the address is taken.
func (s *Service) CreateService(ctx context.Context, actor *navette.User, courtID, name, email string) (*navette.User, error) {
	if _, err := s.Meta.Court(ctx, courtID); err != nil {
		return nil, err
	}
	if err := courtAdmin(actor, courtID); err != nil {
		return nil, err
	}
	email = navette.NormalizeEmail(email)
	if err := ValidateEmail(email); err != nil {
		return nil, err
	}
	name = strings.TrimSpace(name)
	if err := validName(name); err != nil {
		return nil, err
	}
	now := s.Clock.Now()
	u := &navette.User{ID: navette.NewID(), Email: email, Name: name, Role: navette.RoleService, CourtID: courtID, CreatedAt: now}
	ev := navette.Event{Time: now, Type: navette.EventUserCreated, ActorID: actor.ID, Detail: string(navette.RoleService) + " " + u.ID}
	if err := s.Meta.CreateUser(ctx, u, ev); err != nil {
		if navette.IsCode(err, navette.ECONFLICT) {
			return nil, navette.Errorf(navette.ECONFLICT, "A user or mailbox with the e-mail %s exists already.", email)
		}
		return nil, err
	}
	return u, nil
}

// service returns the service mailbox id, checking that actor administers
// its court. Returns ENOTFOUND if there is no such service, EFORBIDDEN if
// actor does not administer it.
func (s *Service) service(ctx context.Context, actor *navette.User, id string) (*navette.User, error) {
	svc, err := s.Meta.User(ctx, id)
	if err != nil {
		return nil, err
	}
	if svc.Role != navette.RoleService {
		return nil, navette.Errorf(navette.ENOTFOUND, "No such service.")
	}
	if err := courtAdmin(actor, svc.CourtID); err != nil {
		return nil, err
	}
	return svc, nil
}

// AddMember makes an agent a member of a service mailbox, by hand. Returns
// EFORBIDDEN unless actor administers the service's court, ENOTFOUND if
// there is no such service or user, EINVALID if the user is not staff of
// that court (platform admins may add staff of any court), ECONFLICT if
// they are a member already.
func (s *Service) AddMember(ctx context.Context, actor *navette.User, serviceID, userID string) error {
	return s.addMember(ctx, actor, serviceID, func() (*navette.User, error) { return s.Meta.User(ctx, userID) }, direct)
}

// AddMemberByEmail is AddMember for the user with the given e-mail.
func (s *Service) AddMemberByEmail(ctx context.Context, actor *navette.User, serviceID, email string) error {
	return s.addMember(ctx, actor, serviceID, func() (*navette.User, error) { return s.Meta.UserByEmail(ctx, navette.NormalizeEmail(email)) }, direct)
}

// addMember adds the user find returns to the service mailbox, once actor
// is known to administer it, and, if how says so, tells them
// (member_added, naming actor and the mailbox).
func (s *Service) addMember(ctx context.Context, actor *navette.User, serviceID string, find func() (*navette.User, error), how change) error {
	svc, u, err := s.memberCheck(ctx, actor, serviceID, find)
	if err != nil {
		return err
	}
	now := s.Clock.Now()
	ev := navette.Event{Time: now, Type: navette.EventMemberAdded, ActorID: actor.ID, Detail: serviceID + " " + u.ID}
	if how.tell {
		if err := s.tellPerson(&ev, navette.NoticeMemberAdded, actor, u, now, &notify.Request{Mailbox: personOf(svc)}); err != nil {
			return err
		}
	}
	err = s.Meta.AddMember(ctx, &navette.Member{ServiceID: serviceID, UserID: u.ID, CreatedAt: now}, ev)
	if navette.IsCode(err, navette.ECONFLICT) {
		return navette.Errorf(navette.ECONFLICT, "This agent is a member of the service already.")
	}
	if err == nil && len(ev.Notices) > 0 {
		s.queued()
	}
	return err
}

// RemoveMember ends an agent's membership of a service mailbox. Returns
// EFORBIDDEN unless actor administers the service's court, ENOTFOUND if
// there is no such service or membership.
func (s *Service) RemoveMember(ctx context.Context, actor *navette.User, serviceID, userID string) error {
	if _, err := s.service(ctx, actor, serviceID); err != nil {
		return err
	}
	return s.removeMember(ctx, actor, serviceID, userID)
}

// RemoveMemberByEmail is RemoveMember for the user with the given e-mail.
func (s *Service) RemoveMemberByEmail(ctx context.Context, actor *navette.User, serviceID, email string) error {
	if _, err := s.service(ctx, actor, serviceID); err != nil {
		return err
	}
	u, err := s.Meta.UserByEmail(ctx, navette.NormalizeEmail(email))
	if err != nil {
		return err
	}
	return s.removeMember(ctx, actor, serviceID, u.ID)
}

// memberCheck returns the service mailbox serviceID and the user find
// returns, once actor is known to administer it and the user may be its
// member.
func (s *Service) memberCheck(ctx context.Context, actor *navette.User, serviceID string, find func() (*navette.User, error)) (*navette.User, *navette.User, error) {
	svc, err := s.service(ctx, actor, serviceID)
	if err != nil {
		return nil, nil, err
	}
	u, err := find()
	if err != nil {
		return nil, nil, err
	}
	if u.Role != navette.RoleAgent && u.Role != navette.RoleCourtAdmin {
		return nil, nil, navette.Errorf(navette.EINVALID, "Only agents can be members of a service.")
	}
	switch {
	case actor.Role == navette.RoleAdmin || u.CourtID == svc.CourtID:
	case u.CourtID == "":
		return nil, nil, navette.Errorf(navette.EINVALID, "This agent belongs to no court: only a platform admin can add them to a service mailbox.")
	default:
		return nil, nil, navette.Errorf(navette.EINVALID, "This agent belongs to another court.")
	}
	return svc, u, nil
}

func (s *Service) removeMember(ctx context.Context, actor *navette.User, serviceID, userID string) error {
	ev := navette.Event{Time: s.Clock.Now(), Type: navette.EventMemberRemoved, ActorID: actor.ID, Detail: serviceID + " " + userID}
	return s.Meta.RemoveMember(ctx, serviceID, userID, ev)
}

// Members returns the members of a service mailbox. Returns what AddMember
// returns for the service.
func (s *Service) Members(ctx context.Context, actor *navette.User, serviceID string) ([]*navette.User, error) {
	rows, err := s.MemberRows(ctx, actor, serviceID)
	if err != nil {
		return nil, err
	}
	out := make([]*navette.User, 0, len(rows))
	for _, r := range rows {
		out = append(out, r.User)
	}
	return out, nil
}

// codeChars are the characters of a court or service code.
const codeChars = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_."

// validCode reports whether code is 1 to 64 of codeChars.
func validCode(code string) bool {
	if code == "" || len(code) > 64 {
		return false
	}
	for _, r := range code {
		if !strings.ContainsRune(codeChars, r) {
			return false
		}
	}
	return true
}

// printable reports whether s is UTF-8 of at most max bytes without a
// control character.
func printable(s string, max int) bool {
	return len(s) <= max && utf8.ValidString(s) && !strings.ContainsFunc(s, isControl)
}

func validName(name string) error {
	if name == "" || !printable(name, 200) {
		return navette.Errorf(navette.EINVALID, "A name of 1 to 200 printable characters is required.")
	}
	return nil
}

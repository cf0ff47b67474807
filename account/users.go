package account

import (
	"context"
	"slices"

	"navette"
)

// The users page: admins find people and see their factors, tokens,
// memberships and recent events. Platform admins see everyone, court
// admins the people of their court; to anyone else, and to a court admin
// about someone of another court, a person does not exist (ENOTFOUND).

// Manages reports whether actor may see and act on target on the users
// page: a platform admin anyone, a court admin the agents, court admins
// and service mailboxes of their court (courtManaged), never a platform
// admin or an auditor attached to it, whose sessions, tokens and recovery
// are the platform's.
func Manages(actor, target *navette.User) bool {
	switch {
	case actor == nil || target == nil:
		return false
	case actor.Role == navette.RoleAdmin:
		return true
	case actor.Role == navette.RoleCourtAdmin:
		return actor.CourtID != "" && target.CourtID == actor.CourtID && slices.Contains(courtManaged, target.Role)
	}
	return false
}

// courtManaged are the roles of the people a court admin manages in their
// court.
var courtManaged = []navette.Role{navette.RoleAgent, navette.RoleCourtAdmin, navette.RoleService}

// UserStatus filters users by state on the users page.
type UserStatus string

// User states.
const (
	StatusAny      UserStatus = ""
	StatusEnabled  UserStatus = "enabled"
	StatusDisabled UserStatus = "disabled"
)

// ManagedFilter is a search on the users page.
type ManagedFilter struct {
	Text   string // words of a name, an e-mail… (case and accents ignored)
	Role   navette.Role
	Status UserStatus
	Source string // directory, "" for any
	// After, without Text, keeps people whose id sorts after it: the
	// cursor of the next page.
	After string
	Limit int // 0: 50, at most 1000
}

// ManagedUsers returns the people actor manages that f selects: with
// Text, by name; without, by id. Returns EFORBIDDEN unless actor is a
// platform or court admin, EINVALID for an unknown role or status.
func (s *Service) ManagedUsers(ctx context.Context, actor *navette.User, f ManagedFilter) ([]*navette.User, error) {
	court, err := managedCourt(actor)
	if err != nil {
		return nil, err
	}
	if err := f.check(); err != nil {
		return nil, err
	}
	if court != "" && f.Role != "" && !slices.Contains(courtManaged, f.Role) {
		return []*navette.User{}, nil
	}
	uf, limit := f.userFilter(court)
	us, err := s.Meta.SearchUsers(ctx, uf)
	if err != nil {
		return nil, err
	}
	out := us[:0]
	for _, u := range us {
		if (f.Status != StatusDisabled || u.Disabled) && len(out) < limit {
			out = append(out, u)
		}
	}
	return out, nil
}

// userFilter returns the store's filter of the people of court ("" for
// all) that f selects, and the size of the page.
func (f ManagedFilter) userFilter(court string) (uf navette.UserFilter, limit int) {
	uf = navette.UserFilter{Text: f.Text, Source: f.Source, Enabled: f.Status == StatusEnabled, After: f.After, CourtID: court}
	switch {
	case f.Role != "":
		uf.Roles = []navette.Role{f.Role}
	case court != "":
		uf.Roles = courtManaged
	}
	limit = f.Limit
	if limit <= 0 {
		limit = 50
	}
	limit = min(limit, 1000)
	// Disabled people are kept after the search: fetch more to fill the
	// page.
	uf.Limit = limit
	if f.Status == StatusDisabled {
		uf.Limit = 1000
	}
	return uf, limit
}

// managedCourt returns the court whose people actor manages, "" for
// everyone. Returns EFORBIDDEN unless actor is a platform admin or a
// court admin with a court.
func managedCourt(actor *navette.User) (string, error) {
	switch {
	case actor == nil:
	case actor.Role == navette.RoleAdmin:
		return "", nil
	case actor.Role == navette.RoleCourtAdmin && actor.CourtID != "":
		return actor.CourtID, nil
	}
	return "", navette.Errorf(navette.EFORBIDDEN, "Only administrators may do this.")
}

// check returns EINVALID for an unknown role or status, or a search too
// long.
func (f ManagedFilter) check() error {
	if f.Role != "" && !f.Role.Valid() {
		return navette.Errorf(navette.EINVALID, "Unknown role %q.", f.Role)
	}
	if f.Status != StatusAny && f.Status != StatusEnabled && f.Status != StatusDisabled {
		return navette.Errorf(navette.EINVALID, "Unknown status %q.", f.Status)
	}
	if len(f.Text) > 200 {
		return navette.Errorf(navette.EINVALID, "The search is too long.")
	}
	return nil
}

// ManagedUser returns the person id if actor manages them. Returns
// ENOTFOUND otherwise, as for no such person.
func (s *Service) ManagedUser(ctx context.Context, actor *navette.User, id string) (*navette.User, error) {
	return ManagedIn(ctx, s.Meta, actor, id)
}

// ManagedIn returns the person id of users if actor manages them
// (Manages). Returns ENOTFOUND otherwise, as for no such person.
func ManagedIn(ctx context.Context, users navette.UserStore, actor *navette.User, id string) (*navette.User, error) {
	notFound := navette.Errorf(navette.ENOTFOUND, "No such user.")
	if !navette.ValidID(id) {
		return nil, notFound
	}
	return UserIf(ctx, users, id, func(u *navette.User) bool { return Manages(actor, u) }, notFound)
}

// UserIf returns the user id of users if allowed(u), and refused if not or
// if there is no such user.
func UserIf(ctx context.Context, users navette.UserStore, id string, allowed func(*navette.User) bool, refused error) (*navette.User, error) {
	u, err := users.User(ctx, id)
	if navette.IsCode(err, navette.ENOTFOUND) {
		return nil, refused
	} else if err != nil {
		return nil, err
	}
	if !allowed(u) {
		return nil, refused
	}
	return u, nil
}

// ManagedTokens returns the API tokens of the person userID, newest
// first. Errors as ManagedUser.
func (s *Service) ManagedTokens(ctx context.Context, actor *navette.User, userID string) ([]*navette.Token, error) {
	if _, err := s.ManagedUser(ctx, actor, userID); err != nil {
		return nil, err
	}
	return s.Meta.Tokens(ctx, userID)
}

// RevokeManagedToken revokes the token tokenID of the person userID.
// Returns ENOTFOUND if actor does not manage them or they have no such
// token.
func (s *Service) RevokeManagedToken(ctx context.Context, actor *navette.User, userID, tokenID string) error {
	toks, err := s.ManagedTokens(ctx, actor, userID)
	if err != nil {
		return err
	}
	if !slices.ContainsFunc(toks, func(t *navette.Token) bool { return t.ID == tokenID }) {
		return navette.Errorf(navette.ENOTFOUND, "No such token.")
	}
	return s.revokeToken(ctx, actor, tokenID)
}

// ManagedMemberships returns the service mailboxes the person userID is a
// member of. Errors as ManagedUser.
func (s *Service) ManagedMemberships(ctx context.Context, actor *navette.User, userID string) ([]*navette.User, error) {
	if _, err := s.ManagedUser(ctx, actor, userID); err != nil {
		return nil, err
	}
	ms, err := s.Meta.Memberships(ctx, userID)
	if err != nil {
		return nil, err
	}
	return navette.Existing(ms, func(m *navette.Member) (*navette.User, error) { return s.Meta.User(ctx, m.ServiceID) })
}

// RecentEvents returns the last limit events the person userID caused,
// newest first; none if the journal cannot find them by person. Errors as
// ManagedUser.
func (s *Service) RecentEvents(ctx context.Context, actor *navette.User, userID string, limit int) ([]navette.Event, error) {
	if _, err := s.ManagedUser(ctx, actor, userID); err != nil {
		return nil, err
	}
	es, ok := s.Meta.(navette.ActorEventStore)
	if !ok {
		return nil, nil
	}
	return es.EventsByActor(ctx, userID, limit)
}

// maxNames bounds the ids NamesOf looks up at once.
const maxNames = 100

// NamesOf returns the names, by id, of the people and service mailboxes
// of ids that actor manages (Manages), at most maxNames of them: what a
// page needs to name the ids of the events it shows. An id of someone
// actor does not manage, or of no one, is left out, as unknown.
func (s *Service) NamesOf(ctx context.Context, actor *navette.User, ids []string) map[string]string {
	out := map[string]string{}
	for _, id := range ids {
		if len(out) >= maxNames {
			break
		}
		if _, ok := out[id]; ok || !navette.ValidID(id) {
			continue
		}
		if u, err := s.Meta.User(ctx, id); err == nil && Manages(actor, u) {
			out[id] = u.Name
		}
	}
	return out
}

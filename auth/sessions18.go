package auth

import (
	"context"

	"navette"
	"navette/account"
)

// UserSessions returns the live sessions of the person userID, newest
// first, for actor, who must manage them (account.Manages): sessions not
// expired nor idle for the idle timeout, without their secret's hash or
// pending state. Returns ENOTFOUND otherwise.
func (s *Service) UserSessions(ctx context.Context, actor *navette.User, userID string) ([]*navette.Session, error) {
	if _, err := account.ManagedIn(ctx, s.Meta, actor, userID); err != nil {
		return nil, err
	}
	now := s.Clock.Now()
	return s.Meta.Sessions(ctx, userID, now, now.Add(-s.Config.IdleTimeout))
}

// EndSession ends the live session sessionID of the person userID, as
// actor, who must manage them, journaled as EndSessions journals them.
// Returns ENOTFOUND if actor does not manage the person or the session is
// not one of their live sessions.
func (s *Service) EndSession(ctx context.Context, actor *navette.User, userID, sessionID string) error {
	ss, err := s.UserSessions(ctx, actor, userID)
	if err != nil {
		return err
	}
	for _, x := range ss {
		if x.ID != sessionID {
			continue
		}
		ev := navette.Event{Time: s.Clock.Now(), Type: navette.EventSignOut, ActorID: actor.ID, Detail: "revoked " + userID + " " + sessionID}
		return s.Meta.DeleteSession(ctx, sessionID, ev)
	}
	return navette.Errorf(navette.ENOTFOUND, "No such session.")
}

// OwnSessions returns the live sessions of u, newest first, as
// UserSessions does for an admin: what "Mon compte" lists.
func (s *Service) OwnSessions(ctx context.Context, u *navette.User) ([]*navette.Session, error) {
	now := s.Clock.Now()
	return s.Meta.Sessions(ctx, u.ID, now, now.Add(-s.Config.IdleTimeout))
}

// EndOtherSessions ends every live session of u but cur, the one asking:
// a person who fears their account is used elsewhere signs out everywhere
// else. Each is journaled as an admin's end is, with u as actor. Returns
// how many ended.
func (s *Service) EndOtherSessions(ctx context.Context, u *navette.User, cur *navette.Session) (int, error) {
	ss, err := s.OwnSessions(ctx, u)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, x := range ss {
		if cur != nil && x.ID == cur.ID {
			continue
		}
		ev := navette.Event{Time: s.Clock.Now(), Type: navette.EventSignOut, ActorID: u.ID, Detail: "revoked " + u.ID + " " + x.ID}
		if err := s.Meta.DeleteSession(ctx, x.ID, ev); err != nil && !navette.IsCode(err, navette.ENOTFOUND) {
			return n, err
		}
		n++
	}
	return n, nil
}

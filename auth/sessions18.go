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

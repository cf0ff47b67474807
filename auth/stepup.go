package auth

import (
	"context"

	"github.com/go-webauthn/webauthn/protocol"

	"navette"
)

// ceremonyStepUp: a passkey given again within a full session.
const ceremonyStepUp = "step-up"

// Fresh reports whether the person of a full session proved who they are
// within Config.StepUpAge, as sensitive actions require.
func (s *Service) Fresh(sess *navette.Session) bool {
	if sess == nil || sess.Stage != navette.StageFull || sess.VerifiedAt.IsZero() {
		return false
	}
	return s.Clock.Now().Sub(sess.VerifiedAt) <= s.Config.StepUpAge
}

// RequireFresh returns nil if sess is Fresh, and otherwise ESTEPUP: the
// person must step up (StepUpTOTP, or a passkey) and try again. A request
// without a session (an API token) is not asked: tokens cannot reach the
// actions that need a step-up.
func (s *Service) RequireFresh(sess *navette.Session) error {
	if sess == nil || s.Fresh(sess) {
		return nil
	}
	return navette.Errorf(navette.ESTEPUP, "This action needs you to confirm who you are again: give your passkey or the code of your authenticator application (in \"Mon compte\"), then try again.")
}

// CanStepUp reports which factors u may step up with.
func (s *Service) CanStepUp(ctx context.Context, u *navette.User) (totpOK, passkeyOK bool, err error) {
	passkeyOK, err = s.HasPasskeys(ctx, u)
	return !u.TOTP.IsZero(), passkeyOK, err
}

// steppedUp records that the person of sess proved who they are again.
func (s *Service) steppedUp(ctx context.Context, sess *navette.Session, factor string) error {
	now := s.Clock.Now()
	err := s.Meta.UpdateSession(ctx, sess.ID, func(x *navette.Session) ([]navette.Event, error) {
		x.VerifiedAt = now
		return []navette.Event{{Time: now, Type: navette.EventSteppedUp, ActorID: x.UserID, Detail: factor}}, nil
	})
	if err != nil {
		return err
	}
	sess.VerifiedAt = now
	return nil
}

// StepUpTOTP checks a TOTP code of the person of a full session and, if it
// matches, makes the session Fresh. A code is accepted once. Returns
// EFORBIDDEN if the session is not full or u has no TOTP secret,
// EUNAUTHORIZED if the code is wrong (journaled), wrapping ErrTOTPReused
// if it is one used already.
func (s *Service) StepUpTOTP(ctx context.Context, sess *navette.Session, u *navette.User, code string) error {
	if sess.Stage != navette.StageFull || sess.UserID != u.ID || u.TOTP.IsZero() {
		return navette.Errorf(navette.EFORBIDDEN, "No authenticator application is enrolled.")
	}
	now := s.Clock.Now()
	if !s.limits.allow("step-up "+sess.ID, s.Config.MaxTries, now) {
		return navette.Errorf(navette.ETOOMANY, "Too many wrong codes: sign in again from the start.")
	}
	accepted, reused, err := s.useTOTP(ctx, u, code, now)
	if err != nil {
		return err
	}
	if !accepted {
		ev := navette.Event{Time: now, Type: navette.EventSignInFailed, ActorID: u.ID, Detail: "wrong step-up code"}
		if err := s.Meta.AppendEvents(ctx, ev); err != nil {
			return err
		}
		if reused {
			return totpReused()
		}
		return navette.Errorf(navette.EUNAUTHORIZED, "The code from your authenticator application is wrong.")
	}
	return s.steppedUp(ctx, sess, "totp")
}

// BeginStepUpPasskey starts a passkey ceremony that makes a full session
// Fresh. Returns EFORBIDDEN if the session is not full or u has no
// passkey.
func (s *Service) BeginStepUpPasskey(ctx context.Context, sess *navette.Session, u *navette.User) (*Ceremony, error) {
	return s.beginAssertion(ctx, sess, u, navette.StageFull, "Sign in first.", ceremonyStepUp)
}

// FinishStepUpPasskey checks the answer to a BeginStepUpPasskey ceremony
// and, if a passkey of the user signed it with user verification, makes
// the session Fresh. Returns EUNAUTHORIZED otherwise (journaled).
func (s *Service) FinishStepUpPasskey(ctx context.Context, sess *navette.Session, u *navette.User, id string, answer []byte) error {
	wa, ps, err := s.passkeySetup()
	if err != nil {
		return err
	}
	if sess.Stage != navette.StageFull || sess.UserID != u.ID {
		return navette.Errorf(navette.EFORBIDDEN, "Sign in first.")
	}
	st, err := s.takeChallenge(ctx, ps, id, sessionBinding(sess), ceremonyStepUp)
	if err != nil {
		return err
	}
	parsed, err := protocol.ParseCredentialRequestResponseBytes(answer)
	if err != nil || st.UserID != u.ID {
		return s.refuseStepUp(ctx, u)
	}
	pu, err := s.loadPasskeyUser(ctx, ps, u)
	if err != nil {
		return err
	}
	cred, err := wa.ValidateLogin(pu, st.Session, parsed)
	if err != nil {
		return s.refuseStepUp(ctx, u)
	}
	if err := s.usePasskey(ctx, ps, pu, cred, parsed); err != nil {
		if navette.IsCode(err, navette.EUNAUTHORIZED) {
			return s.refuseStepUp(ctx, u)
		}
		return err
	}
	return s.steppedUp(ctx, sess, "passkey")
}

// refuseStepUp journals a refused step-up passkey of u and returns the
// refusal.
func (s *Service) refuseStepUp(ctx context.Context, u *navette.User) error {
	ev := navette.Event{Time: s.Clock.Now(), Type: navette.EventSignInFailed, ActorID: u.ID, Detail: "step-up passkey refused"}
	if err := s.Meta.AppendEvents(ctx, ev); err != nil {
		return err
	}
	return navette.Errorf(navette.EUNAUTHORIZED, "The passkey was refused: use one registered for your account on this platform.")
}

package auth

import (
	"context"
	"errors"
	"time"

	"navette"
	"navette/totp"
)

// pending is what a session keeps, sealed, between the first and the
// second factor.
type pending struct {
	Tries  int    `json:"tries,omitempty"`  // wrong second factors so far
	Secret []byte `json:"secret,omitempty"` // a TOTP secret being enrolled
	// Recovery is the approved recovery request an enrolment completes:
	// the person's old factors go when the new one is stored.
	Recovery string `json:"recovery,omitempty"`
	// Codes are the recovery codes made at enrolment, kept in the new
	// full session until shown once.
	Codes []string `json:"codes,omitempty"`
}

func pendingAD(sessionID string) string { return "session:" + sessionID }

func totpAD(userID string) string { return "totp:" + userID }

// Enrolment is a new TOTP secret to show, as text and as a URI for a QR
// code, while a person enrols their second factor.
type Enrolment struct {
	Secret string // base32, to type into an authenticator application
	URI    string // otpauth:// URI
}

// loadPending opens the pending state of sess.
func (s *Service) loadPending(sess *navette.Session) (*pending, error) {
	p := &pending{}
	if len(sess.Pending) == 0 {
		return p, nil
	}
	if err := s.openJSON(sess.Pending, pendingAD(sess.ID), p); err != nil {
		return nil, err
	}
	return p, nil
}

// savePending seals p into the stored session.
func (s *Service) savePending(ctx context.Context, sess *navette.Session, p *pending) error {
	b, err := s.sealJSON(p, pendingAD(sess.ID))
	if err != nil {
		return err
	}
	sess.Pending = b
	return s.Meta.UpdateSession(ctx, sess.ID, func(x *navette.Session) ([]navette.Event, error) {
		x.Pending = b
		return nil, nil
	})
}

// wrong counts a wrong second factor on sess and ends the sign-in after
// MaxTries of them.
func (s *Service) wrong(ctx context.Context, sess *navette.Session, p *pending) error {
	p.Tries++
	now := s.Clock.Now()
	if p.Tries >= s.Config.MaxTries {
		ev := navette.Event{Time: now, Type: navette.EventSignInFailed, ActorID: sess.UserID, Detail: "second factor: too many tries"}
		if err := s.Meta.DeleteSession(ctx, sess.ID, ev); err != nil && !navette.IsCode(err, navette.ENOTFOUND) {
			return err
		}
		return navette.Errorf(navette.EUNAUTHORIZED, "Too many wrong codes: sign in again from the start.")
	}
	if err := s.Meta.AppendEvents(ctx, navette.Event{Time: now, Type: navette.EventSignInFailed, ActorID: sess.UserID, Detail: "wrong second factor"}); err != nil {
		return err
	}
	if err := s.savePending(ctx, sess, p); err != nil {
		return err
	}
	return navette.Errorf(navette.EUNAUTHORIZED, "The code from your authenticator application is wrong.")
}

// ErrTOTPReused is wrapped in the EUNAUTHORIZED error that refuses a code
// of the authenticator application used already, given again within its
// window: the person must wait for the next code.
var ErrTOTPReused = errors.New("authenticator code used already")

// totpReused is the error that refuses a code used already.
func totpReused() error {
	return navette.WrapError(navette.EUNAUTHORIZED, ErrTOTPReused, "This code was used already: wait for the next one.")
}

// useTOTP reports whether code is a code of u's TOTP secret at now, not
// accepted before, and if so records its time step so that it is accepted
// once; if not, whether it is one accepted before (reused).
func (s *Service) useTOTP(ctx context.Context, u *navette.User, code string, now time.Time) (accepted, reused bool, err error) {
	secret, err := s.Keys.Unwrap(u.TOTP, totpAD(u.ID))
	if err != nil {
		return false, false, err
	}
	err = s.Meta.UpdateUser(ctx, u.ID, func(x *navette.User) ([]navette.Event, error) {
		step, ok := totp.Verify(secret, code, now, x.TOTPStep)
		if !ok {
			reused = totp.Reused(secret, code, now, x.TOTPStep)
			return nil, nil
		}
		x.TOTPStep, accepted = step, true
		return nil, nil
	})
	return accepted, reused, err
}

// wrongTOTP counts a refused TOTP code as a wrong second factor, and says
// so when the code was one used already.
func (s *Service) wrongTOTP(ctx context.Context, sess *navette.Session, p *pending, reused bool) error {
	err := s.wrong(ctx, sess, p)
	if reused && navette.IsCode(err, navette.EUNAUTHORIZED) && p.Tries < s.Config.MaxTries {
		return totpReused()
	}
	return err
}

// secondFactorPending returns the pending state of sess, u's sign-in at
// StageSecondFactor. Returns EFORBIDDEN if it is not at that stage.
func (s *Service) secondFactorPending(sess *navette.Session, u *navette.User) (*pending, error) {
	if sess.Stage != navette.StageSecondFactor || sess.UserID != u.ID {
		return nil, navette.Errorf(navette.EFORBIDDEN, "No second factor is expected now.")
	}
	return s.loadPending(sess)
}

// enrolmentPending returns the pending state of sess, a sign-in at
// StageEnrol. Returns EFORBIDDEN if it is not at that stage.
func (s *Service) enrolmentPending(sess *navette.Session) (*pending, error) {
	if sess.Stage != navette.StageEnrol {
		return nil, navette.Errorf(navette.EFORBIDDEN, "No enrolment is expected now.")
	}
	return s.loadPending(sess)
}

// SecondFactor checks the TOTP code of a session at StageSecondFactor and,
// if it matches, replaces it with a full session. A code is accepted once.
// Returns EFORBIDDEN if the session is not at that stage, EUNAUTHORIZED if
// the code is wrong (the sign-in ends after MaxTries wrong codes), wrapping
// ErrTOTPReused if it is one used already.
func (s *Service) SecondFactor(ctx context.Context, sess *navette.Session, u *navette.User, code string) (*Issued, error) {
	if sess.Stage != navette.StageSecondFactor || u.TOTP.IsZero() {
		return nil, navette.Errorf(navette.EFORBIDDEN, "No second factor is expected now.")
	}
	p, err := s.loadPending(sess)
	if err != nil {
		return nil, err
	}
	accepted, reused, err := s.useTOTP(ctx, u, code, s.Clock.Now())
	if err != nil {
		return nil, err
	}
	if !accepted {
		return nil, s.wrongTOTP(ctx, sess, p, reused)
	}
	return s.issue(ctx, u, navette.StageFull, "code+totp", nil, sess)
}

// StartEnrolment returns the TOTP secret a session at StageEnrol is to
// enrol, made on the first call and kept, sealed, in the session. Returns
// EFORBIDDEN if the session is not at that stage.
func (s *Service) StartEnrolment(ctx context.Context, sess *navette.Session, u *navette.User) (*Enrolment, error) {
	p, err := s.enrolmentPending(sess)
	if err != nil {
		return nil, err
	}
	if len(p.Secret) == 0 {
		p.Secret = totp.NewSecret()
		if err := s.savePending(ctx, sess, p); err != nil {
			return nil, err
		}
	}
	return &Enrolment{Secret: totp.EncodeSecret(p.Secret), URI: totp.URI(p.Secret, s.Config.Issuer, u.Email)}, nil
}

// FinishEnrolment checks a code of the secret StartEnrolment gave and, if it
// matches, enrols it as the user's second factor and replaces the session
// with a full one. Returns EFORBIDDEN if the session is not at StageEnrol or
// no enrolment was started, EUNAUTHORIZED if the code is wrong.
func (s *Service) FinishEnrolment(ctx context.Context, sess *navette.Session, u *navette.User, code string) (*Issued, error) {
	p, err := s.enrolmentPending(sess)
	if err != nil {
		return nil, err
	}
	if len(p.Secret) == 0 {
		return nil, navette.Errorf(navette.EFORBIDDEN, "Start the enrolment first.")
	}
	now := s.Clock.Now()
	step, ok := totp.Verify(p.Secret, code, now, 0)
	if !ok {
		return nil, s.wrong(ctx, sess, p)
	}
	wrapped, err := s.Keys.Wrap(p.Secret, totpAD(u.ID))
	if err != nil {
		return nil, err
	}
	if p.Recovery != "" {
		c := &navette.RecoveryCompletion{RequestID: p.Recovery, TOTP: wrapped, TOTPStep: step}
		ev := navette.Event{Time: now, Type: navette.EventTOTPEnrolled, ActorID: u.ID}
		if err := s.completeRecovery(ctx, u, c, ev); err != nil {
			return nil, err
		}
		return s.enrolled(ctx, sess, u, "code+totp")
	}
	if err := s.enrolTOTP(ctx, u, wrapped, step, now); err != nil {
		return nil, err
	}
	return s.enrolled(ctx, sess, u, "code+totp")
}

// enrolTOTP stores wrapped, the TOTP secret whose code of step was just
// checked, as u's second factor. Returns ECONFLICT if u has one already.
func (s *Service) enrolTOTP(ctx context.Context, u *navette.User, wrapped navette.WrappedKey, step int64, now time.Time) error {
	err := s.Meta.UpdateUser(ctx, u.ID, func(x *navette.User) ([]navette.Event, error) {
		if !x.TOTP.IsZero() {
			return nil, navette.Errorf(navette.ECONFLICT, "A second factor is enrolled already.")
		}
		x.TOTP, x.TOTPStep, x.UpdatedAt = wrapped, step, now
		return []navette.Event{{Time: now, Type: navette.EventTOTPEnrolled, ActorID: u.ID}}, nil
	})
	if err != nil {
		return err
	}
	u.TOTP, u.TOTPStep = wrapped, step
	return nil
}

// ResetSecondFactor removes a user's enrolled second factors (TOTP and
// passkeys), so that they enrol a new one at their next sign-in, and ends
// their sessions. An admin does it for someone who lost their device.
func (s *Service) ResetSecondFactor(ctx context.Context, actor *navette.User, userID string) error {
	now := s.Clock.Now()
	err := s.Meta.UpdateUser(ctx, userID, func(x *navette.User) ([]navette.Event, error) {
		x.TOTP, x.TOTPStep, x.UpdatedAt = navette.WrappedKey{}, 0, now
		return []navette.Event{{Time: now, Type: navette.EventUserUpdated, ActorID: actorID(actor), Detail: userID + " totp reset"}}, nil
	})
	if err != nil {
		return err
	}
	if err := s.removePasskeys(ctx, actor, userID, now); err != nil {
		return err
	}
	if rs, ok := s.Meta.(navette.RecoveryStore); ok {
		if err := rs.SetRecoveryCodes(ctx, userID, nil); err != nil {
			return err
		}
	}
	_, err = s.Meta.DeleteSessions(ctx, userID)
	return err
}

// removePasskeys removes the passkeys of userID in actor's name, if the
// store keeps passkeys.
func (s *Service) removePasskeys(ctx context.Context, actor *navette.User, userID string, now time.Time) error {
	ps, ok := s.Meta.(navette.PasskeyStore)
	if !ok {
		return nil
	}
	keys, err := ps.Passkeys(ctx, userID)
	if err != nil {
		return err
	}
	for _, k := range keys {
		ev := navette.Event{Time: now, Type: navette.EventPasskeyRemoved, ActorID: actorID(actor), Detail: k.ID}
		if err := ps.DeletePasskey(ctx, userID, k.ID, false, ev); err != nil && !navette.IsCode(err, navette.ENOTFOUND) {
			return err
		}
	}
	return nil
}

// ResetOIDCSubject unbinds userID from the identity provider account it
// signed in with, so that the next sign-in through the provider binds the
// one it presents (after the person's account was recreated there), and
// ends their sessions. Returns ENOTFOUND for an unknown user.
func (s *Service) ResetOIDCSubject(ctx context.Context, actor *navette.User, userID string) error {
	now := s.Clock.Now()
	err := s.Meta.UpdateUser(ctx, userID, func(x *navette.User) ([]navette.Event, error) {
		x.OIDCSubject, x.UpdatedAt = "", now
		return []navette.Event{{Time: now, Type: navette.EventUserUpdated, ActorID: actorID(actor), Detail: userID + " oidc subject reset"}}, nil
	})
	if err != nil {
		return err
	}
	_, err = s.Meta.DeleteSessions(ctx, userID)
	return err
}

func actorID(u *navette.User) string {
	if u == nil {
		return ""
	}
	return u.ID
}

// Ended reports whether sess has ended: signed out, swept, or ended by too
// many wrong codes. A failure to tell counts as not ended.
func (s *Service) Ended(ctx context.Context, sess *navette.Session) bool {
	_, err := s.Meta.SessionByHash(ctx, sess.Hash)
	return navette.IsCode(err, navette.ENOTFOUND)
}

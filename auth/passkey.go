package auth

import (
	"bytes"
	"context"
	"crypto/subtle"
	"encoding/json"
	"net/url"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/go-webauthn/webauthn/protocol"
	"github.com/go-webauthn/webauthn/webauthn"

	"navette"
)

// Passkey ceremonies: what a challenge was made for.
const (
	ceremonyRegister = "register" // adding a passkey to a full session
	ceremonyEnrol    = "enrol"    // a passkey as the first second factor, at StageEnrol
	ceremonySecond   = "second"   // a passkey as the second factor of a code sign-in
	ceremonyAlone    = "alone"    // a passkey as the only factor, without a session
)

// MaxPasskeys is how many passkeys one person may register.
const MaxPasskeys = 10

// PasskeyTimeout is how long a passkey ceremony may take, from the
// challenge to the answer.
const PasskeyTimeout = 2 * time.Minute

// PasskeyMethod and CodePasskeyMethod are the sign-in methods a passkey
// gives, as sessions and the journal record them.
const (
	PasskeyMethod     = "passkey"
	CodePasskeyMethod = "code+passkey"
)

// Ceremony is a WebAuthn ceremony started: the options to hand to the
// browser's navigator.credentials.create or get (JSON), and the id of the
// challenge, which the browser sends back with its answer.
type Ceremony struct {
	ID      string
	Options json.RawMessage
}

// challengeState is what a stored challenge holds, sealed.
type challengeState struct {
	Kind    string               `json:"kind"`
	UserID  string               `json:"user,omitempty"`
	Session webauthn.SessionData `json:"session"`
}

// rp returns the relying party of the platform, from Config.PublicURL.
// Returns EUNAVAILABLE if passkeys are not set up.
func (s *Service) rp() (*webauthn.WebAuthn, error) {
	if s.relyingParty == nil {
		return nil, navette.Errorf(navette.EUNAVAILABLE, "Passkeys are not available on this platform: its public address is not configured.")
	}
	return s.relyingParty, nil
}

// initPasskeys makes the relying party from Config.PublicURL: its host is
// the RP id and its origin the only one accepted.
func (s *Service) initPasskeys() error {
	if s.Config.PublicURL == "" {
		return nil
	}
	u, err := url.Parse(s.Config.PublicURL)
	if err != nil || u.Hostname() == "" || (u.Scheme != "https" && u.Scheme != "http") {
		return navette.Errorf(navette.EINVALID, "The public URL %q is not an http(s) URL with a host.", s.Config.PublicURL)
	}
	wa, err := webauthn.New(&webauthn.Config{
		RPID:                  u.Hostname(),
		RPDisplayName:         s.Config.Issuer,
		RPOrigins:             []string{u.Scheme + "://" + u.Host},
		AttestationPreference: protocol.PreferNoAttestation,
		AuthenticatorSelection: protocol.AuthenticatorSelection{
			ResidentKey:      protocol.ResidentKeyRequirementPreferred,
			UserVerification: protocol.VerificationRequired,
		},
		Timeouts: webauthn.TimeoutsConfig{
			Login:        webauthn.TimeoutConfig{Enforce: false, Timeout: PasskeyTimeout, TimeoutUVD: PasskeyTimeout},
			Registration: webauthn.TimeoutConfig{Enforce: false, Timeout: PasskeyTimeout, TimeoutUVD: PasskeyTimeout},
		},
	})
	if err != nil {
		return navette.WrapError(navette.EINVALID, err, "Passkeys cannot be set up for %q.", s.Config.PublicURL)
	}
	s.relyingParty = wa
	return nil
}

// PasskeysAvailable reports whether people may register and use passkeys:
// the platform's public address is configured and its store keeps them.
func (s *Service) PasskeysAvailable() bool {
	_, ok := s.Meta.(navette.PasskeyStore)
	return ok && s.relyingParty != nil
}

// PasskeyAlone reports whether a passkey may be the only factor of a
// sign-in (Config.PasskeyOnly).
func (s *Service) PasskeyAlone() bool { return s.Config.PasskeyOnly && s.PasskeysAvailable() }

func (s *Service) passkeyStore() (navette.PasskeyStore, error) {
	ps, ok := s.Meta.(navette.PasskeyStore)
	if !ok || s.relyingParty == nil {
		return nil, navette.Errorf(navette.EUNAVAILABLE, "Passkeys are not available on this platform.")
	}
	return ps, nil
}

// passkeySetup returns the relying party and the passkey store. Returns
// EUNAVAILABLE if passkeys are not set up.
func (s *Service) passkeySetup() (*webauthn.WebAuthn, navette.PasskeyStore, error) {
	wa, err := s.rp()
	if err != nil {
		return nil, nil, err
	}
	ps, err := s.passkeyStore()
	if err != nil {
		return nil, nil, err
	}
	return wa, ps, nil
}

// passkeyUser is a user with their passkeys, as the WebAuthn library sees
// them.
type passkeyUser struct {
	u     *navette.User
	keys  []*navette.Passkey
	creds []webauthn.Credential
}

// key returns the passkey of p whose credential id is credID, the last if
// several are, or nil.
func (p *passkeyUser) key(credID []byte) *navette.Passkey {
	var key *navette.Passkey
	for _, k := range p.keys {
		if bytes.Equal(k.CredentialID, credID) {
			key = k
		}
	}
	return key
}

func (p *passkeyUser) WebAuthnID() []byte                         { return []byte(p.u.ID) }
func (p *passkeyUser) WebAuthnName() string                       { return p.u.Email }
func (p *passkeyUser) WebAuthnDisplayName() string                { return p.u.Name }
func (p *passkeyUser) WebAuthnCredentials() []webauthn.Credential { return p.creds }

func passkeyAD(userID, id string) string { return "passkey:" + userID + ":" + id }

func challengeAD(id string) string { return "passkey-challenge:" + id }

// loadPasskeyUser returns u with their passkeys, records opened.
func (s *Service) loadPasskeyUser(ctx context.Context, ps navette.PasskeyStore, u *navette.User) (*passkeyUser, error) {
	keys, err := ps.Passkeys(ctx, u.ID)
	if err != nil {
		return nil, err
	}
	pu := &passkeyUser{u: u, keys: keys}
	for _, k := range keys {
		var c webauthn.Credential
		if err := s.openJSON(k.Record, passkeyAD(u.ID, k.ID), &c); err != nil {
			s.log().Warn("a passkey's record does not open: it is ignored", "user", u.ID, "passkey", k.ID)
			continue
		}
		if !bytes.Equal(c.ID, k.CredentialID) {
			s.log().Warn("a passkey's record names another credential: it is ignored", "user", u.ID, "passkey", k.ID)
			continue
		}
		pu.creds = append(pu.creds, c)
	}
	return pu, nil
}

// Passkeys returns the passkeys of u, oldest first.
func (s *Service) Passkeys(ctx context.Context, u *navette.User) ([]*navette.Passkey, error) {
	ps, err := s.passkeyStore()
	if err != nil {
		return nil, err
	}
	return ps.Passkeys(ctx, u.ID)
}

// HasPasskeys reports whether u registered a passkey; false where
// passkeys are not available.
func (s *Service) HasPasskeys(ctx context.Context, u *navette.User) (bool, error) {
	ps, ok := s.Meta.(navette.PasskeyStore)
	if !ok || s.relyingParty == nil {
		return false, nil
	}
	keys, err := ps.Passkeys(ctx, u.ID)
	return len(keys) > 0, err
}

// saveChallenge stores a ceremony's state, bound to binding.
func (s *Service) saveChallenge(ctx context.Context, ps navette.PasskeyStore, binding []byte, st *challengeState, options any) (*Ceremony, error) {
	id := navette.NewID()
	st.Session.Expires = time.Time{} // the stored challenge's expiry, on the injected clock, rules
	data, err := s.sealJSON(st, challengeAD(id))
	if err != nil {
		return nil, err
	}
	c := &navette.PasskeyChallenge{ID: id, Binding: binding, Data: data, ExpiresAt: s.Clock.Now().Add(PasskeyTimeout)}
	if err := ps.CreatePasskeyChallenge(ctx, c); err != nil {
		return nil, err
	}
	opts, err := json.Marshal(options)
	if err != nil {
		return nil, navette.WrapError(navette.EINTERNAL, err, "")
	}
	return &Ceremony{ID: id, Options: opts}, nil
}

// takeChallenge takes the challenge id once and opens it. Returns
// EUNAUTHORIZED if it is unknown, used, expired, bound to someone else or
// made for another ceremony.
func (s *Service) takeChallenge(ctx context.Context, ps navette.PasskeyStore, id string, binding []byte, kind string) (*challengeState, error) {
	refused := navette.Errorf(navette.EUNAUTHORIZED, "The passkey request expired or was already answered: try again.")
	if id == "" || len(id) > 64 {
		return nil, refused
	}
	c, err := ps.TakePasskeyChallenge(ctx, id)
	if navette.IsCode(err, navette.ENOTFOUND) {
		return nil, refused
	} else if err != nil {
		return nil, err
	}
	if subtle.ConstantTimeCompare(c.Binding, binding) != 1 || !s.Clock.Now().Before(c.ExpiresAt) {
		return nil, refused
	}
	st := &challengeState{}
	if err := s.openJSON(c.Data, challengeAD(c.ID), st); err != nil || st.Kind != kind {
		return nil, refused
	}
	return st, nil
}

// sessionBinding binds a challenge to a session.
func sessionBinding(sess *navette.Session) []byte { return []byte("session:" + sess.ID) }

// ValidPasskeyName checks the name a person gives a passkey and returns
// it trimmed: 1 to 60 printable characters.
func ValidPasskeyName(name string) (string, error) {
	name = strings.TrimSpace(name)
	if name == "" || utf8.RuneCountInString(name) > 60 || !utf8.ValidString(name) {
		return "", navette.Errorf(navette.EINVALID, "Name the passkey in 1 to 60 characters.")
	}
	for _, r := range name {
		if !unicode.IsPrint(r) {
			return "", navette.Errorf(navette.EINVALID, "A passkey's name cannot hold control characters.")
		}
	}
	return name, nil
}

// BeginPasskeyRegistration starts adding a passkey to the account of a
// full session. Returns EFORBIDDEN if the session is not full, ESTEPUP if
// it is not Fresh, ECONFLICT if the user has MaxPasskeys already,
// EUNAVAILABLE if passkeys are not set up.
func (s *Service) BeginPasskeyRegistration(ctx context.Context, sess *navette.Session, u *navette.User) (*Ceremony, error) {
	if sess.Stage != navette.StageFull || sess.UserID != u.ID {
		return nil, navette.Errorf(navette.EFORBIDDEN, "Sign in before adding a passkey.")
	}
	if err := s.RequireFresh(sess); err != nil {
		return nil, err
	}
	return s.beginRegistration(ctx, sess, u, ceremonyRegister)
}

// BeginPasskeyEnrolment starts registering a passkey as the second factor
// of a sign-in at StageEnrol, instead of a TOTP secret. Returns EFORBIDDEN
// if the session is not at that stage.
func (s *Service) BeginPasskeyEnrolment(ctx context.Context, sess *navette.Session, u *navette.User) (*Ceremony, error) {
	if sess.Stage != navette.StageEnrol || sess.UserID != u.ID {
		return nil, navette.Errorf(navette.EFORBIDDEN, "No enrolment is expected now.")
	}
	return s.beginRegistration(ctx, sess, u, ceremonyEnrol)
}

func (s *Service) beginRegistration(ctx context.Context, sess *navette.Session, u *navette.User, kind string) (*Ceremony, error) {
	wa, ps, err := s.passkeySetup()
	if err != nil {
		return nil, err
	}
	pu, err := s.loadPasskeyUser(ctx, ps, u)
	if err != nil {
		return nil, err
	}
	if len(pu.keys) >= MaxPasskeys {
		return nil, navette.Errorf(navette.ECONFLICT, "You have %d passkeys already, the most one may have: remove one first.", MaxPasskeys)
	}
	var exclude []protocol.CredentialDescriptor
	for _, c := range pu.creds {
		exclude = append(exclude, c.Descriptor())
	}
	creation, sd, err := wa.BeginRegistration(pu, webauthn.WithExclusions(exclude),
		webauthn.WithResidentKeyRequirement(protocol.ResidentKeyRequirementPreferred),
		webauthn.WithConveyancePreference(protocol.PreferNoAttestation))
	if err != nil {
		return nil, navette.WrapError(navette.EINTERNAL, err, "")
	}
	return s.saveChallenge(ctx, ps, sessionBinding(sess), &challengeState{Kind: kind, UserID: u.ID, Session: *sd}, creation.Response)
}

// FinishPasskeyRegistration checks the browser's answer (the JSON of the
// PublicKeyCredential) to the ceremony id and registers the passkey under
// name. Returns EINVALID for a bad name or an answer that does not verify
// (wrong origin, no user verification…), EUNAUTHORIZED if the ceremony
// expired, was answered already or is another session's, ECONFLICT if the
// credential is registered already.
func (s *Service) FinishPasskeyRegistration(ctx context.Context, sess *navette.Session, u *navette.User, id, name string, answer []byte) (*navette.Passkey, error) {
	if sess.Stage != navette.StageFull || sess.UserID != u.ID {
		return nil, navette.Errorf(navette.EFORBIDDEN, "Sign in before adding a passkey.")
	}
	return s.finishRegistration(ctx, sess, u, id, name, answer, ceremonyRegister)
}

// FinishPasskeyEnrolment checks the answer to a BeginPasskeyEnrolment
// ceremony, registers the passkey under name as the person's second
// factor, and replaces the session with a full one (method
// "code+passkey"). Errors as FinishPasskeyRegistration; EFORBIDDEN if the
// session is not at StageEnrol.
func (s *Service) FinishPasskeyEnrolment(ctx context.Context, sess *navette.Session, u *navette.User, id, name string, answer []byte) (*Issued, error) {
	if sess.Stage != navette.StageEnrol || sess.UserID != u.ID {
		return nil, navette.Errorf(navette.EFORBIDDEN, "No enrolment is expected now.")
	}
	p, err := s.loadPending(sess)
	if err != nil {
		return nil, err
	}
	if err := s.checkRecoveryApproved(ctx, u, p.Recovery); err != nil {
		return nil, err
	}
	key, err := s.finishRegistration(ctx, sess, u, id, name, answer, ceremonyEnrol)
	if err != nil {
		return nil, err
	}
	if p.Recovery != "" {
		if err := s.completeRecovery(ctx, u, &navette.RecoveryCompletion{RequestID: p.Recovery, KeepPasskey: key.ID}); err != nil {
			return nil, err
		}
	}
	return s.enrolled(ctx, sess, u, CodePasskeyMethod)
}

// checkRecoveryApproved returns EFORBIDDEN unless recovery, the recovery
// request an enrolment completes ("" for none), is still u's approved one.
func (s *Service) checkRecoveryApproved(ctx context.Context, u *navette.User, recovery string) error {
	if recovery == "" {
		return nil
	}
	if id, err := s.approvedRecovery(ctx, u); err != nil {
		return err
	} else if id != recovery {
		return navette.Errorf(navette.EFORBIDDEN, "Your recovery request is no longer approved: ask again.")
	}
	return nil
}

func (s *Service) finishRegistration(ctx context.Context, sess *navette.Session, u *navette.User, id, name string, answer []byte, kind string) (*navette.Passkey, error) {
	wa, ps, err := s.passkeySetup()
	if err != nil {
		return nil, err
	}
	if name, err = ValidPasskeyName(name); err != nil {
		return nil, err
	}
	st, err := s.takeChallenge(ctx, ps, id, sessionBinding(sess), kind)
	if err != nil {
		return nil, err
	}
	if st.UserID != u.ID {
		return nil, navette.Errorf(navette.EUNAUTHORIZED, "The passkey request expired or was already answered: try again.")
	}
	parsed, err := protocol.ParseCredentialCreationResponseBytes(answer)
	if err != nil {
		return nil, navette.WrapError(navette.EINVALID, err, "The browser's answer is not a passkey.")
	}
	pu, err := s.loadPasskeyUser(ctx, ps, u)
	if err != nil {
		return nil, err
	}
	cred, err := wa.CreateCredential(pu, st.Session, parsed)
	if err != nil {
		return nil, navette.WrapError(navette.EINVALID, err, "The passkey could not be checked: it was not made for this platform, or without verifying you (PIN, fingerprint…).")
	}
	now := s.Clock.Now()
	p := &navette.Passkey{ID: navette.NewID(), UserID: u.ID, CredentialID: cred.ID, Name: name, SignCount: int64(cred.Authenticator.SignCount), CreatedAt: now}
	if p.Record, err = s.sealJSON(cred, passkeyAD(u.ID, p.ID)); err != nil {
		return nil, err
	}
	ev := navette.Event{Time: now, Type: navette.EventPasskeyAdded, ActorID: u.ID, Detail: p.ID}
	if err := ps.CreatePasskey(ctx, p, ev); err != nil {
		return nil, err
	}
	return p, nil
}

// RemovePasskey removes the passkey id of the person of sess, u. Someone
// who signs in with e-mailed codes keeps at least one second factor:
// removing their last one (no TOTP, no other passkey) is refused with
// ECONFLICT. Returns ESTEPUP if the session is not Fresh, ENOTFOUND if u
// has no such passkey.
func (s *Service) RemovePasskey(ctx context.Context, sess *navette.Session, u *navette.User, id string) error {
	ps, err := s.passkeyStore()
	if err != nil {
		return err
	}
	if err := s.RequireFresh(sess); err != nil {
		return err
	}
	ev := navette.Event{Time: s.Clock.Now(), Type: navette.EventPasskeyRemoved, ActorID: u.ID, Detail: id}
	err = ps.DeletePasskey(ctx, u.ID, id, s.codeAllowed(u), ev)
	if navette.IsCode(err, navette.ECONFLICT) {
		return navette.Errorf(navette.ECONFLICT, "This passkey is your last second factor: add another one before removing it.")
	}
	return err
}

// BeginPasskeySecondFactor starts the passkey ceremony of a sign-in at
// StageSecondFactor, offering the user's passkeys. Returns EFORBIDDEN if
// the session is not at that stage or the user has no passkey.
func (s *Service) BeginPasskeySecondFactor(ctx context.Context, sess *navette.Session, u *navette.User) (*Ceremony, error) {
	return s.beginAssertion(ctx, sess, u, navette.StageSecondFactor, "No second factor is expected now.", ceremonySecond)
}

// beginAssertion starts a passkey ceremony of the given kind that offers
// u's passkeys, in the session sess, which must be u's at stage: refused
// is the EFORBIDDEN message otherwise. Returns EFORBIDDEN too if u has no
// passkey.
func (s *Service) beginAssertion(ctx context.Context, sess *navette.Session, u *navette.User, stage navette.SessionStage, refused, kind string) (*Ceremony, error) {
	wa, ps, err := s.passkeySetup()
	if err != nil {
		return nil, err
	}
	if sess.Stage != stage || sess.UserID != u.ID {
		return nil, navette.Errorf(navette.EFORBIDDEN, "%s", refused)
	}
	pu, err := s.loadPasskeyUser(ctx, ps, u)
	if err != nil {
		return nil, err
	}
	if len(pu.creds) == 0 {
		return nil, navette.Errorf(navette.EFORBIDDEN, "You have no passkey: use your authenticator application.")
	}
	assertion, sd, err := wa.BeginLogin(pu, webauthn.WithUserVerification(protocol.VerificationRequired))
	if err != nil {
		return nil, navette.WrapError(navette.EINTERNAL, err, "")
	}
	return s.saveChallenge(ctx, ps, sessionBinding(sess), &challengeState{Kind: kind, UserID: u.ID, Session: *sd}, assertion.Response)
}

// FinishPasskeySecondFactor checks the browser's answer to the ceremony
// id and, if a passkey of the user signed it with user verification,
// replaces the session with a full one (method "code+passkey"). A wrong
// answer counts as a wrong second factor. Returns EFORBIDDEN if the session
// is not at StageSecondFactor, EUNAUTHORIZED otherwise.
func (s *Service) FinishPasskeySecondFactor(ctx context.Context, sess *navette.Session, u *navette.User, id string, answer []byte) (*Issued, error) {
	wa, ps, err := s.passkeySetup()
	if err != nil {
		return nil, err
	}
	p, err := s.secondFactorPending(sess, u)
	if err != nil {
		return nil, err
	}
	st, err := s.takeChallenge(ctx, ps, id, sessionBinding(sess), ceremonySecond)
	if err != nil {
		return nil, err
	}
	if st.UserID != u.ID {
		return nil, s.wrongPasskey(ctx, sess, p)
	}
	parsed, err := protocol.ParseCredentialRequestResponseBytes(answer)
	if err != nil {
		return nil, s.wrongPasskey(ctx, sess, p)
	}
	pu, err := s.loadPasskeyUser(ctx, ps, u)
	if err != nil {
		return nil, err
	}
	cred, err := wa.ValidateLogin(pu, st.Session, parsed)
	if err != nil {
		s.log().Info("a passkey answer was refused", "user", u.ID, "err", err)
		return nil, s.wrongPasskey(ctx, sess, p)
	}
	if err := s.usePasskey(ctx, ps, pu, cred, parsed); err != nil {
		if navette.IsCode(err, navette.EUNAUTHORIZED) {
			return nil, s.wrongPasskey(ctx, sess, p)
		}
		return nil, err
	}
	return s.issue(ctx, u, navette.StageFull, CodePasskeyMethod, nil, sess)
}

// wrongPasskey counts a refused passkey answer as a wrong second factor.
func (s *Service) wrongPasskey(ctx context.Context, sess *navette.Session, p *pending) error {
	err := s.wrong(ctx, sess, p)
	if navette.IsCode(err, navette.EUNAUTHORIZED) && p.Tries < s.Config.MaxTries {
		return navette.Errorf(navette.EUNAUTHORIZED, "The passkey was refused: use one registered for your account on this platform.")
	}
	return err
}

// usePasskey records a verified assertion: the passkey's new signature
// counter, flags and last use. An assertion whose counter does not exceed
// the stored one (unless both are zero, for authenticators that keep no
// counter) is refused as coming from a copied key, and journaled.
func (s *Service) usePasskey(ctx context.Context, ps navette.PasskeyStore, pu *passkeyUser, cred *webauthn.Credential, parsed *protocol.ParsedCredentialAssertionData) error {
	key := pu.key(cred.ID)
	if key == nil {
		return unauthorized()
	}
	now := s.Clock.Now()
	count := int64(parsed.Response.AuthenticatorData.Counter)
	cloned := false
	err := ps.UpdatePasskey(ctx, key.ID, func(p *navette.Passkey) ([]navette.Event, error) {
		if (count != 0 || p.SignCount != 0) && count <= p.SignCount {
			cloned = true
			return []navette.Event{{Time: now, Type: navette.EventPasskeyCloned, ActorID: p.UserID, Detail: p.ID}}, nil
		}
		c := *cred
		c.Authenticator.CloneWarning = false
		c.Authenticator.SignCount = uint32(count)
		rec, err := s.sealJSON(&c, passkeyAD(p.UserID, p.ID))
		if err != nil {
			return nil, err
		}
		p.SignCount, p.LastUsedAt, p.Record = count, now, rec
		return nil, nil
	})
	if err != nil {
		return err
	}
	if cloned {
		s.log().Warn("a passkey's signature counter went back: refused as a copied key", "user", pu.u.ID, "passkey", key.ID)
		return unauthorized()
	}
	return nil
}

// PasskeyFlowCookieName is the cookie that binds a passkey sign-in without
// a session to the browser that started it.
const PasskeyFlowCookieName = "__Host-navette-passkey"

// BeginPasskeySignIn starts a sign-in with a passkey as the only factor,
// where the operator allows it (Config.PasskeyOnly): the browser lets the
// person pick one of the passkeys it holds for this platform. The returned
// secret goes into PasskeyFlowCookieName and binds the ceremony to this
// browser. Returns EFORBIDDEN if passkeys alone are not allowed, ETOOMANY
// if the client address made too many attempts.
func (s *Service) BeginPasskeySignIn(ctx context.Context, ip string) (*Ceremony, string, error) {
	wa, ps, err := s.passkeySetup()
	if err != nil {
		return nil, "", err
	}
	if err := s.passkeyAloneAllowed(ip); err != nil {
		return nil, "", err
	}
	assertion, sd, err := wa.BeginDiscoverableLogin(webauthn.WithUserVerification(protocol.VerificationRequired))
	if err != nil {
		return nil, "", navette.WrapError(navette.EINTERNAL, err, "")
	}
	secret := newSecret()
	c, err := s.saveChallenge(ctx, ps, HashSecret(secret), &challengeState{Kind: ceremonyAlone, Session: *sd}, assertion.Response)
	if err != nil {
		return nil, "", err
	}
	return c, secret, nil
}

// passkeyAloneAllowed returns EFORBIDDEN unless a passkey may be the only
// factor of a sign-in, ETOOMANY if the client address ip made too many
// attempts.
func (s *Service) passkeyAloneAllowed(ip string) error {
	if !s.Config.PasskeyOnly {
		return navette.Errorf(navette.EFORBIDDEN, "Signing in with a passkey alone is not allowed on this platform.")
	}
	if !s.limits.allow("verify "+network(ip), 10*s.Config.PerIPPerHour, s.Clock.Now()) {
		return navette.Errorf(navette.ETOOMANY, "Too many sign-in attempts from your network: try again in an hour.")
	}
	return nil
}

// FinishPasskeySignIn checks the answer to a BeginPasskeySignIn ceremony
// and, if a registered passkey of someone who may sign in signed it with
// user verification, starts a full session (method "passkey"). Every
// refusal is the one sign-in failure.
func (s *Service) FinishPasskeySignIn(ctx context.Context, secret, id string, answer []byte, ip string) (*Issued, error) {
	wa, ps, err := s.passkeySetup()
	if err != nil {
		return nil, err
	}
	if err := s.passkeyAloneAllowed(ip); err != nil {
		return nil, err
	}
	if !secretShaped(secret) {
		return nil, unauthorized()
	}
	st, err := s.takeChallenge(ctx, ps, id, HashSecret(secret), ceremonyAlone)
	if err != nil {
		return nil, unauthorized()
	}
	parsed, err := protocol.ParseCredentialRequestResponseBytes(answer)
	if err != nil {
		return nil, unauthorized()
	}
	var pu *passkeyUser
	_, cred, err := wa.ValidatePasskeyLogin(s.passkeyOwner(ctx, ps, &pu), st.Session, parsed)
	if err != nil || pu == nil {
		return nil, s.refusePasskeySignIn(ctx, pu, err)
	}
	if err := s.usePasskey(ctx, ps, pu, cred, parsed); err != nil {
		if navette.IsCode(err, navette.EUNAUTHORIZED) {
			return nil, unauthorized()
		}
		return nil, err
	}
	return s.issue(ctx, pu.u, navette.StageFull, PasskeyMethod, nil, nil)
}

// passkeyOwner returns the handler with which the WebAuthn library finds
// the owner of a discoverable credential: someone who may sign in, whose
// id is the credential's user handle. It keeps them, with their passkeys,
// in *found.
func (s *Service) passkeyOwner(ctx context.Context, ps navette.PasskeyStore, found **passkeyUser) webauthn.DiscoverableUserHandler {
	return func(rawID, userHandle []byte) (webauthn.User, error) {
		key, err := ps.PasskeyByCredentialID(ctx, rawID)
		if err != nil {
			return nil, err
		}
		if subtle.ConstantTimeCompare([]byte(key.UserID), userHandle) != 1 {
			return nil, navette.Errorf(navette.EUNAUTHORIZED, "another user's handle")
		}
		u, err := s.Meta.User(ctx, key.UserID)
		if err != nil {
			return nil, err
		}
		if !s.allowed(u) {
			return nil, navette.Errorf(navette.EUNAUTHORIZED, "may not sign in")
		}
		pu, err := s.loadPasskeyUser(ctx, ps, u)
		*found = pu
		return pu, err
	}
}

// refusePasskeySignIn journals a refused passkey sign-in of pu, if the
// passkey's owner is known, and returns the one sign-in failure.
func (s *Service) refusePasskeySignIn(ctx context.Context, pu *passkeyUser, cause error) error {
	if pu != nil {
		ev := navette.Event{Time: s.Clock.Now(), Type: navette.EventSignInFailed, ActorID: pu.u.ID, Detail: "passkey refused"}
		if err := s.Meta.AppendEvents(ctx, ev); err != nil {
			return err
		}
	}
	s.log().Info("a passkey sign-in was refused", "err", cause)
	return unauthorized()
}

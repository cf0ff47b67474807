// Package auth signs people in and keeps their sessions: one-time codes
// e-mailed to partners followed by a second factor (TOTP), OpenID Connect
// for agents against the ministry's identity provider, or an LDAP bind where
// the operator configures it instead. Sessions live on the server; the
// browser holds only a random secret whose SHA-256 names the session. Every
// request resolves the session and its user afresh, so a revocation or a
// change of role takes effect on the very next request.
package auth

import (
	"cmp"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"log/slog"
	"strings"
	"time"

	"github.com/go-webauthn/webauthn/webauthn"

	"navette"
	"navette/account"
)

// SecretPrefix starts every session secret, so that leaked ones are easy to
// recognise.
const SecretPrefix = "nvs_"

// Mode says who may use the platform.
type Mode string

// Modes. In internal mode (like the ministry's internal platform) partners
// can neither sign in nor be recipients.
const (
	ModeExternal Mode = "external"
	ModeInternal Mode = "internal"
)

// Valid reports whether m is a known mode.
func (m Mode) Valid() bool { return m == ModeExternal || m == ModeInternal }

// Config tunes sign-in and sessions. Zero values take the defaults.
type Config struct {
	Mode        Mode          // external by default
	IdleTimeout time.Duration // a session unused this long ends (30 min)
	MaxAge      time.Duration // a session ends this long after sign-in whatever happens (12 h)
	// StaffCodes lets staff sign in with e-mailed codes and a second
	// factor, like partners: for the demo and for deployments without an
	// identity provider. Off, staff sign in through OIDC or LDAP only.
	StaffCodes bool
	CodeTTL    time.Duration // how long an e-mailed code works (10 min)
	MaxTries   int           // wrong tries that burn a code, and wrong second factors that end a sign-in (5)
	// CodesPerHour is how many codes one address may be sent per hour (5);
	// requests beyond it get the usual answer but no e-mail.
	CodesPerHour int
	// PerIPPerHour is how many code requests, and ten times as many
	// sign-in attempts, one client address may make per hour on one node
	// (30).
	PerIPPerHour int
	// AnswerTime is the time a code request, and a refused code check,
	// take at least, so that their duration does not tell whether the
	// address is known (250 ms).
	AnswerTime time.Duration
	// Issuer names the platform in authenticator applications ("navette").
	Issuer string
	// PublicURL is the platform's address: its host is the relying party
	// id of passkeys and its origin the only one they are accepted from.
	// Empty, passkeys are not available.
	PublicURL string
	// PasskeyOnly lets people sign in with a passkey alone (possession and
	// user verification), without an e-mailed code.
	PasskeyOnly bool
	// StepUpAge is how recent a session's last proof of its person must
	// be for a sensitive action (creating an API token, changing one's
	// factors): older, the person gives a passkey or TOTP code again (5
	// min).
	StepUpAge time.Duration
	// StepUpDownloads, an operator's option, makes browser sessions
	// prove who they are again (within StepUpAge) before each download,
	// as before the other sensitive actions.
	StepUpDownloads bool
	// MinAssurance is the weakest sign-in each role accepts (none when
	// absent): a session below it reaches only "Mon compte", to add a
	// passkey, and signing out (CheckAssurance).
	MinAssurance map[navette.Role]navette.Assurance
}

func (c *Config) defaults() {
	c.Mode = cmp.Or(c.Mode, ModeExternal)
	positiveOr(&c.IdleTimeout, 30*time.Minute)
	positiveOr(&c.MaxAge, 12*time.Hour)
	positiveOr(&c.CodeTTL, 10*time.Minute)
	positiveOr(&c.MaxTries, 5)
	positiveOr(&c.CodesPerHour, 5)
	positiveOr(&c.PerIPPerHour, 30)
	positiveOr(&c.AnswerTime, 250*time.Millisecond)
	c.Issuer = cmp.Or(c.Issuer, "navette")
	positiveOr(&c.StepUpAge, 5*time.Minute)
}

// positiveOr sets *v to def unless *v is positive.
func positiveOr[T int | time.Duration](v *T, def T) {
	if *v <= 0 {
		*v = def
	}
}

// CodeMAC makes and checks the keyed digests that short secrets (e-mailed
// sign-in codes) are stored as: a plain hash of 8 digits falls to 10^8
// guesses by whoever reads the database.
type CodeMAC interface {
	// Sum returns the digest of msg under the active key.
	Sum(msg []byte) []byte
	// Verify reports, in constant time, whether sum is a digest of msg.
	Verify(msg, sum []byte) bool
}

// Identity is who an identity provider says signed in.
type Identity struct {
	Subject       string
	Email         string
	EmailVerified bool
	// ACR is the provider's authentication context class ("" if none):
	// the session's method is then "oidc:ACR" (navette.MethodAssurance).
	ACR string
}

// IdentityProvider is an OpenID Connect provider (package navette/oidc).
type IdentityProvider interface {
	// AuthURL returns where to send the browser to sign in, or "" if the
	// provider cannot be reached.
	AuthURL(state, nonce, verifier string) string
	// Exchange trades an authorization code for the verified identity.
	// Returns EUNAUTHORIZED if the code, verifier or nonce is wrong,
	// EUNAVAILABLE if the provider cannot be reached.
	Exchange(ctx context.Context, code, verifier, nonce string) (*Identity, error)
}

// PasswordChecker checks a login and password against a directory (LDAP
// bind) and returns the person's e-mail address. Returns EUNAUTHORIZED if
// they do not match, EUNAVAILABLE if the directory cannot be reached.
type PasswordChecker interface {
	CheckPassword(ctx context.Context, login, password string) (email string, err error)
}

// Store is what the sign-in service needs of the metadata store, by role;
// navette.MetaStore has them all.
type Store interface {
	navette.SessionStore
	navette.UserStore
	navette.JournalStore
}

// Service signs people in. Set its fields, then call Init.
type Service struct {
	Meta   Store
	Clock  navette.Clock
	Keys   navette.KeyWrapper // seals small secrets (TOTP secrets, sign-in state)
	Codes  CodeMAC            // keys the digests e-mailed codes are stored as (keyring.MACKeys)
	Config Config
	// OIDC, if set, signs staff in through the ministry's provider.
	OIDC IdentityProvider
	// LDAP, if set, signs staff in with their directory password.
	LDAP PasswordChecker
	// NoticesQueued, if set, is called after a code was queued for e-mail.
	NoticesQueued func()
	// PolicyMinimum, if set, returns the security policy's minimum
	// assurance of a role (account.Service.MinimumAssurance): the stronger
	// of it and Config.MinAssurance applies.
	PolicyMinimum func(navette.Role) navette.Assurance
	// Log receives what fails without failing a request (slog.Default if
	// nil).
	Log *slog.Logger

	limits       *limiter
	relyingParty *webauthn.WebAuthn
	touches      navette.Toucher
}

// Wait returns once the last-use times being written have been: call it
// before closing the store.
func (s *Service) Wait() { s.touches.Wait() }

func (s *Service) log() *slog.Logger {
	if s.Log == nil {
		return slog.Default()
	}
	return s.Log
}

// Init applies the defaults. Call it once before use.
func (s *Service) Init() {
	s.Config.defaults()
	s.limits = newLimiter(time.Hour)
	if err := s.initPasskeys(); err != nil {
		s.log().Warn("passkeys are not available", "err", err)
	}
}

// Issued is a session just made: Secret goes into the browser's cookie
// and is never stored.
type Issued struct {
	Secret  string
	Session *navette.Session
	User    *navette.User
	// ShowCodes tells that the person just enrolled and has recovery
	// codes to see, once (NewRecoveryCodes).
	ShowCodes bool
	// RecoveryLeft is, after a sign-in with a recovery code, how many
	// codes are left.
	RecoveryLeft int
}

// unauthorized is the one answer to a failed sign-in, whatever failed and
// whoever asked: the same problem for a partner, an agent, an unknown or a
// revoked address, in every step that checks who is signing in.
func unauthorized() error {
	return navette.Errorf(navette.EUNAUTHORIZED, "Sign-in failed: the code or the credentials are wrong or expired.")
}

// HashSecret returns the SHA-256 a session or token secret is stored as:
// they are 256 random bits, so a plain hash suffices. Short secrets are
// stored as keyed digests instead (CodeMAC).
func HashSecret(secret string) []byte {
	h := sha256.Sum256([]byte(secret))
	return h[:]
}

// CSRFToken returns the anti-forgery token of a session: state-changing
// requests made with the session's cookie must carry it. It is derived from
// the session's secret, so it needs no storage and changes with the session.
func CSRFToken(secret string) string {
	h := sha256.Sum256([]byte("navette csrf\x00" + secret))
	return base64.RawURLEncoding.EncodeToString(h[:24])
}

func newSecret() string {
	var b [32]byte
	rand.Read(b[:])
	return SecretPrefix + base64.RawURLEncoding.EncodeToString(b[:])
}

// secretShaped reports whether secret looks like one newSecret made: it
// has SecretPrefix and is not too long to be one.
func secretShaped(secret string) bool {
	return strings.HasPrefix(secret, SecretPrefix) && len(secret) <= 100
}

// allowed reports whether u may sign in at all, by any method.
func (s *Service) allowed(u *navette.User) bool {
	if u.Disabled || !u.Role.CanSignIn() {
		return false
	}
	if u.Role == navette.RolePartner && s.Config.Mode == ModeInternal {
		return false
	}
	return true
}

// issue makes a new session for u at stage, ending old if given: every
// step of a sign-in gets a new session id.
func (s *Service) issue(ctx context.Context, u *navette.User, stage navette.SessionStage, method string, pending []byte, old *navette.Session) (*Issued, error) {
	now := s.Clock.Now()
	secret := newSecret()
	sess := s.newSession(u, stage, method, pending, old, HashSecret(secret), now)
	var events []navette.Event
	if stage == navette.StageFull {
		events = append(events, navette.Event{Time: now, Type: navette.EventSignIn, ActorID: u.ID, Detail: method})
	}
	if err := s.Meta.CreateSession(ctx, sess, events...); err != nil {
		return nil, err
	}
	if old != nil {
		if err := s.Meta.DeleteSession(ctx, old.ID); err != nil && !navette.IsCode(err, navette.ENOTFOUND) {
			return nil, err
		}
	}
	return &Issued{Secret: secret, Session: sess, User: u}, nil
}

// newSession returns the session of hash made at now for u at stage, that
// ends no later than old, the session it replaces (if any).
func (s *Service) newSession(u *navette.User, stage navette.SessionStage, method string, pending []byte, old *navette.Session, hash []byte, now time.Time) *navette.Session {
	sess := &navette.Session{
		ID:        navette.NewID(),
		Hash:      hash,
		UserID:    u.ID,
		Stage:     stage,
		Method:    method,
		CreatedAt: now,
		SeenAt:    now,
		ExpiresAt: now.Add(s.Config.MaxAge),
		Pending:   pending,
	}
	if stage == navette.StageFull {
		sess.VerifiedAt = now
	}
	if old != nil && !old.ExpiresAt.IsZero() && old.ExpiresAt.Before(sess.ExpiresAt) {
		sess.ExpiresAt = old.ExpiresAt
	}
	return sess
}

// Resolve returns the session whose secret is given and its user, and
// records the request. Returns EUNAUTHORIZED if the secret is unknown, the
// session expired or idled out (it is then ended), or its user may no
// longer sign in. The session may not be full: callers check its Stage.
func (s *Service) Resolve(ctx context.Context, secret string) (*navette.Session, *navette.User, error) {
	expired := navette.Errorf(navette.EUNAUTHORIZED, "Your session has ended: sign in again.")
	if !secretShaped(secret) {
		return nil, nil, expired
	}
	sess, err := s.Meta.SessionByHash(ctx, HashSecret(secret))
	if navette.IsCode(err, navette.ENOTFOUND) {
		return nil, nil, expired
	} else if err != nil {
		return nil, nil, err
	}
	now := s.Clock.Now()
	if s.expire(ctx, sess, now) {
		return nil, nil, expired
	}
	u, err := account.UserIf(ctx, s.Meta, sess.UserID, s.allowed, expired)
	if err != nil {
		return nil, nil, err
	}
	if now.Sub(sess.SeenAt) >= time.Minute {
		s.touchSession(ctx, sess, now)
	}
	return sess, u, nil
}

// expire reports whether sess expired or idled out at now, and if so ends
// it. The session is refused whether or not it can be ended now; the
// sweeper ends it otherwise.
func (s *Service) expire(ctx context.Context, sess *navette.Session, now time.Time) bool {
	if now.Before(sess.ExpiresAt) && now.Before(sess.SeenAt.Add(s.Config.IdleTimeout)) {
		return false
	}
	ev := navette.Event{Time: now, Type: navette.EventSignOut, ActorID: sess.UserID, Detail: "expired"}
	if err := s.Meta.DeleteSession(ctx, sess.ID, ev); err != nil && !navette.IsCode(err, navette.ENOTFOUND) {
		s.log().WarnContext(ctx, "ending an expired session failed", "user", sess.UserID, "err", err)
	}
	return true
}

// touchSession records a request of sess at now. It only pushes the idle
// timeout back, in the background: a failure (a full disk) is logged and
// never fails or delays the request.
func (s *Service) touchSession(ctx context.Context, sess *navette.Session, now time.Time) {
	id := sess.ID
	s.touches.Touch(ctx, "session:"+id, s.log().With("user", sess.UserID), "recording a session's use", func(ctx context.Context) error {
		return s.Meta.UpdateSession(ctx, id, func(x *navette.Session) ([]navette.Event, error) {
			if x.SeenAt.Before(now) {
				x.SeenAt = now
			}
			return nil, nil
		})
	})
	sess.SeenAt = now
}

// SignOut ends the session. Ending a session already gone is not an error.
func (s *Service) SignOut(ctx context.Context, sess *navette.Session) error {
	ev := navette.Event{Time: s.Clock.Now(), Type: navette.EventSignOut, ActorID: sess.UserID, Detail: "signout"}
	if err := s.Meta.DeleteSession(ctx, sess.ID, ev); err != nil && !navette.IsCode(err, navette.ENOTFOUND) {
		return err
	}
	return nil
}

// Sweep removes ended sessions and expired codes. The sweeper calls it.
func (s *Service) Sweep(ctx context.Context) error {
	now := s.Clock.Now()
	if _, err := s.Meta.DeleteStaleSessions(ctx, now, now.Add(-s.Config.IdleTimeout)); err != nil {
		return err
	}
	if _, err := s.Meta.DeleteSignInCodes(ctx, now.Add(-time.Hour)); err != nil {
		return err
	}
	if ps, ok := s.Meta.(navette.PasskeyStore); ok {
		if _, err := ps.DeletePasskeyChallenges(ctx, now); err != nil {
			return err
		}
	}
	return nil
}

// sealJSON seals v under the key ring for ad.
func (s *Service) sealJSON(v any, ad string) ([]byte, error) {
	plain, err := json.Marshal(v)
	if err != nil {
		return nil, navette.WrapError(navette.EINTERNAL, err, "")
	}
	w, err := s.Keys.Wrap(plain, ad)
	if err != nil {
		return nil, err
	}
	return []byte(w.KeyID + "." + base64.RawURLEncoding.EncodeToString(w.Data)), nil
}

// openJSON opens what sealJSON sealed for ad into v.
func (s *Service) openJSON(b []byte, ad string, v any) error {
	id, data, ok := strings.Cut(string(b), ".")
	raw, err := base64.RawURLEncoding.DecodeString(data)
	if !ok || err != nil {
		return navette.Errorf(navette.EUNAUTHORIZED, "The sign-in state is damaged: start again.")
	}
	plain, err := s.Keys.Unwrap(navette.WrappedKey{KeyID: id, Data: raw}, ad)
	if err != nil {
		return navette.Errorf(navette.EUNAUTHORIZED, "The sign-in state is damaged: start again.")
	}
	if err := json.Unmarshal(plain, v); err != nil {
		return navette.Errorf(navette.EUNAUTHORIZED, "The sign-in state is damaged: start again.")
	}
	return nil
}

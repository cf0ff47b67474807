// Package account manages users and their API tokens: creation by an
// operator, and authentication of bearer tokens.
package account

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"log/slog"
	"net/mail"
	"slices"
	"strings"
	"time"

	"navette"
	"navette/notify"
)

// TokenPrefix starts every API token, so that leaked tokens are easy to
// recognise by secret scanners.
const TokenPrefix = "nvt_"

// Store is what the account service needs of the metadata store, by role;
// navette.MetaStore has them all.
type Store interface {
	navette.UserStore
	navette.TokenStore
	navette.CourtStore
	navette.MailboxStore
	navette.JournalStore
}

// Service creates users and tokens and authenticates tokens.
type Service struct {
	Meta  Store
	Clock navette.Clock
	// Internal is the internal mode: partners can neither sign in nor be
	// recipients.
	Internal bool
	// PartnersToAgents lets partners send deposits to agents in person;
	// by default they may send only to service mailboxes.
	PartnersToAgents bool
	// Log receives what fails without failing a request (slog.Default if
	// nil).
	Log *slog.Logger

	touches navette.Toucher
	// Approvals is how many admins an action of the two-person rule needs
	// (approval.go): 1 turns the rule off, for a site with one admin; 0
	// means the default, 2.
	Approvals int
	// RequestTTL is how long a request waits for its review; 0 means
	// navette.DefaultRequestTTL.
	RequestTTL time.Duration
	// Keys wraps the keys of the notices that tell reviewers a request
	// waits, and its requester and the person it acts on its outcome
	// (outcome.go); nil sends none.
	Keys navette.KeyWrapper
	// NoticesQueued, if set, is called after notices were queued.
	NoticesQueued func()
	// Waiting, if set, lists the deposits waiting for a person whose
	// access is restored, in the notice that tells them (access_restored).
	Waiting notify.WaitingFor
	// PolicyTTL is how long this node uses the security policy it read
	// before it reads it again (policy.go); 0 means DefaultPolicyTTL.
	PolicyTTL time.Duration
	// RotateJournalKey, if set, makes a new journal signing key, journals
	// ev (its Detail completed with the new verifier key and the retired
	// key's tree size) and returns the new verifier key: what an approved
	// keys.rotate request runs.
	RotateJournalKey func(ctx context.Context, ev navette.Event) (string, error)

	policy policyCache
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

// NewUser is a user to create.
type NewUser struct {
	Email string
	Name  string
	Role  navette.Role
	Lang  string // language of the user's e-mails: "fr", "en", or "" for the default (French)
	// CourtID is a staff member's court; empty for partners.
	CourtID string
}

// CreateUser adds a user whose e-mails are in the default language. Returns
// what Create returns.
func (s *Service) CreateUser(ctx context.Context, email, name string, role navette.Role) (*navette.User, error) {
	return s.Create(ctx, NewUser{Email: email, Name: name, Role: role})
}

// Create adds a user. Returns EINVALID for a bad e-mail, name, role or
// language, ECONFLICT if the e-mail is taken.
func (s *Service) Create(ctx context.Context, nu NewUser) (*navette.User, error) {
	nu, err := nu.normalized()
	if err != nil {
		return nil, err
	}
	u := &navette.User{ID: navette.NewID(), Email: nu.Email, Name: nu.Name, Role: nu.Role, Lang: nu.Lang, CourtID: nu.CourtID, CreatedAt: s.Clock.Now()}
	ev := navette.Event{Time: u.CreatedAt, Type: navette.EventUserCreated, Detail: string(nu.Role)}
	if err := s.Meta.CreateUser(ctx, u, ev); err != nil {
		if navette.IsCode(err, navette.ECONFLICT) {
			return nil, navette.Errorf(navette.ECONFLICT, "A user with the e-mail %s exists already.", nu.Email)
		}
		return nil, err
	}
	return u, nil
}

// normalized returns nu with its e-mail normalized and its name trimmed.
// Returns EINVALID for a bad e-mail, name, role or language, or a court
// for someone who is not staff.
func (nu NewUser) normalized() (NewUser, error) {
	nu.Email, nu.Name = navette.NormalizeEmail(nu.Email), strings.TrimSpace(nu.Name)
	if err := ValidateEmail(nu.Email); err != nil {
		return nu, err
	}
	if err := validName(nu.Name); err != nil {
		return nu, err
	}
	if err := checkRole(nu.Role); err != nil {
		return nu, err
	}
	if !navette.ValidLang(nu.Lang) {
		return nu, navette.Errorf(navette.EINVALID, "Unknown language %q (fr or en).", nu.Lang)
	}
	if nu.CourtID != "" && !nu.Role.Staff() {
		return nu, navette.Errorf(navette.EINVALID, "Only staff belong to a court.")
	}
	return nu, nil
}

// Token lifetimes.
const (
	DefaultTokenTTL = 90 * 24 * time.Hour  // when none is asked for
	MaxTokenTTL     = 366 * 24 * time.Hour // at most
)

// DefaultScopes returns the scopes a token of role gets when none are asked
// for: everything the role may do.
func DefaultScopes(role navette.Role) []navette.Scope {
	switch role {
	case navette.RoleAdmin:
		return []navette.Scope{navette.ScopeRead, navette.ScopeWrite, navette.ScopeAdmin, navette.ScopeAudit}
	case navette.RoleCourtAdmin:
		return []navette.Scope{navette.ScopeRead, navette.ScopeWrite, navette.ScopeAdmin}
	case navette.RoleAuditor:
		return []navette.Scope{navette.ScopeRead, navette.ScopeAudit}
	}
	return []navette.Scope{navette.ScopeRead, navette.ScopeWrite}
}

// CreateToken makes a new API token for the user with the given e-mail, with
// the default scopes of their role, and returns its secret, which is shown
// once and never stored. ttl 0 means DefaultTokenTTL. Returns what
// CreateTokenFor returns, and ENOTFOUND if there is no such user.
func (s *Service) CreateToken(ctx context.Context, email, label string, ttl time.Duration) (string, *navette.Token, error) {
	u, err := s.Meta.UserByEmail(ctx, navette.NormalizeEmail(email))
	if err != nil {
		if navette.IsCode(err, navette.ENOTFOUND) {
			return "", nil, navette.Errorf(navette.ENOTFOUND, "No user has the e-mail %s.", navette.NormalizeEmail(email))
		}
		return "", nil, err
	}
	return s.CreateTokenFor(ctx, u, label, ttl, nil)
}

// CreateTokenFor makes a new API token for u with the given scopes (nil:
// the defaults of u's role) and returns its secret, shown once and never
// stored. ttl 0 means DefaultTokenTTL. Returns EINVALID for a scope u's
// role does not allow, a ttl beyond MaxTokenTTL or a label too long,
// EFORBIDDEN if u may not hold tokens.
func (s *Service) CreateTokenFor(ctx context.Context, u *navette.User, label string, ttl time.Duration, scopes []navette.Scope) (string, *navette.Token, error) {
	if u.Disabled || !u.Role.CanSignIn() {
		return "", nil, navette.Errorf(navette.EFORBIDDEN, "This user may not hold API tokens.")
	}
	if !printable(label, 100) {
		return "", nil, navette.Errorf(navette.EINVALID, "A token label is at most 100 printable characters.")
	}
	ttl, err := tokenTTL(ttl)
	if err != nil {
		return "", nil, err
	}
	clean, err := tokenScopes(u.Role, scopes)
	if err != nil {
		return "", nil, err
	}
	secret, err := newTokenSecret()
	if err != nil {
		return "", nil, err
	}
	now := s.Clock.Now()
	t := &navette.Token{ID: navette.NewID(), UserID: u.ID, Hash: hashToken(secret), Label: label, Scopes: clean, CreatedAt: now, ExpiresAt: now.Add(ttl)}
	ev := navette.Event{Time: now, Type: navette.EventTokenCreated, ActorID: u.ID, Detail: t.ID}
	if err := s.Meta.CreateToken(ctx, t, ev); err != nil {
		return "", nil, err
	}
	return secret, t, nil
}

// newTokenSecret returns the secret of a new token: TokenPrefix and 32
// random bytes.
func newTokenSecret() (string, error) {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", navette.WrapError(navette.EINTERNAL, err, "")
	}
	return TokenPrefix + base64.RawURLEncoding.EncodeToString(b[:]), nil
}

// tokenTTL returns the lifetime of a new token asked for ttl, 0 meaning
// DefaultTokenTTL. Returns EINVALID below a minute or beyond MaxTokenTTL.
func tokenTTL(ttl time.Duration) (time.Duration, error) {
	if ttl == 0 {
		ttl = DefaultTokenTTL
	}
	if ttl < time.Minute || ttl > MaxTokenTTL {
		return 0, navette.Errorf(navette.EINVALID, "A token lives between a minute and %d days.", int(MaxTokenTTL/(24*time.Hour)))
	}
	return ttl, nil
}

// tokenScopes returns scopes without repeats, the defaults of role if nil.
// Returns EINVALID if there is none or one that role does not allow.
func tokenScopes(role navette.Role, scopes []navette.Scope) ([]navette.Scope, error) {
	allowed := DefaultScopes(role)
	if scopes == nil {
		scopes = allowed
	}
	if len(scopes) == 0 {
		return nil, navette.Errorf(navette.EINVALID, "A token needs at least one scope.")
	}
	var clean []navette.Scope
	for _, sc := range scopes {
		if !slices.Contains(allowed, sc) {
			return nil, navette.Errorf(navette.EINVALID, "The scope %q is unknown or not allowed for the role %s.", sc, role)
		}
		if !slices.Contains(clean, sc) {
			clean = append(clean, sc)
		}
	}
	return clean, nil
}

// Tokens returns u's tokens, newest first.
func (s *Service) Tokens(ctx context.Context, u *navette.User) ([]*navette.Token, error) {
	return s.Meta.Tokens(ctx, u.ID)
}

// RevokeToken revokes the token id, which must be actor's own, whatever
// actor's role: platform admins revoke others' tokens with RevokeAnyToken.
// Returns ENOTFOUND if there is no such token or it is someone else's.
func (s *Service) RevokeToken(ctx context.Context, actor *navette.User, id string) error {
	notFound := navette.Errorf(navette.ENOTFOUND, "No such token.")
	if !navette.ValidID(id) {
		return notFound
	}
	toks, err := s.Meta.Tokens(ctx, actor.ID)
	if err != nil {
		return err
	}
	if !slices.ContainsFunc(toks, func(t *navette.Token) bool { return t.ID == id }) {
		return notFound
	}
	return s.revokeToken(ctx, actor, id)
}

// RevokeAnyToken revokes the token id, whoever holds it. Returns
// EFORBIDDEN unless actor is a platform admin, ENOTFOUND if there is no such
// token.
func (s *Service) RevokeAnyToken(ctx context.Context, actor *navette.User, id string) error {
	if err := platformAdmin(actor); err != nil {
		return err
	}
	if !navette.ValidID(id) {
		return navette.Errorf(navette.ENOTFOUND, "No such token.")
	}
	return s.revokeToken(ctx, actor, id)
}

// UserTokens returns the tokens of the user userID, newest first. Returns
// EFORBIDDEN unless actor is a platform admin, ENOTFOUND if there is no such
// user.
func (s *Service) UserTokens(ctx context.Context, actor *navette.User, userID string) ([]*navette.Token, error) {
	if err := platformAdmin(actor); err != nil {
		return nil, err
	}
	if !navette.ValidID(userID) {
		return nil, navette.Errorf(navette.ENOTFOUND, "No such user.")
	}
	if _, err := s.Meta.User(ctx, userID); err != nil {
		return nil, err
	}
	return s.Meta.Tokens(ctx, userID)
}

// revokeToken revokes the token id in actor's name.
func (s *Service) revokeToken(ctx context.Context, actor *navette.User, id string) error {
	now := s.Clock.Now()
	ev := navette.Event{Time: now, Type: navette.EventTokenRevoked, ActorID: actor.ID, Detail: id}
	if err := s.Meta.RevokeToken(ctx, id, now, ev); err != nil {
		if navette.IsCode(err, navette.ENOTFOUND) {
			return navette.Errorf(navette.ENOTFOUND, "No such token.")
		}
		return err
	}
	return nil
}

// Authenticate returns the user owning the token secret, and the token.
// Returns EUNAUTHORIZED for an unknown, expired or revoked token or a user
// who may no longer sign in.
func (s *Service) Authenticate(ctx context.Context, secret string) (*navette.User, *navette.Token, error) {
	unauthorized := tokenUnauthorized()
	now := s.Clock.Now()
	t, err := s.liveToken(ctx, secret, now)
	if err != nil {
		return nil, nil, err
	}
	u, err := UserIf(ctx, s.Meta, t.UserID, s.mayUseTokens, unauthorized)
	if err != nil {
		return nil, nil, err
	}
	s.touchToken(ctx, t, now)
	return u, t, nil
}

// mayUseTokens reports whether u may still sign in with a token: an
// enabled user of a role that signs in, and no partner on an internal
// instance.
func (s *Service) mayUseTokens(u *navette.User) bool {
	return !u.Disabled && u.Role.CanSignIn() && (!s.Internal || u.Role != navette.RolePartner)
}

// touchToken records that t was used at now, unless it was less than a
// minute ago. It is only a hint for the token's owner, written in the
// background: a failure (a full disk) is logged and never fails or delays
// the request.
func (s *Service) touchToken(ctx context.Context, t *navette.Token, now time.Time) {
	if now.Sub(t.LastUsed) < time.Minute {
		return
	}
	id := t.ID
	s.touches.Touch(ctx, "token:"+id, s.log().With("token", id), "recording a token's use", func(ctx context.Context) error {
		return s.Meta.TouchToken(ctx, id, now)
	})
}

// liveToken returns the token whose secret is secret if it is neither
// revoked nor expired at now. Returns EUNAUTHORIZED if there is none.
func (s *Service) liveToken(ctx context.Context, secret string, now time.Time) (*navette.Token, error) {
	if !strings.HasPrefix(secret, TokenPrefix) || len(secret) > 200 {
		return nil, tokenUnauthorized()
	}
	h := hashToken(secret)
	t, err := s.Meta.TokenByHash(ctx, h)
	if navette.IsCode(err, navette.ENOTFOUND) {
		return nil, tokenUnauthorized()
	} else if err != nil {
		return nil, err
	}
	// The lookup was by hash; compare again in constant time so that no
	// index behaviour can ever turn into an oracle.
	if subtle.ConstantTimeCompare(t.Hash, h) != 1 {
		return nil, tokenUnauthorized()
	}
	if !live(t, now) {
		return nil, tokenUnauthorized()
	}
	return t, nil
}

// live reports whether t is neither revoked nor expired at now.
func live(t *navette.Token, now time.Time) bool {
	return t.RevokedAt.IsZero() && (t.ExpiresAt.IsZero() || now.Before(t.ExpiresAt))
}

// tokenUnauthorized is Authenticate's one answer to a token that does not
// let its bearer in, whatever the reason.
func tokenUnauthorized() error {
	return navette.Errorf(navette.EUNAUTHORIZED, "The API token is missing, unknown, expired or revoked.")
}

// ValidateEmail returns EINVALID unless email is a plain, normalized address.
func ValidateEmail(email string) error {
	a, err := mail.ParseAddress(email)
	if err != nil || a.Address != email || a.Name != "" || len(email) > 254 || !strings.Contains(email[strings.LastIndexByte(email, '@')+1:], ".") {
		return navette.Errorf(navette.EINVALID, "%q is not a valid e-mail address.", email)
	}
	return nil
}

func hashToken(secret string) []byte {
	h := sha256.Sum256([]byte(secret))
	return h[:]
}

func isControl(r rune) bool { return r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) }

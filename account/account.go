// Package account manages users and their API tokens: creation by an
// operator, and authentication of bearer tokens.
package account

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"net/mail"
	"strings"
	"time"
	"unicode/utf8"

	"navette"
)

// TokenPrefix starts every API token, so that leaked tokens are easy to
// recognise by secret scanners.
const TokenPrefix = "nvt_"

// Service creates users and tokens and authenticates tokens.
type Service struct {
	Meta  navette.MetaStore
	Clock navette.Clock
}

// NewUser is a user to create.
type NewUser struct {
	Email string
	Name  string
	Role  navette.Role
	Lang  string // language of the user's e-mails: "fr", "en", or "" for the default (French)
}

// CreateUser adds a user whose e-mails are in the default language. Returns
// what Create returns.
func (s *Service) CreateUser(ctx context.Context, email, name string, role navette.Role) (*navette.User, error) {
	return s.Create(ctx, NewUser{Email: email, Name: name, Role: role})
}

// Create adds a user. Returns EINVALID for a bad e-mail, name, role or
// language, ECONFLICT if the e-mail is taken.
func (s *Service) Create(ctx context.Context, nu NewUser) (*navette.User, error) {
	email, name, role := navette.NormalizeEmail(nu.Email), nu.Name, nu.Role
	if err := ValidateEmail(email); err != nil {
		return nil, err
	}
	name = strings.TrimSpace(name)
	if name == "" || len(name) > 200 || !utf8.ValidString(name) || strings.ContainsFunc(name, isControl) {
		return nil, navette.Errorf(navette.EINVALID, "A name of 1 to 200 printable characters is required.")
	}
	if !role.Valid() {
		return nil, navette.Errorf(navette.EINVALID, "Unknown role %q (agent, partner or admin).", role)
	}
	if !navette.ValidLang(nu.Lang) {
		return nil, navette.Errorf(navette.EINVALID, "Unknown language %q (fr or en).", nu.Lang)
	}
	u := &navette.User{ID: navette.NewID(), Email: email, Name: name, Role: role, Lang: nu.Lang, CreatedAt: s.Clock.Now()}
	ev := navette.Event{Time: u.CreatedAt, Type: navette.EventUserCreated, Detail: string(role)}
	if err := s.Meta.CreateUser(ctx, u, ev); err != nil {
		if navette.IsCode(err, navette.ECONFLICT) {
			return nil, navette.Errorf(navette.ECONFLICT, "A user with the e-mail %s exists already.", email)
		}
		return nil, err
	}
	return u, nil
}

// CreateToken makes a new API token for the user with the given e-mail and
// returns its secret, which is shown once and never stored. ttl 0 means the
// token does not expire. Returns ENOTFOUND if there is no such user.
func (s *Service) CreateToken(ctx context.Context, email, label string, ttl time.Duration) (string, *navette.Token, error) {
	u, err := s.Meta.UserByEmail(ctx, navette.NormalizeEmail(email))
	if err != nil {
		if navette.IsCode(err, navette.ENOTFOUND) {
			return "", nil, navette.Errorf(navette.ENOTFOUND, "No user has the e-mail %s.", navette.NormalizeEmail(email))
		}
		return "", nil, err
	}
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", nil, navette.WrapError(navette.EINTERNAL, err, "")
	}
	secret := TokenPrefix + base64.RawURLEncoding.EncodeToString(b[:])
	now := s.Clock.Now()
	t := &navette.Token{ID: navette.NewID(), UserID: u.ID, Hash: hashToken(secret), Label: label, CreatedAt: now}
	if ttl > 0 {
		t.ExpiresAt = now.Add(ttl)
	}
	ev := navette.Event{Time: now, Type: navette.EventTokenCreated, ActorID: u.ID}
	if err := s.Meta.CreateToken(ctx, t, ev); err != nil {
		return "", nil, err
	}
	return secret, t, nil
}

// Authenticate returns the user owning the token secret. Returns
// EUNAUTHORIZED for an unknown, expired or revoked token or a disabled user.
func (s *Service) Authenticate(ctx context.Context, secret string) (*navette.User, error) {
	unauthorized := navette.Errorf(navette.EUNAUTHORIZED, "The API token is missing, unknown, expired or revoked.")
	if !strings.HasPrefix(secret, TokenPrefix) || len(secret) > 200 {
		return nil, unauthorized
	}
	h := hashToken(secret)
	t, err := s.Meta.TokenByHash(ctx, h)
	if navette.IsCode(err, navette.ENOTFOUND) {
		return nil, unauthorized
	} else if err != nil {
		return nil, err
	}
	// The lookup was by hash; compare again in constant time so that no
	// index behaviour can ever turn into an oracle.
	if subtle.ConstantTimeCompare(t.Hash, h) != 1 {
		return nil, unauthorized
	}
	now := s.Clock.Now()
	if !t.RevokedAt.IsZero() || (!t.ExpiresAt.IsZero() && !now.Before(t.ExpiresAt)) {
		return nil, unauthorized
	}
	u, err := s.Meta.User(ctx, t.UserID)
	if navette.IsCode(err, navette.ENOTFOUND) {
		return nil, unauthorized
	} else if err != nil {
		return nil, err
	}
	if u.Disabled {
		return nil, unauthorized
	}
	return u, nil
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

package auth

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"strings"
	"time"

	"navette"
)

// flow is the state of an OpenID Connect sign-in between the redirect to
// the provider and the return: sealed into a short-lived cookie, so that any
// node can finish what another started.
type flow struct {
	State    string    `json:"s"`
	Nonce    string    `json:"n"`
	Verifier string    `json:"v"`
	Expires  time.Time `json:"e"`
}

const flowAD = "oidc-flow"

// FlowTTL is how long a person has to sign in at the identity provider.
const FlowTTL = 10 * time.Minute

func random() string {
	var b [32]byte
	rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// StartOIDC begins a sign-in at the identity provider: it returns where to
// send the browser and the sealed state to keep in a cookie until it comes
// back. Returns ENOTIMPLEMENTED if no provider is configured.
func (s *Service) StartOIDC(ctx context.Context) (authURL, state string, err error) {
	if s.OIDC == nil {
		return "", "", navette.Errorf(navette.ENOTIMPLEMENTED, "No identity provider is configured.")
	}
	f := flow{State: random(), Nonce: random(), Verifier: random() + random(), Expires: s.Clock.Now().Add(FlowTTL)}
	b, err := s.sealJSON(f, flowAD)
	if err != nil {
		return "", "", err
	}
	u := s.OIDC.AuthURL(f.State, f.Nonce, f.Verifier)
	if u == "" {
		return "", "", navette.Errorf(navette.EUNAVAILABLE, "The identity provider cannot be reached: try again in a moment.")
	}
	return u, string(b), nil
}

// FinishOIDC completes a sign-in when the provider sends the browser back
// with state and code, given the sealed state StartOIDC returned. The person
// must be staff listed in the directory (matched by e-mail) and allowed to
// sign in. Returns EUNAUTHORIZED if anything does not match,
// ENOTIMPLEMENTED if no provider is configured, EUNAVAILABLE if the provider
// cannot be reached.
func (s *Service) FinishOIDC(ctx context.Context, sealed, state, code string) (*Issued, error) {
	if s.OIDC == nil {
		return nil, navette.Errorf(navette.ENOTIMPLEMENTED, "No identity provider is configured.")
	}
	var f flow
	if err := s.openJSON([]byte(sealed), flowAD, &f); err != nil {
		return nil, err
	}
	if !s.Clock.Now().Before(f.Expires) || subtle.ConstantTimeCompare([]byte(f.State), []byte(state)) != 1 || code == "" {
		return nil, navette.Errorf(navette.EUNAUTHORIZED, "The sign-in took too long or was not started here: start again.")
	}
	id, err := s.OIDC.Exchange(ctx, code, f.Verifier, f.Nonce)
	if err != nil {
		return nil, err
	}
	return s.staffSignIn(ctx, id.Email, oidcMethod(id.ACR), id.Subject)
}

// oidcMethod is the sign-in method of an OpenID Connect sign-in whose
// provider reported acr: "oidc:ACR", or "oidc" when it reported none or
// one that is not a short token of letters, digits and ":._/-".
func oidcMethod(acr string) string {
	if acr == "" || len(acr) > 64 || strings.IndexFunc(acr, notACRRune) >= 0 {
		return "oidc"
	}
	return "oidc:" + acr
}

// acrChars are the characters of an acr that oidcMethod keeps.
const acrChars = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789:._/-"

// notACRRune reports whether r is not one of acrChars.
func notACRRune(r rune) bool { return !strings.ContainsRune(acrChars, r) }

// staffSignIn makes a full session for the staff member with the given
// e-mail, once another system vouched for them. Every refusal is the one
// answer of unauthorized, whoever the person is (unknown, partner, revoked,
// bound to another subject), so that it tells nothing about them. subject, when the identity
// provider vouched, is its identifier of the person: bound to the user at
// their first sign-in through it, it must match at every later one, so that
// an address reassigned at the provider does not open another's account.
func (s *Service) staffSignIn(ctx context.Context, email, method, subject string) (*Issued, error) {
	refused := unauthorized()
	u, err := s.Meta.UserByEmail(ctx, navette.NormalizeEmail(email))
	if navette.IsCode(err, navette.ENOTFOUND) {
		return nil, refused
	} else if err != nil {
		return nil, err
	}
	now := s.Clock.Now()
	fail := func(why string) (*Issued, error) {
		_ = s.Meta.AppendEvents(ctx, navette.Event{Time: now, Type: navette.EventSignInFailed, ActorID: u.ID, Detail: method + ": " + why})
		return nil, refused
	}
	if !s.allowed(u) || !u.Role.Staff() {
		return fail("not allowed")
	}
	bound, err := s.bindSubject(ctx, u, subject, now)
	if err != nil {
		return nil, err
	}
	if !bound {
		return fail("another subject")
	}
	return s.issue(ctx, u, navette.StageFull, method, nil, nil)
}

// bindSubject binds subject, the identity provider's identifier of u, to
// u at their first sign-in through it. It reports false if u is bound to
// another subject; true, and binds nothing, if subject is empty.
func (s *Service) bindSubject(ctx context.Context, u *navette.User, subject string, now time.Time) (bool, error) {
	if subject == "" || u.OIDCSubject == subject {
		return true, nil
	}
	if u.OIDCSubject != "" {
		return false, nil
	}
	err := s.Meta.UpdateUser(ctx, u.ID, func(x *navette.User) ([]navette.Event, error) {
		if x.OIDCSubject != "" && x.OIDCSubject != subject {
			return nil, navette.Errorf(navette.ECONFLICT, "Another subject was bound meanwhile.")
		}
		x.OIDCSubject, x.UpdatedAt = subject, now
		return []navette.Event{{Time: now, Type: navette.EventUserUpdated, ActorID: u.ID, Detail: u.ID + " oidc subject bound"}}, nil
	})
	if navette.IsCode(err, navette.ECONFLICT) {
		return false, nil
	}
	return err == nil, err
}

// PasswordSignIn signs staff in with their directory login and password
// (LDAP bind). Returns EUNAUTHORIZED if they do not match or the person may
// not sign in, ETOOMANY if the client address made too many attempts,
// ENOTIMPLEMENTED if no directory is configured for it.
// A refusal takes AnswerTime at least, so that the directory's bind, made
// only for a login it knows, does not tell which logins exist.
func (s *Service) PasswordSignIn(ctx context.Context, login, password, ip string) (is *Issued, err error) {
	if s.LDAP == nil {
		return nil, navette.Errorf(navette.ENOTIMPLEMENTED, "Sign-in with a directory password is not configured.")
	}
	defer func(start time.Time) {
		if err != nil {
			s.answerAfter(ctx, start)
		}
	}(time.Now())
	if !s.limits.allow("verify "+network(ip), 10*s.Config.PerIPPerHour, s.Clock.Now()) {
		return nil, navette.Errorf(navette.ETOOMANY, "Too many sign-in attempts from your network: try again in an hour.")
	}
	if login == "" || password == "" || len(login) > 256 || len(password) > 1024 {
		return nil, unauthorized()
	}
	email, err := s.LDAP.CheckPassword(ctx, login, password)
	if navette.IsCode(err, navette.EUNAUTHORIZED) {
		return nil, unauthorized()
	} else if err != nil {
		return nil, err
	}
	return s.staffSignIn(ctx, email, "ldap", "")
}

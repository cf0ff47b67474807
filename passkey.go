package navette

import (
	"context"
	"time"
)

// Events about passkeys.
const (
	EventPasskeyAdded   EventType = "passkey.added"   // a passkey was registered; Detail is its id
	EventPasskeyRemoved EventType = "passkey.removed" // a passkey was removed; Detail is its id
	// EventPasskeyCloned: an assertion carried a signature counter not
	// above the stored one, a sign that the credential's private key was
	// copied; the sign-in is refused. Detail is the passkey's id.
	EventPasskeyCloned EventType = "passkey.cloned"
)

// Passkey is a WebAuthn credential a person registered, as a second factor
// or, where the operator allows it, as their only one.
type Passkey struct {
	ID     string
	UserID string
	// CredentialID is the authenticator's id of the credential, unique
	// across users.
	CredentialID []byte
	// Name is what the person calls it ("Clé USB", "Téléphone").
	Name string
	// Record is the WebAuthn credential record (public key, flags,
	// transports), sealed by the key ring for "passkey:"+UserID+":"+ID so
	// that whoever writes the database cannot plant a key of their own.
	Record []byte
	// SignCount is the authenticator's signature counter at the last use;
	// an assertion whose counter does not exceed it (both not zero) is
	// refused as a clone.
	SignCount  int64
	CreatedAt  time.Time
	LastUsedAt time.Time // zero: never used to sign in
}

// PasskeyChallenge is a WebAuthn ceremony in progress: the challenge the
// server sent, kept on the server, used once, and short-lived.
type PasskeyChallenge struct {
	ID string
	// Binding ties the challenge to who asked for it: the id of the
	// session, or the SHA-256 of a secret cookie for a sign-in without one.
	Binding []byte
	// Data is the ceremony's state (challenge, user, allowed credentials),
	// sealed by the key ring for "passkey-challenge:"+ID.
	Data      []byte
	ExpiresAt time.Time
}

// PasskeyStore is a metadata store that keeps passkeys and the challenges
// of WebAuthn ceremonies.
type PasskeyStore interface {
	// CreatePasskey adds p, with events. Returns ECONFLICT if its id or
	// credential id exists, ENOTFOUND if its user does not exist, EINVALID
	// if it has no credential id, record or creation time.
	CreatePasskey(ctx context.Context, p *Passkey, events ...Event) error
	// Passkeys returns the user's passkeys, oldest first.
	Passkeys(ctx context.Context, userID string) ([]*Passkey, error)
	// PasskeyByCredentialID returns the passkey with the given credential
	// id. Returns ENOTFOUND if none.
	PasskeyByCredentialID(ctx context.Context, credentialID []byte) (*Passkey, error)
	// UpdatePasskey loads the passkey, locks it, and calls fn; if fn
	// succeeds its changes (name, record, sign count, last use) are written
	// with the events fn returns. Returns ENOTFOUND if there is no such
	// passkey.
	UpdatePasskey(ctx context.Context, id string, fn func(p *Passkey) ([]Event, error)) error
	// DeletePasskey removes the passkey id of userID, with events. With
	// keepFactor, it refuses (ECONFLICT) to remove the user's last second
	// factor: the passkey goes only if the user has a TOTP secret or
	// another passkey, checked in the same transaction. Returns ENOTFOUND
	// if the user has no such passkey.
	DeletePasskey(ctx context.Context, userID, id string, keepFactor bool, events ...Event) error

	// CreatePasskeyChallenge adds c. Returns ECONFLICT if its id exists,
	// EINVALID if it has no binding, data or expiry.
	CreatePasskeyChallenge(ctx context.Context, c *PasskeyChallenge) error
	// TakePasskeyChallenge removes the challenge id and returns it, so
	// that it serves once, expired or not. Returns ENOTFOUND if none.
	TakePasskeyChallenge(ctx context.Context, id string) (*PasskeyChallenge, error)
	// DeletePasskeyChallenges removes challenges that expired at or before
	// before, and returns how many.
	DeletePasskeyChallenges(ctx context.Context, before time.Time) (int, error)
}

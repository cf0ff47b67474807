package navette

import (
	"context"
	"time"
)

// contextKey is the key under which a context carries one value of type
// T: each of the package's values has its own, told apart by name. Keys
// are pointers, so that storing or looking up a value does not allocate a
// copy of the key.
type contextKey[T any] struct{ name string }

// with returns a copy of ctx carrying v under k.
func (k *contextKey[T]) with(ctx context.Context, v T) context.Context {
	return context.WithValue(ctx, k, v)
}

// lookup returns the value ctx carries under k, and false (and the zero
// value) if it carries none.
func (k *contextKey[T]) lookup(ctx context.Context) (T, bool) {
	v, ok := ctx.Value(k).(T)
	return v, ok
}

// value returns the value ctx carries under k, or the zero value.
func (k *contextKey[T]) value(ctx context.Context) T {
	v, _ := k.lookup(ctx)
	return v
}

var userKey = &contextKey[*User]{"user"}

// NewContextWithUser returns a copy of ctx carrying the authenticated user.
func NewContextWithUser(ctx context.Context, u *User) context.Context {
	return userKey.with(ctx, u)
}

// UserFromContext returns the authenticated user carried by ctx, or nil.
func UserFromContext(ctx context.Context) *User { return userKey.value(ctx) }

// SignIn is how the user of a request proved who they are, as the evidence
// of what they did records it.
type SignIn struct {
	// Method is the session's sign-in method ("oidc", "ldap", "code",
	// "code+totp"…), or "token" for an API token.
	Method string
	// At is when the session's sign-in completed, or when the API token
	// was made.
	At time.Time
}

var signInKey = &contextKey[SignIn]{"sign-in"}

// NewContextWithSignIn returns a copy of ctx carrying how its user signed
// in.
func NewContextWithSignIn(ctx context.Context, s SignIn) context.Context {
	return signInKey.with(ctx, s)
}

// SignInFromContext returns how the user of ctx signed in, and false if ctx
// does not tell.
func SignInFromContext(ctx context.Context) (SignIn, bool) { return signInKey.lookup(ctx) }

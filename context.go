package navette

import (
	"context"
	"time"
)

type userContextKey struct{}

// NewContextWithUser returns a copy of ctx carrying the authenticated user.
func NewContextWithUser(ctx context.Context, u *User) context.Context {
	return context.WithValue(ctx, userContextKey{}, u)
}

// UserFromContext returns the authenticated user carried by ctx, or nil.
func UserFromContext(ctx context.Context) *User {
	u, _ := ctx.Value(userContextKey{}).(*User)
	return u
}

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

type signInContextKey struct{}

// NewContextWithSignIn returns a copy of ctx carrying how its user signed
// in.
func NewContextWithSignIn(ctx context.Context, s SignIn) context.Context {
	return context.WithValue(ctx, signInContextKey{}, s)
}

// SignInFromContext returns how the user of ctx signed in, and false if ctx
// does not tell.
func SignInFromContext(ctx context.Context) (SignIn, bool) {
	s, ok := ctx.Value(signInContextKey{}).(SignIn)
	return s, ok
}

package navette_test

import (
	"context"
	"testing"

	"navette"
)

// TestContextValues: each value a context carries comes back under its own
// key, and reading one does not allocate (the keys are pointers, not
// structs boxed at each lookup).
func TestContextValues(t *testing.T) {
	u := &navette.User{ID: "u1"}
	ctx := navette.NewContextWithUser(context.Background(), u)
	ctx = navette.NewContextWithRequestID(ctx, "req-1")
	ctx = navette.NewContextWithDownloadClaim(ctx, "claim-1")
	if got := navette.UserFromContext(ctx); got != u {
		t.Errorf("user: got %v, want %v", got, u)
	}
	if got := navette.RequestIDFromContext(ctx); got != "req-1" {
		t.Errorf("request id: got %q, want %q", got, "req-1")
	}
	if got := navette.DownloadClaimFromContext(ctx); got != "claim-1" {
		t.Errorf("download claim: got %q, want %q", got, "claim-1")
	}
	if _, ok := navette.SignInFromContext(ctx); ok {
		t.Error("sign-in: found in a context that carries none")
	}
	if got := navette.RequestIDFromContext(context.Background()); got != "" {
		t.Errorf("request id of an empty context: got %q", got)
	}
	if n := testing.AllocsPerRun(100, func() {
		navette.UserFromContext(ctx)
		navette.RequestIDFromContext(ctx)
	}); n != 0 {
		t.Errorf("reading a context's values: %v allocations, want 0", n)
	}
}

//go:build !unix

package testoidc

// lockFile does not lock where flock is missing: test packages run in
// parallel may then build the provider twice, which is slow but harmless.
func lockFile(string) (func(), error) { return func() {}, nil }

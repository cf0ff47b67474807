package auth

import "testing"

// TestOIDCMethod keeps the provider's acr in the method only when it is a
// short token.
func TestOIDCMethod(t *testing.T) {
	for _, tc := range []struct{ acr, want string }{
		{"", "oidc"},
		{"eidas2", "oidc:eidas2"},
		{"urn:example:mfa/2", "oidc:urn:example:mfa/2"},
		{"eidas2\nforged", "oidc"},
		{"a b", "oidc"},
		{string(make([]byte, 65)), "oidc"},
	} {
		if got := oidcMethod(tc.acr); got != tc.want {
			t.Errorf("oidcMethod(%q): got %q, want %q", tc.acr, got, tc.want)
		}
	}
}

package api

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestUserDisabledAlwaysPresent: a user's document says "disabled" even
// when it is false, so that a client decoding one user after another into
// the same value does not keep a revoked person's true for the next.
func TestUserDisabledAlwaysPresent(t *testing.T) {
	b, err := json.Marshal(User{ID: "u1", Email: "a@b.example", Name: "A", Role: "agent"})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), `"disabled":false`) {
		t.Errorf("an enabled user's document lacks \"disabled\":false: %s", b)
	}
	reused := User{Disabled: true}
	if err := json.Unmarshal(b, &reused); err != nil {
		t.Fatal(err)
	}
	if reused.Disabled {
		t.Error("decoded into a value that held a revoked user, an enabled one reads revoked")
	}
}

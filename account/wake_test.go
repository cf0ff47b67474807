package account_test

import (
	"testing"

	"navette"
)

// TestDirectChangesWakeTheMailWorker: an admin's change by hand that tells
// the person (role_granted, access_revoked, access_restored) wakes the
// node's mail worker once; one that tells nobody (a role that gives no
// access, a revocation of someone revoked already) does not.
func TestDirectChangesWakeTheMailWorker(t *testing.T) {
	f := newTwoPerson(t)
	f.withKeys()
	woken := 0
	f.s.NoticesQueued = func() { woken++ }
	role := func(r navette.Role) func() error {
		return func() error { _, err := f.s.SetRole(f.ctx, f.admin, f.auditor.ID, r); return err }
	}
	disable := func(d bool) func() error {
		return func() error { _, err := f.s.SetDisabled(f.ctx, f.admin, f.clerk.ID, d); return err }
	}
	for _, c := range []struct {
		what string
		do   func() error
		want int
	}{
		{"auditor role given", role(navette.RoleAuditor), 1},
		{"agent role given back", role(navette.RoleAgent), 0},
		{"access revoked", disable(true), 1},
		{"access revoked again", disable(true), 0},
		{"access restored", disable(false), 1},
	} {
		woken = 0
		if err := c.do(); err != nil {
			t.Fatalf("%s: %v", c.what, err)
		}
		if woken != c.want {
			t.Errorf("%s: the mail worker was woken %d times, want %d", c.what, woken, c.want)
		}
	}
}

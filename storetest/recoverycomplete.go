package storetest

import (
	"slices"
	"testing"
	"time"

	"navette"
)

// recoveryCase is a person in the middle of a recovery: an old TOTP
// secret, an old passkey, the new passkey just registered, recovery
// codes, a session, and an approved request.
type recoveryCase struct {
	user           *navette.User
	oldKey, newKey *navette.Passkey
	sess           *navette.Session
	req            *navette.RecoveryRequest
}

func (m *metaFixture) recoveryCase(name string) *recoveryCase {
	m.t.Helper()
	rs := m.recoveryStore()
	u := m.user(name)
	err := m.s.UpdateUser(m.ctx, u.ID, func(x *navette.User) ([]navette.Event, error) {
		x.TOTP, x.TOTPStep = navette.WrappedKey{KeyID: "kek-1", Data: metaRandom(40)}, 7
		return nil, nil
	})
	if err != nil {
		m.t.Fatal(err)
	}
	c := &recoveryCase{user: m.getUser(u.ID), oldKey: m.passkey(u, "old"), newKey: m.passkey(u, "new"), sess: m.session(u)}
	if err := rs.SetRecoveryCodes(m.ctx, u.ID, m.recoveryCodes(u, 3)); err != nil {
		m.t.Fatal(err)
	}
	now := m.now()
	c.req = &navette.RecoveryRequest{ID: navette.NewID(), UserID: u.ID, State: navette.RecoveryApproved, CreatedAt: now, ExpiresAt: now.Add(time.Hour)}
	if err := rs.CreateRecoveryRequest(m.ctx, c.req); err != nil {
		m.t.Fatal(err)
	}
	return c
}

// untouched fails unless c's person keeps every factor, session and an
// approved request.
func (m *metaFixture) untouched(t *testing.T, what string, c *recoveryCase) {
	t.Helper()
	rs := m.recoveryStore()
	if r, _ := rs.RecoveryRequest(m.ctx, c.req.ID); r.State != navette.RecoveryApproved {
		t.Errorf("%s: request %s, want approved", what, r.State)
	}
	if u := m.getUser(c.user.ID); u.TOTP.KeyID != c.user.TOTP.KeyID || string(u.TOTP.Data) != string(c.user.TOTP.Data) || u.TOTPStep != 7 {
		t.Errorf("%s: TOTP changed to %+v step %d", what, u.TOTP, u.TOTPStep)
	}
	if keys, _ := m.passkeyStore().Passkeys(m.ctx, c.user.ID); len(keys) != 2 {
		t.Errorf("%s: %d passkeys left, want 2", what, len(keys))
	}
	if codes, _ := rs.RecoveryCodes(m.ctx, c.user.ID); len(codes) != 3 {
		t.Errorf("%s: %d recovery codes left, want 3", what, len(codes))
	}
	if !m.hasSession(c.sess) {
		t.Errorf("%s: the session was removed", what)
	}
}

// testMetaRecoveryComplete: completing a recovery changes the request,
// the factors and the sessions at once, or nothing; it is refused for
// another person's, a pending, an expired or a completed request.
func testMetaRecoveryComplete(t *testing.T, m *metaFixture) {
	rs := m.recoveryStore()
	c, other := m.recoveryCase("Alice"), m.recoveryCase("Bob")
	done := func(at time.Time) navette.Event {
		return navette.Event{Time: at, Type: navette.EventRecoveryCompleted, ActorID: c.user.ID, Detail: c.req.ID}
	}
	now := m.now()
	// The last statement of the transaction fails for real: a notice of a
	// kind that notice_kinds does not hold breaks its foreign key.
	bad := done(now)
	bad.Notices = []navette.Notice{m.newNotice("no_such_kind", c.user, "")}
	err := rs.CompleteRecovery(m.ctx, &navette.RecoveryCompletion{RequestID: c.req.ID, UserID: c.user.ID, At: now, KeepPasskey: c.newKey.ID}, bad)
	if err == nil {
		t.Fatal("CompleteRecovery with an event that cannot be written succeeded")
	}
	m.untouched(t, "after a failed completion", c)

	pending := &navette.RecoveryRequest{ID: navette.NewID(), UserID: c.user.ID, State: navette.RecoveryPending, CreatedAt: now, ExpiresAt: now.Add(time.Hour)}
	if err := rs.CreateRecoveryRequest(m.ctx, pending); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		c    navette.RecoveryCompletion
		code string
	}{
		{"unknown request", navette.RecoveryCompletion{RequestID: navette.NewID(), UserID: c.user.ID, At: now}, navette.ENOTFOUND},
		{"another's request", navette.RecoveryCompletion{RequestID: other.req.ID, UserID: c.user.ID, At: now}, navette.ECONFLICT},
		{"pending request", navette.RecoveryCompletion{RequestID: pending.ID, UserID: c.user.ID, At: now}, navette.ECONFLICT},
		{"expired approval", navette.RecoveryCompletion{RequestID: c.req.ID, UserID: c.user.ID, At: c.req.ExpiresAt}, navette.ECONFLICT},
		{"no time", navette.RecoveryCompletion{RequestID: c.req.ID, UserID: c.user.ID}, navette.EINVALID},
	} {
		if err := rs.CompleteRecovery(m.ctx, &tc.c); !navette.IsCode(err, tc.code) {
			t.Errorf("CompleteRecovery(%s) = %v, want %s", tc.name, err, tc.code)
		}
		m.untouched(t, tc.name, c)
	}

	if err := rs.CompleteRecovery(m.ctx, &navette.RecoveryCompletion{RequestID: c.req.ID, UserID: c.user.ID, At: now, KeepPasskey: c.newKey.ID}, done(now)); err != nil {
		t.Fatal(err)
	}
	if r, _ := rs.RecoveryRequest(m.ctx, c.req.ID); r.State != navette.RecoveryCompleted || !r.UpdatedAt.Equal(now) {
		t.Errorf("request after completion: %s at %v", r.State, r.UpdatedAt)
	}
	if u := m.getUser(c.user.ID); !u.TOTP.IsZero() || u.TOTPStep != 0 {
		t.Errorf("TOTP after completion = %+v step %d, want none", u.TOTP, u.TOTPStep)
	}
	if keys, _ := m.passkeyStore().Passkeys(m.ctx, c.user.ID); len(keys) != 1 || keys[0].ID != c.newKey.ID {
		t.Errorf("passkeys after completion = %v, want the new one only", keys)
	}
	if codes, _ := rs.RecoveryCodes(m.ctx, c.user.ID); len(codes) != 0 {
		t.Errorf("%d recovery codes left", len(codes))
	}
	if m.hasSession(c.sess) {
		t.Error("the session outlived the completion")
	}
	var types []string
	for _, e := range m.events("") {
		if e.ActorID == c.user.ID && !e.Time.Before(now) {
			types = append(types, string(e.Type)+" "+e.Detail)
		}
	}
	for _, want := range []string{"passkey.removed " + c.oldKey.ID, "user.updated " + c.user.ID + " totp reset", "recovery.completed " + c.req.ID} {
		if !slices.Contains(types, want) {
			t.Errorf("journal %q lacks %q", types, want)
		}
	}
	m.untouched(t, "the other person", other)
	if err := rs.CompleteRecovery(m.ctx, &navette.RecoveryCompletion{RequestID: c.req.ID, UserID: c.user.ID, At: now}); !navette.IsCode(err, navette.ECONFLICT) {
		t.Errorf("a second completion = %v, want ECONFLICT", err)
	}
}

// testMetaRecoveryCompleteTOTP: a new TOTP secret replaces the old one
// and every passkey goes.
func testMetaRecoveryCompleteTOTP(t *testing.T, m *metaFixture) {
	c := m.recoveryCase("Carol")
	secret := navette.WrappedKey{KeyID: "kek-2", Data: metaRandom(40)}
	err := m.recoveryStore().CompleteRecovery(m.ctx, &navette.RecoveryCompletion{RequestID: c.req.ID, UserID: c.user.ID, At: m.now(), TOTP: secret, TOTPStep: 99})
	if err != nil {
		t.Fatal(err)
	}
	if u := m.getUser(c.user.ID); u.TOTP.KeyID != "kek-2" || string(u.TOTP.Data) != string(secret.Data) || u.TOTPStep != 99 {
		t.Errorf("TOTP after completion = %+v step %d, want the new secret", u.TOTP, u.TOTPStep)
	}
	if keys, _ := m.passkeyStore().Passkeys(m.ctx, c.user.ID); len(keys) != 0 {
		t.Errorf("%d passkeys left, want none", len(keys))
	}
}

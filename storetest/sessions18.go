package storetest

import (
	"testing"
	"time"

	"navette"
)

// testMetaListSessions checks that Sessions lists a user's live sessions,
// newest first, without their secret, and leaves out stale ones and other
// users'.
func testMetaListSessions(t *testing.T, m *metaFixture) {
	u, other := m.person("Ana", navette.RoleAgent), m.person("Bob", navette.RoleAgent)
	now := metaEpoch.Add(48 * time.Hour)
	idle := now.Add(-2 * time.Hour)
	later := now.Add(time.Hour)
	mk := func(owner *navette.User, created, seen, expires time.Time, mod func(s *navette.Session)) *navette.Session {
		t.Helper()
		s := m.newSession(owner)
		s.CreatedAt, s.SeenAt, s.ExpiresAt = created, seen, expires
		if mod != nil {
			mod(s)
		}
		if err := m.s.CreateSession(m.ctx, s); err != nil {
			t.Fatalf("CreateSession: %v", err)
		}
		return s
	}
	listed := func(s *navette.Session) *navette.Session {
		c := *s
		c.Hash, c.Pending = nil, nil
		return &c
	}
	old := mk(u, idle.Add(-time.Hour), idle.Add(time.Microsecond), later, func(s *navette.Session) {
		s.Method, s.VerifiedAt = "code+passkey", idle.Add(-time.Hour)
	})
	enrolling := mk(u, idle.Add(time.Minute), time.Time{}, later, func(s *navette.Session) {
		s.Stage, s.Method, s.Pending = navette.StageEnrol, "code", []byte("sealed totp secret")
	})
	recent := mk(u, now.Add(-time.Minute), now, now.Add(time.Microsecond), nil)
	mk(u, idle, now, now, nil)                                    // expires now
	mk(u, idle.Add(-time.Hour), idle, later, nil)                 // idle since idleSince
	mk(u, idle.Add(-time.Hour), time.Time{}, later, nil)          // never seen, created too long ago
	mk(other, now.Add(-time.Minute), now, later, nil)             // someone else's
	mk(u, now.Add(-time.Minute), now, now.Add(-time.Second), nil) // expired

	got, err := m.s.Sessions(m.ctx, u.ID, now, idle)
	if err != nil {
		t.Fatalf("Sessions: %v", err)
	}
	metaEqual(t, "Sessions", got, []*navette.Session{listed(recent), listed(enrolling), listed(old)})
	for _, s := range got {
		if s.Hash != nil || s.Pending != nil {
			t.Errorf("Sessions gave session %s with its hash or pending state", s.ID)
		}
	}

	got, err = m.s.Sessions(m.ctx, navette.NewID(), now, idle)
	if err != nil || len(got) != 0 {
		t.Errorf("Sessions(unknown user) = %v, %v; want none", got, err)
	}
	if err := m.s.DeleteSession(m.ctx, enrolling.ID); err != nil {
		t.Fatalf("DeleteSession: %v", err)
	}
	got, err = m.s.Sessions(m.ctx, u.ID, now, idle)
	if err != nil {
		t.Fatalf("Sessions after DeleteSession: %v", err)
	}
	metaEqual(t, "Sessions after DeleteSession", got, []*navette.Session{listed(recent), listed(old)})
}

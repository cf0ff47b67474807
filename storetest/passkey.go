package storetest

import (
	"bytes"
	"sync"
	"testing"
	"time"

	"navette"
)

// passkeyTests are the subtests of TestMetaStore about navette.PasskeyStore.
var passkeyTests = []struct {
	name string
	fn   func(t *testing.T, m *metaFixture)
}{
	{"Passkeys", testMetaPasskeys},
	{"PasskeyLastFactor", testMetaPasskeyLastFactor},
	{"PasskeyLastFactorConcurrent", testMetaPasskeyLastFactorConcurrent},
	{"PasskeyChallenges", testMetaPasskeyChallenges},
	{"SessionVerifiedAt", testMetaSessionVerifiedAt},
}

// testMetaSessionVerifiedAt: a session keeps when its person last proved
// who they are, set at creation and moved by UpdateSession.
func testMetaSessionVerifiedAt(t *testing.T, m *metaFixture) {
	u := m.user("Fanny")
	s := m.newSession(u)
	s.VerifiedAt = s.CreatedAt
	if err := m.s.CreateSession(m.ctx, s); err != nil {
		t.Fatal(err)
	}
	got, err := m.s.SessionByHash(m.ctx, s.Hash)
	if err != nil || !got.VerifiedAt.Equal(s.CreatedAt) {
		t.Fatalf("SessionByHash = %+v, %v; want VerifiedAt %v", got, err, s.CreatedAt)
	}
	later := m.now().Add(5 * time.Minute)
	err = m.s.UpdateSession(m.ctx, s.ID, func(x *navette.Session) ([]navette.Event, error) {
		x.VerifiedAt = later
		return []navette.Event{{Time: later, Type: navette.EventSteppedUp, ActorID: u.ID, Detail: "totp"}}, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if got, err := m.s.SessionByHash(m.ctx, s.Hash); err != nil || !got.VerifiedAt.Equal(later) {
		t.Fatalf("after UpdateSession: %+v, %v; want VerifiedAt %v", got, err, later)
	}
	old := m.session(u)
	if got, err := m.s.SessionByHash(m.ctx, old.Hash); err != nil || !got.VerifiedAt.IsZero() {
		t.Errorf("a session made without VerifiedAt reads back %+v, %v", got, err)
	}
}

func (m *metaFixture) passkeyStore() navette.PasskeyStore {
	m.t.Helper()
	ps, ok := m.s.(navette.PasskeyStore)
	if !ok {
		m.t.Fatalf("%T does not implement navette.PasskeyStore", m.s)
	}
	return ps
}

// passkey creates a passkey of u named name.
func (m *metaFixture) passkey(u *navette.User, name string) *navette.Passkey {
	m.t.Helper()
	p := &navette.Passkey{ID: navette.NewID(), UserID: u.ID, CredentialID: metaRandom(32), Name: name, Record: metaRandom(90), CreatedAt: m.now()}
	if err := m.passkeyStore().CreatePasskey(m.ctx, p, navette.Event{Time: p.CreatedAt, Type: navette.EventPasskeyAdded, ActorID: u.ID, Detail: p.ID}); err != nil {
		m.t.Fatalf("CreatePasskey: %v", err)
	}
	return p
}

func testMetaPasskeys(t *testing.T, m *metaFixture) {
	ps := m.passkeyStore()
	alice, bob := m.user("Alice"), m.user("Bob")
	if got, err := ps.Passkeys(m.ctx, alice.ID); err != nil || len(got) != 0 {
		t.Fatalf("Passkeys of nobody's = %v, %v", got, err)
	}
	a1 := m.passkey(alice, "Clé USB")
	a2 := m.passkey(alice, "Téléphone")
	b1 := m.passkey(bob, "Ordinateur")

	for _, tc := range []struct {
		name string
		p    *navette.Passkey
		code string
	}{
		{"same id", &navette.Passkey{ID: a1.ID, UserID: alice.ID, CredentialID: metaRandom(32), Record: []byte("r"), CreatedAt: m.now()}, navette.ECONFLICT},
		{"same credential", &navette.Passkey{ID: navette.NewID(), UserID: bob.ID, CredentialID: a2.CredentialID, Record: []byte("r"), CreatedAt: m.now()}, navette.ECONFLICT},
		{"unknown user", &navette.Passkey{ID: navette.NewID(), UserID: navette.NewID(), CredentialID: metaRandom(32), Record: []byte("r"), CreatedAt: m.now()}, navette.ENOTFOUND},
		{"no credential id", &navette.Passkey{ID: navette.NewID(), UserID: alice.ID, Record: []byte("r"), CreatedAt: m.now()}, navette.EINVALID},
		{"no record", &navette.Passkey{ID: navette.NewID(), UserID: alice.ID, CredentialID: metaRandom(32), CreatedAt: m.now()}, navette.EINVALID},
		{"no time", &navette.Passkey{ID: navette.NewID(), UserID: alice.ID, CredentialID: metaRandom(32), Record: []byte("r")}, navette.EINVALID},
	} {
		if err := ps.CreatePasskey(m.ctx, tc.p); !navette.IsCode(err, tc.code) {
			t.Errorf("CreatePasskey(%s) = %v, want %s", tc.name, err, tc.code)
		}
	}

	got, err := ps.Passkeys(m.ctx, alice.ID)
	if err != nil || len(got) != 2 || got[0].ID != a1.ID || got[1].ID != a2.ID {
		t.Fatalf("Passkeys(alice) = %v, %v; want a1, a2", got, err)
	}
	if g := got[1]; g.Name != "Téléphone" || !bytes.Equal(g.CredentialID, a2.CredentialID) || !bytes.Equal(g.Record, a2.Record) ||
		!g.CreatedAt.Equal(a2.CreatedAt) || !g.LastUsedAt.IsZero() || g.SignCount != 0 || g.UserID != alice.ID {
		t.Errorf("Passkeys(alice)[1] = %+v, want %+v", g, a2)
	}
	p, err := ps.PasskeyByCredentialID(m.ctx, b1.CredentialID)
	if err != nil || p.ID != b1.ID || p.UserID != bob.ID {
		t.Fatalf("PasskeyByCredentialID(b1) = %+v, %v", p, err)
	}
	for _, id := range [][]byte{nil, metaRandom(32)} {
		if _, err := ps.PasskeyByCredentialID(m.ctx, id); !navette.IsCode(err, navette.ENOTFOUND) {
			t.Errorf("PasskeyByCredentialID(%x) = %v, want ENOTFOUND", id, err)
		}
	}

	used := m.now()
	err = ps.UpdatePasskey(m.ctx, a1.ID, func(p *navette.Passkey) ([]navette.Event, error) {
		p.SignCount, p.LastUsedAt, p.Name, p.Record = 7, used, "Clé bleue", []byte("new record")
		return []navette.Event{{Time: used, Type: navette.EventSignIn, ActorID: alice.ID, Detail: "passkey"}}, nil
	})
	if err != nil {
		t.Fatalf("UpdatePasskey: %v", err)
	}
	p, err = ps.PasskeyByCredentialID(m.ctx, a1.CredentialID)
	if err != nil || p.SignCount != 7 || !p.LastUsedAt.Equal(used) || p.Name != "Clé bleue" || string(p.Record) != "new record" {
		t.Fatalf("after UpdatePasskey: %+v, %v", p, err)
	}
	err = ps.UpdatePasskey(m.ctx, a1.ID, func(p *navette.Passkey) ([]navette.Event, error) {
		p.SignCount = 99
		return nil, &errMetaTest{1}
	})
	if _, ok := err.(*errMetaTest); !ok {
		t.Fatalf("UpdatePasskey failing = %v, want fn's error", err)
	}
	if p, _ := ps.PasskeyByCredentialID(m.ctx, a1.CredentialID); p.SignCount != 7 {
		t.Errorf("a failed UpdatePasskey wrote the counter %d", p.SignCount)
	}
	err = ps.UpdatePasskey(m.ctx, a1.ID, func(p *navette.Passkey) ([]navette.Event, error) {
		p.SignCount = -1
		return nil, nil
	})
	if !navette.IsCode(err, navette.EINVALID) {
		t.Errorf("UpdatePasskey to a negative counter = %v, want EINVALID", err)
	}
	if err := ps.UpdatePasskey(m.ctx, navette.NewID(), func(*navette.Passkey) ([]navette.Event, error) { return nil, nil }); !navette.IsCode(err, navette.ENOTFOUND) {
		t.Errorf("UpdatePasskey(unknown) = %v, want ENOTFOUND", err)
	}

	// Another's passkey is as unknown as none.
	if err := ps.DeletePasskey(m.ctx, bob.ID, a1.ID, false); !navette.IsCode(err, navette.ENOTFOUND) {
		t.Errorf("DeletePasskey(another's) = %v, want ENOTFOUND", err)
	}
	ev := navette.Event{Time: m.now(), Type: navette.EventPasskeyRemoved, ActorID: alice.ID, Detail: a1.ID}
	if err := ps.DeletePasskey(m.ctx, alice.ID, a1.ID, false, ev); err != nil {
		t.Fatalf("DeletePasskey: %v", err)
	}
	if err := ps.DeletePasskey(m.ctx, alice.ID, a1.ID, false); !navette.IsCode(err, navette.ENOTFOUND) {
		t.Errorf("DeletePasskey twice = %v, want ENOTFOUND", err)
	}
	if got, _ := ps.Passkeys(m.ctx, alice.ID); len(got) != 1 || got[0].ID != a2.ID {
		t.Errorf("Passkeys after removal = %v", got)
	}
	all, err := m.s.Events(m.ctx, navette.EventFilter{})
	var evs []navette.Event
	for _, e := range all {
		if e.Type == navette.EventPasskeyAdded || e.Type == navette.EventPasskeyRemoved {
			evs = append(evs, e)
		}
	}
	if err != nil || len(evs) != 4 || evs[3].Type != navette.EventPasskeyRemoved || evs[3].Detail != a1.ID {
		t.Errorf("passkey events = %+v, %v", evs, err)
	}
}

func testMetaPasskeyLastFactor(t *testing.T, m *metaFixture) {
	ps := m.passkeyStore()
	u := m.user("Carole")
	p1 := m.passkey(u, "un")
	p2 := m.passkey(u, "deux")
	if err := ps.DeletePasskey(m.ctx, u.ID, p1.ID, true); err != nil {
		t.Fatalf("DeletePasskey of one of two: %v", err)
	}
	if err := ps.DeletePasskey(m.ctx, u.ID, p2.ID, true); !navette.IsCode(err, navette.ECONFLICT) {
		t.Fatalf("DeletePasskey of the last factor = %v, want ECONFLICT", err)
	}
	if err := ps.DeletePasskey(m.ctx, u.ID, p1.ID, true); !navette.IsCode(err, navette.ENOTFOUND) {
		t.Errorf("DeletePasskey of a removed one, keeping a factor = %v, want ENOTFOUND", err)
	}
	err := m.s.UpdateUser(m.ctx, u.ID, func(x *navette.User) ([]navette.Event, error) {
		x.TOTP = navette.WrappedKey{KeyID: "kek-1", Data: metaRandom(40)}
		return nil, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := ps.DeletePasskey(m.ctx, u.ID, p2.ID, true); err != nil {
		t.Fatalf("DeletePasskey of the last passkey with a TOTP secret: %v", err)
	}
	v := m.user("Denis")
	p3 := m.passkey(v, "seul")
	if err := ps.DeletePasskey(m.ctx, v.ID, p3.ID, false); err != nil {
		t.Fatalf("DeletePasskey of the last one without keepFactor: %v", err)
	}
}

// testMetaPasskeyLastFactorConcurrent removes a user's two passkeys at once,
// keeping a factor: one removal wins, the other is refused.
func testMetaPasskeyLastFactorConcurrent(t *testing.T, m *metaFixture) {
	ps := m.passkeyStore()
	u := m.user("Emile")
	keys := []*navette.Passkey{m.passkey(u, "un"), m.passkey(u, "deux")}
	var wg sync.WaitGroup
	errs := make([]error, 2)
	for i, p := range keys {
		wg.Go(func() { errs[i] = ps.DeletePasskey(m.ctx, u.ID, p.ID, true) })
	}
	wg.Wait()
	ok := 0
	for _, err := range errs {
		switch {
		case err == nil:
			ok++
		case navette.IsCode(err, navette.ECONFLICT):
		default:
			t.Errorf("DeletePasskey: %v", err)
		}
	}
	left, err := ps.Passkeys(m.ctx, u.ID)
	if err != nil || ok != 1 || len(left) != 1 {
		t.Fatalf("%d removals succeeded, %d passkeys left (%v), want 1 and 1", ok, len(left), err)
	}
}

func testMetaPasskeyChallenges(t *testing.T, m *metaFixture) {
	ps := m.passkeyStore()
	now := m.now()
	c := &navette.PasskeyChallenge{ID: navette.NewID(), Binding: metaRandom(32), Data: metaRandom(100), ExpiresAt: now.Add(2 * time.Minute)}
	old := &navette.PasskeyChallenge{ID: navette.NewID(), Binding: metaRandom(32), Data: metaRandom(10), ExpiresAt: now.Add(-time.Second)}
	for _, x := range []*navette.PasskeyChallenge{c, old} {
		if err := ps.CreatePasskeyChallenge(m.ctx, x); err != nil {
			t.Fatalf("CreatePasskeyChallenge: %v", err)
		}
	}
	for _, tc := range []struct {
		name string
		c    *navette.PasskeyChallenge
		code string
	}{
		{"same id", &navette.PasskeyChallenge{ID: c.ID, Binding: []byte("b"), Data: []byte("d"), ExpiresAt: now}, navette.ECONFLICT},
		{"no binding", &navette.PasskeyChallenge{ID: navette.NewID(), Data: []byte("d"), ExpiresAt: now}, navette.EINVALID},
		{"no data", &navette.PasskeyChallenge{ID: navette.NewID(), Binding: []byte("b"), ExpiresAt: now}, navette.EINVALID},
		{"no expiry", &navette.PasskeyChallenge{ID: navette.NewID(), Binding: []byte("b"), Data: []byte("d")}, navette.EINVALID},
	} {
		if err := ps.CreatePasskeyChallenge(m.ctx, tc.c); !navette.IsCode(err, tc.code) {
			t.Errorf("CreatePasskeyChallenge(%s) = %v, want %s", tc.name, err, tc.code)
		}
	}
	// Taken at once by several: one gets it.
	var wg sync.WaitGroup
	got := make([]*navette.PasskeyChallenge, 4)
	errs := make([]error, 4)
	for i := range got {
		wg.Go(func() { got[i], errs[i] = ps.TakePasskeyChallenge(m.ctx, c.ID) })
	}
	wg.Wait()
	taken := 0
	for i := range got {
		switch {
		case errs[i] == nil:
			taken++
			if g := got[i]; g.ID != c.ID || !bytes.Equal(g.Binding, c.Binding) || !bytes.Equal(g.Data, c.Data) || !g.ExpiresAt.Equal(c.ExpiresAt) {
				t.Errorf("TakePasskeyChallenge = %+v, want %+v", g, c)
			}
		case !navette.IsCode(errs[i], navette.ENOTFOUND):
			t.Errorf("TakePasskeyChallenge: %v", errs[i])
		}
	}
	if taken != 1 {
		t.Fatalf("the challenge was taken %d times, want once", taken)
	}
	if n, err := ps.DeletePasskeyChallenges(m.ctx, now); err != nil || n != 1 {
		t.Fatalf("DeletePasskeyChallenges = %d, %v; want 1", n, err)
	}
	if _, err := ps.TakePasskeyChallenge(m.ctx, old.ID); !navette.IsCode(err, navette.ENOTFOUND) {
		t.Errorf("TakePasskeyChallenge(swept) = %v, want ENOTFOUND", err)
	}
}

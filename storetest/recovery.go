package storetest

import (
	"sync"
	"testing"
	"time"

	"navette"
)

// TestRecoveryStore runs the conformance suite for navette.RecoveryStore:
// recovery codes (replaced as a set, each used once, also under
// concurrency) and requests to replace a lost factor. open is as for
// TestMetaStore.
func TestRecoveryStore(t *testing.T, open func(t *testing.T) navette.MetaStore) {
	runMeta(t, open, []metaTest{
		{"RecoveryCodes", testMetaRecoveryCodes},
		{"RecoveryCodeOnce", testMetaRecoveryCodeOnce},
		{"RecoveryRequests", testMetaRecoveryRequests},
		{"RecoveryRequestUpdate", testMetaRecoveryRequestUpdate},
		{"EventsByActor", testMetaEventsByActor},
		{"RecoveryComplete", testMetaRecoveryComplete},
		{"RecoveryCompleteTOTP", testMetaRecoveryCompleteTOTP},
	})
}

func (m *metaFixture) recoveryStore() navette.RecoveryStore {
	m.t.Helper()
	rs, ok := m.s.(navette.RecoveryStore)
	if !ok {
		m.t.Fatalf("%T does not implement navette.RecoveryStore", m.s)
	}
	return rs
}

// recoveryCodes makes n codes of u with random digests.
func (m *metaFixture) recoveryCodes(u *navette.User, n int) []*navette.RecoveryCode {
	now := m.now()
	var out []*navette.RecoveryCode
	for range n {
		out = append(out, &navette.RecoveryCode{ID: navette.NewID(), UserID: u.ID, Hash: metaRandom(32), CreatedAt: now})
	}
	return out
}

func testMetaRecoveryCodes(t *testing.T, m *metaFixture) {
	rs := m.recoveryStore()
	alice, bob := m.user("Alice"), m.user("Bob")
	if got, err := rs.RecoveryCodes(m.ctx, alice.ID); err != nil || len(got) != 0 {
		t.Fatalf("RecoveryCodes of nobody's = %v, %v", got, err)
	}
	first := m.recoveryCodes(alice, 10)
	ev := navette.Event{Time: m.now(), Type: navette.EventRecoveryCodesMade, ActorID: alice.ID, Detail: "10"}
	if err := rs.SetRecoveryCodes(m.ctx, alice.ID, first, ev); err != nil {
		t.Fatal(err)
	}
	if err := rs.SetRecoveryCodes(m.ctx, bob.ID, m.recoveryCodes(bob, 3)); err != nil {
		t.Fatal(err)
	}
	got, err := rs.RecoveryCodes(m.ctx, alice.ID)
	if err != nil || len(got) != 10 {
		t.Fatalf("RecoveryCodes(alice) = %d, %v; want 10", len(got), err)
	}
	byID := map[string]*navette.RecoveryCode{}
	for _, c := range first {
		byID[c.ID] = c
	}
	for _, g := range got {
		w := byID[g.ID]
		if w == nil || string(g.Hash) != string(w.Hash) || g.UserID != alice.ID || !g.CreatedAt.Equal(w.CreatedAt) {
			t.Fatalf("RecoveryCodes(alice) has %+v, not one of those set", g)
		}
	}
	evs := m.events("")
	if last := evs[len(evs)-1]; last.Type != navette.EventRecoveryCodesMade || last.ActorID != alice.ID {
		t.Errorf("last event = %+v, want recovery.codes", last)
	}

	second := m.recoveryCodes(alice, 10)
	if err := rs.SetRecoveryCodes(m.ctx, alice.ID, second); err != nil {
		t.Fatal(err)
	}
	got, _ = rs.RecoveryCodes(m.ctx, alice.ID)
	if len(got) != 10 || got[0].ID == first[0].ID {
		t.Errorf("after a second SetRecoveryCodes: %d codes, first %s", len(got), got[0].ID)
	}
	if err := rs.UseRecoveryCode(m.ctx, alice.ID, first[0].ID, nil); !navette.IsCode(err, navette.ENOTFOUND) {
		t.Errorf("using a replaced code = %v, want ENOTFOUND", err)
	}
	if err := rs.SetRecoveryCodes(m.ctx, alice.ID, nil); err != nil {
		t.Fatal(err)
	}
	if got, _ := rs.RecoveryCodes(m.ctx, alice.ID); len(got) != 0 {
		t.Errorf("SetRecoveryCodes(nil) left %d codes", len(got))
	}
	if got, _ := rs.RecoveryCodes(m.ctx, bob.ID); len(got) != 3 {
		t.Errorf("Bob's codes = %d, want 3", len(got))
	}

	for _, tc := range []struct {
		name   string
		userID string
		codes  []*navette.RecoveryCode
		code   string
	}{
		{"unknown user", navette.NewID(), nil, navette.ENOTFOUND},
		{"no digest", alice.ID, []*navette.RecoveryCode{{ID: navette.NewID(), UserID: alice.ID, CreatedAt: m.now()}}, navette.EINVALID},
		{"another's", alice.ID, m.recoveryCodes(bob, 1), navette.EINVALID},
		{"no time", alice.ID, []*navette.RecoveryCode{{ID: navette.NewID(), UserID: alice.ID, Hash: []byte("h")}}, navette.EINVALID},
	} {
		if err := rs.SetRecoveryCodes(m.ctx, tc.userID, tc.codes); !navette.IsCode(err, tc.code) {
			t.Errorf("SetRecoveryCodes(%s) = %v, want %s", tc.name, err, tc.code)
		}
	}
}

// testMetaRecoveryCodeOnce: a code serves once, even when two uses race;
// a code is used only by its owner.
func testMetaRecoveryCodeOnce(t *testing.T, m *metaFixture) {
	rs := m.recoveryStore()
	alice, bob := m.user("Alice"), m.user("Bob")
	codes := m.recoveryCodes(alice, 3)
	if err := rs.SetRecoveryCodes(m.ctx, alice.ID, codes); err != nil {
		t.Fatal(err)
	}
	if err := rs.UseRecoveryCode(m.ctx, bob.ID, codes[0].ID, nil); !navette.IsCode(err, navette.ENOTFOUND) {
		t.Errorf("Bob using Alice's code = %v, want ENOTFOUND", err)
	}
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		ok    int
		lefts []int
	)
	for range 4 {
		wg.Go(func() {
			err := rs.UseRecoveryCode(m.ctx, alice.ID, codes[0].ID, func(left int) []navette.Event {
				mu.Lock()
				lefts = append(lefts, left)
				mu.Unlock()
				return []navette.Event{{Time: m.clock.Now(), Type: navette.EventRecoveryCodeUsed, ActorID: alice.ID, Detail: "left=2"}}
			})
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				ok++
			case !navette.IsCode(err, navette.ENOTFOUND):
				t.Errorf("UseRecoveryCode = %v", err)
			}
		})
	}
	wg.Wait()
	if ok != 1 || len(lefts) != 1 || lefts[0] != 2 {
		t.Fatalf("4 concurrent uses of one code: %d succeeded, lefts %v; want 1, [2]", ok, lefts)
	}
	n := 0
	for _, e := range m.events("") {
		if e.Type == navette.EventRecoveryCodeUsed {
			n++
		}
	}
	if n != 1 {
		t.Errorf("%d recovery.code_used events, want 1", n)
	}
	if got, _ := rs.RecoveryCodes(m.ctx, alice.ID); len(got) != 2 {
		t.Errorf("%d codes left, want 2", len(got))
	}
}

func testMetaRecoveryRequests(t *testing.T, m *metaFixture) {
	rs := m.recoveryStore()
	amiens, lille := m.court("AMI", "Amiens"), m.court("LIL", "Lille")
	alice := m.person("Alice Agent", navette.RoleAgent, inCourt(amiens.ID))
	bob := m.person("Bob Agent", navette.RoleAgent, inCourt(lille.ID))
	carol := m.user("Carol")
	mk := func(u *navette.User, st navette.RecoveryState) *navette.RecoveryRequest {
		t.Helper()
		now := m.now()
		r := &navette.RecoveryRequest{ID: navette.NewID(), UserID: u.ID, State: st, CreatedAt: now, ExpiresAt: now.Add(7 * 24 * time.Hour)}
		if err := rs.CreateRecoveryRequest(m.ctx, r, navette.Event{Time: now, Type: navette.EventRecoveryRequested, ActorID: u.ID, Detail: r.ID}); err != nil {
			t.Fatalf("CreateRecoveryRequest: %v", err)
		}
		return r
	}
	a1 := mk(alice, navette.RecoveryRejected)
	a2 := mk(alice, navette.RecoveryPending)
	b1 := mk(bob, navette.RecoveryPending)
	c1 := mk(carol, navette.RecoveryApproved)

	got, err := rs.RecoveryRequest(m.ctx, a2.ID)
	if err != nil || got.UserID != alice.ID || got.State != navette.RecoveryPending || !got.CreatedAt.Equal(a2.CreatedAt) ||
		!got.ExpiresAt.Equal(a2.ExpiresAt) || !got.UpdatedAt.Equal(a2.CreatedAt) || got.DecidedBy != "" || !got.DecidedAt.IsZero() {
		t.Fatalf("RecoveryRequest(a2) = %+v, %v", got, err)
	}
	if _, err := rs.RecoveryRequest(m.ctx, navette.NewID()); !navette.IsCode(err, navette.ENOTFOUND) {
		t.Errorf("RecoveryRequest(unknown) = %v, want ENOTFOUND", err)
	}
	ids := func(f navette.RecoveryFilter) []string {
		t.Helper()
		rr, err := rs.RecoveryRequests(m.ctx, f)
		if err != nil {
			t.Fatalf("RecoveryRequests(%+v): %v", f, err)
		}
		var out []string
		for _, r := range rr {
			out = append(out, r.ID)
		}
		return out
	}
	for _, tc := range []struct {
		name string
		f    navette.RecoveryFilter
		want []string
	}{
		{"all", navette.RecoveryFilter{}, []string{c1.ID, b1.ID, a2.ID, a1.ID}},
		{"user", navette.RecoveryFilter{UserID: alice.ID}, []string{a2.ID, a1.ID}},
		{"court", navette.RecoveryFilter{CourtID: amiens.ID}, []string{a2.ID, a1.ID}},
		{"pending", navette.RecoveryFilter{States: []navette.RecoveryState{navette.RecoveryPending}}, []string{b1.ID, a2.ID}},
		{"pending or approved", navette.RecoveryFilter{States: []navette.RecoveryState{navette.RecoveryPending, navette.RecoveryApproved}}, []string{c1.ID, b1.ID, a2.ID}},
		{"court pending", navette.RecoveryFilter{CourtID: lille.ID, States: []navette.RecoveryState{navette.RecoveryPending}}, []string{b1.ID}},
		{"since", navette.RecoveryFilter{Since: b1.CreatedAt}, []string{c1.ID, b1.ID}},
		{"limit", navette.RecoveryFilter{Limit: 1}, []string{c1.ID}},
	} {
		if got := ids(tc.f); !equalStrings(got, tc.want) {
			t.Errorf("RecoveryRequests(%s) = %v, want %v", tc.name, got, tc.want)
		}
	}
	now := m.now()
	for _, tc := range []struct {
		name string
		r    *navette.RecoveryRequest
		code string
	}{
		{"same id", &navette.RecoveryRequest{ID: a1.ID, UserID: alice.ID, State: navette.RecoveryPending, CreatedAt: now, ExpiresAt: now}, navette.ECONFLICT},
		{"unknown user", &navette.RecoveryRequest{ID: navette.NewID(), UserID: navette.NewID(), State: navette.RecoveryPending, CreatedAt: now, ExpiresAt: now}, navette.ENOTFOUND},
		{"bad state", &navette.RecoveryRequest{ID: navette.NewID(), UserID: alice.ID, State: "lost", CreatedAt: now, ExpiresAt: now}, navette.EINVALID},
		{"no expiry", &navette.RecoveryRequest{ID: navette.NewID(), UserID: alice.ID, State: navette.RecoveryPending, CreatedAt: now}, navette.EINVALID},
	} {
		if err := rs.CreateRecoveryRequest(m.ctx, tc.r); !navette.IsCode(err, tc.code) {
			t.Errorf("CreateRecoveryRequest(%s) = %v, want %s", tc.name, err, tc.code)
		}
	}
}

func equalStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// testMetaRecoveryRequestUpdate: a decision is written with its events, a
// failing fn writes nothing, and of two decisions at once the second sees
// the first.
func testMetaRecoveryRequestUpdate(t *testing.T, m *metaFixture) {
	rs := m.recoveryStore()
	alice, admin := m.user("Alice"), m.person("Admin", navette.RoleAdmin)
	now := m.now()
	r := &navette.RecoveryRequest{ID: navette.NewID(), UserID: alice.ID, State: navette.RecoveryPending, CreatedAt: now, ExpiresAt: now.Add(time.Hour)}
	if err := rs.CreateRecoveryRequest(m.ctx, r); err != nil {
		t.Fatal(err)
	}
	err := rs.UpdateRecoveryRequest(m.ctx, r.ID, func(x *navette.RecoveryRequest) ([]navette.Event, error) {
		x.State = navette.RecoveryApproved
		return nil, &errMetaTest{1}
	})
	if _, ok := err.(*errMetaTest); !ok {
		t.Fatalf("UpdateRecoveryRequest failing = %v, want fn's error", err)
	}
	if got, _ := rs.RecoveryRequest(m.ctx, r.ID); got.State != navette.RecoveryPending {
		t.Fatalf("a failed update wrote state %s", got.State)
	}
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		approved int
	)
	for range 3 {
		wg.Go(func() {
			err := rs.UpdateRecoveryRequest(m.ctx, r.ID, func(x *navette.RecoveryRequest) ([]navette.Event, error) {
				if x.State != navette.RecoveryPending {
					return nil, navette.Errorf(navette.ECONFLICT, "decided")
				}
				at := m.clock.Now()
				x.State, x.DecidedBy, x.DecidedAt, x.UpdatedAt, x.ExpiresAt = navette.RecoveryApproved, admin.ID, at, at, at.Add(24*time.Hour)
				return []navette.Event{{Time: at, Type: navette.EventRecoveryApproved, ActorID: admin.ID, Detail: x.ID + " " + x.UserID}}, nil
			})
			mu.Lock()
			defer mu.Unlock()
			if err == nil {
				approved++
			} else if !navette.IsCode(err, navette.ECONFLICT) {
				t.Errorf("UpdateRecoveryRequest = %v", err)
			}
		})
	}
	wg.Wait()
	if approved != 1 {
		t.Fatalf("%d concurrent approvals succeeded, want 1", approved)
	}
	got, err := rs.RecoveryRequest(m.ctx, r.ID)
	if err != nil || got.State != navette.RecoveryApproved || got.DecidedBy != admin.ID || got.DecidedAt.IsZero() || !got.ExpiresAt.Equal(got.DecidedAt.Add(24*time.Hour)) {
		t.Fatalf("after approval: %+v, %v", got, err)
	}
	if got.StateAt(got.ExpiresAt) != navette.RecoveryExpired || got.StateAt(got.DecidedAt) != navette.RecoveryApproved {
		t.Errorf("StateAt: %s at expiry, %s before", got.StateAt(got.ExpiresAt), got.StateAt(got.DecidedAt))
	}
	if err := rs.UpdateRecoveryRequest(m.ctx, navette.NewID(), func(*navette.RecoveryRequest) ([]navette.Event, error) { return nil, nil }); !navette.IsCode(err, navette.ENOTFOUND) {
		t.Errorf("UpdateRecoveryRequest(unknown) = %v, want ENOTFOUND", err)
	}
}

// testMetaEventsByActor: a person's last events, newest first, and only
// theirs.
func testMetaEventsByActor(t *testing.T, m *metaFixture) {
	es, ok := m.s.(navette.ActorEventStore)
	if !ok {
		t.Fatalf("%T does not implement navette.ActorEventStore", m.s)
	}
	alice, bob := m.user("Alice"), m.user("Bob")
	for i := range 5 {
		who := alice
		if i%2 == 1 {
			who = bob
		}
		if err := m.s.AppendEvents(m.ctx, navette.Event{Time: m.now(), Type: navette.EventSignIn, ActorID: who.ID, Detail: string(rune('a' + i))}); err != nil {
			t.Fatal(err)
		}
	}
	got, err := es.EventsByActor(m.ctx, alice.ID, 2)
	if err != nil || len(got) != 2 || got[0].Detail != "e" || got[1].Detail != "c" || got[0].ActorID != alice.ID {
		t.Fatalf("EventsByActor(alice, 2) = %+v, %v; want e, c", got, err)
	}
	if got, err := es.EventsByActor(m.ctx, bob.ID, 0); err != nil || len(got) != 2 {
		t.Errorf("EventsByActor(bob) = %d, %v; want 2", len(got), err)
	}
	if got, err := es.EventsByActor(m.ctx, navette.NewID(), 0); err != nil || len(got) != 0 {
		t.Errorf("EventsByActor(nobody) = %v, %v", got, err)
	}
}

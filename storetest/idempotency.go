package storetest

import (
	"sync"
	"testing"
	"time"

	"navette"
)

// testMetaIdempotencyKey checks that a sender's idempotency key names one
// deposit: a second deposit with it is refused until the first is
// navette.IdempotencyKeyLifetime older, when it takes the key over; another
// sender's same key is another key.
func testMetaIdempotencyKey(t *testing.T, m *metaFixture) {
	alice, bob, zoe := m.user("Alice"), m.user("Bob"), m.user("Zoe")
	first := m.newDeposit(alice, zoe)
	first.IdempotencyKey, first.RequestDigest = "key-1", metaRandom(48)
	if err := m.s.CreateDeposit(m.ctx, first); err != nil {
		t.Fatalf("CreateDeposit: %v", err)
	}
	metaEqual(t, "Deposit", m.getDeposit(first.ID), first)
	got, err := m.s.DepositByIdempotencyKey(m.ctx, alice.ID, "key-1")
	if err != nil {
		t.Fatalf("DepositByIdempotencyKey: %v", err)
	}
	metaEqual(t, "DepositByIdempotencyKey", got, first)

	again := m.newDeposit(alice, zoe)
	again.IdempotencyKey, again.RequestDigest = "key-1", metaRandom(48)
	metaCode(t, "CreateDeposit with a held key", m.s.CreateDeposit(m.ctx, again), navette.ECONFLICT)
	_, err = m.s.Deposit(m.ctx, again.ID)
	metaCode(t, "Deposit refused for its key", err, navette.ENOTFOUND)

	bobs := m.newDeposit(bob, zoe)
	bobs.IdempotencyKey, bobs.RequestDigest = "key-1", metaRandom(48)
	if err := m.s.CreateDeposit(m.ctx, bobs); err != nil {
		t.Fatalf("CreateDeposit(another sender's same key): %v", err)
	}
	got, err = m.s.DepositByIdempotencyKey(m.ctx, bob.ID, "key-1")
	if err != nil {
		t.Fatalf("DepositByIdempotencyKey(bob): %v", err)
	}
	metaEqual(t, "bob's key", got.ID, bobs.ID)

	none := m.deposit(navette.DepositDraft, alice, zoe)
	metaEqual(t, "deposit without a key", m.getDeposit(none.ID).IdempotencyKey, "")
	_, err = m.s.DepositByIdempotencyKey(m.ctx, alice.ID, "key-2")
	metaCode(t, "DepositByIdempotencyKey(unknown key)", err, navette.ENOTFOUND)
	_, err = m.s.DepositByIdempotencyKey(m.ctx, zoe.ID, "key-1")
	metaCode(t, "DepositByIdempotencyKey(another sender)", err, navette.ENOTFOUND)

	for _, tc := range []struct {
		name  string
		after time.Duration
		taken bool
	}{
		{"a second before the lifetime", navette.IdempotencyKeyLifetime - time.Second, false},
		{"at the lifetime", navette.IdempotencyKeyLifetime, true},
	} {
		late := m.newDeposit(alice, zoe)
		late.CreatedAt = first.CreatedAt.Add(tc.after)
		late.IdempotencyKey, late.RequestDigest = "key-1", metaRandom(48)
		err := m.s.CreateDeposit(m.ctx, late)
		if tc.taken != (err == nil) {
			t.Fatalf("%q: CreateDeposit: %v, want it taken over: %v", tc.name, err, tc.taken)
		}
		if !tc.taken {
			metaCode(t, tc.name, err, navette.ECONFLICT)
			continue
		}
		got, err := m.s.DepositByIdempotencyKey(m.ctx, alice.ID, "key-1")
		if err != nil {
			t.Fatalf("%q: DepositByIdempotencyKey: %v", tc.name, err)
		}
		metaEqual(t, tc.name+": holder", got.ID, late.ID)
		old := m.getDeposit(first.ID)
		if old.IdempotencyKey != "" || len(old.RequestDigest) != 0 {
			t.Errorf("%q: the first deposit kept key %q and digest %x", tc.name, old.IdempotencyKey, old.RequestDigest)
		}
	}
}

// testMetaIdempotencyKeyConcurrent checks that of deposits created at once
// with the same key by the same sender, as the nodes of a cluster may,
// one is stored and the others are refused.
func testMetaIdempotencyKeyConcurrent(t *testing.T, m *metaFixture) {
	const n = 8
	alice, zoe := m.user("Alice"), m.user("Zoe")
	ds := make([]*navette.DepositRecord, n)
	for i := range ds {
		ds[i] = m.newDeposit(alice, zoe)
		ds[i].IdempotencyKey, ds[i].RequestDigest = "same", metaRandom(48)
	}
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i, d := range ds {
		wg.Go(func() { errs[i] = m.s.CreateDeposit(m.ctx, d) })
	}
	wg.Wait()
	var stored []string
	for i, err := range errs {
		switch navette.ErrorCode(err) {
		case "":
			stored = append(stored, ds[i].ID)
		case navette.ECONFLICT:
		default:
			t.Errorf("CreateDeposit: %v", err)
		}
	}
	if len(stored) != 1 {
		t.Fatalf("%d concurrent CreateDeposit with one key succeeded, want 1", len(stored))
	}
	got, err := m.s.DepositByIdempotencyKey(m.ctx, alice.ID, "same")
	if err != nil {
		t.Fatalf("DepositByIdempotencyKey: %v", err)
	}
	metaEqual(t, "holder", got.ID, stored[0])
	drafts := m.list(navette.DepositFilter{UserID: alice.ID, Box: navette.BoxSent, States: []navette.DepositState{navette.DepositDraft}})
	metaEqual(t, "drafts", metaIDs(drafts), stored)
}

package storetest

import (
	"bytes"
	"slices"
	"sync"
	"testing"

	"navette"
)

// KeyMetaStore is a metadata store that also finds and re-wraps the keys it
// keeps.
type KeyMetaStore interface {
	navette.MetaStore
	navette.KeyStore
}

// TestKeyStore runs the conformance suite for navette.KeyStore. open must
// return a new, empty store for each subtest and release it with t.Cleanup.
func TestKeyStore(t *testing.T, open func(t *testing.T) KeyMetaStore) {
	for _, tt := range []struct {
		name string
		fn   func(t *testing.T, m *metaFixture, s navette.KeyStore)
	}{
		{"Count", testKeysCount},
		{"ReplaceAll", testKeysReplaceAll},
		{"CompareAndSet", testKeysCompareAndSet},
		{"Refused", testKeysRefused},
		{"Concurrent", testKeysConcurrent},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s := open(t)
			tt.fn(t, &metaFixture{t: t, s: s, ctx: t.Context(), clock: navette.NewFakeClock(metaEpoch)}, s)
		})
	}
}

// keyed is what keyedStore made: one object per column with a key, all
// wrapped by kek-1 but the proof key (kek-2).
type keyed struct {
	deposit *navette.DepositRecord
	file    *navette.FileRecord
	notice  *navette.Notice
	user    *navette.User
	purged  *navette.DepositRecord
}

// keyedStore fills the store with a key of every column, and a purged
// deposit whose keys are destroyed.
func (m *metaFixture) keyedStore() keyed {
	m.t.Helper()
	var k keyed
	k.user = m.user("Totp")
	err := m.s.UpdateUser(m.ctx, k.user.ID, func(u *navette.User) ([]navette.Event, error) {
		u.TOTP = navette.WrappedKey{KeyID: "kek-1", Data: metaRandom(40)}
		k.user.TOTP = u.TOTP
		return nil, nil
	})
	if err != nil {
		m.t.Fatal(err)
	}
	k.deposit = m.newDeposit(m.user("Sender"), m.user("Rcpt"))
	k.deposit.ProofKey = navette.WrappedKey{KeyID: "kek-2", Data: metaRandom(60)}
	if err := m.s.CreateDeposit(m.ctx, k.deposit); err != nil {
		m.t.Fatal(err)
	}
	k.file = m.file(k.deposit)
	k.notice = m.notices(m.newNotice(navette.NoticeDeposit, k.user, k.deposit.ID))[0]

	k.purged = m.deposit(navette.DepositExpired, m.user("Gone"), m.user("Gone2"))
	gone := m.file(m.deposit(navette.DepositDraft, m.user("Gone3")))
	err = m.s.UpdateDeposit(m.ctx, k.purged.ID, func(d *navette.DepositRecord, _ []*navette.FileRecord) ([]navette.Event, error) {
		d.Key, d.Reference, d.Message, d.PurgedAt = navette.WrappedKey{}, nil, nil, m.clock.Now()
		return nil, nil
	})
	if err != nil {
		m.t.Fatal(err)
	}
	err = m.s.UpdateDeposit(m.ctx, gone.DepositID, func(d *navette.DepositRecord, fs []*navette.FileRecord) ([]navette.Event, error) {
		d.Key, fs[0].Key = navette.WrappedKey{}, navette.WrappedKey{}
		return nil, nil
	})
	if err != nil {
		m.t.Fatal(err)
	}
	return k
}

// counts returns the store's key counts, failing the test on an error.
func counts(t *testing.T, m *metaFixture, s navette.KeyStore) []navette.KeyCount {
	t.Helper()
	c, err := s.CountKeys(m.ctx)
	if err != nil {
		t.Fatalf("CountKeys: %v", err)
	}
	return c
}

// allNotUnder returns every stored key not under keyID, batch by batch.
func allNotUnder(t *testing.T, m *metaFixture, s navette.KeyStore, keyID string, batch int) []navette.StoredKey {
	t.Helper()
	var all []navette.StoredKey
	for _, c := range navette.KeyColumns {
		after := ""
		for {
			ks, err := s.KeysNotUnder(m.ctx, c, keyID, after, batch)
			if err != nil {
				t.Fatalf("KeysNotUnder(%s): %v", c, err)
			}
			if len(ks) > batch {
				t.Fatalf("KeysNotUnder(%s, limit %d) returned %d", c, batch, len(ks))
			}
			if len(ks) == 0 {
				break
			}
			all = append(all, ks...)
			after = ks[len(ks)-1].ID
		}
	}
	return all
}

// testKeysCount checks the counts per column and key, in order, without
// destroyed keys.
func testKeysCount(t *testing.T, m *metaFixture, s navette.KeyStore) {
	if got := counts(t, m, s); len(got) != 0 {
		t.Fatalf("empty store: CountKeys = %v", got)
	}
	m.keyedStore()
	second := m.newDeposit(m.user("Other"))
	second.Key.KeyID = "kek-0"
	if err := m.s.CreateDeposit(m.ctx, second); err != nil {
		t.Fatal(err)
	}
	m.file(second)
	want := []navette.KeyCount{
		{Column: navette.KeyDeposit, KeyID: "kek-0", N: 1}, {Column: navette.KeyDeposit, KeyID: "kek-1", N: 1},
		{Column: navette.KeyProof, KeyID: "kek-2", N: 1},
		{Column: navette.KeyFile, KeyID: "kek-1", N: 2},
		{Column: navette.KeyNotice, KeyID: "kek-1", N: 1},
		{Column: navette.KeyTOTP, KeyID: "kek-1", N: 1},
	}
	if got := counts(t, m, s); !slices.Equal(got, want) {
		t.Errorf("CountKeys =\n%v, want\n%v", got, want)
	}
}

// testKeysReplaceAll re-wraps every key through the cursor, in small
// batches, and reads every object back with its new key.
func testKeysReplaceAll(t *testing.T, m *metaFixture, s navette.KeyStore) {
	k := m.keyedStore()
	for range 3 {
		m.file(k.deposit)
	}
	all := allNotUnder(t, m, s, "kek-2", 2)
	if len(all) != 7 { // deposit, 4 files, notice, TOTP; not the proof key, under kek-2
		t.Fatalf("KeysNotUnder(kek-2): %d keys, want 7: %v", len(all), all)
	}
	all = allNotUnder(t, m, s, "kek-9", 1)
	if len(all) != 8 {
		t.Fatalf("KeysNotUnder(kek-9): %d keys, want 8", len(all))
	}
	news := map[string]navette.WrappedKey{}
	for _, sk := range all {
		if sk.Key.IsZero() {
			t.Fatalf("KeysNotUnder returned a destroyed key: %+v", sk)
		}
		to := navette.WrappedKey{KeyID: "kek-9", Data: metaRandom(41)}
		ok, err := s.ReplaceKey(m.ctx, sk, to)
		if err != nil || !ok {
			t.Fatalf("ReplaceKey(%s %s) = %v, %v; want true", sk.Column, sk.ID, ok, err)
		}
		news[string(sk.Column)+sk.ID] = to
	}
	if left := allNotUnder(t, m, s, "kek-9", 3); len(left) != 0 {
		t.Errorf("after replacing, KeysNotUnder(kek-9) = %v", left)
	}
	want := []navette.KeyCount{{Column: navette.KeyDeposit, KeyID: "kek-9", N: 1}, {Column: navette.KeyProof, KeyID: "kek-9", N: 1},
		{Column: navette.KeyFile, KeyID: "kek-9", N: 4}, {Column: navette.KeyNotice, KeyID: "kek-9", N: 1}, {Column: navette.KeyTOTP, KeyID: "kek-9", N: 1}}
	if got := counts(t, m, s); !slices.Equal(got, want) {
		t.Errorf("CountKeys = %v, want %v", got, want)
	}
	same := func(what string, got navette.WrappedKey, c navette.KeyColumn, id string) {
		t.Helper()
		w := news[string(c)+id]
		if got.KeyID != w.KeyID || !bytes.Equal(got.Data, w.Data) {
			t.Errorf("%s reads back %+v, want %+v", what, got, w)
		}
	}
	d := m.getDeposit(k.deposit.ID)
	same("deposit key", d.Key, navette.KeyDeposit, d.ID)
	same("proof key", d.ProofKey, navette.KeyProof, d.ID)
	if !bytes.Equal(d.Reference, k.deposit.Reference) || d.State != k.deposit.State {
		t.Error("re-wrapping changed more than the deposit's keys")
	}
	for _, f := range m.getFiles(k.deposit.ID) {
		same("file key", f.Key, navette.KeyFile, f.ID)
	}
	same("notice key", m.getNotice(k.notice.ID).Key, navette.KeyNotice, k.notice.ID)
	same("TOTP secret", m.getUser(k.user.ID).TOTP, navette.KeyTOTP, k.user.ID)
	if p := m.getDeposit(k.purged.ID); !p.Key.IsZero() {
		t.Errorf("a destroyed key came back: %+v", p.Key)
	}
}

// testKeysCompareAndSet checks that a key that changed since it was listed
// is left as it is.
func testKeysCompareAndSet(t *testing.T, m *metaFixture, s navette.KeyStore) {
	k := m.keyedStore()
	listed := allNotUnder(t, m, s, "kek-9", 10)
	byCol := map[navette.KeyColumn]navette.StoredKey{}
	for _, sk := range listed {
		byCol[sk.Column] = sk
	}
	// The deposit is purged, the file re-keyed, the notice sent, after
	// they were listed.
	err := m.s.UpdateDeposit(m.ctx, k.deposit.ID, func(d *navette.DepositRecord, fs []*navette.FileRecord) ([]navette.Event, error) {
		d.Key = navette.WrappedKey{}
		fs[0].Key = navette.WrappedKey{KeyID: "kek-1", Data: metaRandom(40)}
		return nil, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	to := navette.WrappedKey{KeyID: "kek-9", Data: metaRandom(40)}
	for _, c := range []navette.KeyColumn{navette.KeyDeposit, navette.KeyFile} {
		if ok, err := s.ReplaceKey(m.ctx, byCol[c], to); ok || err != nil {
			t.Errorf("ReplaceKey(%s changed meanwhile) = %v, %v; want false, nil", c, ok, err)
		}
	}
	if d := m.getDeposit(k.deposit.ID); !d.Key.IsZero() {
		t.Errorf("a destroyed key was written back: %+v", d.Key)
	}
	if f := m.getFiles(k.deposit.ID)[0]; f.Key.KeyID != "kek-1" || bytes.Equal(f.Key.Data, byCol[navette.KeyFile].Key.Data) {
		t.Errorf("file key = %+v, want the one written meanwhile", f.Key)
	}
	gone := navette.StoredKey{Column: navette.KeyFile, ID: navette.NewID(), Key: byCol[navette.KeyFile].Key}
	if ok, err := s.ReplaceKey(m.ctx, gone, to); ok || err != nil {
		t.Errorf("ReplaceKey(no such file) = %v, %v; want false, nil", ok, err)
	}
	zero := navette.StoredKey{Column: navette.KeyDeposit, ID: k.purged.ID}
	if ok, err := s.ReplaceKey(m.ctx, zero, to); ok || err != nil {
		t.Errorf("ReplaceKey(destroyed key) = %v, %v; want false, nil", ok, err)
	}
	if p := m.getDeposit(k.purged.ID); !p.Key.IsZero() {
		t.Errorf("a destroyed key came back: %+v", p.Key)
	}
	// Replacing twice: the second finds the first's key.
	n := byCol[navette.KeyNotice]
	if ok, err := s.ReplaceKey(m.ctx, n, to); !ok || err != nil {
		t.Fatalf("ReplaceKey(notice) = %v, %v", ok, err)
	}
	if ok, err := s.ReplaceKey(m.ctx, n, navette.WrappedKey{KeyID: "kek-8", Data: metaRandom(40)}); ok || err != nil {
		t.Errorf("ReplaceKey(notice, again from the old key) = %v, %v; want false, nil", ok, err)
	}
	if got := m.getNotice(n.ID).Key; got.KeyID != "kek-9" || !bytes.Equal(got.Data, to.Data) {
		t.Errorf("notice key = %+v, want %+v", got, to)
	}
}

// testKeysRefused checks the arguments refused.
func testKeysRefused(t *testing.T, m *metaFixture, s navette.KeyStore) {
	k := m.keyedStore()
	sk := navette.StoredKey{Column: navette.KeyDeposit, ID: k.deposit.ID, Key: k.deposit.Key}
	for _, tt := range []struct {
		name string
		err  error
	}{
		{"unknown column (list)", func() error { _, err := s.KeysNotUnder(m.ctx, "sessions", "k", "", 10); return err }()},
		{"zero limit", func() error { _, err := s.KeysNotUnder(m.ctx, navette.KeyFile, "k", "", 0); return err }()},
		{"negative limit", func() error { _, err := s.KeysNotUnder(m.ctx, navette.KeyFile, "k", "", -1); return err }()},
		{"unknown column (replace)", func() error {
			_, err := s.ReplaceKey(m.ctx, navette.StoredKey{Column: "sessions", ID: k.deposit.ID, Key: k.deposit.Key}, navette.WrappedKey{KeyID: "k", Data: []byte{1}})
			return err
		}()},
		{"no new key", func() error { _, err := s.ReplaceKey(m.ctx, sk, navette.WrappedKey{}); return err }()},
		{"new key without data", func() error { _, err := s.ReplaceKey(m.ctx, sk, navette.WrappedKey{KeyID: "k"}); return err }()},
	} {
		if !navette.IsCode(tt.err, navette.EINVALID) {
			t.Errorf("%s: err = %v, want EINVALID", tt.name, tt.err)
		}
	}
	if d := m.getDeposit(k.deposit.ID); d.Key.KeyID != "kek-1" || !bytes.Equal(d.Key.Data, k.deposit.Key.Data) {
		t.Errorf("a refused call changed the key: %+v", d.Key)
	}
}

// testKeysConcurrent races ReplaceKey against updates of the same deposit
// that carry its key through: a replacement reported done is never undone.
func testKeysConcurrent(t *testing.T, m *metaFixture, s navette.KeyStore) {
	k := m.keyedStore()
	const rounds = 20
	var wg sync.WaitGroup
	errc := make(chan error, 2*rounds)
	wg.Go(func() {
		for range rounds {
			err := m.s.UpdateDeposit(m.ctx, k.deposit.ID, func(d *navette.DepositRecord, fs []*navette.FileRecord) ([]navette.Event, error) {
				d.RetentionDays++
				fs[0].Offset++
				return nil, nil
			})
			if err != nil {
				errc <- err
			}
		}
	})
	var last navette.WrappedKey
	wg.Go(func() {
		for i := range rounds {
			ks, err := s.KeysNotUnder(m.ctx, navette.KeyFile, "none", "", 10)
			if err != nil || len(ks) != 1 {
				errc <- err
				return
			}
			to := navette.WrappedKey{KeyID: "kek-" + string(rune('a'+i)), Data: metaRandom(40)}
			ok, err := s.ReplaceKey(m.ctx, ks[0], to)
			if err != nil {
				errc <- err
			}
			if ok {
				last = to
			}
		}
	})
	wg.Wait()
	close(errc)
	for err := range errc {
		t.Fatal(err)
	}
	f := m.getFiles(k.deposit.ID)[0]
	if last.IsZero() || f.Key.KeyID != last.KeyID || !bytes.Equal(f.Key.Data, last.Data) {
		t.Errorf("file key = %s, want the last replacement %s", f.Key.KeyID, last.KeyID)
	}
	if f.Offset != rounds {
		t.Errorf("file offset = %d, want %d: an update was lost", f.Offset, rounds)
	}
}

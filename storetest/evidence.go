package storetest

import (
	"bytes"
	"crypto/sha256"
	"sync"
	"testing"
	"time"

	"navette"
)

// evidenceStore returns the store under test as a navette.EvidenceStore.
func (m *metaFixture) evidenceStore() navette.EvidenceStore {
	m.t.Helper()
	es, ok := m.s.(navette.EvidenceStore)
	if !ok {
		m.t.Fatalf("%T does not implement navette.EvidenceStore", m.s)
	}
	return es
}

// claimed returns an event of type typ about deposit depositID carrying
// claims: a random document, its digest and its "sealed" bytes.
func (m *metaFixture) claimed(typ navette.EventType, depositID string) navette.Event {
	e := m.event(typ, "", depositID)
	doc := metaRandom(64)
	sum := sha256.Sum256(doc)
	e.Claims, e.SealedClaims = sum[:], metaRandom(100)
	return e
}

// wantEvidence returns the evidence event e should leave.
func wantEvidence(e navette.Event) *navette.Evidence {
	return &navette.Evidence{Digest: e.Claims, DepositID: e.DepositID, Kind: e.Type.ProofKind(), Sealed: e.SealedClaims, CreatedAt: e.Time}
}

// testMetaProofKey checks that a deposit's proof key and proof retention
// are kept, changed and cleared like its other fields.
func testMetaProofKey(t *testing.T, m *metaFixture) {
	alice, bob := m.user("Alice"), m.user("Bob")
	d := m.newDeposit(alice, bob)
	d.ProofKey = navette.WrappedKey{KeyID: "kek-2", Data: metaRandom(60)}
	if err := m.s.CreateDeposit(m.ctx, d); err != nil {
		t.Fatal(err)
	}
	got := m.getDeposit(d.ID)
	metaEqual(t, "proof key", got.ProofKey, d.ProofKey)
	if !got.ProofUntil.IsZero() {
		t.Errorf("ProofUntil %v, want zero", got.ProofUntil)
	}
	until := m.now().Add(365 * 24 * time.Hour)
	err := m.s.UpdateDeposit(m.ctx, d.ID, func(d *navette.DepositRecord, _ []*navette.FileRecord) ([]navette.Event, error) {
		d.Key, d.PurgedAt, d.ProofUntil = navette.WrappedKey{}, m.clock.Now(), until
		return nil, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	got = m.getDeposit(d.ID)
	if !got.Key.IsZero() || got.ProofUntil != until {
		t.Errorf("after purge: key %+v, ProofUntil %v, want zero and %v", got.Key, got.ProofUntil, until)
	}
	metaEqual(t, "proof key after purge", got.ProofKey, d.ProofKey)
	ds := m.list(navette.DepositFilter{UserID: alice.ID, Box: navette.BoxSent, States: []navette.DepositState{navette.DepositDraft}})
	if len(ds) != 1 || ds[0].ProofUntil != until || !bytes.Equal(ds[0].ProofKey.Data, d.ProofKey.Data) {
		t.Errorf("ListDeposits lost the proof fields: %s", metaDump(ds))
	}
}

// testMetaEvidenceWithEvents checks that evidence is written with the
// events that carry it, by every kind of write, read back by digest and by
// deposit, and never returned with the events.
func testMetaEvidenceWithEvents(t *testing.T, m *metaFixture) {
	es := m.evidenceStore()
	alice, bob := m.user("Alice"), m.user("Bob")
	d := m.newDeposit(alice, bob)
	created := m.claimed(navette.EventDepositSubmitted, d.ID)
	if err := m.s.CreateDeposit(m.ctx, d, created); err != nil {
		t.Fatal(err)
	}
	m.now()
	available := m.claimed(navette.EventDepositAvailable, d.ID)
	plain := m.event(navette.EventDepositReminded, "", d.ID)
	err := m.s.UpdateDeposit(m.ctx, d.ID, func(*navette.DepositRecord, []*navette.FileRecord) ([]navette.Event, error) {
		return []navette.Event{available, plain}, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	m.now()
	opened := m.claimed(navette.EventDepositOpened, d.ID)
	if err := m.s.AppendEvents(m.ctx, opened); err != nil {
		t.Fatal(err)
	}
	other := m.deposit(navette.DepositAvailable, bob, alice)
	m.now()
	elsewhere := m.claimed(navette.EventDepositRevoked, other.ID)
	if err := m.s.AppendEvents(m.ctx, elsewhere); err != nil {
		t.Fatal(err)
	}

	for _, e := range []navette.Event{created, available, opened, elsewhere} {
		got, err := es.Evidence(m.ctx, e.Claims)
		if err != nil {
			t.Fatalf("Evidence(%s): %v", e.Type, err)
		}
		metaEqual(t, "Evidence of "+string(e.Type), got, wantEvidence(e))
	}
	all, err := es.DepositEvidence(m.ctx, d.ID)
	if err != nil {
		t.Fatal(err)
	}
	metaEqual(t, "DepositEvidence", all, []*navette.Evidence{wantEvidence(created), wantEvidence(available), wantEvidence(opened)})
	none, err := es.DepositEvidence(m.ctx, navette.NewID())
	if err != nil || len(none) != 0 {
		t.Errorf("DepositEvidence of an unknown deposit: %v, %v", none, err)
	}
	_, err = es.Evidence(m.ctx, make([]byte, 32))
	metaCode(t, "Evidence of an unknown digest", err, navette.ENOTFOUND)
	for _, e := range m.events(d.ID) {
		if e.SealedClaims != nil || e.Notices != nil {
			t.Errorf("event %s read back with its sealed claims or notices", e.Type)
		}
	}
	if n := len(m.events(d.ID)); n != 4 {
		t.Errorf("%d events, want 4", n)
	}
}

// testMetaEvidenceRefused checks that evidence the table cannot hold is
// refused with its events and the change they go with.
func testMetaEvidenceRefused(t *testing.T, m *metaFixture) {
	es := m.evidenceStore()
	alice, bob := m.user("Alice"), m.user("Bob")
	d := m.deposit(navette.DepositAvailable, alice, bob)
	first := m.claimed(navette.EventDepositOpened, d.ID)
	if err := m.s.AppendEvents(m.ctx, first); err != nil {
		t.Fatal(err)
	}
	before := len(m.events(""))
	short := m.claimed(navette.EventDepositOpened, d.ID)
	short.Claims = short.Claims[:31]
	noDeposit := m.claimed(navette.EventDepositOpened, "")
	noKind := m.claimed(navette.EventAccessDenied, d.ID)
	again := m.claimed(navette.EventFileDownloaded, d.ID)
	again.Claims = first.Claims
	unknown := m.claimed(navette.EventDepositOpened, navette.NewID())
	for _, tc := range []struct {
		name string
		e    navette.Event
		code string
	}{
		{"short digest", short, navette.EINVALID},
		{"no deposit", noDeposit, navette.EINVALID},
		{"no proof kind", noKind, navette.EINVALID},
		{"digest known", again, navette.ECONFLICT},
		{"unknown deposit", unknown, navette.ENOTFOUND},
	} {
		err := m.s.AppendEvents(m.ctx, tc.e)
		metaCode(t, "AppendEvents, "+tc.name, err, tc.code)
		err = m.s.UpdateDeposit(m.ctx, d.ID, func(d *navette.DepositRecord, _ []*navette.FileRecord) ([]navette.Event, error) {
			d.RetentionDays = 99
			return []navette.Event{tc.e}, nil
		})
		metaCode(t, "UpdateDeposit, "+tc.name, err, tc.code)
	}
	if got := m.getDeposit(d.ID); got.RetentionDays == 99 {
		t.Error("a refused evidence let its change through")
	}
	if after := len(m.events("")); after != before {
		t.Errorf("%d events appended with refused evidence", after-before)
	}
	all, err := es.DepositEvidence(m.ctx, d.ID)
	if err != nil || len(all) != 1 {
		t.Errorf("DepositEvidence: %d, %v; want only the first", len(all), err)
	}
}

// purgedFor creates a purged deposit with a proof key whose proof
// retention ends at until, with n pieces of evidence.
func (m *metaFixture) purgedFor(until time.Time, n int) (*navette.DepositRecord, []navette.Event) {
	m.t.Helper()
	d := m.newDeposit(m.user("S"+navette.NewID()[:6]), m.user("R"+navette.NewID()[:6]))
	metaSetState(d, navette.DepositExpired)
	d.ProofKey = navette.WrappedKey{KeyID: "kek-1", Data: metaRandom(60)}
	var evs []navette.Event
	for range n {
		evs = append(evs, m.claimed(navette.EventDepositPurged, d.ID))
	}
	if err := m.s.CreateDeposit(m.ctx, d, evs...); err != nil {
		m.t.Fatal(err)
	}
	err := m.s.UpdateDeposit(m.ctx, d.ID, func(d *navette.DepositRecord, _ []*navette.FileRecord) ([]navette.Event, error) {
		d.Key, d.Reference, d.Message, d.PurgedAt, d.ProofUntil = navette.WrappedKey{}, nil, nil, m.clock.Now(), until
		return nil, nil
	})
	if err != nil {
		m.t.Fatal(err)
	}
	return d, evs
}

func testMetaDueEvidence(t *testing.T, m *metaFixture) {
	es := m.evidenceStore()
	now := m.clock.Now().Add(1000 * 24 * time.Hour)
	late, _ := m.purgedFor(now.Add(-time.Hour), 1)
	early, _ := m.purgedFor(now.Add(-2*time.Hour), 2)
	exact, _ := m.purgedFor(now, 0)
	m.purgedFor(now.Add(time.Microsecond), 1)                     // not yet
	m.deposit(navette.DepositAvailable, m.user("A"), m.user("B")) // not purged
	keyless, _ := m.purgedFor(now.Add(-3*time.Hour), 1)
	err := m.s.UpdateDeposit(m.ctx, keyless.ID, func(d *navette.DepositRecord, _ []*navette.FileRecord) ([]navette.Event, error) {
		d.ProofKey = navette.WrappedKey{}
		return nil, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	bare, _ := m.purgedFor(now.Add(-4*time.Hour), 0)
	err = m.s.UpdateDeposit(m.ctx, bare.ID, func(d *navette.DepositRecord, _ []*navette.FileRecord) ([]navette.Event, error) {
		d.ProofKey = navette.WrappedKey{}
		return nil, nil
	})
	if err != nil {
		t.Fatal(err)
	}

	ids, err := es.DueEvidence(m.ctx, now, 10)
	if err != nil {
		t.Fatal(err)
	}
	metaEqual(t, "DueEvidence", ids, []string{keyless.ID, early.ID, late.ID, exact.ID})
	ids, err = es.DueEvidence(m.ctx, now, 2)
	if err != nil {
		t.Fatal(err)
	}
	metaEqual(t, "DueEvidence, limit 2", ids, []string{keyless.ID, early.ID})
	_, err = es.DueEvidence(m.ctx, now, 0)
	metaCode(t, "DueEvidence, limit 0", err, navette.EINVALID)
}

func testMetaDeleteEvidence(t *testing.T, m *metaFixture) {
	es := m.evidenceStore()
	until := m.clock.Now().Add(400 * 24 * time.Hour)
	d, evs := m.purgedFor(until, 3)
	kept, keptEvs := m.purgedFor(until, 1)
	deleted := func() navette.Event {
		e := m.event(navette.EventEvidenceDeleted, "", d.ID)
		e.Detail = "3"
		return e
	}
	// Notices of d never sent (one dead, one pending) keep the reference
	// and file names sealed under the KEK until the evidence goes; one of
	// the kept deposit keeps them.
	r := m.user("R" + navette.NewID()[:6])
	dead, pending := m.newNotice(navette.NoticeDeposit, r, d.ID), m.newNotice(navette.NoticeReminder, r, d.ID)
	dead.NextAttemptAt = m.now().Add(-time.Hour)
	other := m.notices(m.newNotice(navette.NoticeDeposit, r, kept.ID))[0]
	m.notices(dead, pending)
	claimed, err := m.s.ClaimNotices(m.ctx, dead.NextAttemptAt, time.Minute, 1)
	if err != nil || len(claimed) != 1 || claimed[0].ID != dead.ID {
		t.Fatalf("ClaimNotices: %v, %v", claimed, err)
	}
	if err := m.s.NoticeFailed(m.ctx, dead.ID, 1, "550 no such mailbox", time.Time{}, true); err != nil {
		t.Fatal(err)
	}

	done, err := es.DeleteEvidence(m.ctx, d.ID, until.Add(-time.Microsecond), deleted())
	if err != nil || done {
		t.Fatalf("DeleteEvidence before the end: %v, %v; want false", done, err)
	}
	if got := m.getDeposit(d.ID); got.ProofKey.IsZero() {
		t.Error("proof key destroyed before the end of the proof retention")
	}
	before := len(m.events(""))

	done, err = es.DeleteEvidence(m.ctx, d.ID, until, deleted())
	if err != nil || !done {
		t.Fatalf("DeleteEvidence at the end: %v, %v; want true", done, err)
	}
	got := m.getDeposit(d.ID)
	if !got.ProofKey.IsZero() || got.ProofUntil != until {
		t.Errorf("after DeleteEvidence: proof key %+v, ProofUntil %v", got.ProofKey, got.ProofUntil)
	}
	for _, e := range evs {
		_, err := es.Evidence(m.ctx, e.Claims)
		metaCode(t, "Evidence after DeleteEvidence", err, navette.ENOTFOUND)
	}
	if all, err := es.DepositEvidence(m.ctx, d.ID); err != nil || len(all) != 0 {
		t.Errorf("DepositEvidence after DeleteEvidence: %d, %v", len(all), err)
	}
	all := m.events("")
	if len(all) != before+1 || all[len(all)-1].Type != navette.EventEvidenceDeleted || all[len(all)-1].DepositID != d.ID {
		t.Errorf("events after DeleteEvidence: %d new, last %+v", len(all)-before, all[len(all)-1])
	}
	if _, err := es.Evidence(m.ctx, keptEvs[0].Claims); err != nil {
		t.Errorf("another deposit's evidence went: %v", err)
	}
	if got := m.getDeposit(kept.ID); got.ProofKey.IsZero() {
		t.Error("another deposit's proof key went")
	}
	for _, tc := range []struct {
		name  string
		id    string
		state navette.NoticeState
	}{{"dead notice", dead.ID, navette.NoticeDead}, {"pending notice", pending.ID, navette.NoticePending}} {
		n := m.getNotice(tc.id)
		if !n.Key.IsZero() || n.Payload != nil || n.State != tc.state {
			t.Errorf("%q after DeleteEvidence: key %q, payload %d bytes, state %s; want none, none, %s", tc.name, n.Key.KeyID, len(n.Payload), n.State, tc.state)
		}
	}
	if n := m.getNotice(other.ID); n.Key.IsZero() || n.Payload == nil {
		t.Error("another deposit's notice lost its payload")
	}

	done, err = es.DeleteEvidence(m.ctx, d.ID, until.Add(time.Hour), deleted())
	if err != nil || done {
		t.Errorf("DeleteEvidence again: %v, %v; want false", done, err)
	}
	if n := len(m.events("")); n != before+1 {
		t.Errorf("DeleteEvidence again appended %d events", n-before-1)
	}
	_, err = es.DeleteEvidence(m.ctx, navette.NewID(), until)
	metaCode(t, "DeleteEvidence of an unknown deposit", err, navette.ENOTFOUND)
	live := m.deposit(navette.DepositAvailable, m.user("C"), m.user("D"))
	if done, err := es.DeleteEvidence(m.ctx, live.ID, until); err != nil || done {
		t.Errorf("DeleteEvidence of a live deposit: %v, %v", done, err)
	}
}

// testMetaDeleteEvidenceConcurrent checks that of several sweepers ending
// one deposit's proof retention at once, one does it.
func testMetaDeleteEvidenceConcurrent(t *testing.T, m *metaFixture) {
	es := m.evidenceStore()
	until := m.clock.Now()
	d, _ := m.purgedFor(until, 2)
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		wins int
	)
	for range 6 {
		wg.Go(func() {
			done, err := es.DeleteEvidence(m.ctx, d.ID, until, m.event(navette.EventEvidenceDeleted, "", d.ID))
			if err != nil {
				t.Error(err)
			}
			if done {
				mu.Lock()
				wins++
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if wins != 1 {
		t.Errorf("%d sweepers deleted the evidence, want 1", wins)
	}
	n := 0
	for _, e := range m.events(d.ID) {
		if e.Type == navette.EventEvidenceDeleted {
			n++
		}
	}
	if n != 1 {
		t.Errorf("%d evidence.deleted events, want 1", n)
	}
}

func testMetaSearchEvidence(t *testing.T, m *metaFixture) {
	es := m.evidenceStore()
	alice, bob := m.user("Alice"), m.user("Bob")
	d := m.deposit(navette.DepositAvailable, alice, bob)
	var all []navette.Event // oldest first
	for i, typ := range []navette.EventType{navette.EventDepositSubmitted, navette.EventDepositAvailable, navette.EventDepositOpened,
		navette.EventFileDownloaded, navette.EventFileDownloaded, navette.EventDepositPurged} {
		e := m.claimed(typ, d.ID)
		if i == 4 {
			e.Time = all[3].Time // two at the same time: the digest orders them
		}
		if err := m.s.AppendEvents(m.ctx, e); err != nil {
			t.Fatal(err)
		}
		all = append(all, e)
		m.now()
	}
	if bytes.Compare(all[3].Claims, all[4].Claims) > 0 {
		all[3], all[4] = all[4], all[3]
	}
	want := func(idx ...int) []*navette.Evidence {
		var out []*navette.Evidence
		for _, i := range idx {
			out = append(out, wantEvidence(all[i]))
		}
		return out
	}
	search := func(f navette.EvidenceFilter) []*navette.Evidence {
		t.Helper()
		got, err := es.SearchEvidence(m.ctx, f)
		if err != nil {
			t.Fatalf("SearchEvidence(%+v): %v", f, err)
		}
		return got
	}
	metaEqual(t, "every piece", search(navette.EvidenceFilter{}), want(5, 4, 3, 2, 1, 0))
	metaEqual(t, "downloads", search(navette.EvidenceFilter{Kind: navette.ProofDownloaded}), want(4, 3))
	metaEqual(t, "a period", search(navette.EvidenceFilter{Since: all[1].Time, Until: all[5].Time}), want(4, 3, 2, 1))
	metaEqual(t, "limit", search(navette.EvidenceFilter{Limit: 2}), want(5, 4))
	metaEqual(t, "next page", search(navette.EvidenceFilter{Limit: 2, Before: all[4].Time, BeforeDigest: all[4].Claims}), want(3, 2))
	metaEqual(t, "before a time", search(navette.EvidenceFilter{Before: all[3].Time}), want(2, 1, 0))
	_, err := es.SearchEvidence(m.ctx, navette.EvidenceFilter{Limit: -1})
	metaCode(t, "SearchEvidence with a negative limit", err, navette.EINVALID)
}

// TestNoticeShredBackfill checks migration 38 on a store whose data was
// written before it: the notices never sent of a purged deposit that keeps
// no evidence (its proof retention ended, or it was purged before there
// was any) lose their key and payload; those of a deposit whose evidence is
// kept, or of a live one, keep them. again reopens the store after taking
// its database back to a version before the migration.
func TestNoticeShredBackfill(t *testing.T, s navette.MetaStore, again func(t *testing.T) navette.MetaStore) {
	m := &metaFixture{t: t, s: s, ctx: t.Context(), clock: navette.NewFakeClock(metaEpoch)}
	until := m.clock.Now().Add(400 * 24 * time.Hour)
	ended, _ := m.purgedFor(until, 0)
	err := m.s.UpdateDeposit(m.ctx, ended.ID, func(d *navette.DepositRecord, _ []*navette.FileRecord) ([]navette.Event, error) {
		d.ProofKey = navette.WrappedKey{}
		return nil, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	kept, _ := m.purgedFor(until, 1)
	live := m.deposit(navette.DepositAvailable, m.user("A"), m.user("B"))
	r := m.user("R")
	dead := m.newNotice(navette.NoticeDeposit, r, ended.ID)
	dead.NextAttemptAt = m.now().Add(-time.Hour)
	ns := m.notices(dead, m.newNotice(navette.NoticeReminder, r, ended.ID))
	ns = append(ns, m.notices(m.newNotice(navette.NoticeDeposit, r, kept.ID))...)
	ns = append(ns, m.notices(m.newNotice(navette.NoticeDeposit, r, live.ID))...)
	if c, err := m.s.ClaimNotices(m.ctx, dead.NextAttemptAt, time.Minute, 1); err != nil || len(c) != 1 {
		t.Fatalf("ClaimNotices: %v, %v", c, err)
	}
	if err := m.s.NoticeFailed(m.ctx, dead.ID, 1, "550 no such mailbox", time.Time{}, true); err != nil {
		t.Fatal(err)
	}
	m.s = again(t)
	for i, keeps := range []bool{false, false, true, true} {
		n := m.getNotice(ns[i].ID)
		if got := !n.Key.IsZero() && n.Payload != nil; got != keeps {
			t.Errorf("notice %d (%s of deposit %s, %s) after the migration: keeps its payload %v, want %v", i, n.Kind, n.DepositID, n.State, got, keeps)
		}
	}
}

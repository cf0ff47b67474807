package storetest

import (
	"errors"
	"sync"
	"testing"

	"navette"
)

// testMetaJournalChain checks that every event appended, by every kind of
// write and by concurrent writers, extends one hash chain that
// navette.VerifyJournal accepts, and that a checkpoint holds.
func testMetaJournalChain(t *testing.T, m *metaFixture) {
	_, err := m.s.JournalHead(m.ctx)
	metaCode(t, "JournalHead of an empty journal", err, navette.ENOTFOUND)
	alice, bob := m.user("Alice"), m.user("Bob")
	d := m.deposit(navette.DepositDraft, alice, bob)
	m.file(d)
	if err := m.s.AppendEvents(m.ctx, m.event(navette.EventAccessDenied, bob.ID, d.ID), m.event(navette.EventAccessDenied, alice.ID, "")); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 10 {
				if err := m.s.AppendEvents(m.ctx, m.event(navette.EventAccessDenied, bob.ID, d.ID)); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	c, err := navette.VerifyJournal(m.ctx, m.s, nil)
	if err != nil {
		t.Fatalf("VerifyJournal: %v", err)
	}
	all := m.events("")
	if c.Events != len(all) || c.Unchained != 0 || c.LastSeq != all[len(all)-1].Seq || string(c.Head) != string(all[len(all)-1].Hash) {
		t.Errorf("VerifyJournal: %+v, want %d events ending at %d", c, len(all), all[len(all)-1].Seq)
	}
	if c.Events < 82 {
		t.Errorf("only %d events", c.Events)
	}
	head, err := m.s.JournalHead(m.ctx)
	if err != nil {
		t.Fatal(err)
	}
	metaEqual(t, "JournalHead", head, &all[len(all)-1])

	mid := all[len(all)/2]
	if _, err := navette.VerifyJournal(m.ctx, m.s, &navette.Event{Seq: mid.Seq, Hash: mid.Hash}); err != nil {
		t.Errorf("VerifyJournal with a checkpoint: %v", err)
	}
	bad := &navette.Event{Seq: mid.Seq, Hash: all[0].Hash}
	if _, err := navette.VerifyJournal(m.ctx, m.s, bad); !errors.Is(err, navette.ErrJournalBroken) {
		t.Errorf("VerifyJournal with a wrong checkpoint: %v", err)
	}
	gone := &navette.Event{Seq: c.LastSeq + 5, Hash: mid.Hash}
	if _, err := navette.VerifyJournal(m.ctx, m.s, gone); !errors.Is(err, navette.ErrJournalBroken) {
		t.Errorf("VerifyJournal with a checkpoint past the end: %v", err)
	}
}

// TestJournalTamper checks that navette.VerifyJournal finds an event
// altered or removed behind the store's back. open returns a fresh store
// and exec, which runs SQL on its database as its owner; disable is the
// statement that lifts the journal's append-only triggers.
func TestJournalTamper(t *testing.T, open func(t *testing.T) (navette.MetaStore, func(query string, args ...any) error), disable string) {
	for _, c := range []struct {
		name  string
		query string
	}{
		{"altered", `UPDATE events SET detail = 'forged' WHERE seq = $1`},
		{"removed", `DELETE FROM events WHERE seq = $1`},
		{"hash altered", `UPDATE events SET hash = sha256 WHERE seq = $1`},
	} {
		t.Run(c.name, func(t *testing.T) {
			s, exec := open(t)
			m := &metaFixture{t: t, s: s, ctx: t.Context(), clock: navette.NewFakeClock(metaEpoch)}
			u := m.user("Alice")
			for range 5 {
				if err := s.AppendEvents(m.ctx, m.event(navette.EventAccessDenied, u.ID, "")); err != nil {
					t.Fatal(err)
				}
			}
			all := m.events("")
			if _, err := navette.VerifyJournal(m.ctx, s, nil); err != nil {
				t.Fatalf("before: %v", err)
			}
			if err := exec(`UPDATE events SET detail = 'x' WHERE seq = $1`, all[2].Seq); err == nil {
				t.Fatal("the journal accepted an update with its triggers on")
			}
			if err := exec(disable); err != nil {
				t.Fatal(err)
			}
			if err := exec(c.query, all[2].Seq); err != nil {
				t.Fatal(err)
			}
			_, err := navette.VerifyJournal(m.ctx, s, nil)
			if !errors.Is(err, navette.ErrJournalBroken) {
				t.Fatalf("after: %v, want the chain broken", err)
			}
			t.Log(err)
		})
	}
}

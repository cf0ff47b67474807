package storetest

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/tlog"

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

// testMetaJournalTree checks that every event appended, by concurrent
// writers too, becomes the next leaf of one tree whose stored hashes are
// those tlog computes from the events' leaves, and that events carry their
// claims digest.
func testMetaJournalTree(t *testing.T, m *metaFixture) {
	if n, err := m.s.TreeSize(m.ctx); err != nil || n != 0 {
		t.Errorf("TreeSize of an empty journal = %d, %v", n, err)
	}
	_, err := m.s.EventByLeaf(m.ctx, 0)
	metaCode(t, "EventByLeaf of an empty journal", err, navette.ENOTFOUND)
	_, err = m.s.ReadHashes(m.ctx, []int64{0})
	metaCode(t, "ReadHashes of an empty tree", err, navette.ENOTFOUND)

	alice, bob := m.user("Alice"), m.user("Bob")
	d := m.deposit(navette.DepositDraft, alice, bob)
	m.file(d)
	claims := sha256.Sum256([]byte(`{"v":1,"kind":"downloaded"}`))
	e := m.event(navette.EventFileDownloaded, bob.ID, d.ID)
	e.Claims, e.Leaf = claims[:], 12345
	if err := m.s.AppendEvents(m.ctx, e, m.event(navette.EventAccessDenied, alice.ID, "")); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for range 80 {
		wg.Go(func() {
			if err := m.s.AppendEvents(m.ctx, m.event(navette.EventAccessDenied, bob.ID, d.ID), m.event(navette.EventAccessDenied, alice.ID, d.ID)); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()

	all := m.events("")
	n, err := m.s.TreeSize(m.ctx)
	if err != nil || n != int64(len(all)) {
		t.Fatalf("TreeSize = %d, %v; want %d", n, err, len(all))
	}
	for i := range all {
		if all[i].Type == navette.EventFileDownloaded {
			metaEqual(t, "claims read back", all[i].Claims, claims[:])
		} else if all[i].Claims != nil {
			t.Errorf("event %d has claims %x", i, all[i].Claims)
		}
	}
	hashes := CheckJournalTree(t, m.s)
	mem := tlog.HashReaderFunc(func(xs []int64) ([]tlog.Hash, error) {
		out := make([]tlog.Hash, len(xs))
		for i, x := range xs {
			out[i] = hashes[x]
		}
		return out, nil
	})
	_, err = m.s.ReadHashes(m.ctx, []int64{0, int64(len(hashes))})
	metaCode(t, "ReadHashes past the tree", err, navette.ENOTFOUND)

	for _, i := range []int{0, len(all) / 2, len(all) - 1} {
		got, err := m.s.EventByLeaf(m.ctx, int64(i))
		if err != nil {
			t.Fatal(err)
		}
		metaEqual(t, fmt.Sprintf("EventByLeaf(%d)", i), got, &all[i])
	}
	_, err = m.s.EventByLeaf(m.ctx, int64(len(all)))
	metaCode(t, "EventByLeaf past the tree", err, navette.ENOTFOUND)

	r := tlog.HashReaderFunc(func(xs []int64) ([]tlog.Hash, error) { return m.s.ReadHashes(m.ctx, xs) })
	for _, size := range []int64{1, 7, int64(len(all))} {
		want, _ := tlog.TreeHash(size, mem)
		got, err := tlog.TreeHash(size, r)
		if err != nil || got != want {
			t.Errorf("TreeHash(%d) over the store = %v, %v; want %v", size, got, err, want)
		}
	}
}

// testMetaCheckpoints checks that checkpoints are kept as given, found by
// size, and stamped once.
func testMetaCheckpoints(t *testing.T, m *metaFixture) {
	_, err := m.s.LatestCheckpoint(m.ctx)
	metaCode(t, "LatestCheckpoint with none", err, navette.ENOTFOUND)
	cp := func(size int64) *navette.Checkpoint {
		c := &navette.Checkpoint{Size: size, Note: fmt.Appendf(nil, "example/log\n%d\nroot\n\n— sig\n", size), CreatedAt: m.now()}
		c.Root[0], c.Root[31] = byte(size), 0xff
		return c
	}
	var want []*navette.Checkpoint
	for _, size := range []int64{3, 10, 1, 42} {
		c := cp(size)
		if err := m.s.AddCheckpoint(m.ctx, c); err != nil {
			t.Fatalf("AddCheckpoint(%d): %v", size, err)
		}
		want = append(want, c)
	}
	stamped := cp(50)
	stamped.Token, stamped.StampedAt = []byte{0x30, 0x03, 1, 2, 3}, m.now()
	if err := m.s.AddCheckpoint(m.ctx, stamped); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		what string
		c    *navette.Checkpoint
		code string
	}{
		{"same size", cp(10), navette.ECONFLICT},
		{"nil", nil, navette.EINVALID},
		{"size 0", cp(0), navette.EINVALID},
		{"no note", &navette.Checkpoint{Size: 5, CreatedAt: m.now()}, navette.EINVALID},
		{"no time", &navette.Checkpoint{Size: 5, Note: []byte("n")}, navette.EINVALID},
	} {
		metaCode(t, "AddCheckpoint "+c.what, m.s.AddCheckpoint(m.ctx, c.c), c.code)
	}
	latest, err := m.s.LatestCheckpoint(m.ctx)
	if err != nil {
		t.Fatal(err)
	}
	metaEqual(t, "LatestCheckpoint", latest, stamped)

	bySize := func(cs ...*navette.Checkpoint) []*navette.Checkpoint {
		out := slices.Clone(cs)
		slices.SortFunc(out, func(a, b *navette.Checkpoint) int { return int(a.Size - b.Size) })
		return out
	}
	for _, c := range []struct {
		f    navette.CheckpointFilter
		want []*navette.Checkpoint
	}{
		{navette.CheckpointFilter{}, bySize(append(want, stamped)...)},
		{navette.CheckpointFilter{MinSize: 4, Limit: 1}, []*navette.Checkpoint{want[1]}},
		{navette.CheckpointFilter{MinSize: 10}, []*navette.Checkpoint{want[1], want[3], stamped}},
		{navette.CheckpointFilter{MinSize: 51}, nil},
		{navette.CheckpointFilter{Unstamped: true}, bySize(want...)},
		{navette.CheckpointFilter{Unstamped: true, MinSize: 11}, []*navette.Checkpoint{want[3]}},
	} {
		got, err := m.s.Checkpoints(m.ctx, c.f)
		if err != nil {
			t.Fatal(err)
		}
		metaEqual(t, fmt.Sprintf("Checkpoints(%+v)", c.f), got, c.want)
	}
	_, err = m.s.Checkpoints(m.ctx, navette.CheckpointFilter{Limit: -1})
	metaCode(t, "Checkpoints with a negative limit", err, navette.EINVALID)

	at := m.now()
	if err := m.s.StampCheckpoint(m.ctx, 10, []byte("token"), at); err != nil {
		t.Fatal(err)
	}
	metaCode(t, "StampCheckpoint again", m.s.StampCheckpoint(m.ctx, 10, []byte("other"), at), navette.ECONFLICT)
	metaCode(t, "StampCheckpoint of no checkpoint", m.s.StampCheckpoint(m.ctx, 11, []byte("token"), at), navette.ENOTFOUND)
	metaCode(t, "StampCheckpoint without token", m.s.StampCheckpoint(m.ctx, 42, nil, at), navette.EINVALID)
	metaCode(t, "StampCheckpoint without time", m.s.StampCheckpoint(m.ctx, 42, []byte("t"), time.Time{}), navette.EINVALID)
	got, err := m.s.Checkpoints(m.ctx, navette.CheckpointFilter{MinSize: 10, Limit: 1})
	if err != nil {
		t.Fatal(err)
	}
	want[1].Token, want[1].StampedAt = []byte("token"), at
	metaEqual(t, "stamped checkpoint", got, []*navette.Checkpoint{want[1]})
	got, err = m.s.Checkpoints(m.ctx, navette.CheckpointFilter{Unstamped: true})
	if err != nil {
		t.Fatal(err)
	}
	metaEqual(t, "unstamped after stamping", got, []*navette.Checkpoint{want[2], want[0], want[3]})
}

// CheckJournalTree fails t unless every event of s is the leaf of the
// journal's tree its position says, and the tree's stored hashes are those
// tlog computes from the events' leaves. It returns those hashes.
func CheckJournalTree(t *testing.T, s navette.JournalStore) []tlog.Hash {
	t.Helper()
	ctx := t.Context()
	var (
		hashes []tlog.Hash
		n      int64
		after  int64
	)
	mem := tlog.HashReaderFunc(func(xs []int64) ([]tlog.Hash, error) {
		out := make([]tlog.Hash, len(xs))
		for i, x := range xs {
			out[i] = hashes[x]
		}
		return out, nil
	})
	for {
		evs, err := s.Events(ctx, navette.EventFilter{AfterSeq: after})
		if err != nil {
			t.Fatal(err)
		}
		for i := range evs {
			e := &evs[i]
			if e.Leaf != n {
				t.Fatalf("event seq %d has leaf %d, want %d", e.Seq, e.Leaf, n)
			}
			hs, err := tlog.StoredHashes(n, navette.EventLeaf(e), mem)
			if err != nil {
				t.Fatal(err)
			}
			hashes = append(hashes, hs...)
			n++
			after = e.Seq
		}
		if len(evs) < 1000 {
			break
		}
	}
	if size, err := s.TreeSize(ctx); err != nil || size != n {
		t.Fatalf("TreeSize = %d, %v; want %d", size, err, n)
	}
	idx := make([]int64, len(hashes))
	for i := range idx {
		idx[i] = int64(i)
	}
	stored, err := s.ReadHashes(ctx, idx)
	if err != nil {
		t.Fatal(err)
	}
	for i := range stored {
		if stored[i] != hashes[i] {
			t.Fatalf("stored hash %d is %v, want %v", i, stored[i], hashes[i])
		}
	}
	if n > 0 {
		if _, err := s.ReadHashes(ctx, []int64{int64(len(hashes))}); navette.ErrorCode(err) != navette.ENOTFOUND {
			t.Errorf("stored hash %d after the tree's: %v", len(hashes), err)
		}
	}
	return hashes
}

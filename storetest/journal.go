package storetest

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/tlog"

	"navette"
	"navette/keyring"
	"navette/proof"
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

// testMetaJournalBulk checks that a thousand events appended at once, as
// a directory import does, keep their order in the chain and the tree
// (sequence numbers and leaves in the order given), between smaller
// appends, and that the tree's stored hashes are those tlog computes.
func testMetaJournalBulk(t *testing.T, m *metaFixture) {
	alice := m.user("Alice")
	appendN := func(from, n int) {
		t.Helper()
		evs := make([]navette.Event, n)
		for i := range evs {
			evs[i] = m.event(navette.EventUserUpdated, alice.ID, "")
			evs[i].Detail = fmt.Sprintf("bulk %d", from+i)
		}
		if err := m.s.AppendEvents(m.ctx, evs...); err != nil {
			t.Fatal(err)
		}
	}
	appendN(0, 3)
	appendN(3, 1234)
	appendN(1237, 1)
	appendN(1238, 501)
	var all []navette.Event
	for after := int64(0); ; {
		page, err := m.s.Events(m.ctx, navette.EventFilter{AfterSeq: after})
		if err != nil {
			t.Fatal(err)
		}
		if len(page) == 0 {
			break
		}
		all = append(all, page...)
		after = page[len(page)-1].Seq
	}
	if len(all) != 1739 {
		t.Fatalf("%d events, want 1739", len(all))
	}
	for i, e := range all {
		if e.Detail != fmt.Sprintf("bulk %d", i) || e.Leaf != int64(i) {
			t.Fatalf("event %d (seq %d) is %q at leaf %d", i, e.Seq, e.Detail, e.Leaf)
		}
	}
	if _, err := navette.VerifyJournal(m.ctx, m.s, nil); err != nil {
		t.Fatalf("VerifyJournal: %v", err)
	}
	if hashes := CheckJournalTree(t, m.s); len(hashes) != int(tlog.StoredHashCount(1739)) {
		t.Errorf("%d stored hashes, want %d", len(hashes), tlog.StoredHashCount(1739))
	}
	for _, leaf := range []int64{0, 99, 100, 1236, 1237, 1738} {
		got, err := m.s.EventByLeaf(m.ctx, leaf)
		if err != nil {
			t.Fatal(err)
		}
		metaEqual(t, fmt.Sprintf("EventByLeaf(%d)", leaf), got, &all[leaf])
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

// TestJournalTreeTamper checks that proof.Verify names the leaf of an
// event or tree row altered, removed, moved or inserted behind the store's
// back, and that a journal rewritten with its tree is caught by the
// checkpoints signed before: Verify names the span between them, and no
// checkpoint can be issued any more. open returns a fresh store and exec,
// which runs SQL on its database as its owner; disable is the statement
// that lifts the append-only triggers of the events and journal_hashes
// tables.
func TestJournalTreeTamper(t *testing.T, open func(t *testing.T) (navette.MetaStore, func(query string, args ...any) error), disable string) {
	node := func(level int, n int64) int64 { return tlog.StoredHashIndex(level, n) }
	for _, c := range []struct {
		name    string
		queries []string
		args    []any
		leaf    int64
	}{
		{"event altered", []string{`UPDATE events SET detail = 'forged' WHERE leaf = $1`}, []any{5}, 5},
		{"event time altered", []string{`UPDATE events SET time = time + 1 WHERE leaf = $1`}, []any{13}, 13},
		{"event removed", []string{`DELETE FROM events WHERE leaf = $1`}, []any{5}, 5},
		{"events reordered", []string{`UPDATE events SET leaf = -1 WHERE leaf = $1`, `UPDATE events SET leaf = $1 WHERE leaf = $1 + 1`, `UPDATE events SET leaf = $1 + 1 WHERE leaf = -1`}, []any{5}, 5},
		{"event inserted without leaf", []string{`INSERT INTO events (time, type, detail) VALUES ($1, 'deposit.purged', '')`}, []any{metaEpoch.UnixMicro()}, 20},
		{"event inserted without hashes", []string{`INSERT INTO events (time, type, detail, leaf) VALUES ($1, 'deposit.purged', '', 20)`}, []any{metaEpoch.UnixMicro()}, 20},
		{"last events removed", []string{`DELETE FROM events WHERE leaf >= $1`, `DELETE FROM journal_hashes WHERE idx >= $1 * 0 + ` + fmt.Sprint(tlog.StoredHashCount(12))}, []any{12}, 12},
		{"leaf hash altered", []string{`UPDATE journal_hashes SET hash = $1 WHERE idx = ` + fmt.Sprint(node(0, 7))}, []any{make([]byte, 32)}, 7},
		{"tree node altered", []string{`UPDATE journal_hashes SET hash = $1 WHERE idx = ` + fmt.Sprint(node(1, 2))}, []any{make([]byte, 32)}, 4},
		{"tree row removed", []string{`DELETE FROM journal_hashes WHERE idx = $1`}, []any{node(0, 9)}, 9},
	} {
		t.Run(c.name, func(t *testing.T) {
			j := newTamperJournal(t, open)
			if err := j.exec(disable); err != nil {
				t.Fatal(err)
			}
			for _, q := range c.queries {
				if err := j.exec(q, c.args...); err != nil {
					t.Fatalf("%s: %v", q, err)
				}
			}
			j.wantBad(c.leaf, c.leaf)
		})
	}

	t.Run("rewritten with its tree", func(t *testing.T) {
		j := newTamperJournal(t, open)
		before, err := proof.Inclusion(j.ctx, j.s, 5, 12)
		if err != nil {
			t.Fatal(err)
		}
		leaf5, _ := j.s.EventByLeaf(j.ctx, 5)
		if err := j.exec(disable); err != nil {
			t.Fatal(err)
		}
		if err := j.exec(`UPDATE events SET detail = 'forged' WHERE leaf = 5`); err != nil {
			t.Fatal(err)
		}
		if err := j.exec(`DELETE FROM journal_hashes`); err != nil {
			t.Fatal(err)
		}
		var hashes []tlog.Hash
		mem := tlog.HashReaderFunc(func(xs []int64) ([]tlog.Hash, error) {
			out := make([]tlog.Hash, len(xs))
			for i, x := range xs {
				out[i] = hashes[x]
			}
			return out, nil
		})
		evs, _ := j.s.Events(j.ctx, navette.EventFilter{})
		for i := range evs {
			hs, err := tlog.StoredHashes(int64(i), navette.EventLeaf(&evs[i]), mem)
			if err != nil {
				t.Fatal(err)
			}
			hashes = append(hashes, hs...)
		}
		for i, h := range hashes {
			if err := j.exec(`INSERT INTO journal_hashes (idx, hash) VALUES ($1, $2)`, i, h[:]); err != nil {
				t.Fatal(err)
			}
		}
		// Only the checkpoints show it, between the last one that holds
		// (4 leaves) and the first that does not (12).
		j.wantBad(4, 11)

		// A receipt issued before still verifies against its checkpoint.
		if err := tlog.CheckRecord(before, 12, j.cp12.Root, 5, tlog.RecordHash(navette.EventLeaf(leaf5))); err != nil {
			t.Errorf("an inclusion proof made before the rewrite: %v", err)
		}
		// No checkpoint can be issued over the rewritten tree, and one
		// signed anyway is not consistent with the one before.
		if err := j.s.AppendEvents(j.ctx, navette.Event{Time: metaEpoch, Type: navette.EventAccessDenied}); err != nil {
			t.Fatal(err)
		}
		if _, err := j.cp.Checkpoint(j.ctx); !errors.Is(err, proof.ErrInconsistent) {
			t.Errorf("Checkpoint after the rewrite = %v, want ErrInconsistent", err)
		}
		r := proof.HashReader(j.ctx, j.s)
		root, err := tlog.TreeHash(21, r)
		if err != nil {
			t.Fatal(err)
		}
		p, err := tlog.ProveTree(21, 20, r)
		if err != nil {
			t.Fatal(err)
		}
		if err := tlog.CheckTree(p, 21, root, 20, j.cp20.Root); err == nil {
			t.Error("a tree signed after the rewrite is consistent with the checkpoint signed before")
		}
	})
}

// tamperJournal is a journal of 20 events with checkpoints of 4, 12 and 20
// leaves.
type tamperJournal struct {
	t          *testing.T
	ctx        context.Context
	s          navette.MetaStore
	exec       func(string, ...any) error
	keys       *keyring.JournalKeys
	cp         *proof.Checkpointer
	cp12, cp20 *navette.Checkpoint
}

func newTamperJournal(t *testing.T, open func(t *testing.T) (navette.MetaStore, func(query string, args ...any) error)) *tamperJournal {
	s, exec := open(t)
	keys, err := keyring.OpenJournalKeys(filepath.Join(t.TempDir(), "keys"), "navette.example/navette-journal")
	if err != nil {
		t.Fatal(err)
	}
	j := &tamperJournal{t: t, ctx: t.Context(), s: s, exec: exec, keys: keys,
		cp: &proof.Checkpointer{Store: s, Keys: keys, Clock: navette.NewFakeClock(metaEpoch)}}
	clock := navette.NewFakeClock(metaEpoch)
	for i := range 20 {
		e := navette.Event{Time: clock.Now(), Type: navette.EventAccessDenied, ActorID: fmt.Sprint("u", i), Detail: "not a recipient"}
		clock.Advance(time.Second)
		if err := s.AppendEvents(j.ctx, e); err != nil {
			t.Fatal(err)
		}
		switch i + 1 {
		case 4, 12, 20:
			cp, err := j.cp.Checkpoint(j.ctx)
			if err != nil || cp.Size != int64(i+1) {
				t.Fatalf("Checkpoint = %+v, %v", cp, err)
			}
			if i+1 == 12 {
				j.cp12 = cp
			} else if i+1 == 20 {
				j.cp20 = cp
			}
		}
	}
	if r, err := proof.Verify(j.ctx, s, keys.Verifiers(), nil); err != nil || r.Leaves != 20 || r.Checkpoints != 3 || r.Latest.Size != 20 {
		t.Fatalf("Verify before = %+v, %v", r, err)
	}
	if err := exec(`UPDATE events SET detail = 'x' WHERE leaf = 3`); err == nil {
		t.Fatal("the journal accepted an update with its triggers on")
	}
	if err := exec(`DELETE FROM journal_hashes WHERE idx = 3`); err == nil {
		t.Fatal("the tree accepted a deletion with its triggers on")
	}
	if err := exec(`UPDATE journal_checkpoints SET note = root WHERE size = 4`); err == nil {
		t.Fatal("a checkpoint's note was changed")
	}
	return j
}

// wantBad fails the test unless proof.Verify finds the journal broken at
// a leaf from first to last.
func (j *tamperJournal) wantBad(first, last int64) {
	j.t.Helper()
	_, err := proof.Verify(j.ctx, j.s, j.keys.Verifiers(), nil)
	var bad *proof.BadLeafError
	if !errors.As(err, &bad) || !errors.Is(err, proof.ErrTampered) || bad.Leaf != first || bad.Last != last {
		j.t.Fatalf("Verify = %v, want the journal broken at leaves %d to %d", err, first, last)
	}
	j.t.Log(err)
}

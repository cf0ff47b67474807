package storetest

import (
	"slices"
	"sync"
	"testing"

	"navette"
)

// ForwardMetaStore is a metadata store that also makes forwards.
type ForwardMetaStore interface {
	navette.MetaStore
	navette.ForwardStore
}

// TestForwardStore runs the conformance suite for navette.ForwardStore and
// for how shared blobs are kept (BlobsToDelete). open must return a new,
// empty store for each subtest and release it with t.Cleanup.
func TestForwardStore(t *testing.T, open func(t *testing.T) ForwardMetaStore) {
	for _, tt := range []struct {
		name string
		fn   func(t *testing.T, m *metaFixture, s navette.ForwardStore)
	}{
		{"Create", testForwardCreate},
		{"Refused", testForwardRefused},
		{"SharedBlobPurge", testForwardSharedPurge},
		{"RacesPurge", testForwardRacesPurge},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s := open(t)
			tt.fn(t, &metaFixture{t: t, s: s, ctx: t.Context(), clock: navette.NewFakeClock(metaEpoch)}, s)
		})
	}
}

// storedFile creates an available file in the draft d, then returns it.
func (m *metaFixture) storedFile(d *navette.DepositRecord) *navette.FileRecord {
	m.t.Helper()
	f := m.newFile(d)
	f.State, f.Offset, f.SHA256, f.StoredAt = navette.FileAvailable, f.Size, metaRandom(32), m.now()
	if err := m.s.CreateFile(m.ctx, f, 100); err != nil {
		m.t.Fatalf("CreateFile: %v", err)
	}
	return f
}

// forwardOf returns an available deposit from sender to recipients, not
// stored, and a file of it sharing the blob of each of files.
func (m *metaFixture) forwardOf(sender *navette.User, recipients []*navette.User, files ...*navette.FileRecord) (*navette.DepositRecord, []*navette.FileRecord) {
	d := m.newDeposit(sender, recipients...)
	metaSetState(d, navette.DepositAvailable)
	var out []*navette.FileRecord
	for _, f := range files {
		g := m.newFile(d)
		g.BlobID, g.Size, g.Offset, g.SHA256, g.State, g.StoredAt = f.Blob(), f.Size, f.Size, f.SHA256, navette.FileAvailable, m.now()
		out = append(out, g)
	}
	return d, out
}

// purgeFile makes f purged, its key destroyed, as the sweeper does.
func (m *metaFixture) purgeFile(f *navette.FileRecord) {
	m.setFile(f, func(f *navette.FileRecord) {
		f.State, f.Key, f.Name = navette.FilePurged, navette.WrappedKey{}, nil
	})
}

// toDelete returns the ids of BlobsToDelete.
func (m *metaFixture) toDelete() []string {
	m.t.Helper()
	fs, err := m.s.BlobsToDelete(m.ctx, 100)
	if err != nil {
		m.t.Fatalf("BlobsToDelete: %v", err)
	}
	var ids []string
	for _, f := range fs {
		ids = append(ids, f.ID)
	}
	slices.Sort(ids)
	return ids
}

func testForwardCreate(t *testing.T, m *metaFixture, s navette.ForwardStore) {
	sender, agent, colleague := m.user("Sender"), m.user("Agent"), m.user("Colleague")
	orig := m.deposit(navette.DepositDraft, sender, agent)
	f1, f2 := m.storedFile(orig), m.storedFile(orig)
	fw, files := m.forwardOf(agent, []*navette.User{colleague}, f1, f2)
	ev := m.event(navette.EventDepositCreated, agent.ID, fw.ID)
	ev.Detail = orig.ID
	on := m.event(navette.EventDepositForwarded, agent.ID, orig.ID)
	on.Detail = fw.ID
	if err := s.ForwardDeposit(m.ctx, fw, files, ev, on); err != nil {
		t.Fatalf("ForwardDeposit: %v", err)
	}
	metaEqual(t, "forward", m.getDeposit(fw.ID), fw)
	got := m.getFiles(fw.ID)
	metaEqual(t, "forward's files", got, files)
	if got[0].Blob() != f1.ID || got[1].Blob() != f2.ID || f1.Blob() != f1.ID {
		t.Errorf("blobs: %s %s, want %s %s", got[0].Blob(), got[1].Blob(), f1.ID, f2.ID)
	}
	if evs := m.events(fw.ID); len(evs) != 1 || evs[0].Detail != orig.ID {
		t.Errorf("forward's events = %+v, want its creation naming the original", evs)
	}
	if evs := m.events(orig.ID); len(evs) == 0 || evs[len(evs)-1].Type != navette.EventDepositForwarded {
		t.Errorf("original's events = %+v, want deposit.forwarded last", evs)
	}
	// A forward of the forward shares the first blob too.
	fw2, files2 := m.forwardOf(colleague, []*navette.User{sender}, got[0])
	if err := s.ForwardDeposit(m.ctx, fw2, files2); err != nil {
		t.Fatalf("ForwardDeposit of a forward: %v", err)
	}
	if g := m.getFiles(fw2.ID); g[0].Blob() != f1.ID {
		t.Errorf("forward of a forward: blob %s, want %s", g[0].Blob(), f1.ID)
	}
}

func testForwardRefused(t *testing.T, m *metaFixture, s navette.ForwardStore) {
	sender, agent, colleague := m.user("Sender"), m.user("Agent"), m.user("Colleague")
	orig := m.deposit(navette.DepositDraft, sender, agent)
	f := m.storedFile(orig)
	gone := m.storedFile(orig)
	m.purgeFile(gone)
	uploading := m.file(orig)
	for _, tt := range []struct {
		name string
		mod  func(d *navette.DepositRecord, fs []*navette.FileRecord)
		code string
	}{
		{"no blob", func(d *navette.DepositRecord, fs []*navette.FileRecord) { fs[0].BlobID = "" }, navette.EINVALID},
		{"own blob", func(d *navette.DepositRecord, fs []*navette.FileRecord) { fs[0].BlobID = fs[0].ID }, navette.EINVALID},
		{"other deposit", func(d *navette.DepositRecord, fs []*navette.FileRecord) { fs[0].DepositID = orig.ID }, navette.EINVALID},
		{"purged blob", func(d *navette.DepositRecord, fs []*navette.FileRecord) { fs[0].BlobID = gone.ID }, navette.EGONE},
		{"unfinished blob", func(d *navette.DepositRecord, fs []*navette.FileRecord) { fs[0].BlobID = uploading.ID }, navette.EGONE},
		{"unknown blob", func(d *navette.DepositRecord, fs []*navette.FileRecord) { fs[0].BlobID = navette.NewID() }, navette.EGONE},
		{"unknown recipient", func(d *navette.DepositRecord, fs []*navette.FileRecord) { d.Recipients[0].UserID = navette.NewID() }, navette.ENOTFOUND},
	} {
		fw, files := m.forwardOf(agent, []*navette.User{colleague}, f)
		tt.mod(fw, files)
		metaCode(t, tt.name, s.ForwardDeposit(m.ctx, fw, files), tt.code)
		if _, err := m.s.Deposit(m.ctx, fw.ID); !navette.IsCode(err, navette.ENOTFOUND) {
			t.Errorf("%s: the refused forward was stored (%v)", tt.name, err)
		}
	}
	fw, files := m.forwardOf(agent, []*navette.User{colleague}, f)
	if err := s.ForwardDeposit(m.ctx, fw, files); err != nil {
		t.Fatalf("ForwardDeposit: %v", err)
	}
	metaCode(t, "same id again", s.ForwardDeposit(m.ctx, fw, files), navette.ECONFLICT)
}

// testForwardSharedPurge: a blob is deleted only once every file holding it
// is purged.
func testForwardSharedPurge(t *testing.T, m *metaFixture, s navette.ForwardStore) {
	sender, agent, colleague := m.user("Sender"), m.user("Agent"), m.user("Colleague")
	orig := m.deposit(navette.DepositDraft, sender, agent)
	f, own := m.storedFile(orig), m.storedFile(orig)
	fw, files := m.forwardOf(agent, []*navette.User{colleague}, f)
	if err := s.ForwardDeposit(m.ctx, fw, files); err != nil {
		t.Fatalf("ForwardDeposit: %v", err)
	}
	m.purgeFile(f)
	m.purgeFile(own)
	metaEqual(t, "original purged, forward live", m.toDelete(), []string{own.ID})
	m.purgeFile(files[0])
	metaEqual(t, "both purged", m.toDelete(), sortedWith(sortedWith([]string{own.ID}, f.ID), files[0].ID))
	// The forward purged first: the original still holds the blob.
	f2 := m.storedFile(m.deposit(navette.DepositDraft, sender, agent))
	fw2, files2 := m.forwardOf(agent, []*navette.User{colleague}, f2)
	if err := s.ForwardDeposit(m.ctx, fw2, files2); err != nil {
		t.Fatalf("ForwardDeposit: %v", err)
	}
	before := m.toDelete()
	m.purgeFile(files2[0])
	metaEqual(t, "forward purged, original live", m.toDelete(), before)
	// A rejected file that keeps its key (corrupt) still holds the blob.
	m.setFile(f2, func(f *navette.FileRecord) { f.State, f.Check = navette.FileRejected, navette.CheckCorrupt })
	metaEqual(t, "original corrupt with its key", m.toDelete(), before)
	m.purgeFile(f2)
	metaEqual(t, "original purged too", m.toDelete(), sortedWith(sortedWith(before, f2.ID), files2[0].ID))
}

// sortedWith returns ids with id added, sorted.
func sortedWith(ids []string, id string) []string {
	out := append(slices.Clone(ids), id)
	slices.Sort(out)
	return out
}

// testForwardRacesPurge runs forwards of a file while it is purged: each
// forward either is refused (EGONE) or holds the blob, which is then not to
// be deleted.
func testForwardRacesPurge(t *testing.T, m *metaFixture, s navette.ForwardStore) {
	sender, agent, colleague := m.user("Sender"), m.user("Agent"), m.user("Colleague")
	for range 5 {
		orig := m.deposit(navette.DepositDraft, sender, agent)
		f := m.storedFile(orig)
		var wg sync.WaitGroup
		errs := make([]error, 4)
		for i := range errs {
			fw, files := m.forwardOf(agent, []*navette.User{colleague}, f)
			wg.Go(func() { errs[i] = s.ForwardDeposit(m.ctx, fw, files) })
		}
		wg.Go(func() { m.purgeFile(f) })
		wg.Wait()
		made := 0
		for _, err := range errs {
			if err == nil {
				made++
				continue
			}
			metaCode(t, "forward racing a purge", err, navette.EGONE)
		}
		if made > 0 && slices.Contains(m.toDelete(), f.ID) {
			t.Fatalf("%d forwards hold the blob, yet it is to be deleted", made)
		}
	}
}

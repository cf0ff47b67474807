package storetest

import (
	"cmp"
	"database/sql"
	"io/fs"
	"slices"
	"sync"
	"testing"

	"github.com/pressly/goose/v3"

	"navette"
	"navette/sqlstore"
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
		{"List", testForwardList},
		{"IdempotencyKey", testForwardIdempotencyKey},
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
// stored, that forwards the deposit of the first of files, and a file of it
// sharing the blob of each of files.
func (m *metaFixture) forwardOf(sender *navette.User, recipients []*navette.User, files ...*navette.FileRecord) (*navette.DepositRecord, []*navette.FileRecord) {
	d := m.newDeposit(sender, recipients...)
	d.ForwardedFrom = files[0].DepositID
	metaSetState(d, navette.DepositAvailable)
	var out []*navette.FileRecord
	for _, f := range files {
		g := m.newFile(d)
		g.BlobID, g.Size, g.Offset, g.SHA256, g.State, g.StoredAt = f.Blob(), f.Size, f.Size, f.SHA256, navette.FileAvailable, m.now()
		out = append(out, g)
	}
	return d, out
}

// forwarded has sender forward the deposit of the first of files to
// recipients (forwardOf) with the events of a forward: its creation, naming
// the original, and deposit.forwarded on the original, naming it. It
// returns the forward and its files.
func (m *metaFixture) forwarded(s navette.ForwardStore, sender *navette.User, recipients []*navette.User, files ...*navette.FileRecord) (*navette.DepositRecord, []*navette.FileRecord) {
	m.t.Helper()
	fw, out := m.forwardOf(sender, recipients, files...)
	created := m.event(navette.EventDepositCreated, sender.ID, fw.ID)
	created.Detail = fw.ForwardedFrom
	on := m.event(navette.EventDepositForwarded, sender.ID, fw.ForwardedFrom)
	on.Detail = fw.ID
	if err := s.ForwardDeposit(m.ctx, fw, out, created, on); err != nil {
		m.t.Fatalf("ForwardDeposit: %v", err)
	}
	return fw, out
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
	fs, err := m.s.BlobsToDelete(m.ctx, "", 100)
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
	fw, files := m.forwarded(s, agent, []*navette.User{colleague}, f1, f2)
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

// testForwardIdempotencyKey checks that a forward holds its idempotency
// key as a deposit CreateDeposit adds does: another forward or deposit of
// its sender with the key is refused until the key outlives
// navette.IdempotencyKeyLifetime.
func testForwardIdempotencyKey(t *testing.T, m *metaFixture, s navette.ForwardStore) {
	sender, agent, colleague := m.user("Sender"), m.user("Agent"), m.user("Colleague")
	orig := m.deposit(navette.DepositDraft, sender, agent)
	f := m.storedFile(orig)
	fw, files := m.forwardOf(agent, []*navette.User{colleague}, f)
	fw.IdempotencyKey, fw.RequestDigest = "fw-1", metaRandom(48)
	if err := s.ForwardDeposit(m.ctx, fw, files); err != nil {
		t.Fatalf("ForwardDeposit: %v", err)
	}
	got, err := m.s.DepositByIdempotencyKey(m.ctx, agent.ID, "fw-1")
	if err != nil {
		t.Fatalf("DepositByIdempotencyKey: %v", err)
	}
	metaEqual(t, "holder", got.ID, fw.ID)
	again, files := m.forwardOf(agent, []*navette.User{colleague}, f)
	again.IdempotencyKey, again.RequestDigest = "fw-1", metaRandom(48)
	metaCode(t, "ForwardDeposit with a held key", s.ForwardDeposit(m.ctx, again, files), navette.ECONFLICT)
	draft := m.newDeposit(agent, colleague)
	draft.IdempotencyKey, draft.RequestDigest = "fw-1", metaRandom(48)
	metaCode(t, "CreateDeposit with a forward's key", m.s.CreateDeposit(m.ctx, draft), navette.ECONFLICT)

	later, files := m.forwardOf(agent, []*navette.User{colleague}, f)
	later.CreatedAt = fw.CreatedAt.Add(navette.IdempotencyKeyLifetime)
	later.IdempotencyKey, later.RequestDigest = "fw-1", metaRandom(48)
	if err := s.ForwardDeposit(m.ctx, later, files); err != nil {
		t.Fatalf("ForwardDeposit once the key outlived its lifetime: %v", err)
	}
	got, err = m.s.DepositByIdempotencyKey(m.ctx, agent.ID, "fw-1")
	if err != nil {
		t.Fatalf("DepositByIdempotencyKey: %v", err)
	}
	metaEqual(t, "holder after the lifetime", got.ID, later.ID)
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
		{"no original", func(d *navette.DepositRecord, fs []*navette.FileRecord) { d.ForwardedFrom = "" }, navette.EINVALID},
		{"itself", func(d *navette.DepositRecord, fs []*navette.FileRecord) { d.ForwardedFrom = d.ID }, navette.EINVALID},
		{"unknown original", func(d *navette.DepositRecord, fs []*navette.FileRecord) { d.ForwardedFrom = navette.NewID() }, navette.ENOTFOUND},
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

// testForwardList: DepositForwards lists the forwards of a deposit, oldest
// first (then by id), each with its forwarder, its recipients by e-mail
// address, its creation time, state and expiry as they are now; not the
// forwards of its forwards, nor anything for a deposit never forwarded or
// unknown.
func testForwardList(t *testing.T, m *metaFixture, s navette.ForwardStore) {
	sender, agent, colleague := m.user("Sender"), m.user("Agent"), m.user("Colleague")
	mailbox := m.person("Greffe correctionnel", navette.RoleService)
	orig := m.deposit(navette.DepositDraft, sender, agent, colleague)
	f := m.storedFile(orig)
	for _, id := range []string{orig.ID, navette.NewID()} {
		if got, err := s.DepositForwards(m.ctx, id); err != nil || len(got) != 0 {
			t.Errorf("DepositForwards(%s) before any forward = %+v, %v; want none", id, got, err)
		}
	}
	var want []navette.ForwardRecord
	forward := func(by *navette.User, to []*navette.User, files ...*navette.FileRecord) *navette.DepositRecord {
		t.Helper()
		fw, _ := m.forwarded(s, by, to, files...)
		return fw
	}
	listed := func(fw *navette.DepositRecord) navette.ForwardRecord {
		rs := slices.Clone(fw.Recipients)
		slices.SortFunc(rs, func(a, b navette.Recipient) int {
			return cmp.Or(cmp.Compare(a.Email, b.Email), cmp.Compare(a.UserID, b.UserID))
		})
		return navette.ForwardRecord{ID: fw.ID, Forwarder: m.getUser(fw.SenderID), Recipients: rs, CreatedAt: fw.CreatedAt,
			State: fw.State, ExpiresAt: fw.ExpiresAt}
	}
	fw1 := forward(agent, []*navette.User{mailbox, sender, colleague}, f)
	if got := m.getDeposit(fw1.ID).ForwardedFrom; got != orig.ID {
		t.Errorf("the forward's ForwardedFrom = %q, want %q", got, orig.ID)
	}
	want = append(want, listed(fw1))
	fw2 := forward(colleague, []*navette.User{mailbox}, f)
	// Two forwards made at the same instant come by id.
	fw3, fs3 := m.forwardOf(agent, []*navette.User{sender}, f)
	fw4, fs4 := m.forwardOf(agent, []*navette.User{colleague}, f)
	fw3.CreatedAt = fw4.CreatedAt
	metaSetState(fw3, navette.DepositAvailable)
	for _, x := range []struct {
		d  *navette.DepositRecord
		fs []*navette.FileRecord
	}{{fw3, fs3}, {fw4, fs4}} {
		if err := s.ForwardDeposit(m.ctx, x.d, x.fs); err != nil {
			t.Fatalf("ForwardDeposit: %v", err)
		}
	}
	same := []navette.ForwardRecord{listed(fw3), listed(fw4)}
	slices.SortFunc(same, func(a, b navette.ForwardRecord) int { return cmp.Compare(a.ID, b.ID) })
	// A forward of a forward is listed on the forward, not on the original.
	fw5 := forward(sender, []*navette.User{agent}, m.getFiles(fw1.ID)[0])
	// The state is read as it is now.
	if err := m.s.UpdateDeposit(m.ctx, fw2.ID, func(d *navette.DepositRecord, _ []*navette.FileRecord) ([]navette.Event, error) {
		d.State, d.RevokedAt = navette.DepositRevoked, m.now()
		return nil, nil
	}); err != nil {
		t.Fatal(err)
	}
	fw2.State = navette.DepositRevoked
	want = append(append(want, listed(fw2)), same...)
	got, err := s.DepositForwards(m.ctx, orig.ID)
	if err != nil {
		t.Fatalf("DepositForwards: %v", err)
	}
	metaEqual(t, "the original's forwards", got, want)
	got, err = s.DepositForwards(m.ctx, fw1.ID)
	if err != nil {
		t.Fatalf("DepositForwards: %v", err)
	}
	metaEqual(t, "the forward's forwards", got, []navette.ForwardRecord{listed(fw5)})

	d := m.newDeposit(sender, agent)
	d.ForwardedFrom = orig.ID
	metaCode(t, "CreateDeposit of a forward", m.s.CreateDeposit(m.ctx, d), navette.EINVALID)
}

// TestForwardBackfill checks that migration 36 finds the forwards made
// before it: s, a new store at the latest version, is given forwards, each
// journaled on its original (deposit.forwarded, whose detail is the
// forward's id); again must close s, bring its database back to version 35
// (the migration's Down: the deposits without forwarded_from, as then) and
// open it again, which migrates it up. The originals then list the same
// forwards as before, and only forwards name an original.
func TestForwardBackfill(t *testing.T, s ForwardMetaStore, again func(t *testing.T) ForwardMetaStore) {
	m := &metaFixture{t: t, s: s, ctx: t.Context(), clock: navette.NewFakeClock(metaEpoch)}
	sender, agent, colleague := m.user("Sender"), m.user("Agent"), m.user("Colleague")
	forward := func(by *navette.User, to *navette.User, f *navette.FileRecord) *navette.DepositRecord {
		t.Helper()
		fw, _ := m.forwarded(s, by, []*navette.User{to}, f)
		return fw
	}
	orig := m.deposit(navette.DepositDraft, sender, agent, colleague)
	f := m.storedFile(orig)
	fw1, fw2 := forward(agent, colleague, f), forward(colleague, sender, f)
	fw3 := forward(colleague, sender, m.getFiles(fw1.ID)[0])
	other := m.deposit(navette.DepositDraft, sender, agent)
	m.storedFile(other)
	list := func(s navette.ForwardStore, id string) []navette.ForwardRecord {
		t.Helper()
		got, err := s.DepositForwards(m.ctx, id)
		if err != nil {
			t.Fatalf("DepositForwards: %v", err)
		}
		return got
	}
	before := map[string][]navette.ForwardRecord{orig.ID: list(s, orig.ID), fw1.ID: list(s, fw1.ID)}
	if len(before[orig.ID]) != 2 || len(before[fw1.ID]) != 1 {
		t.Fatalf("before the migration: %d and %d forwards listed, want 2 and 1", len(before[orig.ID]), len(before[fw1.ID]))
	}
	s = again(t)
	for id, want := range before {
		metaEqual(t, "forwards of "+id+" after the migration", list(s, id), want)
	}
	for id, from := range map[string]string{orig.ID: "", fw1.ID: orig.ID, fw2.ID: orig.ID, fw3.ID: fw1.ID, other.ID: ""} {
		d, err := s.Deposit(m.ctx, id)
		if err != nil || d.ForwardedFrom != from {
			t.Errorf("deposit %s after the migration: forwarded from %q, %v; want %q", id, d.ForwardedFrom, err, from)
		}
	}
}

// MigrateDownTo takes db, whose schema the migrations in the folder
// "migrations" of fsys make for dialect (sqlstore.NewMigrations), back to
// version v by the Down of each migration after it, and checks it is there.
func MigrateDownTo(t *testing.T, dialect goose.Dialect, db *sql.DB, fsys fs.FS, v int64) {
	t.Helper()
	p, err := sqlstore.NewMigrations(dialect, db, fsys)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.DownTo(t.Context(), v); err != nil {
		t.Fatalf("down to %d: %v", v, err)
	}
	if got, err := p.GetDBVersion(t.Context()); err != nil || got != v {
		t.Fatalf("version %d, %v; want %d", got, err, v)
	}
}

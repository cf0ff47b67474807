package storetest

import (
	"fmt"
	"testing"
	"time"

	"navette"
)

func testMetaStats(t *testing.T, m *metaFixture) {
	ss, ok := m.s.(navette.StatsStore)
	if !ok {
		t.Fatalf("%T does not implement navette.StatsStore", m.s)
	}
	st, err := ss.Stats(m.ctx)
	if err != nil {
		t.Fatalf("Stats of an empty store: %v", err)
	}
	if len(st.Files) != 0 || st.CorruptFiles != 0 || st.PendingNotices != 0 || st.DeadNotices != 0 || st.LastStamped != nil {
		t.Fatalf("Stats of an empty store = %+v, want nothing", st)
	}

	alice, bob := m.user("Alice"), m.user("Bob")
	d := m.deposit(navette.DepositDraft, alice)
	m.file(d)
	m.file(d)
	m.setFile(m.file(d), func(f *navette.FileRecord) { f.State = navette.FileChecking })
	m.setFile(m.file(d), func(f *navette.FileRecord) {
		f.State, f.Check, f.CheckDetail = navette.FileStored, navette.CheckCorrupt, "segment 2"
	})
	m.setFile(m.file(d), func(f *navette.FileRecord) { f.State = navette.FileStored })
	m.setFile(m.file(d), func(f *navette.FileRecord) {
		f.State, f.Check, f.Key = navette.FilePurged, navette.CheckCorrupt, navette.WrappedKey{}
	})

	ns := m.notices(m.newNotice(navette.NoticeDeposit, bob, d.ID), m.newNotice(navette.NoticeDeposit, alice, d.ID),
		m.newNotice(navette.NoticeDeposit, bob, d.ID), m.newNotice(navette.NoticeDeposit, alice, d.ID))
	if _, err := m.s.ClaimNotices(m.ctx, m.now(), time.Minute, 10); err != nil {
		t.Fatalf("ClaimNotices: %v", err)
	}
	if err := m.s.NoticeSent(m.ctx, ns[0].ID, m.now()); err != nil {
		t.Fatalf("NoticeSent: %v", err)
	}
	if err := m.s.NoticeFailed(m.ctx, ns[1].ID, 1, "550 no such user", m.now(), true); err != nil {
		t.Fatalf("NoticeFailed: %v", err)
	}

	cp := func(size int64, stamped bool) *navette.Checkpoint {
		c := &navette.Checkpoint{Size: size, Note: fmt.Appendf(nil, "example/log\n%d\nroot\n\n— sig\n", size), CreatedAt: m.now()}
		if stamped {
			c.Token, c.StampedAt = []byte{0x30, 0x03, 1, 2, 3}, m.now()
		}
		return c
	}
	for _, c := range []*navette.Checkpoint{cp(2, true), cp(5, true), cp(9, false)} {
		if err := m.s.AddCheckpoint(m.ctx, c); err != nil {
			t.Fatalf("AddCheckpoint(%d): %v", c.Size, err)
		}
		m.clock.Advance(time.Second)
	}

	st, err = ss.Stats(m.ctx)
	if err != nil {
		t.Fatalf("Stats: %v", err)
	}
	want := map[navette.FileState]int64{navette.FileUploading: 2, navette.FileChecking: 1, navette.FileStored: 2, navette.FilePurged: 1}
	if fmt.Sprint(st.Files) != fmt.Sprint(want) {
		t.Errorf("Stats.Files = %v, want %v", st.Files, want)
	}
	if st.CorruptFiles != 1 {
		t.Errorf("Stats.CorruptFiles = %d, want 1 (the purged one does not count)", st.CorruptFiles)
	}
	if st.PendingNotices != 2 || st.DeadNotices != 1 {
		t.Errorf("Stats notices: %d pending, %d dead; want 2 and 1", st.PendingNotices, st.DeadNotices)
	}
	if st.LastStamped == nil || st.LastStamped.Size != 5 || len(st.LastStamped.Token) == 0 {
		t.Errorf("Stats.LastStamped = %+v, want the checkpoint of size 5", st.LastStamped)
	}
}

package storetest

import (
	"testing"
	"time"

	"navette"
)

// setFile changes f in storage with fn and returns what was stored.
func (m *metaFixture) setFile(f *navette.FileRecord, fn func(f *navette.FileRecord)) *navette.FileRecord {
	m.t.Helper()
	var out *navette.FileRecord
	if err := m.s.UpdateFile(m.ctx, f.ID, func(got *navette.FileRecord) ([]navette.Event, error) {
		fn(got)
		out = metaCloneFile(got)
		return nil, nil
	}); err != nil {
		m.t.Fatalf("UpdateFile: %v", err)
	}
	return out
}

func testMetaFileChecks(t *testing.T, m *metaFixture) {
	alice := m.user("Alice")
	d := m.deposit(navette.DepositDraft, alice)
	f := m.newFile(d)
	f.State, f.Check, f.CheckDetail, f.CheckAttempts, f.CheckAfter = navette.FileChecking, navette.CheckFailed, "Can't allocate memory", 3, m.now()
	if err := m.s.CreateFile(m.ctx, f, 10); err != nil {
		t.Fatalf("CreateFile: %v", err)
	}
	got, err := m.s.File(m.ctx, f.ID)
	if err != nil {
		t.Fatalf("File: %v", err)
	}
	metaEqual(t, "File after CreateFile", got, f)

	want := m.setFile(f, func(f *navette.FileRecord) {
		f.State, f.Check, f.CheckDetail, f.CheckAttempts, f.CheckAfter = navette.FileRejected, navette.CheckInfected, "Eicar-Test-Signature", 0, time.Time{}
		f.Key = navette.WrappedKey{}
	})
	got, _ = m.s.File(m.ctx, f.ID)
	metaEqual(t, "File after UpdateFile", got, want)

	err = m.s.UpdateDeposit(m.ctx, d.ID, func(_ *navette.DepositRecord, files []*navette.FileRecord) ([]navette.Event, error) {
		files[0].Check, files[0].CheckDetail, files[0].CheckAttempts, files[0].CheckAfter = navette.CheckCorrupt, "segment 3", 1, m.clock.Now()
		want = metaCloneFile(files[0])
		return nil, nil
	})
	if err != nil {
		t.Fatalf("UpdateDeposit: %v", err)
	}
	got, _ = m.s.File(m.ctx, f.ID)
	metaEqual(t, "File after UpdateDeposit", got, want)
}

func testMetaFilesToCheck(t *testing.T, m *metaFixture) {
	alice := m.user("Alice")
	d := m.deposit(navette.DepositDraft, alice)
	now := m.clock.Now()
	due1 := m.setFile(m.file(d), func(f *navette.FileRecord) { f.State, f.CheckAfter = navette.FileChecking, now.Add(-time.Minute) })
	unset := m.setFile(m.file(d), func(f *navette.FileRecord) { f.State = navette.FileChecking })
	due2 := m.setFile(m.file(d), func(f *navette.FileRecord) { f.State, f.CheckAfter = navette.FileChecking, now })
	m.setFile(m.file(d), func(f *navette.FileRecord) { f.State, f.CheckAfter = navette.FileChecking, now.Add(time.Second) })
	m.setFile(m.file(d), func(f *navette.FileRecord) { f.State, f.CheckAfter = navette.FileStored, now.Add(-time.Hour) })
	m.file(d) // uploading

	got, err := m.s.FilesToCheck(m.ctx, now, 10)
	if err != nil {
		t.Fatalf("FilesToCheck: %v", err)
	}
	metaEqual(t, "FilesToCheck", got, []*navette.FileRecord{unset, due1, due2})
	got, err = m.s.FilesToCheck(m.ctx, now, 2)
	if err != nil {
		t.Fatalf("FilesToCheck(2): %v", err)
	}
	metaEqual(t, "FilesToCheck(2)", got, []*navette.FileRecord{unset, due1})
	_, err = m.s.FilesToCheck(m.ctx, now, 0)
	metaCode(t, "FilesToCheck(0)", err, navette.EINVALID)
}

func testMetaStoredFiles(t *testing.T, m *metaFixture) {
	alice := m.user("Alice")
	d := m.deposit(navette.DepositDraft, alice)
	var want []*navette.FileRecord
	for _, st := range []navette.FileState{navette.FileChecking, navette.FileStored, navette.FileAvailable, navette.FileUploading, navette.FileRejected, navette.FilePurged, navette.FileStored} {
		f := m.setFile(m.file(d), func(f *navette.FileRecord) { f.State = st })
		if st == navette.FileChecking || st == navette.FileStored || st == navette.FileAvailable {
			want = append(want, f)
		}
	}
	sortFiles(want)
	var got []*navette.FileRecord
	after := ""
	for {
		page, err := m.s.StoredFiles(m.ctx, after, 2)
		if err != nil {
			t.Fatalf("StoredFiles: %v", err)
		}
		got = append(got, page...)
		if len(page) < 2 {
			break
		}
		after = page[len(page)-1].ID
	}
	metaEqual(t, "StoredFiles, by pages of 2", got, want)
	_, err := m.s.StoredFiles(m.ctx, "", 0)
	metaCode(t, "StoredFiles(0)", err, navette.EINVALID)
}

func sortFiles(fs []*navette.FileRecord) {
	for i := range fs {
		for j := i + 1; j < len(fs); j++ {
			if fs[j].ID < fs[i].ID {
				fs[i], fs[j] = fs[j], fs[i]
			}
		}
	}
}

func testMetaRejectedBlobsToDelete(t *testing.T, m *metaFixture) {
	alice := m.user("Alice")
	d := m.deposit(navette.DepositDraft, alice)
	destroyed := m.setFile(m.file(d), func(f *navette.FileRecord) {
		f.State, f.Key, f.Check = navette.FileRejected, navette.WrappedKey{}, navette.CheckInfected
	})
	m.setFile(m.file(d), func(f *navette.FileRecord) { f.State, f.Check = navette.FileRejected, navette.CheckCorrupt }) // key kept
	m.setFile(m.file(d), func(f *navette.FileRecord) {
		f.State, f.Key, f.BlobDeleted = navette.FileRejected, navette.WrappedKey{}, true
	})
	got, err := m.s.BlobsToDelete(m.ctx, "", 10)
	if err != nil {
		t.Fatalf("BlobsToDelete: %v", err)
	}
	metaEqual(t, "BlobsToDelete", got, []*navette.FileRecord{destroyed})
}

func testMetaContentAlert(t *testing.T, m *metaFixture) {
	admin := m.user("Admin")
	n := navette.Notice{ID: navette.NewID(), Kind: navette.NoticeContentAlert, UserID: admin.ID, State: navette.NoticePending,
		NextAttemptAt: m.clock.Now(), CreatedAt: m.clock.Now(), Key: navette.WrappedKey{KeyID: "kek-1", Data: metaRandom(40)}, Payload: metaRandom(60)}
	ev := navette.Event{Time: m.clock.Now(), Type: navette.EventFileInfected, Detail: "infected Eicar-Test-Signature", Notices: []navette.Notice{n}}
	if err := m.s.AppendEvents(m.ctx, ev); err != nil {
		t.Fatalf("AppendEvents with a content alert: %v", err)
	}
	got, err := m.s.Notice(m.ctx, n.ID)
	if err != nil || got.Kind != navette.NoticeContentAlert {
		t.Fatalf("Notice = %+v, %v", got, err)
	}
}

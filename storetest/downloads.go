package storetest

import (
	"testing"

	"navette"
)

// testMetaDownloadCount: DownloadCount counts the file.downloaded events of
// one deposit, file and actor, and nothing else.
func testMetaDownloadCount(t *testing.T, m *metaFixture) {
	sender, bob, carol := m.user("sender"), m.user("bob"), m.user("carol")
	d := m.deposit(navette.DepositDraft, sender, bob, carol)
	f1, f2 := m.file(d), m.file(d)
	other := m.deposit(navette.DepositDraft, sender, bob)
	f3 := m.file(other)
	ev := func(typ navette.EventType, actor, depositID, fileID string) navette.Event {
		e := m.event(typ, actor, depositID)
		e.FileID = fileID
		return e
	}
	err := m.s.AppendEvents(m.ctx,
		ev(navette.EventFileDownloaded, bob.ID, d.ID, f1.ID),
		ev(navette.EventFileDownloaded, bob.ID, d.ID, f1.ID),
		ev(navette.EventFileDownloaded, bob.ID, d.ID, f2.ID),
		ev(navette.EventFileDownloaded, carol.ID, d.ID, f1.ID),
		ev(navette.EventFileCorrupt, bob.ID, d.ID, f1.ID),
		ev(navette.EventFileDownloaded, bob.ID, other.ID, f3.ID),
	)
	if err != nil {
		t.Fatalf("AppendEvents: %v", err)
	}
	for _, tc := range []struct {
		name                string
		deposit, file, user string
		want                int
	}{
		{"bob f1", d.ID, f1.ID, bob.ID, 2},
		{"bob f2", d.ID, f2.ID, bob.ID, 1},
		{"carol f1", d.ID, f1.ID, carol.ID, 1},
		{"carol f2", d.ID, f2.ID, carol.ID, 0},
		{"sender", d.ID, f1.ID, sender.ID, 0},
		{"other deposit", other.ID, f3.ID, bob.ID, 1},
		{"file of another deposit", d.ID, f3.ID, bob.ID, 0},
		{"unknown", navette.NewID(), navette.NewID(), navette.NewID(), 0},
	} {
		n, err := m.s.DownloadCount(m.ctx, tc.deposit, tc.file, tc.user)
		if err != nil || n != tc.want {
			t.Errorf("%s: DownloadCount = %d, %v; want %d", tc.name, n, err, tc.want)
		}
	}
}

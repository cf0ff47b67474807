package web

import (
	"testing"
	"time"

	"navette"
	"navette/deposit"
)

// TestListedLeavesOutUnfinishedFiles: a box's row and a case page's deposit
// count and add up the files of a deposit but for one purged before its
// upload finished; one purged after it was stored (a withdrawn deposit's)
// still counts.
func TestListedLeavesOutUnfinishedFiles(t *testing.T) {
	now := time.Date(2026, 12, 7, 15, 0, 0, 0, time.UTC)
	file := func(state navette.FileState, size int64, sum []byte) deposit.FileView {
		return deposit.FileView{FileRecord: &navette.FileRecord{State: state, Size: size, SHA256: sum}}
	}
	v := &deposit.View{
		DepositRecord: &navette.DepositRecord{ID: "d1", State: navette.DepositRevoked, CreatedAt: now.Add(-time.Hour), ExpiresAt: now.Add(time.Hour)},
		Sender:        &navette.User{Name: "Greffe"},
		Reference:     "RG 26/1",
		Files: []deposit.FileView{
			file(navette.FileAvailable, 10, []byte{1}),
			file(navette.FilePurged, 100, nil),
			file(navette.FilePurged, 1000, []byte{2}),
		},
	}
	got := listed(v, now)
	want := listedDeposit{ID: "d1", Reference: "RG 26/1", Sender: "Greffe", Files: 2, Size: 1010,
		Created: v.CreatedAt, Expires: v.ExpiresAt, State: navette.DepositRevoked, Ended: true}
	if got != want {
		t.Errorf("listed:\n got %+v\nwant %+v", got, want)
	}
	if rw := (&Handler{}).row(v, &navette.User{ID: "u"}, nil, now); rw.listedDeposit != want {
		t.Errorf("row: %+v", rw.listedDeposit)
	}
	if v.Sender = nil; listed(v, now).Sender != "" {
		t.Error("a deposit without its sender read lists a sender")
	}
}

package deposit_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"testing"

	"navette"
	"navette/deposit"
)

// TestDownloadLimit caps a recipient at two complete downloads of a file:
// partial fetches never count, the sender is never capped, the third
// opening is refused as gone with ErrDownloadLimit and journaled for the
// sender, who is told once, by the download that reached the cap.
func TestDownloadLimit(t *testing.T) {
	fx := newFixture(t)
	ctx := context.Background()
	data := bytes.Repeat([]byte("pièce "), 1000)
	size := int64(len(data))
	v, err := fx.svc.Create(ctx, fx.sender, deposit.Draft{Recipients: []string{fx.recipient.Email}, Reference: "RG 26/8", MaxDownloads: 2})
	if err != nil {
		t.Fatal(err)
	}
	if v.MaxDownloads != 2 {
		t.Fatalf("MaxDownloads %d, want 2", v.MaxDownloads)
	}
	file, err := fx.svc.StartFile(ctx, fx.sender, v.ID, "pièce.bin", size)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := fx.svc.Write(ctx, fx.sender, file.ID, 0, bytes.NewReader(data)); err != nil {
		t.Fatal(err)
	}
	if err := fx.svc.Finish(ctx, fx.sender, file.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := fx.svc.Submit(ctx, fx.sender, v.ID); err != nil {
		t.Fatal(err)
	}
	read := func(who *navette.User, off, n int64) error {
		t.Helper()
		dl, err := fx.svc.OpenFile(ctx, who, v.ID, file.ID)
		if err != nil {
			return err
		}
		return dl.WriteRange(ctx, io.Discard, off, n)
	}
	steps := []struct {
		name      string
		who       *navette.User
		off, n    int64
		downloads int // complete downloads by the recipient after the step
		limited   bool
	}{
		{"partial", fx.recipient, 0, 10, 0, false},
		{"partial again", fx.recipient, 0, 10, 0, false},
		{"first whole", fx.recipient, 0, size, 1, false},
		{"cut transfer", fx.recipient, 0, size - 1, 1, false},
		{"completed by its last byte", fx.recipient, size - 1, 1, 2, false},
		{"third", fx.recipient, 0, size, 2, true},
		{"a range after the cap", fx.recipient, 0, 1, 2, true},
		{"the sender", fx.sender, 0, size, 2, false},
		{"the sender again", fx.sender, 0, size, 2, false},
		{"the sender a third time", fx.sender, 0, size, 2, false},
	}
	for _, s := range steps {
		err := read(s.who, s.off, s.n)
		if s.limited {
			if !errors.Is(err, navette.ErrDownloadLimit) || !navette.IsCode(err, navette.EGONE) {
				t.Errorf("%s: %v, want EGONE wrapping ErrDownloadLimit", s.name, err)
			}
		} else if err != nil {
			t.Errorf("%s: %v", s.name, err)
		}
		n, err := fx.meta.DownloadCount(ctx, v.ID, file.ID, fx.recipient.ID)
		if err != nil || n != s.downloads {
			t.Errorf("%s: %d downloads counted (%v), want %d", s.name, n, err, s.downloads)
		}
	}
	denied := 0
	for _, e := range fx.events(t, navette.EventAccessDenied) {
		if e.Detail == "download_limit" && e.DepositID == v.ID && e.ActorID == fx.recipient.ID {
			denied++
		}
	}
	if denied != 1 {
		t.Errorf("%d refusals journaled at once, want 1 (the others counted in the minute's window)", denied)
	}
	// The download that reached the cap told the sender, once.
	limits := 0
	ns, _ := fx.notices(t, v.ID)
	for _, n := range ns {
		if n.Kind == navette.NoticeDownloadLimit {
			limits++
			if n.UserID != fx.sender.ID {
				t.Errorf("download_limit notice to %s, want the sender", n.UserID)
			}
		}
	}
	if limits != 1 {
		t.Errorf("%d download_limit notices queued, want 1", limits)
	}
	tr, err := fx.svc.Track(ctx, fx.sender, v.ID)
	if err != nil || tr[fx.recipient.ID].AtLimit != 1 || tr[fx.recipient.ID].Files != 1 {
		t.Errorf("Track: %+v (%v), want the recipient at the limit of 1 file", tr, err)
	}
}

// TestDownloadLimitBounds refuses caps out of 0 to MaxDownloadCap.
func TestDownloadLimitBounds(t *testing.T) {
	fx := newFixture(t)
	for _, tc := range []struct {
		cap int
		ok  bool
	}{{0, true}, {1, true}, {deposit.MaxDownloadCap, true}, {-1, false}, {deposit.MaxDownloadCap + 1, false}} {
		v, err := fx.svc.Create(context.Background(), fx.sender, deposit.Draft{Recipients: []string{fx.recipient.Email}, Reference: "RG 26/9", MaxDownloads: tc.cap})
		switch {
		case tc.ok && (err != nil || v.MaxDownloads != tc.cap):
			t.Errorf("cap %d: %v", tc.cap, err)
		case !tc.ok && !navette.IsCode(err, navette.EINVALID):
			t.Errorf("cap %d: %v, want EINVALID", tc.cap, err)
		}
	}
}

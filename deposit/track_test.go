package deposit_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"navette"
	"navette/account"
	"navette/deposit"
)

// TestTrackAndStats follows a deposit as its sender, before and after its
// recipient downloads it, and counts it in the statistics each admin may
// see.
func TestTrackAndStats(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	v, fr := f.availableData(t, []byte("pièce 1"))
	acc := &account.Service{Meta: f.meta, Clock: f.svc.Clock}
	stranger, err := acc.CreateUser(ctx, "autre@avocat.example", "Autre", navette.RolePartner)
	if err != nil {
		t.Fatal(err)
	}

	tr, err := f.svc.Track(ctx, f.sender, v.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got := tr[f.recipient.ID]; got.NoticeState != navette.NoticePending || got.Files != 0 || got.DownloadedBy != "" || len(tr) != 1 {
		t.Fatalf("before the download: %+v", tr)
	}
	f.download(t, v.ID, fr.ID)
	if tr, err = f.svc.Track(ctx, f.sender, v.ID); err != nil || tr[f.recipient.ID].Files != 1 || tr[f.recipient.ID].DownloadedBy != "" {
		t.Fatalf("after the download: %+v, %v", tr, err)
	}
	for _, tc := range []struct {
		who  *navette.User
		code string
	}{{f.recipient, navette.EFORBIDDEN}, {stranger, navette.ENOTFOUND}} {
		if _, err := f.svc.Track(ctx, tc.who, v.ID); !navette.IsCode(err, tc.code) {
			t.Errorf("Track by %s: %v, want %s", tc.who.Email, err, tc.code)
		}
	}

	admin, err := acc.CreateUser(ctx, "admin@justice.example", "Admin", navette.RoleAdmin)
	if err != nil {
		t.Fatal(err)
	}
	court, err := acc.CreateCourt(ctx, admin, "TJ-LILLE", "Tribunal judiciaire de Lille")
	if err != nil {
		t.Fatal(err)
	}
	courtAdmin, err := acc.Create(ctx, account.NewUser{Email: "ca@justice.example", Name: "CA", Role: navette.RoleCourtAdmin, CourtID: court.ID})
	if err != nil {
		t.Fatal(err)
	}
	paris, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		t.Fatal(err)
	}
	month := v.CreatedAt.In(paris).Format("2006-01")
	for _, tc := range []struct {
		name     string
		who      *navette.User
		code     string
		deposits int64
	}{
		{"platform admin", admin, "", 1},
		{"admin of another court", courtAdmin, "", 0},
		{"agent", f.sender, navette.EFORBIDDEN, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st, err := f.svc.Stats(ctx, tc.who)
			if navette.ErrorCode(err) != tc.code {
				t.Fatalf("Stats: %v, want %q", err, tc.code)
			}
			if err != nil {
				return
			}
			var got int64
			for _, r := range st.Rows {
				if r.Month == month && st.Group(r) == deposit.StatsNoCourt {
					got += r.Deposits
				}
			}
			if got != tc.deposits || st.Delays.Available != tc.deposits || st.Delays.Fetched != tc.deposits {
				t.Fatalf("got %d deposits, %d available, %d downloaded; want %d each: %+v", got, st.Delays.Available, st.Delays.Fetched, tc.deposits, st)
			}
		})
	}
}

// TestUploadExpiresAndRevoked tells an uploader when the draft goes, and a
// recipient that a deposit was withdrawn rather than expired.
func TestUploadExpiresAndRevoked(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	d := f.draft(t)
	fr, err := f.svc.StartFile(ctx, f.sender, d.ID, "p.pdf", 10)
	if err != nil {
		t.Fatal(err)
	}
	u, err := f.svc.OpenUpload(ctx, f.sender, fr.ID)
	if err != nil {
		t.Fatal(err)
	}
	if at := u.Expires(); !at.Equal(d.CreatedAt.Add(24 * time.Hour)) {
		t.Fatalf("Expires: %v; want %v", at, d.CreatedAt.Add(24*time.Hour))
	}
	if _, err := f.svc.OpenUpload(ctx, f.recipient, fr.ID); !navette.IsCode(err, navette.ENOTFOUND) {
		t.Fatalf("OpenUpload by the recipient: %v", err)
	}

	v, _ := f.availableData(t, []byte("pièce 2"))
	if err := f.svc.Revoke(ctx, f.sender, v.ID); err != nil {
		t.Fatal(err)
	}
	_, err = f.svc.Get(ctx, f.recipient, v.ID)
	if !navette.IsCode(err, navette.EGONE) || !errors.Is(err, deposit.ErrRevoked) {
		t.Fatalf("Get of a revoked deposit: %v", err)
	}
}

package deposit

import (
	"testing"
	"time"

	"navette"
)

func TestPageLimit(t *testing.T) {
	for _, tc := range []struct{ in, want int }{
		{0, 50}, {-1, 50}, {1, 1}, {200, 200}, {201, 50},
	} {
		if got := pageLimit(tc.in); got != tc.want {
			t.Errorf("pageLimit(%d) = %d, want %d", tc.in, got, tc.want)
		}
	}
}

func TestPageCursor(t *testing.T) {
	at := time.Date(2026, 12, 6, 7, 0, 0, 123000, time.UTC)
	id := navette.NewID()
	for _, tc := range []struct {
		name, in string
		t        time.Time
		id       string
		invalid  bool
	}{
		{name: "none"},
		{name: "cursor", in: formatCursor(at, id), t: at, id: id},
		{name: "no id", in: "123.", invalid: true},
		{name: "no dot", in: "123", invalid: true},
		{name: "negative", in: "-1." + id, invalid: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			gt, gid, err := pageCursor(tc.in)
			if tc.invalid {
				if !navette.IsCode(err, navette.EINVALID) {
					t.Fatalf("err = %v, want EINVALID", err)
				}
				return
			}
			if err != nil || !gt.Equal(tc.t) || gid != tc.id {
				t.Fatalf("pageCursor(%q) = %v, %q, %v; want %v, %q", tc.in, gt, gid, err, tc.t, tc.id)
			}
		})
	}
}

func TestReminderDue(t *testing.T) {
	now := time.Date(2026, 12, 6, 7, 0, 0, 0, time.UTC)
	s := &Service{RemindBefore: 48 * time.Hour}
	for _, tc := range []struct {
		name string
		d    navette.DepositRecord
		want bool
	}{
		{"within the window", navette.DepositRecord{State: navette.DepositAvailable, ExpiresAt: now.Add(24 * time.Hour)}, true},
		{"at the window's start", navette.DepositRecord{State: navette.DepositAvailable, ExpiresAt: now.Add(48 * time.Hour)}, true},
		{"before the window", navette.DepositRecord{State: navette.DepositAvailable, ExpiresAt: now.Add(49 * time.Hour)}, false},
		{"expired", navette.DepositRecord{State: navette.DepositAvailable, ExpiresAt: now}, false},
		{"reminded", navette.DepositRecord{State: navette.DepositAvailable, ExpiresAt: now.Add(time.Hour), RemindedAt: now}, false},
		{"purged", navette.DepositRecord{State: navette.DepositAvailable, ExpiresAt: now.Add(time.Hour), PurgedAt: now}, false},
		{"revoked", navette.DepositRecord{State: navette.DepositRevoked, ExpiresAt: now.Add(time.Hour)}, false},
	} {
		if got := s.reminderDue(&tc.d, now); got != tc.want {
			t.Errorf("%s: reminderDue = %v, want %v", tc.name, got, tc.want)
		}
	}
}

func TestCheckExtension(t *testing.T) {
	now := time.Date(2026, 12, 6, 7, 0, 0, 0, time.UTC)
	lim := navette.Limits{MaxRetentionDays: 30}
	day := 24 * time.Hour
	avail := func(created, expires time.Time) *navette.DepositRecord {
		return &navette.DepositRecord{State: navette.DepositAvailable, CreatedAt: created, ExpiresAt: expires}
	}
	for _, tc := range []struct {
		name string
		d    *navette.DepositRecord
		days int
		code string
	}{
		{"within the ceiling", avail(now, now.Add(7*day)), 23, ""},
		{"past the ceiling", avail(now, now.Add(7*day)), 24, navette.EINVALID},
		{"no day", avail(now, now.Add(7*day)), 0, navette.EINVALID},
		{"at the ceiling", avail(now, now.Add(30*day)), 1, navette.EINVALID},
		{"expired", avail(now.Add(-7*day), now), 1, navette.EGONE},
		{"draft", &navette.DepositRecord{State: navette.DepositDraft, CreatedAt: now}, 1, navette.ECONFLICT},
	} {
		err := checkExtension(tc.d, tc.days, lim, now)
		if navette.ErrorCode(err) != tc.code {
			t.Errorf("%s: checkExtension = %v, want code %q", tc.name, err, tc.code)
		}
	}
}

func TestCheckNewFile(t *testing.T) {
	lim := navette.Limits{MaxFileSize: 1 << 20}
	for _, tc := range []struct {
		name, in string
		size     int64
		want     string
		code     string
	}{
		{"plain", "a.pdf", 10, "a.pdf", ""},
		{"path", `C:\dir\a.pdf`, 10, "a.pdf", ""},
		{"at the limit", "a.pdf", 1 << 20, "a.pdf", ""},
		{"too large", "a.pdf", 1<<20 + 1, "", navette.ETOOLARGE},
		{"unknown size", "a.pdf", -1, "", navette.EINVALID},
		{"no name", " ", 10, "", navette.EINVALID},
	} {
		got, err := checkNewFile(lim, tc.in, tc.size)
		if navette.ErrorCode(err) != tc.code || got != tc.want {
			t.Errorf("%s: checkNewFile(%q, %d) = %q, %v; want %q, code %q", tc.name, tc.in, tc.size, got, err, tc.want, tc.code)
		}
	}
}

func TestPurgedEvents(t *testing.T) {
	now := time.Date(2026, 12, 6, 7, 0, 0, 0, time.UTC)
	d := &navette.DepositRecord{ID: navette.NewID()}
	if evs := purgedEvents(d, nil, "abandoned", now); len(evs) != 1 || evs[0].FileID != "" || evs[0].Detail != "abandoned" {
		t.Fatalf("no file: %+v, want one deposit.purged of the deposit", evs)
	}
	files := []*navette.FileRecord{{ID: navette.NewID(), Size: 3}, {ID: navette.NewID(), Size: 5}}
	evs := purgedEvents(d, files, "expired", now)
	if len(evs) != 2 {
		t.Fatalf("%d events, want one a file", len(evs))
	}
	for i, ev := range evs {
		if ev.Type != navette.EventDepositPurged || ev.FileID != files[i].ID || ev.Size != files[i].Size || ev.DepositID != d.ID || !ev.Time.Equal(now) {
			t.Errorf("event %d = %+v", i, ev)
		}
	}
}

func TestFileStates(t *testing.T) {
	for _, tc := range []struct {
		f              navette.FileRecord
		kept, finished bool
	}{
		{navette.FileRecord{State: navette.FileUploading, Size: 4, Offset: 4, SHA256: []byte{1}}, false, true},
		{navette.FileRecord{State: navette.FileUploading, Size: 4, Offset: 3, SHA256: []byte{1}}, false, false},
		{navette.FileRecord{State: navette.FileUploading, Size: 4, Offset: 4}, false, false},
		{navette.FileRecord{State: navette.FileChecking}, true, false},
		{navette.FileRecord{State: navette.FileStored}, true, false},
		{navette.FileRecord{State: navette.FileAvailable}, true, false},
		{navette.FileRecord{State: navette.FileRejected}, false, false},
		{navette.FileRecord{State: navette.FilePurged}, false, false},
	} {
		if got := kept(&tc.f); got != tc.kept {
			t.Errorf("kept(%s) = %v", tc.f.State, got)
		}
		if got := written(&tc.f); got != tc.finished {
			t.Errorf("written(%s, %d of %d) = %v", tc.f.State, tc.f.Offset, tc.f.Size, got)
		}
	}
}

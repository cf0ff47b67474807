package deposit_test

import (
	"context"
	"testing"
	"time"

	"navette"
	"navette/account"
	"navette/deposit"
)

// TestSettingsApply checks that the limits admins save take precedence over
// the configuration's at once, that only platform admins may save them,
// that a bad value changes nothing, and that clearing them brings back the
// configuration's.
func TestSettingsApply(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	f.svc.Limits = navette.Limits{MaxFileSize: 8 << 20, MaxRetentionDays: 20}
	acc := &account.Service{Meta: f.meta, Clock: f.svc.Clock}
	admin, err := acc.CreateUser(ctx, "admin@justice.example", "Admin", navette.RoleAdmin)
	if err != nil {
		t.Fatal(err)
	}
	cur := func() navette.Limits {
		t.Helper()
		l, err := f.svc.CurrentLimits(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return l
	}
	want := navette.Limits{MaxFileSize: 8 << 20, MaxFiles: navette.DefaultLimits.MaxFiles, MaxRetentionDays: 20, MaxRecipients: navette.DefaultLimits.MaxRecipients}
	if got := cur(); got != want {
		t.Fatalf("limits before any setting: got %+v, want %+v", got, want)
	}

	for _, u := range []*navette.User{f.sender, f.recipient, nil} {
		if _, err := f.svc.SaveSettings(ctx, u, navette.Limits{MaxFiles: 2}); !navette.IsCode(err, navette.EFORBIDDEN) {
			t.Errorf("SaveSettings by %v: got %v, want EFORBIDDEN", u, err)
		}
	}
	for _, days := range []int{31, 5000} { // the arrêté's ceiling is 30 days
		if _, err := f.svc.SaveSettings(ctx, admin, navette.Limits{MaxRetentionDays: days}); !navette.IsCode(err, navette.EINVALID) {
			t.Errorf("SaveSettings with a retention ceiling of %d days: got %v, want EINVALID", days, err)
		}
	}
	if got := cur(); got != want {
		t.Fatalf("limits after refusals: got %+v, want %+v", got, want)
	}

	st, err := f.svc.SaveSettings(ctx, admin, navette.Limits{MaxFileSize: 2 << 20, MaxRetentionDays: 28})
	if err != nil {
		t.Fatal(err)
	}
	if st.UpdatedBy != admin.ID || st.UpdatedAt.IsZero() {
		t.Errorf("saved settings: got %+v, want saved by the admin", st)
	}
	want.MaxFileSize, want.MaxRetentionDays = 2<<20, 28
	if got := cur(); got != want {
		t.Fatalf("limits after saving: got %+v, want %+v", got, want)
	}
	// The new ceiling and size limit apply to the next deposit and file.
	v, err := f.svc.Create(ctx, f.sender, deposit.Draft{Recipients: []string{f.recipient.Email}, Reference: "RG 26/2", RetentionDays: 25})
	if err != nil {
		t.Fatalf("retention 25 under a ceiling of 28: %v", err)
	}
	if _, err := f.svc.StartFile(ctx, f.sender, v.ID, "big.pdf", 3<<20); !navette.IsCode(err, navette.ETOOLARGE) {
		t.Errorf("3 MiB file under a 2 MiB limit: got %v, want ETOOLARGE", err)
	}
	if _, err := f.svc.StartFile(ctx, f.sender, v.ID, "ok.pdf", 2<<20); err != nil {
		t.Errorf("2 MiB file under a 2 MiB limit: %v", err)
	}
	evs, err := f.svc.Meta.Events(ctx, navette.EventFilter{})
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, e := range evs {
		if e.Type == navette.EventSettingsChanged && e.ActorID == admin.ID && e.Detail == "max_file_size=2097152 max_files=0 max_retention_days=28 max_recipients=0" {
			found = true
		}
	}
	if !found {
		t.Error("no settings.changed event with the values saved")
	}

	// Cleared, the configuration applies again.
	if _, err := f.svc.SaveSettings(ctx, admin, navette.Limits{}); err != nil {
		t.Fatal(err)
	}
	want.MaxFileSize, want.MaxRetentionDays = 8<<20, 20
	if got := cur(); got != want {
		t.Fatalf("limits after clearing: got %+v, want %+v", got, want)
	}
	if _, err := f.svc.Create(ctx, f.sender, deposit.Draft{Recipients: []string{f.recipient.Email}, Reference: "RG 26/3", RetentionDays: 25}); !navette.IsCode(err, navette.EINVALID) {
		t.Errorf("retention 25 over the configured ceiling of 20: got %v, want EINVALID", err)
	}
}

// TestFirstOpened checks that a recipient's first opening is recorded once,
// with its event, that the sender's views record nothing, that a download
// without opening counts as one, and that a member opening a deposit sent to
// a service mailbox is recorded on the mailbox.
func TestFirstOpened(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	clock := f.svc.Clock.(*navette.FakeClock)
	opened := func(id string) map[string]navette.Recipient {
		t.Helper()
		d, err := f.svc.Meta.Deposit(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]navette.Recipient{}
		for _, r := range d.Recipients {
			out[r.UserID] = r
		}
		return out
	}
	countOpened := func(id string) int {
		t.Helper()
		evs, err := f.svc.Meta.Events(ctx, navette.EventFilter{DepositID: id})
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, e := range evs {
			if e.Type == navette.EventDepositOpened {
				n++
			}
		}
		return n
	}

	v, file := f.available(t, deposit.Draft{Reference: "RG 26/1"})
	if _, err := f.svc.Get(ctx, f.sender, v.ID); err != nil {
		t.Fatal(err)
	}
	if r := opened(v.ID)[f.recipient.ID]; !r.FirstOpenedAt.IsZero() {
		t.Fatalf("the sender's view recorded an opening: %+v", r)
	}
	clock.Advance(time.Hour)
	first := clock.Now()
	got, err := f.svc.Get(ctx, f.recipient, v.ID)
	if err != nil {
		t.Fatal(err)
	}
	if r := got.Recipients[0]; !r.FirstOpenedAt.Equal(first) {
		t.Errorf("view returned: first opened %v, want %v", r.FirstOpenedAt, first)
	}
	clock.Advance(time.Hour)
	if _, err := f.svc.Get(ctx, f.recipient, v.ID); err != nil {
		t.Fatal(err)
	}
	f.download(t, v.ID, file.ID)
	if r := opened(v.ID)[f.recipient.ID]; !r.FirstOpenedAt.Equal(first) || r.FirstOpenedBy != f.recipient.ID {
		t.Errorf("after opening twice and downloading: first opened %v by %q, want %v by the recipient", r.FirstOpenedAt, r.FirstOpenedBy, first)
	}
	if n := countOpened(v.ID); n != 1 {
		t.Errorf("deposit.opened events: got %d, want 1", n)
	}

	// Downloaded through the API without opening: the download opens it.
	v2, file2 := f.available(t, deposit.Draft{Reference: "RG 26/2"})
	clock.Advance(time.Hour)
	f.download(t, v2.ID, file2.ID)
	if r := opened(v2.ID)[f.recipient.ID]; !r.FirstOpenedAt.Equal(clock.Now()) || !r.FirstOpenedAt.Equal(r.FirstDownloadAt) {
		t.Errorf("download without opening: first opened %v, downloaded %v, want both %v", r.FirstOpenedAt, r.FirstDownloadAt, clock.Now())
	}

	// A member opens for the mailbox.
	now := clock.Now()
	box := &navette.User{ID: navette.NewID(), Email: "greffe-civil@justice.example", Name: "Greffe civil", Role: navette.RoleService, CreatedAt: now}
	if err := f.svc.Meta.CreateUser(ctx, box); err != nil {
		t.Fatal(err)
	}
	acc := &account.Service{Meta: f.meta, Clock: f.svc.Clock}
	member, err := acc.CreateUser(ctx, "membre@justice.example", "Membre", navette.RoleAgent)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.svc.Meta.AddMember(ctx, &navette.Member{ServiceID: box.ID, UserID: member.ID, CreatedAt: now}); err != nil {
		t.Fatal(err)
	}
	d3, err := f.svc.Create(ctx, f.sender, deposit.Draft{Recipients: []string{box.Email, f.recipient.Email}, Reference: "RG 26/3"})
	if err != nil {
		t.Fatal(err)
	}
	fr, err := f.svc.StartFile(ctx, f.sender, d3.ID, "a.pdf", 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.svc.Finish(ctx, f.sender, fr.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.Submit(ctx, f.sender, d3.ID); err != nil {
		t.Fatal(err)
	}
	clock.Advance(time.Minute)
	if _, err := f.svc.Get(ctx, member, d3.ID); err != nil {
		t.Fatal(err)
	}
	rs := opened(d3.ID)
	if r := rs[box.ID]; !r.FirstOpenedAt.Equal(clock.Now()) || r.FirstOpenedBy != member.ID {
		t.Errorf("mailbox opened by a member: %v by %q, want %v by the member", r.FirstOpenedAt, r.FirstOpenedBy, clock.Now())
	}
	if r := rs[f.recipient.ID]; !r.FirstOpenedAt.IsZero() {
		t.Errorf("the other recipient is marked opened by the member: %+v", r)
	}
}

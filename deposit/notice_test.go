package deposit_test

import (
	"bytes"
	"context"
	"io"
	"strings"
	"testing"
	"time"

	"navette"
	"navette/deposit"
	"navette/notify"
)

// available makes an available deposit of one file from the fixture's
// sender to its recipient.
func (f *fixture) available(t *testing.T, in deposit.Draft) (*deposit.View, *navette.FileRecord) {
	t.Helper()
	ctx := context.Background()
	in.Recipients = []string{f.recipient.Email}
	v, err := f.svc.Create(ctx, f.sender, in)
	if err != nil {
		t.Fatal(err)
	}
	file, err := f.svc.StartFile(ctx, f.sender, v.ID, "pv-secret.pdf", 3)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.Write(ctx, f.sender, file.ID, 0, bytes.NewReader([]byte("pdf"))); err != nil {
		t.Fatal(err)
	}
	if err := f.svc.Finish(ctx, f.sender, file.ID); err != nil {
		t.Fatal(err)
	}
	if v, err = f.svc.Submit(ctx, f.sender, v.ID); err != nil {
		t.Fatal(err)
	}
	return v, file
}

// notices returns the notices about deposit id and the data they carry.
func (f *fixture) notices(t *testing.T, id string) ([]*navette.Notice, []*notify.Data) {
	t.Helper()
	ns, err := f.meta.Notices(context.Background(), navette.NoticeFilter{DepositID: id})
	if err != nil {
		t.Fatal(err)
	}
	var ds []*notify.Data
	for _, n := range ns {
		d, err := notify.Open(f.svc.Keys, n)
		if err != nil {
			t.Fatalf("payload of the %s notice: %v", n.Kind, err)
		}
		ds = append(ds, d)
	}
	return ns, ds
}

func (f *fixture) download(t *testing.T, depositID, fileID string) {
	t.Helper()
	f.downloadAs(t, f.recipient, depositID, fileID)
}

// downloadAs has u download the whole file fileID of deposit depositID.
func (f *fixture) downloadAs(t *testing.T, u *navette.User, depositID, fileID string) {
	t.Helper()
	dl, err := f.svc.OpenFile(context.Background(), u, depositID, fileID)
	if err != nil {
		t.Fatal(err)
	}
	if err := dl.WriteRange(context.Background(), io.Discard, 0, dl.Size()); err != nil {
		t.Fatal(err)
	}
}

func TestNoticesFollowTheDeposit(t *testing.T) {
	f := newFixture(t)
	clock := f.svc.Clock.(*navette.FakeClock)
	f.svc.RemindBefore = 3 * 24 * time.Hour
	kicks := 0
	f.svc.NoticesQueued = func() { kicks++ }

	// Submitting queues a notice to each recipient, with the event that
	// makes the deposit available.
	fetched, file := f.available(t, deposit.Draft{Reference: "RG 26/1", Message: "secret message", RetentionDays: 7})
	ns, ds := f.notices(t, fetched.ID)
	if len(ns) != 1 || ns[0].Kind != navette.NoticeDeposit || ns[0].UserID != f.recipient.ID || ns[0].State != navette.NoticePending {
		t.Fatalf("notices after submit: %+v", ns)
	}
	if d := ds[0]; d.Reference != "RG 26/1" || d.Files != 1 || d.Sender.Email != f.sender.Email || !d.ExpiresAt.Equal(fetched.ExpiresAt) ||
		d.FileNames != nil || d.Message != "" {
		t.Errorf("deposit notice carries %+v", d)
	}
	if kicks != 1 {
		t.Errorf("%d kicks after submit, want 1", kicks)
	}

	// The first download queues a receipt to the sender; later ones do
	// not.
	clock.Advance(time.Second) // notices list in the order of their creation
	f.download(t, fetched.ID, file.ID)
	f.download(t, fetched.ID, file.ID)
	ns, ds = f.notices(t, fetched.ID)
	if len(ns) != 2 || ns[1].Kind != navette.NoticeReceipt || ns[1].UserID != f.sender.ID || ds[1].Recipient.Email != f.recipient.Email || ds[1].DownloadedAt.IsZero() {
		t.Fatalf("notices after downloads: %d, %+v", len(ns), ds)
	}

	// A sender who wants no receipts gets none.
	quiet, qfile := f.available(t, deposit.Draft{Reference: "RG 26/2", RetentionDays: 7, NoReceipts: true})
	if quiet.NotifySender {
		t.Errorf("NoReceipts left NotifySender on")
	}
	f.download(t, quiet.ID, qfile.ID)
	if ns, _ := f.notices(t, quiet.ID); len(ns) != 1 {
		t.Errorf("%d notices for a deposit without receipts, want 1", len(ns))
	}

	// Three days before expiry, a reminder to recipients who have not
	// downloaded, once.
	unfetched, _ := f.available(t, deposit.Draft{Reference: "RG 26/3", RetentionDays: 7})
	clock.Advance(4*24*time.Hour + time.Second)
	st, err := f.svc.Sweep(context.Background())
	if err != nil || st.Reminded != 1 {
		t.Fatalf("sweep: %+v, %v", st, err)
	}
	ns, ds = f.notices(t, unfetched.ID)
	if len(ns) != 2 || ns[1].Kind != navette.NoticeReminder || ns[1].UserID != f.recipient.ID || ds[1].Reference != "RG 26/3" {
		t.Fatalf("notices after the reminder: %+v", ns)
	}
	if st, _ := f.svc.Sweep(context.Background()); st.Reminded != 0 {
		t.Errorf("second sweep reminded again")
	}

	// At expiry, a report to the sender if someone never fetched: made in
	// the purge's transaction, it still opens after the keys are gone.
	clock.Advance(3 * 24 * time.Hour)
	if st, err := f.svc.Sweep(context.Background()); err != nil || st.Expired != 3 {
		t.Fatalf("sweep at expiry: %+v, %v", st, err)
	}
	if d, _ := f.svc.Meta.Deposit(context.Background(), unfetched.ID); !d.Key.IsZero() || d.Reference != nil {
		t.Fatalf("deposit not purged")
	}
	ns, ds = f.notices(t, unfetched.ID)
	if len(ns) != 3 || ns[2].Kind != navette.NoticeExpiryReport || ns[2].UserID != f.sender.ID {
		t.Fatalf("notices after expiry: %+v", ns)
	}
	if d := ds[2]; d.Reference != "RG 26/3" || len(d.NeverFetched) != 1 || d.NeverFetched[0].Email != f.recipient.Email || d.Files != 1 {
		t.Errorf("expiry report carries %+v", d)
	}
	for _, id := range []string{fetched.ID, quiet.ID} {
		for _, n := range func() []*navette.Notice { ns, _ := f.notices(t, id); return ns }() {
			if n.Kind == navette.NoticeExpiryReport || n.Kind == navette.NoticeReminder {
				t.Errorf("deposit %s, fetched, got a %s", id, n.Kind)
			}
		}
	}
}

func TestNoticesCarryNamesOnlyIfAllowed(t *testing.T) {
	f := newFixture(t)
	f.svc.MailNames = true
	v, _ := f.available(t, deposit.Draft{Reference: "RG 26/1", Message: "secret message"})
	_, ds := f.notices(t, v.ID)
	if len(ds) != 1 || len(ds[0].FileNames) != 1 || ds[0].FileNames[0] != "pv-secret.pdf" || ds[0].Message != "secret message" {
		t.Errorf("deposit notice with names allowed carries %+v", ds)
	}
}

func TestRevokeTellsTheRecipients(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	kicks := 0
	f.svc.NoticesQueued = func() { kicks++ }
	v, _ := f.available(t, deposit.Draft{Reference: "RG 26/9", Message: "secret message", RetentionDays: 7})
	f.svc.Clock.(*navette.FakeClock).Advance(time.Second)
	for _, bad := range []string{strings.Repeat("x", deposit.MaxReasonLen+1), "two\nlines", "bell\a"} {
		if err := f.svc.RevokeWithReason(ctx, f.sender, v.ID, bad); !navette.IsCode(err, navette.EINVALID) {
			t.Errorf("RevokeWithReason(%q) = %v, want EINVALID", bad, err)
		}
	}
	if err := f.svc.RevokeWithReason(ctx, f.recipient, v.ID, ""); !navette.IsCode(err, navette.EFORBIDDEN) {
		t.Errorf("RevokeWithReason by the recipient = %v, want EFORBIDDEN", err)
	}
	if err := f.svc.RevokeWithReason(ctx, f.sender, v.ID, "  Pièce jointe par erreur "); err != nil {
		t.Fatal(err)
	}
	ns, ds := f.notices(t, v.ID)
	if len(ns) != 2 || ns[1].Kind != navette.NoticeWithdrawn || ns[1].UserID != f.recipient.ID || ns[1].State != navette.NoticePending {
		t.Fatalf("notices after revoke: %+v", ns)
	}
	if d := ds[1]; d.Reason != "Pièce jointe par erreur" || d.Reference != "RG 26/9" || d.Sender.Email != f.sender.Email || d.Message != "" || d.FileNames != nil {
		t.Errorf("withdrawal notice carries %+v", d)
	}
	if bytes.Contains(ns[1].Payload, []byte("erreur")) {
		t.Errorf("the reason is stored in clear")
	}
	if kicks != 2 {
		t.Errorf("%d kicks after submit and revoke, want 2", kicks)
	}

	// A draft was never offered: withdrawing it tells no one.
	draft, err := f.svc.Create(ctx, f.sender, deposit.Draft{Reference: "RG 26/10", Recipients: []string{f.recipient.Email}})
	if err != nil {
		t.Fatal(err)
	}
	if err := f.svc.Revoke(ctx, f.sender, draft.ID); err != nil {
		t.Fatal(err)
	}
	if ns, _ := f.notices(t, draft.ID); len(ns) != 0 {
		t.Errorf("withdrawing a draft made notices: %+v", ns)
	}
}

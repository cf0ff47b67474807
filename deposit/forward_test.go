package deposit_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"navette"
	"navette/deposit"
	"navette/notify"
)

// sendData makes, uploads and submits a deposit of one file holding data,
// kept days days.
func (c *caseFixture) sendData(t *testing.T, from *navette.User, ref string, days int, data []byte, to ...*navette.User) *deposit.View {
	t.Helper()
	ctx := context.Background()
	var emails []string
	for _, u := range to {
		emails = append(emails, u.Email)
	}
	v, err := c.svc.Create(ctx, from, deposit.Draft{Recipients: emails, Reference: ref, RetentionDays: days})
	if err != nil {
		t.Fatal(err)
	}
	f, err := c.svc.StartFile(ctx, from, v.ID, "scellés.pdf", int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.svc.Write(ctx, from, f.ID, 0, bytes.NewReader(data)); err != nil {
		t.Fatal(err)
	}
	if err := c.svc.Finish(ctx, from, f.ID); err != nil {
		t.Fatal(err)
	}
	if v, err = c.svc.Submit(ctx, from, v.ID); err != nil {
		t.Fatal(err)
	}
	return v
}

// fetch downloads the only file of deposit id as who, and returns the
// SHA-256 of what came.
func (c *caseFixture) fetch(t *testing.T, who *navette.User, id string) [32]byte {
	t.Helper()
	ctx := context.Background()
	v, err := c.svc.Get(ctx, who, id)
	if err != nil {
		t.Fatalf("Get(%s): %v", id, err)
	}
	if len(v.Files) != 1 {
		t.Fatalf("deposit %s has %d files, want 1", id, len(v.Files))
	}
	dl, err := c.svc.OpenFile(ctx, who, id, v.Files[0].ID)
	if err != nil {
		t.Fatalf("OpenFile: %v", err)
	}
	h := sha256.New()
	if err := dl.WriteRange(ctx, h, 0, dl.Size()); err != nil {
		t.Fatalf("WriteRange: %v", err)
	}
	return [32]byte(h.Sum(nil))
}

// onDisk returns the number of files and bytes under the blob store's
// directory: blobs and uploads alike.
func (c *caseFixture) onDisk(t *testing.T) (files int, size int64) {
	t.Helper()
	root := filepath.Join(filepath.Dir(c.dbPath), "blobs")
	err := filepath.WalkDir(root, func(path string, e fs.DirEntry, err error) error {
		if err != nil || e.IsDir() {
			return err
		}
		info, err := e.Info()
		if err != nil {
			return err
		}
		files++
		size += info.Size()
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return files, size
}

func randomData(n int) []byte {
	b := make([]byte, n)
	r := rand.NewChaCha8([32]byte{7})
	r.Read(b)
	return b
}

// TestForward: a member of the mailbox a lawyer wrote to passes the deposit
// on to an agent of another service; nothing is copied, the forward is a
// deposit of its own in the same case, and the lawyer is told.
func TestForward(t *testing.T) {
	c := newCaseFixture(t)
	ctx := context.Background()
	data := randomData(300 << 10) // five segments
	want := sha256.Sum256(data)
	d1 := c.sendData(t, c.lawyer, "RG 24/00042", 7, data, c.service)
	files, size := c.onDisk(t)

	c.svc.Clock.(*navette.FakeClock).Advance(time.Minute)
	fw, err := c.svc.Forward(ctx, c.colleague, d1.ID, deposit.Onward{Recipients: []string{c.stranger.Email}, Message: "Pour attribution", RetentionDays: 5})
	if err != nil {
		t.Fatalf("Forward: %v", err)
	}
	now := c.svc.Clock.Now()
	if fw.State != navette.DepositAvailable || fw.Reference != "RG 24/00042" || fw.Message != "Pour attribution" || fw.CaseID != d1.CaseID ||
		len(fw.Recipients) != 1 || fw.Recipients[0].UserID != c.stranger.ID || fw.SenderID != c.colleague.ID || !fw.ExpiresAt.Equal(now.Add(5*24*time.Hour)) {
		t.Fatalf("forward: %s, %q, %q, case %s (want %s), to %v, from %s, expires %v", fw.State, fw.Reference, fw.Message, fw.CaseID, d1.CaseID, fw.Recipients, fw.SenderID, fw.ExpiresAt)
	}
	if len(fw.Files) != 1 || fw.Files[0].Name != "scellés.pdf" || fw.Files[0].Size != int64(len(data)) || fw.Files[0].ID == d1.Files[0].ID {
		t.Fatalf("forward's files: %+v", fw.Files)
	}
	if f2, s2 := c.onDisk(t); f2 != files || s2 != size {
		t.Errorf("after the forward, %d files of %d bytes on disk; want %d of %d, unchanged", f2, s2, files, size)
	}
	if got := c.fetch(t, c.stranger, fw.ID); got != want {
		t.Errorf("the forward's file has SHA-256 %x, want %x", got, want)
	}
	c.checkForwardJournal(t, d1.ID, fw.ID)
	c.checkForwardedNotice(t, d1.ID, fw.ID)
}

// checkForwardJournal checks that the original records the forward, and
// that the forward's creation names the original.
func (c *caseFixture) checkForwardJournal(t *testing.T, origID, fwID string) {
	t.Helper()
	has := func(depositID string, typ navette.EventType, detail string) bool {
		evs, err := c.svc.Meta.Events(context.Background(), navette.EventFilter{DepositID: depositID})
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range evs {
			if e.Type == typ && e.Detail == detail {
				return true
			}
		}
		return false
	}
	if !has(origID, navette.EventDepositForwarded, fwID) {
		t.Errorf("no %s event on the original naming the forward", navette.EventDepositForwarded)
	}
	if !has(fwID, navette.EventDepositCreated, origID) {
		t.Errorf("the forward's %s event does not name the original", navette.EventDepositCreated)
	}
	if !has(fwID, navette.EventDepositAvailable, c.mustGet(t, fwID).ExpiresAt.Format(time.RFC3339)) {
		t.Errorf("the forward has no %s event", navette.EventDepositAvailable)
	}
}

func (c *caseFixture) mustGet(t *testing.T, id string) *deposit.View {
	t.Helper()
	v, err := c.svc.Get(context.Background(), c.colleague, id)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// checkForwardedNotice checks the notices: a deposit notice to the
// forward's recipient, and to the original's sender a forwarded notice that
// says by whom and to whom, rendered as the mail goes out.
func (c *caseFixture) checkForwardedNotice(t *testing.T, origID, fwID string) {
	t.Helper()
	ns, _ := c.notices(t, fwID)
	kinds := map[navette.NoticeKind]string{}
	for _, n := range ns {
		kinds[n.Kind] = n.UserID
	}
	if len(ns) != 2 || kinds[navette.NoticeDeposit] != c.stranger.ID || kinds[navette.NoticeReceipt] != c.colleague.ID {
		t.Errorf("the forward's notices: %v; want a deposit notice to its recipient, a receipt to the forwarder", kinds)
	}
	ns, ds := c.notices(t, origID)
	var told *navette.Notice
	var data *notify.Data
	for i, n := range ns {
		if n.Kind == navette.NoticeForwarded {
			told, data = n, ds[i]
		}
	}
	if told == nil || told.UserID != c.lawyer.ID {
		t.Fatalf("no forwarded notice to the lawyer among %+v", ns)
	}
	r, err := notify.NewRenderer("https://navette.justice.example/", notify.Address{Email: "noreply@justice.example"}, false)
	if err != nil {
		t.Fatal(err)
	}
	m, err := r.Render(told, c.lawyer, data)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{c.colleague.Email, c.stranger.Email, "RG 24/00042", "/d/" + origID} {
		if !strings.Contains(m.Text, s) || !strings.Contains(m.HTML, s) {
			t.Errorf("the forwarded mail does not say %q:\n%s", s, m.Text)
		}
	}
	if strings.Contains(m.Text, "Pour attribution") || strings.Contains(m.Text, "scellés") {
		t.Errorf("the forwarded mail tells the forwarder's message or a file name:\n%s", m.Text)
	}
}

// TestForwardRefused: forwards are for agents who received the deposit,
// within the ministry unless the operator allows partners.
func TestForwardRefused(t *testing.T) {
	c := newCaseFixture(t)
	ctx := context.Background()
	d1 := c.sendData(t, c.lawyer, "RG 24/00042", 7, []byte("pv"), c.service)
	d2 := c.send(t, c.clerk, "RG 24/00043", c.lawyer)
	to := func(u *navette.User) deposit.Onward { return deposit.Onward{Recipients: []string{u.Email}} }
	for _, tc := range []struct {
		name string
		who  *navette.User
		id   string
		in   deposit.Onward
		code string
	}{
		{"to a partner", c.colleague, d1.ID, to(c.otherBar), navette.EINVALID},
		{"not a recipient", c.stranger, d1.ID, to(c.clerk), navette.ENOTFOUND},
		{"unknown deposit", c.colleague, navette.NewID(), to(c.stranger), navette.ENOTFOUND},
		{"the sender", c.lawyer, d1.ID, to(c.stranger), navette.EFORBIDDEN},
		{"a partner who received it", c.lawyer, d2.ID, to(c.service), navette.EFORBIDDEN},
		{"to oneself", c.colleague, d1.ID, to(c.colleague), navette.EINVALID},
		{"to nobody", c.colleague, d1.ID, deposit.Onward{}, navette.EINVALID},
		{"unknown recipient", c.colleague, d1.ID, deposit.Onward{Recipients: []string{"nobody@justice.example"}}, navette.EINVALID},
		{"past the ceiling", c.colleague, d1.ID, deposit.Onward{Recipients: []string{c.stranger.Email}, RetentionDays: 31}, navette.EINVALID},
		{"bad message", c.colleague, d1.ID, deposit.Onward{Recipients: []string{c.stranger.Email}, Message: "\x00"}, navette.EINVALID},
	} {
		if _, err := c.svc.Forward(ctx, tc.who, tc.id, tc.in); !navette.IsCode(err, tc.code) {
			t.Errorf("%s: Forward = %v, want %s", tc.name, err, tc.code)
		}
	}
	c.svc.ForwardToPartners = true
	fw, err := c.svc.Forward(ctx, c.clerk, d1.ID, to(c.otherBar))
	if err != nil || fw.Recipients[0].UserID != c.otherBar.ID {
		t.Fatalf("with forwards to partners allowed, Forward = %v, %v", fw, err)
	}
	c.svc.Internal = true
	if _, err := c.svc.Forward(ctx, c.clerk, d1.ID, to(c.otherBar)); !navette.IsCode(err, navette.EINVALID) {
		t.Errorf("in internal mode, a forward to a partner: %v, want EINVALID", err)
	}
	c.svc.Internal = false
	if err := c.svc.Revoke(ctx, c.lawyer, d1.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := c.svc.Forward(ctx, c.clerk, d1.ID, to(c.stranger)); !navette.IsCode(err, navette.EGONE) {
		t.Errorf("forwarding a withdrawn deposit: %v, want EGONE", err)
	}
}

// TestForwardOutlivesOriginal: the original purged (withdrawn or expired),
// the forward still downloads; the forward purged after, the blob is gone.
func TestForwardOutlivesOriginal(t *testing.T) {
	for _, withdraw := range []bool{false, true} {
		c := newCaseFixture(t)
		ctx := context.Background()
		clock := c.svc.Clock.(*navette.FakeClock)
		data := randomData(200 << 10)
		want := sha256.Sum256(data)
		d1 := c.sendData(t, c.lawyer, "RG 24/00042", 3, data, c.service)
		files, size := c.onDisk(t)
		fw, err := c.svc.Forward(ctx, c.clerk, d1.ID, deposit.Onward{Recipients: []string{c.stranger.Email}, RetentionDays: 20})
		if err != nil {
			t.Fatal(err)
		}
		if withdraw {
			if err := c.svc.Revoke(ctx, c.lawyer, d1.ID); err != nil {
				t.Fatal(err)
			}
		} else {
			clock.Advance(4 * 24 * time.Hour)
		}
		if st, err := c.svc.Sweep(ctx); err != nil || st.Purged != 1 {
			t.Fatalf("withdraw %v: sweep: %+v, %v; want the original purged", withdraw, st, err)
		}
		if f2, s2 := c.onDisk(t); f2 != files || s2 != size {
			t.Errorf("withdraw %v: the original purged, %d files of %d bytes on disk; want %d of %d, kept for the forward", withdraw, f2, s2, files, size)
		}
		if got := c.fetch(t, c.stranger, fw.ID); got != want {
			t.Errorf("withdraw %v: the forward's file has SHA-256 %x, want %x", withdraw, got, want)
		}
		if _, err := c.svc.OpenFile(ctx, c.clerk, d1.ID, d1.Files[0].ID); !navette.IsCode(err, navette.EGONE) {
			t.Errorf("withdraw %v: the original's file: %v, want EGONE", withdraw, err)
		}
		clock.Advance(21 * 24 * time.Hour)
		if st, err := c.svc.Sweep(ctx); err != nil || st.Purged != 1 || st.BlobsDeleted < 1 {
			t.Fatalf("withdraw %v: sweep: %+v, %v; want the forward purged and the blob deleted", withdraw, st, err)
		}
		if f2, _ := c.onDisk(t); f2 != 0 {
			t.Errorf("withdraw %v: %d files left on disk after the last holder's purge, want none", withdraw, f2)
		}
		c.checkShredded(t, d1.ID, fw.ID)
	}
}

// checkShredded checks that no file of the deposits ids keeps its key or
// its blob.
func (c *caseFixture) checkShredded(t *testing.T, ids ...string) {
	t.Helper()
	for _, id := range ids {
		fs, err := c.svc.Meta.Files(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range fs {
			if !f.Key.IsZero() || !f.BlobDeleted || f.State != navette.FilePurged {
				t.Errorf("file %s of %s: key kept %v, blob deleted %v, %s", f.ID, id, !f.Key.IsZero(), f.BlobDeleted, f.State)
			}
		}
	}
}

// TestForwardScrub: the scrubber verifies a shared blob for each holder,
// the original's purge aside, and marks each holder of a blob found
// corrupt, whose downloads are then refused.
func TestForwardScrub(t *testing.T) {
	c := newCaseFixture(t)
	ctx := context.Background()
	data := randomData(150 << 10)
	d1 := c.sendData(t, c.lawyer, "RG 24/00042", 3, data, c.service)
	fw, err := c.svc.Forward(ctx, c.clerk, d1.ID, deposit.Onward{Recipients: []string{c.stranger.Email}, RetentionDays: 10})
	if err != nil {
		t.Fatal(err)
	}
	if st, err := c.svc.Scrub(ctx, 0); err != nil || st.Files != 2 || len(st.Corrupt) != 0 {
		t.Fatalf("scrub: %+v, %v; want both holders verified", st, err)
	}
	c.svc.Clock.(*navette.FakeClock).Advance(4 * 24 * time.Hour)
	if _, err := c.svc.Sweep(ctx); err != nil {
		t.Fatal(err)
	}
	if st, err := c.svc.Scrub(ctx, 0); err != nil || st.Files != 1 || len(st.Corrupt) != 0 {
		t.Fatalf("scrub after the original's purge: %+v, %v; want the forward verified", st, err)
	}
	// Bit rot in the shared blob.
	id := d1.Files[0].ID
	path := filepath.Join(filepath.Dir(c.dbPath), "blobs", "blobs", id[:2], id)
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	b[len(b)/2] ^= 1
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	if st, err := c.svc.Scrub(ctx, 0); err != nil || len(st.Corrupt) != 1 || st.Corrupt[0].ID != fw.Files[0].ID {
		t.Fatalf("scrub of the rotten blob: %+v, %v; want the forward's file marked", st, err)
	}
	if _, err := c.svc.OpenFile(ctx, c.stranger, fw.ID, fw.Files[0].ID); err == nil {
		t.Errorf("the corrupt forward's file is still offered")
	}
}

package deposit_test

import (
	"bytes"
	"context"
	"testing"
	"time"

	"navette"
	"navette/deposit"
)

// TestDraftsAndDiscard lists a sender's drafts, refuses to discard a
// deposit that is not one or not the actor's, and discards one: journaled,
// gone from the list, and its file and keys destroyed by the sweep.
func TestDraftsAndDiscard(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	old := f.draft(t)
	f.svc.Clock.(*navette.FakeClock).Advance(time.Minute)
	d := f.draft(t)
	file, err := f.svc.StartFile(ctx, f.sender, d.ID, "pièce.pdf", 3)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.Write(ctx, f.sender, file.ID, 0, bytes.NewReader([]byte("abc"))); err != nil {
		t.Fatal(err)
	}
	if err := f.svc.Finish(ctx, f.sender, file.ID); err != nil {
		t.Fatal(err)
	}
	sent, _ := f.availableData(t, []byte("xyz"))

	drafts, err := f.svc.Drafts(ctx, f.sender)
	if err != nil {
		t.Fatal(err)
	}
	if len(drafts) != 2 || drafts[0].ID != d.ID || drafts[1].ID != old.ID {
		t.Fatalf("drafts %v, want %s then %s", draftIDs(drafts), d.ID, old.ID)
	}
	if drafts[0].Reference != "RG 26/1" || len(drafts[0].Files) != 1 || drafts[0].Files[0].Name != "pièce.pdf" {
		t.Errorf("draft not opened: %+v", drafts[0])
	}
	if want := drafts[1].CreatedAt.Add(24 * time.Hour); !f.svc.AbandonedAt(drafts[1].DepositRecord).Equal(want) {
		t.Errorf("abandoned at %v, want %v", f.svc.AbandonedAt(drafts[1].DepositRecord), want)
	}
	if others, err := f.svc.Drafts(ctx, f.recipient); err != nil || len(others) != 0 {
		t.Errorf("the recipient's drafts: %v, %v", draftIDs(others), err)
	}

	for _, c := range []struct {
		name  string
		actor *navette.User
		id    string
		code  string
	}{
		{"recipient", f.recipient, d.ID, navette.ENOTFOUND},
		{"submitted", f.sender, sent.ID, navette.ECONFLICT},
		{"unknown", f.sender, navette.NewID(), navette.ENOTFOUND},
	} {
		if err := f.svc.Discard(ctx, c.actor, c.id); !navette.IsCode(err, c.code) {
			t.Errorf("%s: %v, want %s", c.name, err, c.code)
		}
	}
	if err := f.svc.Discard(ctx, f.sender, d.ID); err != nil {
		t.Fatal(err)
	}
	if err := f.svc.Discard(ctx, f.sender, d.ID); !navette.IsCode(err, navette.ECONFLICT) {
		t.Errorf("discarded twice: %v", err)
	}
	drafts, _ = f.svc.Drafts(ctx, f.sender)
	if len(drafts) != 1 || drafts[0].ID != old.ID {
		t.Errorf("drafts after the discard: %v", draftIDs(drafts))
	}
	var journaled bool
	for _, e := range f.events(t, navette.EventDepositRevoked) {
		journaled = journaled || e.DepositID == d.ID && e.ActorID == f.sender.ID && e.Detail == "discarded"
	}
	if !journaled {
		t.Error("the discard is not journaled")
	}
	if _, err := f.svc.Sweep(ctx); err != nil {
		t.Fatal(err)
	}
	rec, err := f.meta.Deposit(ctx, d.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !rec.Key.IsZero() || rec.PurgedAt.IsZero() {
		t.Errorf("the discarded draft keeps its key or is not purged: %+v", rec)
	}
	if rc, err := f.blobs.Open(ctx, file.ID, 0, -1); err == nil {
		rc.Close()
		t.Error("the discarded draft's file is still stored")
	}
	if fs, _ := f.meta.Files(ctx, d.ID); len(fs) != 1 || !fs[0].Key.IsZero() {
		t.Errorf("the file keeps its key: %+v", fs)
	}
}

func draftIDs(vs []*deposit.View) []string {
	var out []string
	for _, v := range vs {
		out = append(out, v.ID)
	}
	return out
}

package app_test

import (
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"navette"
	"navette/app"
	"navette/deposit"
)

// TestDeadLetterEndsWithTheEvidence: a notice that never went out keeps
// the deposit's reference sealed under the key-encryption key; once the
// deposit is purged and its proof retention has ended, nothing of it is
// left there either, and it can no longer be replayed.
func TestDeadLetterEndsWithTheEvidence(t *testing.T) {
	e, srv := mailEnv(t)
	_, dl := e.deadLetter(srv, e.user("root@justice.example", "Admin", navette.RoleAdmin))
	id := dl.ID

	e.clock.Advance(8 * 24 * time.Hour)
	if st, err := e.app.Deposits.Sweep(t.Context()); err != nil || st.Purged != 1 {
		t.Fatalf("sweep at expiry: %+v, %v", st, err)
	}
	n, err := e.app.Meta.Notice(t.Context(), id)
	if err != nil || n.Payload == nil {
		t.Fatalf("the dead letter lost its payload while the evidence is kept: %v", err)
	}
	e.clock.Advance(deposit.DefaultProofRetention)
	if st, err := e.app.Deposits.Sweep(t.Context()); err != nil || st.ProofsEnded != 1 {
		t.Fatalf("sweep at the end of the proof retention: %+v, %v", st, err)
	}
	n, err = e.app.Meta.Notice(t.Context(), id)
	if err != nil || !n.Key.IsZero() || n.Payload != nil || n.State != navette.NoticeDead {
		t.Errorf("dead letter after the proof retention: key %q, payload %d bytes, state %s (%v); want no key, no payload, dead",
			n.Key.KeyID, len(n.Payload), n.State, err)
	}
	if _, err := e.app.Mail.OperatorReplay(t.Context(), id); !navette.IsCode(err, navette.ECONFLICT) {
		t.Errorf("replay of a dead letter without payload: %v, want %s", err, navette.ECONFLICT)
	}
}

// TestExpiredAnswerClaimsNoErasure: between its expiry and the sweep's
// purge, a deposit's files are refused (410) without the answer claiming
// they were deleted: nothing is, until the purge.
func TestExpiredAnswerClaimsNoErasure(t *testing.T) {
	e := newEnv(t)
	d := e.send(map[string][]byte{"pv.pdf": []byte("procès-verbal")})
	e.clock.Advance(7 * 24 * time.Hour)
	resp, b := e.do("GET", filePath(d, d.Files[0]), e.lawyer, nil)
	if p := e.problem(resp, b, http.StatusGone); p.Detail != "This deposit has expired; its files are no longer available." {
		t.Errorf("detail before the purge: %q", p.Detail)
	}
	if e.blobFile(d.Files[0].ID) == "" {
		t.Error("the blob is gone before any sweep")
	}
}

// TestOutboxPrunedWithoutNewMail: without a mail server, a message of the
// local outbox older than its 30 days is removed by the sweeper even when
// no new message is written (which was the only time it was): it holds a
// deposit's reference, sealed under the key-encryption key.
func TestOutboxPrunedWithoutNewMail(t *testing.T) {
	e := newEnv(t, func(c *app.Config) { c.SweepInterval = 20 * time.Millisecond })
	if e.app.Outbox == nil {
		t.Fatal("the node has no outbox")
	}
	dir := e.app.Outbox.Dir()
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	old, fresh := filepath.Join(dir, navette.NewID()+".mail"), filepath.Join(dir, navette.NewID()+".mail")
	for _, p := range []string{old, fresh} {
		if err := os.WriteFile(p, []byte("{}"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	past := time.Now().Add(-31 * 24 * time.Hour)
	if err := os.Chtimes(old, past, past); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the old message removed", func() bool {
		_, err := os.Stat(old)
		return os.IsNotExist(err)
	})
	if _, err := os.Stat(fresh); err != nil {
		t.Errorf("a message of the last 30 days went: %v", err)
	}
}

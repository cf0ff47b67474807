package app_test

import (
	"net/http"
	"testing"
	"time"

	"navette"
	"navette/api"
	"navette/deposit"
)

// TestDeadLetterEndsWithTheEvidence: a notice that never went out keeps
// the deposit's reference sealed under the key-encryption key; once the
// deposit is purged and its proof retention has ended, nothing of it is
// left there either, and it can no longer be replayed.
func TestDeadLetterEndsWithTheEvidence(t *testing.T) {
	e, srv := mailEnv(t)
	admin := e.user("root@justice.example", "Admin", navette.RoleAdmin)
	srv.Reject(strangerEmail, true)
	d := e.createDeposit(e.agent, lawyerEmail, strangerEmail)
	e.upload(e.agent, d.ID, "a.pdf", []byte("a"))
	e.submit(e.agent, d.ID)
	var dead api.NoticeList
	waitFor(t, "a dead letter", func() bool {
		e.doJSON("GET", api.PathAdminNotices+"?state=dead", admin, nil, http.StatusOK, &dead)
		return len(dead.Notices) == 1
	})
	id := dead.Notices[0].ID

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

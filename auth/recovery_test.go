package auth

import (
	"context"
	"encoding/base32"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"navette"
	"navette/internal/testsqlite"
	"navette/keyring"
	"navette/notify"
	"navette/sqlite"
	"navette/totp"
)

// recoveryEnv is a sign-in service over a real SQLite store and key ring.
type recoveryEnv struct {
	s     *Service
	meta  *sqlite.Store
	clock *navette.FakeClock
	ctx   context.Context
}

func newRecoveryEnv(t *testing.T) *recoveryEnv {
	t.Helper()
	dir := t.TempDir()
	meta := testsqlite.Open(t, filepath.Join(dir, "navette.db"))
	keys, err := keyring.Open(filepath.Join(dir, "keys"))
	if err != nil {
		t.Fatal(err)
	}
	mac, err := keyring.OpenMAC(filepath.Join(dir, "keys"))
	if err != nil {
		t.Fatal(err)
	}
	clock := navette.NewFakeClock(time.Date(2026, 12, 6, 9, 0, 0, 0, time.UTC))
	s := &Service{Meta: meta, Clock: clock, Keys: keys, Codes: mac, Config: Config{AnswerTime: time.Millisecond, StaffCodes: true}}
	s.Init()
	return &recoveryEnv{s: s, meta: meta, clock: clock, ctx: t.Context()}
}

func (e *recoveryEnv) user(t *testing.T, email string, role navette.Role, court string) *navette.User {
	t.Helper()
	u := &navette.User{ID: navette.NewID(), Email: email, Name: email, Role: role, CourtID: court, CreatedAt: e.clock.Now()}
	if err := e.meta.CreateUser(e.ctx, u); err != nil {
		t.Fatal(err)
	}
	return u
}

// notices returns the kinds of the notices queued for u, oldest first,
// and the last sign-in code among them.
func (e *recoveryEnv) notices(t *testing.T, u *navette.User) (kinds []navette.NoticeKind, code string) {
	t.Helper()
	ns, err := e.meta.Notices(e.ctx, navette.NoticeFilter{UserID: u.ID, Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range ns {
		kinds = append(kinds, n.Kind)
		if n.Kind == navette.NoticeSignInCode {
			d, err := notify.Open(e.s.Keys, n)
			if err != nil {
				t.Fatal(err)
			}
			code = d.Code
		}
	}
	return kinds, code
}

// afterCode signs u in with an e-mailed code and returns the session.
func (e *recoveryEnv) afterCode(t *testing.T, u *navette.User) *Issued {
	t.Helper()
	e.clock.Advance(time.Minute)
	if err := e.s.RequestCode(e.ctx, u.Email, "192.0.2.1"); err != nil {
		t.Fatal(err)
	}
	_, code := e.notices(t, u)
	is, err := e.s.VerifyCode(e.ctx, u.Email, code, "192.0.2.1")
	if err != nil {
		t.Fatalf("VerifyCode: %v", err)
	}
	return is
}

// enrolTOTP enrols a TOTP secret in the session is at StageEnrol and
// returns the full session and the secret.
func (e *recoveryEnv) enrolTOTP(t *testing.T, is *Issued) (*Issued, []byte) {
	t.Helper()
	if is.Session.Stage != navette.StageEnrol {
		t.Fatalf("stage %s, want enrol", is.Session.Stage)
	}
	en, err := e.s.StartEnrolment(e.ctx, is.Session, is.User)
	if err != nil {
		t.Fatal(err)
	}
	secret := decodeTestSecret(t, en.Secret)
	e.clock.Advance(time.Minute)
	full, err := e.s.FinishEnrolment(e.ctx, is.Session, is.User, totp.Code(secret, totp.Step(e.clock.Now())))
	if err != nil {
		t.Fatalf("FinishEnrolment: %v", err)
	}
	return full, secret
}

func decodeTestSecret(t *testing.T, s string) []byte {
	t.Helper()
	b, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func (e *recoveryEnv) eventCount(t *testing.T, typ navette.EventType) int {
	t.Helper()
	evs, err := e.meta.Events(e.ctx, navette.EventFilter{Limit: 10000})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, ev := range evs {
		if ev.Type == typ {
			n++
		}
	}
	return n
}

// TestRecoveryCodes: enrolling a second factor makes 10 codes, shown once;
// a code replaces the second factor once and says how many are left; a
// wrong or used code counts as a wrong second factor; regenerating needs
// a step-up and voids the old codes; the database keeps keyed digests
// only.
func TestRecoveryCodes(t *testing.T) {
	e := newRecoveryEnv(t)
	u := e.user(t, "avocat@avocat.example", navette.RolePartner, "")
	full, _ := e.enrolTOTP(t, e.afterCode(t, u))
	if !full.ShowCodes {
		t.Fatal("enrolment made no recovery codes")
	}
	codes, err := e.s.NewRecoveryCodes(e.ctx, full.Session)
	if err != nil || len(codes) != RecoveryCodeCount {
		t.Fatalf("NewRecoveryCodes = %v, %v", codes, err)
	}
	if again, err := e.s.NewRecoveryCodes(e.ctx, full.Session); err != nil || again != nil {
		t.Errorf("codes shown twice: %v, %v", again, err)
	}
	stored, err := e.meta.RecoveryCodes(e.ctx, u.ID)
	if err != nil || len(stored) != RecoveryCodeCount {
		t.Fatalf("stored codes: %d, %v", len(stored), err)
	}
	for _, c := range stored {
		for _, code := range codes {
			if strings.Contains(string(c.Hash), NormalizeRecoveryCode(code)) {
				t.Fatal("a code is stored in clear")
			}
		}
	}

	is := e.afterCode(t, u)
	if is.Session.Stage != navette.StageSecondFactor {
		t.Fatalf("stage %s", is.Session.Stage)
	}
	if _, err := e.s.RecoverySignIn(e.ctx, is.Session, u, "aaaa-bbbb-cccc"); !navette.IsCode(err, navette.EUNAUTHORIZED) {
		t.Fatalf("a wrong recovery code: %v", err)
	}
	signed, err := e.s.RecoverySignIn(e.ctx, is.Session, u, strings.ToUpper(strings.ReplaceAll(codes[3], "-", " ")))
	if err != nil {
		t.Fatalf("RecoverySignIn: %v", err)
	}
	if signed.Session.Stage != navette.StageFull || signed.Session.Method != RecoveryMethod || signed.RecoveryLeft != 9 {
		t.Fatalf("after a recovery code: %s %s left %d", signed.Session.Stage, signed.Session.Method, signed.RecoveryLeft)
	}
	if navette.MethodAssurance(RecoveryMethod) != navette.AssuranceSubstantial {
		t.Errorf("a recovery code's assurance is %s", navette.MethodAssurance(RecoveryMethod))
	}
	is = e.afterCode(t, u)
	if _, err := e.s.RecoverySignIn(e.ctx, is.Session, u, codes[3]); !navette.IsCode(err, navette.EUNAUTHORIZED) {
		t.Fatalf("a used recovery code: %v", err)
	}
	if kinds, _ := e.notices(t, u); !containsKind(kinds, navette.NoticeRecoveryCodeUsed) {
		t.Errorf("no notice of the code used: %v", kinds)
	}
	if n := e.eventCount(t, navette.EventRecoveryCodeUsed); n != 1 {
		t.Errorf("%d recovery.code_used events", n)
	}

	// Regenerating needs a fresh session.
	e.clock.Advance(6 * time.Minute)
	if _, err := e.s.RegenerateRecoveryCodes(e.ctx, signed.Session, u); !navette.IsCode(err, navette.ESTEPUP) {
		t.Fatalf("regenerating with a stale session: %v", err)
	}
	signed.Session.VerifiedAt = e.clock.Now()
	fresh, err := e.s.RegenerateRecoveryCodes(e.ctx, signed.Session, u)
	if err != nil || len(fresh) != RecoveryCodeCount {
		t.Fatalf("RegenerateRecoveryCodes = %v, %v", fresh, err)
	}
	if n, _ := e.s.RecoveryCodesLeft(e.ctx, u); n != RecoveryCodeCount {
		t.Errorf("%d codes left after regenerating", n)
	}
	is = e.afterCode(t, u)
	if _, err := e.s.RecoverySignIn(e.ctx, is.Session, u, codes[0]); !navette.IsCode(err, navette.EUNAUTHORIZED) {
		t.Fatalf("an old code after regenerating: %v", err)
	}
	if _, err := e.s.RecoverySignIn(e.ctx, is.Session, u, fresh[0]); err != nil {
		t.Fatalf("a new code: %v", err)
	}
}

// TestRecoveryCodeTriesEndTheSignIn: wrong recovery codes count with wrong
// TOTP codes: the fifth ends the sign-in.
func TestRecoveryCodeTriesEndTheSignIn(t *testing.T) {
	e := newRecoveryEnv(t)
	u := e.user(t, "essai@avocat.example", navette.RolePartner, "")
	e.enrolTOTP(t, e.afterCode(t, u))
	is := e.afterCode(t, u)
	var err error
	for i := range 5 {
		_, err = e.s.RecoverySignIn(e.ctx, is.Session, u, strings.Repeat("a", 11)+string(rune('b'+i)))
	}
	if !navette.IsCode(err, navette.EUNAUTHORIZED) || !e.s.Ended(e.ctx, is.Session) || !strings.HasPrefix(navette.ErrorMessage(err), "Too many wrong codes") {
		t.Fatalf("five wrong codes: %v, session ended %v", err, e.s.Ended(e.ctx, is.Session))
	}
}

func containsKind(kinds []navette.NoticeKind, k navette.NoticeKind) bool {
	for _, x := range kinds {
		if x == k {
			return true
		}
	}
	return false
}

// TestRecoveryRequest: the whole lost-factor path. A request for an
// unknown address and one for a known address get the same answer; only
// the known one makes a request and a notice. A court admin sees and
// decides only their court's people; deciding needs a step-up; nobody
// decides their own. Once approved, the person's next sign-in goes to
// enrolment after the e-mailed code, which replaces the old factors and
// completes the request; every step is journaled and e-mailed.
func TestRecoveryRequest(t *testing.T) {
	e := newRecoveryEnv(t)
	amiens, lille := "court-amiens", "court-lille"
	for _, c := range []struct{ id, code string }{{amiens, "AMI"}, {lille, "LIL"}} {
		if err := e.meta.CreateCourt(e.ctx, &navette.Court{ID: c.id, Code: c.code, Name: c.code, CreatedAt: e.clock.Now()}); err != nil {
			t.Fatal(err)
		}
	}
	clerk := e.user(t, "clerk@amiens.example", navette.RoleAgent, amiens)
	chief := e.user(t, "chief@amiens.example", navette.RoleCourtAdmin, amiens)
	other := e.user(t, "chief@lille.example", navette.RoleCourtAdmin, lille)
	admin := e.user(t, "admin@justice.example", navette.RoleAdmin, "")
	_, oldSecret := e.enrolTOTP(t, e.afterCode(t, clerk))

	if err := e.s.RequestRecovery(e.ctx, "nobody@amiens.example", "192.0.2.7"); err != nil {
		t.Fatalf("unknown address: %v", err)
	}
	if err := e.s.RequestRecovery(e.ctx, " CLERK@amiens.example", "192.0.2.7"); err != nil {
		t.Fatalf("known address: %v", err)
	}
	if err := e.s.RequestRecovery(e.ctx, "not an address", "192.0.2.7"); !navette.IsCode(err, navette.EINVALID) {
		t.Fatalf("malformed address: %v", err)
	}
	rr, err := e.meta.RecoveryRequests(e.ctx, navette.RecoveryFilter{})
	if err != nil || len(rr) != 1 || rr[0].UserID != clerk.ID || rr[0].State != navette.RecoveryPending {
		t.Fatalf("requests: %+v, %v", rr, err)
	}
	req := rr[0]
	if kinds, _ := e.notices(t, clerk); !containsKind(kinds, navette.NoticeRecoveryRequested) {
		t.Errorf("no notice of the request: %v", kinds)
	}
	// Those who may decide are told that it waits; nobody else.
	for _, c := range []struct {
		who  *navette.User
		told bool
	}{{admin, true}, {chief, true}, {other, false}, {clerk, false}} {
		if kinds, _ := e.notices(t, c.who); containsKind(kinds, navette.NoticeRecoveryReview) != c.told {
			t.Errorf("%s told of the request to review: %v, want %v", c.who.Email, kinds, c.told)
		}
	}
	// A second request while one is open makes nothing new.
	if err := e.s.RequestRecovery(e.ctx, clerk.Email, "192.0.2.7"); err != nil {
		t.Fatal(err)
	}
	if rr, _ := e.meta.RecoveryRequests(e.ctx, navette.RecoveryFilter{}); len(rr) != 1 {
		t.Errorf("%d requests after asking twice", len(rr))
	}

	fresh := func(u *navette.User) *navette.Session {
		return &navette.Session{ID: navette.NewID(), UserID: u.ID, Stage: navette.StageFull, VerifiedAt: e.clock.Now()}
	}
	if got, err := e.s.RecoveryRequests(e.ctx, other, "", true); err != nil || len(got) != 0 {
		t.Errorf("Lille's chief sees %v, %v", got, err)
	}
	if got, err := e.s.RecoveryRequests(e.ctx, chief, "", true); err != nil || len(got) != 1 {
		t.Errorf("Amiens's chief sees %v, %v", got, err)
	}
	if _, err := e.s.RecoveryRequests(e.ctx, clerk, "", true); !navette.IsCode(err, navette.EFORBIDDEN) {
		t.Errorf("a clerk lists requests: %v", err)
	}
	if err := e.s.DecideRecovery(e.ctx, other, fresh(other), req.ID, true); !navette.IsCode(err, navette.ENOTFOUND) {
		t.Errorf("Lille's chief approves: %v, want ENOTFOUND", err)
	}
	stale := fresh(chief)
	stale.VerifiedAt = e.clock.Now().Add(-10 * time.Minute)
	if err := e.s.DecideRecovery(e.ctx, chief, stale, req.ID, true); !navette.IsCode(err, navette.ESTEPUP) {
		t.Errorf("approving without a step-up: %v", err)
	}
	if err := e.s.DecideRecovery(e.ctx, chief, fresh(chief), req.ID, true); err != nil {
		t.Fatalf("approve: %v", err)
	}
	if err := e.s.DecideRecovery(e.ctx, admin, fresh(admin), req.ID, false); !navette.IsCode(err, navette.ECONFLICT) {
		t.Errorf("rejecting an approved request: %v", err)
	}
	if kinds, _ := e.notices(t, clerk); !containsKind(kinds, navette.NoticeRecoveryApproved) {
		t.Errorf("no notice of the approval: %v", kinds)
	}

	is := e.afterCode(t, clerk)
	if is.Session.Stage != navette.StageEnrol {
		t.Fatalf("after approval the code leads to %s, want enrol", is.Session.Stage)
	}
	full, newSecret := e.enrolTOTP(t, is)
	if full.Session.Stage != navette.StageFull || !full.ShowCodes {
		t.Fatalf("recovery enrolment: %+v", full.Session)
	}
	got, err := e.meta.RecoveryRequest(e.ctx, req.ID)
	if err != nil || got.State != navette.RecoveryCompleted {
		t.Fatalf("request after enrolment: %+v, %v", got, err)
	}
	if kinds, _ := e.notices(t, clerk); !containsKind(kinds, navette.NoticeRecoveryCompleted) {
		t.Errorf("no notice of the completion: %v", kinds)
	}
	// The old TOTP secret no longer works, the new one does.
	is = e.afterCode(t, clerk)
	if is.Session.Stage != navette.StageSecondFactor {
		t.Fatalf("sign-in after recovery: %s", is.Session.Stage)
	}
	e.clock.Advance(time.Minute)
	if _, err := e.s.SecondFactor(e.ctx, is.Session, is.User, totp.Code(oldSecret, totp.Step(e.clock.Now()))); !navette.IsCode(err, navette.EUNAUTHORIZED) {
		t.Errorf("the old secret after recovery: %v", err)
	}
	if _, err := e.s.SecondFactor(e.ctx, is.Session, is.User, totp.Code(newSecret, totp.Step(e.clock.Now()))); err != nil {
		t.Errorf("the new secret: %v", err)
	}
	for _, typ := range []navette.EventType{navette.EventRecoveryRequested, navette.EventRecoveryApproved, navette.EventRecoveryCompleted} {
		if n := e.eventCount(t, typ); n != 1 {
			t.Errorf("%d %s events, want 1", n, typ)
		}
	}

	// Nobody decides their own request; a rejection is e-mailed.
	if err := e.s.RequestRecovery(e.ctx, chief.Email, "192.0.2.8"); err != nil {
		t.Fatal(err)
	}
	own, _ := e.s.RecoveryRequests(e.ctx, chief, chief.ID, true)
	if len(own) != 1 {
		t.Fatalf("chief's own request: %v", own)
	}
	if err := e.s.DecideRecovery(e.ctx, chief, fresh(chief), own[0].ID, true); !navette.IsCode(err, navette.EFORBIDDEN) {
		t.Errorf("approving one's own request: %v", err)
	}
	if err := e.s.DecideRecovery(e.ctx, admin, fresh(admin), own[0].ID, false); err != nil {
		t.Fatal(err)
	}
	if kinds, _ := e.notices(t, chief); !containsKind(kinds, navette.NoticeRecoveryRejected) {
		t.Errorf("no notice of the rejection: %v", kinds)
	}
}

// TestRecoveryApprovalExpires: an approval not used within a day lapses:
// the e-mailed code leads to the usual second factor again.
func TestRecoveryApprovalExpires(t *testing.T) {
	e := newRecoveryEnv(t)
	u := e.user(t, "tard@avocat.example", navette.RolePartner, "")
	admin := e.user(t, "admin@justice.example", navette.RoleAdmin, "")
	e.enrolTOTP(t, e.afterCode(t, u))
	if err := e.s.RequestRecovery(e.ctx, u.Email, "192.0.2.1"); err != nil {
		t.Fatal(err)
	}
	rr, _ := e.s.RecoveryRequests(e.ctx, admin, "", true)
	if len(rr) != 1 {
		t.Fatalf("requests: %v", rr)
	}
	if err := e.s.DecideRecovery(e.ctx, admin, &navette.Session{ID: "s", UserID: admin.ID, Stage: navette.StageFull, VerifiedAt: e.clock.Now()}, rr[0].ID, true); err != nil {
		t.Fatal(err)
	}
	e.clock.Advance(RecoveryApprovalTTL)
	if is := e.afterCode(t, u); is.Session.Stage != navette.StageSecondFactor {
		t.Errorf("an expired approval leads to %s", is.Session.Stage)
	}
	if open, _ := e.s.RecoveryRequests(e.ctx, admin, "", true); len(open) != 0 {
		t.Errorf("an expired request is still open: %v", open)
	}
}

// TestRecoveryRequestLimits: per address, at most RecoveryPerDay requests
// a day (the answer stays the same); per client address, PerIPPerHour an
// hour, then ETOOMANY.
func TestRecoveryRequestLimits(t *testing.T) {
	e := newRecoveryEnv(t)
	u := e.user(t, "souvent@avocat.example", navette.RolePartner, "")
	admin := e.user(t, "admin@justice.example", navette.RoleAdmin, "")
	for i := range RecoveryPerDay + 2 {
		if err := e.s.RequestRecovery(e.ctx, u.Email, "192.0.2.1"); err != nil {
			t.Fatalf("request %d: %v", i, err)
		}
		// Each is rejected at once, so that the next may be made.
		if open, _ := e.s.RecoveryRequests(e.ctx, admin, "", true); len(open) == 1 {
			if err := e.s.DecideRecovery(e.ctx, admin, &navette.Session{ID: "s", UserID: admin.ID, Stage: navette.StageFull, VerifiedAt: e.clock.Now()}, open[0].ID, false); err != nil {
				t.Fatal(err)
			}
		}
		e.clock.Advance(time.Minute)
	}
	if rr, _ := e.meta.RecoveryRequests(e.ctx, navette.RecoveryFilter{UserID: u.ID}); len(rr) != RecoveryPerDay {
		t.Errorf("%d requests in a day, want %d", len(rr), RecoveryPerDay)
	}
	var err error
	for range e.s.Config.PerIPPerHour {
		err = e.s.RequestRecovery(e.ctx, "x@avocat.example", "198.51.100.9")
	}
	if err != nil {
		t.Fatalf("within the per-IP allowance: %v", err)
	}
	if err := e.s.RequestRecovery(e.ctx, "x@avocat.example", "198.51.100.9"); !navette.IsCode(err, navette.ETOOMANY) {
		t.Errorf("beyond the per-IP allowance: %v", err)
	}
}

// FuzzNormalizeRecoveryCode: whatever a person types, the result is empty
// or a code of the alphabet's characters and the right length.
func FuzzNormalizeRecoveryCode(f *testing.F) {
	for _, s := range []string{"abcd-efgh-jkmn", "ABCD EFGH JKMN", "", "0000-0000-0000", "é"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := NormalizeRecoveryCode(s)
		if got == "" {
			return
		}
		if len(got) != recoveryLen || strings.Trim(got, recoveryAlphabet) != "" {
			t.Fatalf("NormalizeRecoveryCode(%q) = %q", s, got)
		}
	})
}

// TestTOTPReused: a code of the authenticator application, accepted once,
// is refused when given again within its window, by an error that says it
// was used (ErrTOTPReused), at sign-in as at a step-up; a wrong code is
// still refused as wrong, and the next code is accepted.
func TestTOTPReused(t *testing.T) {
	e := newRecoveryEnv(t)
	u := e.user(t, "avocat@avocat.example", navette.RolePartner, "")
	_, secret := e.enrolTOTP(t, e.afterCode(t, u))
	first, second := e.afterCode(t, u), e.afterCode(t, u)
	code := totp.Code(secret, totp.Step(e.clock.Now()))
	full, err := e.s.SecondFactor(e.ctx, first.Session, first.User, code)
	if err != nil {
		t.Fatalf("the code, once: %v", err)
	}
	e.clock.Advance(10 * time.Second)
	_, err = e.s.SecondFactor(e.ctx, second.Session, second.User, code)
	if !navette.IsCode(err, navette.EUNAUTHORIZED) || !errors.Is(err, ErrTOTPReused) || navette.ErrorMessage(err) != "This code was used already: wait for the next one." {
		t.Errorf("the code again, at sign-in: %v", err)
	}
	if err := e.s.StepUpTOTP(e.ctx, full.Session, full.User, code); !navette.IsCode(err, navette.EUNAUTHORIZED) || !errors.Is(err, ErrTOTPReused) {
		t.Errorf("the code again, at a step-up: %v", err)
	}
	wrong := totp.Code(secret, totp.Step(e.clock.Now())-5)
	if _, err := e.s.SecondFactor(e.ctx, second.Session, second.User, wrong); !navette.IsCode(err, navette.EUNAUTHORIZED) || errors.Is(err, ErrTOTPReused) {
		t.Errorf("a wrong code: %v", err)
	}
	e.clock.Advance(totp.Period)
	if _, err := e.s.SecondFactor(e.ctx, second.Session, second.User, totp.Code(secret, totp.Step(e.clock.Now()))); err != nil {
		t.Errorf("the next code: %v", err)
	}
}

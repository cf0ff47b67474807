package deposit_test

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"navette"
	"navette/account"
	"navette/deposit"
)

// as returns the context of a request by u signed in with method, as the
// HTTP guard makes it.
func as(u *navette.User, method string, at time.Time) context.Context {
	ctx := navette.NewContextWithUser(context.Background(), u)
	return navette.NewContextWithSignIn(ctx, navette.SignIn{Method: method, At: at})
}

// TestDownloadsStateAssurance: a download made after a TOTP sign-in and one
// made after a passkey sign-in leave file.downloaded events, and receipts,
// that say how each recipient signed in and at which level; the journal's
// chain covers it; an event of the system records none.
func TestDownloadsStateAssurance(t *testing.T) {
	fx := newFixture(t)
	clock := fx.svc.Clock.(*navette.FakeClock)
	acc := &account.Service{Meta: fx.meta, Clock: clock}
	ctx := context.Background()
	other, err := acc.CreateUser(ctx, "cle@etude.example", "Maître Clé", navette.RolePartner)
	if err != nil {
		t.Fatal(err)
	}
	at := clock.Now()
	senderCtx := as(fx.sender, "oidc", at)
	v, err := fx.svc.Create(senderCtx, fx.sender, deposit.Draft{Recipients: []string{fx.recipient.Email, other.Email}, Reference: "RG 26/7"})
	if err != nil {
		t.Fatal(err)
	}
	const body = "pièce"
	f, err := fx.svc.StartFile(senderCtx, fx.sender, v.ID, "piece.pdf", int64(len(body)))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := fx.svc.Write(senderCtx, fx.sender, f.ID, 0, strings.NewReader(body)); err != nil {
		t.Fatal(err)
	}
	if err := fx.svc.Finish(senderCtx, fx.sender, f.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := fx.svc.Submit(senderCtx, fx.sender, v.ID); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		u      *navette.User
		method string
	}{{fx.recipient, "code+totp"}, {other, "code+passkey"}} {
		clock.Advance(time.Minute)
		rctx := as(c.u, c.method, clock.Now())
		dl, err := fx.svc.OpenFile(rctx, c.u, v.ID, f.ID)
		if err != nil {
			t.Fatal(err)
		}
		var got bytes.Buffer
		if err := dl.WriteRange(rctx, &got, 0, dl.Size()); err != nil || got.String() != body {
			t.Fatalf("download: %q, %v", got.String(), err)
		}
	}

	want := map[string]struct {
		method string
		level  navette.Assurance
	}{fx.recipient.ID: {"code+totp", navette.AssuranceSubstantial}, other.ID: {"code+passkey", navette.AssuranceHigh}}
	evs, err := fx.meta.Events(ctx, navette.EventFilter{DepositID: v.ID})
	if err != nil {
		t.Fatal(err)
	}
	downloads := 0
	for _, e := range evs {
		switch {
		case e.Type == navette.EventFileDownloaded:
			downloads++
			if w := want[e.ActorID]; e.Auth != w.method || navette.MethodAssurance(e.Auth) != w.level {
				t.Errorf("download by %s records %q (%s), want %q (%s)", e.ActorID, e.Auth, navette.MethodAssurance(e.Auth), w.method, w.level)
			}
		case e.ActorID == fx.sender.ID && e.Auth != "oidc":
			t.Errorf("%s by the sender records %q, want oidc", e.Type, e.Auth)
		case e.ActorID == "" && e.Auth != "":
			t.Errorf("%s of the system records %q", e.Type, e.Auth)
		}
	}
	if downloads != 2 {
		t.Fatalf("%d file.downloaded events, want 2", downloads)
	}
	receipts := fx.evidence(t, v.ID)[navette.ProofDownloaded]
	if len(receipts) != 2 {
		t.Fatalf("%d download receipts, want 2", len(receipts))
	}
	for _, c := range receipts {
		if c.By == nil || c.By.Auth == nil {
			t.Fatalf("a receipt without the actor's sign-in: %+v", c.By)
		}
		if w := want[c.By.ID]; c.By.Auth.Method != w.method || c.By.Auth.Level != string(w.level) {
			t.Errorf("receipt of %s: %+v, want %s %s", c.By.ID, c.By.Auth, w.method, w.level)
		}
	}
	if _, err := navette.VerifyJournal(ctx, fx.meta, nil); err != nil {
		t.Errorf("VerifyJournal: %v", err)
	}
}

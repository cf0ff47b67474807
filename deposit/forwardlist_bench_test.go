package deposit_test

import (
	"bytes"
	"context"
	"testing"

	"navette"
	"navette/account"
	"navette/deposit"
)

// BenchmarkGetForwarded measures the view of a deposit with one forward
// and a long journal (2,000 openings of it) as its sender sees it, on
// SQLite: the deposit with its forwards listed.
//
//	go test ./deposit -run '^$' -bench GetForwarded -benchmem
func BenchmarkGetForwarded(b *testing.B) {
	fx := newFixture(b)
	ctx := b.Context()
	orig := forwardedWithJournal(b, fx, 2000)
	for b.Loop() {
		v, err := fx.svc.Get(ctx, fx.sender, orig)
		if err != nil {
			b.Fatal(err)
		}
		fws, err := fx.svc.Forwards(ctx, fx.sender, v.ID)
		if err != nil || len(fws) != 1 {
			b.Fatalf("Forwards = %v, %v", fws, err)
		}
	}
}

// forwardedWithJournal makes a deposit from fx.sender to an agent, who
// forwards it to a colleague; then n openings of it are journaled. It
// returns the deposit's id.
func forwardedWithJournal(t testing.TB, fx *fixture, n int) string {
	t.Helper()
	ctx := context.Background()
	acc := &account.Service{Meta: fx.meta, Clock: fx.svc.Clock}
	agent, err := acc.CreateUser(ctx, "parquet@justice.example", "Parquet", navette.RoleAgent)
	if err != nil {
		t.Fatal(err)
	}
	colleague, err := acc.CreateUser(ctx, "collegue@justice.example", "Collègue", navette.RoleAgent)
	if err != nil {
		t.Fatal(err)
	}
	v, err := fx.svc.Create(ctx, fx.sender, deposit.Draft{Recipients: []string{agent.Email}, Reference: "RG 26/7"})
	if err != nil {
		t.Fatal(err)
	}
	data := []byte("procès-verbal")
	f, err := fx.svc.StartFile(ctx, fx.sender, v.ID, "pv.pdf", int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := fx.svc.Write(ctx, fx.sender, f.ID, 0, bytes.NewReader(data)); err != nil {
		t.Fatal(err)
	}
	if err := fx.svc.Finish(ctx, fx.sender, f.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := fx.svc.Submit(ctx, fx.sender, v.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := fx.svc.Forward(ctx, agent, v.ID, deposit.Onward{Recipients: []string{colleague.Email}}); err != nil {
		t.Fatal(err)
	}
	for done := 0; done < n; {
		batch := make([]navette.Event, 0, 500)
		for ; done < n && len(batch) < cap(batch); done++ {
			batch = append(batch, navette.Event{Time: fx.svc.Clock.Now(), Type: navette.EventDepositOpened, ActorID: agent.ID, DepositID: v.ID})
		}
		if err := fx.meta.AppendEvents(ctx, batch...); err != nil {
			t.Fatal(err)
		}
	}
	return v.ID
}

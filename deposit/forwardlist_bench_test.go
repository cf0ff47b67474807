package deposit_test

import (
	"context"
	"testing"

	"navette"
	"navette/account"
	"navette/deposit"
)

// BenchmarkGetForwarded measures the view of a deposit with one forward
// and a long journal (2,000 openings of it after the forward) as its
// sender sees it, on SQLite: the deposit with its forwards listed.
//
//	go test ./deposit -run '^$' -bench GetForwarded -benchmem
func BenchmarkGetForwarded(b *testing.B) {
	fx := newFixture(b)
	ctx := b.Context()
	fc := sentToAgent(b, fx)
	fc.forward(b, fx)
	journalOpenings(b, fx, fc.id, fc.agent.ID, 2000)
	for b.Loop() {
		v, err := fx.svc.Get(ctx, fx.sender, fc.id)
		if err != nil || len(v.Forwards) != 1 {
			b.Fatalf("Get: %v, forwards %v", err, v)
		}
	}
}

// TestForwardAfterLongJournal: a forward made once the original's journal
// holds more than 10,000 events (openings) is listed on its view.
func TestForwardAfterLongJournal(t *testing.T) {
	fx := newFixture(t)
	fc := sentToAgent(t, fx)
	journalOpenings(t, fx, fc.id, fc.agent.ID, 10001)
	fw := fc.forward(t, fx)
	v, err := fx.svc.Get(context.Background(), fx.sender, fc.id)
	if err != nil || len(v.Forwards) != 1 || v.Forwards[0].ID != fw {
		t.Fatalf("Get: %v; want the forward %s listed", err, fw)
	}
}

// forwardCase is a deposit sent to an agent, who may forward it to a
// colleague.
type forwardCase struct {
	id               string
	agent, colleague *navette.User
}

// sentToAgent makes a deposit of one file from fx.sender to an agent, who
// becomes fx.recipient.
func sentToAgent(t testing.TB, fx *fixture) forwardCase {
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
	fx.recipient = agent
	v, _ := fx.availableData(t, []byte("procès-verbal"))
	return forwardCase{id: v.ID, agent: agent, colleague: colleague}
}

// forward has the agent forward the deposit to the colleague, and returns
// the forward's id.
func (fc forwardCase) forward(t testing.TB, fx *fixture) string {
	t.Helper()
	fw, err := fx.svc.Forward(context.Background(), fc.agent, fc.id, deposit.Onward{Recipients: []string{fc.colleague.Email}})
	if err != nil {
		t.Fatal(err)
	}
	return fw.ID
}

// journalOpenings journals n openings of deposit id by actorID, as if as
// many recipients had opened it.
func journalOpenings(t testing.TB, fx *fixture, id, actorID string, n int) {
	t.Helper()
	for done := 0; done < n; {
		batch := make([]navette.Event, 0, 500)
		for ; done < n && len(batch) < cap(batch); done++ {
			batch = append(batch, navette.Event{Time: fx.svc.Clock.Now(), Type: navette.EventDepositOpened, ActorID: actorID, DepositID: id})
		}
		if err := fx.meta.AppendEvents(context.Background(), batch...); err != nil {
			t.Fatal(err)
		}
	}
}

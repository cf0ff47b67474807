package storetest

import (
	"sync"
	"testing"

	"navette"
)

// testMetaJournalAndRowLocks has changes of a deposit (which lock its row,
// then append their events under the journal's lock) race with events about
// the deposit appended alone (which take the journal's lock, then refer to
// the deposit's row: their claims' row has a foreign key to it, whose check
// takes a key-share lock). Neither may wait for the other in a cycle: with
// the deposit's row locked FOR UPDATE, PostgreSQL found a deadlock here, as
// it did when a recipient opened a deposit just as its notice was sent.
func testMetaJournalAndRowLocks(t *testing.T, m *metaFixture) {
	alice, bob := m.user("Alice"), m.user("Bob")
	d := m.deposit(navette.DepositAvailable, alice, bob)
	const rounds = 50
	var wg sync.WaitGroup
	errs := make(chan error, 2*rounds)
	wg.Add(2)
	go func() {
		defer wg.Done()
		for range rounds {
			errs <- m.s.UpdateDeposit(m.ctx, d.ID, func(dep *navette.DepositRecord, _ []*navette.FileRecord) ([]navette.Event, error) {
				return []navette.Event{{Time: m.now(), Type: navette.EventDepositOpened, ActorID: bob.ID, DepositID: dep.ID}}, nil
			})
		}
	}()
	go func() {
		defer wg.Done()
		for range rounds {
			errs <- m.s.AppendEvents(m.ctx, m.claimed(navette.EventNoticeSent, d.ID))
		}
	}()
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatalf("a change of the deposit or an event about it: %v", err)
		}
	}
}

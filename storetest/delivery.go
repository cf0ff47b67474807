package storetest

import (
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"navette"
)

// DeliveryMetaStore is a metadata store that also keeps delivered bytes.
type DeliveryMetaStore interface {
	navette.MetaStore
	navette.DeliveryStore
}

// TestDeliveryStore runs the conformance suite for navette.DeliveryStore.
// open must return a new, empty store for each subtest and release it with
// t.Cleanup.
func TestDeliveryStore(t *testing.T, open func(t *testing.T) DeliveryMetaStore) {
	for _, tt := range []struct {
		name string
		fn   func(t *testing.T, m *metaFixture, s navette.DeliveryStore)
	}{
		{"Cover", testDeliveryCover},
		{"PerPersonAndFile", testDeliveryPerPerson},
		{"Refused", testDeliveryRefused},
		{"EmptyFile", testDeliveryEmptyFile},
		{"ManyRanges", testDeliveryManyRanges},
		{"Concurrent", testDeliveryConcurrent},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s := open(t)
			tt.fn(t, &metaFixture{t: t, s: s, ctx: t.Context(), clock: navette.NewFakeClock(metaEpoch)}, s)
		})
	}
}

// deliveryFile makes a file of size bytes sent by a new sender to a new
// recipient, and returns it with the recipient.
func (m *metaFixture) deliveryFile(size int64) (*navette.FileRecord, *navette.User) {
	m.t.Helper()
	sender, rcpt := m.user("Sender"+navette.NewID()[:6]), m.user("Rcpt"+navette.NewID()[:6])
	d := m.deposit(navette.DepositDraft, sender, rcpt)
	f := m.newFile(d)
	f.Size = size
	if err := m.s.CreateFile(m.ctx, f, 100); err != nil {
		m.t.Fatalf("CreateFile: %v", err)
	}
	return f, rcpt
}

// add calls AddDelivered and fails the test on an error.
func (m *metaFixture) add(s navette.DeliveryStore, f *navette.FileRecord, u *navette.User, start, end int64) bool {
	m.t.Helper()
	done, err := s.AddDelivered(m.ctx, f.ID, u.ID, navette.ByteRange{Start: start, End: end}, m.now())
	if err != nil {
		m.t.Fatalf("AddDelivered(%d-%d): %v", start, end, err)
	}
	return done
}

// testDeliveryCover checks that ranges merge, in any order and
// overlapping, that only a whole cover completes, and that the cover then
// starts again from nothing.
func testDeliveryCover(t *testing.T, m *metaFixture, s navette.DeliveryStore) {
	f, u := m.deliveryFile(1000)
	got, err := s.Delivered(m.ctx, f.ID, u.ID)
	if err != nil || len(got) != 0 {
		t.Fatalf("Delivered before any: %v, %v", got, err)
	}
	steps := []struct {
		start, end int64
		complete   bool
		want       []navette.ByteRange
	}{
		{999, 1000, false, spans(999, 1000)},
		{500, 600, false, spans(500, 600, 999, 1000)},
		{100, 200, false, spans(100, 200, 500, 600, 999, 1000)},
		{150, 550, false, spans(100, 600, 999, 1000)},
		{600, 700, false, spans(100, 700, 999, 1000)}, // adjacent ranges join
		{300, 400, false, spans(100, 700, 999, 1000)}, // already had
		{700, 700, false, spans(100, 700, 999, 1000)}, // empty
		{0, 100, false, spans(0, 700, 999, 1000)},
		{650, 999, true, nil},
		// A new cover begins.
		{0, 999, false, spans(0, 999)},
		{0, 1000, true, nil},
		{0, 1000, true, nil},
	}
	for _, st := range steps {
		if done := m.add(s, f, u, st.start, st.end); done != st.complete {
			t.Errorf("AddDelivered(%d-%d): complete %v, want %v", st.start, st.end, done, st.complete)
		}
		got, err := s.Delivered(m.ctx, f.ID, u.ID)
		if err != nil {
			t.Fatal(err)
		}
		metaEqual(t, fmt.Sprintf("after %d-%d", st.start, st.end), got, st.want)
	}
}

// testDeliveryPerPerson checks that what one person was delivered never
// counts for another, nor for another file.
func testDeliveryPerPerson(t *testing.T, m *metaFixture, s navette.DeliveryStore) {
	f, u := m.deliveryFile(100)
	g, _ := m.deliveryFile(100)
	other := m.user("Other")
	m.add(s, f, u, 0, 50)
	if m.add(s, f, other, 50, 100) {
		t.Errorf("another person's bytes completed the cover")
	}
	if m.add(s, g, u, 50, 100) {
		t.Errorf("another file's bytes completed the cover")
	}
	if !m.add(s, f, u, 50, 100) {
		t.Errorf("the person's own bytes did not complete the cover")
	}
	got, _ := s.Delivered(m.ctx, f.ID, other.ID)
	metaEqual(t, "the other person's bytes", got, spans(50, 100))
}

// testDeliveryRefused checks the errors, and that a refusal changes
// nothing.
func testDeliveryRefused(t *testing.T, m *metaFixture, s navette.DeliveryStore) {
	f, u := m.deliveryFile(100)
	m.add(s, f, u, 10, 20)
	for _, tc := range []struct {
		what       string
		file, user string
		start, end int64
		zeroTime   bool
		code       string
	}{
		{"past the end", f.ID, u.ID, 50, 101, false, navette.EINVALID},
		{"negative start", f.ID, u.ID, -1, 10, false, navette.EINVALID},
		{"reversed", f.ID, u.ID, 20, 10, false, navette.EINVALID},
		{"without time", f.ID, u.ID, 0, 100, true, navette.EINVALID},
		{"unknown file", navette.NewID(), u.ID, 0, 1, false, navette.ENOTFOUND},
		{"unknown user", f.ID, navette.NewID(), 0, 100, false, navette.ENOTFOUND},
		{"unknown user, empty range", f.ID, navette.NewID(), 0, 0, false, navette.ENOTFOUND},
	} {
		at := m.now()
		if tc.zeroTime {
			at = time.Time{}
		}
		_, err := s.AddDelivered(m.ctx, tc.file, tc.user, navette.ByteRange{Start: tc.start, End: tc.end}, at)
		metaCode(t, "AddDelivered "+tc.what, err, tc.code)
	}
	got, _ := s.Delivered(m.ctx, f.ID, u.ID)
	metaEqual(t, "after refusals", got, spans(10, 20))
}

// testDeliveryEmptyFile checks that any delivery of an empty file covers
// it.
func testDeliveryEmptyFile(t *testing.T, m *metaFixture, s navette.DeliveryStore) {
	f, u := m.deliveryFile(0)
	for range 2 {
		if !m.add(s, f, u, 0, 0) {
			t.Errorf("an empty file was not covered")
		}
	}
}

// testDeliveryManyRanges checks that the ranges kept are bounded, and that
// dropping some never completes a cover early.
func testDeliveryManyRanges(t *testing.T, m *metaFixture, s navette.DeliveryStore) {
	n := int64(navette.MaxDeliveredRanges + 10)
	f, u := m.deliveryFile(2 * n)
	for i := range n {
		if m.add(s, f, u, 2*i, 2*i+1) {
			t.Fatalf("complete after %d one-byte ranges", i+1)
		}
	}
	got, _ := s.Delivered(m.ctx, f.ID, u.ID)
	if len(got) != navette.MaxDeliveredRanges {
		t.Errorf("%d ranges kept, want %d", len(got), navette.MaxDeliveredRanges)
	}
	// A larger range is kept over the one-byte ones.
	m.add(s, f, u, 2*n-8, 2*n-4)
	got, _ = s.Delivered(m.ctx, f.ID, u.ID)
	if len(got) != navette.MaxDeliveredRanges || !slices.Contains(got, spans(2*n-8, 2*n-4)[0]) {
		t.Errorf("after a larger range: %d ranges, last %v", len(got), got[len(got)-1])
	}
	if !m.add(s, f, u, 0, 2*n) {
		t.Errorf("the whole file did not complete the cover")
	}
}

// testDeliveryConcurrent delivers a file in many pieces from many
// goroutines, several times over: exactly one call completes each cover.
func testDeliveryConcurrent(t *testing.T, m *metaFixture, s navette.DeliveryStore) {
	const pieces, rounds = 16, 3
	f, u := m.deliveryFile(pieces * 10)
	at := m.now()
	for round := range rounds {
		var wg sync.WaitGroup
		var mu sync.Mutex
		completed := 0
		for i := range pieces {
			wg.Go(func() {
				// Overlapping pieces: each a little past the next's start.
				r := navette.ByteRange{Start: int64(i) * 10, End: min(int64(i)*10+15, pieces*10)}
				done, err := s.AddDelivered(m.ctx, f.ID, u.ID, r, at)
				if err != nil {
					t.Errorf("AddDelivered %v: %v", r, err)
				}
				if done {
					mu.Lock()
					completed++
					mu.Unlock()
				}
			})
		}
		wg.Wait()
		if completed != 1 {
			t.Errorf("round %d: %d calls completed the cover, want 1", round, completed)
		}
		if got, _ := s.Delivered(m.ctx, f.ID, u.ID); len(got) != 0 {
			t.Errorf("round %d: left %v", round, got)
		}
	}
}

// spans makes ranges of pairs of offsets.
func spans(offs ...int64) []navette.ByteRange {
	var out []navette.ByteRange
	for i := 0; i+1 < len(offs); i += 2 {
		out = append(out, navette.ByteRange{Start: offs[i], End: offs[i+1]})
	}
	return out
}

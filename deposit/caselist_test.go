package deposit_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"navette"
	"navette/deposit"
)

// casePagesFixture is a clerk with more case deposits than a case page
// ever read before (deposit.MaxCaseDeposits): sixty cases of one draft
// each (references RG 00000 to RG 00059, oldest first), then one case of
// MaxCaseDeposits+50 drafts, all more recent. Making its thousand and more
// drafts is what the pagination tests cost, so TestCasePages builds it
// once and its two subtests only read it.
type casePagesFixture struct {
	*caseFixture
	cases     []string // every case of the clerk, most recently active first
	big       string   // the case of MaxCaseDeposits+50 drafts
	bigDrafts []string // the drafts of big, in the order they were made
}

func newCasePagesFixture(t *testing.T) *casePagesFixture {
	t.Helper()
	f := &casePagesFixture{caseFixture: newCaseFixture(t)}
	ctx := context.Background()
	cs := f.svc.Meta.(navette.CaseStore)
	clock := f.svc.Clock.(*navette.FakeClock)
	// Drafts made through the service (a sealed reference each), put in
	// cases straight through the store: the sender sees their drafts,
	// their recipient does not.
	draft := func(ref, caseID string) *deposit.View {
		t.Helper()
		v, err := f.svc.Create(ctx, f.clerk, deposit.Draft{Recipients: []string{f.lawyer.Email}, Reference: ref})
		if err != nil {
			t.Fatal(err)
		}
		if caseID == "" {
			if caseID, err = cs.CaseByDigest(ctx, [][]byte{[]byte(v.ID)}, navette.NewID(), v.CreatedAt); err != nil {
				t.Fatal(err)
			}
		}
		if v.CaseID, err = cs.JoinCase(ctx, caseID, v.ID, v.CreatedAt); err != nil {
			t.Fatal(err)
		}
		return v
	}
	const small = 60
	f.cases = make([]string, small+1)
	for i := range small {
		clock.Advance(time.Millisecond)
		f.cases[small-i] = draft(fmt.Sprintf("RG %05d", i), "").CaseID
	}
	big, err := cs.CaseByDigest(ctx, [][]byte{[]byte("one case")}, navette.NewID(), clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	f.big, f.cases[0] = big, big
	for i := range deposit.MaxCaseDeposits + 50 {
		if i%3 != 0 { // some made at the same time
			clock.Advance(time.Millisecond)
		}
		f.bigDrafts = append(f.bigDrafts, draft(fmt.Sprintf("PV %05d", i), big).ID)
	}
	return f
}

// TestCasePages pages through what a person who has more case deposits
// than a case page ever read before (deposit.MaxCaseDeposits) sees: their
// cases, and the deposits of one case. Nothing in it runs concurrently,
// and SQLite's code under the race detector made it 30 times slower, so
// scripts/test.sh runs it without the detector.
func TestCasePages(t *testing.T) {
	f := newCasePagesFixture(t)
	t.Run("cases", func(t *testing.T) { testCaseList(t, f) })
	t.Run("deposits of a case", func(t *testing.T) { testCaseDepositPages(t, f) })
}

// testCaseList lists the clerk's cases: every case comes, page by page,
// none twice, most recently active first, and a search pages too. Reading
// a thousand deposits at once would have shown the big case alone.
func testCaseList(t *testing.T, f *casePagesFixture) {
	ctx := context.Background()
	want := f.cases
	const size = 10
	var got []string
	seen := map[string]bool{}
	before, pages, second := "", 0, ""
	for {
		p, err := f.svc.CasePage(ctx, f.clerk, "", before, size)
		if err != nil {
			t.Fatal(err)
		}
		if pages++; pages == 1 {
			second = p.Next
		}
		for _, k := range p.Cases {
			if seen[k.ID] {
				t.Fatalf("case %s on two pages", k.ID)
			}
			seen[k.ID] = true
			got = append(got, k.ID)
		}
		if p.Next == "" {
			break
		}
		if len(p.Cases) != size {
			t.Fatalf("page %d holds %d cases and has a next one", pages, len(p.Cases))
		}
		before = p.Next
	}
	if len(got) != len(want) || pages != (len(want)+size-1)/size {
		t.Fatalf("%d cases in %d pages, want %d in %d", len(got), pages, len(want), (len(want)+size-1)/size)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("case %d is %s, want %s: not most recent first", i, got[i], want[i])
		}
	}
	// From the second page on, the largest page holds the rest: more than
	// the default page of 50.
	if p, err := f.svc.CasePage(ctx, f.clerk, "", second, 200); err != nil || len(p.Cases) != len(want)-size || p.Next != "" {
		t.Fatalf("a page of 200 from the second on: %v; want the %d cases left and no next page", err, len(want)-size)
	}

	// "RG 0000" holds the ten oldest; a search pages through them.
	var found int
	before = ""
	for range len(want) {
		p, err := f.svc.CasePage(ctx, f.clerk, "rg 0000", before, 3)
		if err != nil {
			t.Fatal(err)
		}
		found += len(p.Cases)
		if p.Next == "" {
			break
		}
		before = p.Next
	}
	if found != 10 {
		t.Errorf("the search found %d cases, want 10", found)
	}
	if _, err := f.svc.CasePage(ctx, f.clerk, "", "not-a-cursor", 0); !navette.IsCode(err, navette.EINVALID) {
		t.Errorf("a bad cursor: %v, want EINVALID", err)
	}
	if list, err := f.svc.Cases(ctx, f.lawyer, ""); err != nil || len(list) != 0 {
		t.Errorf("the lawyer sees %d cases of drafts, %v; want none", len(list), err)
	}
}

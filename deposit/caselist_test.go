package deposit_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"navette"
	"navette/deposit"
)

// TestCasePages lists a person who has more case deposits than a case
// page ever read before (deposit.MaxCaseDeposits): every case comes, page
// by page, none twice, most recently active first, and a search pages too.
func TestCasePages(t *testing.T) {
	c := newCaseFixture(t)
	ctx := context.Background()
	cs := c.svc.Meta.(navette.CaseStore)
	const n = deposit.MaxCaseDeposits + 50
	// Drafts made through the service (a sealed reference each), put in a
	// case each straight through the store: the sender sees their drafts.
	want := make([]string, n)
	for i := range n {
		c.svc.Clock.(*navette.FakeClock).Advance(time.Millisecond)
		v, err := c.svc.Create(ctx, c.clerk, deposit.Draft{Recipients: []string{c.lawyer.Email}, Reference: fmt.Sprintf("RG %05d", i)})
		if err != nil {
			t.Fatal(err)
		}
		id, err := cs.CaseByDigest(ctx, [][]byte{[]byte(v.ID)}, navette.NewID(), v.CreatedAt)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := cs.JoinCase(ctx, id, v.ID, v.CreatedAt); err != nil {
			t.Fatal(err)
		}
		want[n-1-i] = id
	}

	var got []string
	seen := map[string]bool{}
	before, pages := "", 0
	for {
		p, err := c.svc.CasePage(ctx, c.clerk, "", before, 200)
		if err != nil {
			t.Fatal(err)
		}
		pages++
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
		if len(p.Cases) != 200 {
			t.Fatalf("page %d holds %d cases and has a next one", pages, len(p.Cases))
		}
		before = p.Next
	}
	if len(got) != n || pages != (n+199)/200 {
		t.Fatalf("%d cases in %d pages, want %d in %d", len(got), pages, n, (n+199)/200)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("case %d is %s, want %s: not most recent first", i, got[i], want[i])
		}
	}

	// "RG 0000" holds the ten oldest; a search pages through them.
	var found int
	before = ""
	for range n {
		p, err := c.svc.CasePage(ctx, c.clerk, "rg 0000", before, 3)
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
	if _, err := c.svc.CasePage(ctx, c.clerk, "", "not-a-cursor", 0); !navette.IsCode(err, navette.EINVALID) {
		t.Errorf("a bad cursor: %v, want EINVALID", err)
	}
	if list, err := c.svc.Cases(ctx, c.lawyer, ""); err != nil || len(list) != 0 {
		t.Errorf("the lawyer sees %d cases of drafts, %v; want none", len(list), err)
	}
}

package deposit_test

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"navette"
	"navette/deposit"
)

// TestForwardKeepsFileOrder: the pieces of a forward come in the order of
// the deposit forwarded (a report, then its annexes), in its page, its API
// and its notice, not in the order of their new ids.
func TestForwardKeepsFileOrder(t *testing.T) {
	c := newCaseFixture(t)
	ctx := context.Background()
	v, err := c.svc.Create(ctx, c.lawyer, deposit.Draft{Recipients: []string{c.service.Email}, Reference: "RG 24/00042", RetentionDays: 7})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for i := range 8 {
		name := fmt.Sprintf("pièce %d.pdf", i+1)
		names = append(names, name)
		f, err := c.svc.StartFile(ctx, c.lawyer, v.ID, name, 3)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.svc.Write(ctx, c.lawyer, f.ID, 0, bytes.NewReader([]byte{byte(i), 1, 2})); err != nil {
			t.Fatal(err)
		}
		if err := c.svc.Finish(ctx, c.lawyer, f.ID); err != nil {
			t.Fatal(err)
		}
		c.svc.Clock.(*navette.FakeClock).Advance(time.Second)
	}
	if _, err := c.svc.Submit(ctx, c.lawyer, v.ID); err != nil {
		t.Fatal(err)
	}
	c.svc.Clock.(*navette.FakeClock).Advance(time.Minute)
	fw, err := c.svc.Forward(ctx, c.colleague, v.ID, deposit.Onward{Recipients: []string{c.stranger.Email}, RetentionDays: 5})
	if err != nil {
		t.Fatalf("Forward: %v", err)
	}
	for what, id := range map[string]string{"deposit forwarded": v.ID, "forward": fw.ID} {
		var got []string
		for _, f := range c.mustGet(t, id).Files {
			got = append(got, f.Name)
		}
		if !slices.Equal(got, names) {
			t.Errorf("the %s's files come as %q, want %q", what, got, names)
		}
	}
}

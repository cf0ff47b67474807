package deposit_test

import (
	"context"
	"reflect"
	"testing"

	"navette"
	"navette/deposit"
)

// viewFacts is what a person sees of a deposit in a list or alone.
type viewFacts struct {
	ID, Reference, Message, Sender, FromSpace, CaseID string
	State                                             navette.DepositState
	Files                                             []string
}

func factsOf(v *deposit.View) viewFacts {
	f := viewFacts{ID: v.ID, Reference: v.Reference, Message: v.Message, Sender: v.Sender.Email, CaseID: v.CaseID, State: v.State}
	if v.FromSpace != nil {
		f.FromSpace = v.FromSpace.Email
	}
	for _, fv := range v.Files {
		f.Files = append(f.Files, fv.ID+" "+fv.Name)
	}
	return f
}

// TestListReadsAsGet checks that a page of the inbox and of the sent box,
// whose files, cases and senders are read for the whole page at once,
// shows each deposit as Get shows it alone: deposits of several senders,
// one on behalf of a service mailbox, in several cases and in none, and a
// draft of two files.
func TestListReadsAsGet(t *testing.T) {
	c := newCaseFixture(t)
	ctx := context.Background()
	c.send(t, c.clerk, "Parquet 26/1", c.lawyer)
	c.send(t, c.colleague, "Parquet 26/1", c.lawyer)
	c.send(t, c.clerk, "Parquet 26/2", c.lawyer, c.partner)
	c.send(t, c.colleague, "Parquet 26/3", c.lawyer)
	c.send(t, c.stranger, "no case", c.lawyer)
	spaced, err := c.svc.Create(ctx, c.clerk, deposit.Draft{Recipients: []string{c.lawyer.Email}, Reference: "RG 9/1", FromSpace: c.service.Email, Message: "Bonjour"})
	if err != nil {
		t.Fatal(err)
	}
	c.submit(t, c.clerk, spaced)
	draft, err := c.svc.Create(ctx, c.clerk, deposit.Draft{Recipients: []string{c.lawyer.Email}, Reference: "brouillon"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.svc.StartFile(ctx, c.clerk, draft.ID, "a.pdf", 10); err != nil {
		t.Fatal(err)
	}
	if _, err := c.svc.StartFile(ctx, c.clerk, draft.ID, "b.pdf", 20); err != nil {
		t.Fatal(err)
	}
	drafts, err := c.svc.Drafts(ctx, c.clerk)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name  string
		who   *navette.User
		box   navette.Box
		count int
	}{
		{"inbox", c.lawyer, navette.BoxInbox, 6},
		{"sent", c.clerk, navette.BoxSent, 4},
		{"sent by the colleague", c.colleague, navette.BoxSent, 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			views, _, err := c.svc.List(ctx, tc.who, tc.box, "", 50)
			if err != nil {
				t.Fatal(err)
			}
			if len(views) != tc.count {
				t.Fatalf("%d deposits listed, want %d", len(views), tc.count)
			}
			for _, v := range views {
				alone, err := c.svc.Get(ctx, tc.who, v.ID)
				if err != nil {
					t.Fatal(err)
				}
				if got, want := factsOf(v), factsOf(alone); !reflect.DeepEqual(got, want) {
					t.Errorf("listed %+v\nalone  %+v", got, want)
				}
			}
			cases := map[string]bool{}
			for _, v := range views {
				cases[v.CaseID] = true
			}
			if len(cases) < 3 {
				t.Errorf("the page's deposits are in %d cases (none counted as one), want several", len(cases))
			}
			for i := 1; i < len(views); i++ {
				if views[i].Sender == views[i-1].Sender {
					t.Errorf("views %d and %d share one sender record", i-1, i)
				}
			}
		})
	}
	t.Run("drafts", func(t *testing.T) {
		if len(drafts) != 1 || len(drafts[0].Files) != 2 {
			t.Fatalf("drafts = %d, want one with two files", len(drafts))
		}
		alone, err := c.svc.Get(ctx, c.clerk, draft.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got, want := factsOf(drafts[0]), factsOf(alone); !reflect.DeepEqual(got, want) {
			t.Errorf("listed %+v\nalone  %+v", got, want)
		}
	})
}

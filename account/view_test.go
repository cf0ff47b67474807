package account_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"navette"
	"navette/account"
	"navette/internal/testsqlite"
)

// TestAdminReads checks who may read users, courts and service mailboxes:
// platform admins everything, court admins their court, others nothing,
// with other courts' ids answered as unknown ones.
func TestAdminReads(t *testing.T) {
	ctx := context.Background()
	meta := testsqlite.Open(t, filepath.Join(t.TempDir(), "navette.db"))
	s := &account.Service{Meta: meta, Clock: navette.NewFakeClock(time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC))}
	mk := func(nu account.NewUser) *navette.User {
		t.Helper()
		u, err := s.Create(ctx, nu)
		if err != nil {
			t.Fatal(err)
		}
		return u
	}
	admin := mk(account.NewUser{Email: "admin@justice.example", Name: "Admin", Role: navette.RoleAdmin})
	amiens, err := s.CreateCourt(ctx, admin, "TJ-AMIENS", "Tribunal judiciaire d'Amiens")
	if err != nil {
		t.Fatal(err)
	}
	lille, err := s.CreateCourt(ctx, admin, "TJ-LILLE", "Tribunal judiciaire de Lille")
	if err != nil {
		t.Fatal(err)
	}
	courtAdmin := mk(account.NewUser{Email: "ca@justice.example", Name: "CA Amiens", Role: navette.RoleCourtAdmin, CourtID: amiens.ID})
	clerk := mk(account.NewUser{Email: "greffe@justice.example", Name: "Greffe Amiens", Role: navette.RoleAgent, CourtID: amiens.ID})
	partner := mk(account.NewUser{Email: "avocat@avocat.example", Name: "Avocat", Role: navette.RolePartner})
	svc, err := s.CreateService(ctx, admin, amiens.ID, "Parquet d'Amiens", "parquet@justice.example")
	if err != nil {
		t.Fatal(err)
	}
	other, err := s.CreateService(ctx, admin, lille.ID, "Parquet de Lille", "parquet-lille@justice.example")
	if err != nil {
		t.Fatal(err)
	}
	if err := s.AddMemberByEmail(ctx, courtAdmin, svc.ID, " Greffe@Justice.example"); err != nil {
		t.Fatal(err)
	}

	for _, tc := range []struct {
		name string
		read func(actor *navette.User) (int, error)
		// want is what admin, courtAdmin and clerk get: a count, or an
		// error code.
		want [3]any
	}{
		{"Users", func(a *navette.User) (int, error) {
			us, err := s.Users(ctx, a, navette.UserFilter{})
			return len(us), err
		},
			[3]any{6, navette.EFORBIDDEN, navette.EFORBIDDEN}},
		{"User", func(a *navette.User) (int, error) { _, err := s.User(ctx, a, partner.ID); return 1, err },
			[3]any{1, navette.EFORBIDDEN, navette.EFORBIDDEN}},
		{"Courts", func(a *navette.User) (int, error) { cs, err := s.Courts(ctx, a); return len(cs), err },
			[3]any{2, 1, navette.EFORBIDDEN}},
		{"Court of Lille", func(a *navette.User) (int, error) { _, err := s.Court(ctx, a, lille.ID); return 1, err },
			[3]any{1, navette.ENOTFOUND, navette.ENOTFOUND}},
		{"CourtMailboxes of Amiens", func(a *navette.User) (int, error) {
			us, err := s.CourtMailboxes(ctx, a, amiens.ID)
			return len(us), err
		},
			[3]any{1, 1, navette.ENOTFOUND}},
		{"CourtRows", func(a *navette.User) (int, error) { rs, err := s.CourtRows(ctx, a); return len(rs), err },
			[3]any{2, 1, navette.EFORBIDDEN}},
		{"Mailbox of Lille", func(a *navette.User) (int, error) { _, err := s.Mailbox(ctx, a, other.ID); return 1, err },
			[3]any{1, navette.EFORBIDDEN, navette.EFORBIDDEN}},
		{"MemberRows of Amiens", func(a *navette.User) (int, error) { rs, err := s.MemberRows(ctx, a, svc.ID); return len(rs), err },
			[3]any{1, 1, navette.EFORBIDDEN}},
		{"Mailboxes", func(a *navette.User) (int, error) { us, err := s.Mailboxes(ctx, a); return len(us), err },
			[3]any{0, 0, 1}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for i, actor := range []*navette.User{admin, courtAdmin, clerk} {
				n, err := tc.read(actor)
				switch want := tc.want[i].(type) {
				case int:
					if err != nil || n != want {
						t.Errorf("%s: got %d, %v; want %d", actor.Email, n, err, want)
					}
				case string:
					if !navette.IsCode(err, want) {
						t.Errorf("%s: got %v; want %s", actor.Email, err, want)
					}
				}
			}
		})
	}

	if err := s.RemoveMemberByEmail(ctx, courtAdmin, svc.ID, "inconnu@justice.example"); !navette.IsCode(err, navette.ENOTFOUND) {
		t.Errorf("removing an unknown address: %v", err)
	}
	if err := s.RemoveMemberByEmail(ctx, courtAdmin, svc.ID, clerk.Email); err != nil {
		t.Fatal(err)
	}
	if ms, err := s.Mailboxes(ctx, clerk); err != nil || len(ms) != 0 {
		t.Errorf("after removal: %d mailboxes, %v", len(ms), err)
	}
	if c, err := s.CourtOf(ctx, clerk); err != nil || c.ID != amiens.ID {
		t.Errorf("CourtOf: %v, %v", c, err)
	}
	if c, err := s.CourtOf(ctx, partner); err != nil || c != nil {
		t.Errorf("CourtOf a partner: %v, %v", c, err)
	}
}

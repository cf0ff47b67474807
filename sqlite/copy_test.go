package sqlite_test

import (
	"path/filepath"
	"testing"
	"time"

	"navette"
	"navette/sqlstore"
)

// TestCopyFollowsDeletions copies a store into another twice, as navette
// migrate does: the second pass deletes from the target the memberships,
// sessions, sign-in codes and search terms the source deleted in between,
// so that nobody keeps an access they lost.
func TestCopyFollowsDeletions(t *testing.T) {
	ctx := t.Context()
	src := open(t, filepath.Join(t.TempDir(), "src.db"))
	dst := open(t, filepath.Join(t.TempDir(), "dst.db"))
	court := &navette.Court{ID: navette.NewID(), Code: "TJ-AMIENS", Name: "Tribunal judiciaire d'Amiens", CreatedAt: epoch}
	if err := src.CreateCourt(ctx, court); err != nil {
		t.Fatal(err)
	}
	svc := &navette.User{ID: navette.NewID(), Email: "greffe@justice.example", Name: "Greffe", Role: navette.RoleService, CourtID: court.ID, CreatedAt: epoch}
	clerk := &navette.User{ID: navette.NewID(), Email: "clerk@justice.example", Name: "Anne Lévêque", Role: navette.RoleAgent, CourtID: court.ID, CreatedAt: epoch}
	if err := src.SaveUsers(ctx, []*navette.User{svc, clerk}, nil); err != nil {
		t.Fatal(err)
	}
	if err := src.AddMember(ctx, &navette.Member{ServiceID: svc.ID, UserID: clerk.ID, CreatedAt: epoch}); err != nil {
		t.Fatal(err)
	}
	sess := &navette.Session{ID: navette.NewID(), Hash: []byte("session"), UserID: clerk.ID, Stage: navette.StageFull,
		CreatedAt: epoch, SeenAt: epoch, ExpiresAt: epoch.Add(time.Hour)}
	if err := src.CreateSession(ctx, sess); err != nil {
		t.Fatal(err)
	}
	code := &navette.SignInCode{ID: navette.NewID(), UserID: clerk.ID, Hash: []byte("code"), CreatedAt: epoch, ExpiresAt: epoch.Add(time.Minute)}
	if err := src.CreateSignInCode(ctx, code); err != nil {
		t.Fatal(err)
	}

	if err := dst.SQL().CopyFrom(ctx, src.SQL(), sqlstore.Tables, nil); err != nil {
		t.Fatalf("CopyFrom: %v", err)
	}
	if ms, err := dst.Members(ctx, svc.ID); err != nil || len(ms) != 1 {
		t.Fatalf("members copied: %d, %v", len(ms), err)
	}
	if _, err := dst.SessionByHash(ctx, sess.Hash); err != nil {
		t.Fatalf("session copied: %v", err)
	}
	if c, err := dst.CourtByCode(ctx, court.Code); err != nil || c.Name != court.Name {
		t.Fatalf("court copied: %+v, %v", c, err)
	}
	if us, err := dst.SearchUsers(ctx, navette.UserFilter{Text: "leveque amiens"}); err != nil || len(us) != 1 {
		t.Fatalf("search on the copy: %v, %v", us, err)
	}

	// The clerk leaves the service, signs out, is renamed; the code expires.
	if err := src.RemoveMember(ctx, svc.ID, clerk.ID); err != nil {
		t.Fatal(err)
	}
	if err := src.DeleteSession(ctx, sess.ID); err != nil {
		t.Fatal(err)
	}
	if n, err := src.DeleteSignInCodes(ctx, epoch.Add(time.Hour)); err != nil || n != 1 {
		t.Fatalf("DeleteSignInCodes = %d, %v", n, err)
	}
	if err := src.UpdateUser(ctx, clerk.ID, func(u *navette.User) ([]navette.Event, error) {
		u.Name = "Anne Martin"
		return nil, nil
	}); err != nil {
		t.Fatal(err)
	}
	if err := dst.SQL().CopyFrom(ctx, src.SQL(), sqlstore.Tables, nil); err != nil {
		t.Fatalf("CopyFrom again: %v", err)
	}
	if ms, err := dst.Members(ctx, svc.ID); err != nil || len(ms) != 0 {
		t.Errorf("members after the second copy: %d, %v; want none", len(ms), err)
	}
	if _, err := dst.SessionByHash(ctx, sess.Hash); navette.ErrorCode(err) != navette.ENOTFOUND {
		t.Errorf("session after the second copy: %v; want ENOTFOUND", err)
	}
	if cs, err := dst.SignInCodes(ctx, clerk.ID, time.Time{}); err != nil || len(cs) != 0 {
		t.Errorf("codes after the second copy: %d, %v; want none", len(cs), err)
	}
	if us, err := dst.SearchUsers(ctx, navette.UserFilter{Text: "leveque"}); err != nil || len(us) != 0 {
		t.Errorf("search for the former name on the copy: %d users, %v", len(us), err)
	}
	if us, err := dst.SearchUsers(ctx, navette.UserFilter{Text: "martin amiens"}); err != nil || len(us) != 1 {
		t.Errorf("search for the new name on the copy: %d users, %v", len(us), err)
	}
}

// TestCopyListsEveryTable: every table of the schema is copied by navette
// migrate, but for goose's own and the reference tables every migration
// fills alike; a table added without its line in sqlstore.Tables would be
// lost in a move to PostgreSQL.
func TestCopyListsEveryTable(t *testing.T) {
	s := open(t, filepath.Join(t.TempDir(), "schema.db"))
	rows, err := s.SQL().ReadDB().QueryContext(t.Context(), `SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	listed := map[string]bool{"goose_db_version": true, "notice_kinds": true}
	for _, tb := range sqlstore.Tables {
		listed[tb.Name] = true
	}
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			t.Fatal(err)
		}
		if !listed[name] {
			t.Errorf("table %q is not in sqlstore.Tables: navette migrate would not copy it", name)
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
}

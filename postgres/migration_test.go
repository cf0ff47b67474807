package postgres_test

import (
	"fmt"
	"os"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/pressly/goose/v3"

	"navette"
	"navette/postgres"
	"navette/storetest"
)

// TestMigrateIdentity brings a database made at version 2, with users,
// tokens, deposits, recipients, notices and events, to the current schema:
// users keep their rows under the widened role constraint, the foreign keys
// that point at them still hold, tokens get their scopes, past downloads
// their downloader, and users their search terms.
func TestMigrateIdentity(t *testing.T) {
	ctx := t.Context()
	url := pg.NewDatabase(t)
	raw := rawDB(t, url)
	p, err := goose.NewProvider(goose.DialectPostgres, raw, os.DirFS("migrations"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.UpTo(ctx, 2); err != nil {
		t.Fatal(err)
	}
	for _, q := range []struct {
		sql  string
		args []any
	}{
		{`INSERT INTO users (id, email, name, role, disabled, created_at, lang) VALUES
			('admin1', 'root@justice.example', 'Root', 'admin', 0, 1000, ''),
			('agent1', 'anne.leveque@justice.example', 'Anne Lévêque', 'agent', 0, 2000, 'fr'),
			('lawyer1', 'bob@avocat.example', 'Bob Avocat', 'partner', 1, 3000, 'en')`, nil},
		{`INSERT INTO tokens (id, user_id, hash, label, created_at) VALUES ('t1', 'admin1', $1, 'ops', 4000), ('t2', 'agent1', $2, '', 4000), ('t3', 'lawyer1', $3, '', 4000)`,
			[]any{[]byte{1}, []byte{2}, []byte{3}}},
		{`INSERT INTO deposits (id, sender_id, state, retention_days, created_at) VALUES ('d1', 'agent1', 'available', 7, 5000)`, nil},
		{`INSERT INTO deposit_recipients (deposit_id, user_id, first_download_at) VALUES ('d1', 'lawyer1', 6000), ('d1', 'admin1', NULL)`, nil},
		{`INSERT INTO notices (id, kind, user_id, state, next_attempt_at, created_at) VALUES ('n1', 'deposit', 'lawyer1', 'pending', 5000, 5000)`, nil},
		{`INSERT INTO events (time, type, actor_id, deposit_id) VALUES (5000, 'deposit.created', 'agent1', 'd1')`, nil},
	} {
		if _, err := raw.ExecContext(ctx, q.sql, q.args...); err != nil {
			t.Fatalf("%s: %v", q.sql, err)
		}
	}

	s := openURL(t, url)
	agent, err := s.User(ctx, "agent1")
	if err != nil {
		t.Fatal(err)
	}
	want := &navette.User{ID: "agent1", Email: "anne.leveque@justice.example", Name: "Anne Lévêque", Role: navette.RoleAgent,
		Lang: "fr", CreatedAt: time.UnixMicro(2000).UTC()}
	if !reflect.DeepEqual(agent, want) {
		t.Errorf("migrated user:\n got %+v\nwant %+v", agent, want)
	}
	if u, err := s.User(ctx, "lawyer1"); err != nil || !u.Disabled || u.Lang != "en" {
		t.Errorf("migrated disabled user: %+v, %v", u, err)
	}
	for hash, scopes := range map[byte][]navette.Scope{
		1: {navette.ScopeRead, navette.ScopeWrite, navette.ScopeAdmin},
		2: {navette.ScopeRead, navette.ScopeWrite},
		3: {navette.ScopeRead, navette.ScopeWrite},
	} {
		tok, err := s.TokenByHash(ctx, []byte{hash})
		if err != nil || !slices.Equal(tok.Scopes, scopes) {
			t.Errorf("token %d: %+v, %v; want scopes %v", hash, tok, err, scopes)
			continue
		}
		// The disabled lawyer's token is revoked, as of their revocation
		// (here their creation, the only time known): restoring them does
		// not bring it back.
		if revoked := !tok.RevokedAt.IsZero(); revoked != (hash == 3) || revoked && !tok.RevokedAt.Equal(time.UnixMicro(3000)) {
			t.Errorf("token %d: revoked at %v", hash, tok.RevokedAt)
		}
	}
	d, err := s.Deposit(ctx, "d1")
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range d.Recipients {
		if by := map[string]string{"lawyer1": "lawyer1", "admin1": ""}[r.UserID]; r.FirstDownloadBy != by {
			t.Errorf("recipient %s: first download by %q, want %q", r.UserID, r.FirstDownloadBy, by)
		}
		if by := map[string]string{"lawyer1": "lawyer1", "admin1": ""}[r.UserID]; r.FirstOpenedBy != by || r.FirstOpenedAt != r.FirstDownloadAt {
			t.Errorf("recipient %s: first opened by %q at %v, want %q at %v", r.UserID, r.FirstOpenedBy, r.FirstOpenedAt, by, r.FirstDownloadAt)
		}
	}
	found, err := s.SearchUsers(ctx, navette.UserFilter{Text: "leveque"})
	if err != nil || len(found) != 1 || found[0].ID != "agent1" {
		t.Errorf("search for a migrated user: %v, %v", found, err)
	}
	svc := &navette.User{ID: navette.NewID(), Email: "greffe@justice.example", Role: navette.RoleService, CreatedAt: epoch}
	if err := s.CreateUser(ctx, svc); err != nil {
		t.Errorf("CreateUser(service) after migration: %v", err)
	}

	// The other tables still refer to users: deleting one that is
	// referred to fails, and nothing dangles.
	if _, err := raw.ExecContext(ctx, `DELETE FROM users WHERE id = 'lawyer1'`); err == nil {
		t.Error("deleting a recipient succeeded: the foreign keys lost users")
	}
	tok := &navette.Token{ID: navette.NewID(), UserID: navette.NewID(), Hash: []byte{9}, Scopes: []navette.Scope{navette.ScopeRead}, CreatedAt: epoch}
	if err := s.CreateToken(ctx, tok); navette.ErrorCode(err) != navette.ENOTFOUND {
		t.Errorf("CreateToken for an unknown user after migration: %v, want ENOTFOUND", err)
	}
	var stale int
	if err := raw.QueryRowContext(ctx, `SELECT count(*) FROM deposit_recipients x JOIN deposits d ON d.id = x.deposit_id WHERE x.created_at <> d.created_at`).Scan(&stale); err != nil || stale != 0 {
		t.Errorf("recipient rows without their deposit's creation time: %d, %v", stale, err)
	}
	storetest.CheckJournalTree(t, s)
	if n, err := s.TreeSize(ctx); err != nil || n != 1 {
		t.Errorf("journal tree of %d leaves after migration, %v; want the event journaled before", n, err)
	}
	var version int64
	if err := raw.QueryRowContext(ctx, `SELECT max(version_id) FROM goose_db_version`).Scan(&version); err != nil || version != lastMigration(t) {
		t.Errorf("schema version %d, %v; want %d", version, err, lastMigration(t))
	}
}

// lastMigration returns the number of the last migration in migrations/.
func lastMigration(t *testing.T) int64 {
	entries, err := os.ReadDir("migrations")
	if err != nil {
		t.Fatal(err)
	}
	var last int64
	for _, e := range entries {
		var n int64
		if _, err := fmt.Sscanf(e.Name(), "%05d_", &n); err == nil {
			last = max(last, n)
		}
	}
	return last
}

// reopenAt returns what reopens the store s of the database at url after
// taking it back to version v by the Down of each migration after it: its
// opening migrates it up again.
func reopenAt(s *postgres.Store, url string, v int64) func(t *testing.T) *postgres.Store {
	return func(t *testing.T) *postgres.Store {
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
		raw := rawDB(t, url)
		storetest.MigrateDownTo(t, goose.DialectPostgres, raw, os.DirFS("."), v)
		return openURL(t, url)
	}
}

// TestMigrateForwardedFrom: forwards made before migration 36 are found by
// it (storetest.TestForwardBackfill), the database taken back to version
// 35 by the migration's Down.
func TestMigrateForwardedFrom(t *testing.T) {
	url := pg.NewDatabase(t)
	s, err := postgres.Open(t.Context(), url)
	if err != nil {
		t.Fatal(err)
	}
	reopen := reopenAt(s, url, 35)
	storetest.TestForwardBackfill(t, s, func(t *testing.T) storetest.ForwardMetaStore { return reopen(t) })
}

// TestMigrateShredEndedNotices: the unsent notices of deposits that keep no
// evidence, written before migration 38, lose their payload by it
// (storetest.TestNoticeShredBackfill), the database taken back to version
// 36.
func TestMigrateShredEndedNotices(t *testing.T) {
	url := pg.NewDatabase(t)
	s, err := postgres.Open(t.Context(), url)
	if err != nil {
		t.Fatal(err)
	}
	reopen := reopenAt(s, url, 36)
	storetest.TestNoticeShredBackfill(t, s, func(t *testing.T) navette.MetaStore { return reopen(t) })
}

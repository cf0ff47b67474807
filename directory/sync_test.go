package directory

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"navette"
	"navette/account"
	"navette/internal/testsqlite"
	"navette/keyring"
	"navette/sqlite"
)

var epoch = time.Date(2026, 11, 20, 8, 30, 0, 0, time.UTC)

// counting counts the calls a sync makes to its store.
type counting struct {
	navette.MetaStore
	userByEmail, saveUsers atomic.Int64
}

func (c *counting) UserByEmail(ctx context.Context, email string) (*navette.User, error) {
	c.userByEmail.Add(1)
	return c.MetaStore.UserByEmail(ctx, email)
}

// UsersByEmails counts each e-mail looked up as a UserByEmail would.
func (c *counting) UsersByEmails(ctx context.Context, emails []string) ([]*navette.User, error) {
	c.userByEmail.Add(int64(len(emails)))
	return c.MetaStore.UsersByEmails(ctx, emails)
}

func (c *counting) SaveUsers(ctx context.Context, create, update []*navette.User, events ...navette.Event) error {
	c.saveUsers.Add(1)
	return c.MetaStore.SaveUsers(ctx, create, update, events...)
}

type env struct {
	t      *testing.T
	meta   *sqlite.Store
	calls  *counting
	clock  *navette.FakeClock
	sync   *Sync
	queued int
}

func openStore(t testing.TB) *sqlite.Store {
	t.Helper()
	s := testsqlite.Open(t, filepath.Join(t.TempDir(), "meta.db"))
	return s
}

func newEnv(t *testing.T) *env {
	t.Helper()
	keys, err := keyring.Open(filepath.Join(t.TempDir(), "keys"))
	if err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, meta: openStore(t), clock: navette.NewFakeClock(epoch)}
	e.calls = &counting{MetaStore: e.meta}
	e.sync = &Sync{Meta: e.calls, Clock: e.clock, Keys: keys, NoticesQueued: func() { e.queued++ }}
	return e
}

func (e *env) resetCalls() {
	e.calls.userByEmail.Store(0)
	e.calls.saveUsers.Store(0)
}

const lawyersHeader = "cnbf;nom;prenom;barreau;email;statut;date_maj\n"

// flow returns the entries of a lawyers' flow of n people, numbered from
// 1, with the rows of edit replacing theirs ("" drops the person).
func flow(t *testing.T, n int, edit map[int]string) []Entry {
	t.Helper()
	var b strings.Builder
	b.WriteString(lawyersHeader)
	for i := 1; i <= n; i++ {
		if row, ok := edit[i]; ok {
			if row != "" {
				b.WriteString(row + "\n")
			}
			continue
		}
		fmt.Fprintf(&b, "%d;Martin;Léa;Paris;lea.martin.%d@avocat.example;actif;2026-11-01\n", i, i)
	}
	entries, err := Parse(strings.NewReader(b.String()), LawyersMapping())
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	return entries
}

func (e *env) apply(entries []Entry, opt Options) *Report {
	e.t.Helper()
	rep, err := e.sync.Apply(e.t.Context(), "lawyers", entries, opt)
	if err != nil {
		e.t.Fatalf("Apply: %v", err)
	}
	return rep
}

func (e *env) user(extID string) *navette.User {
	e.t.Helper()
	users, err := e.meta.UsersBySource(e.t.Context(), "lawyers")
	if err != nil {
		e.t.Fatal(err)
	}
	for _, u := range users {
		if u.ExternalID == extID {
			return u
		}
	}
	e.t.Fatalf("no user %s", extID)
	return nil
}

func (e *env) events() []navette.Event {
	e.t.Helper()
	ev, err := e.meta.Events(e.t.Context(), navette.EventFilter{Limit: 100000})
	if err != nil {
		e.t.Fatal(err)
	}
	return ev
}

func countTypes(events []navette.Event) map[navette.EventType]int {
	n := map[navette.EventType]int{}
	for _, ev := range events {
		n[ev.Type]++
	}
	return n
}

func ids(changes []Change) []string {
	var out []string
	for _, c := range changes {
		out = append(out, c.ExternalID)
	}
	return out
}

func counts(r *Report) string {
	return fmt.Sprintf("added %d, updated %d, revoked %d, restored %d, unchanged %d, ignored %d",
		len(r.Added), len(r.Updated), len(r.Revoked), len(r.Restored), r.Unchanged, r.Ignored)
}

func TestSyncCreates(t *testing.T) {
	e := newEnv(t)
	entries, err := parseFile(t, "lawyers-sample.csv", LawyersMapping())
	if err != nil {
		t.Fatal(err)
	}
	rep := e.apply(entries, Options{})
	if got, want := counts(rep), "added 40, updated 0, revoked 0, restored 0, unchanged 0, ignored 0"; got != want || !rep.Applied {
		t.Fatalf("report: got %s (applied %v), want %s (applied)", got, rep.Applied, want)
	}
	if rep.Added[0].Line != 2 || rep.Added[39].Line != 41 {
		t.Errorf("added: got lines %d…%d, want 2…41", rep.Added[0].Line, rep.Added[39].Line)
	}
	u := e.user("100000")
	want := navette.User{ID: u.ID, Email: "stephane.durand.100000@avocat.example", Name: "Stéphane Durand; et associés",
		Role: navette.RolePartner, Source: "lawyers", ExternalID: "100000", Kind: "lawyer", Org: "Amiens",
		DirectoryStatus: "actif", CreatedAt: epoch}
	if !navette.ValidID(u.ID) || !reflect.DeepEqual(*u, want) {
		t.Errorf("user: got %+v, want %+v", *u, want)
	}
	events := e.events()
	if n := countTypes(events); n[navette.EventUserCreated] != 40 || n[navette.EventDirectorySynced] != 1 || len(events) != 41 {
		t.Errorf("events: got %v, want 40 user.created and 1 directory.synced", n)
	}
	last := events[len(events)-1]
	if last.Detail != "lawyers added=40 updated=0 revoked=0 restored=0" || last.ActorID != "" {
		t.Errorf("synced event: got %+v", last)
	}
	for _, ev := range events[:40] {
		if !strings.HasSuffix(ev.Detail, " partner") || strings.Contains(ev.Detail, "@") {
			t.Errorf("user.created event: got detail %q, want \"ID partner\"", ev.Detail)
			break
		}
	}
	if e.calls.userByEmail.Load() != 40 || e.calls.saveUsers.Load() != 1 {
		t.Errorf("store calls: got %d UserByEmail and %d SaveUsers, want 40 and 1", e.calls.userByEmail.Load(), e.calls.saveUsers.Load())
	}
	if e.queued != 0 {
		t.Errorf("NoticesQueued called %d times, want 0", e.queued)
	}
}

func TestSyncTwiceChangesNothing(t *testing.T) {
	e := newEnv(t)
	entries, err := parseFile(t, "lawyers-crlf.csv", LawyersMapping())
	if err != nil {
		t.Fatal(err)
	}
	e.apply(entries, Options{})
	before := e.events()
	e.resetCalls()
	e.clock.Advance(24 * time.Hour)
	again, err := parseFile(t, "lawyers-sample.csv", LawyersMapping())
	if err != nil {
		t.Fatal(err)
	}
	rep := e.apply(again, Options{})
	if got, want := counts(rep), "added 0, updated 0, revoked 0, restored 0, unchanged 40, ignored 0"; got != want || !rep.Applied {
		t.Errorf("report: got %s (applied %v), want %s (applied)", got, rep.Applied, want)
	}
	if after := e.events(); len(after) != len(before) {
		t.Errorf("events: got %d after the second sync, want %d", len(after), len(before))
	}
	if e.calls.userByEmail.Load() != 0 || e.calls.saveUsers.Load() != 0 {
		t.Errorf("store calls: got %d UserByEmail and %d SaveUsers, want none", e.calls.userByEmail.Load(), e.calls.saveUsers.Load())
	}
}

func TestSyncUpdates(t *testing.T) {
	e := newEnv(t)
	e.apply(flow(t, 20, nil), Options{})
	old := e.user("3")
	before := len(e.events())
	e.resetCalls()
	e.clock.Advance(time.Hour)
	rep := e.apply(flow(t, 20, map[int]string{
		3:  "3;Martin-Durand;Léa;Paris;LEA.DURAND.3@avocat.example;actif;2026-11-02",
		7:  "7;Martin;Léa;Lyon;lea.martin.7@avocat.example;actif;2026-11-02",
		9:  "9;Martin;Léa;Paris;lea.martin.9@avocat.example;Actif;2026-11-02", // same status
		12: "12; Martin ;Léa  ;Paris;Lea.Martin.12@Avocat.Example;actif;2026-11-02",
	}), Options{})
	if got, want := counts(rep), "added 0, updated 2, revoked 0, restored 0, unchanged 18, ignored 0"; got != want {
		t.Fatalf("report: got %s, want %s", got, want)
	}
	if c := rep.Updated[0]; c.Line != 4 || c.ExternalID != "3" || !slices.Equal(c.Fields, []string{"email", "name"}) || c.Email != "lea.durand.3@avocat.example" || c.Name != "Léa Martin-Durand" {
		t.Errorf("first update: got %+v", c)
	}
	if c := rep.Updated[1]; c.ExternalID != "7" || !slices.Equal(c.Fields, []string{"org"}) {
		t.Errorf("second update: got %+v", c)
	}
	u := e.user("3")
	if u.ID != old.ID || u.Email != "lea.durand.3@avocat.example" || u.Name != "Léa Martin-Durand" || !u.UpdatedAt.Equal(e.clock.Now()) || u.Disabled {
		t.Errorf("updated user: got %+v", u)
	}
	events := e.events()[before:]
	if n := countTypes(events); n[navette.EventUserUpdated] != 2 || n[navette.EventDirectorySynced] != 1 || len(events) != 3 {
		t.Errorf("events: got %v", n)
	}
	if events[0].Detail != old.ID+" email,name" {
		t.Errorf("user.updated detail: got %q, want %q", events[0].Detail, old.ID+" email,name")
	}
	if e.calls.userByEmail.Load() != 1 {
		t.Errorf("got %d UserByEmail calls, want 1 (for the new e-mail only)", e.calls.userByEmail.Load())
	}
}

func TestSyncRevokesAndRestores(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	e.apply(flow(t, 40, nil), Options{})
	absent, omis := e.user("5"), e.user("6")

	hash := sha256.Sum256([]byte("cookie secret"))
	sess := &navette.Session{ID: navette.NewID(), Hash: hash[:], UserID: absent.ID, Stage: navette.StageFull, Method: "code+totp",
		CreatedAt: epoch, SeenAt: epoch, ExpiresAt: epoch.Add(12 * time.Hour)}
	if err := e.meta.CreateSession(ctx, sess); err != nil {
		t.Fatal(err)
	}
	accounts := &account.Service{Meta: e.meta, Clock: e.clock}
	secret, _, err := accounts.CreateTokenFor(ctx, omis, "cli", 0, []navette.Scope{navette.ScopeRead})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := accounts.Authenticate(ctx, secret); err != nil {
		t.Fatalf("Authenticate before the sync: %v", err)
	}

	e.clock.Advance(time.Hour)
	revokedAt := e.clock.Now()
	before := len(e.events())
	rep := e.apply(flow(t, 40, map[int]string{5: "", 6: "6;Martin;Léa;Paris;lea.martin.6@avocat.example;omis;2026-11-02"}), Options{})
	if got, want := counts(rep), "added 0, updated 0, revoked 2, restored 0, unchanged 38, ignored 0"; got != want {
		t.Fatalf("report: got %s, want %s", got, want)
	}
	if got := fmt.Sprint(rep.Revoked); got != fmt.Sprint([]Change{
		{Line: 6, ExternalID: "6", Email: "lea.martin.6@avocat.example", Name: "Léa Martin", Reason: "omis"},
		{ExternalID: "5", Email: "lea.martin.5@avocat.example", Name: "Léa Martin", Reason: "absent"},
	}) {
		t.Errorf("revoked: got %v", got)
	}
	for _, c := range []struct {
		u      *navette.User
		status string
	}{{absent, "absent"}, {omis, "omis"}} {
		u := e.user(c.u.ExternalID)
		if !u.Disabled || !u.RevokedAt.Equal(revokedAt) || u.DirectoryStatus != c.status {
			t.Errorf("revoked user %s: got disabled %v, revoked at %v, status %q; want true, %v, %q", u.ExternalID, u.Disabled, u.RevokedAt, u.DirectoryStatus, revokedAt, c.status)
		}
		notices, err := e.meta.Notices(ctx, navette.NoticeFilter{UserID: u.ID})
		if err != nil {
			t.Fatal(err)
		}
		if len(notices) != 1 || notices[0].Kind != navette.NoticeAccessRevoked || notices[0].State != navette.NoticePending || notices[0].DepositID != "" {
			t.Errorf("notices of %s: got %+v, want one pending access_revoked", u.ExternalID, notices)
		}
	}
	if _, err := e.meta.SessionByHash(ctx, hash[:]); !navette.IsCode(err, navette.ENOTFOUND) {
		t.Errorf("session of the revoked user: got %v, want it gone", err)
	}
	if _, _, err := accounts.Authenticate(ctx, secret); !navette.IsCode(err, navette.EUNAUTHORIZED) {
		t.Errorf("token of the revoked user: got %v, want %q", err, navette.EUNAUTHORIZED)
	}
	if e.queued != 1 {
		t.Errorf("NoticesQueued called %d times, want 1", e.queued)
	}
	events := e.events()[before:]
	var details []string
	for _, ev := range events {
		details = append(details, string(ev.Type)+" "+ev.Detail)
	}
	want := []string{"user.revoked " + omis.ID + " omis", "user.revoked " + absent.ID + " absent", "directory.synced lawyers added=0 updated=0 revoked=2 restored=0"}
	if !slices.Equal(details, want) {
		t.Errorf("events: got %q, want %q", details, want)
	}

	e.clock.Advance(time.Hour)
	rep = e.apply(flow(t, 40, map[int]string{5: "", 6: "6;Martin;Léa;Paris;lea.martin.6@avocat.example;radie;2026-11-03"}), Options{})
	if got, want := counts(rep), "added 0, updated 1, revoked 0, restored 0, unchanged 38, ignored 0"; got != want || !slices.Equal(rep.Updated[0].Fields, []string{"status"}) {
		t.Errorf("omis then radie: got %s %+v, want %s and the status updated", got, rep.Updated, want)
	}

	e.clock.Advance(time.Hour)
	rep = e.apply(flow(t, 40, map[int]string{5: "5;Martin;Léa;Lille;lea.martin.5@avocat.example;actif;2026-11-04"}), Options{})
	if got, want := counts(rep), "added 0, updated 0, revoked 0, restored 2, unchanged 38, ignored 0"; got != want {
		t.Fatalf("back to actif: got %s, want %s", got, want)
	}
	if c := rep.Restored[0]; c.ExternalID != "5" || !slices.Equal(c.Fields, []string{"org"}) {
		t.Errorf("restored: got %+v, want 5 with its org changed", c)
	}
	for _, id := range []string{"5", "6"} {
		u := e.user(id)
		if u.Disabled || !u.RevokedAt.IsZero() || u.DirectoryStatus != "actif" {
			t.Errorf("restored user %s: got disabled %v, revoked at %v, status %q", id, u.Disabled, u.RevokedAt, u.DirectoryStatus)
		}
	}
	// Their revocation revoked their tokens for good: restoring them
	// revives none (they make new ones).
	if _, _, err := accounts.Authenticate(ctx, secret); !navette.IsCode(err, navette.EUNAUTHORIZED) {
		t.Errorf("token of the restored user: got %v, want it still revoked", err)
	}
	if n := countTypes(e.events()); n[navette.EventUserRestored] != 2 {
		t.Errorf("events: got %v, want 2 user.restored", n)
	}
}

func TestSyncKeepsAdminRevocations(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	e.apply(flow(t, 20, nil), Options{})
	admin := &navette.User{ID: navette.NewID(), Email: "admin@justice.example", Name: "Admin", Role: navette.RoleAdmin, CreatedAt: epoch}
	if err := e.meta.CreateUser(ctx, admin); err != nil {
		t.Fatal(err)
	}
	accounts := &account.Service{Meta: e.meta, Clock: e.clock}
	u := e.user("4")
	if _, err := accounts.SetDisabled(ctx, admin, u.ID, true); err != nil {
		t.Fatal(err)
	}
	for _, status := range []string{"actif", "omis", "actif"} {
		e.clock.Advance(time.Hour)
		rep := e.apply(flow(t, 20, map[int]string{4: "4;Martin;Léa;Paris;lea.martin.4@avocat.example;" + status + ";"}), Options{})
		if got, want := counts(rep), "added 0, updated 0, revoked 0, restored 0, unchanged 20, ignored 0"; got != want {
			t.Errorf("%q: got %s, want %s", status, got, want)
		}
		if got := e.user("4"); !got.Disabled {
			t.Errorf("%q: the user revoked by an admin was restored", status)
		}
	}
}

func TestSyncRevokeGuard(t *testing.T) {
	e := newEnv(t)
	e.apply(flow(t, 40, nil), Options{})
	before := len(e.events())
	truncated := flow(t, 35, nil)

	rep, err := e.sync.Apply(t.Context(), "lawyers", truncated, Options{})
	if navette.ErrorCode(err) != navette.EINVALID {
		t.Fatalf("5 of 40 revoked: got %v, want %q", err, navette.EINVALID)
	}
	for _, w := range []string{"revoke 5 of the 40 enabled users", "12.5 %", "10 %", "--force"} {
		if !strings.Contains(navette.ErrorMessage(err), w) {
			t.Errorf("message %q: want it to mention %q", navette.ErrorMessage(err), w)
		}
	}
	if rep == nil || len(rep.Revoked) != 5 || rep.Applied {
		t.Errorf("report of the refused sync: got %+v, want 5 revocations not applied", rep)
	}
	if n := len(e.events()); n != before || e.user("40").Disabled {
		t.Errorf("the refused sync wrote something: %d events, want %d", n, before)
	}

	rep = e.apply(truncated, Options{MaxRevokeShare: 0.2})
	if len(rep.Revoked) != 5 || !rep.Applied {
		t.Errorf("with a share of 20 %%: got %s", counts(rep))
	}

	rep = e.apply(flow(t, 20, nil), Options{Force: true})
	if len(rep.Revoked) != 15 || !rep.Applied || !e.user("21").Disabled {
		t.Errorf("forced: got %s", counts(rep))
	}
}

func TestSyncDryRun(t *testing.T) {
	e := newEnv(t)
	rep := e.apply(flow(t, 10, nil), Options{DryRun: true})
	if got, want := counts(rep), "added 10, updated 0, revoked 0, restored 0, unchanged 0, ignored 0"; got != want || rep.Applied {
		t.Errorf("report: got %s (applied %v), want %s (not applied)", got, rep.Applied, want)
	}
	users, err := e.meta.UsersBySource(t.Context(), "lawyers")
	if err != nil || len(users) != 0 || len(e.events()) != 0 || e.calls.saveUsers.Load() != 0 {
		t.Errorf("the dry run wrote %d users and %d events", len(users), len(e.events()))
	}

	e.apply(flow(t, 10, nil), Options{})
	rep = e.apply(flow(t, 9, map[int]string{2: "2;Martin;Léa;Nice;lea.martin.2@avocat.example;actif;"}), Options{DryRun: true, Force: true})
	if got, want := counts(rep), "added 0, updated 1, revoked 1, restored 0, unchanged 8, ignored 0"; got != want || rep.Applied {
		t.Errorf("report: got %s (applied %v), want %s (not applied)", got, rep.Applied, want)
	}
	if e.user("10").Disabled || e.user("2").Org != "Paris" || e.queued != 0 {
		t.Errorf("the dry run changed users")
	}
}

func TestSyncConflictingEmail(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	e.apply(flow(t, 10, nil), Options{})
	for _, u := range []*navette.User{
		{ID: navette.NewID(), Email: "greffe@justice.example", Name: "Greffe", Role: navette.RoleAgent, CreatedAt: epoch},
		{ID: navette.NewID(), Email: "agent@justice.example", Name: "Agent", Role: navette.RoleAgent, Source: "ldap", ExternalID: "agent", CreatedAt: epoch},
	} {
		if err := e.meta.CreateUser(ctx, u); err != nil {
			t.Fatal(err)
		}
	}
	before := len(e.events())
	tests := []struct {
		name  string
		edit  map[int]string
		lines []int
		words []string
	}{
		{"new, made by hand", map[int]string{11: "11;Roux;Inès;Paris;greffe@justice.example;actif;"}, []int{12}, []string{"line 12: the e-mail greffe@justice.example is already that of a user made by hand"}},
		{"new, other source", map[int]string{11: "11;Roux;Inès;Paris;AGENT@justice.example;actif;"}, []int{12}, []string{`line 12: the e-mail agent@justice.example is already that of a user of the directory "ldap"`}},
		{"changed, other source", map[int]string{3: "3;Martin;Léa;Paris;agent@justice.example;actif;"}, []int{4}, []string{"line 4: the e-mail agent@justice.example"}},
		{"new, same source, absent", map[int]string{4: "", 11: "11;Roux;Inès;Paris;lea.martin.4@avocat.example;actif;"}, []int{12}, []string{"line 12: the e-mail lea.martin.4@avocat.example is already that of the user with external id 4 in this directory, who keeps it"}},
		{"changed, same source, omis", map[int]string{4: "4;Martin;Léa;Paris;lea.martin.4@avocat.example;omis;", 5: "5;Martin;Léa;Paris;lea.martin.4@avocat.example;actif;"}, nil, []string{"lea.martin.4@avocat.example is listed twice"}},
	}
	for _, tt := range tests {
		n := 10
		if _, ok := tt.edit[11]; ok {
			n = 11
		}
		_, err := e.sync.Apply(ctx, "lawyers", flowOrErr(tt.edit, n), Options{Force: true})
		if tt.lines != nil {
			refused(t, tt.name, err, tt.lines, tt.words)
		} else if navette.ErrorCode(err) != navette.EINVALID || !strings.Contains(err.Error(), tt.words[0]) {
			t.Errorf("%q: got %v, want an invalid error mentioning %q", tt.name, err, tt.words[0])
		}
	}
	if n := len(e.events()); n != before {
		t.Errorf("refused syncs wrote %d events", n-before)
	}

	_, err := e.sync.Apply(ctx, "lawyers", flow(t, 10, map[int]string{
		3: "3;Martin;Léa;Paris;lea.martin.4@avocat.example;actif;",
		4: "4;Martin;Léa;Paris;lea.martin.3@avocat.example;actif;",
	}), Options{})
	refused(t, "swapped e-mails", err, []int{4}, []string{"line 4: the e-mails of the people with external ids 3, 4 are exchanged"})
	e.resetCalls()

	rep := e.apply(flow(t, 10, map[int]string{
		3: "3;Martin;Léa;Paris;lea.martin.4@avocat.example;actif;",
		4: "4;Martin;Léa;Paris;lea.martin.5@avocat.example;actif;",
		5: "5;Martin;Léa;Paris;lea.martin.new5@avocat.example;actif;",
	}), Options{})
	if got, want := counts(rep), "added 0, updated 3, revoked 0, restored 0, unchanged 7, ignored 0"; got != want {
		t.Errorf("e-mails passed on: got %s, want %s", got, want)
	}
	if u := e.user("3"); u.Email != "lea.martin.4@avocat.example" {
		t.Errorf("e-mails passed on: got %s for 3", u.Email)
	}
	if e.calls.userByEmail.Load() != 1 {
		t.Errorf("got %d UserByEmail calls, want 1 (for the e-mail new to the directory)", e.calls.userByEmail.Load())
	}
}

// flowOrErr is flow without a test to fail: the entries of the rows that
// parse, duplicates included, for checks made by Apply itself.
func flowOrErr(edit map[int]string, n int) []Entry {
	var out []Entry
	for i := 1; i <= n; i++ {
		row, ok := edit[i]
		if !ok {
			row = fmt.Sprintf("%d;Martin;Léa;Paris;lea.martin.%d@avocat.example;actif;", i, i)
		} else if row == "" {
			continue
		}
		entries, err := Parse(strings.NewReader(lawyersHeader+row), LawyersMapping())
		if err != nil {
			panic(err)
		}
		entries[0].Line = i + 1
		out = append(out, entries[0])
	}
	return out
}

func TestSyncCourts(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	court := &navette.Court{ID: navette.NewID(), Code: "TJ-AMIENS", Name: "Tribunal judiciaire d'Amiens", CreatedAt: epoch}
	if err := e.meta.CreateCourt(ctx, court); err != nil {
		t.Fatal(err)
	}
	agents := []Entry{
		{ExternalID: "jdupont", Email: "jean.dupont@justice.example", Name: "Jean Dupont", Status: "active", Active: true, Role: navette.RoleAgent, CourtCode: "TJ-AMIENS"},
		{ExternalID: "mlegrand", Email: "marie.legrand@justice.example", Name: "Marie Legrand", Status: "active", Active: true, Role: navette.RoleCourtAdmin, CourtCode: "TJ-AMIENS"},
	}
	rep, err := e.sync.Apply(ctx, "ldap", agents, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if got := ids(rep.Added); !slices.Equal(got, []string{"jdupont", "mlegrand"}) {
		t.Errorf("added: got %v", got)
	}
	u, err := e.meta.UserByEmail(ctx, "marie.legrand@justice.example")
	if err != nil || u.CourtID != court.ID || u.Role != navette.RoleCourtAdmin || u.Source != "ldap" || u.Kind != "" {
		t.Errorf("agent: got %+v, %v", u, err)
	}

	agents[0].CourtCode = "TJ-NOWHERE"
	_, err = e.sync.Apply(ctx, "ldap", agents, Options{})
	if navette.ErrorCode(err) != navette.EINVALID || !strings.Contains(err.Error(), `the person with external id "jdupont": the court TJ-NOWHERE is unknown`) {
		t.Errorf("unknown court: got %v", err)
	}
	agents[0].CourtCode = ""
	rep, err = e.sync.Apply(ctx, "ldap", agents, Options{})
	if err != nil || len(rep.Updated) != 1 || !slices.Equal(rep.Updated[0].Fields, []string{"court"}) {
		t.Errorf("court removed: got %+v, %v", rep, err)
	}
}

func TestSyncRefusesBadEntries(t *testing.T) {
	e := newEnv(t)
	good := Entry{ExternalID: "a", Email: "a@avocat.example", Name: "A", Active: true, Status: "actif"}
	tests := []struct {
		name    string
		entries []Entry
		want    string
	}{
		{"no source", nil, "source"},
		{"no id", []Entry{{Line: 2, Email: "a@avocat.example", Name: "A", Active: true}}, "line 2: an external id"},
		{"id twice", []Entry{good, {ExternalID: "a", Email: "b@avocat.example", Name: "B", Active: true}}, `the external id a is listed twice (also for external id a)`},
		{"e-mail twice", []Entry{good, {Line: 3, ExternalID: "b", Email: "a@avocat.example", Name: "B", Active: true}}, "line 3: the e-mail a@avocat.example is listed twice"},
		{"upper-case e-mail", []Entry{{ExternalID: "a", Email: "A@avocat.example", Name: "A", Active: true}}, `"A@avocat.example" is not a valid, normalized e-mail`},
		{"no name", []Entry{{ExternalID: "a", Email: "a@avocat.example", Active: true}}, "the name is empty"},
		{"admin", []Entry{{ExternalID: "a", Email: "a@avocat.example", Name: "A", Role: navette.RoleAdmin, Active: true}}, `not "admin"`},
		{"status absent", []Entry{{ExternalID: "a", Email: "a@avocat.example", Name: "A", Status: "absent"}}, "reserved"},
	}
	for _, tt := range tests {
		source := "lawyers"
		if tt.name == "no source" {
			source = ""
		}
		_, err := e.sync.Apply(t.Context(), source, tt.entries, Options{})
		if navette.ErrorCode(err) != navette.EINVALID || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%q: got %v, want an invalid error mentioning %q", tt.name, err, tt.want)
		}
		var pe *ParseError
		if tt.name != "no source" && !errors.As(err, &pe) {
			t.Errorf("%q: got %T, want a *ParseError", tt.name, err)
		}
	}
	if len(e.events()) != 0 {
		t.Errorf("refused syncs wrote events")
	}
}

func TestSyncTouchesOnlyItsSource(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	e.apply(flow(t, 10, nil), Options{})
	others := []*navette.User{
		{ID: navette.NewID(), Email: "admin@justice.example", Name: "Admin", Role: navette.RoleAdmin, CreatedAt: epoch},
		{ID: navette.NewID(), Email: "expert@expert.example", Name: "Expert", Role: navette.RolePartner, Source: "experts", ExternalID: "1", CreatedAt: epoch},
	}
	for _, u := range others {
		if err := e.meta.CreateUser(ctx, u); err != nil {
			t.Fatal(err)
		}
	}
	rep := e.apply(flow(t, 1, nil), Options{Force: true})
	if len(rep.Revoked) != 9 || slices.Contains(ids(rep.Revoked), "1") {
		t.Errorf("got %s, want the 9 lawyers absent revoked", counts(rep))
	}
	for _, o := range others {
		u, err := e.meta.User(ctx, o.ID)
		if err != nil || u.Disabled {
			t.Errorf("user %s of another source: got %+v, %v, want it untouched", o.Email, u, err)
		}
	}
}

func TestSyncGuardOnDryRun(t *testing.T) {
	e := newEnv(t)
	e.apply(flow(t, 10, nil), Options{})
	rep, err := e.sync.Apply(t.Context(), "lawyers", flow(t, 8, nil), Options{DryRun: true})
	if navette.ErrorCode(err) != navette.EINVALID || !strings.Contains(navette.ErrorMessage(err), "revoke 2 of the 10 enabled users of \"lawyers\" (20 %), more than the 10 % allowed") {
		t.Errorf("got %v, want the guard to refuse", err)
	}
	if rep == nil || !slices.Equal(ids(rep.Revoked), []string{"10", "9"}) || rep.Applied {
		t.Errorf("got report %+v, want the 2 revocations not applied, absent people by external id", rep)
	}
}

// TestSyncIgnoresInactiveStrangers: a person listed as not active who is
// not on the platform is counted as ignored, not unchanged, and gets no
// account.
func TestSyncIgnoresInactiveStrangers(t *testing.T) {
	e := newEnv(t)
	flow := "cnbf;nom;prenom;barreau;email;statut;date_maj\n" +
		"1;Martin;Claire;Amiens;claire.martin@avocat.example;actif;2026-11-01\n" +
		"2;Petit;Luc;Amiens;luc.petit@avocat.example;omis;2026-11-01\n"
	entries, err := Parse(strings.NewReader(flow), LawyersMapping())
	if err != nil {
		t.Fatal(err)
	}
	rep := e.apply(entries, Options{})
	if got, want := counts(rep), "added 1, updated 0, revoked 0, restored 0, unchanged 0, ignored 1"; got != want {
		t.Fatalf("report: got %s, want %s", got, want)
	}
	if _, err := e.meta.UserByEmail(t.Context(), "luc.petit@avocat.example"); !navette.IsCode(err, navette.ENOTFOUND) {
		t.Errorf("the inactive stranger has an account: %v", err)
	}
	rep = e.apply(entries, Options{})
	if got, want := counts(rep), "added 0, updated 0, revoked 0, restored 0, unchanged 1, ignored 1"; got != want {
		t.Errorf("again: got %s, want %s", got, want)
	}
}

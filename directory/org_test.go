package directory_test

import (
	"context"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"navette"
	"navette/directory"
	"navette/internal/testsqlite"
	"navette/keyring"
	"navette/sqlite"
)

// orgFixture is a Sync on a real SQLite store.
type orgFixture struct {
	t     *testing.T
	meta  *sqlite.Store
	sync  *directory.Sync
	clock *navette.FakeClock
}

func newOrgFixture(t *testing.T) *orgFixture {
	t.Helper()
	dir := t.TempDir()
	meta := testsqlite.Open(t, filepath.Join(dir, "navette.db"))
	keys, err := keyring.Open(filepath.Join(dir, "keys"))
	if err != nil {
		t.Fatal(err)
	}
	clock := navette.NewFakeClock(time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC))
	return &orgFixture{t: t, meta: meta, clock: clock, sync: &directory.Sync{Meta: meta, Clock: clock, Keys: keys}}
}

// orgSnapshot is a ministry listing: two courts, four agents (amartin
// inactive), two services.
func orgSnapshot() *directory.Snapshot {
	agent := func(uid, name, court string, active bool) directory.Entry {
		status := "active"
		if !active {
			status = "inactive"
		}
		return directory.Entry{ExternalID: uid, Email: uid + "@justice.example", Name: name, Status: status, Active: active,
			Role: navette.RoleAgent, CourtCode: court}
	}
	return &directory.Snapshot{
		People: []directory.Entry{
			agent("amartin", "Alain Martin", "TJ-AMIENS", false),
			agent("hmercier", "Hélène Mercier", "TJ-AMIENS", true),
			agent("jlefevre", "Jérôme Lefèvre", "TJ-AMIENS", true),
			agent("zcaron", "Zoé Caron", "TJ-LILLE", true),
		},
		Courts: []directory.CourtEntry{
			{Code: "TJ-AMIENS", Name: "Tribunal judiciaire d'Amiens"},
			{Code: "TJ-LILLE", Name: "Tribunal judiciaire de Lille"},
		},
		Services: []directory.ServiceEntry{
			{Code: "greffe-correctionnel-tj-amiens", CourtCode: "TJ-AMIENS", Name: "Greffe correctionnel — TJ Amiens",
				Email: "Greffe-Correctionnel.TJ-Amiens@justice.example", Members: []string{"amartin", "hmercier", "jlefevre", "ghost"}},
			{Code: "greffe-civil-tj-lille", CourtCode: "TJ-LILLE", Name: "Greffe civil — TJ Lille",
				Email: "greffe-civil.tj-lille@justice.example", Members: []string{"zcaron"}},
		},
	}
}

func (f *orgFixture) apply(snap *directory.Snapshot, opt directory.Options) *directory.OrgReport {
	f.t.Helper()
	rep, err := f.sync.ApplySnapshot(context.Background(), "ldap", snap, opt)
	if err != nil {
		f.t.Fatalf("ApplySnapshot: %v", err)
	}
	return rep
}

// users returns the users of the source by external id.
func (f *orgFixture) users() map[string]*navette.User {
	f.t.Helper()
	us, err := f.meta.UsersBySource(context.Background(), "ldap")
	if err != nil {
		f.t.Fatal(err)
	}
	m := map[string]*navette.User{}
	for _, u := range us {
		m[u.ExternalID] = u
	}
	return m
}

// members returns the external ids (or ids, for users of no source) of
// the members of the service with the given code, each followed by
// "(hand)" if set by hand.
func (f *orgFixture) members(code string) []string {
	f.t.Helper()
	users := f.users()
	svc := users[code]
	if svc == nil {
		f.t.Fatalf("no service %s", code)
	}
	ms, err := f.meta.Members(context.Background(), svc.ID)
	if err != nil {
		f.t.Fatal(err)
	}
	byID := map[string]string{}
	for ext, u := range users {
		byID[u.ID] = ext
	}
	var out []string
	for _, m := range ms {
		name := byID[m.UserID]
		if name == "" {
			name = m.UserID
		}
		if m.Source != "ldap" {
			name += "(hand)"
		}
		out = append(out, name)
	}
	slices.Sort(out)
	return out
}

func (f *orgFixture) memberEvents() (added, removed int) {
	f.t.Helper()
	evs, err := f.meta.Events(context.Background(), navette.EventFilter{Limit: 1000})
	if err != nil {
		f.t.Fatal(err)
	}
	for _, e := range evs {
		switch e.Type {
		case navette.EventMemberAdded:
			added++
		case navette.EventMemberRemoved:
			removed++
		}
	}
	return added, removed
}

func changes(mc []directory.MemberChange) []string {
	var out []string
	for _, c := range mc {
		out = append(out, c.Service+" "+c.Member)
	}
	return out
}

func TestApplySnapshot(t *testing.T) {
	f := newOrgFixture(t)
	ctx := context.Background()

	dry := f.apply(orgSnapshot(), directory.Options{DryRun: true})
	if len(dry.CourtsAdded) != 2 || len(dry.MembersAdded) != 3 || len(dry.Added) != 5 {
		t.Errorf("dry run: courts %v, members %v, added %d; want 2 courts, 3 members, 3 agents and 2 services",
			dry.CourtsAdded, changes(dry.MembersAdded), len(dry.Added))
	}
	if courts, _ := f.meta.Courts(ctx); len(courts) != 0 {
		t.Errorf("dry run made courts: %+v", courts)
	}
	if us := f.users(); len(us) != 0 {
		t.Errorf("dry run made users: %v", us)
	}

	rep := f.apply(orgSnapshot(), directory.Options{})
	if !rep.Applied || len(rep.CourtsAdded) != 2 || len(rep.Added) != 5 {
		t.Errorf("first sync: applied %v, courts %v, added %+v", rep.Applied, rep.CourtsAdded, rep.Added)
	}
	wantAdded := []string{
		"greffe-civil-tj-lille zcaron",
		"greffe-correctionnel-tj-amiens hmercier",
		"greffe-correctionnel-tj-amiens jlefevre",
	}
	if got := changes(rep.MembersAdded); !slices.Equal(got, wantAdded) {
		t.Errorf("members added: %q, want %q", got, wantAdded)
	}
	courts, err := f.meta.Courts(ctx)
	if err != nil || len(courts) != 2 || courts[0].Code != "TJ-AMIENS" || courts[0].Name != "Tribunal judiciaire d'Amiens" || courts[0].Source != "ldap" {
		t.Fatalf("courts: %+v, %v", courts, err)
	}
	users := f.users()
	svc := users["greffe-correctionnel-tj-amiens"]
	if svc == nil || svc.Role != navette.RoleService || svc.Email != "greffe-correctionnel.tj-amiens@justice.example" ||
		svc.Name != "Greffe correctionnel — TJ Amiens" || svc.CourtID != courts[0].ID || svc.Disabled {
		t.Errorf("service: %+v", svc)
	}
	if u := users["zcaron"]; u == nil || u.Role != navette.RoleAgent || u.CourtID != courts[1].ID || u.Name != "Zoé Caron" {
		t.Errorf("zcaron: %+v", u)
	}
	if u := users["amartin"]; u != nil && !u.Disabled {
		t.Errorf("inactive amartin is enabled: %+v", u)
	}
	if got := f.members("greffe-correctionnel-tj-amiens"); !slices.Equal(got, []string{"hmercier", "jlefevre"}) {
		t.Errorf("members: %q", got)
	}
	if added, removed := f.memberEvents(); added != 3 || removed != 0 {
		t.Errorf("member events: %d added, %d removed; want 3, 0", added, removed)
	}

	again := f.apply(orgSnapshot(), directory.Options{})
	if len(again.CourtsAdded)+len(again.MembersAdded)+len(again.MembersRemoved)+len(again.Added)+len(again.Updated)+len(again.Revoked)+len(again.Restored) != 0 {
		t.Errorf("the same snapshot again changed things: %+v", again)
	}
	if added, removed := f.memberEvents(); added != 3 || removed != 0 {
		t.Errorf("member events after a sync without change: %d added, %d removed", added, removed)
	}

	// A court admin adds zcaron by hand; jlefevre leaves the greffe;
	// hmercier is suspended.
	if err := f.meta.AddMember(ctx, &navette.Member{ServiceID: svc.ID, UserID: users["zcaron"].ID, CreatedAt: f.clock.Now()}); err != nil {
		t.Fatal(err)
	}
	snap := orgSnapshot()
	snap.People[1].Active, snap.People[1].Status = false, "inactive"
	snap.Services[0].Members = []string{"amartin", "hmercier", "zcaron"}
	f.clock.Advance(time.Hour)

	refused, err := f.sync.ApplySnapshot(ctx, "ldap", snap, directory.Options{})
	if !navette.IsCode(err, navette.EINVALID) || refused == nil || len(refused.Revoked) != 1 || refused.Revoked[0].ExternalID != "hmercier" {
		t.Errorf("revoking 1 of 5 without Force: %+v, %v; want EINVALID with the report", refused, err)
	}
	dry = f.apply(snap, directory.Options{DryRun: true, Force: true})
	wantRemoved := []string{"greffe-correctionnel-tj-amiens hmercier", "greffe-correctionnel-tj-amiens jlefevre"}
	if got := changes(dry.MembersRemoved); !slices.Equal(got, wantRemoved) || len(dry.MembersAdded) != 0 {
		t.Errorf("dry run: removed %q, added %q; want removed %q", got, changes(dry.MembersAdded), wantRemoved)
	}
	if got := f.members("greffe-correctionnel-tj-amiens"); !slices.Equal(got, []string{"hmercier", "jlefevre", "zcaron(hand)"}) {
		t.Errorf("dry run changed members: %q", got)
	}

	rep = f.apply(snap, directory.Options{Force: true})
	if got := changes(rep.MembersRemoved); !slices.Equal(got, wantRemoved) || len(rep.MembersAdded) != 0 {
		t.Errorf("removed %q, added %q; want removed %q", got, changes(rep.MembersAdded), wantRemoved)
	}
	if got := f.members("greffe-correctionnel-tj-amiens"); !slices.Equal(got, []string{"zcaron(hand)"}) {
		t.Errorf("members: %q, want zcaron's, set by hand", got)
	}
	if i := slices.IndexFunc(rep.Updated, func(c directory.Change) bool { return c.ExternalID == "greffe-correctionnel-tj-amiens" }); i < 0 ||
		!slices.Contains(rep.Updated[i].Fields, "members") {
		t.Errorf("the service is not reported updated for its members: %+v", rep.Updated)
	}
	if u := f.users()["hmercier"]; !u.Disabled {
		t.Errorf("suspended hmercier is enabled")
	}
	if added, removed := f.memberEvents(); added != 3 || removed != 2 {
		t.Errorf("member events: %d added, %d removed; want 3, 2", added, removed)
	}

	// The Lille greffe disappears from the directory.
	snap.Services = snap.Services[:1]
	rep = f.apply(snap, directory.Options{Force: true})
	if got := changes(rep.MembersRemoved); !slices.Equal(got, []string{"greffe-civil-tj-lille zcaron"}) {
		t.Errorf("removed %q", got)
	}
	if u := f.users()["greffe-civil-tj-lille"]; !u.Disabled {
		t.Errorf("the service the directory dropped is enabled")
	}
	if got := f.members("greffe-civil-tj-lille"); len(got) != 0 {
		t.Errorf("members of the dropped service: %q", got)
	}
}

func TestApplySnapshotRefusesCollisions(t *testing.T) {
	f := newOrgFixture(t)
	for _, edit := range []func(*directory.Snapshot){
		func(s *directory.Snapshot) { s.Services[1].Code = "zcaron" },
		func(s *directory.Snapshot) { s.Services[1].Code = s.Services[0].Code },
	} {
		snap := orgSnapshot()
		edit(snap)
		_, err := f.sync.ApplySnapshot(context.Background(), "ldap", snap, directory.Options{})
		if !navette.IsCode(err, navette.EINVALID) || !strings.Contains(navette.ErrorMessage(err), "service code") {
			t.Errorf("ApplySnapshot: %v, want EINVALID", err)
		}
	}
	if courts, _ := f.meta.Courts(context.Background()); len(courts) != 0 {
		t.Errorf("a refused snapshot made courts: %+v", courts)
	}
	if _, err := f.sync.ApplySnapshot(context.Background(), "ldap", nil, directory.Options{}); !navette.IsCode(err, navette.EINVALID) {
		t.Errorf("ApplySnapshot(nil): %v", err)
	}
}

func TestApplySnapshotUnknownCourt(t *testing.T) {
	f := newOrgFixture(t)
	snap := orgSnapshot()
	snap.People = append(snap.People, directory.Entry{ExternalID: "dsj1", Email: "dsj1@justice.example", Name: "Agent Central",
		Status: "active", Active: true, Role: navette.RoleAgent, CourtCode: "DSJ"})
	dry := f.apply(snap, directory.Options{DryRun: true})
	if !slices.Equal(dry.UnknownCourts, []string{"DSJ"}) || len(dry.Added) != 6 {
		t.Errorf("dry run: unknown courts %q, added %d", dry.UnknownCourts, len(dry.Added))
	}
	rep := f.apply(snap, directory.Options{})
	if !slices.Equal(rep.UnknownCourts, []string{"DSJ"}) || len(rep.Added) != 6 {
		t.Errorf("unknown courts %q, added %d", rep.UnknownCourts, len(rep.Added))
	}
	if u := f.users()["dsj1"]; u == nil || u.CourtID != "" || u.Disabled {
		t.Errorf("dsj1: %+v", u)
	}
}

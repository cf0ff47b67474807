package ldap_test

import (
	"path/filepath"
	"slices"
	"testing"
	"time"

	goldap "github.com/go-ldap/ldap/v3"

	"navette"
	"navette/directory"
	"navette/internal/testldap"
	"navette/internal/testsqlite"
	"navette/keyring"
)

// TestSync runs the ministry directory into a SQLite store: seed slapd,
// Fetch, ApplySnapshot; then the directory changes and is synced again.
func TestSync(t *testing.T) {
	s, d := start(t)
	ctx := t.Context()
	dir := t.TempDir()
	meta := testsqlite.Open(t, filepath.Join(dir, "navette.db"))
	keys, err := keyring.Open(filepath.Join(dir, "keys"))
	if err != nil {
		t.Fatal(err)
	}
	clock := navette.NewFakeClock(time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC))
	sync := &directory.Sync{Meta: meta, Clock: clock, Keys: keys}

	run := func(opt directory.Options) *directory.OrgReport {
		t.Helper()
		snap, err := d.Fetch(ctx)
		if err != nil {
			t.Fatalf("Fetch: %v", err)
		}
		rep, err := sync.ApplySnapshot(ctx, "ldap", snap, opt)
		if err != nil {
			t.Fatalf("ApplySnapshot: %v", err)
		}
		return rep
	}
	users := func() map[string]*navette.User {
		t.Helper()
		us, err := meta.UsersBySource(ctx, "ldap")
		if err != nil {
			t.Fatal(err)
		}
		m := map[string]*navette.User{}
		for _, u := range us {
			m[u.ExternalID] = u
		}
		return m
	}
	members := func(code string) []string {
		t.Helper()
		us := users()
		ms, err := meta.Members(ctx, us[code].ID)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, m := range ms {
			for ext, u := range us {
				if u.ID == m.UserID {
					out = append(out, ext)
				}
			}
		}
		slices.Sort(out)
		return out
	}

	rep := run(directory.Options{})
	if len(rep.CourtsAdded) != 3 || len(rep.Added) != 8 {
		t.Errorf("first sync: courts %+v, added %d users; want 3 courts, 4 active agents and 4 services", rep.CourtsAdded, len(rep.Added))
	}
	courts, err := meta.Courts(ctx)
	if err != nil || len(courts) != 3 {
		t.Fatalf("courts: %+v, %v", courts, err)
	}
	amiens, err := meta.CourtByCode(ctx, "TJ-AMIENS")
	if err != nil || amiens.Name != "Tribunal judiciaire d'Amiens" {
		t.Fatalf("TJ-AMIENS: %+v, %v", amiens, err)
	}
	us := users()
	if u := us["hmercier"]; u == nil || u.Name != "Hélène Mercier" || u.Email != "helene.mercier@justice.example" ||
		u.Role != navette.RoleAgent || u.CourtID != amiens.ID || u.Disabled {
		t.Errorf("hmercier: %+v", u)
	}
	if u := us["zcaron"]; u == nil || u.Email != "zoe.caron@justice.example" {
		t.Errorf("zcaron: %+v", u)
	}
	if u := us["amartin"]; u != nil && !u.Disabled {
		t.Errorf("suspended amartin is enabled: %+v", u)
	}
	if u := us["cnoel"]; u != nil {
		t.Errorf("departed cnoel is a user: %+v", u)
	}
	svc := us["greffe-correctionnel-tj-amiens"]
	if svc == nil || svc.Role != navette.RoleService || svc.Email != "greffe-correctionnel.tj-amiens@justice.example" ||
		svc.Name != "Greffe correctionnel — TJ Amiens" || svc.CourtID != amiens.ID {
		t.Errorf("service: %+v", svc)
	}
	if got := members("greffe-correctionnel-tj-amiens"); !slices.Equal(got, []string{"hmercier", "jlefevre"}) {
		t.Errorf("greffe correctionnel: %q", got)
	}
	if got := members("greffe-civil-tj-lille"); !slices.Equal(got, []string{"zcaron"}) {
		t.Errorf("greffe civil: %q", got)
	}
	if got := members("parquet-tj-amiens"); !slices.Equal(got, []string{"jlefevre"}) {
		t.Errorf("parquet: %q", got)
	}

	// hmercier leaves the ministry; jlefevre leaves the parquet.
	s.Delete(t, "uid=hmercier,"+testldap.PeopleBase)
	s.Modify(t, "cn=parquet-tj-amiens,"+testldap.GroupsBase, func(r *goldap.ModifyRequest) {
		r.Add("member", []string{"uid=bduboeuf," + testldap.PeopleBase})
		r.Delete("member", []string{"uid=jlefevre," + testldap.PeopleBase})
	})
	clock.Advance(24 * time.Hour)
	rep = run(directory.Options{Force: true})
	if len(rep.Revoked) != 1 || rep.Revoked[0].ExternalID != "hmercier" {
		t.Errorf("revoked: %+v, want hmercier", rep.Revoked)
	}
	if u := users()["hmercier"]; !u.Disabled {
		t.Errorf("hmercier is still enabled")
	}
	if got := members("greffe-correctionnel-tj-amiens"); !slices.Equal(got, []string{"jlefevre"}) {
		t.Errorf("greffe correctionnel: %q", got)
	}
	if got := members("parquet-tj-amiens"); !slices.Equal(got, []string{"bduboeuf"}) {
		t.Errorf("parquet: %q", got)
	}
	if len(rep.MembersAdded) != 1 || len(rep.MembersRemoved) != 2 {
		t.Errorf("members added %+v, removed %+v", rep.MembersAdded, rep.MembersRemoved)
	}

	rep = run(directory.Options{})
	if n := len(rep.CourtsAdded) + len(rep.Added) + len(rep.Updated) + len(rep.Revoked) + len(rep.Restored) +
		len(rep.MembersAdded) + len(rep.MembersRemoved); n != 0 {
		t.Errorf("a sync without change changed %d things: %+v", n, rep)
	}
}

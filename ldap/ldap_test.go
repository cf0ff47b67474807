package ldap_test

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net"
	"slices"
	"strings"
	"testing"
	"time"

	goldap "github.com/go-ldap/ldap/v3"

	"navette"
	"navette/directory"
	"navette/internal/testldap"
	"navette/ldap"
)

// start starts a seeded server for t and returns it with a directory
// configured for it.
func start(t *testing.T) (*testldap.Server, *ldap.Directory) {
	t.Helper()
	s := testldap.Start(t, "")
	t.Logf("slapd started in %v", s.Started)
	return s, open(t, config(s))
}

func config(s *testldap.Server) ldap.Config {
	return ldap.Config{
		URL:          s.URL,
		BindDN:       s.BindDN,
		BindPassword: s.BindPassword,
		BaseDN:       testldap.Suffix,
		ActiveFilter: testldap.ActiveFilter,
		Timeout:      10 * time.Second,
	}
}

func open(t *testing.T, cfg ldap.Config) *ldap.Directory {
	t.Helper()
	d, err := ldap.New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return d
}

func person(snap *directory.Snapshot, uid string) *directory.Entry {
	for i := range snap.People {
		if snap.People[i].ExternalID == uid {
			return &snap.People[i]
		}
	}
	return nil
}

func TestFetch(t *testing.T) {
	_, d := start(t)
	snap, err := d.Fetch(t.Context())
	if err != nil {
		t.Fatalf("Fetch: %v", err)
	}

	want := []directory.Entry{
		{ExternalID: "amartin", Email: "alain.martin@justice.example", Name: "Alain Martin", Status: ldap.StatusInactive, Active: false, Role: navette.RoleAgent, CourtCode: "TJ-AMIENS"},
		{ExternalID: "bduboeuf", Email: "benoit.duboeuf@justice.example", Name: "Benoît Dubœuf", Status: ldap.StatusActive, Active: true, Role: navette.RoleAgent, CourtCode: "CA-DOUAI"},
		{ExternalID: "hmercier", Email: "helene.mercier@justice.example", Name: "Hélène Mercier", Status: ldap.StatusActive, Active: true, Role: navette.RoleAgent, CourtCode: "TJ-AMIENS"},
		{ExternalID: "jlefevre", Email: "jerome.lefevre@justice.example", Name: "Jérôme Lefèvre", Status: ldap.StatusActive, Active: true, Role: navette.RoleAgent, CourtCode: "TJ-AMIENS"},
		{ExternalID: "zcaron", Email: "zoe.caron@justice.example", Name: "Zoé Caron", Status: ldap.StatusActive, Active: true, Role: navette.RoleAgent, CourtCode: "TJ-LILLE"},
	}
	if !slices.Equal(snap.People, want) {
		t.Errorf("people:\n got %+v\nwant %+v", snap.People, want)
	}

	wantCourts := []directory.CourtEntry{
		{Code: "CA-DOUAI", Name: "Cour d'appel de Douai"},
		{Code: "TJ-AMIENS", Name: "Tribunal judiciaire d'Amiens"},
		{Code: "TJ-LILLE", Name: "Tribunal judiciaire de Lille"},
	}
	if !slices.Equal(snap.Courts, wantCourts) {
		t.Errorf("courts:\n got %+v\nwant %+v", snap.Courts, wantCourts)
	}

	wantServices := []directory.ServiceEntry{
		{Code: "greffe-ca-douai", CourtCode: "CA-DOUAI", Name: "Greffe de la chambre de l'instruction — CA Douai",
			Email: "greffe-ca-douai@justice.example", Members: []string{"bduboeuf"}},
		{Code: "greffe-civil-tj-lille", CourtCode: "TJ-LILLE", Name: "Greffe civil — TJ Lille",
			Email: "greffe-civil.tj-lille@justice.example", Members: []string{"zcaron"}},
		{Code: "greffe-correctionnel-tj-amiens", CourtCode: "TJ-AMIENS", Name: "Greffe correctionnel — TJ Amiens",
			Email: "greffe-correctionnel.tj-amiens@justice.example", Members: []string{"amartin", "hmercier", "jlefevre"}},
		{Code: "parquet-tj-amiens", CourtCode: "TJ-AMIENS", Name: "Parquet — TJ Amiens",
			Email: "parquet.tj-amiens@justice.example", Members: []string{"jlefevre"}},
	}
	if !slices.EqualFunc(snap.Services, wantServices, func(a, b directory.ServiceEntry) bool {
		return a.Code == b.Code && a.CourtCode == b.CourtCode && a.Name == b.Name && a.Email == b.Email && slices.Equal(a.Members, b.Members)
	}) {
		t.Errorf("services:\n got %+v\nwant %+v", snap.Services, wantServices)
	}
}

func TestFetchWithoutActiveFilter(t *testing.T) {
	s := testldap.Start(t, "")
	cfg := config(s)
	cfg.ActiveFilter = ""
	snap, err := open(t, cfg).Fetch(t.Context())
	if err != nil {
		t.Fatalf("Fetch: %v", err)
	}
	for _, p := range snap.People {
		if !p.Active || p.Status != ldap.StatusActive {
			t.Errorf("%s: active %v, status %q", p.ExternalID, p.Active, p.Status)
		}
	}
}

func TestFetchLeavesOutIncompleteEntries(t *testing.T) {
	s := testldap.Start(t, "")
	s.Add(t, "cn=Sans Courriel,"+testldap.PeopleBase, map[string][]string{
		"objectClass": {"inetOrgPerson"}, "cn": {"Sans Courriel"}, "sn": {"Courriel"}, "uid": {"scourriel"},
	})
	s.Add(t, "cn=Sans Uid,"+testldap.PeopleBase, map[string][]string{
		"objectClass": {"inetOrgPerson"}, "cn": {"Sans Uid"}, "sn": {"Uid"}, "mail": {"sans.uid@justice.example"},
	})
	s.Add(t, "cn=Doublon,"+testldap.PeopleBase, map[string][]string{
		"objectClass": {"inetOrgPerson"}, "cn": {"Doublon"}, "sn": {"Doublon"}, "uid": {"hmercier"}, "mail": {"doublon@justice.example"},
	})
	s.Add(t, "uid=unnom,"+testldap.PeopleBase, map[string][]string{
		"objectClass": {"inetOrgPerson"}, "cn": {"Dominique"}, "sn": {"Dominique"}, "uid": {"unnom"}, "mail": {"dominique@justice.example"},
	})
	d := open(t, config(s))
	var log bytes.Buffer
	d.Log = slog.New(slog.NewTextHandler(&log, nil))
	snap, err := d.Fetch(t.Context())
	if err != nil {
		t.Fatalf("Fetch: %v", err)
	}
	for _, want := range []string{"cn=Sans Courriel", "cn=Sans Uid", "cn=Doublon"} {
		if !strings.Contains(log.String(), want) {
			t.Errorf("no warning about %s in the log:\n%s", want, log.String())
		}
	}
	if len(snap.People) != 6 {
		t.Errorf("%d people, want the 5 seeded and unnom: %+v", len(snap.People), snap.People)
	}
	if p := person(snap, "unnom"); p == nil || p.Name != "Dominique" {
		t.Errorf("unnom: %+v, want named by cn", p)
	}
	if p := person(snap, "hmercier"); p == nil || p.Email != "helene.mercier@justice.example" {
		t.Errorf("hmercier: %+v", p)
	}
}

func TestFetchPages(t *testing.T) {
	s := testldap.Start(t, "")
	const extra = 1200
	began := time.Now()
	for i := range extra {
		s.AddPerson(t, fmt.Sprintf("agent%04d", i), "Agnès", fmt.Sprintf("Numéro%04d", i),
			fmt.Sprintf("agent%04d@justice.example", i), "TJ-LILLE")
	}
	t.Logf("added %d people in %v", extra, time.Since(began))

	conn := s.Conn(t, s.BindDN, s.BindPassword)
	_, err := conn.Search(goldap.NewSearchRequest(testldap.PeopleBase, goldap.ScopeWholeSubtree, goldap.NeverDerefAliases, 0, 0, false,
		"(objectClass=inetOrgPerson)", []string{"uid"}, nil))
	if !goldap.IsErrorWithCode(err, goldap.LDAPResultSizeLimitExceeded) {
		t.Fatalf("unpaged search: %v, want the size limit to be exceeded", err)
	}

	cfg := config(s)
	cfg.PageSize = 500
	began = time.Now()
	snap, err := open(t, cfg).Fetch(t.Context())
	if err != nil {
		t.Fatalf("Fetch: %v", err)
	}
	t.Logf("fetched %d people in %v", len(snap.People), time.Since(began))
	if len(snap.People) != extra+5 {
		t.Fatalf("%d people, want %d", len(snap.People), extra+5)
	}
	p := person(snap, "agent1199")
	if p == nil || p.Name != "Agnès Numéro1199" || p.CourtCode != "TJ-LILLE" || !p.Active {
		t.Errorf("agent1199: %+v", p)
	}
}

func TestAuthenticate(t *testing.T) {
	s, d := start(t)
	ctx := t.Context()
	for _, login := range []string{"hmercier", "helene.mercier@justice.example", " hmercier "} {
		p, err := d.Authenticate(ctx, login, testldap.AgentPassword)
		if err != nil {
			t.Fatalf("Authenticate(%q): %v", login, err)
		}
		if p.ExternalID != "hmercier" || p.Name != "Hélène Mercier" || p.Email != "helene.mercier@justice.example" || p.CourtCode != "TJ-AMIENS" || !p.Active {
			t.Errorf("Authenticate(%q) = %+v", login, p)
		}
	}
	if p, err := d.Authenticate(ctx, "ZOE.CARON@justice.example", testldap.AgentPassword); err != nil || p.ExternalID != "zcaron" {
		t.Errorf("Authenticate by mail in capitals = %+v, %v", p, err)
	}

	s.AddPerson(t, "x*", "Étoile", "Joker", "etoile@justice.example", "TJ-LILLE")
	var message string
	for _, c := range []struct{ name, login, password string }{
		{"wrong password", "hmercier", "not-the-password"},
		{"unknown user", "nobody", testldap.AgentPassword},
		{"empty password", "hmercier", ""},
		{"empty login", "", testldap.AgentPassword},
		{"injection", "*)(uid=*", testldap.AgentPassword},
		{"injection with password", "hmercier)(|(uid=*", testldap.AgentPassword},
		{"wildcard", "*", testldap.AgentPassword},
		{"prefix wildcard", "hmer*", testldap.AgentPassword},
		{"wildcard matching one", "x*", "wrong"},
		{"suspended agent", "amartin", testldap.AgentPassword},
		{"departed agent", "cnoel", testldap.AgentPassword},
		{"service account", "navette", testldap.BindPassword},
		{"administrator", "admin", testldap.RootPassword},
	} {
		p, err := d.Authenticate(ctx, c.login, c.password)
		if !navette.IsCode(err, navette.EUNAUTHORIZED) {
			t.Errorf("%s: Authenticate(%q) = %+v, %v; want EUNAUTHORIZED", c.name, c.login, p, err)
			continue
		}
		if message == "" {
			message = navette.ErrorMessage(err)
		} else if m := navette.ErrorMessage(err); m != message {
			t.Errorf("%s: message %q, want the same as the others: %q", c.name, m, message)
		}
	}
	if p, err := d.Authenticate(ctx, "x*", testldap.AgentPassword); err != nil || p.ExternalID != "x*" {
		t.Errorf("Authenticate(\"x*\") = %+v, %v; the uid is matched literally", p, err)
	}
	if email, err := d.CheckPassword(ctx, "jlefevre", testldap.AgentPassword); err != nil || email != "jerome.lefevre@justice.example" {
		t.Errorf("CheckPassword = %q, %v", email, err)
	}
	if _, err := d.CheckPassword(ctx, "jlefevre", "wrong"); !navette.IsCode(err, navette.EUNAUTHORIZED) {
		t.Errorf("CheckPassword with a wrong password: %v", err)
	}
}

func TestUnreachable(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	d := open(t, ldap.Config{URL: "ldap://" + addr, BaseDN: testldap.Suffix, BindDN: testldap.BindDN, BindPassword: "x", Timeout: 2 * time.Second})
	if _, err := d.Fetch(t.Context()); !navette.IsCode(err, navette.EUNAVAILABLE) {
		t.Errorf("Fetch from a closed port: %v, want EUNAVAILABLE", err)
	}
	if _, err := d.Authenticate(t.Context(), "hmercier", "x"); !navette.IsCode(err, navette.EUNAVAILABLE) {
		t.Errorf("Authenticate on a closed port: %v, want EUNAVAILABLE", err)
	}

	s, d := start(t)
	if _, err := d.Fetch(t.Context()); err != nil {
		t.Fatalf("Fetch: %v", err)
	}
	s.Stop()
	if _, err := d.Fetch(t.Context()); !navette.IsCode(err, navette.EUNAVAILABLE) {
		t.Errorf("Fetch from a stopped server: %v, want EUNAVAILABLE", err)
	}
	if _, err := d.Authenticate(t.Context(), "hmercier", testldap.AgentPassword); !navette.IsCode(err, navette.EUNAVAILABLE) {
		t.Errorf("Authenticate on a stopped server: %v, want EUNAVAILABLE", err)
	}
}

func TestBadConfiguration(t *testing.T) {
	s := testldap.Start(t, "")
	for _, c := range []struct {
		name string
		edit func(*ldap.Config)
		want string // in the message
	}{
		{"wrong password", func(c *ldap.Config) { c.BindPassword = "wrong" }, "service account"},
		{"unknown account", func(c *ldap.Config) { c.BindDN = "uid=ghost,ou=system," + testldap.Suffix }, "service account"},
		{"anonymous", func(c *ldap.Config) { c.BindDN, c.BindPassword = "", "" }, "may not read"},
		{"missing base", func(c *ldap.Config) { c.PeopleBase = "ou=agents" }, "base does not exist"},
		{"wrong suffix", func(c *ldap.Config) { c.BaseDN = "dc=interieur,dc=example" }, "base does not exist"},
	} {
		cfg := config(s)
		c.edit(&cfg)
		_, err := open(t, cfg).Fetch(t.Context())
		if !navette.IsCode(err, navette.EINVALID) || !strings.Contains(navette.ErrorMessage(err), c.want) {
			t.Errorf("%s: Fetch: %v; want EINVALID saying %q", c.name, err, c.want)
		}
	}
	cfg := config(s)
	cfg.BindPassword = "wrong"
	if _, err := open(t, cfg).Authenticate(t.Context(), "hmercier", testldap.AgentPassword); !navette.IsCode(err, navette.EINVALID) {
		t.Errorf("Authenticate with a refused service account: %v, want EINVALID", err)
	}
}

func TestContextCanceled(t *testing.T) {
	_, d := start(t)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := d.Fetch(ctx); err == nil || !strings.Contains(err.Error(), "context canceled") {
		t.Errorf("Fetch with a canceled context: %v", err)
	}
}

func TestNew(t *testing.T) {
	for _, c := range []struct {
		name string
		cfg  ldap.Config
	}{
		{"no URL", ldap.Config{BaseDN: "dc=x"}},
		{"bad scheme", ldap.Config{URL: "http://127.0.0.1", BaseDN: "dc=x"}},
		{"no base", ldap.Config{URL: "ldap://127.0.0.1"}},
		{"plaintext to a remote host", ldap.Config{URL: "ldap://ldap.justice.example", BaseDN: "dc=x"}},
		{"starttls on ldaps", ldap.Config{URL: "ldaps://ldap.justice.example", StartTLS: true, BaseDN: "dc=x"}},
		{"bind DN without password", ldap.Config{URL: "ldap://127.0.0.1", BaseDN: "dc=x", BindDN: "cn=navette,dc=x"}},
		{"bad filter", ldap.Config{URL: "ldap://127.0.0.1", BaseDN: "dc=x", PeopleFilter: "objectClass=person"}},
		{"bad active filter", ldap.Config{URL: "ldap://127.0.0.1", BaseDN: "dc=x", ActiveFilter: "(a=b"}},
		{"bad attribute", ldap.Config{URL: "ldap://127.0.0.1", BaseDN: "dc=x", MailAttr: "mail)(x"}},
		{"missing CA file", ldap.Config{URL: "ldaps://ldap.justice.example", BaseDN: "dc=x", CAFile: "/nonexistent.pem"}},
	} {
		if _, err := ldap.New(c.cfg); !navette.IsCode(err, navette.EINVALID) {
			t.Errorf("%s: New: %v, want EINVALID", c.name, err)
		}
	}
	for _, cfg := range []ldap.Config{
		{URL: "ldap://ldap.justice.example:389", BaseDN: "dc=x", StartTLS: true},
		{URL: "ldap://ldap.justice.example", BaseDN: "dc=x", Plaintext: true},
		{URL: "ldaps://ldap.justice.example", BaseDN: "dc=x"},
		{URL: "ldap://localhost:3389", BaseDN: "dc=x"},
	} {
		if _, err := ldap.New(cfg); err != nil {
			t.Errorf("New(%+v): %v", cfg, err)
		}
	}
}

func TestParseConfig(t *testing.T) {
	env := map[string]string{
		"NAVETTE_LDAP_BIND_DN":       "uid=navette,ou=system,dc=justice,dc=gouv,dc=fr",
		"NAVETTE_LDAP_BIND_PASSWORD": "s3cret",
		"NAVETTE_LDAP_ACTIVE_FILTER": "(!(employeeType=suspendu))",
		"NAVETTE_LDAP_PAGE_SIZE":     "1000",
		"NAVETTE_LDAP_COURT_ATTR":    "ou",
	}
	getenv := func(k string) string { return env[k] }
	cfg, err := ldap.ParseConfig("ldap://ldap.justice.example:389/dc=justice,dc=gouv,dc=fr?starttls=true&ca=/etc/navette/ca.pem"+
		"&court_attr=departmentNumber&group_filter=(%26(objectClass=groupOfNames)(mail=*))&timeout=5s", getenv)
	if err != nil {
		t.Fatalf("ParseConfig: %v", err)
	}
	want := ldap.DefaultConfig()
	want.URL = "ldap://ldap.justice.example:389"
	want.StartTLS = true
	want.CAFile = "/etc/navette/ca.pem"
	want.BaseDN = "dc=justice,dc=gouv,dc=fr"
	want.BindDN = env["NAVETTE_LDAP_BIND_DN"]
	want.BindPassword = "s3cret"
	want.ActiveFilter = "(!(employeeType=suspendu))"
	want.PageSize = 1000
	want.CourtAttr = "departmentNumber"
	want.GroupFilter = "(&(objectClass=groupOfNames)(mail=*))"
	want.Timeout = 5 * time.Second
	if cfg != want {
		t.Errorf("ParseConfig:\n got %+v\nwant %+v", cfg, want)
	}
	if s := cfg.String(); strings.Contains(s, "s3cret") {
		t.Errorf("String shows the password: %s", s)
	}

	cfg, err = ldap.ParseConfig("ldaps://ldap.justice.example?base_dn=dc%3Djustice%2Cdc%3Dexample", func(string) string { return "" })
	if err != nil || cfg.BaseDN != "dc=justice,dc=example" || cfg.URL != "ldaps://ldap.justice.example" {
		t.Errorf("ParseConfig with base_dn: %+v, %v", cfg, err)
	}

	for _, raw := range []string{
		"",
		"ldap.justice.example",
		"http://ldap.justice.example/dc=x",
		"ldap://user:pass@ldap.justice.example/dc=x?starttls=true",
		"ldaps://ldap.justice.example/dc=x?bind_password=x",
		"ldaps://ldap.justice.example/dc=x?colour=blue",
		"ldaps://ldap.justice.example/dc=x?starttls=maybe",
		"ldaps://ldap.justice.example/dc=x?page_size=0",
		"ldaps://ldap.justice.example/dc=x?timeout=soon",
		"ldaps://ldap.justice.example/dc=x?people_base=a&people_base=b",
		"ldaps://ldap.justice.example/dc=x?bind_dn=uid%3Dnavette%2Cdc%3Dx",
		"ldap://ldap.justice.example/dc=x",
		"ldaps://ldap.justice.example/",
	} {
		if _, err := ldap.ParseConfig(raw, func(string) string { return "" }); !navette.IsCode(err, navette.EINVALID) {
			t.Errorf("ParseConfig(%q): %v, want EINVALID", raw, err)
		}
	}
}

func TestTLS(t *testing.T) {
	s := testldap.Start(t, "")
	ldaps := config(s)
	ldaps.URL, ldaps.CAFile = s.LDAPSURL, s.CAFile
	starttls := config(s)
	starttls.StartTLS, starttls.CAFile = true, s.CAFile
	for name, cfg := range map[string]ldap.Config{"ldaps": ldaps, "StartTLS": starttls} {
		d := open(t, cfg)
		snap, err := d.Fetch(t.Context())
		if err != nil || len(snap.People) != 5 {
			t.Errorf("%s: Fetch: %d people, %v", name, len(snap.People), err)
		}
		if p, err := d.Authenticate(t.Context(), "bduboeuf", testldap.AgentPassword); err != nil || p.Name != "Benoît Dubœuf" {
			t.Errorf("%s: Authenticate: %+v, %v", name, p, err)
		}

		cfg.CAFile = ""
		_, err = open(t, cfg).Fetch(t.Context())
		if !navette.IsCode(err, navette.EINVALID) || !strings.Contains(navette.ErrorMessage(err), "not trusted") {
			t.Errorf("%s without the CA: Fetch: %v, want EINVALID, not trusted", name, err)
		}
	}
}

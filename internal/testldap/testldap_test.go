package testldap_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/go-ldap/ldap/v3"

	"navette/internal/testldap"
)

func TestServer(t *testing.T) {
	s := testldap.Start(t, "")
	t.Logf("slapd started in %v", s.Started)

	conn := s.Conn(t, s.BindDN, s.BindPassword)
	res, err := conn.Search(ldap.NewSearchRequest(testldap.PeopleBase, ldap.ScopeWholeSubtree, ldap.NeverDerefAliases, 0, 0, false,
		"(uid=hmercier)", []string{"cn", "userPassword"}, nil))
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Entries) != 1 || res.Entries[0].GetAttributeValue("cn") != "Hélène Mercier" {
		t.Fatalf("hmercier: %+v", res.Entries)
	}
	if pw := res.Entries[0].GetAttributeValue("userPassword"); pw != "" {
		t.Errorf("the service account reads passwords: %q", pw)
	}
	s.Conn(t, "uid=hmercier,"+testldap.PeopleBase, testldap.AgentPassword)

	dn := s.AddPerson(t, "ttest", "Théo", "Test", "theo.test@justice.example", "TJ-LILLE")
	s.Replace(t, dn, "employeeType", "suspendu")
	s.Move(t, dn, "uid=ttest", testldap.DepartedBase)
	s.Delete(t, "uid=ttest,"+testldap.DepartedBase)

	anon, err := ldap.DialURL(s.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer anon.Close()
	res, err = anon.Search(ldap.NewSearchRequest(testldap.Suffix, ldap.ScopeWholeSubtree, ldap.NeverDerefAliases, 0, 0, false,
		"(objectClass=*)", nil, nil))
	if err == nil && len(res.Entries) > 0 {
		t.Errorf("anonymous search returned %d entries", len(res.Entries))
	}
}

func TestCloseRemovesEverything(t *testing.T) {
	s, err := testldap.StartServer("")
	if err != nil {
		t.Fatal(err)
	}
	// The server's own pidfile, beside its CA: other tests' servers may
	// run meanwhile, and one of them may take the port this one frees, so
	// that the port answering after Close would prove nothing.
	b, err := os.ReadFile(filepath.Join(filepath.Dir(s.CAFile), "slapd.pid"))
	if err != nil {
		t.Fatalf("no pidfile: %v", err)
	}
	pid := strings.TrimSpace(string(b))
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	// Gone, or a zombie whose parent has not reaped it yet: either way
	// its sockets are closed.
	if stat, err := os.ReadFile("/proc/" + pid + "/stat"); err == nil && !strings.Contains(string(stat), ") Z ") {
		t.Errorf("slapd (pid %s) still runs after Close: %s", pid, stat)
	}
	if _, err := os.Stat(filepath.Dir(s.CAFile)); !os.IsNotExist(err) {
		t.Errorf("the server's directory is still there after Close: %v", err)
	}
}

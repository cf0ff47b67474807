// Package testldap runs an OpenLDAP server (slapd) for tests: a temporary
// directory holding a slapd.conf, an MDB database loaded from a seed LDIF
// with slapadd, and a server on a free port of 127.0.0.1. Only tests import
// it.
//
// slapd and ldap-utils are installed with apt-get when /usr/sbin/slapd is
// missing, under a file lock so that test packages run in parallel do not
// install them twice. A server that cannot be had fails the test: it is
// never skipped.
//
// The server listens for ldap:// (with StartTLS) and ldaps://, with a
// certificate for 127.0.0.1 signed by a CA of its own (CAFile).
//
// The server daemonizes and writes a pidfile. A watchdog shell process
// kills it by that pidfile and removes the temporary directory when the
// test ends, or when the test process dies however it dies.
//
// The default seed (Seed) is a small ministry directory under Suffix:
//
//	ou=people   agents (inetOrgPerson): uid, cn, givenName, sn, mail,
//	            userPassword ({SSHA} of AgentPassword), departmentNumber
//	            holding the court code, employeeType "suspendu" for an
//	            agent suspended in place
//	ou=departed agents who left: no longer under ou=people
//	ou=courts   one organizationalUnit per court: ou is the code
//	            ("TJ-AMIENS"), description its name
//	ou=groups   service mailboxes: groupOfNames + extensibleObject, cn the
//	            service code, description its name, businessCategory the
//	            court code, mail the functional address, member the DNs of
//	            its agents; groups without mail are not mailboxes
//	ou=system   the read-only service account navette binds as (BindDN)
//
// groupOfNames does not allow mail, and none of the core, cosine,
// inetorgperson and nis schemas has an auxiliary class that does, so service
// groups also carry extensibleObject (RFC 4512, built into slapd), as many
// OpenLDAP directories do for group mailboxes; Active Directory groups carry
// mail natively.
//
// Anonymous clients may only bind; any bound user reads everything but
// passwords. Searches are limited to 500 entries unless paged, as on a real
// directory, so a client must page through the people.
package testldap

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/go-ldap/ldap/v3"

	"navette/internal/testtool"
)

// Directory layout and credentials of the default seed.
const (
	// Suffix is the naming context the server holds.
	Suffix = "dc=justice,dc=example"
	// PeopleBase, CourtsBase, GroupsBase and DepartedBase are the seed's
	// subtrees.
	PeopleBase   = "ou=people," + Suffix
	CourtsBase   = "ou=courts," + Suffix
	GroupsBase   = "ou=groups," + Suffix
	DepartedBase = "ou=departed," + Suffix

	// RootDN and RootPassword are the server's administrator, who may
	// write anything (Add, Delete, Modify).
	RootDN       = "cn=admin," + Suffix
	RootPassword = "root-secret"

	// BindDN and BindPassword are the read-only service account navette
	// binds as.
	BindDN       = "uid=navette,ou=system," + Suffix
	BindPassword = "Navette-Service-2026"

	// AgentPassword is the password of every agent of the seed.
	AgentPassword = "Greffe-Amiens-2026"
	// ActiveFilter selects the seed's agents who are not suspended.
	ActiveFilter = "(!(employeeType=suspendu))"
)

// Seed is the default seed LDIF (see the package documentation). Agents:
// hmercier, jlefevre (TJ-AMIENS), zcaron (TJ-LILLE, mail in mixed case),
// bduboeuf (CA-DOUAI), amartin (TJ-AMIENS, suspended); cnoel left for
// ou=departed but is still a member of a group.
const Seed = `dn: dc=justice,dc=example
objectClass: dcObject
objectClass: organization
dc: justice
o: Ministère de la Justice

dn: ou=people,dc=justice,dc=example
objectClass: organizationalUnit
ou: people

dn: ou=departed,dc=justice,dc=example
objectClass: organizationalUnit
ou: departed

dn: ou=courts,dc=justice,dc=example
objectClass: organizationalUnit
ou: courts

dn: ou=groups,dc=justice,dc=example
objectClass: organizationalUnit
ou: groups

dn: ou=system,dc=justice,dc=example
objectClass: organizationalUnit
ou: system

dn: uid=navette,ou=system,dc=justice,dc=example
objectClass: account
objectClass: simpleSecurityObject
uid: navette
description: Compte de service de navette (lecture seule)
userPassword: {SSHA}FI5RuDGY1cVyf0zSiDYeyisukmludnQy

dn: ou=TJ-AMIENS,ou=courts,dc=justice,dc=example
objectClass: organizationalUnit
ou: TJ-AMIENS
description: Tribunal judiciaire d'Amiens

dn: ou=TJ-LILLE,ou=courts,dc=justice,dc=example
objectClass: organizationalUnit
ou: TJ-LILLE
description: Tribunal judiciaire de Lille

dn: ou=CA-DOUAI,ou=courts,dc=justice,dc=example
objectClass: organizationalUnit
ou: CA-DOUAI
description: Cour d'appel de Douai

dn: uid=hmercier,ou=people,dc=justice,dc=example
objectClass: inetOrgPerson
uid: hmercier
cn: Hélène Mercier
givenName: Hélène
sn: Mercier
mail: helene.mercier@justice.example
title: Greffière
departmentNumber: TJ-AMIENS
employeeType: titulaire
userPassword: {SSHA}zYu2mu568+DpAokp+VFx5JqNVPtudnQx

dn: uid=jlefevre,ou=people,dc=justice,dc=example
objectClass: inetOrgPerson
uid: jlefevre
cn: Jérôme Lefèvre
givenName: Jérôme
sn: Lefèvre
mail: jerome.lefevre@justice.example
title: Substitut du procureur
departmentNumber: TJ-AMIENS
employeeType: titulaire
userPassword: {SSHA}zYu2mu568+DpAokp+VFx5JqNVPtudnQx

dn: uid=zcaron,ou=people,dc=justice,dc=example
objectClass: inetOrgPerson
uid: zcaron
cn: Zoé Caron
givenName: Zoé
sn: Caron
mail: Zoe.Caron@Justice.Example
title: Greffière
departmentNumber: TJ-LILLE
employeeType: contractuel
userPassword: {SSHA}zYu2mu568+DpAokp+VFx5JqNVPtudnQx

dn: uid=bduboeuf,ou=people,dc=justice,dc=example
objectClass: inetOrgPerson
uid: bduboeuf
cn: Benoît Dubœuf
givenName: Benoît
sn: Dubœuf
mail: benoit.duboeuf@justice.example
title: Conseiller
departmentNumber: CA-DOUAI
employeeType: titulaire
userPassword: {SSHA}zYu2mu568+DpAokp+VFx5JqNVPtudnQx

dn: uid=amartin,ou=people,dc=justice,dc=example
objectClass: inetOrgPerson
uid: amartin
cn: Alain Martin
givenName: Alain
sn: Martin
mail: alain.martin@justice.example
title: Greffier
departmentNumber: TJ-AMIENS
employeeType: suspendu
userPassword: {SSHA}zYu2mu568+DpAokp+VFx5JqNVPtudnQx

dn: uid=cnoel,ou=departed,dc=justice,dc=example
objectClass: inetOrgPerson
uid: cnoel
cn: Cécile Noël
givenName: Cécile
sn: Noël
mail: cecile.noel@justice.example
departmentNumber: TJ-LILLE
userPassword: {SSHA}zYu2mu568+DpAokp+VFx5JqNVPtudnQx

dn: cn=greffe-correctionnel-tj-amiens,ou=groups,dc=justice,dc=example
objectClass: groupOfNames
objectClass: extensibleObject
cn: greffe-correctionnel-tj-amiens
description: Greffe correctionnel — TJ Amiens
businessCategory: TJ-AMIENS
mail: greffe-correctionnel.tj-amiens@justice.example
member: uid=hmercier,ou=people,dc=justice,dc=example
member: uid=jlefevre,ou=people,dc=justice,dc=example
member: uid=amartin,ou=people,dc=justice,dc=example
member: uid=navette,ou=system,dc=justice,dc=example

dn: cn=parquet-tj-amiens,ou=groups,dc=justice,dc=example
objectClass: groupOfNames
objectClass: extensibleObject
cn: parquet-tj-amiens
description: Parquet — TJ Amiens
businessCategory: TJ-AMIENS
mail: Parquet.TJ-Amiens@justice.example
member: uid=jlefevre,ou=people,dc=justice,dc=example

dn: cn=greffe-civil-tj-lille,ou=groups,dc=justice,dc=example
objectClass: groupOfNames
objectClass: extensibleObject
cn: greffe-civil-tj-lille
description: Greffe civil — TJ Lille
businessCategory: TJ-LILLE
mail: greffe-civil.tj-lille@justice.example
member: uid=zcaron,ou=people,dc=justice,dc=example
member: uid=cnoel,ou=departed,dc=justice,dc=example

dn: cn=greffe-ca-douai,ou=groups,dc=justice,dc=example
objectClass: groupOfNames
objectClass: extensibleObject
cn: greffe-ca-douai
description: Greffe de la chambre de l'instruction — CA Douai
businessCategory: CA-DOUAI
mail: greffe-ca-douai@justice.example
member: uid=bduboeuf,ou=people,dc=justice,dc=example

dn: cn=informatique-sar,ou=groups,dc=justice,dc=example
objectClass: groupOfNames
cn: informatique-sar
description: Service informatique — pas une boîte fonctionnelle
member: uid=hmercier,ou=people,dc=justice,dc=example
`

const (
	slapdPath    = "/usr/sbin/slapd"
	slapaddPath  = "/usr/sbin/slapadd"
	schemaDir    = "/etc/ldap/schema"
	modulePath   = "/usr/lib/ldap"
	readyTimeout = 30 * time.Second
	pollEvery    = 20 * time.Millisecond
)

// Server is a running slapd. Its methods are safe for concurrent use.
type Server struct {
	// URL is the server's address: ldap://127.0.0.1:PORT, which also
	// offers StartTLS.
	URL string
	// Port is the TCP port of URL, on 127.0.0.1.
	Port int
	// LDAPSURL is the server's TLS address: ldaps://127.0.0.1:PORT.
	LDAPSURL string
	// CAFile is the PEM file of the CA that signed the server's
	// certificate, for 127.0.0.1 and localhost.
	CAFile string
	// BindDN and BindPassword are the read-only service account.
	BindDN, BindPassword string
	// RootDN and RootPassword are the administrator.
	RootDN, RootPassword string
	// Started is how long the server took to start (slapadd and slapd,
	// until it answered), installation excluded.
	Started time.Duration

	tlsPort int

	dir               string
	certFile, keyFile string
	watchdog          *exec.Cmd
	wakeDog           interface{ Close() error }

	mu     sync.Mutex
	conn   *ldap.Conn // bound as RootDN, for the helpers
	closed bool
}

// Start starts a server loaded with seed (Seed if empty) for t, and stops
// it, removing its files, when t ends. It fails t if no server can be
// started.
func Start(t testing.TB, seed string) *Server {
	t.Helper()
	s, err := StartServer(seed)
	if err != nil {
		t.Fatalf("testldap: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("testldap: %v", err)
		}
	})
	return s
}

// StartServer starts a server loaded with seed (Seed if empty), installing
// OpenLDAP first if needed. The caller must Close it; should the process
// end first, the watchdog stops it.
func StartServer(seed string) (*Server, error) {
	if err := ensureInstalled(); err != nil {
		return nil, err
	}
	if seed == "" {
		seed = Seed
	}
	began := time.Now()
	dir, err := os.MkdirTemp("", "testldap-")
	if err != nil {
		return nil, err
	}
	s := &Server{
		dir:    dir,
		BindDN: BindDN, BindPassword: BindPassword,
		RootDN: RootDN, RootPassword: RootPassword,
	}
	if err := s.startWatchdog(); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	if s.CAFile, s.certFile, s.keyFile, err = testtool.WriteCerts(dir); err != nil {
		s.stopWatchdog()
		return nil, err
	}
	if err := s.load(seed); err != nil {
		s.stopWatchdog()
		return nil, err
	}
	// Another process may take the free port before slapd binds it: try a
	// few.
	for range 5 {
		if s.Port, err = testtool.FreePort(); err != nil {
			break
		}
		if s.tlsPort, err = testtool.FreePort(); err != nil {
			break
		}
		if err = s.launch(); err == nil {
			break
		}
	}
	if err != nil {
		s.stopWatchdog()
		return nil, err
	}
	s.Started = time.Since(began)
	return s, nil
}

// ensureInstalled installs slapd and ldap-utils with apt-get if slapd is
// missing, under a file lock.
func ensureInstalled() error {
	return testtool.Install(filepath.Join(os.TempDir(), "testldap-install.lock"), "the slapd install", installed, aptInstall)
}

// installed reports whether slapd and slapadd are there.
func installed() bool { return isExec(slapdPath) && isExec(slapaddPath) }

// aptInstall installs slapd and ldap-utils with apt-get, as root.
func aptInstall() error {
	if os.Geteuid() != 0 {
		return fmt.Errorf("%s is missing: install slapd and ldap-utils, or run as root to have them installed", slapdPath)
	}
	for _, args := range [][]string{
		{"update"},
		{"install", "-y", "--no-install-recommends", "-o", "DPkg::Lock::Timeout=300", "slapd", "ldap-utils"},
	} {
		cmd := exec.Command("apt-get", args...)
		cmd.Env = append(os.Environ(), "DEBIAN_FRONTEND=noninteractive")
		if out, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("apt-get %s: %w\n%s", strings.Join(args, " "), err, tail(out))
		}
	}
	if !installed() {
		return fmt.Errorf("slapd was installed but %s or %s is missing", slapdPath, slapaddPath)
	}
	return nil
}

// config returns the slapd.conf of the server.
func (s *Server) config() string {
	return fmt.Sprintf(`include %[1]s/core.schema
include %[1]s/cosine.schema
include %[1]s/inetorgperson.schema
include %[1]s/nis.schema

pidfile %[2]s/slapd.pid
argsfile %[2]s/slapd.args
modulepath %[3]s
moduleload back_mdb
loglevel none
sizelimit 500
TLSCACertificateFile %[8]s
TLSCertificateFile %[9]s
TLSCertificateKeyFile %[10]s

database mdb
maxsize 1073741824
suffix "%[4]s"
rootdn "%[5]s"
rootpw %[6]s
directory %[2]s/data
dbnosync
index objectClass eq
index uid eq
index mail eq
index member eq
limits dn.exact="%[7]s" size.soft=500 size.hard=500 size.pr=1000 size.prtotal=unlimited
access to attrs=userPassword
	by anonymous auth
	by * none
access to *
	by users read
	by * none
`, schemaDir, s.dir, modulePath, Suffix, RootDN, RootPassword, BindDN, s.CAFile, s.certFile, s.keyFile)
}

// load writes the configuration and loads seed with slapadd.
func (s *Server) load(seed string) error {
	if strings.ContainsAny(s.dir, " \t\"\\") {
		return fmt.Errorf("temporary directory %q has characters slapd.conf cannot take", s.dir)
	}
	if err := os.Mkdir(filepath.Join(s.dir, "data"), 0o700); err != nil {
		return err
	}
	if err := os.WriteFile(s.confPath(), []byte(s.config()), 0o600); err != nil {
		return err
	}
	ldif := filepath.Join(s.dir, "seed.ldif")
	if err := os.WriteFile(ldif, []byte(seed), 0o600); err != nil {
		return err
	}
	out, err := exec.Command(slapaddPath, "-q", "-f", s.confPath(), "-l", ldif).CombinedOutput()
	if err != nil {
		return fmt.Errorf("slapadd: %w\n%s", err, tail(out))
	}
	return nil
}

func (s *Server) confPath() string { return filepath.Join(s.dir, "slapd.conf") }
func (s *Server) pidPath() string  { return filepath.Join(s.dir, "slapd.pid") }

// launch starts slapd on s.Port and waits until it answers.
func (s *Server) launch() error {
	s.URL = fmt.Sprintf("ldap://127.0.0.1:%d", s.Port)
	s.LDAPSURL = fmt.Sprintf("ldaps://127.0.0.1:%d", s.tlsPort)
	out, err := exec.Command(slapdPath, "-f", s.confPath(), "-h", s.URL+"/ "+s.LDAPSURL+"/").CombinedOutput()
	if err != nil {
		return fmt.Errorf("slapd on %s: %w\n%s", s.URL, err, tail(out))
	}
	deadline := time.Now().Add(readyTimeout)
	for {
		conn, err := ldap.DialURL(s.URL, ldap.DialWithDialer(&net.Dialer{Timeout: time.Second}))
		if err == nil {
			conn.SetTimeout(5 * time.Second)
			err = conn.Bind(RootDN, RootPassword)
			if err == nil {
				s.conn = conn
				return nil
			}
			conn.Close()
		}
		if !s.running() {
			return fmt.Errorf("slapd on %s exited at start: %v", s.URL, err)
		}
		if time.Now().After(deadline) {
			s.kill()
			return fmt.Errorf("slapd on %s: no answer after %v: %w", s.URL, readyTimeout, err)
		}
		time.Sleep(pollEvery)
	}
}

// pid returns the process id in the pidfile, or 0.
func (s *Server) pid() int {
	b, err := os.ReadFile(s.pidPath())
	if err != nil {
		return 0
	}
	pid, _ := strconv.Atoi(strings.TrimSpace(string(b)))
	return pid
}

// running reports whether the process of the pidfile, if any, is alive.
// Before the pidfile is written it reports true.
func (s *Server) running() bool {
	if _, err := os.Stat(s.pidPath()); errors.Is(err, os.ErrNotExist) {
		return true
	}
	pid := s.pid()
	return pid > 0 && alive(pid)
}

// alive reports whether the process pid runs. A zombie does not: a
// daemonized slapd is reaped by init, sometimes seconds after it died.
func alive(pid int) bool {
	if b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid)); err == nil {
		i := bytes.LastIndexByte(b, ')')
		return i < 0 || !bytes.HasPrefix(b[i+1:], []byte(" Z"))
	}
	return syscall.Kill(pid, 0) == nil
}

// kill kills the process of the pidfile and waits for it to go.
func (s *Server) kill() {
	pid := s.pid()
	if pid <= 0 {
		return
	}
	syscall.Kill(pid, syscall.SIGKILL)
	for range 500 {
		if !alive(pid) {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	os.Remove(s.pidPath())
}

// startWatchdog starts the shell that, when its standard input closes,
// kills slapd by its pidfile and removes the directory: when Close closes
// it, or when this process ends, however it ends.
func (s *Server) startWatchdog() error {
	script := `read _
if [ -f "$1/slapd.pid" ]; then
	pid=$(cat "$1/slapd.pid")
	kill -9 "$pid" 2>/dev/null
	while [ -e "/proc/$pid" ] && ! grep -q '^[0-9]* (.*) Z' "/proc/$pid/stat" 2>/dev/null; do sleep 0.01; done
fi
rm -rf "$1"`
	s.watchdog = exec.Command("/bin/sh", "-c", script, "testldap-watchdog", s.dir)
	s.watchdog.SysProcAttr = &syscall.SysProcAttr{Setsid: true} // not killed with our process group by ^C
	w, err := s.watchdog.StdinPipe()
	if err != nil {
		return fmt.Errorf("watchdog: %w", err)
	}
	if err := s.watchdog.Start(); err != nil {
		return fmt.Errorf("watchdog: %w", err)
	}
	s.wakeDog = w
	return nil
}

// stopWatchdog wakes the watchdog and waits for it.
func (s *Server) stopWatchdog() error {
	s.wakeDog.Close()
	if err := s.watchdog.Wait(); err != nil {
		return fmt.Errorf("watchdog: %w", err)
	}
	if _, err := os.Stat(s.dir); !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("%s was not removed", s.dir)
	}
	return nil
}

// Close stops the server, killing it by its pidfile, and removes its
// files. Closing a closed server does nothing.
func (s *Server) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil
	}
	s.closed = true
	if s.conn != nil {
		s.conn.Close()
	}
	return s.stopWatchdog()
}

// Conn returns a new connection to the server bound as dn with password,
// closed when t ends. It fails t if the bind fails.
func (s *Server) Conn(t testing.TB, dn, password string) *ldap.Conn {
	t.Helper()
	conn, err := ldap.DialURL(s.URL)
	if err != nil {
		t.Fatalf("testldap: dial %s: %v", s.URL, err)
	}
	t.Cleanup(func() { conn.Close() })
	conn.SetTimeout(30 * time.Second)
	if err := conn.Bind(dn, password); err != nil {
		t.Fatalf("testldap: bind as %s: %v", dn, err)
	}
	return conn
}

// do runs fn on the administrator's connection.
func (s *Server) do(fn func(*ldap.Conn) error) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return errors.New("server closed")
	}
	return fn(s.conn)
}

// Add adds the entry dn with attrs, as the administrator. It fails t if
// the server refuses.
func (s *Server) Add(t testing.TB, dn string, attrs map[string][]string) {
	t.Helper()
	req := ldap.NewAddRequest(dn, nil)
	for name, values := range attrs {
		req.Attribute(name, values)
	}
	if err := s.do(func(c *ldap.Conn) error { return c.Add(req) }); err != nil {
		t.Fatalf("testldap: add %s: %v", dn, err)
	}
}

// AddPerson adds an agent under PeopleBase with the seed's object class
// and password: uid, "given sn" as cn, mail and the court code in
// departmentNumber. It returns the agent's DN and fails t if the server
// refuses.
func (s *Server) AddPerson(t testing.TB, uid, given, sn, mail, court string) string {
	t.Helper()
	dn := "uid=" + ldap.EscapeDN(uid) + "," + PeopleBase
	s.Add(t, dn, map[string][]string{
		"objectClass":      {"inetOrgPerson"},
		"uid":              {uid},
		"cn":               {given + " " + sn},
		"givenName":        {given},
		"sn":               {sn},
		"mail":             {mail},
		"departmentNumber": {court},
		"userPassword":     {"{SSHA}zYu2mu568+DpAokp+VFx5JqNVPtudnQx"},
	})
	return dn
}

// Delete deletes the entry dn, as the administrator. It fails t if the
// server refuses.
func (s *Server) Delete(t testing.TB, dn string) {
	t.Helper()
	if err := s.do(func(c *ldap.Conn) error { return c.Del(ldap.NewDelRequest(dn, nil)) }); err != nil {
		t.Fatalf("testldap: delete %s: %v", dn, err)
	}
}

// Modify changes the entry dn as edit sets up the request (Add, Delete,
// Replace of attribute values), as the administrator. It fails t if the
// server refuses.
func (s *Server) Modify(t testing.TB, dn string, edit func(*ldap.ModifyRequest)) {
	t.Helper()
	req := ldap.NewModifyRequest(dn, nil)
	edit(req)
	if err := s.do(func(c *ldap.Conn) error { return c.Modify(req) }); err != nil {
		t.Fatalf("testldap: modify %s: %v", dn, err)
	}
}

// Replace sets the values of attr of the entry dn (none removes it), as
// the administrator. It fails t if the server refuses.
func (s *Server) Replace(t testing.TB, dn, attr string, values ...string) {
	t.Helper()
	s.Modify(t, dn, func(r *ldap.ModifyRequest) { r.Replace(attr, values) })
}

// Move renames the entry dn to newRDN under newSuperior (its parent if
// empty), as the administrator: how an agent who leaves is moved out of
// ou=people. It fails t if the server refuses.
func (s *Server) Move(t testing.TB, dn, newRDN, newSuperior string) {
	t.Helper()
	req := ldap.NewModifyDNRequest(dn, newRDN, true, newSuperior)
	if err := s.do(func(c *ldap.Conn) error { return c.ModifyDN(req) }); err != nil {
		t.Fatalf("testldap: move %s: %v", dn, err)
	}
}

// Stop kills the server, as a crash would; its files stay until Close.
// Later connections are refused.
func (s *Server) Stop() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.kill()
}

func isExec(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.Mode().IsRegular() && fi.Mode().Perm()&0o111 != 0
}

// tail returns the end of a command's output, to explain a failure.
func tail(out []byte) string { return testtool.Tail(out, 4000) }

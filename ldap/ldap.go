// Package ldap connects navette to the ministry's LDAP directory, through
// github.com/go-ldap/ldap/v3: it lists the agents, courts and service
// mailboxes for a directory sync (Fetch, then directory.Sync.ApplySnapshot),
// and checks an agent's password for "LDAP bind" sign-in (Authenticate).
//
// Navette binds as a read-only service account (Config.BindDN) and reads
// three subtrees, laid out by default as:
//
//	ou=people  agents: inetOrgPerson with uid, mail, givenName, sn, cn and
//	           the code of their court in departmentNumber
//	ou=courts  one organizationalUnit per court: ou the code ("TJ-AMIENS"),
//	           description the name
//	ou=groups  service mailboxes: groupOfNames carrying a mail (with
//	           extensibleObject on OpenLDAP), cn the code, description the
//	           name, businessCategory the court code, member the agents' DNs
//
// Every base, filter and attribute can be changed (see Config). The people
// are read with the paged-results control (RFC 2696), so that a directory
// of ~90,000 agents comes through servers that cap a single search.
// Agents matched by Config.ActiveFilter, or all of them if it is empty, are
// active; the others are listed inactive, and a sync revokes them.
package ldap

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"slices"
	"strings"

	goldap "github.com/go-ldap/ldap/v3"

	"navette"
	"navette/directory"
)

// Statuses of the agents that Fetch lists, kept as their directory status.
const (
	StatusActive   = "active"
	StatusInactive = "inactive"
)

// Directory is the ministry's LDAP directory. It holds no connection: each
// call opens its own. It is safe for concurrent use.
type Directory struct {
	cfg Config
	tls *tls.Config
	// Log receives a warning for each entry Fetch leaves out (an agent
	// without uid or e-mail, a repeated uid, a service without code or
	// e-mail); slog.Default() if nil.
	Log *slog.Logger
}

// New returns the directory described by cfg, whose empty fields take
// their values in DefaultConfig. It does not connect. Returns EINVALID,
// saying what is wrong, for a bad configuration or an unreadable CA file.
func New(cfg Config) (*Directory, error) {
	cfg = cfg.withDefaults()
	if err := cfg.check(); err != nil {
		return nil, err
	}
	tc, err := cfg.tlsConfig()
	if err != nil {
		return nil, err
	}
	return &Directory{cfg: cfg, tls: tc}, nil
}

// Config returns the directory's configuration, defaults filled in.
func (d *Directory) Config() Config { return d.cfg }

// String names the directory for logs: URL and base, never the password.
func (d *Directory) String() string { return d.cfg.String() }

func (d *Directory) log() *slog.Logger {
	if d.Log != nil {
		return d.Log
	}
	return slog.Default()
}

// dial opens a connection, upgraded with StartTLS if configured, which is
// closed when ctx is done. The caller must call the returned function to
// close it.
func (d *Directory) dial(ctx context.Context) (*goldap.Conn, func(), error) {
	if err := ctx.Err(); err != nil {
		return nil, nil, err
	}
	conn, err := goldap.DialURL(d.cfg.URL,
		goldap.DialWithDialer(&net.Dialer{Timeout: d.cfg.Timeout}),
		goldap.DialWithTLSConfig(d.tls))
	if err != nil {
		return nil, nil, d.fail(ctx, err, "connect")
	}
	conn.SetTimeout(d.cfg.Timeout)
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	closeConn := func() {
		stop()
		conn.Close()
	}
	if d.cfg.StartTLS {
		if err := conn.StartTLS(d.tls); err != nil {
			closeConn()
			return nil, nil, d.fail(ctx, err, "StartTLS")
		}
	}
	return conn, closeConn, nil
}

// connect opens a connection bound as the service account (anonymous if
// there is none).
func (d *Directory) connect(ctx context.Context) (*goldap.Conn, func(), error) {
	conn, closeConn, err := d.dial(ctx)
	if err != nil {
		return nil, nil, err
	}
	if d.cfg.BindDN != "" {
		if err := conn.Bind(d.cfg.BindDN, d.cfg.BindPassword); err != nil {
			closeConn()
			return nil, nil, d.fail(ctx, err, "bind as the service account")
		}
	}
	return conn, closeConn, nil
}

// fail turns err, met while doing what, into a navette error: EINVALID
// when the configuration or the directory's content must be fixed,
// EUNAVAILABLE when the directory is down or overloaded. A done ctx gives
// its own error.
func (d *Directory) fail(ctx context.Context, err error, what string) error {
	if ctx.Err() != nil {
		return fmt.Errorf("ldap %s: %s: %w", d.cfg.URL, what, ctx.Err())
	}
	err = fmt.Errorf("ldap %s: %s: %w", d.cfg.URL, what, err)
	invalid := func(format string, args ...any) error {
		return navette.WrapError(navette.EINVALID, err, "LDAP directory %s: "+format, append([]any{d.cfg.URL}, args...)...)
	}
	var (
		le       *goldap.Error
		verify   *tls.CertificateVerificationError
		unknown  x509.UnknownAuthorityError
		hostname x509.HostnameError
	)
	switch {
	case errors.As(err, &verify), errors.As(err, &unknown), errors.As(err, &hostname),
		strings.Contains(err.Error(), "tls: failed to verify certificate"):
		return invalid("its certificate is not trusted (%s); check the host name and the CA file.", what)
	case !errors.As(err, &le):
		return navette.WrapError(navette.EUNAVAILABLE, err, "The LDAP directory %s cannot be reached.", d.cfg.URL)
	}
	switch le.ResultCode {
	case goldap.ErrorNetwork, goldap.LDAPResultServerDown, goldap.LDAPResultConnectError:
		return navette.WrapError(navette.EUNAVAILABLE, err, "The LDAP directory %s cannot be reached.", d.cfg.URL)
	case goldap.LDAPResultInvalidCredentials:
		return invalid("the service account %s was refused; check the bind DN and %s.", d.cfg.BindDN, EnvBindPassword)
	case goldap.LDAPResultInappropriateAuthentication, goldap.LDAPResultStrongAuthRequired,
		goldap.LDAPResultConfidentialityRequired:
		return invalid("it refuses this way of binding (%s): %s.", what, goldap.LDAPResultCodeMap[le.ResultCode])
	case goldap.LDAPResultInsufficientAccessRights:
		return invalid("the service account may not %s.", what)
	case goldap.LDAPResultNoSuchObject:
		return invalid("%s: the base does not exist, or the service account may not read it.", what)
	case goldap.LDAPResultSizeLimitExceeded, goldap.LDAPResultAdminLimitExceeded:
		return invalid("%s: the server stopped the search at its size limit; let the service account page through all entries (OpenLDAP: limits … size.prtotal=unlimited).", what)
	case goldap.LDAPResultFilterError, goldap.ErrorFilterCompile, goldap.LDAPResultUndefinedAttributeType,
		goldap.LDAPResultInappropriateMatching, goldap.LDAPResultProtocolError:
		return invalid("%s: the server refuses the filter or attributes: %s.", what, goldap.LDAPResultCodeMap[le.ResultCode])
	case goldap.LDAPResultUnavailableCriticalExtension, goldap.LDAPResultTLSNotSupported:
		return invalid("%s: the server lacks a needed feature: %s.", what, goldap.LDAPResultCodeMap[le.ResultCode])
	}
	return navette.WrapError(navette.EUNAVAILABLE, err, "The LDAP directory %s failed to %s.", d.cfg.URL, what)
}

// search runs a paged search of the subtree base and calls fn with each
// entry, base itself excepted.
func (d *Directory) search(ctx context.Context, conn *goldap.Conn, what, base, filter string, attrs []string, fn func(*goldap.Entry) error) error {
	baseDN, _ := goldap.ParseDN(base)
	paging := goldap.NewControlPaging(uint32(d.cfg.PageSize))
	req := goldap.NewSearchRequest(base, goldap.ScopeWholeSubtree, goldap.NeverDerefAliases, 0, 0, false,
		filter, attrs, []goldap.Control{paging})
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		res, err := conn.Search(req)
		if err != nil {
			return d.fail(ctx, err, what+" under "+base)
		}
		for _, e := range res.Entries {
			if dn, err := goldap.ParseDN(e.DN); err == nil && baseDN != nil && dn.EqualFold(baseDN) {
				continue
			}
			if err := fn(e); err != nil {
				return err
			}
		}
		next, ok := goldap.FindControl(res.Controls, goldap.ControlTypePaging).(*goldap.ControlPaging)
		if !ok || len(next.Cookie) == 0 {
			return nil
		}
		paging.SetCookie(next.Cookie)
	}
}

// dnKey returns the form of a DN that compares equal for DNs that differ
// only in case or spacing.
func dnKey(dn string) string {
	parsed, err := goldap.ParseDN(dn)
	if err != nil {
		return strings.ToLower(strings.TrimSpace(dn))
	}
	return strings.ToLower(parsed.String())
}

func (d *Directory) personAttrs() []string {
	c := d.cfg
	return []string{c.UIDAttr, c.MailAttr, c.GivenNameAttr, c.SurnameAttr, c.NameAttr, c.CourtAttr}
}

// person returns the entry of an agent, active or not; ok is false if the
// entry has no uid.
func (d *Directory) person(e *goldap.Entry, active bool) (p directory.Entry, ok bool) {
	c := d.cfg
	first := func(attr string) string { return strings.TrimSpace(e.GetEqualFoldAttributeValue(attr)) }
	p = directory.Entry{
		ExternalID: first(c.UIDAttr),
		Email:      navette.NormalizeEmail(first(c.MailAttr)),
		Role:       navette.RoleAgent,
		CourtCode:  first(c.CourtAttr),
		Active:     active,
		Status:     StatusActive,
	}
	if !active {
		p.Status = StatusInactive
	}
	given, sn := first(c.GivenNameAttr), first(c.SurnameAttr)
	switch {
	case given != "" && sn != "":
		p.Name = given + " " + sn
	case first(c.NameAttr) != "":
		p.Name = first(c.NameAttr)
	default:
		p.Name = strings.TrimSpace(given + " " + sn)
	}
	if p.Name == "" {
		p.Name = p.ExternalID
	}
	return p, p.ExternalID != ""
}

// Fetch reads the whole directory: its agents (active or not), courts, and
// service mailboxes with the uids of their members. Members that are not
// agents listed in people (other groups, service accounts, agents outside
// the people subtree) are left out, as are agents without uid or e-mail, a
// repeated uid, and services without code or e-mail (each is logged).
// Returns EUNAVAILABLE if the directory cannot be reached or fails,
// EINVALID if the service account is refused or the configuration does not
// fit the directory (missing base, bad filter, size limit).
func (d *Directory) Fetch(ctx context.Context) (*directory.Snapshot, error) {
	conn, closeConn, err := d.connect(ctx)
	if err != nil {
		return nil, err
	}
	defer closeConn()
	snap := &directory.Snapshot{}
	inactive, err := d.fetchInactive(ctx, conn)
	if err != nil {
		return nil, err
	}
	uids, err := d.fetchPeople(ctx, conn, inactive, snap)
	if err != nil {
		return nil, err
	}
	if err := d.fetchCourts(ctx, conn, snap); err != nil {
		return nil, err
	}
	if err := d.fetchServices(ctx, conn, uids, snap); err != nil {
		return nil, err
	}
	slices.SortFunc(snap.People, func(a, b directory.Entry) int { return strings.Compare(a.ExternalID, b.ExternalID) })
	slices.SortFunc(snap.Courts, func(a, b directory.CourtEntry) int { return strings.Compare(a.Code, b.Code) })
	slices.SortFunc(snap.Services, func(a, b directory.ServiceEntry) int { return strings.Compare(a.Code, b.Code) })
	return snap, nil
}

// fetchInactive returns the keys (dnKey) of the agents in people that the
// active filter leaves out; none if there is no active filter.
func (d *Directory) fetchInactive(ctx context.Context, conn *goldap.Conn) (map[string]bool, error) {
	c := d.cfg
	inactive := map[string]bool{}
	if c.ActiveFilter == "" {
		return inactive, nil
	}
	filter := "(&" + c.PeopleFilter + "(!" + c.ActiveFilter + "))"
	err := d.search(ctx, conn, "search inactive people", c.under(c.PeopleBase), filter, []string{"1.1"}, func(e *goldap.Entry) error {
		inactive[dnKey(e.DN)] = true
		return nil
	})
	return inactive, err
}

// fetchPeople adds the agents of the directory to snap, active unless
// inactive, and returns their uids by key (dnKey).
func (d *Directory) fetchPeople(ctx context.Context, conn *goldap.Conn, inactive map[string]bool, snap *directory.Snapshot) (map[string]string, error) {
	c := d.cfg
	uids := map[string]string{} // dnKey → uid
	seen := map[string]bool{}   // uid
	err := d.search(ctx, conn, "search people", c.under(c.PeopleBase), c.PeopleFilter, d.personAttrs(), func(e *goldap.Entry) error {
		key := dnKey(e.DN)
		p, ok := d.person(e, !inactive[key])
		switch {
		case !ok:
			d.log().Warn("ldap: agent without "+c.UIDAttr+" left out", "dn", e.DN)
		case seen[p.ExternalID]:
			d.log().Warn("ldap: agent with a repeated "+c.UIDAttr+" left out", "dn", e.DN, "uid", p.ExternalID)
		case p.Email == "":
			d.log().Warn("ldap: agent without "+c.MailAttr+" left out", "dn", e.DN)
		default:
			seen[p.ExternalID] = true
			uids[key] = p.ExternalID
			snap.People = append(snap.People, p)
		}
		return nil
	})
	return uids, err
}

// fetchCourts adds the courts of the directory to snap.
func (d *Directory) fetchCourts(ctx context.Context, conn *goldap.Conn, snap *directory.Snapshot) error {
	c := d.cfg
	courts := map[string]bool{}
	return d.search(ctx, conn, "search courts", c.under(c.CourtsBase), c.CourtFilter, []string{c.CourtCodeAttr, c.CourtNameAttr}, func(e *goldap.Entry) error {
		code := strings.TrimSpace(e.GetEqualFoldAttributeValue(c.CourtCodeAttr))
		if code == "" || courts[code] {
			d.log().Warn("ldap: court without code, or repeated, left out", "dn", e.DN, "code", code)
			return nil
		}
		courts[code] = true
		name := strings.TrimSpace(e.GetEqualFoldAttributeValue(c.CourtNameAttr))
		if name == "" {
			name = code
		}
		snap.Courts = append(snap.Courts, directory.CourtEntry{Code: code, Name: name})
		return nil
	})
}

// fetchServices adds the service mailboxes of the directory to snap, with
// the uids of their members among the agents of uids.
func (d *Directory) fetchServices(ctx context.Context, conn *goldap.Conn, uids map[string]string, snap *directory.Snapshot) error {
	c := d.cfg
	services := map[string]bool{}
	attrs := []string{c.GroupCodeAttr, c.GroupNameAttr, c.GroupCourtAttr, c.GroupMailAttr, c.MemberAttr}
	return d.search(ctx, conn, "search services", c.under(c.GroupsBase), c.GroupFilter, attrs, func(e *goldap.Entry) error {
		s := directory.ServiceEntry{
			Code:      strings.TrimSpace(e.GetEqualFoldAttributeValue(c.GroupCodeAttr)),
			CourtCode: strings.TrimSpace(e.GetEqualFoldAttributeValue(c.GroupCourtAttr)),
			Name:      strings.TrimSpace(e.GetEqualFoldAttributeValue(c.GroupNameAttr)),
			Email:     navette.NormalizeEmail(e.GetEqualFoldAttributeValue(c.GroupMailAttr)),
		}
		if s.Code == "" || s.Email == "" || services[s.Code] {
			d.log().Warn("ldap: service without code or e-mail, or repeated, left out", "dn", e.DN, "code", s.Code)
			return nil
		}
		services[s.Code] = true
		if s.Name == "" {
			s.Name = s.Code
		}
		for _, m := range e.GetEqualFoldAttributeValues(c.MemberAttr) {
			if uid, ok := uids[dnKey(m)]; ok && !slices.Contains(s.Members, uid) {
				s.Members = append(s.Members, uid)
			}
		}
		slices.Sort(s.Members)
		snap.Services = append(snap.Services, s)
		return nil
	})
}

// errSignIn is the one answer to a failed sign-in, whatever failed.
func errSignIn(err error) error {
	return navette.WrapError(navette.EUNAUTHORIZED, err, "Unknown login or wrong password.")
}

// Authenticate checks an agent's password by binding as them: it finds the
// active agent whose uid or e-mail is login with the service account, then
// binds as that agent's DN with password on a connection of its own. It
// returns the agent as Fetch lists them. Returns EUNAUTHORIZED, with the
// same message whatever the cause, for an empty login or password, an
// unknown, ambiguous or inactive login, or a wrong password;
// EUNAVAILABLE if the directory cannot be reached; EINVALID if the
// service account is refused or the configuration does not fit.
func (d *Directory) Authenticate(ctx context.Context, login, password string) (*directory.Entry, error) {
	login = strings.TrimSpace(login)
	if login == "" || password == "" {
		return nil, errSignIn(errors.New("empty login or password"))
	}
	dn, p, err := d.findAgent(ctx, login)
	if err != nil {
		return nil, err
	}
	if err := d.bindAs(ctx, dn, password); err != nil {
		return nil, err
	}
	return p, nil
}

// findAgent returns the DN and the entry of the one active agent whose uid
// or e-mail is login, searched with the service account.
func (d *Directory) findAgent(ctx context.Context, login string) (string, *directory.Entry, error) {
	c := d.cfg
	conn, closeConn, err := d.connect(ctx)
	if err != nil {
		return "", nil, err
	}
	defer closeConn()
	esc := goldap.EscapeFilter(login)
	filter := "(&" + c.PeopleFilter
	if c.ActiveFilter != "" {
		filter += c.ActiveFilter
	}
	filter += "(|(" + c.UIDAttr + "=" + esc + ")(" + c.MailAttr + "=" + esc + ")))"
	req := goldap.NewSearchRequest(c.under(c.PeopleBase), goldap.ScopeWholeSubtree, goldap.NeverDerefAliases, 2, 0, false,
		filter, d.personAttrs(), nil)
	res, err := conn.Search(req)
	if goldap.IsErrorWithCode(err, goldap.LDAPResultSizeLimitExceeded) {
		return "", nil, errSignIn(fmt.Errorf("login %q matches several agents", login))
	} else if err != nil {
		return "", nil, d.fail(ctx, err, "search the agent signing in")
	}
	if len(res.Entries) != 1 {
		return "", nil, errSignIn(fmt.Errorf("login %q matches %d agents", login, len(res.Entries)))
	}
	entry := res.Entries[0]
	p, ok := d.person(entry, true)
	if !ok {
		return "", nil, errSignIn(fmt.Errorf("%s has no %s", entry.DN, c.UIDAttr))
	}
	return entry.DN, &p, nil
}

// bindAs checks password by binding as dn on a connection of its own.
func (d *Directory) bindAs(ctx context.Context, dn, password string) error {
	user, closeUser, err := d.dial(ctx)
	if err != nil {
		return err
	}
	defer closeUser()
	if err := user.Bind(dn, password); err != nil {
		if goldap.IsErrorWithCode(err, goldap.LDAPResultInvalidCredentials) {
			return errSignIn(err)
		}
		return d.fail(ctx, err, "bind as the agent signing in")
	}
	return nil
}

// CheckPassword checks an agent's login and password as Authenticate does
// and returns their e-mail address, so that a Directory can sign staff in
// (auth.PasswordChecker). Errors are those of Authenticate.
func (d *Directory) CheckPassword(ctx context.Context, login, password string) (string, error) {
	p, err := d.Authenticate(ctx, login, password)
	if err != nil {
		return "", err
	}
	return p.Email, nil
}

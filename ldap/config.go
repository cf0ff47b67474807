package ldap

import (
	"crypto/tls"
	"crypto/x509"
	"net"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	goldap "github.com/go-ldap/ldap/v3"

	"navette"
)

// EnvPrefix starts the names of the environment variables that set the
// parameters of the directory: NAVETTE_LDAP_BIND_DN sets bind_dn, and so on.
const EnvPrefix = "NAVETTE_LDAP_"

// EnvBindPassword is the environment variable holding the service account's
// password, which is never taken from the URL.
const EnvBindPassword = EnvPrefix + "BIND_PASSWORD"

// Config says how to reach the ministry directory and where people, courts
// and services are in it. Bases may be written relative to BaseDN
// ("ou=people") or in full. Filters are LDAP filters in parentheses.
// Attribute names are as the directory's schema spells them. New fills
// every empty field with its value in DefaultConfig.
type Config struct {
	// URL names the server: ldap://HOST[:PORT] (port 389) or
	// ldaps://HOST[:PORT] (TLS from the first byte, port 636).
	URL string
	// StartTLS upgrades an ldap:// connection to TLS before binding.
	StartTLS bool
	// Plaintext allows an ldap:// connection without StartTLS to a host
	// other than the loopback; without it such a URL is refused, so that
	// agents' passwords never cross the network in clear by mistake.
	Plaintext bool
	// CAFile is a PEM file of the certificate authorities trusted for the
	// server's certificate; empty: the system's.
	CAFile string
	// BindDN and BindPassword are the read-only service account navette
	// searches as; an empty BindDN searches anonymously. The password comes
	// from NAVETTE_LDAP_BIND_PASSWORD, never from the URL.
	BindDN       string
	BindPassword string
	// BaseDN is the naming context, such as "dc=justice,dc=gouv,dc=fr";
	// required.
	BaseDN string
	// Timeout bounds connecting and each LDAP request (30 s if zero).
	Timeout time.Duration
	// PageSize is how many entries each page of a paged search asks for
	// (500 if zero). The server's page and total limits for the service
	// account must allow the whole directory (OpenLDAP: limits … size.pr,
	// size.prtotal).
	PageSize int

	// PeopleBase is the subtree of agents ("ou=people"); PeopleFilter
	// selects them in it ("(objectClass=inetOrgPerson)").
	PeopleBase   string
	PeopleFilter string
	// ActiveFilter, if set, selects the agents who may use navette among
	// those of PeopleFilter, such as "(!(employeeType=suspendu))"; the
	// others are listed inactive and lose access at the next sync. Empty:
	// every agent of PeopleFilter is active.
	ActiveFilter string
	// UIDAttr holds an agent's login and stable id ("uid"); MailAttr their
	// e-mail ("mail"); GivenNameAttr and SurnameAttr their name
	// ("givenName", "sn"), NameAttr the full name used when either is
	// missing ("cn"); CourtAttr the code of their court
	// ("departmentNumber").
	UIDAttr       string
	MailAttr      string
	GivenNameAttr string
	SurnameAttr   string
	NameAttr      string
	CourtAttr     string

	// CourtsBase is the subtree of courts ("ou=courts"); CourtFilter
	// selects them ("(objectClass=organizationalUnit)"); CourtCodeAttr
	// holds a court's stable code ("ou"), CourtNameAttr its name
	// ("description").
	CourtsBase    string
	CourtFilter   string
	CourtCodeAttr string
	CourtNameAttr string

	// GroupsBase is the subtree of service groups ("ou=groups");
	// GroupFilter selects the groups that are service mailboxes
	// ("(&(objectClass=groupOfNames)(mail=*))"); GroupCodeAttr holds a
	// service's stable code ("cn"), GroupNameAttr its name
	// ("description"), GroupCourtAttr its court's code
	// ("businessCategory"), GroupMailAttr its functional address ("mail"),
	// MemberAttr the DNs of its members ("member").
	GroupsBase     string
	GroupFilter    string
	GroupCodeAttr  string
	GroupNameAttr  string
	GroupCourtAttr string
	GroupMailAttr  string
	MemberAttr     string
}

// DefaultConfig returns the defaults of every field: a directory laid out
// as described at Config, with no server, bind or base.
func DefaultConfig() Config {
	return Config{
		Timeout:        30 * time.Second,
		PageSize:       500,
		PeopleBase:     "ou=people",
		PeopleFilter:   "(objectClass=inetOrgPerson)",
		UIDAttr:        "uid",
		MailAttr:       "mail",
		GivenNameAttr:  "givenName",
		SurnameAttr:    "sn",
		NameAttr:       "cn",
		CourtAttr:      "departmentNumber",
		CourtsBase:     "ou=courts",
		CourtFilter:    "(objectClass=organizationalUnit)",
		CourtCodeAttr:  "ou",
		CourtNameAttr:  "description",
		GroupsBase:     "ou=groups",
		GroupFilter:    "(&(objectClass=groupOfNames)(mail=*))",
		GroupCodeAttr:  "cn",
		GroupNameAttr:  "description",
		GroupCourtAttr: "businessCategory",
		GroupMailAttr:  "mail",
		MemberAttr:     "member",
	}
}

// param is a parameter of the URL and of the environment.
type param struct {
	name string
	set  func(c *Config, v string) error
}

func stringParam(name string, field func(c *Config) *string) param {
	return param{name, func(c *Config, v string) error { *field(c) = v; return nil }}
}

func boolParam(name string, field func(c *Config) *bool) param {
	return param{name, func(c *Config, v string) error {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return navette.Errorf(navette.EINVALID, "LDAP parameter %s must be true or false.", name)
		}
		*field(c) = b
		return nil
	}}
}

// params lists the parameters, named as in the URL's query; the
// environment variable of each is EnvPrefix and its name in capitals.
var params = []param{
	boolParam("starttls", func(c *Config) *bool { return &c.StartTLS }),
	boolParam("plaintext", func(c *Config) *bool { return &c.Plaintext }),
	stringParam("ca", func(c *Config) *string { return &c.CAFile }),
	stringParam("bind_dn", func(c *Config) *string { return &c.BindDN }),
	stringParam("base_dn", func(c *Config) *string { return &c.BaseDN }),
	{"timeout", func(c *Config, v string) error {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			return navette.Errorf(navette.EINVALID, "LDAP parameter timeout must be a positive duration such as 30s.")
		}
		c.Timeout = d
		return nil
	}},
	{"page_size", func(c *Config, v string) error {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return navette.Errorf(navette.EINVALID, "LDAP parameter page_size must be a positive number.")
		}
		c.PageSize = n
		return nil
	}},
	stringParam("people_base", func(c *Config) *string { return &c.PeopleBase }),
	stringParam("people_filter", func(c *Config) *string { return &c.PeopleFilter }),
	stringParam("active_filter", func(c *Config) *string { return &c.ActiveFilter }),
	stringParam("uid_attr", func(c *Config) *string { return &c.UIDAttr }),
	stringParam("mail_attr", func(c *Config) *string { return &c.MailAttr }),
	stringParam("given_name_attr", func(c *Config) *string { return &c.GivenNameAttr }),
	stringParam("surname_attr", func(c *Config) *string { return &c.SurnameAttr }),
	stringParam("name_attr", func(c *Config) *string { return &c.NameAttr }),
	stringParam("court_attr", func(c *Config) *string { return &c.CourtAttr }),
	stringParam("courts_base", func(c *Config) *string { return &c.CourtsBase }),
	stringParam("court_filter", func(c *Config) *string { return &c.CourtFilter }),
	stringParam("court_code_attr", func(c *Config) *string { return &c.CourtCodeAttr }),
	stringParam("court_name_attr", func(c *Config) *string { return &c.CourtNameAttr }),
	stringParam("groups_base", func(c *Config) *string { return &c.GroupsBase }),
	stringParam("group_filter", func(c *Config) *string { return &c.GroupFilter }),
	stringParam("group_code_attr", func(c *Config) *string { return &c.GroupCodeAttr }),
	stringParam("group_name_attr", func(c *Config) *string { return &c.GroupNameAttr }),
	stringParam("group_court_attr", func(c *Config) *string { return &c.GroupCourtAttr }),
	stringParam("group_mail_attr", func(c *Config) *string { return &c.GroupMailAttr }),
	stringParam("member_attr", func(c *Config) *string { return &c.MemberAttr }),
}

// ParseConfig returns the configuration of the directory named by raw, the
// value of navette's --ldap flag:
//
//	ldap[s]://HOST[:PORT][/BASEDN][?PARAM=VALUE&…]
//
// The base DN may be the URL's path (as in RFC 4516 LDAP URLs) or the
// parameter base_dn. Every field of Config but URL and BindPassword has a
// parameter (starttls, plaintext, ca, bind_dn, base_dn, timeout,
// page_size, people_base, people_filter, active_filter, uid_attr,
// mail_attr, given_name_attr, surname_attr, name_attr, court_attr,
// courts_base, court_filter, court_code_attr, court_name_attr, groups_base,
// group_filter, group_code_attr, group_name_attr, group_court_attr,
// group_mail_attr, member_attr), with values URL-encoded (%26 for & in
// filters). A parameter missing from the URL is taken from the environment
// variable NAVETTE_LDAP_ and its name in capitals (NAVETTE_LDAP_BIND_DN),
// read with getenv (os.Getenv if nil); then from DefaultConfig. The
// password is only ever read from NAVETTE_LDAP_BIND_PASSWORD. Returns
// EINVALID, saying what is wrong, for a malformed URL or parameter.
func ParseConfig(raw string, getenv func(string) string) (Config, error) {
	if getenv == nil {
		getenv = os.Getenv
	}
	u, q, err := parseURL(raw)
	if err != nil {
		return Config{}, err
	}
	cfg := DefaultConfig()
	cfg.URL = u.Scheme + "://" + u.Host
	cfg.BaseDN = strings.TrimPrefix(u.Path, "/")
	if err := cfg.setParams(q, getenv); err != nil {
		return Config{}, err
	}
	if err := checkParamNames(q); err != nil {
		return Config{}, err
	}
	cfg.BindPassword = getenv(EnvBindPassword)
	if err := cfg.check(); err != nil {
		return Config{}, err
	}
	return cfg, nil
}

// badURL returns ParseConfig's error for what format says.
func badURL(format string, args ...any) error {
	return navette.Errorf(navette.EINVALID, "Invalid LDAP URL: "+format+"; expected ldap[s]://HOST[:PORT]/BASEDN?PARAM=VALUE&….", args...)
}

// parseURL parses the --ldap URL raw and its query.
func parseURL(raw string) (*url.URL, url.Values, error) {
	u, err := url.Parse(raw)
	switch {
	case err != nil:
		return nil, nil, badURL("it does not parse")
	case u.Scheme != "ldap" && u.Scheme != "ldaps":
		return nil, nil, badURL("the scheme must be ldap or ldaps")
	case u.Opaque != "" || u.Host == "":
		return nil, nil, badURL("the host is missing")
	case u.User != nil:
		return nil, nil, badURL("credentials must not be in the URL (set bind_dn, and the password in %s)", EnvBindPassword)
	case u.Fragment != "":
		return nil, nil, badURL("the URL must not have a fragment")
	}
	q, err := url.ParseQuery(u.RawQuery)
	if err != nil {
		return nil, nil, badURL("the query does not parse")
	}
	return u, q, nil
}

// setParams sets the fields of c that have a parameter from q, or else
// from its environment variable read with getenv.
func (c *Config) setParams(q url.Values, getenv func(string) string) error {
	for _, p := range params {
		v, inURL := q[p.name]
		if inURL && len(v) != 1 {
			return badURL("parameter %q is repeated", p.name)
		}
		var value string
		if inURL {
			value = v[0]
		} else if value = getenv(EnvPrefix + strings.ToUpper(p.name)); value == "" {
			continue
		}
		if err := p.set(c, value); err != nil {
			return err
		}
	}
	return nil
}

// checkParamNames returns EINVALID if q has a password or a parameter
// navette does not know.
func checkParamNames(q url.Values) error {
	for name := range q {
		if name == "bind_password" || name == "password" {
			return badURL("the password must not be in the URL (set %s)", EnvBindPassword)
		}
		if !slices.ContainsFunc(params, func(p param) bool { return p.name == name }) {
			return badURL("unknown parameter %q", name)
		}
	}
	return nil
}

// withDefaults returns c with every empty field set to its default.
func (c Config) withDefaults() Config {
	def := DefaultConfig()
	if c.Timeout <= 0 {
		c.Timeout = def.Timeout
	}
	if c.PageSize <= 0 {
		c.PageSize = def.PageSize
	}
	for _, f := range []struct {
		v *string
		d string
	}{
		{&c.PeopleBase, def.PeopleBase}, {&c.PeopleFilter, def.PeopleFilter},
		{&c.UIDAttr, def.UIDAttr}, {&c.MailAttr, def.MailAttr},
		{&c.GivenNameAttr, def.GivenNameAttr}, {&c.SurnameAttr, def.SurnameAttr},
		{&c.NameAttr, def.NameAttr}, {&c.CourtAttr, def.CourtAttr},
		{&c.CourtsBase, def.CourtsBase}, {&c.CourtFilter, def.CourtFilter},
		{&c.CourtCodeAttr, def.CourtCodeAttr}, {&c.CourtNameAttr, def.CourtNameAttr},
		{&c.GroupsBase, def.GroupsBase}, {&c.GroupFilter, def.GroupFilter},
		{&c.GroupCodeAttr, def.GroupCodeAttr}, {&c.GroupNameAttr, def.GroupNameAttr},
		{&c.GroupCourtAttr, def.GroupCourtAttr}, {&c.GroupMailAttr, def.GroupMailAttr},
		{&c.MemberAttr, def.MemberAttr},
	} {
		if *f.v == "" {
			*f.v = f.d
		}
	}
	return c
}

// check validates c, whose empty fields have their defaults. Returns
// EINVALID saying what is wrong.
func (c Config) check() error {
	if err := c.checkServer(); err != nil {
		return err
	}
	if err := c.checkDNs(); err != nil {
		return err
	}
	return c.checkSearches()
}

// badConfig returns check's error for what format says.
func badConfig(format string, args ...any) error {
	return navette.Errorf(navette.EINVALID, "LDAP directory: "+format, args...)
}

// checkServer validates the server's URL and how passwords travel to it.
func (c Config) checkServer() error {
	bad := badConfig
	u, err := url.Parse(c.URL)
	if err != nil || !isServerURL(u) {
		return bad("the URL must be ldap://HOST[:PORT] or ldaps://HOST[:PORT].")
	}
	if p := u.Port(); p != "" {
		if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
			return bad("bad port %q.", p)
		}
	}
	if c.StartTLS && u.Scheme != "ldap" {
		return bad("starttls applies to ldap:// only (ldaps:// is TLS already).")
	}
	if u.Scheme == "ldap" && !c.StartTLS && !c.Plaintext && !isLoopback(u.Hostname()) {
		return bad("%s would carry passwords in clear: use ldaps://, starttls=true, or plaintext=true on a network you trust.", c.URL)
	}
	return nil
}

// isServerURL reports whether u is ldap://HOST[:PORT] or
// ldaps://HOST[:PORT], with at most a slash after.
func isServerURL(u *url.URL) bool {
	return (u.Scheme == "ldap" || u.Scheme == "ldaps") && u.Host != "" && (u.Path == "" || u.Path == "/") && u.RawQuery == "" && u.User == nil
}

// checkDNs validates the base, bind and search DNs.
func (c Config) checkDNs() error {
	bad := badConfig
	if c.BaseDN == "" {
		return bad("the base DN is missing (the URL's path, or base_dn).")
	}
	if _, err := goldap.ParseDN(c.BaseDN); err != nil {
		return bad("the base DN %q is not a DN.", c.BaseDN)
	}
	if c.BindDN != "" {
		if _, err := goldap.ParseDN(c.BindDN); err != nil {
			return bad("the bind DN %q is not a DN.", c.BindDN)
		}
		if c.BindPassword == "" {
			return bad("the bind DN %s needs a password (set %s).", c.BindDN, EnvBindPassword)
		}
	}
	for _, b := range []struct{ name, v string }{
		{"people_base", c.PeopleBase}, {"courts_base", c.CourtsBase}, {"groups_base", c.GroupsBase},
	} {
		if _, err := goldap.ParseDN(b.v); err != nil {
			return bad("%s %q is not a DN.", b.name, b.v)
		}
	}
	return nil
}

// checkSearches validates the search filters and the attribute names.
func (c Config) checkSearches() error {
	bad := badConfig
	for _, f := range []struct{ name, v string }{
		{"people_filter", c.PeopleFilter}, {"active_filter", c.ActiveFilter},
		{"court_filter", c.CourtFilter}, {"group_filter", c.GroupFilter},
	} {
		if f.v == "" && f.name == "active_filter" {
			continue
		}
		if _, err := goldap.CompileFilter(f.v); err != nil {
			return bad("%s %q is not an LDAP filter in parentheses.", f.name, f.v)
		}
	}
	for _, a := range []struct{ name, v string }{
		{"uid_attr", c.UIDAttr}, {"mail_attr", c.MailAttr}, {"given_name_attr", c.GivenNameAttr},
		{"surname_attr", c.SurnameAttr}, {"name_attr", c.NameAttr}, {"court_attr", c.CourtAttr},
		{"court_code_attr", c.CourtCodeAttr}, {"court_name_attr", c.CourtNameAttr},
		{"group_code_attr", c.GroupCodeAttr}, {"group_name_attr", c.GroupNameAttr},
		{"group_court_attr", c.GroupCourtAttr}, {"group_mail_attr", c.GroupMailAttr},
		{"member_attr", c.MemberAttr},
	} {
		if !validAttr(a.v) {
			return bad("%s %q is not an attribute name.", a.name, a.v)
		}
	}
	return nil
}

// validAttr reports whether s is an attribute description: letters,
// digits and hyphens starting with a letter, or a dotted OID.
func validAttr(s string) bool {
	if s == "" {
		return false
	}
	for i, r := range s {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z':
		case r >= '0' && r <= '9', r == '-' && i > 0, r == '.' && i > 0:
		default:
			return false
		}
	}
	return true
}

// isLoopback reports whether host is localhost or a loopback address.
func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// tlsConfig returns the TLS settings for the server of c. Returns EINVALID
// if the CA file cannot be read or holds no certificate.
func (c Config) tlsConfig() (*tls.Config, error) {
	u, _ := url.Parse(c.URL)
	tc := &tls.Config{ServerName: u.Hostname(), MinVersion: tls.VersionTLS12}
	if c.CAFile != "" {
		pem, err := os.ReadFile(c.CAFile)
		if err != nil {
			return nil, navette.WrapError(navette.EINVALID, err, "LDAP directory: cannot read the CA file %s.", c.CAFile)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, navette.Errorf(navette.EINVALID, "LDAP directory: the CA file %s holds no PEM certificate.", c.CAFile)
		}
		tc.RootCAs = pool
	}
	return tc, nil
}

// under returns base as a full DN: as is if it is BaseDN or below it,
// else followed by BaseDN.
func (c Config) under(base string) string {
	root, err1 := goldap.ParseDN(c.BaseDN)
	dn, err2 := goldap.ParseDN(base)
	if err1 == nil && err2 == nil && (root.EqualFold(dn) || root.AncestorOfFold(dn)) {
		return base
	}
	return base + "," + c.BaseDN
}

// String describes the directory for logs and errors: its URL and base,
// never the password.
func (c Config) String() string {
	s := c.URL + "/" + c.BaseDN
	if c.StartTLS {
		s += " (StartTLS)"
	}
	return s
}

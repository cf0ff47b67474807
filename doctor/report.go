package doctor

import (
	"context"
	"net"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"

	"navette/clamav"
	"navette/ldap"
	"navette/s3"
)

// local is the host of data on this machine's file systems.
const local = "local"

// places says where each kind of data lives.
func (d *doctor) places(ctx context.Context) []Place {
	meta := d.place(ctx, "metadata", d.dbURL())
	blobs := d.place(ctx, "blobs", d.blobsURL())
	keys := Place{Data: "keys", Where: filepath.Join(d.cfg.DataDir, "keys"), Host: local}
	journal := meta
	journal.Data = "journal"
	outbox := Place{Data: "outbox", Where: filepath.Join(d.cfg.DataDir, "mail"), Host: local}
	if d.cfg.SMTP != "" {
		outbox = meta
		outbox.Data = "outbox"
		outbox.Where = "notices queued in " + meta.Where + " until " + redactURL(d.cfg.SMTP) + " takes them"
	}
	logs := Place{Data: "logs", Where: "standard error (the journal of systemd under its unit)", Host: local}
	return []Place{meta, blobs, keys, journal, outbox, logs}
}

// place locates the store a URL names.
func (d *doctor) place(ctx context.Context, data, raw string) Place {
	p := Place{Data: data, Where: redactURL(raw), Host: local}
	for _, e := range d.storeEndpoints(raw) {
		if e.Network == "tcp" {
			p.Host = e.Host
			p.Addrs, _ = d.resolve(ctx, e.Host)
			break
		}
	}
	return p
}

// storeEndpoints returns the servers behind a store URL: none for a local
// path.
func (d *doctor) storeEndpoints(raw string) []Endpoint {
	scheme, _, _ := strings.Cut(raw, ":")
	switch scheme {
	case "postgres", "postgresql":
		return pgEndpoints(raw)
	case "s3":
		return []Endpoint{s3Endpoint(raw)}
	}
	return nil
}

// pgEndpoints returns the PostgreSQL servers of a postgres:// URL, its
// fallbacks after the first.
func pgEndpoints(raw string) []Endpoint {
	cfg, err := pgx.ParseConfig(raw)
	if err != nil {
		return []Endpoint{{Service: "postgresql", URL: redactURL(raw), Network: "tcp", Error: "malformed URL"}}
	}
	eps := []Endpoint{pgEndpoint(raw, cfg.Host, cfg.Port)}
	for _, f := range cfg.Fallbacks {
		eps = append(eps, pgEndpoint(raw, f.Host, f.Port))
	}
	return eps
}

// s3Endpoint returns the server of an s3:// URL: its endpoint, on the
// scheme's default port if it names none, prefixed with the bucket when
// the bucket is addressed as a virtual host.
func s3Endpoint(raw string) Endpoint {
	cfg, err := s3.ParseURL(raw)
	if err != nil {
		return Endpoint{Service: "s3", URL: redactURL(raw), Network: "tcp", Error: "malformed URL"}
	}
	host, port, err := net.SplitHostPort(cfg.Endpoint)
	if err != nil {
		host, port = cfg.Endpoint, "443"
		if !cfg.Secure {
			port = "80"
		}
	}
	if cfg.Addressing == s3.AddressVirtualHost || (cfg.Addressing == s3.AddressAuto && strings.HasSuffix(host, "amazonaws.com")) {
		host = cfg.Bucket + "." + host
	}
	return Endpoint{Service: "s3", URL: redactURL(raw), Network: "tcp", Host: host, Port: port}
}

func pgEndpoint(raw, host string, port uint16) Endpoint {
	e := Endpoint{Service: "postgresql", URL: redactURL(raw), Network: "tcp", Host: host, Port: strconv.Itoa(int(port))}
	if strings.HasPrefix(host, "/") {
		e.Network, e.Port = "unix", ""
		e.Host = filepath.Join(host, ".s.PGSQL."+strconv.Itoa(int(port)))
	}
	return e
}

// endpoints lists every server the configuration makes navette connect
// to, resolved.
func (d *doctor) endpoints(ctx context.Context) []Endpoint {
	eps := append([]Endpoint{}, d.storeEndpoints(d.dbURL())...)
	eps = append(eps, d.storeEndpoints(d.blobsURL())...)
	eps = append(eps, d.serviceEndpoints()...)
	for i := range eps {
		if eps[i].Network == "tcp" && eps[i].Host != "" {
			addrs, err := d.resolve(ctx, eps[i].Host)
			eps[i].Addrs = addrs
			if err != nil {
				eps[i].Error = message(err)
			}
		}
	}
	return eps
}

// serviceEndpoints lists the servers but the stores the configuration
// names: SMTP, clamd, the time-stamping authority, LDAP and OpenID
// Connect.
func (d *doctor) serviceEndpoints() []Endpoint {
	var eps []Endpoint
	if d.cfg.SMTP != "" {
		host, port, _ := hostPort(d.cfg.SMTP, map[string]string{"smtp": "587", "smtps": "465"})
		eps = append(eps, Endpoint{Service: "smtp", URL: redactURL(d.cfg.SMTP), Network: "tcp", Host: host, Port: port})
	}
	eps = append(eps, d.clamdEndpoints()...)
	if d.cfg.TSA != "" {
		eps = append(eps, urlEndpoint("tsa", d.cfg.TSA))
	}
	eps = append(eps, d.ldapEndpoints()...)
	return append(eps, d.oidcEndpoints()...)
}

// clamdEndpoints returns the antivirus daemon's socket or server, none if
// there is none or its address is malformed.
func (d *doctor) clamdEndpoints() []Endpoint {
	if d.cfg.Clamd == "" {
		return nil
	}
	c, err := clamav.New(d.cfg.Clamd)
	if err != nil {
		return nil
	}
	e := Endpoint{Service: "clamd", URL: d.cfg.Clamd, Network: c.Network, Host: c.Addr}
	if c.Network == "tcp" {
		e.Host, e.Port, _ = net.SplitHostPort(c.Addr)
	}
	return []Endpoint{e}
}

// ldapEndpoints returns the directory server, none if there is none or
// its configuration is malformed.
func (d *doctor) ldapEndpoints() []Endpoint {
	if d.cfg.LDAP == "" {
		return nil
	}
	cfg, err := ldap.ParseConfig(d.cfg.LDAP, d.cfg.Getenv)
	if err != nil {
		return nil
	}
	host, port, _ := hostPort(cfg.URL, map[string]string{"ldap": "389", "ldaps": "636"})
	return []Endpoint{{Service: "ldap", URL: cfg.URL, Network: "tcp", Host: host, Port: port}}
}

// oidcEndpoints returns the identity provider's issuer and the endpoints
// its discovery document named, none if there is none.
func (d *doctor) oidcEndpoints() []Endpoint {
	if d.cfg.OIDC.Issuer == "" {
		return nil
	}
	eps := []Endpoint{urlEndpoint("oidc", d.cfg.OIDC.Issuer)}
	for _, u := range d.oidcURLs {
		eps = append(eps, urlEndpoint("oidc", u))
	}
	return eps
}

// urlEndpoint is the endpoint of an http(s) URL.
func urlEndpoint(service, raw string) Endpoint {
	host, port, _ := hostPort(raw, map[string]string{"http": "80", "https": "443"})
	return Endpoint{Service: service, URL: redactURL(raw), Network: "tcp", Host: host, Port: port}
}

// resolve returns the addresses host resolves to.
func (d *doctor) resolve(ctx context.Context, host string) ([]string, error) {
	if host == "" || host == local {
		return nil, nil
	}
	ctx, cancel := context.WithTimeout(ctx, d.timeout)
	defer cancel()
	return net.DefaultResolver.LookupHost(ctx, host)
}

// redactURL returns a URL without its password and query secrets; a
// plain path is returned as it is.
func redactURL(raw string) string {
	u, err := url.Parse(raw)
	switch {
	case err != nil:
		return "(malformed URL)"
	case u.Scheme == "":
		return raw // a path
	case u.User == nil && (u.Scheme == "sqlite" || u.Scheme == "file"):
		return raw
	}
	maskQuerySecrets(u)
	return u.Redacted()
}

// maskQuerySecrets replaces the passwords of u's query.
func maskQuerySecrets(u *url.URL) {
	q := u.Query()
	for k := range q {
		if k == "password" || k == "sslpassword" {
			q.Set(k, "xxxxx")
		}
	}
	if len(q) > 0 {
		u.RawQuery = q.Encode()
	}
}

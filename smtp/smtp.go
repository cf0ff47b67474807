// Package smtp delivers navette's e-mail notices to a mail server over SMTP,
// through github.com/wneessen/go-mail. It is the notify.Mailer a server uses
// when the operator configures one (navette serve --smtp URL).
//
// The server is named by a URL:
//
//	smtp://[USER[:PASSWORD]@]HOST[:PORT][?starttls=opportunistic][&ca=/path/ca.pem]
//	smtps://[USER[:PASSWORD]@]HOST[:PORT][?ca=/path/ca.pem]
//
// smtp:// (port 587 by default) requires STARTTLS: a server that does not
// offer it is refused, unless starttls=opportunistic, which uses it when
// offered. smtps:// (port 465 by default) speaks TLS from the first byte.
// Certificates are checked against the system's roots, or against the PEM
// file given by ca. With a user, navette authenticates with the strongest
// mechanism the server offers, and never sends a password over a connection
// that is not encrypted. A password not in the URL is taken from
// Config.Password (NAVETTE_SMTP_PASSWORD); it never appears in logs or
// errors.
//
// Connections are reused: a few stay open between messages, and a
// connection the server has closed meanwhile is replaced before anything is
// sent on it.
package smtp

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	netmail "net/mail"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	mail "github.com/wneessen/go-mail"
	gosmtp "github.com/wneessen/go-mail/smtp"

	"navette"
	"navette/notify"
)

// Config says how to reach the mail server.
type Config struct {
	// URL names the server (see the package documentation).
	URL string
	// Password is used when the URL names a user but no password.
	Password string
	// Timeout bounds connecting and each SMTP command (30 s when zero).
	Timeout time.Duration
	// MaxIdle is how many connections stay open between messages (4 when
	// zero).
	MaxIdle int
	// IdleTimeout closes connections unused for longer (30 s when zero).
	IdleTimeout time.Duration
}

// Mailer sends messages to one SMTP server. It is safe for concurrent use.
type Mailer struct {
	client      *mail.Client
	desc        string // the URL without password, for errors and logs
	maxIdle     int
	idleTimeout time.Duration

	mu     sync.Mutex
	idle   []idleConn
	closed bool
}

type idleConn struct {
	c     *gosmtp.Client
	since time.Time
}

var _ notify.Mailer = (*Mailer)(nil)

// New returns a Mailer for the server of cfg. It does not connect: a server
// that is down delays notices, it does not stop navette. Returns EINVALID
// for a malformed URL, an unreadable CA file, or a user without password.
func New(cfg Config) (*Mailer, error) {
	u, err := url.Parse(cfg.URL)
	if err != nil || !isServerURL(u) {
		return nil, navette.Errorf(navette.EINVALID, "The SMTP URL must look like smtp://[user:password@]host[:port] or smtps://…")
	}
	desc := u.Redacted()
	opts, err := clientOptions(u, cfg, func(format string, args ...any) error {
		return navette.Errorf(navette.EINVALID, "SMTP server %s: "+format, append([]any{desc}, args...)...)
	})
	if err != nil {
		return nil, err
	}
	c, err := mail.NewClient(u.Hostname(), opts...)
	if err != nil {
		return nil, navette.WrapError(navette.EINVALID, err, "SMTP server %s: bad settings.", desc)
	}
	m := &Mailer{client: c, desc: desc, maxIdle: cfg.MaxIdle, idleTimeout: cfg.IdleTimeout}
	if m.maxIdle <= 0 {
		m.maxIdle = 4
	}
	if m.idleTimeout <= 0 {
		m.idleTimeout = 30 * time.Second
	}
	return m, nil
}

// clientOptions returns the go-mail options of the server of u and cfg:
// port, TLS, timeout, parameters and authentication. invalid makes the
// error of a bad setting.
func clientOptions(u *url.URL, cfg Config, invalid func(format string, args ...any) error) ([]mail.Option, error) {
	timeout := cfg.Timeout
	if timeout <= 0 {
		timeout = 30 * time.Second
	}
	opts, err := portOptions(u, invalid)
	if err != nil {
		return nil, err
	}
	opts = append(opts, mail.WithTimeout(timeout))
	tlsConfig := &tls.Config{ServerName: u.Hostname(), MinVersion: tls.VersionTLS12}
	qopts, err := queryOptions(u, tlsConfig, invalid)
	if err != nil {
		return nil, err
	}
	opts = append(opts, qopts...)
	opts = append(opts, mail.WithTLSConfig(tlsConfig))
	aopts, err := authOptions(u, cfg.Password, invalid)
	if err != nil {
		return nil, err
	}
	return append(opts, aopts...), nil
}

// isServerURL reports whether u names a host, with no more than a slash
// for a path and no fragment.
func isServerURL(u *url.URL) bool {
	return u.Host != "" && u.Opaque == "" && (u.Path == "" || u.Path == "/") && u.Fragment == ""
}

// portOptions returns the options of the URL u's scheme and port.
func portOptions(u *url.URL, invalid func(format string, args ...any) error) ([]mail.Option, error) {
	var opts []mail.Option
	port := 587
	switch u.Scheme {
	case "smtp":
		opts = append(opts, mail.WithTLSPolicy(mail.TLSMandatory))
	case "smtps":
		port = 465
		opts = append(opts, mail.WithSSL())
	default:
		return nil, invalid("unknown scheme %q (smtp or smtps).", u.Scheme)
	}
	if p := u.Port(); p != "" {
		var err error
		if port, err = strconv.Atoi(p); err != nil || port < 1 || port > 65535 {
			return nil, invalid("bad port %q.", p)
		}
	}
	return append(opts, mail.WithPort(port)), nil
}

// authOptions returns the options that authenticate as the URL u's user,
// if any, with the password of u or else password.
func authOptions(u *url.URL, password string, invalid func(format string, args ...any) error) ([]mail.Option, error) {
	if u.User == nil || u.User.Username() == "" {
		return nil, nil
	}
	pass, ok := u.User.Password()
	if !ok {
		pass = password
	}
	if pass == "" {
		return nil, invalid("a user needs a password (in the URL or NAVETTE_SMTP_PASSWORD).")
	}
	return []mail.Option{mail.WithSMTPAuth(mail.SMTPAuthAutoDiscover), mail.WithUsername(u.User.Username()), mail.WithPassword(pass)}, nil
}

// queryOptions returns the options of the URL u's parameters, and sets
// the CA of tlsConfig from its ca.
func queryOptions(u *url.URL, tlsConfig *tls.Config, invalid func(format string, args ...any) error) ([]mail.Option, error) {
	var opts []mail.Option
	for k, v := range u.Query() {
		switch {
		case k == "starttls" && len(v) == 1 && (v[0] == "required" || v[0] == "opportunistic"):
			topts, err := starttlsOptions(u, v[0], invalid)
			if err != nil {
				return nil, err
			}
			opts = append(opts, topts...)
		case k == "ca" && len(v) == 1 && v[0] != "":
			pool, err := readCA(u, v[0], invalid)
			if err != nil {
				return nil, err
			}
			tlsConfig.RootCAs = pool
		default:
			return nil, invalid("unknown or repeated parameter %q (starttls=opportunistic, ca=PATH).", k)
		}
	}
	return opts, nil
}

// starttlsOptions returns the options of the URL u's starttls parameter,
// mode: "required", the default of smtp://, or "opportunistic".
func starttlsOptions(u *url.URL, mode string, invalid func(format string, args ...any) error) ([]mail.Option, error) {
	if u.Scheme != "smtp" {
		return nil, invalid("starttls applies to smtp:// only.")
	}
	if mode == "opportunistic" {
		return []mail.Option{mail.WithTLSPolicy(mail.TLSOpportunistic)}, nil
	}
	return nil, nil
}

// readCA returns the pool of the certificates of the PEM file path, the
// CA of the URL u.
func readCA(u *url.URL, path string, invalid func(format string, args ...any) error) (*x509.CertPool, error) {
	pem, err := os.ReadFile(path)
	if err != nil {
		return nil, navette.WrapError(navette.EINVALID, err, "SMTP server %s: cannot read the CA file.", u.Redacted())
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, invalid("the CA file %s holds no PEM certificate.", path)
	}
	return pool, nil
}

// String names the server, without its password.
func (m *Mailer) String() string { return m.desc }

// Send delivers msg. Returns EINVALID when the server refuses its recipient
// or content for good (a 5xx answer to RCPT TO or DATA): retrying would not
// help. Any other failure is EUNAVAILABLE: the server is unreachable,
// refuses for now (4xx), or refuses the connection, TLS or authentication,
// which the operator must fix.
func (m *Mailer) Send(ctx context.Context, msg *notify.Message) error {
	gm, err := build(msg)
	if err != nil {
		return err
	}
	for try := 0; ; try++ {
		c, reused, err := m.conn(ctx)
		if err != nil {
			return navette.WrapError(navette.EUNAVAILABLE, fmt.Errorf("smtp %s: %w", m.desc, err), "The mail server cannot be reached.")
		}
		err = m.client.SendWithSMTPClient(c, gm)
		if err == nil {
			m.put(c)
			return nil
		}
		_ = c.Close()
		if reused && try == 0 && idleConnClosed(err) {
			continue // nothing was sent
		}
		return m.classify(err)
	}
}

// idleConnClosed reports whether err says that the server had closed the
// idle connection a message was sent on.
func idleConnClosed(err error) bool {
	var se *mail.SendError
	return errors.As(err, &se) && se.Reason == mail.ErrConnCheck
}

// classify turns a sending error into a navette error, EINVALID when it is
// final for this message.
func (m *Mailer) classify(err error) error {
	err = fmt.Errorf("smtp %s: %w", m.desc, err)
	var se *mail.SendError
	if errors.As(err, &se) {
		code := se.ErrorCode()
		switch se.Reason {
		case mail.ErrSMTPRcptTo, mail.ErrSMTPData, mail.ErrSMTPDataClose:
			if code >= 500 && code < 600 {
				return navette.WrapError(navette.EINVALID, err, "The mail server refused the message for good.")
			}
		}
	}
	return navette.WrapError(navette.EUNAVAILABLE, err, "The mail server did not take the message; it will be tried again.")
}

// conn returns an open connection, idle or new, and whether it was idle.
func (m *Mailer) conn(ctx context.Context) (*gosmtp.Client, bool, error) {
	c, err := m.takeIdle()
	if c != nil || err != nil {
		return c, c != nil, err
	}
	c, err = m.client.DialToSMTPClientWithContext(ctx)
	if err != nil {
		return nil, false, dialError(err)
	}
	return c, false, nil
}

// takeIdle returns the newest idle connection that has not been idle too
// long, closing those that have, or nil if there is none.
func (m *Mailer) takeIdle() (*gosmtp.Client, error) {
	now := time.Now()
	m.mu.Lock()
	if m.closed {
		m.mu.Unlock()
		return nil, errors.New("mailer closed")
	}
	var stale []*gosmtp.Client
	for len(m.idle) > 0 {
		ic := m.idle[len(m.idle)-1]
		m.idle = m.idle[:len(m.idle)-1]
		if now.Sub(ic.since) > m.idleTimeout {
			stale = append(stale, ic.c)
			continue
		}
		m.mu.Unlock()
		closeAll(stale)
		return ic.c, nil
	}
	m.mu.Unlock()
	closeAll(stale)
	return nil, nil
}

// dialError returns the network error of a failed dial without go-mail's
// wrapping, which may repeat it, or err if it is not one.
func dialError(err error) error {
	var op *net.OpError
	if errors.As(err, &op) {
		return op
	}
	return err
}

// put keeps c open for the next message, or closes it.
func (m *Mailer) put(c *gosmtp.Client) {
	m.mu.Lock()
	if !m.closed && len(m.idle) < m.maxIdle {
		m.idle = append(m.idle, idleConn{c: c, since: time.Now()})
		m.mu.Unlock()
		return
	}
	m.mu.Unlock()
	_ = c.Quit()
}

// Close ends the idle connections; messages sent afterwards fail.
func (m *Mailer) Close() error {
	m.mu.Lock()
	m.closed = true
	idle := m.idle
	m.idle = nil
	m.mu.Unlock()
	for _, ic := range idle {
		_ = ic.c.Quit()
	}
	return nil
}

func closeAll(cs []*gosmtp.Client) {
	for _, c := range cs {
		_ = c.Close()
	}
}

// build makes the go-mail message of msg. Header values are encoded by
// go-mail (RFC 2047), after notify removed every control character from
// them: no value can end its header line.
func build(msg *notify.Message) (*mail.Msg, error) {
	if hasControl(msg.ID, msg.Subject, msg.Lang, msg.From.Name, msg.To.Name) {
		return nil, navette.Errorf(navette.EINVALID, "A header of the message holds a control character.")
	}
	from, ok := bareAddress(msg.From.Email)
	if !ok {
		return nil, navette.Errorf(navette.EINVALID, "The sender address of e-mails is not usable.")
	}
	to, ok := bareAddress(msg.To.Email)
	if !ok {
		return nil, navette.Errorf(navette.EINVALID, "The addressee's e-mail address is not usable.")
	}
	from.Name, to.Name = msg.From.Name, msg.To.Name
	gm := mail.NewMsg(mail.WithNoDefaultUserAgent())
	// Addresses are given whole: go-mail writes them with net/mail, which
	// quotes or encodes the names, rather than parsing a formatted string.
	gm.FromMailAddress(from)
	gm.AddToMailAddress(to)
	gm.Subject(msg.Subject)
	gm.SetMessageIDWithValue(msg.ID)
	gm.SetDateWithValue(msg.Date)
	gm.SetGenHeader(mail.HeaderContentLang, msg.Lang)
	gm.SetGenHeader("Auto-Submitted", "auto-generated") // RFC 3834: no auto-replies
	gm.SetGenHeader(mail.HeaderXAutoResponseSuppress, "All")
	gm.SetBodyString(mail.TypeTextPlain, msg.Text)
	if msg.HTML != "" {
		gm.AddAlternativeString(mail.TypeTextHTML, msg.HTML)
	}
	return gm, nil
}

// hasControl reports whether one of values holds a control character.
func hasControl(values ...string) bool {
	for _, v := range values {
		if strings.ContainsFunc(v, func(r rune) bool { return r < ' ' || r == 0x7f }) {
			return true
		}
	}
	return false
}

// bareAddress parses addr, which must be an e-mail address alone, without
// a name or anything to strip; ok is false if it is not.
func bareAddress(addr string) (a *netmail.Address, ok bool) {
	a, err := netmail.ParseAddress(addr)
	if err != nil || a.Address != addr || a.Name != "" {
		return nil, false
	}
	return a, true
}

// Check connects to the server as Send would (EHLO, STARTTLS or TLS,
// authentication when a user is set) and says QUIT, sending no mail.
// Returns EUNAVAILABLE if any step fails.
func (m *Mailer) Check(ctx context.Context) error {
	c, err := m.client.DialToSMTPClientWithContext(ctx)
	if err != nil {
		return navette.WrapError(navette.EUNAVAILABLE, fmt.Errorf("smtp %s: %w", m.desc, dialError(err)), "The mail server cannot be reached.")
	}
	if err := c.Quit(); err != nil {
		_ = c.Close()
		return navette.WrapError(navette.EUNAVAILABLE, fmt.Errorf("smtp %s: quit: %w", m.desc, err), "The mail server cannot be reached.")
	}
	return nil
}

// Package testsmtp runs a real SMTP server for tests and benchmarks, in
// process, on a free port of 127.0.0.1, through github.com/emersion/go-smtp:
// STARTTLS (or TLS from the first byte) with a self-signed certificate made
// on the spot, AUTH PLAIN required before MAIL, messages recorded with
// their envelope, recipients that can be refused (550), and Stop and Start
// on the same port to play a server that goes down and comes back.
package testsmtp

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"log"
	"math/big"
	"net"
	"net/mail"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	gosmtp "github.com/emersion/go-smtp"
)

// User and Password are the credentials the server accepts.
const (
	User     = "navette"
	Password = "s3cret-pass"
)

// Message is a message the server accepted.
type Message struct {
	From   string   // envelope sender (MAIL FROM)
	To     []string // envelope recipients (RCPT TO)
	Data   []byte   // the message as received
	Header mail.Header
	Body   []byte // undecoded body
	TLS    bool   // received over TLS
	User   string // who authenticated
}

// MessageID returns the message's Message-ID without its angle brackets.
func (m *Message) MessageID() string {
	return strings.Trim(m.Header.Get("Message-Id"), "<> ")
}

// Options tune a server.
type Options struct {
	// Implicit makes the server speak TLS from the first byte (smtps://)
	// instead of offering STARTTLS.
	Implicit bool
	// NoTLS makes the server offer no TLS at all.
	NoTLS bool
	// Discard counts messages without keeping them (for benchmarks).
	Discard bool
	// ErrorLog receives the server's own errors; none by default.
	ErrorLog io.Writer
}

// Server is a running SMTP server. Its methods are safe for concurrent use.
type Server struct {
	opts   Options
	addr   string
	caFile string
	tls    *tls.Config

	mu       sync.Mutex
	srv      *gosmtp.Server
	ln       net.Listener
	done     chan struct{}
	msgs     []*Message
	count    int
	rejected map[string]bool
	dir      string
	ownDir   bool
}

// Start starts a server for t, stopped when t ends.
func Start(t testing.TB, opts Options) *Server {
	t.Helper()
	s, err := New(t.TempDir(), opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s
}

// New starts a server, keeping its CA certificate in dir (a temporary
// directory, removed by Close, when dir is empty).
func New(dir string, opts Options) (*Server, error) {
	s := &Server{opts: opts, rejected: map[string]bool{}, dir: dir}
	if dir != "" {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return nil, err
		}
	} else {
		d, err := os.MkdirTemp("", "testsmtp-")
		if err != nil {
			return nil, err
		}
		s.dir, s.ownDir = d, true
	}
	if !opts.NoTLS {
		cfg, certPEM, err := selfSigned()
		if err != nil {
			return nil, err
		}
		s.tls = cfg
		s.caFile = filepath.Join(s.dir, "smtp-ca.pem")
		if err := os.WriteFile(s.caFile, certPEM, 0o600); err != nil {
			return nil, err
		}
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	s.addr = l.Addr().String()
	s.serve(l)
	return s, nil
}

// serve runs a go-smtp server on l.
func (s *Server) serve(l net.Listener) {
	srv := gosmtp.NewServer(gosmtp.BackendFunc(func(c *gosmtp.Conn) (gosmtp.Session, error) {
		return &session{s: s, conn: c}, nil
	}))
	srv.Domain = "localhost"
	srv.ReadTimeout = time.Minute
	srv.WriteTimeout = time.Minute
	srv.MaxMessageBytes = 10 << 20
	srv.MaxRecipients = 50
	srv.EnableSMTPUTF8 = true
	w := s.opts.ErrorLog
	if w == nil {
		w = io.Discard
	}
	srv.ErrorLog = log.New(w, "testsmtp ", 0)
	if s.tls != nil {
		srv.TLSConfig = s.tls
		if s.opts.Implicit {
			l = tls.NewListener(l, s.tls)
		}
	} else {
		srv.AllowInsecureAuth = true
	}
	done := make(chan struct{})
	s.mu.Lock()
	s.srv, s.ln, s.done = srv, l, done
	s.mu.Unlock()
	go func() {
		defer close(done)
		_ = srv.Serve(l)
	}()
}

// Addr returns the server's host:port.
func (s *Server) Addr() string { return s.addr }

// CAFile returns the path of the PEM certificate that signs the server's.
func (s *Server) CAFile() string { return s.caFile }

// URL returns the navette SMTP URL of the server, with credentials and CA.
func (s *Server) URL() string {
	scheme := "smtp"
	if s.opts.Implicit {
		scheme = "smtps"
	}
	u := url.URL{Scheme: scheme, User: url.UserPassword(User, Password), Host: s.addr}
	q := url.Values{}
	if s.caFile != "" {
		q.Set("ca", s.caFile)
	}
	if s.opts.NoTLS {
		q.Set("starttls", "opportunistic")
	}
	u.RawQuery = q.Encode()
	return u.String()
}

// Stop stops the server: connections are refused until Start.
func (s *Server) Stop() {
	s.mu.Lock()
	srv, ln, done := s.srv, s.ln, s.done
	s.srv, s.ln = nil, nil
	s.mu.Unlock()
	if srv == nil {
		return
	}
	_ = srv.Close()
	// go-smtp's Close misses a listener whose Serve has not started yet.
	_ = ln.Close()
	<-done
}

// Start starts a stopped server again, on the same port.
func (s *Server) Start() error {
	s.mu.Lock()
	running := s.srv != nil
	s.mu.Unlock()
	if running {
		return nil
	}
	var (
		l   net.Listener
		err error
	)
	// The port was ours a moment ago; another process taking it meanwhile
	// is unlikely, and retried briefly.
	for try := 0; try < 50; try++ {
		if l, err = net.Listen("tcp", s.addr); err == nil {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err != nil {
		return fmt.Errorf("testsmtp: listen on %s again: %w", s.addr, err)
	}
	s.serve(l)
	return nil
}

// Close stops the server and removes its files.
func (s *Server) Close() {
	s.Stop()
	if s.ownDir {
		os.RemoveAll(s.dir)
	}
}

// Reject makes the server refuse the address with 550 at RCPT TO, or
// accept it again.
func (s *Server) Reject(addr string, reject bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.rejected[strings.ToLower(addr)] = reject
}

// Messages returns the messages accepted so far.
func (s *Server) Messages() []*Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]*Message(nil), s.msgs...)
}

// Count returns the number of messages accepted so far.
func (s *Server) Count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.count
}

// To returns the messages accepted for the envelope recipient addr.
func (s *Server) To(addr string) []*Message {
	var out []*Message
	for _, m := range s.Messages() {
		for _, r := range m.To {
			if strings.EqualFold(r, addr) {
				out = append(out, m)
				break
			}
		}
	}
	return out
}

// WaitCount waits until the server has accepted at least n messages, or
// timeout passes (bounded polling), and returns the count.
func (s *Server) WaitCount(n int, timeout time.Duration) int {
	deadline := time.Now().Add(timeout)
	for {
		c := s.Count()
		if c >= n || time.Now().After(deadline) {
			return c
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func (s *Server) add(m *Message) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.count++
	if !s.opts.Discard {
		s.msgs = append(s.msgs, m)
	}
}

func (s *Server) isRejected(addr string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.rejected[strings.ToLower(addr)]
}

// session is one SMTP connection.
type session struct {
	s    *Server
	conn *gosmtp.Conn
	user string
	from string
	to   []string
}

var errAuth = &gosmtp.SMTPError{Code: 530, EnhancedCode: gosmtp.EnhancedCode{5, 7, 0}, Message: "Authentication required"}

func (ss *session) AuthMechanisms() []string { return []string{sasl.Plain} }

func (ss *session) Auth(mech string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(identity, username, password string) error {
		if username != User || password != Password {
			return gosmtp.ErrAuthFailed
		}
		ss.user = username
		return nil
	}), nil
}

func (ss *session) Mail(from string, opts *gosmtp.MailOptions) error {
	if ss.user == "" {
		return errAuth
	}
	ss.from = from
	return nil
}

func (ss *session) Rcpt(to string, opts *gosmtp.RcptOptions) error {
	if ss.user == "" {
		return errAuth
	}
	if ss.s.isRejected(to) {
		return &gosmtp.SMTPError{Code: 550, EnhancedCode: gosmtp.EnhancedCode{5, 1, 1}, Message: "No such user here"}
	}
	ss.to = append(ss.to, to)
	return nil
}

func (ss *session) Data(r io.Reader) error {
	if ss.user == "" {
		return errAuth
	}
	data, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	m := &Message{From: ss.from, To: append([]string(nil), ss.to...), User: ss.user}
	_, m.TLS = ss.conn.TLSConnectionState()
	if !ss.s.opts.Discard {
		m.Data = data
		parsed, err := mail.ReadMessage(bytes.NewReader(data))
		if err != nil {
			return &gosmtp.SMTPError{Code: 554, EnhancedCode: gosmtp.EnhancedCode{5, 6, 0}, Message: "Malformed message"}
		}
		m.Header = parsed.Header
		m.Body, _ = io.ReadAll(parsed.Body)
	}
	ss.s.add(m)
	return nil
}

func (ss *session) Reset() { ss.from, ss.to = "", nil }

func (ss *session) Logout() error { return nil }

// selfSigned makes a certificate for 127.0.0.1 and localhost, and returns
// the server's TLS configuration and the certificate in PEM.
func selfSigned() (*tls.Config, []byte, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(time.Now().UnixNano()),
		Subject:               pkix.Name{CommonName: "testsmtp"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1)},
		DNSNames:              []string{"localhost"},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, nil, err
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		return nil, nil, err
	}
	certPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	keyPEM := pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER})
	pair, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		return nil, nil, errors.Join(errors.New("testsmtp: certificate"), err)
	}
	return &tls.Config{Certificates: []tls.Certificate{pair}, MinVersion: tls.VersionTLS12}, certPEM, nil
}

// Package testtsa runs a real RFC 3161 time-stamping authority for tests,
// in process, over HTTP (or HTTPS) on a free port of 127.0.0.1, built on
// github.com/digitorus/timestamp's response-creation API: a throwaway CA
// and a time-stamping certificate it signs (extended key usage
// timeStamping, critical), answers that can be turned into garbage,
// refusals, HTTP errors, wrong nonces or digests, or delayed, tokens whose
// signer is named by subject key identifier (Options.KeyID), and Stop and
// Start on the same port to play an authority that goes down and comes
// back. Token takes a token apart for tests that forge tokens. Only tests
// import it.
package testtsa

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/pem"
	"fmt"
	"io"
	"log"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/digitorus/timestamp"

	"navette"
	"navette/internal/testtool"
)

// Policy is the TSA policy the server stamps under.
var Policy = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 99999, 3161, 1}

// Name is the common name of the server's time-stamping certificate.
const Name = "navette test TSA"

// Mode says how the server answers a query.
type Mode int

// Modes of the server.
const (
	// Grant answers a valid time-stamp (the default).
	Grant Mode = iota
	// Garbage answers random bytes with HTTP 200.
	Garbage
	// Refuse answers PKIStatus rejection (badRequest).
	Refuse
	// Fail answers HTTP 500.
	Fail
	// WrongNonce answers a valid time-stamp with another nonce.
	WrongNonce
	// WrongDigest answers a valid time-stamp of another digest.
	WrongDigest
	// NoCertificate answers a time-stamp that does not carry the signing
	// certificate, even when asked for it.
	NoCertificate
)

// Options tune a server.
type Options struct {
	// TLS serves HTTPS with a certificate for 127.0.0.1 that CAFile
	// trusts.
	TLS bool
	// Clock gives the time the server stamps; the real clock when nil.
	Clock navette.Clock
	// KeyID names the signer of the tokens by the subject key identifier
	// of its certificate (a CMS SignerInfo of version 3, RFC 5652 section
	// 5.3, as some authorities do) instead of its issuer and serial number.
	KeyID bool
}

// Server is a running time-stamping authority. Its methods are safe for
// concurrent use.
type Server struct {
	opts     Options
	addr     string
	dir      string
	ownDir   bool
	caFile   string
	roots    *x509.CertPool
	ca       *x509.Certificate
	caKey    crypto.Signer
	cert     *x509.Certificate
	key      crypto.Signer
	certFile string // TLS
	keyFile  string // TLS

	mu      sync.Mutex
	srv     *http.Server
	done    chan struct{}
	mode    Mode
	delay   time.Duration
	granted int
	queries int
}

// Start starts a server for t, closed when t ends.
func Start(t testing.TB, opts Options) *Server {
	t.Helper()
	s, err := New(t.TempDir(), opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s
}

// New starts a server, keeping its certificates in dir (a temporary
// directory, removed by Close, when dir is empty).
func New(dir string, opts Options) (*Server, error) {
	s := &Server{opts: opts, dir: dir}
	if dir == "" {
		d, err := os.MkdirTemp("", "testtsa-")
		if err != nil {
			return nil, err
		}
		s.dir, s.ownDir = d, true
	} else if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	caPEM, err := s.makeCerts()
	if err != nil {
		return nil, err
	}
	if opts.TLS {
		tlsDir := filepath.Join(s.dir, "tls")
		if err := os.MkdirAll(tlsDir, 0o700); err != nil {
			return nil, err
		}
		tlsCA, certFile, keyFile, err := testtool.WriteCerts(tlsDir)
		if err != nil {
			return nil, err
		}
		b, err := os.ReadFile(tlsCA)
		if err != nil {
			return nil, err
		}
		caPEM = append(caPEM, b...)
		s.certFile, s.keyFile = certFile, keyFile
	}
	s.caFile = filepath.Join(s.dir, "tsa-ca.pem")
	if err := os.WriteFile(s.caFile, caPEM, 0o600); err != nil {
		return nil, err
	}
	s.roots = x509.NewCertPool()
	s.roots.AppendCertsFromPEM(caPEM)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	s.addr = l.Addr().String()
	s.serve(l)
	return s, nil
}

// makeCerts makes the CA and the time-stamping certificate, valid from
// 2000 to 2099 so that fake clocks stay inside, and returns the CA's PEM.
func (s *Server) makeCerts() ([]byte, error) {
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	from, until := time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2099, 12, 31, 0, 0, 0, 0, time.UTC)
	caTmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "navette test TSA CA", Organization: []string{"navette tests"}},
		NotBefore:             from,
		NotAfter:              until,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		return nil, err
	}
	if s.ca, err = x509.ParseCertificate(caDER); err != nil {
		return nil, err
	}
	s.caKey = caKey
	if s.cert, s.key, err = s.Issue(2, nil); err != nil {
		return nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER}), nil
}

// Issue makes a time-stamping certificate like the server's, of serial
// number serial, signed by the server's CA, and its key (ECDSA P-256): of
// subject key identifier ski, or one derived from its key when ski is nil.
func (s *Server) Issue(serial int64, ski []byte) (*x509.Certificate, crypto.Signer, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, err
	}
	eku, err := asn1.Marshal([]asn1.ObjectIdentifier{{1, 3, 6, 1, 5, 5, 7, 3, 8}})
	if err != nil {
		return nil, nil, err
	}
	if ski == nil {
		pub, err := x509.MarshalPKIXPublicKey(key.Public())
		if err != nil {
			return nil, nil, err
		}
		sum := sha256.Sum256(pub)
		ski = sum[:20]
	}
	tmpl := &x509.Certificate{
		SerialNumber:    big.NewInt(serial),
		Subject:         pkix.Name{CommonName: Name, Organization: []string{"navette tests"}, Country: []string{"FR"}},
		NotBefore:       s.ca.NotBefore,
		NotAfter:        s.ca.NotAfter,
		KeyUsage:        x509.KeyUsageDigitalSignature | x509.KeyUsageContentCommitment,
		SubjectKeyId:    ski,
		ExtraExtensions: []pkix.Extension{{Id: asn1.ObjectIdentifier{2, 5, 29, 37}, Critical: true, Value: eku}},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, s.ca, key.Public(), s.caKey)
	if err != nil {
		return nil, nil, err
	}
	cert, err := x509.ParseCertificate(der)
	return cert, key, err
}

// serve serves queries on l.
func (s *Server) serve(l net.Listener) {
	srv := &http.Server{Handler: http.HandlerFunc(s.handle), ReadHeaderTimeout: 10 * time.Second, ErrorLog: log.New(io.Discard, "", 0)}
	done := make(chan struct{})
	s.mu.Lock()
	s.srv, s.done = srv, done
	s.mu.Unlock()
	go func() {
		defer close(done)
		if s.opts.TLS {
			_ = srv.ServeTLS(l, s.certFile, s.keyFile)
		} else {
			_ = srv.Serve(l)
		}
	}()
}

// handle answers one query.
func (s *Server) handle(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	mode, delay := s.mode, s.delay
	s.queries++
	s.mu.Unlock()
	if r.Method != http.MethodPost {
		http.Error(w, "POST a time-stamp query", http.StatusMethodNotAllowed)
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, 64<<10))
	if err != nil {
		return
	}
	if delay > 0 {
		select {
		case <-time.After(delay):
		case <-r.Context().Done():
			return
		}
	}
	var answer []byte
	switch mode {
	case Garbage:
		answer = make([]byte, 200)
		rand.Read(answer)
	case Fail:
		http.Error(w, "the TSA is out of order", http.StatusInternalServerError)
		return
	case Refuse:
		answer, err = timestamp.CreateErrorResponse(timestamp.Rejection, timestamp.BadRequest)
	default:
		answer, err = s.grant(body, mode)
	}
	if err != nil {
		answer, _ = timestamp.CreateErrorResponse(timestamp.Rejection, timestamp.BadDataFormat)
	}
	w.Header().Set("Content-Type", "application/timestamp-reply")
	w.Write(answer)
}

// grant returns a granted answer to the query body, altered as mode says.
func (s *Server) grant(body []byte, mode Mode) ([]byte, error) {
	req, err := timestamp.ParseRequest(body)
	if err != nil {
		return nil, err
	}
	now := time.Now()
	if s.opts.Clock != nil {
		now = s.opts.Clock.Now()
	}
	ts := &timestamp.Timestamp{
		HashAlgorithm:     req.HashAlgorithm,
		HashedMessage:     append([]byte(nil), req.HashedMessage...),
		Time:              now.UTC(),
		Accuracy:          time.Second,
		Policy:            Policy,
		Nonce:             req.Nonce,
		AddTSACertificate: req.Certificates && mode != NoCertificate,
	}
	switch mode {
	case WrongNonce:
		ts.Nonce = new(big.Int).Add(req.Nonce, big.NewInt(1))
	case WrongDigest:
		ts.HashedMessage[0] ^= 1
	}
	answer, err := ts.CreateResponseWithOpts(s.cert, s.key, crypto.SHA256)
	if err != nil {
		return nil, err
	}
	if s.opts.KeyID {
		if answer, err = s.byKeyID(answer); err != nil {
			return nil, err
		}
	}
	s.mu.Lock()
	s.granted++
	s.mu.Unlock()
	return answer, nil
}

// byKeyID returns the granted answer with its token's signer named by
// subject key identifier.
func (s *Server) byKeyID(answer []byte) ([]byte, error) {
	var resp struct {
		Status asn1.RawValue
		Token  asn1.RawValue
	}
	if _, err := asn1.Unmarshal(answer, &resp); err != nil {
		return nil, err
	}
	token, err := ByKeyID(resp.Token.FullBytes, s.cert)
	if err != nil {
		return nil, err
	}
	resp.Token = asn1.RawValue{FullBytes: token}
	return asn1.Marshal(resp)
}

// URL returns the server's address, http://127.0.0.1:PORT/tsa (https with
// Options.TLS).
func (s *Server) URL() string {
	scheme := "http"
	if s.opts.TLS {
		scheme = "https"
	}
	return fmt.Sprintf("%s://%s/tsa", scheme, s.addr)
}

// Addr returns the server's host:port.
func (s *Server) Addr() string { return s.addr }

// CAFile returns the path of a PEM file of the CA that signs the
// time-stamping certificate (and, with Options.TLS, of the CA of the TLS
// certificate).
func (s *Server) CAFile() string { return s.caFile }

// Roots returns the certificates of CAFile as a pool.
func (s *Server) Roots() *x509.CertPool { return s.roots }

// Certificate returns the server's time-stamping certificate.
func (s *Server) Certificate() *x509.Certificate { return s.cert }

// Key returns the key of the server's time-stamping certificate, for
// tests that sign forged tokens with it.
func (s *Server) Key() crypto.Signer { return s.key }

// SetMode makes the server answer the next queries as m says.
func (s *Server) SetMode(m Mode) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.mode = m
}

// SetDelay makes the server wait d before each answer (0: none).
func (s *Server) SetDelay(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.delay = d
}

// Granted returns the number of time-stamps the server has issued.
func (s *Server) Granted() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.granted
}

// Queries returns the number of queries the server has received.
func (s *Server) Queries() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.queries
}

// Stop stops the server: connections are refused until Start.
func (s *Server) Stop() {
	s.mu.Lock()
	srv, done := s.srv, s.done
	s.srv = nil
	s.mu.Unlock()
	if srv == nil {
		return
	}
	_ = srv.Close()
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
		return fmt.Errorf("testtsa: listen on %s again: %w", s.addr, err)
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

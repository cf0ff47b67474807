package app

import (
	"crypto/tls"
	"log/slog"
	"sync"
	"sync/atomic"

	"navette"
)

// tlsSuites are the TLS 1.2 cipher suites the ANSSI recommends (guide
// ANSSI-PA-035): ephemeral elliptic-curve key exchange, AEAD only. TLS 1.3
// suites are all acceptable and not configurable in Go.
var tlsSuites = []uint16{
	tls.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
	tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
	tls.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
	tls.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
	tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
	tls.TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
}

// certificate is the server's TLS certificate, read from PEM files and read
// again on demand: handshakes take whichever is current.
type certificate struct {
	certFile, keyFile string
	log               *slog.Logger

	mu  sync.Mutex // serialises reloads
	cur atomic.Pointer[tls.Certificate]
}

// newCertificate reads the certificate and key files.
func newCertificate(certFile, keyFile string, log *slog.Logger) (*certificate, error) {
	c := &certificate{certFile: certFile, keyFile: keyFile, log: log}
	if err := c.load(); err != nil {
		return nil, err
	}
	return c, nil
}

func (c *certificate) load() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	kp, err := tls.LoadX509KeyPair(c.certFile, c.keyFile)
	if err != nil {
		return navette.WrapError(navette.EINVALID, err, "Cannot read the TLS certificate %s and key %s.", c.certFile, c.keyFile)
	}
	c.cur.Store(&kp)
	return nil
}

// reload reads the files again; if they are unusable the certificate in
// use stays, and the error is logged and returned.
func (c *certificate) reload() error {
	if err := c.load(); err != nil {
		c.log.Error("TLS certificate not reloaded: the current one stays in use", "cert", c.certFile, "key", c.keyFile, "err", err)
		return err
	}
	c.log.Info("TLS certificate reloaded", "cert", c.certFile, "not_after", c.cur.Load().Leaf.NotAfter)
	return nil
}

// config returns the server's TLS configuration: TLS 1.2 at least, with
// the suites above, TLS 1.3 whenever the client offers it, HTTP/1.1.
func (c *certificate) config() *tls.Config {
	return &tls.Config{
		MinVersion:   tls.VersionTLS12,
		CipherSuites: tlsSuites,
		NextProtos:   []string{"http/1.1"},
		GetCertificate: func(*tls.ClientHelloInfo) (*tls.Certificate, error) {
			return c.cur.Load(), nil
		},
	}
}

package testtsa

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/asn1"
	"errors"
	"time"
)

// Forgery is a token altered by a forger, named for what it alters.
type Forgery struct {
	Name  string
	Token []byte
}

// Names of the forgeries KeyIDForgeries makes.
const (
	ForgedUnknownKeyID  = "sid names no certificate of the token"
	ForgedEmptyKeyID    = "sid is an empty key identifier"
	ForgedOtherCert     = "sid names another certificate of the token"
	ForgedTwinKeyID     = "two certificates have the signer's key identifier"
	ForgedV3BySerial    = "version 3 naming its signer by issuer and serial number"
	ForgedV1ByKeyID     = "version 1 naming its signer by key identifier"
	ForgedSignedAttr    = "a signed attribute changed"
	ForgedTSTInfo       = "the TSTInfo changed"
	ForgedESS           = "the ESS signing certificate names another certificate, signed again by the signer"
	ForgedImpostorFirst = "a certificate of the signer's issuer and serial number, by another key, before it"
)

// KeyIDForgeries returns forgeries of token, a token of s whose signer is
// named by subject key identifier (Options.KeyID): each must be refused.
// ForgedESS and ForgedImpostorFirst have their signed attributes signed
// again (with the server's key, and with the impostor's), so that their
// signature holds and they fail only for what they alter.
func (s *Server) KeyIDForgeries(token []byte) ([]Forgery, error) {
	other, _, err := s.Issue(3, nil)
	if err != nil {
		return nil, err
	}
	twin, _, err := s.Issue(4, s.cert.SubjectKeyId)
	if err != nil {
		return nil, err
	}
	policy, err := asn1.Marshal(Policy)
	if err != nil {
		return nil, err
	}
	otherPolicy := bytes.Clone(policy)
	otherPolicy[len(otherPolicy)-1]++
	alter := map[string]func(t *Token) error{
		ForgedUnknownKeyID: func(t *Token) error { t.SID = KeyID(bytes.Repeat([]byte{7}, 20)); return nil },
		ForgedEmptyKeyID:   func(t *Token) error { t.SID = KeyID(nil); return nil },
		ForgedOtherCert: func(t *Token) error {
			t.Certs, t.SID = append(t.Certs, other.Raw), KeyID(other.SubjectKeyId)
			return nil
		},
		ForgedTwinKeyID:  func(t *Token) error { t.Certs = append(t.Certs, twin.Raw); return nil },
		ForgedV3BySerial: func(t *Token) error { t.SID = IssuerSerial(s.cert); return nil },
		ForgedV1ByKeyID:  func(t *Token) error { t.Version = 1; return nil },
		ForgedSignedAttr: func(t *Token) error {
			return t.SetAttr(OIDSigningTime, time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC))
		},
		ForgedTSTInfo: func(t *Token) error {
			if !bytes.Contains(t.Content, policy) {
				return errors.New("testtsa: no policy in the TSTInfo")
			}
			t.Content = bytes.Replace(t.Content, policy, otherPolicy, 1)
			return nil
		},
		ForgedESS: func(t *Token) error {
			t.Certs = append(t.Certs, other.Raw)
			if err := t.SetAttr(OIDSigningCertificateV2, ESSCertIDv2(other)); err != nil {
				return err
			}
			return t.Sign(s.key)
		},
		ForgedImpostorFirst: s.impostorFirst,
	}
	var out []Forgery
	for _, name := range []string{ForgedUnknownKeyID, ForgedEmptyKeyID, ForgedOtherCert, ForgedTwinKeyID, ForgedV3BySerial,
		ForgedV1ByKeyID, ForgedSignedAttr, ForgedTSTInfo, ForgedESS, ForgedImpostorFirst} {
		t, err := ParseToken(token)
		if err != nil {
			return nil, err
		}
		if err := alter[name](t); err != nil {
			return nil, err
		}
		b, err := t.Bytes()
		if err != nil {
			return nil, err
		}
		out = append(out, Forgery{name, b})
	}
	return out, nil
}

// impostorFirst puts before the signer's certificate an impostor: a
// certificate of the same issuer name and serial number, but another key
// and key identifier, issued by a CA of the same name as the server's; the
// signed attributes, naming the impostor in their ESS attribute, are
// signed with its key. The sid still names the server's certificate.
func (s *Server) impostorFirst(t *Token) error {
	fakeKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return err
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return err
	}
	fakeCA := *s.ca
	fakeCA.PublicKey = fakeKey.Public()
	tmpl := *s.cert
	tmpl.SubjectKeyId = bytes.Repeat([]byte{9}, 20)
	der, err := x509.CreateCertificate(rand.Reader, &tmpl, &fakeCA, key.Public(), fakeKey)
	if err != nil {
		return err
	}
	impostor, err := x509.ParseCertificate(der)
	if err != nil {
		return err
	}
	if !bytes.Equal(impostor.RawIssuer, s.cert.RawIssuer) || impostor.SerialNumber.Cmp(s.cert.SerialNumber) != 0 {
		return errors.New("testtsa: the impostor is not of the signer's issuer and serial number")
	}
	t.Certs = append([][]byte{impostor.Raw}, t.Certs...)
	if err := t.SetAttr(OIDSigningCertificateV2, ESSCertIDv2(impostor)); err != nil {
		return err
	}
	return t.Sign(key)
}

// Package totp computes and checks time-based one-time passwords (RFC 6238
// over HOTP, RFC 4226): the second factor partners enrol in an
// authenticator application. Codes have 6 digits, steps last 30 seconds, the
// HMAC is SHA-1 (what every authenticator application supports), and a code
// of the step before or after the current one is accepted to allow for clock
// drift. Callers keep the last step accepted so that no code is used twice.
package totp

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha1"
	"crypto/subtle"
	"encoding/base32"
	"encoding/binary"
	"fmt"
	"net/url"
	"strings"
	"time"
)

// Parameters of the codes.
const (
	Digits     = 6
	Period     = 30 * time.Second
	SecretSize = 20 // bytes: 160 bits, as RFC 4226 recommends
	Skew       = 1  // steps accepted on each side of the current one
)

// NewSecret returns a new random secret.
func NewSecret() []byte {
	b := make([]byte, SecretSize)
	rand.Read(b)
	return b
}

// Step returns the time step t falls in.
func Step(t time.Time) int64 { return t.Unix() / int64(Period/time.Second) }

// Code returns the code of secret at step, as Digits decimal digits.
func Code(secret []byte, step int64) string {
	return hotp(secret, uint64(step), Digits)
}

func hotp(secret []byte, counter uint64, digits int) string {
	var msg [8]byte
	binary.BigEndian.PutUint64(msg[:], counter)
	m := hmac.New(sha1.New, secret)
	m.Write(msg[:])
	sum := m.Sum(nil)
	off := sum[len(sum)-1] & 0x0f
	v := binary.BigEndian.Uint32(sum[off:off+4]) & 0x7fffffff
	mod := uint32(1)
	for range digits {
		mod *= 10
	}
	return fmt.Sprintf("%0*d", digits, v%mod)
}

// Verify reports whether code is the code of secret at now, or within Skew
// steps of it, at a step later than last (the last step accepted before, 0
// if none), and returns the step it matched. Every candidate is compared in
// constant time.
func Verify(secret []byte, code string, now time.Time, last int64) (int64, bool) {
	matched, ok, _ := match(secret, code, now, last)
	return matched, ok
}

// Reused reports whether code, which Verify refused, is the code of secret
// at a step it would otherwise accept but which is not later than last: a
// code used already, given again within its window.
func Reused(secret []byte, code string, now time.Time, last int64) bool {
	_, ok, reused := match(secret, code, now, last)
	return !ok && reused
}

// match compares code with the codes of secret within Skew steps of now:
// the first step later than last it matches, and whether it matches one
// not later than last. Every candidate is compared in constant time.
func match(secret []byte, code string, now time.Time, last int64) (matched int64, ok, reused bool) {
	code = strings.ReplaceAll(strings.TrimSpace(code), " ", "")
	if len(code) != Digits {
		return 0, false, false
	}
	cur := Step(now)
	fresh, old := 0, 0
	for s := cur - Skew; s <= cur+Skew; s++ {
		eq := subtle.ConstantTimeCompare([]byte(Code(secret, s)), []byte(code))
		if eq == 1 && s > last && fresh == 0 {
			matched, fresh = s, 1
		}
		if eq == 1 && s <= last {
			old = 1
		}
	}
	return matched, fresh == 1, old == 1
}

// EncodeSecret returns secret in the unpadded base32 authenticator
// applications take.
func EncodeSecret(secret []byte) string {
	return base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(secret)
}

// URI returns the otpauth:// URI of secret (Key Uri Format, as read by
// authenticator applications from a QR code), labelled issuer:account.
func URI(secret []byte, issuer, account string) string {
	v := url.Values{}
	v.Set("secret", EncodeSecret(secret))
	v.Set("issuer", issuer)
	v.Set("algorithm", "SHA1")
	v.Set("digits", fmt.Sprint(Digits))
	v.Set("period", fmt.Sprint(int(Period/time.Second)))
	u := url.URL{Scheme: "otpauth", Host: "totp", Path: "/" + issuer + ":" + account, RawQuery: v.Encode()}
	return u.String()
}

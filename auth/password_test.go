package auth

import (
	"context"
	"net/netip"
	"testing"
	"time"

	"navette"
)

// slowDirectory refuses every password, after binding (delay) for the
// logins it knows and at once for the others, as an LDAP directory does:
// a search, and a bind only when the search found the person.
type slowDirectory struct {
	known string
	delay time.Duration
}

func (d slowDirectory) CheckPassword(_ context.Context, login, _ string) (string, error) {
	if login == d.known {
		time.Sleep(d.delay)
	}
	return "", navette.Errorf(navette.EUNAUTHORIZED, "wrong")
}

// TestPasswordRefusalsTakeTheSameTime: a refused directory password takes
// at least AnswerTime, like a refused code, so that the bind the directory
// makes only for a login it knows does not tell which logins exist.
func TestPasswordRefusalsTakeTheSameTime(t *testing.T) {
	s := &Service{Clock: navette.SystemClock{}, LDAP: slowDirectory{known: "jdupont", delay: 20 * time.Millisecond},
		Config: Config{AnswerTime: 150 * time.Millisecond}}
	s.Init()
	for _, login := range []string{"jdupont", "nobody"} {
		start := time.Now()
		_, err := s.PasswordSignIn(context.Background(), login, "secret", "192.0.2.1")
		if took := time.Since(start); !navette.IsCode(err, navette.EUNAUTHORIZED) || took < s.Config.AnswerTime {
			t.Errorf("%s: %v after %v, want EUNAUTHORIZED after %v at least", login, err, took, s.Config.AnswerTime)
		}
	}
}

// TestAddressLimitsHoldAcrossAnIPv6Network: the per-address limits count
// an IPv6 client by its /64, the network one subscriber gets, not by the
// whole address, of which they hold 2^64: otherwise each attempt could
// come from an address of its own, and the limits would bound nothing.
func TestAddressLimitsHoldAcrossAnIPv6Network(t *testing.T) {
	s := &Service{Clock: navette.SystemClock{}, LDAP: slowDirectory{}, Config: Config{AnswerTime: time.Nanosecond, PerIPPerHour: 2}}
	s.Init()
	var err error
	for i := range 21 {
		ip := netip.AddrFrom16([16]byte{0x20, 0x01, 0x0d, 0xb8, 15: byte(i + 1)}).String()
		_, err = s.PasswordSignIn(context.Background(), "jdupont", "secret", ip)
	}
	if !navette.IsCode(err, navette.ETOOMANY) {
		t.Errorf("the 21st attempt from one /64: %v, want ETOOMANY", err)
	}
	if _, err := s.PasswordSignIn(context.Background(), "jdupont", "secret", "2001:db8:0:1::1"); !navette.IsCode(err, navette.EUNAUTHORIZED) {
		t.Errorf("another /64: %v, want EUNAUTHORIZED", err)
	}
	if _, err := s.PasswordSignIn(context.Background(), "jdupont", "secret", "192.0.2.7"); !navette.IsCode(err, navette.EUNAUTHORIZED) {
		t.Errorf("an IPv4 address: %v, want EUNAUTHORIZED", err)
	}
}

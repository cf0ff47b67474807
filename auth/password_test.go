package auth

import (
	"context"
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

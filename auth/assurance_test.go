package auth

import (
	"testing"
	"time"

	"navette"
)

func TestParseMinAssurance(t *testing.T) {
	for _, c := range []struct {
		in   string
		want map[navette.Role]navette.Assurance
		ok   bool
	}{
		{"", map[navette.Role]navette.Assurance{}, true},
		{"admin=high", map[navette.Role]navette.Assurance{navette.RoleAdmin: navette.AssuranceHigh}, true},
		{" admin = HIGH , partner=substantial", map[navette.Role]navette.Assurance{navette.RoleAdmin: navette.AssuranceHigh, navette.RolePartner: navette.AssuranceSubstantial}, true},
		{"admin", nil, false},
		{"service=high", nil, false},
		{"root=high", nil, false},
		{"admin=strong", nil, false},
		{"admin=high,admin=low", nil, false},
	} {
		got, err := ParseMinAssurance(c.in)
		if (err == nil) != c.ok {
			t.Errorf("ParseMinAssurance(%q): %v", c.in, err)
			continue
		}
		if err != nil {
			if !navette.IsCode(err, navette.EINVALID) {
				t.Errorf("ParseMinAssurance(%q): %v, want EINVALID", c.in, err)
			}
			continue
		}
		if len(got) != len(c.want) {
			t.Errorf("ParseMinAssurance(%q) = %v, want %v", c.in, got, c.want)
		}
		for r, a := range c.want {
			if got[r] != a {
				t.Errorf("ParseMinAssurance(%q)[%s] = %q, want %q", c.in, r, got[r], a)
			}
		}
	}
}

func FuzzParseMinAssurance(f *testing.F) {
	for _, s := range []string{"", "admin=high", "admin=high,partner=substantial", "=", ",,", "agent=low,agent=low"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		m, err := ParseMinAssurance(s)
		if err != nil {
			return
		}
		for r, a := range m {
			if !r.CanSignIn() || a.Rank() == 0 {
				t.Fatalf("ParseMinAssurance(%q) kept %q=%q", s, r, a)
			}
		}
	})
}

func TestCheckAssurance(t *testing.T) {
	s := &Service{Config: Config{MinAssurance: map[navette.Role]navette.Assurance{navette.RoleAdmin: navette.AssuranceHigh, navette.RolePartner: navette.AssuranceSubstantial}}}
	full := func(method string) *navette.Session {
		return &navette.Session{Stage: navette.StageFull, Method: method, CreatedAt: time.Now()}
	}
	admin, partner, agent := &navette.User{Role: navette.RoleAdmin}, &navette.User{Role: navette.RolePartner}, &navette.User{Role: navette.RoleAgent}
	for _, c := range []struct {
		u    *navette.User
		sess *navette.Session
		ok   bool
	}{
		{admin, full("passkey"), true},
		{admin, full("code+passkey"), true},
		{admin, full("code+totp"), false},
		{admin, full("oidc"), false},
		{admin, nil, true}, // an API token
		{partner, full("code+totp"), true},
		{partner, full("code"), false},
		{partner, full("ldap"), false},
		{agent, full("ldap"), true},
		{admin, &navette.Session{Stage: navette.StageSecondFactor, Method: "code"}, true},
	} {
		err := s.CheckAssurance(c.u, c.sess)
		if (err == nil) != c.ok || (err != nil && !navette.IsCode(err, navette.EFORBIDDEN)) {
			method := ""
			if c.sess != nil {
				method = c.sess.Method
			}
			t.Errorf("CheckAssurance(%s, %q) = %v", c.u.Role, method, err)
		}
	}
}

// TestMinimumAssurancePolicy: the stronger of the operator's flag and the
// security policy applies, role by role.
func TestMinimumAssurancePolicy(t *testing.T) {
	s := &Service{Config: Config{MinAssurance: map[navette.Role]navette.Assurance{navette.RoleAdmin: navette.AssuranceHigh, navette.RolePartner: navette.AssuranceLow}}}
	policy := map[navette.Role]navette.Assurance{navette.RoleAdmin: navette.AssuranceSubstantial, navette.RolePartner: navette.AssuranceHigh, navette.RoleAgent: navette.AssuranceSubstantial}
	s.PolicyMinimum = func(r navette.Role) navette.Assurance { return policy[r] }
	for _, c := range []struct {
		role navette.Role
		want navette.Assurance
	}{
		{navette.RoleAdmin, navette.AssuranceHigh},
		{navette.RolePartner, navette.AssuranceHigh},
		{navette.RoleAgent, navette.AssuranceSubstantial},
		{navette.RoleAuditor, ""},
	} {
		if got := s.MinimumAssurance(&navette.User{Role: c.role}); got != c.want {
			t.Errorf("MinimumAssurance(%s) = %q, want %q", c.role, got, c.want)
		}
	}
}

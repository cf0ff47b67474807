package auth

import (
	"strings"

	"navette"
)

// MinimumAssurance returns the weakest sign-in the role of u accepts: the
// stronger of the operator's (Config.MinAssurance) and the security
// policy's (PolicyMinimum), "" if any.
func (s *Service) MinimumAssurance(u *navette.User) navette.Assurance {
	min := s.Config.MinAssurance[u.Role]
	if s.PolicyMinimum != nil {
		min = navette.StrongerAssurance(min, s.PolicyMinimum(u.Role))
	}
	return min
}

// CheckAssurance returns nil if the full session sess of u was established
// by a method at least as strong as the minimum of u's role, and EFORBIDDEN
// otherwise: such a session may only reach "Mon compte", to add a passkey,
// and sign out. Requests without a session (API tokens) are not checked:
// their owner made them from a session that passed.
func (s *Service) CheckAssurance(u *navette.User, sess *navette.Session) error {
	if u == nil || sess == nil || sess.Stage != navette.StageFull {
		return nil
	}
	min := s.MinimumAssurance(u)
	if min == "" || navette.MethodAssurance(sess.Method).AtLeast(min) {
		return nil
	}
	return navette.Errorf(navette.EFORBIDDEN, "Your role needs a stronger sign-in: add a passkey in your account, then sign in with it.")
}

// ParseMinAssurance reads the minimum assurance of roles, as the operator
// gives it: "ROLE=LEVEL,…" such as "admin=high,partner=substantial".
// Returns EINVALID for an unknown role or level, or a role given twice.
func ParseMinAssurance(s string) (map[navette.Role]navette.Assurance, error) {
	out := map[navette.Role]navette.Assurance{}
	if strings.TrimSpace(s) == "" {
		return out, nil
	}
	for _, part := range strings.Split(s, ",") {
		role, level, ok := strings.Cut(strings.TrimSpace(part), "=")
		r := navette.Role(strings.TrimSpace(role))
		if !ok || !r.CanSignIn() {
			return nil, navette.Errorf(navette.EINVALID, "The minimum assurance must read ROLE=LEVEL,… with a role that signs in (agent, court_admin, partner, admin, auditor), not %q.", part)
		}
		if _, dup := out[r]; dup {
			return nil, navette.Errorf(navette.EINVALID, "The minimum assurance of %s is given twice.", r)
		}
		a, err := navette.ParseAssurance(level)
		if err != nil {
			return nil, err
		}
		out[r] = a
	}
	return out, nil
}

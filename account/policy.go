package account

import (
	"context"
	"strconv"
	"sync"
	"time"

	"navette"
)

// The platform's security policy (navette.Policy) changes only through a
// request a second admin approves: ActionPolicyAssurance and
// ActionPolicyAntivirus. Each node reads it through a cache of PolicyTTL:
// the node that executes a change applies it at once, the others within
// PolicyTTL.

// DefaultPolicyTTL is how long a node uses the policy it read before it
// reads it again: the longest a change made on one node takes to apply on
// the others.
const DefaultPolicyTTL = 30 * time.Second

// policyCache is the policy this node last read, and when.
type policyCache struct {
	mu sync.Mutex
	p  *navette.Policy
	at time.Time
}

// Policy returns the platform's security policy, read from the store at
// most every PolicyTTL. When the store fails, the policy last read is
// returned (and the failure logged); the error only when none ever was.
// A store that keeps no policy has the zero Policy.
func (s *Service) Policy(ctx context.Context) (*navette.Policy, error) {
	ps, ok := s.Meta.(navette.PolicyStore)
	if !ok {
		return &navette.Policy{}, nil
	}
	ttl := s.PolicyTTL
	if ttl <= 0 {
		ttl = DefaultPolicyTTL
	}
	now := s.Clock.Now()
	c := &s.policy
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.p != nil && now.Sub(c.at) < ttl && !now.Before(c.at) {
		return c.p, nil
	}
	p, err := ps.Policy(ctx)
	if err != nil {
		if c.p != nil {
			s.log().ErrorContext(ctx, "account: the security policy cannot be read: the one last read applies", "err", err)
			return c.p, nil
		}
		return nil, err
	}
	c.p, c.at = p, now
	return p, nil
}

// forgetPolicy makes the next Policy read the store.
func (s *Service) forgetPolicy() {
	s.policy.mu.Lock()
	s.policy.p = nil
	s.policy.mu.Unlock()
}

// MinimumAssurance returns the policy's minimum assurance of role, "" if
// none; the policy last read if the store fails, and none if it never
// could be read (the start-up read, which fails the start, makes that
// case not arise in a server).
func (s *Service) MinimumAssurance(role navette.Role) navette.Assurance {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	p, err := s.Policy(ctx)
	if err != nil {
		return ""
	}
	return p.Minimum(role)
}

// AntivirusBypassed reports whether the policy offers files unscanned
// although an antivirus is configured; false if it cannot be read.
func (s *Service) AntivirusBypassed() bool {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	p, err := s.Policy(ctx)
	return err == nil && p.AntivirusBypass
}

// ShowPolicy returns the security policy as stored now, for a platform
// admin. Returns EFORBIDDEN unless actor is a platform admin.
func (s *Service) ShowPolicy(ctx context.Context, actor *navette.User) (*navette.Policy, error) {
	if err := platformAdmin(actor); err != nil {
		return nil, err
	}
	s.forgetPolicy()
	return s.Policy(ctx)
}

// RequestPolicyAssurance records a request by actor to set the minimum
// assurance of role to level ("" removes the policy's minimum), which
// another platform admin must approve; with the two-person rule off it
// applies it and returns nil. Returns EFORBIDDEN unless actor is a platform
// admin, EINVALID for a role that does not sign in or an unknown level,
// ECONFLICT if the policy says so already.
func (s *Service) RequestPolicyAssurance(ctx context.Context, actor *navette.User, role navette.Role, level navette.Assurance, reason string) (*navette.AdminRequest, error) {
	if err := platformAdmin(actor); err != nil {
		return nil, err
	}
	if !role.CanSignIn() {
		return nil, navette.Errorf(navette.EINVALID, "A minimum assurance is set for a role that signs in (agent, court_admin, partner, admin, auditor), not %q.", role)
	}
	if level != "" {
		var err error
		if level, err = navette.ParseAssurance(string(level)); err != nil {
			return nil, err
		}
	}
	cur, err := s.ShowPolicy(ctx, actor)
	if err != nil {
		return nil, err
	}
	if cur.Minimum(role) == level {
		return nil, navette.Errorf(navette.ECONFLICT, "The policy says so already.")
	}
	return s.proposePolicy(ctx, actor, navette.ActionPolicyAssurance, navette.AssuranceParams{Role: role, Level: level}, reason)
}

// RequestPolicyAntivirus records a request by actor to let files be
// offered unscanned although an antivirus is configured (bypass), or to
// scan them again, which another platform admin must approve; with the
// two-person rule off it applies it and returns nil. Returns EFORBIDDEN
// unless actor is a platform admin, ECONFLICT if the policy says so
// already.
func (s *Service) RequestPolicyAntivirus(ctx context.Context, actor *navette.User, bypass bool, reason string) (*navette.AdminRequest, error) {
	cur, err := s.ShowPolicy(ctx, actor)
	if err != nil {
		return nil, err
	}
	if cur.AntivirusBypass == bypass {
		return nil, navette.Errorf(navette.ECONFLICT, "The policy says so already.")
	}
	return s.proposePolicy(ctx, actor, navette.ActionPolicyAntivirus, navette.AntivirusParams{Bypass: bypass}, reason)
}

// proposePolicy records the request, or with the rule off applies it at
// once as actor's own act.
func (s *Service) proposePolicy(ctx context.Context, actor *navette.User, action navette.RequestAction, params any, reason string) (*navette.AdminRequest, error) {
	if s.TwoPerson() {
		return s.propose(ctx, actor, action, params, "", reason)
	}
	if _, err := checkReason(reason); err != nil {
		return nil, err
	}
	p, _, err := navette.CanonicalParams(params)
	if err != nil {
		return nil, err
	}
	return nil, s.applyPolicy(ctx, actor, &navette.AdminRequest{Action: action, Params: p})
}

// applyPolicy changes the policy as r asks, with actor as the event's
// actor, and forgets the policy this node read.
func (s *Service) applyPolicy(ctx context.Context, actor *navette.User, r *navette.AdminRequest) error {
	ps, ok := s.Meta.(navette.PolicyStore)
	if !ok {
		return navette.Errorf(navette.ENOTIMPLEMENTED, "This store keeps no security policy.")
	}
	change, err := policyChange(r)
	if err != nil {
		return err
	}
	now := s.Clock.Now()
	defer s.forgetPolicy()
	return ps.UpdatePolicy(ctx, func(p *navette.Policy) ([]navette.Event, error) {
		detail := change(p)
		p.UpdatedAt, p.UpdatedBy, p.RequestID = now, actor.ID, r.ID
		if r.ID != "" {
			detail = r.ID + " " + detail
		}
		return []navette.Event{{Time: now, Type: navette.EventPolicyChanged, ActorID: actor.ID, Detail: detail}}, nil
	})
}

// policyChange returns the change r's parameters make to a policy, which
// returns the event's detail.
func policyChange(r *navette.AdminRequest) (func(p *navette.Policy) string, error) {
	switch r.Action {
	case navette.ActionPolicyAssurance:
		var a navette.AssuranceParams
		if err := DecodeParams(r, &a); err != nil {
			return nil, err
		}
		return func(p *navette.Policy) string {
			if p.MinAssurance == nil {
				p.MinAssurance = map[navette.Role]navette.Assurance{}
			}
			if a.Level == "" {
				delete(p.MinAssurance, a.Role)
			} else {
				p.MinAssurance[a.Role] = a.Level
			}
			return "min_assurance " + string(a.Role) + "=" + string(a.Level)
		}, nil
	case navette.ActionPolicyAntivirus:
		var a navette.AntivirusParams
		if err := DecodeParams(r, &a); err != nil {
			return nil, err
		}
		return func(p *navette.Policy) string {
			p.AntivirusBypass = a.Bypass
			return "antivirus_bypass=" + strconv.FormatBool(a.Bypass)
		}, nil
	}
	return nil, navette.Errorf(navette.EINVALID, "Requests of action %q do not change the policy.", r.Action)
}

package storetest

import (
	"sync"
	"testing"

	"navette"
)

// TestPolicyStore runs the conformance suite for navette.PolicyStore: the
// platform's security policy. open is as for TestMetaStore.
func TestPolicyStore(t *testing.T, open func(t *testing.T) navette.MetaStore) {
	runMeta(t, open, []metaTest{
		{"Policy", testMetaPolicy},
		{"PolicyInvalid", testMetaPolicyInvalid},
		{"PolicyConcurrent", testMetaPolicyConcurrent},
	})
}

func (m *metaFixture) policyStore() navette.PolicyStore {
	m.t.Helper()
	ps, ok := m.s.(navette.PolicyStore)
	if !ok {
		m.t.Fatalf("%T does not implement navette.PolicyStore", m.s)
	}
	return ps
}

// testMetaPolicy: a fresh store has the zero policy; an update reads back
// with its event in the same transaction; a failing fn changes nothing;
// a role's minimum removed is gone.
func testMetaPolicy(t *testing.T, m *metaFixture) {
	ps := m.policyStore()
	p, err := ps.Policy(m.ctx)
	if err != nil || p.AntivirusBypass || len(p.MinAssurance) != 0 || !p.UpdatedAt.IsZero() || p.UpdatedBy != "" || p.RequestID != "" {
		t.Fatalf("fresh Policy = %+v, %v; want the zero policy", p, err)
	}
	alice := m.user("Alice")
	now := m.now()
	err = ps.UpdatePolicy(m.ctx, func(p *navette.Policy) ([]navette.Event, error) {
		p.MinAssurance[navette.RoleAdmin] = navette.AssuranceHigh
		p.MinAssurance[navette.RolePartner] = navette.AssuranceSubstantial
		p.AntivirusBypass, p.UpdatedAt, p.UpdatedBy, p.RequestID = true, now, alice.ID, "req-1"
		return []navette.Event{{Time: now, Type: navette.EventPolicyChanged, ActorID: alice.ID, Detail: "req-1 antivirus_bypass=true"}}, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	p, err = ps.Policy(m.ctx)
	if err != nil || !p.AntivirusBypass || p.Minimum(navette.RoleAdmin) != navette.AssuranceHigh ||
		p.Minimum(navette.RolePartner) != navette.AssuranceSubstantial || p.Minimum(navette.RoleAgent) != "" ||
		!p.UpdatedAt.Equal(now) || p.UpdatedBy != alice.ID || p.RequestID != "req-1" {
		t.Errorf("Policy = %+v, %v", p, err)
	}
	if evs := m.events(""); len(evs) != 1 || evs[0].Type != navette.EventPolicyChanged {
		t.Errorf("events = %+v", evs)
	}
	err = ps.UpdatePolicy(m.ctx, func(p *navette.Policy) ([]navette.Event, error) {
		p.AntivirusBypass = false
		return nil, navette.Errorf(navette.ECONFLICT, "no")
	})
	if !navette.IsCode(err, navette.ECONFLICT) {
		t.Errorf("UpdatePolicy with a failing fn = %v", err)
	}
	if p, _ := ps.Policy(m.ctx); !p.AntivirusBypass {
		t.Error("a failing fn changed the policy")
	}
	later := now.Add(1)
	err = ps.UpdatePolicy(m.ctx, func(p *navette.Policy) ([]navette.Event, error) {
		delete(p.MinAssurance, navette.RolePartner)
		p.AntivirusBypass, p.UpdatedAt, p.RequestID = false, later, "req-2"
		return nil, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if p, err := ps.Policy(m.ctx); err != nil || p.AntivirusBypass || len(p.MinAssurance) != 1 || p.RequestID != "req-2" {
		t.Errorf("after removal, Policy = %+v, %v", p, err)
	}
}

// testMetaPolicyInvalid: storage refuses a policy it cannot keep, and
// keeps the one it had.
func testMetaPolicyInvalid(t *testing.T, m *metaFixture) {
	ps := m.policyStore()
	tests := []struct {
		name string
		mod  func(p *navette.Policy)
	}{
		{"no time", func(p *navette.Policy) { p.MinAssurance[navette.RoleAdmin] = navette.AssuranceHigh }},
		{"unknown level", func(p *navette.Policy) { p.UpdatedAt, p.MinAssurance[navette.RoleAdmin] = m.now(), "total" }},
		{"role that does not sign in", func(p *navette.Policy) {
			p.UpdatedAt, p.MinAssurance[navette.RoleService] = m.now(), navette.AssuranceHigh
		}},
	}
	for _, tt := range tests {
		err := ps.UpdatePolicy(m.ctx, func(p *navette.Policy) ([]navette.Event, error) { tt.mod(p); return nil, nil })
		if !navette.IsCode(err, navette.EINVALID) {
			t.Errorf("%s: UpdatePolicy = %v, want EINVALID", tt.name, err)
		}
	}
	if p, err := ps.Policy(m.ctx); err != nil || len(p.MinAssurance) != 0 || !p.UpdatedAt.IsZero() {
		t.Errorf("after refusals, Policy = %+v, %v", p, err)
	}
}

// testMetaPolicyConcurrent: concurrent updates of different roles are
// serialized: none is lost.
func testMetaPolicyConcurrent(t *testing.T, m *metaFixture) {
	ps := m.policyStore()
	roles := []navette.Role{navette.RoleAgent, navette.RolePartner, navette.RoleAdmin, navette.RoleCourtAdmin, navette.RoleAuditor}
	var wg sync.WaitGroup
	errs := make([]error, len(roles))
	for i, role := range roles {
		wg.Go(func() {
			errs[i] = ps.UpdatePolicy(m.ctx, func(p *navette.Policy) ([]navette.Event, error) {
				p.MinAssurance[role], p.UpdatedAt = navette.AssuranceHigh, m.now()
				return nil, nil
			})
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("UpdatePolicy(%s) = %v", roles[i], err)
		}
	}
	if p, err := ps.Policy(m.ctx); err != nil || len(p.MinAssurance) != len(roles) {
		t.Errorf("Policy = %+v, %v; want every role's minimum", p, err)
	}
}

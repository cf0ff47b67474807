package account_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"navette"
	"navette/account"
)

// TestPolicyRequests: a change of the security policy is a request until
// another platform admin approves it; its requester, a court admin or an
// agent cannot; it runs once, applies at once on the node that executes
// it, and the journal links request, approval, change and execution.
func TestPolicyRequests(t *testing.T) {
	f := newTwoPerson(t)
	tests := []struct {
		name    string
		request func() (*navette.AdminRequest, error)
		applied func(p *navette.Policy) bool
		detail  string
	}{
		{"assurance", func() (*navette.AdminRequest, error) {
			return f.s.RequestPolicyAssurance(f.ctx, f.admin, navette.RolePartner, navette.AssuranceHigh, "hameçonnage")
		}, func(p *navette.Policy) bool { return p.Minimum(navette.RolePartner) == navette.AssuranceHigh }, "min_assurance partner=high"},
		{"antivirus", func() (*navette.AdminRequest, error) {
			return f.s.RequestPolicyAntivirus(f.ctx, f.admin, true, "clamd en panne")
		}, func(p *navette.Policy) bool { return p.AntivirusBypass }, "antivirus_bypass=true"},
		{"assurance removed", func() (*navette.AdminRequest, error) {
			return f.s.RequestPolicyAssurance(f.ctx, f.admin, navette.RolePartner, "", "")
		}, func(p *navette.Policy) bool { return p.Minimum(navette.RolePartner) == "" }, "min_assurance partner="},
	}
	for _, tt := range tests {
		r, err := tt.request()
		if err != nil || r == nil || r.State != navette.RequestPending {
			t.Fatalf("%s: request = %+v, %v", tt.name, r, err)
		}
		if p, _ := f.s.Policy(f.ctx); tt.applied(p) {
			t.Fatalf("%s: applied before approval", tt.name)
		}
		for _, who := range []*navette.User{f.admin, f.ca, f.clerk} {
			if _, err := f.s.Approve(f.ctx, who, r.ID, nil); !navette.IsCode(err, navette.EFORBIDDEN) && !navette.IsCode(err, navette.ENOTFOUND) {
				t.Errorf("%s: %s approving = %v, want EFORBIDDEN or ENOTFOUND", tt.name, who.Email, err)
			}
		}
		if p, _ := f.s.Policy(f.ctx); tt.applied(p) {
			t.Fatalf("%s: applied after refused approvals", tt.name)
		}
		got, err := f.s.Approve(f.ctx, f.admin2, r.ID, r.ParamsHash)
		if err != nil || got.State != navette.RequestExecuted {
			t.Fatalf("%s: Approve = %+v, %v", tt.name, got, err)
		}
		p, err := f.s.Policy(f.ctx)
		if err != nil || !tt.applied(p) || p.RequestID != r.ID || p.UpdatedBy != f.admin.ID {
			t.Errorf("%s: after approval, policy %+v, %v", tt.name, p, err)
		}
		if _, err := f.s.Approve(f.ctx, f.admin2, r.ID, nil); !navette.IsCode(err, navette.ECONFLICT) {
			t.Errorf("%s: a second execution = %v, want ECONFLICT", tt.name, err)
		}
		linked, _ := f.journal(r.ID, "")
		var types []navette.EventType
		for _, e := range linked {
			types = append(types, e.Type)
		}
		want := []navette.EventType{navette.EventRequestCreated, navette.EventRequestApproved, navette.EventPolicyChanged, navette.EventRequestExecuted}
		if !slices.Equal(types, want) || linked[2].Detail != r.ID+" "+tt.detail || linked[2].ActorID != f.admin.ID {
			t.Errorf("%s: journal %+v, want %v", tt.name, linked, want)
		}
	}
}

// TestPolicyRefused: only platform admins ask, for roles that sign in and
// known levels, and only for a change.
func TestPolicyRefused(t *testing.T) {
	f := newTwoPerson(t)
	tests := []struct {
		name string
		err  func() error
		code string
	}{
		{"court admin", func() error {
			_, err := f.s.RequestPolicyAssurance(f.ctx, f.ca, navette.RoleAgent, navette.AssuranceLow, "")
			return err
		}, navette.EFORBIDDEN},
		{"agent", func() error { _, err := f.s.RequestPolicyAntivirus(f.ctx, f.clerk, true, ""); return err }, navette.EFORBIDDEN},
		{"service role", func() error {
			_, err := f.s.RequestPolicyAssurance(f.ctx, f.admin, navette.RoleService, navette.AssuranceHigh, "")
			return err
		}, navette.EINVALID},
		{"unknown level", func() error {
			_, err := f.s.RequestPolicyAssurance(f.ctx, f.admin, navette.RoleAgent, "total", "")
			return err
		}, navette.EINVALID},
		{"no change of level", func() error {
			_, err := f.s.RequestPolicyAssurance(f.ctx, f.admin, navette.RoleAgent, "", "")
			return err
		}, navette.ECONFLICT},
		{"no change of antivirus", func() error { _, err := f.s.RequestPolicyAntivirus(f.ctx, f.admin, false, ""); return err }, navette.ECONFLICT},
	}
	for _, tt := range tests {
		if err := tt.err(); !navette.IsCode(err, tt.code) {
			t.Errorf("%s: %v, want %s", tt.name, err, tt.code)
		}
	}
}

// TestPolicyCache: another node (a second service on the same database)
// sees a change within PolicyTTL, not before; with the rule off, a change
// applies at once, journaled as the admin's own.
func TestPolicyCache(t *testing.T) {
	f := newTwoPerson(t)
	f.s.Approvals = 1
	other := &account.Service{Meta: f.meta, Clock: f.clock, PolicyTTL: time.Minute}
	if got := other.MinimumAssurance(navette.RoleAgent); got != "" {
		t.Fatalf("fresh minimum = %q", got)
	}
	if r, err := f.s.RequestPolicyAssurance(f.ctx, f.admin, navette.RoleAgent, navette.AssuranceSubstantial, ""); err != nil || r != nil {
		t.Fatalf("with the rule off: %+v, %v", r, err)
	}
	if got := f.s.MinimumAssurance(navette.RoleAgent); got != navette.AssuranceSubstantial {
		t.Errorf("on the node that changed it: %q", got)
	}
	if got := other.MinimumAssurance(navette.RoleAgent); got != "" {
		t.Errorf("on another node before its TTL: %q (its cache was read before the change)", got)
	}
	f.clock.Advance(time.Minute)
	if got := other.MinimumAssurance(navette.RoleAgent); got != navette.AssuranceSubstantial {
		t.Errorf("on another node after its TTL: %q", got)
	}
	_, changed := f.journal("", navette.EventPolicyChanged)
	if len(changed) != 1 || changed[0].ActorID != f.admin.ID || changed[0].Detail != "min_assurance agent=substantial" {
		t.Errorf("journal: %+v", changed)
	}
}

// TestKeyRotateRequest: without a keyring the request is refused; with
// the rule off the key is made at once, journaled by the admin; another
// key than the journal's is refused.
func TestKeyRotateRequest(t *testing.T) {
	f := newTwoPerson(t)
	if _, err := f.s.RequestKeyRotate(f.ctx, f.admin, account.JournalKey, ""); !navette.IsCode(err, navette.ENOTIMPLEMENTED) {
		t.Errorf("without a keyring: %v", err)
	}
	n := 0
	f.s.RotateJournalKey = func(ctx context.Context, ev navette.Event) (string, error) {
		n++
		ev.Time, ev.Detail = f.s.Clock.Now(), ev.Detail+" verifier+1"
		return "verifier+1", f.s.Meta.AppendEvents(ctx, ev)
	}
	if _, err := f.s.RequestKeyRotate(f.ctx, f.admin, "tls", ""); !navette.IsCode(err, navette.EINVALID) {
		t.Errorf("another key: %v", err)
	}
	if _, err := f.s.RequestKeyRotate(f.ctx, f.ca, account.JournalKey, ""); !navette.IsCode(err, navette.EFORBIDDEN) {
		t.Errorf("a court admin: %v", err)
	}
	f.s.Approvals = 1
	if r, err := f.s.RequestKeyRotate(f.ctx, f.admin, account.JournalKey, ""); err != nil || r != nil || n != 1 {
		t.Fatalf("with the rule off: %+v, %v, %d rotations", r, err, n)
	}
	_, rotated := f.journal("", navette.EventKeyRotated)
	if len(rotated) != 1 || rotated[0].ActorID != f.admin.ID || rotated[0].Detail != "journal verifier+1" {
		t.Errorf("journal: %+v", rotated)
	}
}

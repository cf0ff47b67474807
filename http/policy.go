package http

import (
	"net/http"

	"navette"
	"navette/api"
)

// policyJSON is p as the API shows it.
func policyJSON(p *navette.Policy) api.Policy {
	out := api.Policy{MinAssurance: map[string]string{}, AntivirusBypass: p.AntivirusBypass, UpdatedBy: p.UpdatedBy, RequestID: p.RequestID}
	for _, role := range p.Roles() {
		out.MinAssurance[string(role)] = string(p.Minimum(role))
	}
	if !p.UpdatedAt.IsZero() {
		t := p.UpdatedAt.UTC()
		out.UpdatedAt = &t
	}
	return out
}

func (s *Server) handleGetPolicy(w http.ResponseWriter, r *http.Request) {
	p, err := s.Accounts.ShowPolicy(r.Context(), navette.UserFromContext(r.Context()))
	writeResult(s, w, r, p, err, policyJSON)
}

func (s *Server) handleChangePolicy(w http.ResponseWriter, r *http.Request) {
	var in api.PolicyChange
	if !s.readJSON(w, r, &in) {
		return
	}
	actor := navette.UserFromContext(r.Context())
	var (
		req *navette.AdminRequest
		err error
	)
	switch {
	case in.Role != "" && in.AntivirusBypass == nil:
		req, err = s.Accounts.RequestPolicyAssurance(r.Context(), actor, navette.Role(in.Role), navette.Assurance(in.MinAssurance), in.Reason)
	case in.Role == "" && in.AntivirusBypass != nil && in.MinAssurance == "":
		req, err = s.Accounts.RequestPolicyAntivirus(r.Context(), actor, *in.AntivirusBypass, in.Reason)
	default:
		err = navette.Errorf(navette.EINVALID, "Ask for one change: a role and its min_assurance, or antivirus_bypass.")
	}
	if s.answeredPending(w, r, req, err) {
		return
	}
	s.handleGetPolicy(w, r)
}

func (s *Server) handleKeyRotate(w http.ResponseWriter, r *http.Request) {
	var in api.KeyRotate
	if !s.readJSON(w, r, &in) {
		return
	}
	req, err := s.Accounts.RequestKeyRotate(r.Context(), navette.UserFromContext(r.Context()), in.Key, in.Reason)
	if s.answeredPending(w, r, req, err) {
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

package http

import (
	"net/http"

	"navette"
	"navette/api"
	"navette/deposit"
)

func (s *Server) handleForwardDeposit(w http.ResponseWriter, r *http.Request) {
	key, ok := s.idempotencyKey(w, r)
	if !ok {
		return
	}
	var in api.Forward
	if !s.readJSON(w, r, &in) {
		return
	}
	v, err := s.Deposits.Forward(r.Context(), navette.UserFromContext(r.Context()), r.PathValue("id"), deposit.Onward{
		Recipients:     in.Recipients,
		Message:        in.Message,
		RetentionDays:  in.RetentionDays,
		IdempotencyKey: key,
	})
	s.writeCreatedDeposit(w, r, v, err)
}

// forwardingJSON renders a forward as the deposit it forwards lists it.
func forwardingJSON(fw deposit.ForwardView) api.Forwarding {
	out := api.Forwarding{ID: fw.ID, ForwardedBy: api.Person{Email: fw.Forwarder.Email, Name: fw.Forwarder.Name}, Recipients: []api.Recipient{},
		ForwardedAt: fw.At.UTC(), State: string(fw.State), ExpiresAt: timePtr(fw.ExpiresAt)}
	for _, r := range fw.Recipients {
		out.Recipients = append(out.Recipients, api.Recipient{Email: r.Email, Name: r.Name, Service: r.Role == navette.RoleService, Revoked: r.Disabled})
	}
	return out
}

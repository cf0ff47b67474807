package http

import (
	"net/http"

	"navette"
	"navette/api"
	"navette/deposit"
)

func (s *Server) handleForwardDeposit(w http.ResponseWriter, r *http.Request) {
	var in api.Forward
	if !s.readJSON(w, r, &in) {
		return
	}
	v, err := s.Deposits.Forward(r.Context(), navette.UserFromContext(r.Context()), r.PathValue("id"), deposit.Onward{
		Recipients:    in.Recipients,
		Message:       in.Message,
		RetentionDays: in.RetentionDays,
	})
	s.writeCreatedDeposit(w, r, v, err)
}

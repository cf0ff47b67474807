package http

import (
	"net/http"

	"navette/api"
	"navette/auth"
)

// handleStepUp makes the caller's session fresh again with a TOTP code,
// before a sensitive action.
func (s *Server) handleStepUp(w http.ResponseWriter, r *http.Request) {
	var in api.SecondFactor
	if err := decodeJSON(w, r, &in); err != nil {
		s.writeError(w, r, err)
		return
	}
	cur := auth.FromContext(r.Context())
	if err := s.Auth.StepUpTOTP(r.Context(), cur.Session, cur.User, in.Code); err != nil {
		s.writeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

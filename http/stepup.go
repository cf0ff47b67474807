package http

import (
	"net/http"

	"navette/api"
	"navette/auth"
)

// stepUpRoutes are the operations a browser session may call only with a
// fresh strong authentication (auth.Service.RequireFresh): those that grant
// access, change someone's factors or the platform's settings, and the
// export of evidence bundles. API tokens are not asked: they carry the
// admin or audit scope their owner chose when making them, which itself
// needed a step-up.
var stepUpRoutes = map[string]bool{
	"PUT " + api.PathServices + "/{id}/members/{uid}":     true,
	"PATCH " + api.PathAdminUsers + "/{id}":               true,
	"POST " + api.PathAdminUsers + "/{id}/reset-totp":     true,
	"POST " + api.PathAdminDirectory + "/{source}/import": true,
	"PUT " + api.PathAdminSettings:                        true,
	"GET " + api.PathDeposits + "/{id}/evidence":          true,
	"GET " + api.PathDeposits + "/{id}/case-evidence":     true,
	"GET " + api.PathCases + "/{id}/evidence":             true,
	"POST " + api.PathAdminRequests + "/{id}/approve":     true,
	"POST " + api.PathAdminPolicy:                         true,
	"POST " + api.PathAdminKeyRotate:                      true,
}

// downloadRoutes are the downloads that need a step-up too when the
// operator asks it (auth.Config.StepUpDownloads).
var downloadRoutes = map[string]bool{
	"GET " + api.PathDeposits + "/{id}/files/{fid}": true,
	"GET " + api.PathCases + "/{id}/bundle":         true,
}

// needsStepUp reports whether a browser session must be fresh for pattern.
func (s *Server) needsStepUp(pattern string) bool {
	return stepUpRoutes[pattern] || (downloadRoutes[pattern] && s.Auth.Config.StepUpDownloads)
}

// handleStepUp makes the caller's session fresh again with a TOTP code,
// before a sensitive action.
func (s *Server) handleStepUp(w http.ResponseWriter, r *http.Request) {
	var in api.SecondFactor
	if !s.readJSON(w, r, &in) {
		return
	}
	cur := auth.FromContext(r.Context())
	if err := s.Auth.StepUpTOTP(r.Context(), cur.Session, cur.User, in.Code); err != nil {
		s.writeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

package http

import (
	"context"
	"net/http"

	"navette"
	"navette/api"
)

// sessionsJSON describes the live sessions of u, whom actor manages,
// without their secrets.
func (s *Server) sessionsJSON(ctx context.Context, actor, u *navette.User) ([]api.SessionInfo, error) {
	out := []api.SessionInfo{}
	if s.Auth == nil {
		return out, nil
	}
	ss, err := s.Auth.UserSessions(ctx, actor, u.ID)
	if err != nil {
		return nil, err
	}
	for _, x := range ss {
		out = append(out, api.SessionInfo{ID: x.ID, Stage: string(x.Stage), Method: x.Method,
			Assurance: string(navette.MethodAssurance(x.Method)), CreatedAt: x.CreatedAt.UTC(),
			LastSeen: timePtr(x.SeenAt), VerifiedAt: timePtr(x.VerifiedAt), ExpiresAt: x.ExpiresAt.UTC()})
	}
	return out, nil
}

// handleEndUserSession ends one live session of a person the caller
// manages; any other session, or person, is not found.
func (s *Server) handleEndUserSession(w http.ResponseWriter, r *http.Request) {
	if s.Auth == nil {
		s.writeError(w, r, navette.Errorf(navette.ENOTFOUND, "No such session."))
		return
	}
	err := s.Auth.EndSession(r.Context(), navette.UserFromContext(r.Context()), r.PathValue("id"), r.PathValue("sid"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

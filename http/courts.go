package http

import (
	"net/http"

	"navette"
	"navette/api"
)

func courtJSON(c *navette.Court) api.Court { return api.Court{ID: c.ID, Code: c.Code, Name: c.Name} }

func (s *Server) handleListCourts(w http.ResponseWriter, r *http.Request) {
	cs, err := s.Accounts.Courts(r.Context(), navette.UserFromContext(r.Context()))
	writeResult(s, w, r, cs, err, func(cs []*navette.Court) api.CourtList {
		return api.CourtList{Courts: jsonList(cs, courtJSON)}
	})
}

func (s *Server) handleCreateCourt(w http.ResponseWriter, r *http.Request) {
	var in api.CreateCourt
	if !s.readJSON(w, r, &in) {
		return
	}
	c, err := s.Accounts.CreateCourt(r.Context(), navette.UserFromContext(r.Context()), in.Code, in.Name)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, courtJSON(c))
}

func (s *Server) handleListServices(w http.ResponseWriter, r *http.Request) {
	us, err := s.Accounts.CourtMailboxes(r.Context(), navette.UserFromContext(r.Context()), r.PathValue("id"))
	writeResult(s, w, r, us, err, func(us []*navette.User) api.UserList {
		return s.userListJSON(r.Context(), us, s.userJSON)
	})
}

func (s *Server) handleCreateService(w http.ResponseWriter, r *http.Request) {
	c, err := s.Accounts.Court(r.Context(), navette.UserFromContext(r.Context()), r.PathValue("id"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	var in api.CreateService
	if !s.readJSON(w, r, &in) {
		return
	}
	u, err := s.Accounts.CreateService(r.Context(), navette.UserFromContext(r.Context()), c.ID, in.Name, in.Email)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, s.userJSON(r.Context(), u, courts{}))
}

// serviceErr turns a refusal about a service into the not-found answer an
// unknown id gets.
func serviceErr(err error) error {
	if navette.IsCode(err, navette.EFORBIDDEN) || navette.IsCode(err, navette.ENOTFOUND) {
		return navette.Errorf(navette.ENOTFOUND, "No such service or member.")
	}
	return err
}

func (s *Server) handleListMembers(w http.ResponseWriter, r *http.Request) {
	us, err := s.Accounts.Members(r.Context(), navette.UserFromContext(r.Context()), r.PathValue("id"))
	writeResult(s, w, r, us, serviceErr(err), func(us []*navette.User) api.UserList {
		return s.userListJSON(r.Context(), us, s.recipientJSON)
	})
}

func (s *Server) handleAddMember(w http.ResponseWriter, r *http.Request) {
	req, err := s.Accounts.RequestAddMember(r.Context(), navette.UserFromContext(r.Context()), r.PathValue("id"), r.PathValue("uid"), r.URL.Query().Get("reason"))
	if s.answeredPending(w, r, req, serviceErr(err)) {
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) handleRemoveMember(w http.ResponseWriter, r *http.Request) {
	err := s.Accounts.RemoveMember(r.Context(), navette.UserFromContext(r.Context()), r.PathValue("id"), r.PathValue("uid"))
	if err != nil {
		s.writeError(w, r, serviceErr(err))
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

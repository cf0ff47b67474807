package http

import (
	"net/http"

	"navette"
	"navette/api"
)

func courtJSON(c *navette.Court) api.Court { return api.Court{ID: c.ID, Code: c.Code, Name: c.Name} }

func (s *Server) handleListCourts(w http.ResponseWriter, r *http.Request) {
	actor := navette.UserFromContext(r.Context())
	cs, err := s.Accounts.Meta.Courts(r.Context())
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	out := api.CourtList{Courts: []api.Court{}}
	for _, c := range cs {
		if actor.Role == navette.RoleAdmin || c.ID == actor.CourtID {
			out.Courts = append(out.Courts, courtJSON(c))
		}
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) handleCreateCourt(w http.ResponseWriter, r *http.Request) {
	var in api.CreateCourt
	if err := decodeJSON(w, r, &in); err != nil {
		s.writeError(w, r, err)
		return
	}
	c, err := s.Accounts.CreateCourt(r.Context(), navette.UserFromContext(r.Context()), in.Code, in.Name)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, courtJSON(c))
}

// courtFor returns the court of the path if actor administers it, and
// ENOTFOUND otherwise, so that a court admin cannot tell other courts' ids
// from unknown ones.
func (s *Server) courtFor(r *http.Request) (*navette.Court, error) {
	actor := navette.UserFromContext(r.Context())
	id := r.PathValue("id")
	notFound := navette.Errorf(navette.ENOTFOUND, "No such court.")
	if !navette.ValidID(id) || (actor.Role != navette.RoleAdmin && actor.CourtID != id) {
		return nil, notFound
	}
	c, err := s.Accounts.Meta.Court(r.Context(), id)
	if navette.IsCode(err, navette.ENOTFOUND) {
		return nil, notFound
	}
	return c, err
}

func (s *Server) handleListServices(w http.ResponseWriter, r *http.Request) {
	c, err := s.courtFor(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	us, err := s.Accounts.Meta.SearchUsers(r.Context(), navette.UserFilter{Roles: []navette.Role{navette.RoleService}, CourtID: c.ID, Limit: 1000})
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	cs := courts{}
	out := api.UserList{Users: make([]api.User, 0, len(us))}
	for _, u := range us {
		out.Users = append(out.Users, s.userJSON(r.Context(), u, cs))
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) handleCreateService(w http.ResponseWriter, r *http.Request) {
	c, err := s.courtFor(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	var in api.CreateService
	if err := decodeJSON(w, r, &in); err != nil {
		s.writeError(w, r, err)
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
	if err != nil {
		s.writeError(w, r, serviceErr(err))
		return
	}
	cs := courts{}
	out := api.UserList{Users: make([]api.User, 0, len(us))}
	for _, u := range us {
		out.Users = append(out.Users, s.recipientJSON(r.Context(), u, cs))
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) handleAddMember(w http.ResponseWriter, r *http.Request) {
	err := s.Accounts.AddMember(r.Context(), navette.UserFromContext(r.Context()), r.PathValue("id"), r.PathValue("uid"))
	if err != nil {
		s.writeError(w, r, serviceErr(err))
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

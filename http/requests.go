package http

import (
	"encoding/hex"
	"net/http"

	"navette"
	"navette/api"
)

// requestJSON is r as the API shows it.
func requestJSON(r *navette.AdminRequest) api.Request {
	out := api.Request{ID: r.ID, Requester: r.RequesterID, Action: string(r.Action), Params: r.Params,
		SHA256: hex.EncodeToString(r.ParamsHash), Reason: r.Reason, CourtID: r.CourtID, State: string(r.State),
		CreatedAt: r.CreatedAt.UTC(), ExpiresAt: r.ExpiresAt.UTC(), Reviewer: r.ReviewerID, Error: r.Error}
	if !r.ReviewedAt.IsZero() {
		t := r.ReviewedAt.UTC()
		out.ReviewedAt = &t
	}
	if !r.ExecutedAt.IsZero() {
		t := r.ExecutedAt.UTC()
		out.ExecutedAt = &t
	}
	return out
}

// writeAccepted answers 202 with the request an admin action became.
func writeAccepted(w http.ResponseWriter, r *navette.AdminRequest) {
	writeJSON(w, http.StatusAccepted, requestJSON(r))
}

// answeredPending answers an admin action that may wait for a second admin
// when it failed (err) or became the request req, and reports whether it
// did; the caller answers the action done otherwise.
func (s *Server) answeredPending(w http.ResponseWriter, r *http.Request, req *navette.AdminRequest, err error) bool {
	switch {
	case err != nil:
		s.writeError(w, r, err)
	case req != nil:
		writeAccepted(w, req)
	default:
		return false
	}
	return true
}

func (s *Server) handleListRequests(w http.ResponseWriter, r *http.Request) {
	state := navette.RequestState(r.URL.Query().Get("state"))
	if state != "" && !state.Valid() {
		s.writeError(w, r, navette.Errorf(navette.EINVALID, "Unknown request state %q.", state))
		return
	}
	rs, err := s.Accounts.Requests(r.Context(), navette.UserFromContext(r.Context()), state)
	writeResult(s, w, r, rs, err, func(rs []*navette.AdminRequest) api.RequestList {
		return api.RequestList{Requests: jsonList(rs, requestJSON)}
	})
}

func (s *Server) handleGetRequest(w http.ResponseWriter, r *http.Request) {
	x, err := s.Accounts.Request(r.Context(), navette.UserFromContext(r.Context()), r.PathValue("id"))
	writeResult(s, w, r, x, err, requestJSON)
}

func (s *Server) handleApproveRequest(w http.ResponseWriter, r *http.Request) {
	var in api.Approve
	if !s.readOptionalJSON(w, r, &in) {
		return
	}
	hash, err := hex.DecodeString(in.SHA256)
	if err != nil {
		s.writeError(w, r, navette.Errorf(navette.EINVALID, "sha256 must be hex."))
		return
	}
	x, err := s.Accounts.Approve(r.Context(), navette.UserFromContext(r.Context()), r.PathValue("id"), hash)
	writeResult(s, w, r, x, err, requestJSON)
}

func (s *Server) handleRejectRequest(w http.ResponseWriter, r *http.Request) {
	x, err := s.Accounts.Reject(r.Context(), navette.UserFromContext(r.Context()), r.PathValue("id"))
	writeResult(s, w, r, x, err, requestJSON)
}

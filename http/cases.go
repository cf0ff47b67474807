package http

import (
	"net/http"

	"navette"
	"navette/api"
	"navette/deposit"
	"navette/internal/httpfile"
)

// maxPage bounds the limit of a page of deposits or cases.
const maxPage = 200

func (s *Server) handleListCases(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	limit, err := limitParam(q.Get("limit"), maxPage)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	page, err := s.Deposits.CasePage(r.Context(), navette.UserFromContext(r.Context()), q.Get("q"), q.Get("before"), limit)
	writeResult(s, w, r, page, err, func(page *deposit.CasePage) api.CaseList {
		return api.CaseList{Cases: jsonList(page.Cases, caseSummaryJSON), Next: page.Next}
	})
}

func (s *Server) handleGetCase(w http.ResponseWriter, r *http.Request) {
	actor := navette.UserFromContext(r.Context())
	q := r.URL.Query()
	limit, err := limitParam(q.Get("limit"), maxPage)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	c, err := s.Deposits.CaseAt(r.Context(), actor, r.PathValue("id"), q.Get("before"), limit)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	out := caseJSON(c, actor)
	out.Next = c.Next
	writeJSON(w, http.StatusOK, out)
}

// caseSummaryJSON renders a case as a list of cases shows it.
func caseSummaryJSON(c *deposit.Case) api.Case { return caseJSON(c, nil) }

// caseJSON renders a case; with actor, its deposits too, with their files
// and their direction for actor.
func caseJSON(c *deposit.Case, actor *navette.User) api.Case {
	out := api.Case{ID: c.ID, Reference: c.Reference, Sent: c.Sent, Received: c.Received, LastAt: c.LastAt.UTC()}
	if actor != nil {
		out.Deposits = jsonList(c.Deposits, func(v *deposit.View) api.CaseDeposit {
			return api.CaseDeposit{Deposit: depositJSON(v, true), Direction: deposit.Direction(v, actor)}
		})
	}
	return out
}

func (s *Server) handleReplyDeposit(w http.ResponseWriter, r *http.Request) {
	key, ok := s.idempotencyKey(w, r)
	if !ok {
		return
	}
	var in api.Reply
	if !s.readJSON(w, r, &in) {
		return
	}
	v, err := s.Deposits.Reply(r.Context(), navette.UserFromContext(r.Context()), r.PathValue("id"), deposit.Answer{
		Message:        in.Message,
		RetentionDays:  in.RetentionDays,
		NoReceipts:     in.NotifySender != nil && !*in.NotifySender,
		FromSpace:      in.FromSpace,
		IdempotencyKey: key,
	})
	s.writeCreatedDeposit(w, r, v, err)
}

func (s *Server) handleExtendDeposit(w http.ResponseWriter, r *http.Request) {
	var in api.Extend
	if !s.readJSON(w, r, &in) {
		return
	}
	v, err := s.Deposits.Extend(r.Context(), navette.UserFromContext(r.Context()), r.PathValue("id"), in.Days)
	writeResult(s, w, r, v, err, fullDepositJSON)
}

// handleCaseBundle sends every available file of the case as one ZIP, with
// its manifest (deposit.Bundle); a HEAD downloads nothing.
func (s *Server) handleCaseBundle(w http.ResponseWriter, r *http.Request) {
	b, err := s.Deposits.CaseBundle(r.Context(), navette.UserFromContext(r.Context()), r.PathValue("id"))
	httpfile.ServeArchive(w, r, b, err, s.writeError, s.log())
}

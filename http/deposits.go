package http

import (
	"errors"
	"net/http"
	"strings"

	"navette"
	"navette/api"
	"navette/deposit"
)

func (s *Server) handleCreateDeposit(w http.ResponseWriter, r *http.Request) {
	key, ok := s.idempotencyKey(w, r)
	if !ok {
		return
	}
	var in api.CreateDeposit
	if !s.readJSON(w, r, &in) {
		return
	}
	v, err := s.Deposits.Create(r.Context(), navette.UserFromContext(r.Context()), deposit.Draft{
		Recipients:     in.Recipients,
		Reference:      in.Reference,
		Message:        in.Message,
		RetentionDays:  in.RetentionDays,
		NoReceipts:     in.NotifySender != nil && !*in.NotifySender,
		MaxDownloads:   in.MaxDownloads,
		FromSpace:      in.FromSpace,
		IdempotencyKey: key,
	})
	s.writeCreatedDeposit(w, r, v, err)
}

// idempotencyKey returns the Idempotency-Key of r, "" if it has none, or
// answers EINVALID and returns false if it is malformed.
func (s *Server) idempotencyKey(w http.ResponseWriter, r *http.Request) (string, bool) {
	key, err := parseIdempotencyKey(r.Header)
	if err != nil {
		s.writeError(w, r, err)
		return "", false
	}
	return key, true
}

// parseIdempotencyKey returns the Idempotency-Key of a request, "" if it
// has none: a structured field String (RFC 9651, section 3.3.3), without
// parameters. Returns EINVALID if the field is given twice or is not such
// a String of at most deposit.MaxIdempotencyKeyLen characters.
func parseIdempotencyKey(h http.Header) (string, error) {
	lines := h.Values(api.HeaderIdempotencyKey)
	if len(lines) == 0 {
		return "", nil
	}
	key, ok := unquoteString(strings.Trim(lines[0], " \t"))
	if len(lines) > 1 || !ok || key == "" || len(key) > deposit.MaxIdempotencyKeyLen {
		return "", navette.Errorf(navette.EINVALID, "The Idempotency-Key header must be one quoted string of 1 to %d printable ASCII characters.", deposit.MaxIdempotencyKeyLen)
	}
	return key, nil
}

// unquoteString returns the value of v, a structured field String: printable
// ASCII between double quotes, in which only a quote and a backslash are
// escaped, by a backslash. It returns false if v is not one.
func unquoteString(v string) (string, bool) {
	if len(v) < 2 || v[0] != '"' || v[len(v)-1] != '"' {
		return "", false
	}
	var b strings.Builder
	for i := 1; i < len(v)-1; i++ {
		c := v[i]
		if c == '\\' && i+1 < len(v)-1 && (v[i+1] == '"' || v[i+1] == '\\') {
			i++
			c = v[i]
		} else if c == '\\' || c == '"' || c < 0x20 || c > 0x7e {
			return "", false
		}
		b.WriteByte(c)
	}
	return b.String(), true
}

// writeCreatedDeposit answers the creation of the deposit v (a draft, a
// reply, a forward): 201 with its Location, or err (with a Retry-After
// while its idempotency key is in use).
func (s *Server) writeCreatedDeposit(w http.ResponseWriter, r *http.Request, v *deposit.View, err error) {
	if errors.Is(err, navette.ErrIdempotencyKeyInUse) {
		w.Header().Set("Retry-After", "1")
	}
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	w.Header().Set("Location", api.PathDeposits+"/"+v.ID)
	writeJSON(w, http.StatusCreated, depositJSON(v, true))
}

func (s *Server) handleListDeposits(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	box := navette.Box(q.Get("box"))
	if box == "" {
		box = navette.BoxInbox
	}
	limit, err := limitParam(q.Get("limit"), maxPage)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	views, next, err := s.Deposits.List(r.Context(), navette.UserFromContext(r.Context()), box, q.Get("before"), limit)
	writeResult(s, w, r, views, err, func(views []*deposit.View) api.DepositList {
		return api.DepositList{Deposits: jsonList(views, listedDepositJSON), Next: next}
	})
}

func (s *Server) handleGetDeposit(w http.ResponseWriter, r *http.Request) {
	actor := navette.UserFromContext(r.Context())
	v, err := s.Deposits.Get(r.Context(), actor, r.PathValue("id"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	d := fullDepositJSON(v)
	for _, fw := range v.Forwards {
		d.Forwards = append(d.Forwards, forwardingJSON(fw))
	}
	writeJSON(w, http.StatusOK, d)
}

func (s *Server) handleListFiles(w http.ResponseWriter, r *http.Request) {
	actor := navette.UserFromContext(r.Context())
	v, err := s.Deposits.Get(r.Context(), actor, r.PathValue("id"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if deposit.Expired(v.DepositRecord, s.Deposits.Clock.Now()) {
		s.writeError(w, r, navette.Errorf(navette.EGONE, "This deposit has ended; its files are no longer available."))
		return
	}
	out := api.FileList{Files: []api.File{}}
	for _, f := range v.Files {
		if f.State != navette.FilePurged {
			out.Files = append(out.Files, fileJSON(f))
		}
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) handleSubmitDeposit(w http.ResponseWriter, r *http.Request) {
	v, err := s.Deposits.Submit(r.Context(), navette.UserFromContext(r.Context()), r.PathValue("id"))
	writeResult(s, w, r, v, err, fullDepositJSON)
}

func (s *Server) handleRevokeDeposit(w http.ResponseWriter, r *http.Request) {
	var in api.Revoke
	if !s.readOptionalJSON(w, r, &in) {
		return
	}
	if err := s.Deposits.RevokeWithReason(r.Context(), navette.UserFromContext(r.Context()), r.PathValue("id"), in.Reason); err != nil {
		s.writeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

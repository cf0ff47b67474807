package http

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"net/http"

	"navette"
	"navette/api"
	"navette/directory"
)

func (s *Server) handleUpdateUser(w http.ResponseWriter, r *http.Request) {
	id, ok := s.pathID(w, r, navette.Errorf(navette.ENOTFOUND, "No such user."))
	if !ok {
		return
	}
	var in api.UpdateUser
	if !s.readJSON(w, r, &in) {
		return
	}
	u, req, err := s.updateUser(r, id, in)
	if s.answeredPending(w, r, req, err) {
		return
	}
	if u == nil {
		s.handleGetUser(w, r)
		return
	}
	writeJSON(w, http.StatusOK, s.userJSON(r.Context(), u, courts{}))
}

// updateUser makes the changes in, or the request of the one the
// two-person rule holds (a user change is one or the other: a held change
// is refused with another).
func (s *Server) updateUser(r *http.Request, id string, in api.UpdateUser) (*navette.User, *navette.AdminRequest, error) {
	actor := navette.UserFromContext(r.Context())
	if in.Role != nil && in.Disabled != nil {
		return nil, nil, navette.Errorf(navette.EINVALID, "Change the role or the access of a user, one at a time.")
	}
	if in.Role != nil {
		return s.Accounts.RequestSetRole(r.Context(), actor, id, navette.Role(*in.Role), in.Reason)
	}
	if in.Disabled != nil {
		return s.Accounts.RequestSetDisabled(r.Context(), actor, id, *in.Disabled, in.Reason)
	}
	return nil, nil, nil
}

func (s *Server) handleResetTOTP(w http.ResponseWriter, r *http.Request) {
	id, ok := s.pathID(w, r, navette.Errorf(navette.ENOTFOUND, "No such user."))
	if !ok {
		return
	}
	if err := s.Auth.ResetSecondFactor(r.Context(), navette.UserFromContext(r.Context()), id); err != nil {
		s.writeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// maxDirectoryBody bounds a directory flow: 75,000 lawyers take about 10 MB.
var maxDirectoryBody int64 = 256 << 20 // a variable for tests

// syncOptions reads the dry_run and force query parameters.
func syncOptions(r *http.Request) directory.Options {
	q := r.URL.Query()
	yes := func(k string) bool { v := q.Get(k); return v == "1" || v == "true" }
	return directory.Options{DryRun: yes("dry_run"), Force: yes("force"), ForceHint: "force=1"}
}

// writeSync answers a directory sync with its report, or its refusal. A
// refusal that comes with the report is the revocation guard's: its
// problem lists the people the sync would revoke, the first
// api.MaxRevokedListed, and how many in all.
func (s *Server) writeSync(w http.ResponseWriter, r *http.Request, rep *directory.Report, err error) {
	if err == nil || rep == nil {
		writeResult(s, w, r, rep, err, reportJSON)
		return
	}
	p := problemFor(err, r.URL.Path)
	p.Revoked = rep.Revoked[:min(len(rep.Revoked), api.MaxRevokedListed)]
	p.RevokedTotal = len(rep.Revoked)
	writeProblem(w, p)
}

// ldapSnapshot stands for the flow of an LDAP sync in its request: the
// directory is read when the sync runs, so what is approved is one forced
// sync (the SHA-256 of nothing).
const ldapSnapshot = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

// forceAllowed applies the two-person rule to a directory sync past its
// revocation guard: without ?request=ID it returns the request it records
// for the flow whose SHA-256 is sum; with the id of the approved request
// for exactly this flow, it uses it up and returns nil, nil. A sync that
// is not forced, a dry run, or the rule off, pass.
func (s *Server) forceAllowed(r *http.Request, opts directory.Options, source, sum string) (*navette.AdminRequest, error) {
	if !opts.Force || opts.DryRun || !s.Accounts.TwoPerson() {
		return nil, nil
	}
	actor := navette.UserFromContext(r.Context())
	q := r.URL.Query()
	if id := q.Get("request"); id != "" {
		return nil, s.Accounts.ClaimForceDirectory(r.Context(), actor, id, source, sum)
	}
	return s.Accounts.RequestForceDirectory(r.Context(), actor, source, sum, q.Get("reason"))
}

// reportJSON is rep as the API answers it. Its changes are API documents
// already (directory.Change is api.DirectoryChange); the lists are never
// null.
func reportJSON(rep *directory.Report) api.DirectoryReport {
	list := func(cs []directory.Change) []api.DirectoryChange { return append([]api.DirectoryChange{}, cs...) }
	return api.DirectoryReport{Source: rep.Source, Applied: rep.Applied, Added: list(rep.Added), Updated: list(rep.Updated),
		Revoked: list(rep.Revoked), Restored: list(rep.Restored), Unchanged: rep.Unchanged, Ignored: rep.Ignored}
}

func (s *Server) handleImportDirectory(w http.ResponseWriter, r *http.Request) {
	m, ok := s.Mappings[r.PathValue("source")]
	if !ok || s.Directory == nil {
		s.writeError(w, r, navette.Errorf(navette.ENOTFOUND, "No directory flow is configured under this name."))
		return
	}
	body, sum := http.MaxBytesReader(w, r.Body, maxDirectoryBody), sha256.New()
	entries, err := directory.Parse(io.TeeReader(body, sum), m)
	if mbe := (*http.MaxBytesError)(nil); errors.As(err, &mbe) {
		err = navette.Errorf(navette.ETOOLARGE, "A directory flow may be at most %d MiB.", maxDirectoryBody>>20)
	}
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	opts := syncOptions(r)
	if req, err := s.forceAllowed(r, opts, m.Source, hex.EncodeToString(sum.Sum(nil))); s.answeredPending(w, r, req, err) {
		return
	}
	rep, err := s.Directory.Apply(r.Context(), m.Source, entries, opts)
	s.writeSync(w, r, rep, err)
}

func (s *Server) handleLDAPSync(w http.ResponseWriter, r *http.Request) {
	if s.LDAPSync == nil {
		s.writeError(w, r, navette.Errorf(navette.ENOTIMPLEMENTED, "No LDAP directory is configured."))
		return
	}
	opts := syncOptions(r)
	if req, err := s.forceAllowed(r, opts, "ldap", ldapSnapshot); s.answeredPending(w, r, req, err) {
		return
	}
	rep, err := s.LDAPSync(r.Context(), opts)
	s.writeSync(w, r, rep, err)
}

func (s *Server) handleListEvents(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	limit, err := limitParam(q.Get("limit"), 1000)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	f := navette.EventFilter{DepositID: q.Get("deposit"), Limit: limit}
	if f.DepositID != "" && !navette.ValidID(f.DepositID) {
		s.writeError(w, r, navette.Errorf(navette.EINVALID, "deposit must be a deposit id."))
		return
	}
	if a := q.Get("after"); a != "" {
		var n int64
		for _, c := range a {
			if c < '0' || c > '9' || n > 1<<58 {
				s.writeError(w, r, navette.Errorf(navette.EINVALID, "after must be a sequence number."))
				return
			}
			n = n*10 + int64(c-'0')
		}
		f.AfterSeq = n
	}
	evs, err := s.Evidence.Events(r.Context(), navette.UserFromContext(r.Context()), f)
	writeResult(s, w, r, evs, err, func(evs []navette.Event) api.EventList {
		return api.EventList{Events: jsonList(evs, eventJSON)}
	})
}

// eventJSON is e as the API shows it.
func eventJSON(e navette.Event) api.Event {
	return api.Event{Seq: e.Seq, Time: e.Time.UTC(), Type: string(e.Type), ActorID: e.ActorID,
		DepositID: e.DepositID, FileID: e.FileID, Size: e.Size, SHA256: hexOrEmpty(e.SHA256), Detail: e.Detail, Hash: hexOrEmpty(e.Hash),
		Auth: e.Auth, Assurance: eventAssurance(e.Auth), Leaf: leafJSON(e.Leaf)}
}

// leafJSON is an event's leaf index as the API shows it: absent for none.
func leafJSON(leaf int64) *int64 {
	if leaf < 0 {
		return nil
	}
	return &leaf
}

// eventAssurance is the level of the sign-in method an event records, ""
// if it records none.
func eventAssurance(method string) string {
	if method == "" {
		return ""
	}
	return string(navette.MethodAssurance(method))
}

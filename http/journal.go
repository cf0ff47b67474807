package http

import (
	"context"
	"encoding/base64"
	"net/http"
	"strconv"
	"strings"

	"golang.org/x/mod/sumdb/tlog"

	"navette"
	"navette/api"
)

// journalUnavailable is the error of the journal's routes on a server made
// without a Checkpointer.
func journalUnavailable() error {
	return navette.Errorf(navette.ENOTIMPLEMENTED, "This server does not sign its journal.")
}

func (s *Server) handleJournalCheckpoint(w http.ResponseWriter, r *http.Request) {
	if s.Journal == nil {
		s.writeError(w, r, journalUnavailable())
		return
	}
	c, err := s.Journal.Latest(r.Context())
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-cache")
	w.Write(c.Note)
}

func (s *Server) handleJournalKeys(w http.ResponseWriter, r *http.Request) {
	if s.Journal == nil {
		s.writeError(w, r, journalUnavailable())
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-cache")
	for _, k := range s.Journal.KeyList() {
		w.Write([]byte(k + "\n"))
	}
}

func (s *Server) handleJournalProof(w http.ResponseWriter, r *http.Request) {
	s.serveProof(w, r, "index", 0, "size", 1, func(ctx context.Context, index, size int64) ([]tlog.Hash, error) {
		return s.Journal.Inclusion(ctx, index, size)
	})
}

func (s *Server) handleJournalConsistency(w http.ResponseWriter, r *http.Request) {
	s.serveProof(w, r, "from", 1, "to", 1, func(ctx context.Context, from, to int64) ([]tlog.Hash, error) {
		return s.Journal.Consistency(ctx, from, to)
	})
}

// serveProof answers with the proof that prove makes of the query
// parameters a and b, whole numbers at least minA and minB; prove is
// called only on a server that signs its journal.
func (s *Server) serveProof(w http.ResponseWriter, r *http.Request, a string, minA int64, b string, minB int64, prove func(ctx context.Context, a, b int64) ([]tlog.Hash, error)) {
	x, err1 := treeParam(r, a, minA)
	y, err2 := treeParam(r, b, minB)
	if err := firstErr(err1, err2); err != nil {
		s.writeError(w, r, err)
		return
	}
	if s.Journal == nil {
		s.writeError(w, r, journalUnavailable())
		return
	}
	p, err := prove(r.Context(), x, y)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, proofJSON(p))
}

// treeParam reads the query parameter name, a decimal number at least min.
func treeParam(r *http.Request, name string, min int64) (int64, error) {
	v := r.URL.Query().Get(name)
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < min || strings.HasPrefix(v, "+") {
		return 0, navette.Errorf(navette.EINVALID, "%s must be a whole number of at least %d.", name, min)
	}
	return n, nil
}

func firstErr(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// proofJSON renders a proof's hashes.
func proofJSON(hs []tlog.Hash) api.Proof {
	out := api.Proof{Hashes: make([]string, len(hs))}
	for i, h := range hs {
		out.Hashes[i] = base64.StdEncoding.EncodeToString(h[:])
	}
	return out
}

package http

import (
	"net/http"

	"navette"
	"navette/api"
	"navette/evidence"
)

func (s *Server) handleListReceipts(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	es, err := s.Evidence.List(r.Context(), navette.UserFromContext(r.Context()), id)
	writeResult(s, w, r, es, err, func(es []evidence.Entry) []api.ReceiptEntry {
		return jsonList(es, receiptEntryJSON)
	})
}

// receiptEntryJSON returns a receipt as a deposit's list shows it.
func receiptEntryJSON(e evidence.Entry) api.ReceiptEntry {
	return api.ReceiptEntry{ID: e.ID, Kind: string(e.Kind), Time: e.Time, URL: api.PathReceipts + "/" + e.ID}
}

func (s *Server) handleGetReceipt(w http.ResponseWriter, r *http.Request) {
	actor := navette.UserFromContext(r.Context())
	rid := r.PathValue("rid")
	var (
		body     []byte
		err      error
		ctype    = api.MediaTypeReceipt
		filename = "recu-" + rid + ".json"
	)
	switch f := r.URL.Query().Get("format"); f {
	case "", "json":
		body, err = s.Evidence.ReceiptJSON(r.Context(), actor, rid)
	case "pdf":
		body, err = s.Evidence.ReceiptPDF(r.Context(), actor, rid)
		ctype, filename = "application/pdf", "attestation-"+rid+".pdf"
	default:
		err = navette.Errorf(navette.EINVALID, "format must be json or pdf.")
	}
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	h := w.Header()
	h.Set("Content-Type", ctype)
	h.Set("Content-Disposition", `attachment; filename="`+filename+`"`)
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	_, _ = w.Write(body)
}

func (s *Server) handleEvidenceBundle(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	s.evidenceZip(w, r, id, func(zw *lazyHeaders) error {
		return s.Evidence.Bundle(r.Context(), navette.UserFromContext(r.Context()), id, zw)
	}, "evidence bundle cut short", "deposit", id)
}

func (s *Server) handleCaseEvidence(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	s.caseEvidence(w, r, "affaire-"+id, func(zw *lazyHeaders) error {
		return s.Evidence.CaseBundle(r.Context(), navette.UserFromContext(r.Context()), id, zw)
	})
}

func (s *Server) handleDepositCaseEvidence(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	s.caseEvidence(w, r, "affaire-du-depot-"+id, func(zw *lazyHeaders) error {
		return s.Evidence.DepositCaseBundle(r.Context(), navette.UserFromContext(r.Context()), id, zw)
	})
}

// caseEvidence streams the evidence of a case that write makes, as
// preuves-NAME.zip.
func (s *Server) caseEvidence(w http.ResponseWriter, r *http.Request, name string, write func(zw *lazyHeaders) error) {
	s.evidenceZip(w, r, name, write, "case evidence cut short", "what", name)
}

// evidenceZip streams the evidence that write makes, as preuves-NAME.zip;
// an error before the first byte is answered as a problem, one after it is
// logged as cut, with attrs, and cuts the answer short.
func (s *Server) evidenceZip(w http.ResponseWriter, r *http.Request, name string, write func(zw *lazyHeaders) error, cut string, attrs ...any) {
	zw := &lazyHeaders{w: w, set: func(h http.Header) {
		h.Set("Content-Type", "application/zip")
		h.Set("Content-Disposition", `attachment; filename="preuves-`+name+`.zip"`)
		h.Set("Cache-Control", "no-store")
	}}
	err := write(zw)
	if err != nil && !zw.wrote {
		s.writeError(w, r, err)
		return
	}
	if err != nil {
		s.log().ErrorContext(r.Context(), cut, append(attrs, "err", err)...)
		panic(http.ErrAbortHandler)
	}
}

// lazyHeaders sets its headers at the first write, so that an error before
// it can still be answered with a problem document.
type lazyHeaders struct {
	w     http.ResponseWriter
	set   func(http.Header)
	wrote bool
}

func (l *lazyHeaders) Write(p []byte) (int, error) {
	if !l.wrote {
		l.wrote = true
		l.set(l.w.Header())
	}
	return l.w.Write(p)
}

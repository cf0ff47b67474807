package http

import (
	"errors"
	"net/http"

	"navette"
	"navette/internal/httpfile"
)

func (s *Server) handleDownload(w http.ResponseWriter, r *http.Request) {
	dl, err := s.Deposits.OpenFile(r.Context(), navette.UserFromContext(r.Context()), r.PathValue("id"), r.PathValue("fid"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	httpfile.Serve(w, r, dl, s.writeFileError, s.log())
}

// writeFileError answers a refused download with problem details.
func (s *Server) writeFileError(w http.ResponseWriter, r *http.Request, err error) {
	if errors.Is(err, httpfile.ErrUnsatisfiable) {
		writeProblem(w, withStatus(problemFor(err, r.URL.Path), http.StatusRequestedRangeNotSatisfiable))
		return
	}
	s.writeError(w, r, err)
}

package http

import (
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"net/http"
	"strconv"

	"navette"
	"navette/internal/httpfile"
)

func (s *Server) handleDownload(w http.ResponseWriter, r *http.Request) {
	dl, err := s.Deposits.OpenFile(r.Context(), navette.UserFromContext(r.Context()), r.PathValue("id"), r.PathValue("fid"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	size := dl.Size()
	etag := `"sha256-` + hex.EncodeToString(dl.SHA256()) + `"`
	h := w.Header()
	h.Set("Accept-Ranges", "bytes")
	h.Set("ETag", etag)
	h.Set("Repr-Digest", "sha-256=:"+base64.StdEncoding.EncodeToString(dl.SHA256())+":")
	h.Set("Cache-Control", "private, no-store")

	off, n, status := int64(0), size, http.StatusOK
	if rh := r.Header.Get("Range"); rh != "" && ifRangeMatches(r.Header.Get("If-Range"), etag) {
		a, k, ok, unsatisfiable := httpfile.ParseRange(rh, size)
		if unsatisfiable {
			h.Set("Content-Range", "bytes */"+strconv.FormatInt(size, 10))
			writeProblem(w, withStatus(problemFor(navette.Errorf(navette.EINVALID, "The requested range is outside the file (%d bytes).", size), r.URL.Path), http.StatusRequestedRangeNotSatisfiable))
			return
		}
		if ok {
			off, n, status = a, k, http.StatusPartialContent
			h.Set("Content-Range", fmt.Sprintf("bytes %d-%d/%d", a, a+k-1, size))
		}
	}
	lw := &httpfile.LazyWriter{W: w, Start: func() {
		h.Set("Content-Type", "application/octet-stream")
		h.Set("Content-Disposition", httpfile.ContentDisposition(dl.Name))
		h.Set("Content-Length", strconv.FormatInt(n, 10))
		w.WriteHeader(status)
	}}
	if r.Method == http.MethodHead {
		lw.Begin()
		return
	}
	if err := dl.WriteRange(r.Context(), lw, off, n); err != nil {
		if !lw.Started() {
			h.Del("Content-Range")
			s.writeError(w, r, err)
			return
		}
		// The answer has begun: cut the connection so the client sees a
		// failed transfer, never a complete one.
		s.log().Error("download aborted", "file", dl.File().ID, "err", err)
		panic(http.ErrAbortHandler)
	}
	lw.Begin()
}

// ifRangeMatches reports whether a Range may be honoured given If-Range: only
// when it is absent or names the current strong ETag.
func ifRangeMatches(ifRange, etag string) bool {
	return ifRange == "" || ifRange == etag
}

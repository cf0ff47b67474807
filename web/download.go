package web

import (
	"archive/zip"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"net/http"
	"path"
	"strconv"
	"strings"

	"navette"
	"navette/deposit"
	"navette/internal/httpfile"
)

// download serves one file, with single ranges so browsers can resume.
func (h *Handler) download(w http.ResponseWriter, r *http.Request) {
	u := navette.UserFromContext(r.Context())
	id := r.PathValue("id")
	dl, err := h.Deposits.OpenFile(r.Context(), u, id, r.PathValue("fid"))
	if err != nil {
		if navette.IsCode(err, navette.EGONE) && h.Meta != nil {
			if d, e := h.Meta.DepositFor(r.Context(), id, u.ID); e == nil && d.State == navette.DepositRevoked {
				err = &navette.Error{Code: navette.EGONE, Message: navette.ErrorMessage(err), Err: errRevoked}
			}
		}
		h.Error(w, r, err)
		return
	}
	size := dl.Size()
	etag := `"sha256-` + hex.EncodeToString(dl.SHA256()) + `"`
	hd := w.Header()
	hd.Set("Accept-Ranges", "bytes")
	hd.Set("ETag", etag)
	hd.Set("Repr-Digest", "sha-256=:"+base64.StdEncoding.EncodeToString(dl.SHA256())+":")
	hd.Set("Cache-Control", "private, no-store")
	off, n, status := int64(0), size, http.StatusOK
	if rh := r.Header.Get("Range"); rh != "" && (r.Header.Get("If-Range") == "" || r.Header.Get("If-Range") == etag) {
		a, k, ok, unsatisfiable := httpfile.ParseRange(rh, size)
		if unsatisfiable {
			hd.Set("Content-Range", "bytes */"+strconv.FormatInt(size, 10))
			h.Error(w, r, navette.Errorf(navette.EINVALID, "The requested range is outside the file."))
			return
		}
		if ok {
			off, n, status = a, k, http.StatusPartialContent
			hd.Set("Content-Range", fmt.Sprintf("bytes %d-%d/%d", a, a+k-1, size))
		}
	}
	lw := &httpfile.LazyWriter{W: w, Start: func() {
		hd.Set("Content-Type", "application/octet-stream")
		hd.Set("Content-Disposition", httpfile.ContentDisposition(dl.Name))
		hd.Set("Content-Length", strconv.FormatInt(n, 10))
		w.WriteHeader(status)
	}}
	if err := dl.WriteRange(r.Context(), lw, off, n); err != nil {
		if !lw.Started() {
			hd.Del("Content-Range")
			h.Error(w, r, err)
			return
		}
		h.log().Error("web: download aborted", "file", dl.File().ID, "err", err)
		panic(http.ErrAbortHandler)
	}
	lw.Begin()
}

// zip streams every available file of a deposit as one ZIP archive, stored
// (not compressed: the files are often PDFs or media already compressed),
// written straight to the answer as each file is decrypted and checked:
// nothing is built on disk or in memory. A file that fails its integrity
// check cuts the connection, so the archive is visibly incomplete.
func (h *Handler) zip(w http.ResponseWriter, r *http.Request) {
	u := navette.UserFromContext(r.Context())
	v, ok := h.view(w, r)
	if !ok {
		return
	}
	if deposit.Expired(v.DepositRecord, h.now()) || v.State != navette.DepositAvailable {
		h.Error(w, r, navette.Errorf(navette.EGONE, "This deposit has expired; its files were deleted."))
		return
	}
	var files []deposit.FileView
	for _, f := range v.Files {
		if f.State == navette.FileAvailable {
			files = append(files, f)
		}
	}
	if len(files) == 0 {
		h.Error(w, r, navette.Errorf(navette.ENOTFOUND, "No such file in this deposit."))
		return
	}
	// Every file is opened before the first byte goes out, so that a
	// refusal still gets an error page.
	dls := make([]*deposit.Download, 0, len(files))
	for _, f := range files {
		dl, err := h.Deposits.OpenFile(r.Context(), u, v.ID, f.ID)
		if err != nil {
			h.Error(w, r, err)
			return
		}
		dls = append(dls, dl)
	}
	name := zipName(v.Reference, v.ID)
	hd := w.Header()
	hd.Set("Content-Type", "application/zip")
	hd.Set("Content-Disposition", httpfile.ContentDisposition(name))
	hd.Set("Cache-Control", "private, no-store")
	zw := zip.NewWriter(w)
	used := map[string]bool{}
	for _, dl := range dls {
		fh := &zip.FileHeader{Name: uniqueName(dl.Name, used), Method: zip.Store, Modified: dl.File().StoredAt.In(paris)}
		fh.UncompressedSize64 = uint64(dl.Size())
		fw, err := zw.CreateHeader(fh)
		if err == nil {
			err = dl.WriteRange(r.Context(), fw, 0, dl.Size())
		}
		if err != nil {
			h.log().Error("web: zip aborted", "deposit", v.ID, "file", dl.File().ID, "err", err)
			panic(http.ErrAbortHandler)
		}
	}
	if err := zw.Close(); err != nil {
		h.log().Error("web: zip aborted", "deposit", v.ID, "err", err)
		panic(http.ErrAbortHandler)
	}
}

// uniqueName returns name, or "name (2).ext" and so on if it was used.
func uniqueName(name string, used map[string]bool) string {
	if name == "" {
		name = "fichier"
	}
	out := name
	ext := path.Ext(name)
	base := strings.TrimSuffix(name, ext)
	for i := 2; used[strings.ToLower(out)]; i++ {
		out = fmt.Sprintf("%s (%d)%s", base, i, ext)
	}
	used[strings.ToLower(out)] = true
	return out
}

// zipName names the archive after the deposit's reference.
func zipName(ref, id string) string {
	var b strings.Builder
	for _, r := range ref {
		if r < 0x20 || r == 0x7f || strings.ContainsRune(`/\:*?"<>|`, r) {
			b.WriteByte('_')
		} else {
			b.WriteRune(r)
		}
	}
	s := strings.TrimSpace(b.String())
	if s == "" {
		s = "navette-" + id[:8]
	}
	return s + ".zip"
}

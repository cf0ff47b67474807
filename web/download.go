package web

import (
	"archive/zip"
	"fmt"
	"net/http"
	"path"
	"strings"

	"navette"
	"navette/deposit"
	"navette/internal/httpfile"
)

// download serves one file, with single ranges so browsers can resume,
// through the handler the API uses too.
func (h *Handler) download(w http.ResponseWriter, r *http.Request) {
	u := navette.UserFromContext(r.Context())
	dl, err := h.Deposits.OpenFile(r.Context(), u, r.PathValue("id"), r.PathValue("fid"))
	if err != nil {
		h.Error(w, r, err)
		return
	}
	httpfile.Serve(w, r, dl, h.Error, h.log())
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
	hd := w.Header()
	httpfile.SetAttachment(hd, zipName(v.Reference, v.ID))
	hd.Set("Content-Type", "application/zip")
	if r.Method == http.MethodHead {
		w.WriteHeader(http.StatusOK)
		return
	}
	zw := zip.NewWriter(httpfile.Flushing(w, w))
	used := map[string]bool{}
	for _, dl := range dls {
		// Each file's bytes go to the client as they are written, so that
		// a file counts as downloaded once they all reached it.
		if err := dl.WriteZipEntry(r.Context(), zw, uniqueName(dl.Name, used), dl.File().StoredAt.In(paris)); err != nil {
			h.log().ErrorContext(r.Context(), "web: zip aborted", "deposit", v.ID, "file", dl.File().ID, "err", err)
			panic(http.ErrAbortHandler)
		}
	}
	if err := zw.Close(); err != nil {
		h.log().ErrorContext(r.Context(), "web: zip aborted", "deposit", v.ID, "err", err)
		panic(http.ErrAbortHandler)
	}
}

// uniqueName returns name, or "name (2).ext" and so on if it was used
// (as deposit.NameKey folds it).
func uniqueName(name string, used map[string]bool) string {
	if name == "" {
		name = "fichier"
	}
	out := name
	ext := path.Ext(name)
	base := strings.TrimSuffix(name, ext)
	for i := 2; used[deposit.NameKey(out)]; i++ {
		out = fmt.Sprintf("%s (%d)%s", base, i, ext)
	}
	used[deposit.NameKey(out)] = true
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

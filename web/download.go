package web

import (
	"net/http"
	"net/url"
	"strings"

	"navette"
	"navette/deposit"
	"navette/internal/httpfile"
	"navette/safename"
)

func init() { pageNames = append(pageNames, "download") }

// askAfterSignIn returns next, where a sign-in goes on to, marked ?ask if
// it is a download (a file, a deposit's or a case's ZIP), so that askFirst
// asks for it again: a link another site gave to a signed-out person
// leads through navette's own sign-in pages, whose redirect is
// same-origin, so httpfile.StartedElsewhere cannot see where it began.
func askAfterSignIn(next string) string {
	u, err := url.Parse(next)
	if err != nil {
		return next
	}
	p := strings.Split(strings.TrimSuffix(u.Path, "/"), "/")
	download := len(p) == 4 && (p[1] == "deposits" || p[1] == "cases") && p[3] == "zip" ||
		len(p) == 5 && p[1] == "deposits" && p[3] == "files"
	if !download || u.Query().Has("ask") {
		return next
	}
	q := u.Query()
	q.Set("ask", "1")
	u.RawQuery = q.Encode()
	return u.RequestURI()
}

// asked is what the page of askFirst names: a file and its deposit, or a
// case's files.
type asked struct {
	// File is the file's name (the ZIP's for a deposit's files), unset for
	// a case's.
	File string
	// Case is set for the ZIP of a case's files.
	Case bool
	// Reference is the deposit's or case's reference; Back is its page.
	Reference string
	Back      string
	// URL is the download's, to ask for it from this page.
	URL string
}

// askFirst answers r, a download started from another site
// (httpfile.StartedElsewhere), reached by signing in (?ask, askAfterSignIn) or
// asking for the page below in another language (?lang=), with a page that names what it is (what) and a "Télécharger"
// button to the same URL, and reports whether it did. Nothing is sent nor
// recorded: neither a download nor an opening of the deposit. The button,
// pressed on that page, asks from navette's origin, and the download
// proceeds.
func (h *Handler) askFirst(w http.ResponseWriter, r *http.Request, what func(*http.Request) (*asked, error)) bool {
	if q := r.URL.Query(); !httpfile.StartedElsewhere(r, h.PublicURL) && !q.Has("lang") && !q.Has("ask") {
		return false
	}
	a, err := what(r)
	if err != nil {
		h.Error(w, r, err)
		return true
	}
	a.URL = r.URL.EscapedPath()
	p := h.newPage(w, r, "Télécharger ?", "")
	p.Data = a
	h.render(w, r, http.StatusOK, "download", p)
	return true
}

// askedFile names the file of a download for askFirst.
func (h *Handler) askedFile(r *http.Request) (*asked, error) {
	v, err := h.Deposits.Get(deposit.Unasked(r.Context()), navette.UserFromContext(r.Context()), r.PathValue("id"))
	if err != nil {
		return nil, err
	}
	for _, f := range v.Files {
		if f.ID == r.PathValue("fid") {
			return &asked{File: f.Name, Reference: v.Reference, Back: DepositPath(v.ID)}, nil
		}
	}
	return nil, navette.Errorf(navette.ENOTFOUND, "No such file in this deposit.")
}

// askedZip names the ZIP of a deposit's files for askFirst.
func (h *Handler) askedZip(r *http.Request) (*asked, error) {
	v, err := h.Deposits.Get(deposit.Unasked(r.Context()), navette.UserFromContext(r.Context()), r.PathValue("id"))
	if err != nil {
		return nil, err
	}
	return &asked{File: zipName(v.Reference, v.ID), Reference: v.Reference, Back: DepositPath(v.ID)}, nil
}

// askedCase names the ZIP of a case's files for askFirst.
func (h *Handler) askedCase(r *http.Request) (*asked, error) {
	c, err := h.Deposits.CaseAt(deposit.Unasked(r.Context()), navette.UserFromContext(r.Context()), r.PathValue("id"), "", 1)
	if err != nil {
		return nil, err
	}
	return &asked{Case: true, Reference: c.Reference, Back: CasePath(c.ID)}, nil
}

// download serves one file, with single ranges so browsers can resume,
// through the handler the API uses too; one started elsewhere is asked
// for again first (askFirst).
func (h *Handler) download(w http.ResponseWriter, r *http.Request) {
	if h.askFirst(w, r, h.askedFile) {
		return
	}
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
// check cuts the connection, so the archive is visibly incomplete. One
// started elsewhere is asked for again first (askFirst).
func (h *Handler) zip(w http.ResponseWriter, r *http.Request) {
	if h.askFirst(w, r, h.askedZip) {
		return
	}
	u := navette.UserFromContext(r.Context())
	v, ok := h.view(w, r)
	if !ok {
		return
	}
	if deposit.Expired(v.DepositRecord, h.now()) || v.State != navette.DepositAvailable {
		h.Error(w, r, navette.Errorf(navette.EGONE, "This deposit has expired; its files are no longer available."))
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
	// Each file's bytes go to the client as they are written; a file
	// counts as downloaded once the client acknowledged the end of its
	// entry (deposit.Zip).
	z := deposit.NewZip(httpfile.ArchiveWriter(w, r))
	var names safename.Set
	for _, dl := range dls {
		if err := z.Add(r.Context(), dl, names.Add(safename.Clean(dl.Name, "fichier")), dl.File().StoredAt.In(paris)); err != nil {
			z.Abort(r.Context())
			h.log().ErrorContext(r.Context(), "web: zip aborted", "deposit", v.ID, "file", dl.File().ID, "err", err)
			panic(http.ErrAbortHandler)
		}
	}
	if err := z.Close(r.Context()); err != nil {
		h.log().ErrorContext(r.Context(), "web: zip aborted", "deposit", v.ID, "err", err)
		panic(http.ErrAbortHandler)
	}
}

// zipName names the archive after the deposit's reference.
func zipName(ref, id string) string {
	return safename.Cut(ref, "navette-"+id[:8], 100) + ".zip"
}

package web

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"mime/multipart"
	"net/http"
	"slices"
	"strings"

	"navette"
	"navette/directory"
)

// MaxImportSize is the largest directory flow the imports page takes.
const MaxImportSize = 256 << 20

// importData is what the directory imports page shows.
type importData struct {
	Configured bool
	Sources    []string
	Source     string
	// Report is the dry run's, or the applied sync's, difference.
	Report *directory.Report
	// Applied is set once the flow was applied.
	Applied bool
	// Refused is set when the revocation guard refused the flow; the page
	// then offers to force it.
	Refused int
	Force   bool
	// Problems are the flow's faults, with their lines.
	Problems  []directory.Problem
	Truncated bool
	// Problem is a message about the request as a whole.
	Problem string
	// Field is the id of the field Problem is about, if any.
	Field string
	// Hash is the SHA-256 of the flow of the dry run, which the apply
	// form carries to check that the same file is sent again.
	Hash     string
	FileName string
	// Request is the id of the request of the two-person rule that a
	// forced apply made, or uses.
	Request string

	// Shown are Problems and the changes of Report in the page's
	// language, set by renderImports.
	Shown struct {
		Problems                          []shownProblem
		Added, Updated, Revoked, Restored []shownChange
	}
}

// shownProblem is a problem of a flow in the page's language.
type shownProblem struct {
	Line    int
	Message string
}

// shownChange is a change of a directory sync, its detail in the page's
// language.
type shownChange struct {
	Line                    int
	ExternalID, Name, Email string
	Detail                  string
}

// localize fills d.Shown in lang.
func (d *importData) localize(lang string) {
	d.Shown.Problems = nil
	for _, p := range d.Problems {
		d.Shown.Problems = append(d.Shown.Problems, shownProblem{Line: p.Line, Message: directoryProblem(lang, p)})
	}
	changes := func(list []directory.Change) []shownChange {
		var out []shownChange
		for _, c := range list {
			out = append(out, shownChange{Line: c.Line, ExternalID: c.ExternalID, Name: c.Name, Email: c.Email, Detail: directoryDetail(lang, c)})
		}
		return out
	}
	d.Shown.Added, d.Shown.Updated, d.Shown.Revoked, d.Shown.Restored = nil, nil, nil, nil
	if r := d.Report; r != nil {
		d.Shown.Added, d.Shown.Updated = changes(r.Added), changes(r.Updated)
		d.Shown.Revoked, d.Shown.Restored = changes(r.Revoked), changes(r.Restored)
	}
}

func (h *Handler) importSources() []string {
	var out []string
	for k := range h.Mappings {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

func (h *Handler) newImportData() *importData {
	d := &importData{Configured: h.Directory != nil && len(h.Mappings) > 0, Sources: h.importSources()}
	if len(d.Sources) > 0 {
		d.Source = d.Sources[0]
	}
	return d
}

func (h *Handler) renderImports(w http.ResponseWriter, r *http.Request, status int, d *importData) {
	p := h.newPage(w, r, "Imports d’annuaire", "admin")
	if d.Applied {
		p.Flash = tr(p.Lang, "Le fichier est appliqué.")
	}
	d.localize(p.Lang)
	p.Data = d
	h.render(w, r, status, "admin-imports", p)
}

func (h *Handler) adminImports(w http.ResponseWriter, r *http.Request) {
	h.renderImports(w, r, http.StatusOK, h.newImportData())
}

func (h *Handler) importPreview(w http.ResponseWriter, r *http.Request) { h.importFlow(w, r, false) }

func (h *Handler) importApply(w http.ResponseWriter, r *http.Request) { h.importFlow(w, r, true) }

// importFlow reads the uploaded flow as it streams in, parses it with the
// chosen source's mapping and runs the sync: a dry run, or for apply the
// real one, which needs the hash of the dry run's file.
func (h *Handler) importFlow(w http.ResponseWriter, r *http.Request, apply bool) {
	d := h.newImportData()
	if !d.Configured {
		h.renderImports(w, r, http.StatusConflict, d)
		return
	}
	lang := h.lang(w, r)
	fail := func(status int, field, msg string) {
		d.Problem, d.Field = tr(lang, msg), field
		h.renderImports(w, r, status, d)
	}
	f := &importForm{mappings: h.Mappings, d: d}
	d.Source = ""
	if r.MultipartForm != nil {
		if !h.readParsedImport(w, r, f, fail) {
			return
		}
	} else if !h.readStreamedImport(w, r, f, fail) {
		return
	}
	if _, ok := f.mapping(); !ok {
		fail(http.StatusBadRequest, "source", "Choisissez la source de l’annuaire.")
		return
	}
	if !f.seen || f.sum == "" {
		fail(http.StatusBadRequest, "file", "Choisissez un fichier.")
		return
	}
	if apply && f.wantSum != f.sum {
		fail(http.StatusBadRequest, "file", "Ce fichier n’est pas celui de l’aperçu : choisissez le même fichier, ou refaites l’aperçu.")
		return
	}
	d.Hash = f.sum
	if f.perr != nil {
		if !h.importProblems(w, r, d, f.perr) {
			h.Error(w, r, f.perr)
		}
		return
	}
	h.applyImport(w, r, f, apply)
}

// importForm is what an import request sent, its flow parsed as it
// streamed in.
type importForm struct {
	mappings map[string]directory.Mapping
	d        *importData
	entries  []directory.Entry
	perr     error  // the flow's parse error
	sum      string // hex SHA-256 of the flow
	seen     bool   // whether a flow was sent
	wantSum  string // the hash of the dry run's flow, for apply
}

// mapping returns the mapping of the chosen source.
func (f *importForm) mapping() (directory.Mapping, bool) {
	m, ok := f.mappings[f.d.Source]
	return m, ok
}

// read parses the flow named name from body, and hashes it whole.
func (f *importForm) read(name string, body io.Reader) {
	f.seen = true
	f.d.FileName = name
	m, _ := f.mapping()
	hash := sha256.New()
	f.entries, f.perr = directory.Parse(io.TeeReader(body, hash), m)
	io.Copy(hash, body)
	f.sum = hex.EncodeToString(hash.Sum(nil))
}

// readParsedImport reads the import form already parsed into
// r.MultipartForm. It returns false once it has answered the request.
func (h *Handler) readParsedImport(w http.ResponseWriter, r *http.Request, f *importForm, fail func(status int, field, msg string)) bool {
	form := r.MultipartForm
	f.d.Source = first(form.Value["source"])
	f.d.Force = first(form.Value["force"]) == "yes"
	f.d.Request = first(form.Value["request"])
	f.wantSum = first(form.Value["hash"])
	if _, ok := f.mapping(); !ok {
		fail(http.StatusBadRequest, "source", "Choisissez la source de l’annuaire.")
		return false
	}
	if fhs := form.File["file"]; len(fhs) > 0 && fhs[0].Size > 0 {
		file, err := fhs[0].Open()
		if err != nil {
			h.Error(w, r, err)
			return false
		}
		f.read(fhs[0].Filename, file)
		file.Close()
	}
	return true
}

// readStreamedImport reads the import form from the request's body as it
// streams in. It returns false once it has answered the request.
func (h *Handler) readStreamedImport(w http.ResponseWriter, r *http.Request, f *importForm, fail func(status int, field, msg string)) bool {
	r.Body = http.MaxBytesReader(w, r.Body, MaxImportSize)
	mr, err := r.MultipartReader()
	if err != nil {
		fail(http.StatusBadRequest, "file", "Choisissez un fichier.")
		return false
	}
	for {
		part, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			h.importReadError(w, r, f.d, err)
			return false
		}
		switch part.FormName() {
		case "source":
			f.d.Source = formText(part)
		case "force":
			f.d.Force = formText(part) == "yes"
		case "request":
			f.d.Request = formText(part)
		case "hash":
			f.wantSum = formText(part)
		case "file":
			if _, ok := f.mapping(); !ok {
				part.Close()
				fail(http.StatusBadRequest, "source", "Choisissez la source de l’annuaire.")
				return false
			}
			if part.FileName() == "" {
				break
			}
			f.read(part.FileName(), part)
		}
		part.Close()
	}
	var mbe *http.MaxBytesError
	if errors.As(f.perr, &mbe) {
		h.importReadError(w, r, f.d, f.perr)
		return false
	}
	return true
}

// applyImport runs the sync of the parsed flow of f, a dry run unless
// apply, and renders its report.
func (h *Handler) applyImport(w http.ResponseWriter, r *http.Request, f *importForm, apply bool) {
	d := f.d
	m, _ := f.mapping()
	source := m.Source
	if source == "" {
		source = d.Source
	}
	if apply && d.Force && !h.forceApproved(w, r, f, source) {
		return
	}
	rep, err := h.Directory.Apply(r.Context(), source, f.entries, directory.Options{DryRun: !apply, Force: apply && d.Force})
	d.Report = rep
	switch {
	case err != nil && rep != nil && navette.IsCode(err, navette.EINVALID):
		d.Refused, d.Force = len(rep.Revoked), false
		h.renderImports(w, r, http.StatusOK, d)
	case err != nil:
		if !h.importProblems(w, r, d, err) {
			h.Error(w, r, err)
		}
	default:
		if apply {
			u := navette.UserFromContext(r.Context())
			h.log().InfoContext(r.Context(), "web: directory import applied", "actor", u.ID, "source", source,
				"added", len(rep.Added), "updated", len(rep.Updated), "revoked", len(rep.Revoked), "restored", len(rep.Restored))
		}
		d.Applied = apply
		h.renderImports(w, r, http.StatusOK, d)
	}
}

// forceApproved applies the two-person rule to a forced apply: without a
// request id it records the request for this flow and shows the dry run
// again with it; with the id of the approved request for exactly this
// flow, it uses it up. It returns false once it has answered the request.
func (h *Handler) forceApproved(w http.ResponseWriter, r *http.Request, f *importForm, source string) bool {
	if h.Accounts == nil || !h.Accounts.TwoPerson() {
		return true
	}
	d, u := f.d, navette.UserFromContext(r.Context())
	if d.Request != "" {
		err := h.Accounts.ClaimForceDirectory(r.Context(), u, d.Request, source, f.sum)
		if err == nil {
			return true
		}
		d.Problem = h.message(h.lang(nil, r), err)
		h.renderImports(w, r, statusOf(err), d)
		return false
	}
	req, err := h.Accounts.RequestForceDirectory(r.Context(), u, source, f.sum, "")
	if err != nil {
		h.Error(w, r, err)
		return false
	}
	rep, err := h.Directory.Apply(r.Context(), source, f.entries, directory.Options{DryRun: true})
	if rep != nil {
		d.Report, d.Refused = rep, len(rep.Revoked)
	}
	if err != nil && rep == nil {
		h.Error(w, r, err)
		return false
	}
	d.Request, d.Force = req.ID, false
	h.renderImports(w, r, http.StatusAccepted, d)
	return false
}

// importProblems renders the page with the problems of a refused flow and
// reports whether err was one.
func (h *Handler) importProblems(w http.ResponseWriter, r *http.Request, d *importData, err error) bool {
	var pe *directory.ParseError
	if !errors.As(err, &pe) {
		return false
	}
	d.Problems, d.Truncated, d.Hash = pe.Problems, pe.Truncated, ""
	d.Problem, d.Field = tr(h.lang(nil, r), "Le fichier est refusé et rien n’a été appliqué : corrigez les lignes ci-dessous."), "file"
	h.renderImports(w, r, http.StatusUnprocessableEntity, d)
	return true
}

func (h *Handler) importReadError(w http.ResponseWriter, r *http.Request, d *importData, err error) {
	lang := h.lang(nil, r)
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		d.Problem, d.Field = tr(lang, "Le fichier dépasse 256 Mo."), "file"
		h.renderImports(w, r, http.StatusRequestEntityTooLarge, d)
		return
	}
	d.Problem, d.Field = tr(lang, "Le fichier n’a pas pu être reçu en entier : recommencez."), "file"
	h.renderImports(w, r, http.StatusBadRequest, d)
}

// formText reads a small text field of a multipart form.
func formText(p *multipart.Part) string {
	b, _ := io.ReadAll(io.LimitReader(p, 1024))
	return strings.TrimSpace(string(b))
}

func first(v []string) string {
	if len(v) == 0 {
		return ""
	}
	return v[0]
}

// Package clienttest provides an in-memory stand-in for the navette server,
// speaking the /api/v1 HTTP API (deposits, tus uploads, downloads) closely
// enough to test the client and the command line.
//
// It is a test double, written while the real server is being built, and
// not a reference: once the real server exists, integration tests against it
// must complement (and may replace) the tests that use this package. It has
// hooks to inject the faults real networks and servers produce: connections
// cut mid-upload or mid-download, offset conflicts, corrupted bodies.
package clienttest

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"navette"
	"navette/api"
	"navette/client"
)

// Server is the fake navette server. Its exported methods are safe for
// concurrent use.
type Server struct {
	// URL is the base URL of the server, without a trailing slash.
	URL string
	srv *httptest.Server

	mu        sync.Mutex
	users     map[string]string // token → e-mail
	deposits  map[string]*deposit
	order     []string // deposit ids, oldest first
	uploads   map[string]*upload
	maxUpload int64

	cutPatch     int64 // > 0: cut the next PATCH after so many bytes
	cutDownload  int64 // > 0: abort the next download after so many bytes
	corrupt      bool  // serve altered bytes with the right headers
	noRange      bool  // ignore Range headers
	locOrigin    string
	beforePatch  func(uploadID string, clientOffset int64)
	heads        int
	patches      int
	downloadHits int
}

type deposit struct {
	api.Deposit
	data    map[string][]byte // file id → content
	uploads []string          // upload ids of a draft, in creation order
}

type upload struct {
	id, depositID, name string
	length              int64
	data                []byte
	received            int64 // bytes received in PATCH bodies, all attempts
}

// NewServer starts a fake server, closed when the test ends.
func NewServer(tb testing.TB) *Server {
	s := &Server{
		users:     map[string]string{},
		deposits:  map[string]*deposit{},
		uploads:   map[string]*upload{},
		maxUpload: 1 << 30,
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST "+api.PathDeposits, s.auth(s.createDeposit))
	mux.HandleFunc("GET "+api.PathDeposits, s.auth(s.listDeposits))
	mux.HandleFunc("GET "+api.PathDeposits+"/{id}", s.auth(s.getDeposit))
	mux.HandleFunc("DELETE "+api.PathDeposits+"/{id}", s.auth(s.revoke))
	mux.HandleFunc("POST "+api.PathDeposits+"/{id}/submit", s.auth(s.submit))
	mux.HandleFunc("GET "+api.PathDeposits+"/{id}/files", s.auth(s.listFiles))
	mux.HandleFunc("GET "+api.PathDeposits+"/{id}/files/{fid}", s.auth(s.download))
	mux.HandleFunc("POST "+api.PathUploads+"{$}", s.auth(s.createUpload))
	mux.HandleFunc("HEAD "+api.PathUploads+"{id}", s.auth(s.headUpload))
	mux.HandleFunc("PATCH "+api.PathUploads+"{id}", s.auth(s.patchUpload))
	mux.HandleFunc("DELETE "+api.PathUploads+"{id}", s.auth(s.terminateUpload))
	s.srv = httptest.NewServer(mux)
	s.URL = s.srv.URL
	tb.Cleanup(s.srv.Close)
	return s
}

// AddUser lets token authenticate as email.
func (s *Server) AddUser(token, email string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.users[token] = navette.NormalizeEmail(email)
}

// SetMaxUploadSize sets the largest Upload-Length accepted (413 above).
func (s *Server) SetMaxUploadSize(n int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.maxUpload = n
}

// CutNextPatch makes the next PATCH read n bytes, store them, then close
// the connection without answering.
func (s *Server) CutNextPatch(n int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.cutPatch = n
}

// CutNextDownload makes the next file download send n bytes of the body
// then abort the connection.
func (s *Server) CutNextDownload(n int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.cutDownload = n
}

// SetCorrupt makes downloads send altered bytes, with the headers (length,
// Repr-Digest) of the true file.
func (s *Server) SetCorrupt(on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.corrupt = on
}

// SetIgnoreRange makes downloads ignore Range headers (200, whole file).
func (s *Server) SetIgnoreRange(on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.noRange = on
}

// SetLocationOrigin makes upload creation answer with an absolute Location
// on origin (as tusd does, from the request's Host); "" (the default) gives
// a relative Location.
func (s *Server) SetLocationOrigin(origin string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.locOrigin = origin
}

// SetBeforePatch installs a function called at the start of every PATCH,
// before the offset is checked, without the server's lock held.
func (s *Server) SetBeforePatch(fn func(uploadID string, clientOffset int64)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.beforePatch = fn
}

// SetUploadData replaces what the server holds of an upload.
func (s *Server) SetUploadData(uploadID string, data []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if u := s.uploads[uploadID]; u != nil {
		u.data = slices.Clone(data)
	}
}

// UploadData returns what the server holds of an upload.
func (s *Server) UploadData(uploadID string) []byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	if u := s.uploads[uploadID]; u != nil {
		return slices.Clone(u.data)
	}
	return nil
}

// UploadReceived returns how many bytes PATCH bodies brought to an upload,
// over all attempts.
func (s *Server) UploadReceived(uploadID string) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	if u := s.uploads[uploadID]; u != nil {
		return u.received
	}
	return -1
}

// Counts returns how many HEAD, PATCH and file GET requests were served.
func (s *Server) Counts() (heads, patches, downloads int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.heads, s.patches, s.downloadHits
}

// Deposit returns a copy of a deposit as its sender sees it.
func (s *Server) Deposit(id string) (api.Deposit, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	d := s.deposits[id]
	if d == nil {
		return api.Deposit{}, false
	}
	return s.view(d), true
}

// FileData returns the content of a file of a deposit.
func (s *Server) FileData(depositID, fileID string) []byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	if d := s.deposits[depositID]; d != nil {
		return slices.Clone(d.data[fileID])
	}
	return nil
}

// File is a file of a deposit made with AddDeposit.
type File struct {
	Name string
	Data []byte
}

// AddDeposit stores an available deposit from sender to recipients and
// returns its id and the ids of its files.
func (s *Server) AddDeposit(sender string, recipients []string, reference string, files ...File) (string, []string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := time.Now().UTC().Truncate(time.Second)
	exp := now.Add(7 * 24 * time.Hour)
	d := &deposit{Deposit: api.Deposit{
		ID: navette.NewID(), State: string(navette.DepositAvailable), Reference: reference,
		RetentionDays: 7, Sender: api.Person{Email: navette.NormalizeEmail(sender)},
		CreatedAt: now, SubmittedAt: &now, ExpiresAt: &exp,
	}, data: map[string][]byte{}}
	for _, r := range recipients {
		d.Recipients = append(d.Recipients, api.Recipient{Email: navette.NormalizeEmail(r)})
	}
	var ids []string
	for _, f := range files {
		id := navette.NewID()
		sum := sha256.Sum256(f.Data)
		d.Files = append(d.Files, api.File{ID: id, Name: f.Name, Size: int64(len(f.Data)), Offset: int64(len(f.Data)),
			SHA256: hex.EncodeToString(sum[:]), State: string(navette.FileAvailable)})
		d.data[id] = slices.Clone(f.Data)
		ids = append(ids, id)
	}
	s.deposits[d.ID] = d
	s.order = append(s.order, d.ID)
	return d.ID, ids
}

// ---- HTTP handlers ----

func (s *Server) auth(h func(w http.ResponseWriter, r *http.Request, user string)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		s.mu.Lock()
		user := s.users[tok]
		s.mu.Unlock()
		if !ok || user == "" {
			problem(w, http.StatusUnauthorized, navette.EUNAUTHORIZED, "Invalid or missing token.")
			return
		}
		h(w, r, user)
	}
}

// problem writes an RFC 9457 answer.
func problem(w http.ResponseWriter, status int, code, detail string) {
	w.Header().Set("Content-Type", api.ProblemContentType)
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(api.Problem{Type: "about:blank", Title: http.StatusText(status), Status: status, Detail: detail, Code: code})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// view returns the public form of a deposit. Called with s.mu held.
func (s *Server) view(d *deposit) api.Deposit {
	v := d.Deposit
	v.Recipients = slices.Clone(d.Recipients)
	v.Files = slices.Clone(d.Files)
	v.FileCount = len(v.Files)
	v.TotalSize = 0
	for _, f := range v.Files {
		v.TotalSize += f.Size
	}
	if v.State == string(navette.DepositDraft) {
		v.UploadURL = s.URL + api.PathUploads
	}
	return v
}

// visible returns the deposit id if user may see it, writing the error
// answer otherwise. Called with s.mu held.
func (s *Server) visible(w http.ResponseWriter, id, user string) *deposit {
	d := s.deposits[id]
	if d == nil || d.Sender.Email != user && !slices.ContainsFunc(d.Recipients, func(r api.Recipient) bool { return r.Email == user }) {
		problem(w, http.StatusNotFound, navette.ENOTFOUND, "No such deposit.")
		return nil
	}
	if d.Sender.Email != user && d.State == string(navette.DepositDraft) {
		problem(w, http.StatusNotFound, navette.ENOTFOUND, "No such deposit.")
		return nil
	}
	if d.State == string(navette.DepositRevoked) || d.State == string(navette.DepositExpired) {
		problem(w, http.StatusGone, navette.EGONE, "The deposit was revoked or has expired.")
		return nil
	}
	return d
}

func (s *Server) createDeposit(w http.ResponseWriter, r *http.Request, user string) {
	var in api.CreateDeposit
	if err := json.NewDecoder(io.LimitReader(r.Body, 1<<20)).Decode(&in); err != nil {
		problem(w, http.StatusBadRequest, navette.EINVALID, "Invalid JSON.")
		return
	}
	if len(in.Recipients) == 0 || strings.TrimSpace(in.Reference) == "" {
		problem(w, http.StatusBadRequest, navette.EINVALID, "A deposit needs recipients and a reference.")
		return
	}
	for _, rc := range in.Recipients {
		if !strings.Contains(rc, "@") {
			problem(w, http.StatusBadRequest, navette.EINVALID, fmt.Sprintf("Invalid e-mail address %q.", rc))
			return
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	days := in.RetentionDays
	if days == 0 {
		days = 7
	}
	d := &deposit{Deposit: api.Deposit{
		ID: navette.NewID(), State: string(navette.DepositDraft), Reference: in.Reference, Message: in.Message,
		RetentionDays: days, Sender: api.Person{Email: user}, CreatedAt: time.Now().UTC().Truncate(time.Second),
	}, data: map[string][]byte{}}
	for _, rc := range in.Recipients {
		d.Recipients = append(d.Recipients, api.Recipient{Email: navette.NormalizeEmail(rc)})
	}
	s.deposits[d.ID] = d
	s.order = append(s.order, d.ID)
	writeJSON(w, http.StatusCreated, s.view(d))
}

func (s *Server) listDeposits(w http.ResponseWriter, r *http.Request, user string) {
	q := r.URL.Query()
	box := q.Get("box")
	if box != client.BoxInbox && box != client.BoxSent {
		problem(w, http.StatusBadRequest, navette.EINVALID, "box must be inbox or sent.")
		return
	}
	limit := 50
	if l := q.Get("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 1 {
			problem(w, http.StatusBadRequest, navette.EINVALID, "Invalid limit.")
			return
		}
		limit = min(n, 200)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	list := api.DepositList{Deposits: []api.Deposit{}}
	before := q.Get("before")
	started := before == ""
	for i := len(s.order) - 1; i >= 0; i-- {
		d := s.deposits[s.order[i]]
		if !started {
			started = d.ID == before
			continue
		}
		mine := box == client.BoxSent && d.Sender.Email == user ||
			box == client.BoxInbox && d.State != string(navette.DepositDraft) &&
				slices.ContainsFunc(d.Recipients, func(r api.Recipient) bool { return r.Email == user })
		if !mine {
			continue
		}
		if len(list.Deposits) == limit {
			list.Next = list.Deposits[limit-1].ID
			break
		}
		v := s.view(d)
		v.Files = nil
		list.Deposits = append(list.Deposits, v)
	}
	writeJSON(w, http.StatusOK, list)
}

func (s *Server) getDeposit(w http.ResponseWriter, r *http.Request, user string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if d := s.visible(w, r.PathValue("id"), user); d != nil {
		writeJSON(w, http.StatusOK, s.view(d))
	}
}

func (s *Server) listFiles(w http.ResponseWriter, r *http.Request, user string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if d := s.visible(w, r.PathValue("id"), user); d != nil {
		writeJSON(w, http.StatusOK, api.FileList{Files: s.view(d).Files})
	}
}

func (s *Server) revoke(w http.ResponseWriter, r *http.Request, user string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	d := s.visible(w, r.PathValue("id"), user)
	if d == nil {
		return
	}
	if d.Sender.Email != user {
		problem(w, http.StatusForbidden, navette.EFORBIDDEN, "Only the sender may revoke a deposit.")
		return
	}
	now := time.Now().UTC()
	d.State, d.RevokedAt = string(navette.DepositRevoked), &now
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) submit(w http.ResponseWriter, r *http.Request, user string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	d := s.visible(w, r.PathValue("id"), user)
	if d == nil {
		return
	}
	if d.Sender.Email != user {
		problem(w, http.StatusForbidden, navette.EFORBIDDEN, "Only the sender may submit a deposit.")
		return
	}
	if d.State != string(navette.DepositDraft) {
		problem(w, http.StatusConflict, navette.ECONFLICT, "The deposit is already submitted.")
		return
	}
	if len(d.uploads) == 0 {
		problem(w, http.StatusConflict, navette.ECONFLICT, "The deposit has no file.")
		return
	}
	for _, id := range d.uploads {
		if u := s.uploads[id]; int64(len(u.data)) != u.length {
			problem(w, http.StatusConflict, navette.ECONFLICT, fmt.Sprintf("The file %q is not completely uploaded.", u.name))
			return
		}
	}
	for _, id := range d.uploads {
		u := s.uploads[id]
		sum := sha256.Sum256(u.data)
		d.Files = append(d.Files, api.File{ID: id, Name: u.name, Size: u.length, Offset: u.length,
			SHA256: hex.EncodeToString(sum[:]), State: string(navette.FileAvailable)})
		d.data[id] = u.data
	}
	now := time.Now().UTC().Truncate(time.Second)
	exp := now.Add(time.Duration(d.RetentionDays) * 24 * time.Hour)
	d.State, d.SubmittedAt, d.ExpiresAt = string(navette.DepositAvailable), &now, &exp
	writeJSON(w, http.StatusOK, s.view(d))
}

// ---- tus ----

func tusHeaders(w http.ResponseWriter) {
	w.Header().Set("Tus-Resumable", "1.0.0")
	w.Header().Set("Cache-Control", "no-store")
}

func (s *Server) createUpload(w http.ResponseWriter, r *http.Request, user string) {
	tusHeaders(w)
	if r.Header.Get("Tus-Resumable") != "1.0.0" {
		w.Header().Set("Tus-Version", "1.0.0")
		problem(w, http.StatusPreconditionFailed, navette.EINVALID, "Unsupported tus version.")
		return
	}
	length, err := strconv.ParseInt(r.Header.Get("Upload-Length"), 10, 64)
	if err != nil || length < 0 {
		problem(w, http.StatusBadRequest, navette.EINVALID, "Upload-Length is required (deferred length is not supported).")
		return
	}
	meta, err := parseMetadata(r.Header.Get("Upload-Metadata"))
	if err != nil || meta[api.MetaDeposit] == "" || meta[api.MetaFilename] == "" {
		problem(w, http.StatusBadRequest, navette.EINVALID, "Upload-Metadata must name the deposit and the file.")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	d := s.deposits[meta[api.MetaDeposit]]
	if d == nil || d.Sender.Email != user || d.State != string(navette.DepositDraft) {
		problem(w, http.StatusNotFound, navette.ENOTFOUND, "No such draft deposit.")
		return
	}
	if length > s.maxUpload {
		problem(w, http.StatusRequestEntityTooLarge, navette.ETOOLARGE, "The file is too large.")
		return
	}
	u := &upload{id: navette.NewID(), depositID: d.ID, name: meta[api.MetaFilename], length: length}
	s.uploads[u.id] = u
	d.uploads = append(d.uploads, u.id)
	w.Header().Set("Location", s.locOrigin+api.PathUploads+u.id)
	w.WriteHeader(http.StatusCreated)
}

// parseMetadata parses a tus Upload-Metadata header.
func parseMetadata(h string) (map[string]string, error) {
	m := map[string]string{}
	for _, pair := range strings.Split(h, ",") {
		k, v, _ := strings.Cut(strings.TrimSpace(pair), " ")
		b, err := base64.StdEncoding.DecodeString(v)
		if err != nil {
			return nil, err
		}
		m[k] = string(b)
	}
	return m, nil
}

func (s *Server) headUpload(w http.ResponseWriter, r *http.Request, user string) {
	tusHeaders(w)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.heads++
	u := s.uploads[r.PathValue("id")]
	if u == nil || s.deposits[u.depositID].Sender.Email != user {
		w.WriteHeader(http.StatusNotFound)
		return
	}
	w.Header().Set("Upload-Offset", strconv.Itoa(len(u.data)))
	w.Header().Set("Upload-Length", strconv.FormatInt(u.length, 10))
	w.WriteHeader(http.StatusOK)
}

func (s *Server) patchUpload(w http.ResponseWriter, r *http.Request, user string) {
	tusHeaders(w)
	id := r.PathValue("id")
	off, err := strconv.ParseInt(r.Header.Get("Upload-Offset"), 10, 64)
	if err != nil || r.Header.Get("Content-Type") != "application/offset+octet-stream" {
		problem(w, http.StatusUnsupportedMediaType, navette.EINVALID, "Bad PATCH headers.")
		return
	}
	s.mu.Lock()
	s.patches++
	hook := s.beforePatch
	s.mu.Unlock()
	if hook != nil {
		hook(id, off)
	}

	s.mu.Lock()
	u := s.uploads[id]
	if u == nil || s.deposits[u.depositID].Sender.Email != user {
		s.mu.Unlock()
		problem(w, http.StatusNotFound, navette.ENOTFOUND, "No such upload.")
		return
	}
	if off != int64(len(u.data)) {
		have := len(u.data)
		s.mu.Unlock()
		problem(w, http.StatusConflict, navette.ECONFLICT, fmt.Sprintf("Upload-Offset %d does not match the upload's offset %d.", off, have))
		return
	}
	if r.ContentLength > u.length-off {
		s.mu.Unlock()
		problem(w, http.StatusRequestEntityTooLarge, navette.ETOOLARGE, "More data than Upload-Length.")
		return
	}
	cut := s.cutPatch
	s.cutPatch = 0
	s.mu.Unlock()

	// Read the body outside the lock, as a real server streams it to disk.
	var body io.Reader = io.LimitReader(r.Body, u.length-off)
	if cut > 0 {
		body = io.LimitReader(body, cut)
	}
	buf, readErr := io.ReadAll(body)
	s.mu.Lock()
	u.data = append(u.data, buf...)
	u.received += int64(len(buf))
	newOff := len(u.data)
	s.mu.Unlock()
	if cut > 0 {
		conn, _, err := http.NewResponseController(w).Hijack()
		if err == nil {
			_ = conn.Close()
		}
		return
	}
	if readErr != nil {
		return // the client went away; what arrived is kept
	}
	w.Header().Set("Upload-Offset", strconv.Itoa(newOff))
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) terminateUpload(w http.ResponseWriter, r *http.Request, user string) {
	tusHeaders(w)
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.uploads[r.PathValue("id")]
	if u == nil || s.deposits[u.depositID].Sender.Email != user {
		problem(w, http.StatusNotFound, navette.ENOTFOUND, "No such upload.")
		return
	}
	delete(s.uploads, u.id)
	d := s.deposits[u.depositID]
	d.uploads = slices.DeleteFunc(d.uploads, func(id string) bool { return id == u.id })
	w.WriteHeader(http.StatusNoContent)
}

// ---- downloads ----

func (s *Server) download(w http.ResponseWriter, r *http.Request, user string) {
	s.mu.Lock()
	s.downloadHits++
	d := s.visible(w, r.PathValue("id"), user)
	if d == nil {
		s.mu.Unlock()
		return
	}
	fid := r.PathValue("fid")
	i := slices.IndexFunc(d.Files, func(f api.File) bool { return f.ID == fid })
	if i < 0 {
		s.mu.Unlock()
		problem(w, http.StatusNotFound, navette.ENOTFOUND, "No such file.")
		return
	}
	f := d.Files[i]
	data := d.data[fid]
	cut, corrupt, noRange := s.cutDownload, s.corrupt, s.noRange
	s.cutDownload = 0
	s.mu.Unlock()

	sum := sha256.Sum256(data)
	if corrupt {
		data = bytes.Clone(data)
		for i := range data {
			data[i] ^= 0x5a
		}
	}
	h := w.Header()
	h.Set("Content-Type", "application/octet-stream")
	h.Set("Content-Disposition", "attachment; filename*=UTF-8''"+encodeRFC8187(f.Name))
	h.Set("Repr-Digest", client.FormatReprDigest(sum[:]))
	h.Set("ETag", `"`+hex.EncodeToString(sum[:8])+`"`)
	if noRange {
		r.Header.Del("Range")
	}
	var rw http.ResponseWriter = w
	if cut > 0 {
		rw = &cuttingWriter{ResponseWriter: w, left: cut}
	}
	http.ServeContent(rw, r, "", time.Time{}, bytes.NewReader(data))
}

// cuttingWriter aborts the connection once it has written its quota.
type cuttingWriter struct {
	http.ResponseWriter
	left int64
}

// Write writes p, or aborts the connection once the quota is reached.
func (c *cuttingWriter) Write(p []byte) (int, error) {
	if int64(len(p)) >= c.left {
		_, _ = c.ResponseWriter.Write(p[:c.left])
		_ = http.NewResponseController(c.ResponseWriter).Flush()
		c.left = 0
		panic(http.ErrAbortHandler) // the server drops the connection

	}
	c.left -= int64(len(p))
	return c.ResponseWriter.Write(p)
}

// encodeRFC8187 percent-encodes s for an ext-value (RFC 8187 attr-char).
func encodeRFC8187(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("!#$&+-.^_`|~", c) >= 0 {
			b.WriteByte(c)
		} else {
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	return b.String()
}

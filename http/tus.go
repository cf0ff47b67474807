package http

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	tusd "github.com/tus/tusd/v2/pkg/handler"
	"github.com/tus/tusd/v2/pkg/memorylocker"
	xslog "golang.org/x/exp/slog"

	"navette"
	"navette/api"
	"navette/deposit"
)

// tusHandler builds the tus 1.0 endpoint (core, creation, termination,
// expiration) on a data store that seals everything before it touches disk.
func (s *Server) tusHandler() (*tusd.UnroutedHandler, error) {
	store := &tusStore{s: s}
	composer := tusd.NewStoreComposer()
	composer.UseCore(store)
	composer.UseTerminater(store)
	locker := s.Locker
	if locker == nil {
		locker = memorylocker.New()
	}
	composer.UseLocker(takeoverLocker{locker})
	h, err := tusd.NewUnroutedHandler(tusd.Config{
		StoreComposer: composer,
		BasePath:      api.PathUploads,
		// The limit in force may change at run time (admins' settings):
		// tusd gets the hard bound and Service.StartFile the limit.
		MaxSize:              navette.MaxLimits.MaxFileSize,
		DisableDownload:      true,
		DisableConcatenation: true,
		Cors:                 &tusd.CorsConfig{Disable: true},
		Logger:               xslog.New(xslog.NewTextHandler(io.Discard, nil)),
		NetworkTimeout:       s.bodyIdle(),
	})
	if err != nil {
		return nil, err
	}
	return h, nil
}

// tusRoute wraps a tusd handler method: tus protocol checks first, errors
// rewritten as problem details, expiry advertised.
func (s *Server) tusRoute(h *tusd.UnroutedHandler, method http.HandlerFunc) http.HandlerFunc {
	// tusd takes the upload id from a path with the base path stripped.
	inner := http.StripPrefix(strings.TrimSuffix(api.PathUploads, "/"), h.Middleware(method))
	return func(w http.ResponseWriter, r *http.Request) {
		r.Header.Del("X-HTTP-Method-Override")
		if r.Method == http.MethodPatch && r.ContentLength < 0 {
			// With a length, tusd refuses a body longer than the upload
			// before reading it.
			writeProblem(w, withStatus(problemFor(navette.Errorf(navette.EINVALID, "A PATCH must carry Content-Length."), r.URL.Path), http.StatusLengthRequired))
			return
		}
		meta := &uploadMeta{path: r.URL.Path}
		if r.Method == http.MethodOptions {
			if lim, err := s.Deposits.CurrentLimits(r.Context()); err == nil {
				meta.maxSize = lim.MaxFileSize
			}
		}
		r = r.WithContext(context.WithValue(r.Context(), uploadMetaKey{}, meta))
		if r.Body != nil && r.Body != http.NoBody {
			ctx := r.Context()
			body := &tusBody{ReadCloser: r.Body, path: r.URL.Path, cut: func() { noteClientGone(ctx) }}
			rc := http.NewResponseController(w)
			stop := context.AfterFunc(s.stopping(), func() { body.stop(rc) })
			defer func() {
				stop()
				body.end()
			}()
			r.Body = body
		}
		inner.ServeHTTP(&tusWriter{ResponseWriter: w, meta: meta, path: r.URL.Path}, r)
	}
}

// uploadMeta carries what a response says beyond tusd's: the upload's
// expiry, the file size limit in force (tusd knows only the hard bound),
// and the path asked for, the instance of the store's problem documents.
type uploadMeta struct {
	expires time.Time
	maxSize int64
	path    string
	// takenOver is set once another request asked for the upload's lock,
	// which ends this request's body.
	takenOver atomic.Bool
}

type uploadMetaKey struct{}

func metaFrom(ctx context.Context) *uploadMeta {
	if m, ok := ctx.Value(uploadMetaKey{}).(*uploadMeta); ok {
		return m
	}
	return &uploadMeta{}
}

// tusWriter turns tusd's plain-text errors into problem documents (a 503
// with its Retry-After, as every other 503 of the server) and adds the
// headers of the expiration extension.
type tusWriter struct {
	http.ResponseWriter
	meta    *uploadMeta
	path    string
	problem bool
	status  int
}

func (w *tusWriter) WriteHeader(code int) {
	h := w.Header()
	if ext := h.Get("Tus-Extension"); ext != "" {
		h.Set("Tus-Extension", ext+",expiration")
	}
	// tusd builds an absolute Location from the request's Host and scheme,
	// which is wrong behind a TLS proxy; a path is right everywhere.
	if loc := h.Get("Location"); loc != "" {
		if u, err := url.Parse(loc); err == nil && u.IsAbs() {
			h.Set("Location", u.RequestURI())
		}
	}
	if w.meta.maxSize > 0 && h.Get("Tus-Max-Size") != "" {
		h.Set("Tus-Max-Size", strconv.FormatInt(w.meta.maxSize, 10))
	}
	if !w.meta.expires.IsZero() && code < 300 {
		h.Set("Upload-Expires", w.meta.expires.UTC().Format(http.TimeFormat))
	}
	if code >= 400 && strings.HasPrefix(h.Get("Content-Type"), "text/plain") {
		w.problem, w.status = true, code
		h.Set("Content-Type", api.ProblemContentType)
		h.Del("Content-Length")
		if code == http.StatusServiceUnavailable && h.Get("Retry-After") == "" {
			h.Set("Retry-After", strconv.Itoa(int(retryUnavailableAfter/time.Second)))
		}
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *tusWriter) Write(p []byte) (int, error) {
	if !w.problem {
		return w.ResponseWriter.Write(p)
	}
	// tusd writes "ERR_CODE: message\n" in one call.
	msg := strings.TrimSpace(string(p))
	var cause error
	if code, rest, ok := strings.Cut(msg, ": "); ok {
		msg = rest
		if code == tusd.ErrMismatchOffset.ErrorCode {
			cause = navette.ErrUploadOffset
		}
	}
	pr := withStatus(problemFor(navette.WrapError(api.Code(w.status), cause, "%s", msg), w.path), w.status)
	b, _ := json.Marshal(pr)
	if _, err := w.ResponseWriter.Write(append(b, '\n')); err != nil {
		return 0, err
	}
	return len(p), nil
}

func (w *tusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// retryStoppedAfter is the Retry-After of an upload cut by a shutdown.
const retryStoppedAfter = 5 * time.Second

// stopper ends the uploads in progress when the server shuts down.
type stopper struct {
	once   sync.Once
	ctx    context.Context
	cancel context.CancelFunc
}

func (s *Server) stopping() context.Context {
	s.stop.once.Do(func() { s.stop.ctx, s.stop.cancel = context.WithCancel(context.Background()) })
	return s.stop.ctx
}

// StopUploads cuts the request bodies of the uploads in progress, and of
// any that start after: each keeps what it received, committed, and is
// answered 503 with a Retry-After, so that its client resumes from its
// offset once the server is back (or through another node). App.Run calls
// it as the server shuts down, so that uploads end within the grace.
func (s *Server) StopUploads() {
	s.stopping()
	s.stop.cancel()
}

// tusBody turns a request body cut for its pace, or by a shutdown, into
// the error tusd answers with: 408 or 503 and a problem document. tusd
// still sees a deadline error, so it does not push the deadline back. A
// body its client cut is noted (noteClientGone) for the log and metrics.
type tusBody struct {
	io.ReadCloser
	path    string
	stopped atomic.Bool
	// cut is called when the client closes the connection mid-body.
	cut func()

	mu    sync.Mutex
	ended bool // the handler returned: the connection is no longer ours
}

// stop cuts the body: a read waiting for the client ends at once, and
// every read after fails.
func (b *tusBody) stop(rc *http.ResponseController) {
	b.stopped.Store(true)
	b.mu.Lock()
	defer b.mu.Unlock()
	if !b.ended {
		_ = rc.SetReadDeadline(time.Now())
	}
}

func (b *tusBody) end() {
	b.mu.Lock()
	b.ended = true
	b.mu.Unlock()
}

func (b *tusBody) Read(p []byte) (int, error) {
	if b.stopped.Load() {
		return 0, b.stoppedError()
	}
	n, err := b.ReadCloser.Read(p)
	if err != nil && err != io.EOF && b.stopped.Load() {
		return n, b.stoppedError()
	}
	if clientWentAway(err) {
		b.cut()
	}
	if err != nil && err != io.EOF && isSlowBody(err) {
		pr := withStatus(problemFor(navette.Errorf(navette.EINVALID, "The request body stopped arriving or arrived too slowly; the upload keeps what was received: resume it from its offset."), b.path), http.StatusRequestTimeout)
		body, _ := json.Marshal(pr)
		err = tusBodyError{tusd.Error{
			ErrorCode: "ERR_READ_TIMEOUT",
			Message:   pr.Detail,
			HTTPResponse: tusd.HTTPResponse{
				StatusCode: pr.Status,
				Body:       string(body) + "\n",
				Header:     tusd.HTTPHeader{"Content-Type": api.ProblemContentType, "Connection": "close"},
			},
		}}
	}
	return n, err
}

// clientWentAway reports whether err, from reading a request body, says
// that the client closed the connection before the body's end.
func clientWentAway(err error) bool {
	return errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, syscall.ECONNRESET)
}

func (b *tusBody) stoppedError() error {
	pr := withStatus(problemFor(navette.Errorf(navette.EUNAVAILABLE, "The server is shutting down; the upload keeps what was received: resume it from its offset shortly."), b.path), http.StatusServiceUnavailable)
	body, _ := json.Marshal(pr)
	return tusBodyError{tusd.Error{
		ErrorCode: "ERR_SERVER_SHUTDOWN",
		Message:   pr.Detail,
		HTTPResponse: tusd.HTTPResponse{
			StatusCode: pr.Status,
			Body:       string(body) + "\n",
			Header: tusd.HTTPHeader{"Content-Type": api.ProblemContentType, "Connection": "close",
				"Retry-After": strconv.Itoa(int(retryStoppedAfter / time.Second))},
		},
	}}
}

// tusBodyError is a tusd error that is also a deadline error, and not a
// net.Error, which tusd would answer with its own 500.
type tusBodyError struct{ te tusd.Error }

func (e tusBodyError) Error() string { return e.te.Error() }

// Is makes the error a deadline error for errors.Is.
func (e tusBodyError) Is(target error) bool { return target == os.ErrDeadlineExceeded }

// As gives tusd its error.
func (e tusBodyError) As(target any) bool {
	if p, ok := target.(*tusd.Error); ok {
		*p = e.te
		return true
	}
	return false
}

// tusError converts an application error into a tusd error carrying a
// problem document (its instance the path asked for), so tusd answers
// with it as is.
func (s *Server) tusError(ctx context.Context, err error) error {
	if err == nil {
		return nil
	}
	var te tusd.Error
	if errors.As(err, &te) {
		return err
	}
	p := problemFor(err, metaFrom(ctx).path)
	if p.Status >= 500 {
		s.log().ErrorContext(ctx, "upload failed", "err", err)
	}
	b, _ := json.Marshal(p)
	h := tusd.HTTPHeader{"Content-Type": api.ProblemContentType}
	if p.Status == http.StatusServiceUnavailable {
		h["Retry-After"] = strconv.Itoa(int(retryUnavailableAfter / time.Second))
	}
	return tusd.Error{
		ErrorCode: "ERR_" + strings.ToUpper(p.Code),
		Message:   p.Detail,
		HTTPResponse: tusd.HTTPResponse{
			StatusCode: p.Status,
			Body:       string(b) + "\n",
			Header:     h,
		},
	}
}

// tusStore is a tusd data store over the deposit service: every byte is
// hashed and sealed before it reaches the blob store.
type tusStore struct{ s *Server }

func (t *tusStore) NewUpload(ctx context.Context, info tusd.FileInfo) (tusd.Upload, error) {
	actor := navette.UserFromContext(ctx)
	if info.SizeIsDeferred {
		return nil, t.s.tusError(ctx, navette.Errorf(navette.EINVALID, "Upload-Length is required; deferred lengths are not supported."))
	}
	if info.IsPartial || info.IsFinal {
		return nil, t.s.tusError(ctx, navette.Errorf(navette.EINVALID, "Concatenation is not supported."))
	}
	depositID, name := info.MetaData[api.MetaDeposit], info.MetaData[api.MetaFilename]
	if depositID == "" || name == "" {
		return nil, t.s.tusError(ctx, navette.Errorf(navette.EINVALID, "Upload-Metadata must carry %q and %q.", api.MetaDeposit, api.MetaFilename))
	}
	u, err := t.s.Deposits.StartUpload(ctx, actor, depositID, name, info.Size)
	if err != nil {
		return nil, t.s.tusError(ctx, err)
	}
	return t.upload(ctx, u), nil
}

// GetUpload reads the upload's rows once (deposit.Service.OpenUpload); the
// request's writes, completion or removal go through the same handle.
func (t *tusStore) GetUpload(ctx context.Context, id string) (tusd.Upload, error) {
	u, err := t.s.Deposits.OpenUpload(ctx, navette.UserFromContext(ctx), id)
	if navette.IsCode(err, navette.ENOTFOUND) {
		return nil, t.s.tusError(ctx, navette.Errorf(navette.ENOTFOUND, "No such upload."))
	} else if err != nil {
		return nil, t.s.tusError(ctx, err)
	}
	return t.upload(ctx, u), nil
}

// upload wraps u for tusd, noting when it will be discarded if unfinished.
func (t *tusStore) upload(ctx context.Context, u *deposit.Upload) *tusUpload {
	if u.File().State == navette.FileUploading {
		metaFrom(ctx).expires = u.Expires()
	}
	return &tusUpload{t: t, u: u}
}

func (t *tusStore) AsTerminatableUpload(u tusd.Upload) tusd.TerminatableUpload {
	return u.(*tusUpload)
}

// tusUpload is one file being uploaded, for one request.
type tusUpload struct {
	t *tusStore
	u *deposit.Upload
}

func (u *tusUpload) WriteChunk(ctx context.Context, offset int64, src io.Reader) (int64, error) {
	n, err := u.u.Write(ctx, offset, src)
	if err == nil && metaFrom(ctx).takenOver.Load() {
		// tusd would answer 400, as if this request were at fault.
		err = navette.Errorf(navette.ECONFLICT, "Another request is writing this upload; retry with HEAD to find the offset.")
	}
	return n, u.t.s.tusError(ctx, err)
}

// takeoverLocker is the upload locker as tusd uses it, noting in the
// request's uploadMeta when another request takes the upload over: tusd
// then asks the holder to let go, ends its body, and would answer it
// 400.
type takeoverLocker struct{ tusd.Locker }

// NewLock returns the lock of upload id, not yet taken.
func (l takeoverLocker) NewLock(id string) (tusd.Lock, error) {
	k, err := l.Locker.NewLock(id)
	if err != nil {
		return nil, err
	}
	return takeoverLock{k}, nil
}

// takeoverLock is a tusd lock that notes a request to let go in the
// uploadMeta of the request holding it.
type takeoverLock struct{ lock tusd.Lock }

// Lock takes the lock as the lock it wraps does.
func (k takeoverLock) Lock(ctx context.Context, requestUnlock func()) error {
	meta := metaFrom(ctx)
	return k.lock.Lock(ctx, func() {
		meta.takenOver.Store(true)
		requestUnlock()
	})
}

// Unlock releases the lock.
func (k takeoverLock) Unlock() error { return k.lock.Unlock() }

func (u *tusUpload) GetInfo(ctx context.Context) (tusd.FileInfo, error) {
	f := u.u.File()
	return tusd.FileInfo{ID: f.ID, Size: f.Size, Offset: f.Offset, MetaData: tusd.MetaData{api.MetaDeposit: f.DepositID}}, nil
}

func (u *tusUpload) GetReader(ctx context.Context) (io.ReadCloser, error) {
	return nil, u.t.s.tusError(ctx, navette.Errorf(navette.ENOTIMPLEMENTED, "Uploads cannot be read back; download the submitted deposit instead."))
}

func (u *tusUpload) FinishUpload(ctx context.Context) error {
	return u.t.s.tusError(ctx, u.u.Finish(ctx))
}

func (u *tusUpload) Terminate(ctx context.Context) error {
	return u.t.s.tusError(ctx, u.u.Remove(ctx))
}

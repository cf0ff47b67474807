// Package http serves navette's HTTP API (/api/v1): JSON over bearer tokens,
// tus resumable uploads, streamed downloads with Range, problem details for
// every error. The package is named for the technology it adapts.
package http

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"net/http"
	"strings"
	"sync/atomic"
	"time"

	tusd "github.com/tus/tusd/v2/pkg/handler"

	"navette"
	"navette/account"
	"navette/api"
	"navette/auth"
	"navette/deposit"
	"navette/directory"
	"navette/evidence"
	"navette/metrics"
	"navette/notify"
	"navette/proof"
)

// Server holds what the handlers need. Set its fields, then call Handler.
type Server struct {
	Deposits *deposit.Service
	Accounts *account.Service
	// Mail lets admins see and replay e-mail notices.
	Mail   *notify.Admin
	Logger *slog.Logger
	// DevMail, if set, is the local outbox served at /dev/mail for the
	// demo: unauthenticated, so never set on a real deployment.
	DevMail *notify.Outbox
	// Ready reports whether the server can take requests (for /readyz).
	Ready func() error
	// Health, if set, adds to /readyz's answer the state of what the
	// server runs without (the antivirus: files wait while it is down).
	Health func() map[string]any
	// ClientIP returns the client's address for the per-address sign-in
	// limits (realip.Resolver.ClientIP); nil takes the peer's.
	ClientIP func(*http.Request) string
	// Locker serialises requests on the same upload; nil uses an in-process
	// lock, which is right for a single node.
	Locker tusd.Locker
	// Auth signs people in and resolves their sessions.
	Auth *auth.Service
	// Directory applies directory flows; Mappings names the flows an admin
	// may import, by source.
	Directory *directory.Sync
	Mappings  map[string]directory.Mapping
	// LDAPSync, if set, syncs the ministry directory now.
	LDAPSync func(ctx context.Context, opt directory.Options) (*directory.Report, error)
	// PublicURL is the origin browsers reach the service at; requests
	// changing state from a browser must come from it (or from the Host
	// they were sent to).
	PublicURL string
	// Pages, if set, is the web interface, mounted beside the API.
	Pages Pages
	// Journal, if set, serves the journal's checkpoints, verifier keys and
	// proofs, and its state is reported by /readyz.
	Journal *proof.Checkpointer
	// Evidence issues the receipts and evidence bundles of deposits.
	Evidence *evidence.Service
	// BodyIdleTimeout cuts a client that sends nothing of a request body,
	// or reads nothing of an answer, for that long (60 s when zero); a
	// tus upload keeps what it received until then.
	BodyIdleTimeout time.Duration
	// BodyMinRate cuts a request body arriving slower than this many
	// bytes per second, averaged over windows of BodyIdleTimeout spent
	// waiting for it (1 KiB/s when zero; negative: no minimum).
	BodyMinRate int64
	// MaxUploadsPerUser, MaxUploadsPerToken and MaxUploadsPerIP bound the
	// uploads in progress at once of a person, an API token and a client
	// address (8, 4 and 64 when zero; negative: no cap).
	MaxUploadsPerUser  int
	MaxUploadsPerToken int
	MaxUploadsPerIP    int
	// Metrics, if set, counts and times requests by route.
	Metrics *metrics.Registry

	uploads uploadSlots
	stop    stopper
	// patterns are those of the mux Handler built, in registration order.
	patterns []string
	// mux is the mux Handler built, which handleNotFound asks what
	// methods a path takes.
	mux *http.ServeMux
}

// Pages is the web interface.
type Pages interface {
	// Register adds the interface's routes.
	Register(mux Mux)
	// Error answers a browser with the page for err.
	Error(w http.ResponseWriter, r *http.Request, err error)
}

// Mux is where routes are added: the server's mux hands the web interface
// one that records every pattern registered.
type Mux = interface {
	Handle(pattern string, handler http.Handler)
}

// recorder is a ServeMux that keeps the patterns registered on it.
type recorder struct {
	*http.ServeMux
	patterns []string
}

func (m *recorder) Handle(pattern string, handler http.Handler) {
	m.patterns = append(m.patterns, pattern)
	m.ServeMux.Handle(pattern, handler)
}

func (m *recorder) HandleFunc(pattern string, handler func(http.ResponseWriter, *http.Request)) {
	m.Handle(pattern, http.HandlerFunc(handler))
}

// Handler returns the server's root handler.
func (s *Server) Handler() (http.Handler, error) {
	mux := &recorder{ServeMux: http.NewServeMux()}
	routes, err := s.Routes()
	if err != nil {
		return nil, err
	}
	for _, rt := range routes {
		mux.Handle(rt.Pattern, s.guard(rt))
	}
	if s.Pages != nil {
		s.Pages.Register(mux)
	}
	s.patterns, s.mux = mux.patterns, mux.ServeMux
	return s.Metrics.Instrument(s.pace(s.secure(s.identify(s.Metrics.Route(mux.ServeMux))))), nil
}

// Patterns returns every pattern of the mux the last call to Handler
// built, API and web alike: what the policy test checks against the route
// tables, so that nothing is served without a stated policy.
func (s *Server) Patterns() []string { return s.patterns }

// handleNotFound answers what no route matches: the 404 page for a
// browser outside the API, a problem document otherwise, with the status
// 405 and the methods it takes (Allow) for a path that routes take with
// other methods.
func (s *Server) handleNotFound(w http.ResponseWriter, r *http.Request) {
	err := navette.Errorf(navette.ENOTFOUND, "No such resource.")
	if s.forPages(r) {
		s.Pages.Error(w, r, err)
		return
	}
	if allow := s.allowedMethods(r); allow != "" {
		w.Header().Set("Allow", allow)
		err = navette.Errorf(navette.ENOTIMPLEMENTED, "This resource does not take %s; it takes %s.", r.Method, allow)
		writeProblem(w, withStatus(problemFor(err, r.URL.Path), http.StatusMethodNotAllowed))
		return
	}
	writeProblem(w, problemFor(err, r.URL.Path))
}

// probedMethods are the methods allowedMethods tries, in the order Allow
// lists them.
var probedMethods = []string{http.MethodDelete, http.MethodGet, http.MethodHead, http.MethodOptions, http.MethodPatch, http.MethodPost, http.MethodPut}

// allowedMethods returns the methods a route takes r's path with, as an
// Allow header lists them; "" if none does.
func (s *Server) allowedMethods(r *http.Request) string {
	if s.mux == nil {
		return ""
	}
	var allow []string
	for _, m := range probedMethods {
		probe := &http.Request{Method: m, URL: r.URL, Host: r.Host, Header: http.Header{}}
		if _, pattern := s.mux.Handler(probe); pattern != "" && pattern != "/" {
			allow = append(allow, m)
		}
	}
	return strings.Join(allow, ", ")
}

// forPages reports whether an error answering r is the web's page for it:
// a browser navigating outside the API, with the web interface mounted.
func (s *Server) forPages(r *http.Request) bool {
	return s.Pages != nil && !strings.HasPrefix(r.URL.Path, api.Version+"/") && wantsHTML(r)
}

// wantsHTML reports whether the request comes from a browser navigating.
func wantsHTML(r *http.Request) bool {
	return strings.Contains(r.Header.Get("Accept"), "text/html")
}

// secure sets the headers every answer carries and recovers from panics.
func (s *Server) secure(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'; sandbox")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Cross-Origin-Resource-Policy", "same-origin")
		if r.TLS != nil || s.httpsOnly() {
			h.Set("Strict-Transport-Security", "max-age=63072000")
		}
		rid := r.Header.Get("X-Request-Id")
		if !wellFormedRequestID(rid) {
			rid = requestID()
		}
		h.Set("X-Request-Id", rid)
		who := &requestUser{}
		ctx := context.WithValue(navette.NewContextWithRequestID(r.Context(), rid), requestUserKey{}, who)
		gone := new(atomic.Bool)
		ctx = context.WithValue(ctx, clientGoneKey{}, gone)
		if r.Method == http.MethodHead {
			ctx = deposit.WithoutOpening(ctx)
		}
		r = r.WithContext(ctx)
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w, status: 200}
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				s.log().ErrorContext(ctx, "panic serving request", "path", redactPath(r.URL.Path), "panic", v)
				if !sw.wrote {
					writeProblem(sw, problemFor(navette.Errorf(navette.EINTERNAL, ""), r.URL.Path))
				}
			}
			status := sw.status
			if gone.Load() {
				status = metrics.StatusClientGone
			}
			s.log().LogAttrs(ctx, slog.LevelInfo, "request", slog.String("method", r.Method), slog.String("path", redactPath(r.URL.Path)),
				slog.Int("status", status), slog.Int64("bytes", sw.bytes), slog.Int64("ms", time.Since(start).Milliseconds()), slog.String("user", who.id))
		}()
		next.ServeHTTP(sw, r)
	})
}

// httpsOnly reports whether browsers reach the service over https only,
// through a TLS proxy if not through the server's own TLS.
func (s *Server) httpsOnly() bool {
	return len(s.PublicURL) > 8 && strings.EqualFold(s.PublicURL[:8], "https://")
}

// redactPath keeps a path loggable: it has only server-made ids, but cap it.
func redactPath(p string) string {
	if len(p) > 200 {
		return p[:200] + "…"
	}
	return p
}

// wellFormedRequestID reports whether a client's X-Request-Id may be
// kept: 8 to 64 letters, digits, '-', '_' or '.'; others are replaced by
// an id of the server's.
func wellFormedRequestID(id string) bool {
	if len(id) < 8 || len(id) > 64 {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.') {
			return false
		}
	}
	return true
}

// requestUser is who made a request, told to the access log by the
// middleware that identifies them.
type requestUser struct{ id string }

type requestUserKey struct{}

// noteUser records u as the user of the request of ctx, for its access
// log line.
func noteUser(ctx context.Context, u *navette.User) {
	if who, ok := ctx.Value(requestUserKey{}).(*requestUser); ok && u != nil {
		who.id = u.ID
	}
}

type clientGoneKey struct{}

// noteClientGone records that the client of the request of ctx closed the
// connection before the end of its request: its access log line and its
// count say metrics.StatusClientGone, as nginx does, rather than the
// status answered to no one, which an operator would take for the
// client's fault. The answer itself is unchanged.
func noteClientGone(ctx context.Context) {
	if gone, ok := ctx.Value(clientGoneKey{}).(*atomic.Bool); ok {
		gone.Store(true)
	}
	metrics.ClientGone(ctx)
}

func requestID() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// statusWriter records what was answered, for the access log.
type statusWriter struct {
	http.ResponseWriter
	status int
	bytes  int64
	wrote  bool
}

func (w *statusWriter) WriteHeader(code int) {
	if !w.wrote {
		w.status, w.wrote = code, true
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(p []byte) (int, error) {
	w.wrote = true
	n, err := w.ResponseWriter.Write(p)
	w.bytes += int64(n)
	return n, err
}

// Unwrap lets http.ResponseController reach the connection (tusd sets
// deadlines through it).
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func (s *Server) handleHealth(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

// notReady tells why the server is not ready: the messages of the errors
// err joins.
func notReady(err error) string {
	var msgs []string
	var walk func(error)
	walk = func(err error) {
		if j, ok := err.(interface{ Unwrap() []error }); ok {
			for _, e := range j.Unwrap() {
				walk(e)
			}
			return
		}
		msgs = append(msgs, navette.ErrorMessage(err))
	}
	walk(err)
	return "Not ready: " + strings.Join(msgs, " ")
}

func (s *Server) handleReady(w http.ResponseWriter, r *http.Request) {
	if s.Ready != nil {
		if err := s.Ready(); err != nil {
			s.writeError(w, r, navette.WrapError(navette.EUNAVAILABLE, err, "%s", notReady(err)))
			return
		}
	}
	out := map[string]any{}
	if s.Health != nil {
		out = s.Health()
	}
	out["status"] = "ready"
	if s.Journal != nil {
		// A journal whose checkpoints lag does not stop deposits: the
		// server stays ready, and says why it lags.
		if st, err := s.Journal.Status(r.Context()); err == nil {
			j := map[string]any{"time_source": st.TimeSource, "checkpoint_size": st.Size}
			if !st.CheckpointAt.IsZero() {
				j["checkpoint_time"] = st.CheckpointAt.UTC()
			}
			if st.StampLag > 0 {
				j["stamp_lag_seconds"] = int64(st.StampLag.Seconds())
			}
			if st.Problem != "" {
				j["problem"] = st.Problem
			}
			out["journal"] = j
		}
	}
	writeJSON(w, http.StatusOK, out)
}

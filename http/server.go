// Package http serves navette's HTTP API (/api/v1): JSON over bearer tokens,
// tus resumable uploads, streamed downloads with Range, problem details for
// every error. The package is named for the technology it adapts.
package http

import (
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"net/http"
	"strings"
	"time"

	tusd "github.com/tus/tusd/v2/pkg/handler"

	"navette"
	"navette/account"
	"navette/api"
	"navette/deposit"
	"navette/notify"
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
	// Locker serialises requests on the same upload; nil uses an in-process
	// lock, which is right for a single node.
	Locker tusd.Locker
}

// Handler returns the server's root handler.
func (s *Server) Handler() (http.Handler, error) {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", s.handleHealth)
	mux.HandleFunc("GET /readyz", s.handleReady)
	mux.HandleFunc("GET "+api.PathOpenAPI, s.handleOpenAPI)

	auth := s.authenticate
	mux.Handle("POST "+api.PathDeposits, auth(s.handleCreateDeposit))
	mux.Handle("GET "+api.PathDeposits, auth(s.handleListDeposits))
	mux.Handle("GET "+api.PathDeposits+"/{id}", auth(s.handleGetDeposit))
	mux.Handle("DELETE "+api.PathDeposits+"/{id}", auth(s.handleRevokeDeposit))
	mux.Handle("POST "+api.PathDeposits+"/{id}/submit", auth(s.handleSubmitDeposit))
	mux.Handle("GET "+api.PathDeposits+"/{id}/files", auth(s.handleListFiles))
	mux.Handle("GET "+api.PathDeposits+"/{id}/files/{fid}", auth(s.handleDownload))
	mux.HandleFunc("GET "+notify.DepositPath("{id}"), s.handleDepositLink)
	if s.Mail != nil {
		mux.Handle("GET "+api.PathAdminNotices, auth(s.handleListNotices))
		mux.Handle("POST "+api.PathAdminNotices+"/{id}/replay", auth(s.handleReplayNotice))
	}
	if s.DevMail != nil {
		mux.HandleFunc("GET /dev/mail", s.handleDevMailList)
		mux.HandleFunc("GET /dev/mail/{id}", s.handleDevMailShow)
		mux.HandleFunc("GET /dev/mail/{id}/html", s.handleDevMailHTML)
	}

	tus, err := s.tusHandler()
	if err != nil {
		return nil, err
	}
	mux.Handle("POST "+api.PathUploads+"{$}", auth(s.tusRoute(tus, tus.PostFile)))
	mux.Handle("HEAD "+api.PathUploads+"{id}", auth(s.tusRoute(tus, tus.HeadFile)))
	mux.Handle("PATCH "+api.PathUploads+"{id}", auth(s.tusRoute(tus, tus.PatchFile)))
	mux.Handle("DELETE "+api.PathUploads+"{id}", auth(s.tusRoute(tus, tus.DelFile)))
	mux.HandleFunc("OPTIONS "+api.PathUploads+"{$}", s.tusRoute(tus, http.NotFound))

	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeProblem(w, problemFor(navette.Errorf(navette.ENOTFOUND, "No such resource."), r.URL.Path))
	})
	return s.secure(mux), nil
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
		if r.TLS != nil {
			h.Set("Strict-Transport-Security", "max-age=63072000")
		}
		rid := requestID()
		h.Set("X-Request-Id", rid)
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w, status: 200}
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				s.log().Error("panic serving request", "path", r.URL.Path, "panic", v)
				if !sw.wrote {
					writeProblem(sw, problemFor(navette.Errorf(navette.EINTERNAL, ""), r.URL.Path))
				}
			}
			s.log().Info("request", "id", rid, "method", r.Method, "path", redactPath(r.URL.Path), "status", sw.status, "bytes", sw.bytes, "ms", time.Since(start).Milliseconds())
		}()
		next.ServeHTTP(sw, r)
	})
}

// redactPath keeps a path loggable: it has only server-made ids, but cap it.
func redactPath(p string) string {
	if len(p) > 200 {
		return p[:200] + "…"
	}
	return p
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

// authenticate requires a valid bearer token and puts its user in the
// request's context.
func (s *Server) authenticate(next http.HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		scheme, token, ok := strings.Cut(r.Header.Get("Authorization"), " ")
		if !ok || !strings.EqualFold(scheme, "Bearer") {
			s.writeError(w, r, navette.Errorf(navette.EUNAUTHORIZED, "A bearer token is required (Authorization: Bearer …)."))
			return
		}
		u, err := s.Accounts.Authenticate(r.Context(), strings.TrimSpace(token))
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		next(w, r.WithContext(navette.NewContextWithUser(r.Context(), u)))
	})
}

func (s *Server) handleHealth(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

func (s *Server) handleReady(w http.ResponseWriter, r *http.Request) {
	if s.Ready != nil {
		if err := s.Ready(); err != nil {
			s.writeError(w, r, navette.WrapError(navette.EUNAVAILABLE, err, "Not ready."))
			return
		}
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ready"})
}

// Package metrics exposes navette's metrics in the Prometheus text format,
// over github.com/VictoriaMetrics/metrics. A Registry holds the metrics of
// one node: HTTP requests by route pattern, the bytes uploaded and
// downloaded, tus uploads, and gauges computed at each scrape by the
// collectors the application registers. Its Handler is served on a
// listener of its own, never on the public one.
package metrics

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	vm "github.com/VictoriaMetrics/metrics"

	"navette/api"
)

func init() {
	// TYPE lines let a scraper tell counters and histograms apart.
	vm.ExposeMetadata(true)
}

// Registry holds the metrics of one node. Its methods are safe for
// concurrent use; those that instrument handlers accept a nil Registry and
// then instrument nothing.
type Registry struct {
	set        *vm.Set
	uploaded   *vm.Counter
	downloaded *vm.Counter
	inProgress *vm.Gauge
	resumeHEAD *vm.Counter
	resumePAT  *vm.Counter

	mu         sync.Mutex
	collectors []func(ctx context.Context, w *Writer)
}

// New returns an empty Registry, with a metrics set of its own so that
// several in one process do not mix.
func New() *Registry {
	s := vm.NewSet()
	r := &Registry{
		set:        s,
		uploaded:   s.NewCounter("navette_upload_bytes_total"),
		downloaded: s.NewCounter("navette_download_bytes_total"),
		inProgress: s.NewGauge("navette_uploads_in_progress", nil),
		resumeHEAD: s.NewCounter(`navette_tus_resumes_total{kind="head"}`),
		resumePAT:  s.NewCounter(`navette_tus_resumes_total{kind="patch"}`),
	}
	return r
}

// Counter returns the counter named name, labels included
// (`name{label="value"}`), creating it at 0.
func (r *Registry) Counter(name string) *vm.Counter { return r.set.GetOrCreateCounter(name) }

// Gauge returns the gauge named name, labels included, creating it at 0.
func (r *Registry) Gauge(name string) *vm.Gauge { return r.set.GetOrCreateGauge(name, nil) }

// Collect registers fn, which writes gauges computed at each scrape. ctx
// bounds the scrape.
func (r *Registry) Collect(fn func(ctx context.Context, w *Writer)) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.collectors = append(r.collectors, fn)
}

// WritePrometheus writes every metric in the Prometheus text format: the
// registry's, the collectors', then the Go runtime's and the process's.
func (r *Registry) WritePrometheus(ctx context.Context, w io.Writer) {
	r.set.WritePrometheus(w)
	r.mu.Lock()
	cs := slices.Clone(r.collectors)
	r.mu.Unlock()
	mw := &Writer{w: w}
	for _, fn := range cs {
		fn(ctx, mw)
	}
	vm.WriteProcessMetrics(w)
}

// Handler serves the metrics at GET /metrics, and 404 elsewhere.
func (r *Registry) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /metrics", func(w http.ResponseWriter, req *http.Request) {
		ctx, cancel := context.WithTimeout(req.Context(), 10*time.Second)
		defer cancel()
		w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
		r.WritePrometheus(ctx, w)
	})
	return mux
}

// route carries a request's route pattern from Route, inside, to
// Instrument, outside, and whether its client went away (ClientGone).
type route struct {
	pattern string
	gone    atomic.Bool
}

// StatusClientGone is the status a request is counted with when its
// client closed the connection before the end of its request, as nginx
// logs it ("499 Client Closed Request"): what the server answered then
// reached no one, and is no fault of a client's request.
const StatusClientGone = 499

// ClientGone marks the request of ctx, instrumented, as cut by its client:
// it is counted with StatusClientGone, whatever was answered.
func ClientGone(ctx context.Context) {
	if rt, ok := ctx.Value(routeKey{}).(*route); ok {
		rt.gone.Store(true)
	}
}

type routeKey struct{}

// Instrument counts and times the requests next serves, by the route
// pattern Route found ("none" for a request refused before routing) and
// the status answered (StatusClientGone for a request its client cut).
func (r *Registry) Instrument(next http.Handler) http.Handler {
	if r == nil {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		start := time.Now()
		rt := &route{}
		sw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
		defer func() {
			p := rt.pattern
			if p == "" {
				p = "none"
			}
			p = quote(p)
			status := sw.status
			if rt.gone.Load() {
				status = StatusClientGone
			}
			// The duration first: whoever sees the request counted sees
			// its duration too.
			r.set.GetOrCreatePrometheusHistogram(`navette_http_request_duration_seconds{route=` + p + `}`).UpdateDuration(start)
			r.set.GetOrCreateCounter(`navette_http_requests_total{route=` + p + `,status="` + strconv.Itoa(status) + `"}`).Inc()
		}()
		next.ServeHTTP(sw, req.WithContext(context.WithValue(req.Context(), routeKey{}, rt)))
	})
}

// Route finds the route pattern of each request mux serves, for
// Instrument, and counts the bytes of uploads and downloads, uploads in
// progress and tus resumes (a HEAD, or a PATCH at an offset past 0).
func (r *Registry) Route(mux *http.ServeMux) http.Handler {
	if r == nil {
		return mux
	}
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		_, pattern := mux.Handler(req)
		if rt, ok := req.Context().Value(routeKey{}).(*route); ok {
			rt.pattern = cmp.Or(pattern, "unmatched")
		}
		switch {
		case isUpload(pattern):
			switch req.Method {
			case http.MethodHead:
				r.resumeHEAD.Inc()
			case http.MethodPatch:
				if off, err := strconv.ParseInt(req.Header.Get("Upload-Offset"), 10, 64); err == nil && off > 0 {
					r.resumePAT.Inc()
				}
			}
			if req.Method == http.MethodPatch || req.Method == http.MethodPost {
				r.inProgress.Inc()
				defer r.inProgress.Dec()
				if req.Body != nil && req.Body != http.NoBody {
					req = req.WithContext(req.Context())
					req.Body = &countingBody{ReadCloser: req.Body, c: r.uploaded}
				}
			}
		case isDownload(pattern) && req.Method == http.MethodGet:
			w = &countingWriter{ResponseWriter: w, c: r.downloaded}
		}
		mux.ServeHTTP(w, req)
	})
}

// isUpload reports whether pattern is a route of the tus endpoint.
func isUpload(pattern string) bool {
	_, path, _ := strings.Cut(pattern, " ")
	return strings.HasPrefix(path, api.PathUploads)
}

// isDownload reports whether pattern is a route that sends files: one
// file, through the API or the web pages, or a deposit's ZIP.
func isDownload(pattern string) bool {
	return strings.HasPrefix(pattern, "GET ") && (strings.HasSuffix(pattern, "/files/{fid}") || strings.HasSuffix(pattern, "/zip"))
}

// quote writes s as a label value in the text format.
func quote(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, c := range s {
		switch c {
		case '\\':
			b.WriteString(`\\`)
		case '"':
			b.WriteString(`\"`)
		case '\n':
			b.WriteString(`\n`)
		default:
			b.WriteRune(c)
		}
	}
	b.WriteByte('"')
	return b.String()
}

// statusWriter records the status answered.
type statusWriter struct {
	http.ResponseWriter
	status int
	wrote  bool
}

func (w *statusWriter) WriteHeader(code int) {
	if !w.wrote && code >= 200 {
		w.status, w.wrote = code, true
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(p []byte) (int, error) {
	w.wrote = true
	return w.ResponseWriter.Write(p)
}

// Unwrap lets http.ResponseController reach the connection.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// countingWriter counts the bytes of an answer's body as they are sent.
type countingWriter struct {
	http.ResponseWriter
	c *vm.Counter
}

func (w *countingWriter) Write(p []byte) (int, error) {
	n, err := w.ResponseWriter.Write(p)
	w.c.Add(n)
	return n, err
}

// Unwrap lets http.ResponseController reach the connection.
func (w *countingWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// countingBody counts the bytes of a request's body as they are read.
type countingBody struct {
	io.ReadCloser
	c *vm.Counter
}

func (b *countingBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	b.c.Add(n)
	return n, err
}

// Writer writes metric families computed at scrape time, each with its
// HELP and TYPE lines.
type Writer struct {
	w io.Writer
}

// Sample is one value of a metric family, with its labels as name, value
// pairs.
type Sample struct {
	Labels []string
	Value  float64
}

// Gauge writes a gauge family: one sample of value v without labels, or
// the samples given.
func (w *Writer) Gauge(name, help string, v float64, samples ...Sample) {
	w.family(name, "gauge", help, v, samples)
}

// Counter writes a counter family computed at scrape time.
func (w *Writer) Counter(name, help string, v float64, samples ...Sample) {
	w.family(name, "counter", help, v, samples)
}

func (w *Writer) family(name, typ, help string, v float64, samples []Sample) {
	fmt.Fprintf(w.w, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, typ)
	if len(samples) == 0 {
		fmt.Fprintf(w.w, "%s %s\n", name, formatValue(v))
		return
	}
	for _, s := range samples {
		var b strings.Builder
		b.WriteString(name)
		if len(s.Labels) > 0 {
			b.WriteByte('{')
			for i := 0; i+1 < len(s.Labels); i += 2 {
				if i > 0 {
					b.WriteByte(',')
				}
				b.WriteString(s.Labels[i])
				b.WriteByte('=')
				b.WriteString(quote(s.Labels[i+1]))
			}
			b.WriteByte('}')
		}
		fmt.Fprintf(w.w, "%s %s\n", b.String(), formatValue(s.Value))
	}
}

func formatValue(v float64) string {
	return strconv.FormatFloat(v, 'g', -1, 64)
}

package metrics_test

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"navette/metrics"
)

// TestRegistry serves a mux through Instrument and Route and checks, with
// Prometheus's parser, the requests counted by pattern, the bytes counted
// both ways, a collector's families and label escaping.
func TestRegistry(t *testing.T) {
	r := metrics.New()
	mux := http.NewServeMux()
	mux.HandleFunc("PATCH /api/v1/uploads/{id}", func(w http.ResponseWriter, req *http.Request) {
		var b bytes.Buffer
		_, _ = b.ReadFrom(req.Body)
		w.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc("GET /deposits/{id}/files/{fid}", func(w http.ResponseWriter, req *http.Request) {
		_, _ = w.Write([]byte(strings.Repeat("x", 1000)))
	})
	r.Collect(func(_ context.Context, w *metrics.Writer) {
		w.Gauge("test_gauge", "A gauge.", 3)
		w.Gauge("test_labelled", "Labels escaped.", 0,
			metrics.Sample{Labels: []string{"v", `a"b\c` + "\n"}, Value: 1},
			metrics.Sample{Labels: []string{"v", "plain", "w", "2"}, Value: 2.5})
	})
	h := r.Instrument(r.Route(mux))
	for _, req := range []*http.Request{
		httptest.NewRequest("PATCH", "/api/v1/uploads/abc", strings.NewReader(strings.Repeat("y", 777))),
		httptest.NewRequest("GET", "/deposits/d1/files/f1", nil),
		httptest.NewRequest("GET", "/deposits/d2/files/f2", nil),
		httptest.NewRequest("GET", "/nowhere", nil),
	} {
		if req.Method == "PATCH" {
			req.Header.Set("Upload-Offset", "10")
		}
		h.ServeHTTP(httptest.NewRecorder(), req)
	}
	var out bytes.Buffer
	r.WritePrometheus(t.Context(), &out)
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(bytes.NewReader(out.Bytes()))
	if err != nil {
		t.Fatalf("parse: %v\n%s", err, out.String())
	}
	get := func(name string, labels ...string) float64 {
		t.Helper()
		f := fams[name]
		if f == nil {
			t.Fatalf("no %s", name)
		}
	next:
		for _, m := range f.Metric {
			for i := 0; i+1 < len(labels); i += 2 {
				ok := false
				for _, l := range m.Label {
					ok = ok || (l.GetName() == labels[i] && l.GetValue() == labels[i+1])
				}
				if !ok {
					continue next
				}
			}
			switch {
			case m.Counter != nil:
				return m.Counter.GetValue()
			case m.Gauge != nil:
				return m.Gauge.GetValue()
			case m.Histogram != nil:
				return float64(m.Histogram.GetSampleCount())
			}
		}
		t.Fatalf("no %s%v", name, labels)
		return 0
	}
	for _, c := range []struct {
		name   string
		labels []string
		want   float64
	}{
		{"navette_upload_bytes_total", nil, 777},
		{"navette_download_bytes_total", nil, 2000},
		{"navette_tus_resumes_total", []string{"kind", "patch"}, 1},
		{"navette_uploads_in_progress", nil, 0},
		{"navette_http_requests_total", []string{"route", "GET /deposits/{id}/files/{fid}", "status", "200"}, 2},
		{"navette_http_requests_total", []string{"route", "PATCH /api/v1/uploads/{id}", "status", "204"}, 1},
		{"navette_http_requests_total", []string{"route", "unmatched", "status", "404"}, 1},
		{"navette_http_request_duration_seconds", []string{"route", "GET /deposits/{id}/files/{fid}"}, 2},
		{"test_gauge", nil, 3},
		{"test_labelled", []string{"v", `a"b\c` + "\n"}, 1},
		{"test_labelled", []string{"v", "plain", "w", "2"}, 2.5},
	} {
		if got := get(c.name, c.labels...); got != c.want {
			t.Errorf("%s%v = %v, want %v", c.name, c.labels, got, c.want)
		}
	}
	if fams["test_gauge"].GetHelp() != "A gauge." {
		t.Errorf("help: %q", fams["test_gauge"].GetHelp())
	}
}

// TestNilRegistry: without a registry the handlers are served as they are.
func TestNilRegistry(t *testing.T) {
	var r *metrics.Registry
	mux := http.NewServeMux()
	if got := r.Route(mux); got != http.Handler(mux) {
		t.Errorf("Route of a nil Registry wraps")
	}
	if got := r.Instrument(mux); got != http.Handler(mux) {
		t.Errorf("Instrument of a nil Registry wraps")
	}
}

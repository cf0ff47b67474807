package app_test

import (
	"net/http"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"navette"
	"navette/api"
	"navette/app"
	"navette/internal/testclamd"
	"navette/internal/testpg"
	"navette/internal/testtsa"
)

// scrape fetches the node's metrics and parses them with Prometheus's own
// text parser, which fails on anything malformed.
func scrape(t *testing.T, a *app.App) map[string]*dto.MetricFamily {
	t.Helper()
	resp, err := http.Get("http://" + a.MetricsAddr() + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /metrics: %d", resp.StatusCode)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatalf("parsing the metrics: %v", err)
	}
	return fams
}

// sample returns the sample of family name whose labels include the
// given name, value pairs, failing t if there is none.
func sample(t *testing.T, fams map[string]*dto.MetricFamily, name string, labels ...string) *dto.Metric {
	t.Helper()
	f, ok := fams[name]
	if !ok {
		t.Fatalf("no metric %s", name)
	}
next:
	for _, m := range f.Metric {
		for i := 0; i+1 < len(labels); i += 2 {
			if !slices.ContainsFunc(m.Label, func(l *dto.LabelPair) bool { return l.GetName() == labels[i] && l.GetValue() == labels[i+1] }) {
				continue next
			}
		}
		return m
	}
	t.Fatalf("no sample of %s with labels %v", name, labels)
	return nil
}

// has reports whether family name has a sample with the labels given.
func has(fams map[string]*dto.MetricFamily, name string, labels ...string) bool {
	f, ok := fams[name]
	if !ok {
		return false
	}
next:
	for _, m := range f.Metric {
		for i := 0; i+1 < len(labels); i += 2 {
			if !slices.ContainsFunc(m.Label, func(l *dto.LabelPair) bool { return l.GetName() == labels[i] && l.GetValue() == labels[i+1] }) {
				continue next
			}
		}
		return true
	}
	return false
}

// scrapeUntil scrapes until ok holds of the metrics, for at most 20 s.
func scrapeUntil(t *testing.T, a *app.App, ok func(map[string]*dto.MetricFamily) bool) map[string]*dto.MetricFamily {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		m := scrape(t, a)
		if ok(m) || time.Now().After(deadline) {
			return m
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// value returns the value of a counter, gauge or untyped sample.
func value(t *testing.T, fams map[string]*dto.MetricFamily, name string, labels ...string) float64 {
	t.Helper()
	m := sample(t, fams, name, labels...)
	switch {
	case m.Counter != nil:
		return m.Counter.GetValue()
	case m.Gauge != nil:
		return m.Gauge.GetValue()
	case m.Untyped != nil:
		return m.Untyped.GetValue()
	}
	t.Fatalf("%s is neither a counter nor a gauge", name)
	return 0
}

func wantValue(t *testing.T, fams map[string]*dto.MetricFamily, want float64, name string, labels ...string) {
	t.Helper()
	if got := value(t, fams, name, labels...); got != want {
		t.Errorf("%s%v = %v, want %v", name, labels, got, want)
	}
}

// TestMetrics boots a whole node with a real clamd and a real TSA, runs a
// deposit with a resumed upload, a download, an antivirus outage and a
// corrupt blob, and checks that the metrics moved by exactly what the
// scenario implies.
func TestMetrics(t *testing.T) {
	av := testclamd.New(t, testclamd.Options{})
	ts := testtsa.Start(t, testtsa.Options{})
	e := newEnv(t, withClamd(av.URL), func(c *app.Config) {
		c.MetricsAddr = "127.0.0.1:0"
		c.TSA, c.TSACA = ts.URL(), ts.CAFile()
		c.ScrubInterval = 100 * time.Millisecond
		c.ScrubRate = 0
	})
	ctx := t.Context()

	// Metrics are never on the public listener.
	if resp, _ := e.do("GET", "/metrics", "", nil); resp.StatusCode != http.StatusNotFound {
		t.Fatalf("GET /metrics on the public listener: %d, want 404", resp.StatusCode)
	}

	// A deposit whose upload is interrupted and resumed: POST, PATCH,
	// HEAD, PATCH at an offset past 0.
	data := randomBytes(3*seg64+123, 21)
	d := e.createDeposit(e.agent, lawyerEmail)
	path := e.createUpload(e.agent, d.ID, "pv.pdf", int64(len(data)))
	e.patch(e.agent, path, 0, data[:seg64+5])
	if off := e.head(e.agent, path); off != seg64+5 {
		t.Fatalf("HEAD: offset %d", off)
	}
	e.patch(e.agent, path, seg64+5, data[seg64+5:])
	e.clock.Advance(time.Hour)
	if _, err := e.app.Deposits.CheckFiles(ctx); err != nil {
		t.Fatal(err)
	}
	got := e.submit(e.agent, d.ID)
	if got.State != string(navette.DepositAvailable) {
		t.Fatalf("deposit %s, want available", got.State)
	}
	resp, body := e.do("GET", filePath(got, got.Files[0]), e.lawyer, nil)
	if resp.StatusCode != http.StatusOK || len(body) != len(data) {
		t.Fatalf("download: %d, %d bytes", resp.StatusCode, len(body))
	}

	// The handler ends after the client has every byte: wait for it, its
	// count and its duration (a scrape reads the duration before the
	// count, so it may see the one without the other).
	dl := "GET " + api.PathDeposits + "/{id}/files/{fid}"
	m := scrapeUntil(t, e.app, func(m map[string]*dto.MetricFamily) bool {
		return has(m, "navette_http_requests_total", "route", dl) && has(m, "navette_http_request_duration_seconds", "route", dl)
	})
	n := float64(len(data))
	wantValue(t, m, n, "navette_upload_bytes_total")
	wantValue(t, m, n, "navette_download_bytes_total")
	wantValue(t, m, 0, "navette_uploads_in_progress")
	wantValue(t, m, 1, "navette_tus_resumes_total", "kind", "head")
	wantValue(t, m, 1, "navette_tus_resumes_total", "kind", "patch")
	wantValue(t, m, 1, "navette_http_requests_total", "route", "POST "+api.PathUploads+"{$}", "status", "201")
	wantValue(t, m, 2, "navette_http_requests_total", "route", "PATCH "+api.PathUploads+"{id}", "status", "204")
	wantValue(t, m, 1, "navette_http_requests_total", "route", "HEAD "+api.PathUploads+"{id}", "status", "200")
	wantValue(t, m, 1, "navette_http_requests_total", "route", dl, "status", "200")
	wantValue(t, m, 1, "navette_http_requests_total", "route", "/", "status", "404")
	if h := sample(t, m, "navette_http_request_duration_seconds", "route", dl).Histogram; h == nil || h.GetSampleCount() != 1 || len(h.Bucket) == 0 {
		t.Errorf("duration histogram of downloads: %v", h)
	}
	for _, mf := range m["navette_http_requests_total"].Metric {
		for _, l := range mf.Label {
			if strings.Contains(l.GetValue(), d.ID) || strings.Contains(l.GetValue(), got.Files[0].ID) {
				t.Errorf("an id in a label: %s", l.GetValue())
			}
		}
	}
	wantValue(t, m, 1, "navette_files", "state", "available")
	wantValue(t, m, 0, "navette_files", "state", "checking")
	wantValue(t, m, 0, "navette_notices_dead")
	wantValue(t, m, 1, "navette_antivirus_enabled")
	wantValue(t, m, 1, "navette_antivirus_up")
	wantValue(t, m, 1, "navette_store_up")
	wantValue(t, m, 1, "navette_sweeps_total") // at start-up; then hourly
	if v := value(t, m, "navette_blob_store_free_bytes"); v <= 0 {
		t.Errorf("navette_blob_store_free_bytes = %v", v)
	}
	wantValue(t, m, 1, "navette_db_connections_max", "pool", "write")
	sample(t, m, "navette_db_connections", "pool", "read", "state", "idle")
	for _, name := range []string{"go_goroutines", "go_memstats_alloc_bytes", "process_resident_memory_bytes", "process_cpu_seconds_total"} {
		if _, ok := m[name]; !ok {
			t.Errorf("no %s", name)
		}
	}

	// The antivirus down: a file waits in checking, and it shows.
	av.Stop()
	d2 := e.createDeposit(e.agent, lawyerEmail)
	id2 := e.upload(e.agent, d2.ID, "annexe.pdf", randomBytes(1000, 22))
	m = scrape(t, e.app)
	wantValue(t, m, 0, "navette_antivirus_up")
	wantValue(t, m, 1, "navette_files", "state", "checking")
	if err := av.Start(); err != nil {
		t.Fatal(err)
	}
	e.clock.Advance(time.Hour)
	if st, err := e.app.Deposits.CheckFiles(ctx); err != nil || st.Checked != 1 {
		t.Fatalf("CheckFiles once clamd is back: %+v, %v", st, err)
	}
	m = scrape(t, e.app)
	wantValue(t, m, 1, "navette_antivirus_up")
	wantValue(t, m, 0, "navette_files", "state", "checking")
	wantValue(t, m, 1, "navette_files", "state", "stored")

	// A blob rots: the scrubber finds it, once.
	blob := blobFile(t, e.dir, id2)
	b, err := os.ReadFile(blob)
	if err != nil {
		t.Fatal(err)
	}
	b[len(b)/2] ^= 1
	if err := os.WriteFile(blob, b, 0o600); err != nil {
		t.Fatal(err)
	}
	// The next pass is due a ScrubInterval after the last one ended (which
	// may be one running now): time passes until a pass finds the rot.
	m = scrapeUntil(t, e.app, func(m map[string]*dto.MetricFamily) bool {
		e.clock.Advance(time.Second)
		return value(t, m, "navette_scrub_corrupt_found_total") > 0
	})
	wantValue(t, m, 1, "navette_scrub_corrupt_found_total")
	wantValue(t, m, 1, "navette_files_corrupt")
	if v := value(t, m, "navette_scrub_passes_total"); v < 1 {
		t.Errorf("navette_scrub_passes_total = %v", v)
	}
	if v := value(t, m, "navette_scrub_bytes_total"); v <= 0 {
		t.Errorf("navette_scrub_bytes_total = %v", v)
	}

	// The journal: a checkpoint signed and stamped, then 90 s pass.
	m = scrapeUntil(t, e.app, func(m map[string]*dto.MetricFamily) bool { return value(t, m, "navette_notices_pending") == 0 })
	wantValue(t, m, 0, "navette_notices_pending")
	cp, err := e.app.Checkpointer.Checkpoint(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.app.Checkpointer.StampPending(ctx); err != nil {
		t.Fatal(err)
	}
	e.clock.Advance(90 * time.Second)
	m = scrape(t, e.app)
	size, err := e.app.Meta.TreeSize(ctx)
	if err != nil {
		t.Fatal(err)
	}
	wantValue(t, m, float64(size), "navette_journal_tree_size")
	wantValue(t, m, float64(cp.Size), "navette_journal_checkpoint_size")
	wantValue(t, m, 90, "navette_journal_checkpoint_age_seconds")
	wantValue(t, m, 90, "navette_journal_stamped_checkpoint_age_seconds")
	wantValue(t, m, 0, "navette_journal_stamp_lag_seconds")
	wantValue(t, m, 1, "navette_journal_tsa_enabled")
	wantValue(t, m, 0, "navette_journal_problem")

	// The TSA down: the next checkpoint waits for its stamp.
	ts.Stop()
	e.user("pendant.la.panne@justice.example", "Panne", navette.RoleAgent)
	if _, err := e.app.Checkpointer.Checkpoint(ctx); err != nil {
		t.Fatal(err)
	}
	_ = e.app.Checkpointer.StampPending(ctx)
	e.clock.Advance(30 * time.Second)
	m = scrape(t, e.app)
	wantValue(t, m, 30, "navette_journal_stamp_lag_seconds")
	wantValue(t, m, 120, "navette_journal_stamped_checkpoint_age_seconds")
	wantValue(t, m, 30, "navette_journal_checkpoint_age_seconds")

	// Every metric is documented, and every one documented is served.
	doc, err := os.ReadFile("../docs/operations.md")
	if err != nil {
		t.Fatal(err)
	}
	docs := map[string]bool{}
	for _, d := range regexp.MustCompile("(?m)^\\| `(navette_[a-z0-9_]+)` \\|").FindAllSubmatch(doc, -1) {
		docs[string(d[1])] = true
	}
	for name := range m {
		if strings.HasPrefix(name, "navette_") && !docs[name] {
			t.Errorf("%s is not documented in docs/operations.md", name)
		}
	}
	for name := range docs {
		if _, ok := m[name]; !ok {
			t.Errorf("%s is documented but not served", name)
		}
	}
}

// TestMetricsOff: without --metrics-addr nothing listens for metrics.
func TestMetricsOff(t *testing.T) {
	e := newEnv(t)
	if addr := e.app.MetricsAddr(); addr != "" {
		t.Fatalf("MetricsAddr = %q without --metrics-addr", addr)
	}
	if resp, _ := e.do("GET", "/metrics", "", nil); resp.StatusCode != http.StatusNotFound {
		t.Fatalf("GET /metrics on the public listener: %d, want 404", resp.StatusCode)
	}
}

// TestMetricsPostgreSQL: on PostgreSQL the store's counts and its one
// connection pool are reported too.
func TestMetricsPostgreSQL(t *testing.T) {
	pg := testpg.Start(t)
	e := newEnv(t, func(c *app.Config) {
		c.MetricsAddr = "127.0.0.1:0"
		c.DB = pg.NewDatabase(t)
	})
	d := e.send(map[string][]byte{"a.txt": randomBytes(5000, 31), "b.txt": randomBytes(7000, 32)})
	if d.State != string(navette.DepositAvailable) {
		t.Fatalf("deposit %s", d.State)
	}
	m := scrape(t, e.app)
	wantValue(t, m, 1, "navette_store_up")
	wantValue(t, m, 2, "navette_files", "state", "available")
	wantValue(t, m, 12000, "navette_upload_bytes_total")
	if v := value(t, m, "navette_db_connections_max", "pool", "main"); v < 1 {
		t.Errorf("navette_db_connections_max{pool=main} = %v", v)
	}
	if has(m, "navette_db_connections", "pool", "write") {
		t.Errorf("a write pool reported on PostgreSQL, which has one pool")
	}
	size, err := e.app.Meta.TreeSize(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if v := value(t, m, "navette_journal_tree_size"); v < 1 || v > float64(size) {
		t.Errorf("navette_journal_tree_size = %v, tree of %d", v, size)
	}
}

package app_test

import (
	"log/slog"
	"strings"
	"testing"

	dto "github.com/prometheus/client_model/go"

	"navette/api"
	"navette/app"
	"navette/seal"
)

// An upload its client cuts mid-PATCH is logged and counted with status
// 499 (the client closed the connection), as nginx does, not with the 400
// tusd answers to no one, which an operator reads as a bad request; a
// PATCH the client sends whole keeps its status.
func TestCutUploadLogged499(t *testing.T) {
	var logs lockedBuffer
	e := newEnv(t, func(c *app.Config) {
		c.MetricsAddr = "127.0.0.1:0"
		c.Logger = slog.New(slog.NewTextHandler(&logs, nil))
	})
	data := randomBytes(3*seal.SegmentSize, 31)
	d := e.createDeposit(e.agent, lawyerEmail)
	path := e.createUpload(e.agent, d.ID, "gros.bin", int64(len(data)))
	cut := seal.SegmentSize + 100
	sendAndCut(t, e, path, 0, data, cut)
	waitOffset(t, e, path, int64(cut))
	e.patch(e.agent, path, int64(cut), data[cut:])

	route := "PATCH " + api.PathUploads + "{id}"
	m := scrapeUntil(t, e.app, func(m map[string]*dto.MetricFamily) bool {
		return has(m, "navette_http_requests_total", "route", route, "status", "499") && has(m, "navette_http_requests_total", "route", route, "status", "204")
	})
	wantValue(t, m, 1, "navette_http_requests_total", "route", route, "status", "499")
	wantValue(t, m, 1, "navette_http_requests_total", "route", route, "status", "204")
	if has(m, "navette_http_requests_total", "route", route, "status", "400") {
		t.Error("the cut PATCH is counted as 400")
	}
	// Its access log line was written before the count, by the handler
	// inside the one that counts.
	var patches []string
	for _, l := range strings.Split(logs.String(), "\n") {
		if strings.Contains(l, "msg=request method=PATCH") {
			patches = append(patches, l)
		}
	}
	if len(patches) != 2 || !strings.Contains(patches[0], " status=499 ") || !strings.Contains(patches[1], " status=204 ") {
		t.Errorf("PATCH log lines: %q", patches)
	}
}

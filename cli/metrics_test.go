package cli

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestServeMetricsAddr: NAVETTE_METRICS_ADDR (like --metrics-addr) serves
// the metrics on a listener of their own; the public one answers 404.
func TestServeMetricsAddr(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var stderr lockedBuffer
	env := &Env{
		Stdin: strings.NewReader(""), Stdout: &bytes.Buffer{}, Stderr: &stderr,
		Getenv: func(k string) string {
			if k == "NAVETTE_METRICS_ADDR" {
				return "127.0.0.1:0"
			}
			return ""
		},
		IsTerminal: func(io.Writer) bool { return false }, Context: ctx,
	}
	done := make(chan int, 1)
	go func() {
		done <- Main([]string{"serve", "--data", filepath.Join(t.TempDir(), "data"), "--addr", "127.0.0.1:0", "--antivirus=off"}, env)
	}()
	serving := regexp.MustCompile(`serving (http://127\.0\.0\.1:\d+)`)
	metricsAt := regexp.MustCompile(`metrics at (http://127\.0\.0\.1:\d+/metrics)`)
	var public, metrics string
	waitUntil(t, "the server to serve", func() bool {
		select {
		case code := <-done:
			t.Fatalf("serve exited with %d: %s", code, stderr.String())
		default:
		}
		if m := serving.FindStringSubmatch(stderr.String()); m != nil {
			public = m[1]
		}
		if m := metricsAt.FindStringSubmatch(stderr.String()); m != nil {
			metrics = m[1]
		}
		return public != "" && metrics != ""
	})
	get := func(url string) (int, string) {
		t.Helper()
		resp, err := http.Get(url)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if code, body := get(metrics); code != http.StatusOK || !strings.Contains(body, "\nnavette_upload_bytes_total 0\n") {
		t.Errorf("GET %s: %d %.200s", metrics, code, body)
	}
	if code, _ := get(public + "/metrics"); code != http.StatusNotFound {
		t.Errorf("GET /metrics on the public listener: %d, want 404", code)
	}
	cancel()
	if code := <-done; code != 0 {
		t.Errorf("serve exited with %d: %s", code, stderr.String())
	}
}

package s3_test

import (
	"encoding/pem"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"

	"navette"
	"navette/internal/tests3"
	"navette/s3"
)

// TestPartPayloadSigning checks how parts are sent, through a proxy that
// records each part upload's X-Amz-Content-Sha256: over plain HTTP, signed
// with the part's SHA-256, so that the service checks its bytes; over HTTPS
// UNSIGNED-PAYLOAD, TLS checking them. The blob reads back whole both ways.
func TestPartPayloadSigning(t *testing.T) {
	srv := tests3.Shared(t)
	target, err := url.Parse("http://" + srv.Endpoint)
	if err != nil {
		t.Fatal(err)
	}
	hexSum := regexp.MustCompile(`^[0-9a-f]{64}$`)
	for _, tc := range []struct {
		name   string
		secure bool
		want   func(string) bool
	}{
		{"http", false, hexSum.MatchString},
		{"https", true, func(h string) bool { return h == "UNSIGNED-PAYLOAD" }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var mu sync.Mutex
			var seen []string
			proxy := httputil.NewSingleHostReverseProxy(target)
			h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.Method == http.MethodPut && r.URL.Query().Has("partNumber") && r.Header.Get("X-Amz-Copy-Source") == "" {
					mu.Lock()
					seen = append(seen, r.Header.Get("X-Amz-Content-Sha256"))
					mu.Unlock()
				}
				proxy.ServeHTTP(w, r)
			})
			var front *httptest.Server
			if tc.secure {
				front = httptest.NewTLSServer(h)
			} else {
				front = httptest.NewServer(h)
			}
			t.Cleanup(front.Close)
			cfg, err := s3.ParseURL(srv.URL(srv.NewBucket(t)))
			if err != nil {
				t.Fatal(err)
			}
			u, _ := url.Parse(front.URL)
			cfg.Endpoint, cfg.Secure = u.Host, tc.secure
			if tc.secure {
				cfg.CAFile = filepath.Join(t.TempDir(), "ca.pem")
				ca := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: front.Certificate().Raw})
				if err := os.WriteFile(cfg.CAFile, ca, 0o600); err != nil {
					t.Fatal(err)
				}
			}
			cfg.Credentials = s3.Credentials{AccessKey: srv.AccessKey, SecretKey: srv.SecretKey}
			s, err := s3.New(t.Context(), cfg)
			if err != nil {
				t.Fatalf("New: %v", err)
			}
			t.Cleanup(func() { s.Close() })

			key := navette.NewID()
			data := bytesOf(21, 2*s3.PartSize+3*mib)
			write(t, s, key, 0, data)
			if err := s.Finish(t.Context(), key); err != nil {
				t.Fatal(err)
			}
			checkBlob(t, s, key, data)
			mu.Lock()
			defer mu.Unlock()
			if len(seen) < 2 {
				t.Fatalf("%d part uploads seen, want at least 2", len(seen))
			}
			for _, got := range seen {
				if !tc.want(got) {
					t.Errorf("part upload with X-Amz-Content-Sha256 %q", strings.TrimSpace(got))
				}
			}
		})
	}
}

package app_test

import (
	"bytes"
	"net/http"
	"net/netip"
	"testing"
	"time"

	"navette/api"
	"navette/app"
)

// TestTrustedProxies: behind a trusted reverse proxy, each client has its
// own sign-in allowance, named by the proxy's X-Forwarded-For, and what a
// client writes in that header itself counts for nothing; without trusted
// proxies the header is ignored.
func TestTrustedProxies(t *testing.T) {
	ask := func(e *env, xff string) int {
		t.Helper()
		resp, _ := e.do("POST", api.PathAuthCode, "", bytes.NewReader([]byte(`{"email":"someone@avocat.example"}`)),
			"Content-Type", "application/json", "X-Forwarded-For", xff)
		return resp.StatusCode
	}
	limits := func(c *app.Config) {
		c.Auth.PerIPPerHour = 2
		c.Auth.AnswerTime = time.Millisecond
	}
	proxied := newEnv(t, limits, func(c *app.Config) { c.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")} })
	for i, c := range []struct {
		xff  string
		want int
	}{
		{"203.0.113.1", http.StatusAccepted},
		{"203.0.113.1", http.StatusAccepted},
		{"203.0.113.1", http.StatusTooManyRequests},
		{"203.0.113.2", http.StatusAccepted},
		{"198.51.100.7, 203.0.113.1", http.StatusTooManyRequests}, // the client wrote 198.51.100.7
		{"198.51.100.7", http.StatusAccepted},
	} {
		if got := ask(proxied, c.xff); got != c.want {
			t.Errorf("behind the proxy, request %d from %q: got %d, want %d", i, c.xff, got, c.want)
		}
	}

	direct := newEnv(t, limits)
	for i, want := range []int{http.StatusAccepted, http.StatusAccepted, http.StatusTooManyRequests} {
		if got := ask(direct, "203.0.113.1"+string(rune('0'+i))); got != want {
			t.Errorf("without a trusted proxy, request %d: got %d, want %d", i, got, want)
		}
	}
}

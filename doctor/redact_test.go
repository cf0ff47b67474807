package doctor

import (
	"net/url"
	"strings"
	"testing"
)

// FuzzRedactURL: a password in a store or server URL, in its user info or
// its query, never appears in the report.
func FuzzRedactURL(f *testing.F) {
	f.Add("postgres", "s3cret-pass")
	f.Add("smtp", "p@ss:word/x?y")
	f.Add("https", "a+b%20c")
	f.Fuzz(func(t *testing.T, scheme, password string) {
		if len(password) < 6 || strings.ContainsAny(scheme, ":/?#") || scheme == "" ||
			strings.Contains("user:xxxxx@db.example:5432/navette?password=", strings.ToLower(password)) {
			return
		}
		for _, raw := range []string{
			scheme + "://user:" + url.QueryEscape(password) + "@db.example:5432/navette",
			scheme + "://db.example/navette?password=" + url.QueryEscape(password),
		} {
			got := redactURL(raw)
			if i := strings.Index(got, "://"); i >= 0 {
				got = got[i+3:] // the scheme is not secret
			}
			for _, p := range []string{password, url.QueryEscape(password), url.PathEscape(password)} {
				if strings.Contains(got, p) {
					t.Fatalf("redactURL(%q) = %q shows the password", raw, got)
				}
			}
		}
	})
}

package realip

import (
	"net/http/httptest"
	"net/netip"
	"testing"
)

func TestClientIP(t *testing.T) {
	trusted, err := ParseTrusted("10.0.0.0/8, 192.0.2.7,2001:db8::/32")
	if err != nil {
		t.Fatal(err)
	}
	r := Resolver{Trusted: trusted}
	for _, c := range []struct {
		peer string
		xff  []string
		want string
	}{
		{"198.51.100.9:4242", nil, "198.51.100.9"},
		{"198.51.100.9:4242", []string{"1.2.3.4"}, "198.51.100.9"}, // an untrusted peer's header is ignored
		{"10.1.2.3:443", nil, "10.1.2.3"},
		{"10.1.2.3:443", []string{"203.0.113.5"}, "203.0.113.5"},
		{"10.1.2.3:443", []string{"6.6.6.6, 203.0.113.5"}, "203.0.113.5"}, // the client wrote 6.6.6.6
		{"10.1.2.3:443", []string{"203.0.113.5, 192.0.2.7"}, "203.0.113.5"},
		{"10.1.2.3:443", []string{"203.0.113.5", "10.9.9.9"}, "203.0.113.5"}, // several headers, in order
		{"10.1.2.3:443", []string{"10.0.0.1, 10.0.0.2"}, "10.0.0.1"},         // all trusted: the leftmost
		{"10.1.2.3:443", []string{"203.0.113.5, nonsense"}, "10.1.2.3"},
		{"10.1.2.3:443", []string{"nonsense, 203.0.113.5"}, "203.0.113.5"},
		{"10.1.2.3:443", []string{"203.0.113.5:1234"}, "203.0.113.5"},
		{"10.1.2.3:443", []string{"[2001:db9::1]:80"}, "2001:db9::1"},
		{"[2001:db8::5]:443", []string{"2001:db9::1"}, "2001:db9::1"},
		{"[::ffff:10.1.2.3]:443", []string{"203.0.113.5"}, "203.0.113.5"},
		{"not an address", []string{"203.0.113.5"}, "not an address"},
	} {
		req := httptest.NewRequest("GET", "/", nil)
		req.RemoteAddr = c.peer
		for _, v := range c.xff {
			req.Header.Add("X-Forwarded-For", v)
		}
		if got := r.ClientIP(req); got != c.want {
			t.Errorf("%q %q: got %q, want %q", c.peer, c.xff, got, c.want)
		}
	}
	req := httptest.NewRequest("GET", "/", nil)
	req.RemoteAddr = "10.1.2.3:443"
	req.Header.Set("X-Forwarded-For", "203.0.113.5")
	if got := (Resolver{}).ClientIP(req); got != "10.1.2.3" {
		t.Errorf("no trusted proxy: got %q", got)
	}
}

func TestParseTrusted(t *testing.T) {
	for _, c := range []struct {
		in   string
		want []netip.Prefix
		err  bool
	}{
		{"", nil, false},
		{"10.0.0.1/8", []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}, false},
		{"::ffff:192.0.2.7", []netip.Prefix{netip.MustParsePrefix("192.0.2.7/32")}, false},
		{"10.0.0.0/8,,fd00::/8 ", []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("fd00::/8")}, false},
		{"10.0.0.0/33", nil, true},
		{"proxy.example", nil, true},
	} {
		got, err := ParseTrusted(c.in)
		if (err != nil) != c.err || len(got) != len(c.want) {
			t.Errorf("%q: got %v, %v", c.in, got, err)
			continue
		}
		for i := range got {
			if got[i] != c.want[i] {
				t.Errorf("%q: got %v, want %v", c.in, got, c.want)
			}
		}
	}
}

// FuzzClientIP feeds arbitrary X-Forwarded-For values: the answer is
// always an address, the peer's or one the header holds.
func FuzzClientIP(f *testing.F) {
	f.Add("203.0.113.5, 10.0.0.1")
	f.Add("[2001:db8::1]:80,nonsense")
	f.Add(",,,")
	r := Resolver{Trusted: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}}
	f.Fuzz(func(t *testing.T, xff string) {
		req := httptest.NewRequest("GET", "/", nil)
		req.RemoteAddr = "10.1.2.3:443"
		req.Header.Set("X-Forwarded-For", xff)
		got := r.ClientIP(req)
		if _, err := netip.ParseAddr(got); err != nil {
			t.Fatalf("%q: %q is not an address", xff, got)
		}
	})
}

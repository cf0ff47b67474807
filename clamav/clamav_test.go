package clamav_test

import (
	"archive/zip"
	"bytes"
	"context"
	"errors"
	"io"
	"math/rand/v2"
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"navette"
	"navette/clamav"
	"navette/internal/testclamd"
)

func scan(t *testing.T, c *clamav.Client, chunks ...[]byte) (navette.ScanVerdict, error) {
	t.Helper()
	s, err := c.Scan(t.Context())
	if err != nil {
		return navette.ScanVerdict{}, err
	}
	for _, b := range chunks {
		if _, err := s.Write(b); err != nil {
			s.Abort()
			return navette.ScanVerdict{}, err
		}
	}
	return s.Close()
}

func random(seed uint64, n int) []byte {
	b := make([]byte, n)
	r := rand.New(rand.NewPCG(seed, 1))
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

func zipOf(t *testing.T, name string, data []byte) []byte {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w, err := zw.Create(name)
	if err != nil {
		t.Fatal(err)
	}
	w.Write(data)
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestScan(t *testing.T) {
	srv := testclamd.New(t, testclamd.Options{StreamMaxLength: 4 << 20, MaxFileSize: 2 << 20})
	c := srv.Client()
	eicar := []byte(testclamd.EICAR)
	padded := append(append(random(1, 100000), eicar...), random(2, 5000)...)
	tests := []struct {
		name   string
		chunks [][]byte
		want   navette.ScanVerdict
	}{
		{"clean", [][]byte{random(3, 300000)}, navette.ScanVerdict{Check: navette.CheckClean}},
		{"empty", nil, navette.ScanVerdict{Check: navette.CheckClean}},
		{"eicar", [][]byte{eicar}, navette.ScanVerdict{Check: navette.CheckInfected, Detail: testclamd.Signature}},
		{"eicar in the middle", [][]byte{padded}, navette.ScanVerdict{Check: navette.CheckInfected, Detail: testclamd.Signature}},
		{"eicar split across writes", [][]byte{padded[:100030], padded[100030:]}, navette.ScanVerdict{Check: navette.CheckInfected, Detail: testclamd.Signature}},
		{"eicar in a zip", [][]byte{zipOf(t, "pièce.txt", padded)}, navette.ScanVerdict{Check: navette.CheckInfected, Detail: testclamd.Signature}},
		{"over MaxFileSize", [][]byte{random(4, 3<<20)}, navette.ScanVerdict{Check: navette.CheckOverLimit, Detail: "Heuristics.Limits.Exceeded.MaxFileSize"}},
		{"over StreamMaxLength", [][]byte{random(5, 3<<20), random(6, 2<<20)}, navette.ScanVerdict{Check: navette.CheckOverLimit, Detail: "INSTREAM size limit exceeded."}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := scan(t, c, tt.chunks...)
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Fatalf("verdict %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestProbes(t *testing.T) {
	for _, tcp := range []bool{false, true} {
		srv := testclamd.New(t, testclamd.Options{StreamMaxLength: 8 << 20, TCP: tcp})
		c, err := clamav.New(srv.URL)
		if err != nil {
			t.Fatal(err)
		}
		if c.String() != srv.URL {
			t.Errorf("String() = %q, want %q", c, srv.URL)
		}
		ctx := t.Context()
		if err := c.Ping(ctx); err != nil {
			t.Fatal(err)
		}
		v, err := c.Version(ctx)
		if err != nil || !strings.HasPrefix(v, "ClamAV ") {
			t.Fatalf("Version = %q, %v", v, err)
		}
		st, err := c.Stats(ctx)
		if err != nil || !strings.Contains(st, "THREADS") {
			t.Fatalf("Stats = %q, %v", st, err)
		}
		for _, tt := range []struct {
			size int64
			ok   bool
		}{{1 << 20, true}, {8 << 20, true}, {8<<20 + 1, false}, {1 << 40, false}} {
			ok, err := c.StreamLimit(ctx, tt.size)
			if err != nil || ok != tt.ok {
				t.Errorf("tcp %v: StreamLimit(%d) = %v, %v; want %v", tcp, tt.size, ok, err, tt.ok)
			}
		}
		if got, err := scan(t, c, []byte(testclamd.EICAR)); err != nil || got.Check != navette.CheckInfected {
			t.Errorf("tcp %v: scan = %+v, %v", tcp, got, err)
		}
	}
}

func TestNew(t *testing.T) {
	for _, tt := range []struct{ url, network, addr string }{
		{"unix:/run/clamav/clamd.ctl", "unix", "/run/clamav/clamd.ctl"},
		{"unix:///run/clamav/clamd.ctl", "unix", "/run/clamav/clamd.ctl"},
		{"tcp://127.0.0.1:3310", "tcp", "127.0.0.1:3310"},
		{"tcp://[::1]:3310/", "tcp", "[::1]:3310"},
		{"tcp://clamd.justice.example:3310", "tcp", "clamd.justice.example:3310"},
	} {
		c, err := clamav.New(tt.url)
		if err != nil || c.Network != tt.network || c.Addr != tt.addr {
			t.Errorf("New(%q) = %+v, %v", tt.url, c, err)
		}
	}
	for _, bad := range []string{"", "clamd", "unix:relative.sock", "tcp://127.0.0.1", "tcp://:3310", "http://127.0.0.1:3310", "tcp://u@h:1", "unix:/a?b"} {
		if _, err := clamav.New(bad); !navette.IsCode(err, navette.EINVALID) {
			t.Errorf("New(%q) = %v, want EINVALID", bad, err)
		}
	}
}

// unavailable fails t unless err says the antivirus cannot be reached.
func unavailable(t *testing.T, err error) {
	t.Helper()
	if !navette.IsCode(err, navette.EUNAVAILABLE) {
		t.Fatalf("err = %v, want EUNAVAILABLE", err)
	}
}

func TestNotStarted(t *testing.T) {
	c, err := clamav.New("unix:" + filepath.Join(t.TempDir(), "none.sock"))
	if err != nil {
		t.Fatal(err)
	}
	unavailable(t, c.Ping(t.Context()))
	_, err = c.Scan(t.Context())
	unavailable(t, err)
	c, _ = clamav.New("tcp://127.0.0.1:1")
	_, err = c.Version(t.Context())
	unavailable(t, err)
}

func TestKilledMidScan(t *testing.T) {
	srv := testclamd.New(t, testclamd.Options{})
	c := srv.Client()
	s, err := c.Scan(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Write(random(7, 1<<20)); err != nil {
		t.Fatal(err)
	}
	if err := srv.Stop(); err != nil {
		t.Fatal(err)
	}
	// The write may still land in the socket's buffer: then the end of
	// the stream finds clamd gone.
	if _, err = s.Write(random(8, 4<<20)); err == nil {
		_, err = s.Close()
	}
	unavailable(t, err)
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	if got, err := scan(t, c, []byte(testclamd.EICAR)); err != nil || got.Check != navette.CheckInfected {
		t.Fatalf("after a restart: %+v, %v", got, err)
	}
}

func TestGarbage(t *testing.T) {
	c, err := clamav.New(testclamd.Garbage(t))
	if err != nil {
		t.Fatal(err)
	}
	unavailable(t, c.Ping(t.Context()))
	_, err = c.Version(t.Context())
	unavailable(t, err)
	_, err = c.StreamLimit(t.Context(), 1<<20)
	unavailable(t, err)
	_, err = scan(t, c, []byte("hello"))
	unavailable(t, err)
	if !errors.Is(err, clamav.ErrGarbage) {
		t.Errorf("err = %v, want ErrGarbage", err)
	}
}

// TestSilent: a clamd that takes the stream and never answers (a fake, the
// only way to hold a real one still) times out.
func TestSilent(t *testing.T) {
	path := filepath.Join(t.TempDir(), "silent.sock")
	ln, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			go func() { io.Copy(io.Discard, conn); conn.Close() }()
		}
	}()
	c := &clamav.Client{Network: "unix", Addr: path, Timeout: 100 * time.Millisecond, ScanTimeout: 200 * time.Millisecond}
	_, err = scan(t, c, []byte("hello"))
	unavailable(t, err)
	unavailable(t, c.Ping(t.Context()))
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	unavailable(t, c.Ping(ctx))
}

func TestParseVerdict(t *testing.T) {
	tests := []struct {
		in   string
		want navette.ScanVerdict
		ok   bool
	}{
		{"stream: OK\x00", navette.ScanVerdict{Check: navette.CheckClean}, true},
		{"stream: OK\n", navette.ScanVerdict{Check: navette.CheckClean}, true},
		{"1: stream: OK", navette.ScanVerdict{Check: navette.CheckClean}, true},
		{"stream: Win.Test.EICAR_HDB-1 FOUND\x00", navette.ScanVerdict{Check: navette.CheckInfected, Detail: "Win.Test.EICAR_HDB-1"}, true},
		{"stream: Heuristics.Limits.Exceeded.MaxFileSize FOUND", navette.ScanVerdict{Check: navette.CheckOverLimit, Detail: "Heuristics.Limits.Exceeded.MaxFileSize"}, true},
		{"stream: Heuristics.Encrypted.Zip FOUND", navette.ScanVerdict{Check: navette.CheckEncrypted, Detail: "Heuristics.Encrypted.Zip"}, true},
		{"INSTREAM size limit exceeded. ERROR\x00", navette.ScanVerdict{Check: navette.CheckOverLimit, Detail: "INSTREAM size limit exceeded."}, true},
		{"Can't allocate memory ERROR", navette.ScanVerdict{Check: navette.CheckFailed, Detail: "Can't allocate memory"}, true},
		{"stream: Bad\x01Name FOUND", navette.ScanVerdict{Check: navette.CheckInfected, Detail: "Bad?Name"}, true},
		{"", navette.ScanVerdict{}, false},
		{"stream: ok", navette.ScanVerdict{}, false},
		{"stream:  FOUND", navette.ScanVerdict{}, false},
		{"stream: two words FOUND", navette.ScanVerdict{}, false},
		{" ERROR", navette.ScanVerdict{}, false},
		{"PONG", navette.ScanVerdict{}, false},
		{"stream: OK\x00stream: OK", navette.ScanVerdict{}, false},
		{"stream: OK\nstream: X FOUND", navette.ScanVerdict{}, false},
		{"UNKNOWN COMMAND", navette.ScanVerdict{}, false},
	}
	for _, tt := range tests {
		got, err := clamav.ParseVerdict(tt.in)
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("ParseVerdict(%q) = %+v, %v; want %+v, ok %v", tt.in, got, err, tt.want, tt.ok)
		}
		if err != nil && !errors.Is(err, clamav.ErrGarbage) {
			t.Errorf("ParseVerdict(%q): %v is not ErrGarbage", tt.in, err)
		}
	}
}

func FuzzParseVerdict(f *testing.F) {
	for _, s := range []string{"stream: OK", "stream: Eicar-Test-Signature.UNOFFICIAL FOUND\x00", "INSTREAM size limit exceeded. ERROR",
		"stream: Heuristics.Encrypted.PDF FOUND", "12: stream: OK", "COMMAND READ TIMED OUT ERROR", "\xff\xfe", "stream: OK\x00\x00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		v, err := clamav.ParseVerdict(in)
		if err != nil {
			if v != (navette.ScanVerdict{}) {
				t.Fatalf("error %v with verdict %+v", err, v)
			}
			return
		}
		switch v.Check {
		case navette.CheckClean:
			line := strings.TrimRight(in, "\x00\r\n")
			if !strings.HasSuffix(line, "stream: OK") || v.Detail != "" {
				t.Fatalf("%q read as clean", in)
			}
		case navette.CheckInfected, navette.CheckOverLimit, navette.CheckEncrypted, navette.CheckFailed:
			if v.Detail == "" || len(v.Detail) > 200 || v.Detail != navette.CleanDetail(v.Detail) {
				t.Fatalf("%q: detail %q", in, v.Detail)
			}
		default:
			t.Fatalf("%q: check %q", in, v.Check)
		}
	})
}

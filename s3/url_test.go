package s3_test

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"navette"
	"navette/internal/tests3"
	"navette/s3"
)

func TestParseURL(t *testing.T) {
	for _, c := range []struct {
		url  string
		want s3.Config
	}{
		{"s3://bucket?endpoint=s3.example.org:9000",
			s3.Config{Bucket: "bucket", Endpoint: "s3.example.org:9000", Region: "us-east-1", Secure: true}},
		{"S3://my-bucket/?endpoint=10.0.0.1&region=eu-west-3&secure=false&path_style=true&prefix=navette",
			s3.Config{Bucket: "my-bucket", Endpoint: "10.0.0.1", Region: "eu-west-3", Addressing: s3.AddressPath, Prefix: "navette/"}},
		{"s3://b.c.d?endpoint=[::1]:9000&path_style=0&ca=%2Fetc%2Fnavette%2Fca.pem&prefix=a/b.c_d-e/",
			s3.Config{Bucket: "b.c.d", Endpoint: "[::1]:9000", Region: "us-east-1", Secure: true, Addressing: s3.AddressVirtualHost, CAFile: "/etc/navette/ca.pem", Prefix: "a/b.c_d-e/"}},
		{"s3://abc?endpoint=minio&prefix=",
			s3.Config{Bucket: "abc", Endpoint: "minio", Region: "us-east-1", Secure: true}},
		{"s3://abc?endpoint=minio&part_buffers=1",
			s3.Config{Bucket: "abc", Endpoint: "minio", Region: "us-east-1", Secure: true, PartBuffers: 1}},
		{"s3://abc?part_buffers=128&endpoint=minio&secure=FALSE",
			s3.Config{Bucket: "abc", Endpoint: "minio", Region: "us-east-1", PartBuffers: s3.MaxPartBuffers}},
	} {
		got, err := s3.ParseURL(c.url)
		if err != nil || got != c.want {
			t.Errorf("ParseURL(%q):\n got %+v, %v\nwant %+v", c.url, got, err, c.want)
		}
	}

	for _, c := range []struct{ url, msg string }{
		{"", "scheme"},
		{"http://bucket?endpoint=h:1", "scheme"},
		{"file:///var/lib/navette", "scheme"},
		{"s3:bucket?endpoint=h:1", "bucket is missing"},
		{"s3://?endpoint=h:1", "bucket is missing"},
		{"s3:///dir?endpoint=h:1", "bucket is missing"},
		{"s3://Bucket?endpoint=h:1", "not a valid bucket"},
		{"s3://ab?endpoint=h:1", "not a valid bucket"},
		{"s3://b_c?endpoint=h:1", "not a valid bucket"},
		{"s3://192.168.1.1?endpoint=h:1", "not a valid bucket"},
		{"s3://bucket:9000?endpoint=h:1", "port"},
		{"s3://bucket/dir?endpoint=h:1", "path"},
		{"s3://bucket?endpoint=h:1#frag", "fragment"},
		{"s3://bucket", "endpoint is required"},
		{"s3://bucket?region=x", "endpoint is required"},
		{"s3://bucket?endpoint=", "endpoint must be"},
		{"s3://bucket?endpoint=http://h:1", "endpoint must be"},
		{"s3://bucket?endpoint=h:0", "endpoint must be"},
		{"s3://bucket?endpoint=h:65536", "endpoint must be"},
		{"s3://bucket?endpoint=h:", "endpoint must be"},
		{"s3://bucket?endpoint=h:08", "endpoint must be"},
		{"s3://bucket?endpoint=h/x", "endpoint must be"},
		{"s3://bucket?endpoint=h:1:2", "endpoint must be"},
		{"s3://bucket?endpoint=::1", "endpoint must be"},
		{"s3://bucket?endpoint=[::1", "endpoint must be"},
		{"s3://bucket?endpoint=[h]:1", "endpoint must be"},
		{"s3://bucket?endpoint=[::1]x", "endpoint must be"},
		{"s3://bucket?endpoint=-h", "endpoint must be"},
		{"s3://bucket?endpoint=a..b", "endpoint must be"},
		{"s3://bucket?endpoint=h%20:1", "endpoint must be"},
		{"s3://bucket?endpoint=h:1&region=", "region"},
		{"s3://bucket?endpoint=h:1&region=eu/1", "region"},
		{"s3://bucket?endpoint=h:1&secure=maybe", "secure"},
		{"s3://bucket?endpoint=h:1&path_style=2", "path_style"},
		{"s3://bucket?endpoint=h:1&ca=/x.pem&secure=false", "ca needs secure=true"},
		{"s3://bucket?endpoint=h:1&ca=", "ca must"},
		{"s3://bucket?endpoint=h:1&prefix=/abs", "prefix"},
		{"s3://bucket?endpoint=h:1&prefix=a//b", "prefix"},
		{"s3://bucket?endpoint=h:1&prefix=../x", "prefix"},
		{"s3://bucket?endpoint=h:1&prefix=a/./b", "prefix"},
		{"s3://bucket?endpoint=h:1&prefix=a%20b", "prefix"},
		{"s3://bucket?endpoint=h:1&prefix=" + strings.Repeat("a", 300), "prefix"},
		{"s3://bucket?endpoint=h:1&part_buffers=", "part_buffers must be a whole number from 1 to 128"},
		{"s3://bucket?endpoint=h:1&part_buffers=0", "part_buffers"},
		{"s3://bucket?endpoint=h:1&part_buffers=-1", "part_buffers"},
		{"s3://bucket?endpoint=h:1&part_buffers=129", "part_buffers"},
		{"s3://bucket?endpoint=h:1&part_buffers=99999999999999999999", "part_buffers"},
		{"s3://bucket?endpoint=h:1&part_buffers=%2B4", "part_buffers"},
		{"s3://bucket?endpoint=h:1&part_buffers=04", "part_buffers"},
		{"s3://bucket?endpoint=h:1&part_buffers=4.0", "part_buffers"},
		{"s3://bucket?endpoint=h:1&part_buffers=32MiB", "part_buffers"},
		{"s3://bucket?endpoint=h:1&part_buffers=%204", "part_buffers"},
		{"s3://bucket?endpoint=h:1&part_buffers=1&part_buffers=2", "repeated"},
		{"s3://bucket?endpoint=h:1&endpoint=h:2", "repeated"},
		{"s3://bucket?endpoint=h:1&access_key=x", "unknown parameter"},
		{"s3://bucket?endpoint=h:1&%zz", "query does not parse"},
		{"s3://bucket\x7f?endpoint=h:1", "does not parse"},
		{"s3://AKIAEXAMPLE:s3cr3t-k3y@bucket?endpoint=h:1", "credentials must not be in the URL"},
		{"s3://s3cr3t-k3y@bucket?endpoint=h:1", "credentials must not be in the URL"},
	} {
		_, err := s3.ParseURL(c.url)
		if navette.ErrorCode(err) != navette.EINVALID || !strings.Contains(err.Error(), c.msg) {
			t.Errorf("ParseURL(%q): %v; want EINVALID mentioning %q", c.url, err, c.msg)
		}
		if err != nil && (strings.Contains(err.Error(), "s3cr3t") || strings.Contains(err.Error(), "AKIAEXAMPLE")) {
			t.Errorf("ParseURL(%q): the error shows the credentials: %v", c.url, err)
		}
	}
}

// FuzzParseURL checks that ParseURL never panics, refuses with EINVALID,
// never repeats credentials, and that what it accepts is sound and stable.
func FuzzParseURL(f *testing.F) {
	for _, s := range []string{
		"s3://bucket?endpoint=h:1",
		"s3://my-bucket/?endpoint=10.0.0.1:9000&region=eu-west-3&secure=false&path_style=true&prefix=navette/",
		"s3://b.c.d?endpoint=[::1]:9000&path_style=false&ca=/etc/ca.pem&prefix=a/b",
		"s3://k:secret@bucket?endpoint=h:1",
		"s3://bucket?endpoint=h:1&endpoint=h:2",
		"s3:bucket",
		"s3://bucket?endpoint=http://x",
		"s3://bucket?endpoint=h:1&part_buffers=16",
		"s3://bucket?endpoint=h:1&part_buffers=128&secure=0",
		"s3://bucket?endpoint=h:1&part_buffers=0",
		"s3://bucket?endpoint=h:1&part_buffers=129",
		"s3://bucket?endpoint=h:1&part_buffers=-4",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		cfg, err := s3.ParseURL(raw)
		if err != nil {
			if navette.ErrorCode(err) != navette.EINVALID {
				t.Fatalf("ParseURL(%q): %v, want EINVALID", raw, err)
			}
			if u, perr := url.Parse(raw); perr == nil && u.User != nil {
				if p, ok := u.User.Password(); ok && len(p) >= 4 && strings.Contains(err.Error(), p) {
					t.Fatalf("ParseURL(%q): the error shows the password: %v", raw, err)
				}
			}
			return
		}
		if cfg.Bucket == "" || cfg.Endpoint == "" || cfg.Region == "" || cfg.Credentials != (s3.Credentials{}) {
			t.Fatalf("ParseURL(%q) = %+v", raw, cfg)
		}
		if cfg.Prefix != "" && (!strings.HasSuffix(cfg.Prefix, "/") || strings.HasPrefix(cfg.Prefix, "/") || strings.Contains(cfg.Prefix, "//") || strings.Contains(cfg.Prefix, "..")) {
			t.Fatalf("ParseURL(%q): prefix %q", raw, cfg.Prefix)
		}
		if strings.ContainsAny(cfg.Endpoint, "/?#@ ") {
			t.Fatalf("ParseURL(%q): endpoint %q", raw, cfg.Endpoint)
		}
		if cfg.PartBuffers < 0 || cfg.PartBuffers > s3.MaxPartBuffers {
			t.Fatalf("ParseURL(%q): part buffers %d", raw, cfg.PartBuffers)
		}
		// What was accepted, written back as a URL, parses the same.
		q := url.Values{"endpoint": {cfg.Endpoint}, "region": {cfg.Region}, "secure": {fmt.Sprint(cfg.Secure)}}
		if cfg.Prefix != "" {
			q.Set("prefix", cfg.Prefix)
		}
		if cfg.CAFile != "" {
			q.Set("ca", cfg.CAFile)
		}
		if cfg.PartBuffers != 0 {
			q.Set("part_buffers", fmt.Sprint(cfg.PartBuffers))
		}
		switch cfg.Addressing {
		case s3.AddressPath:
			q.Set("path_style", "true")
		case s3.AddressVirtualHost:
			q.Set("path_style", "false")
		}
		again, err := s3.ParseURL("s3://" + cfg.Bucket + "?" + q.Encode())
		if err != nil || again != cfg {
			t.Fatalf("ParseURL(%q) = %+v, but its URL parses as %+v, %v", raw, cfg, again, err)
		}
	})
}

func TestCredentialsHidden(t *testing.T) {
	cfg := s3.Config{Bucket: "b", Credentials: s3.Credentials{AccessKey: "AKIAEXAMPLE", SecretKey: "s3cr3t-k3y", SessionToken: "t0k3n"}}
	var log strings.Builder
	slog.New(slog.NewTextHandler(&log, nil)).Info("config", "cfg", cfg, "creds", cfg.Credentials)
	for _, s := range []string{fmt.Sprint(cfg), fmt.Sprintf("%+v", cfg), fmt.Sprintf("%#v", cfg), fmt.Sprintf("%v", &cfg), log.String()} {
		for _, secret := range []string{"AKIAEXAMPLE", "s3cr3t-k3y", "t0k3n"} {
			if strings.Contains(s, secret) {
				t.Errorf("printed config shows %s: %s", secret, s)
			}
		}
	}
}

func clearCredentials(t *testing.T) {
	for _, v := range []string{s3.EnvAccessKey, s3.EnvSecretKey, s3.EnvAWSAccessKey, s3.EnvAWSSecretKey, s3.EnvAWSSession} {
		t.Setenv(v, "")
		os.Unsetenv(v)
	}
}

// TestOpen opens stores by URL with credentials from the environment, and
// checks the errors of bad ones.
func TestOpen(t *testing.T) {
	srv := tests3.Shared(t)
	bucket := srv.NewBucket(t)
	clearCredentials(t)
	ctx := t.Context()

	open := func(url string) error {
		s, err := s3.Open(ctx, url)
		if err == nil {
			defer s.Close()
			if err := s.Ping(ctx); err != nil {
				t.Errorf("Ping: %v", err)
			}
			key := navette.NewID()
			write(t, s, key, 0, []byte("opened"))
			if err := s.Finish(ctx, key); err != nil {
				t.Errorf("Finish: %v", err)
			}
		} else if strings.Contains(err.Error(), srv.SecretKey) {
			t.Errorf("the error shows the secret key: %v", err)
		}
		return err
	}
	check := func(what string, err error, code, msg string) {
		t.Helper()
		if navette.ErrorCode(err) != code || err != nil && !strings.Contains(err.Error(), msg) {
			t.Errorf("%s: %v; want code %q mentioning %q", what, err, code, msg)
		}
	}

	check("no credentials", open(srv.URL(bucket)), navette.EINVALID, s3.EnvAccessKey)
	t.Setenv(s3.EnvAccessKey, srv.AccessKey)
	check("access key alone", open(srv.URL(bucket)), navette.EINVALID, s3.EnvSecretKey)
	t.Setenv(s3.EnvSecretKey, "not-"+srv.SecretKey)
	check("wrong secret key", open(srv.URL(bucket)), navette.EINVALID, "refused the credentials")
	t.Setenv(s3.EnvSecretKey, srv.SecretKey)
	check("NAVETTE_ credentials", open(srv.URL(bucket)), "", "")
	check("missing bucket", open(srv.URL("nv-no-such-bucket")), navette.EINVALID, "does not exist")
	// deploy.md's example names a region; a service in another one
	// answers the lookup 400 without a word, so the error names both.
	check("another region", open(srv.URL(bucket, "region=fr-par-1")), navette.EINVALID, "is in region us-east-1, not fr-par-1: set region=us-east-1")
	check("bad URL", open("s3://"+bucket), navette.EINVALID, "endpoint is required")

	dir := t.TempDir()
	check("missing CA file", open("s3://"+bucket+"?endpoint="+srv.Endpoint+"&ca="+filepath.Join(dir, "missing.pem")), navette.EINVALID, "Cannot read the S3 CA file")
	junk := filepath.Join(dir, "junk.pem")
	if err := os.WriteFile(junk, []byte("not a certificate"), 0o600); err != nil {
		t.Fatal(err)
	}
	check("CA file without certificate", open("s3://"+bucket+"?endpoint="+srv.Endpoint+"&ca="+junk), navette.EINVALID, "holds no PEM certificate")
	check("HTTPS to a plain HTTP server", open("s3://"+bucket+"?endpoint="+srv.Endpoint), navette.EINVALID, "plain HTTP")

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := ln.Addr().String()
	ln.Close()
	short, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	_, err = s3.Open(short, "s3://"+bucket+"?secure=false&endpoint="+closed)
	check("unreachable endpoint", err, navette.EUNAVAILABLE, "Cannot reach")

	clearCredentials(t)
	t.Setenv(s3.EnvAWSAccessKey, srv.AccessKey)
	check("AWS_ access key alone", open(srv.URL(bucket)), navette.EINVALID, s3.EnvAWSSecretKey)
	t.Setenv(s3.EnvAWSSecretKey, srv.SecretKey)
	check("AWS_ credentials", open(srv.URL(bucket)), "", "")
}

// TestTLS runs a store over HTTPS with a CA of its own, and checks that
// the CA is needed.
func TestTLS(t *testing.T) {
	srv := tests3.NewTLS(t)
	bucket := srv.NewBucket(t)
	s := openStore(t, srv, bucket)
	key := navette.NewID()
	data := bytesOf(12, 10*mib+5)
	write(t, s, key, 0, data[:3*mib])
	write(t, s, key, 3*mib, data[3*mib:])
	if err := s.Finish(t.Context(), key); err != nil {
		t.Fatal(err)
	}
	checkBlob(t, s, key, data)

	cfg, err := s3.ParseURL("s3://" + bucket + "?endpoint=" + srv.Endpoint)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Credentials = s3.Credentials{AccessKey: srv.AccessKey, SecretKey: srv.SecretKey}
	if _, err := s3.New(t.Context(), cfg); navette.ErrorCode(err) != navette.EINVALID || !strings.Contains(err.Error(), "not trusted") {
		t.Errorf("New without the CA: %v; want EINVALID, not trusted", err)
	}
}

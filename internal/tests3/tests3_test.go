package tests3_test

import (
	"bytes"
	"io"
	"net"
	"testing"

	"github.com/minio/minio-go/v7"

	"navette/internal/tests3"
)

func TestMain(m *testing.M) { tests3.Main(m) }

func put(t *testing.T, c *minio.Client, bucket, name string, data []byte) error {
	t.Helper()
	_, err := c.PutObject(t.Context(), bucket, name, bytes.NewReader(data), int64(len(data)), minio.PutObjectOptions{})
	return err
}

func get(t *testing.T, c *minio.Client, bucket, name string) []byte {
	t.Helper()
	o, err := c.GetObject(t.Context(), bucket, name, minio.GetObjectOptions{})
	if err != nil {
		t.Fatalf("get %s: %v", name, err)
	}
	defer o.Close()
	b, err := io.ReadAll(o)
	if err != nil {
		t.Fatalf("read %s: %v", name, err)
	}
	return b
}

func TestShared(t *testing.T) {
	s := tests3.Shared(t)
	if s2 := tests3.Shared(t); s2 != s {
		t.Fatal("Shared started a second server")
	}
	a, b := s.NewBucket(t), s.NewBucket(t)
	if a == b {
		t.Fatalf("two buckets named %s", a)
	}
	if err := put(t, s.Client(), a, "dir/x", []byte("hello")); err != nil {
		t.Fatal(err)
	}
	if got := get(t, s.Client(), a, "dir/x"); string(got) != "hello" {
		t.Fatalf("read %q", got)
	}
	if _, err := s.Client().StatObject(t.Context(), b, "dir/x", minio.StatObjectOptions{}); minio.ToErrorResponse(err).Code != minio.NoSuchKey {
		t.Fatalf("object in the other bucket: %v", err)
	}
	if got := s.URL(a, "prefix=p/"); got != "s3://"+a+"?endpoint="+s.Endpoint+"&path_style=true&secure=false&prefix=p/" {
		t.Errorf("URL: %s", got)
	}
}

func TestStopStart(t *testing.T) {
	s := tests3.New(t)
	bucket := s.NewBucket(t)
	if err := put(t, s.Client(), bucket, "kept", []byte("across restarts")); err != nil {
		t.Fatal(err)
	}
	if err := s.Stop(); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	if err := s.Stop(); err != nil {
		t.Fatalf("second Stop: %v", err)
	}
	if c, err := net.Dial("tcp", s.Endpoint); err == nil {
		c.Close()
		t.Fatal("the stopped server accepts connections")
	}
	if err := s.Start(); err != nil {
		t.Fatalf("Start: %v", err)
	}
	if err := s.Start(); err != nil {
		t.Fatalf("second Start: %v", err)
	}
	if got := get(t, s.Client(), bucket, "kept"); string(got) != "across restarts" {
		t.Fatalf("after restart: %q", got)
	}
}

func TestBinary(t *testing.T) {
	a, err := tests3.Binary()
	if err != nil {
		t.Fatal(err)
	}
	b, err := tests3.Binary()
	if err != nil || a != b {
		t.Fatalf("Binary: %q, %v then %q", a, err, b)
	}
}

func TestTLS(t *testing.T) {
	s := tests3.NewTLS(t)
	bucket := s.NewBucket(t)
	if err := put(t, s.Client(), bucket, "x", []byte("over TLS")); err != nil {
		t.Fatal(err)
	}
	if got := get(t, s.Client(), bucket, "x"); string(got) != "over TLS" {
		t.Fatalf("read %q", got)
	}
	if err := s.Stop(); err != nil {
		t.Fatal(err)
	}
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	if got := get(t, s.Client(), bucket, "x"); string(got) != "over TLS" {
		t.Fatalf("after restart: %q", got)
	}
}

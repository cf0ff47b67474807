package s3_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"testing"

	"github.com/minio/minio-go/v7"

	"navette"
	"navette/internal/tests3"
)

const benchSize = 100 * mib

// BenchmarkPutRaw sends 100 MiB to versitygw in one PUT, signed with its
// SHA-256 as the store signs its parts: the ceiling for BenchmarkWriter.
func BenchmarkPutRaw(b *testing.B) {
	srv := tests3.Shared(b)
	bucket := srv.NewBucket(b)
	core := &minio.Core{Client: srv.Client()}
	data := bytesOf(30, benchSize)
	b.SetBytes(benchSize)
	for b.Loop() {
		sum := sha256.Sum256(data)
		if _, err := core.PutObject(b.Context(), bucket, "raw", bytes.NewReader(data), benchSize, "", hex.EncodeToString(sum[:]),
			minio.PutObjectOptions{DisableContentSha256: true}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkWriter writes 100 MiB through a BlobWriter (one Append, writes
// of sealed segments, one Commit) and finishes the blob.
func BenchmarkWriter(b *testing.B) {
	srv := tests3.Shared(b)
	s := openStore(b, srv, srv.NewBucket(b))
	data := bytesOf(31, benchSize)
	const seg = 65536 + 28
	b.SetBytes(benchSize)
	for b.Loop() {
		key := navette.NewID()
		w, err := s.Append(b.Context(), key, 0)
		if err != nil {
			b.Fatal(err)
		}
		for off := 0; off < len(data); off += seg {
			if _, err := w.Write(data[off:min(off+seg, len(data))]); err != nil {
				b.Fatal(err)
			}
		}
		if err := w.Commit(); err != nil {
			b.Fatal(err)
		}
		w.Close()
		if err := s.Finish(b.Context(), key); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkGetRaw reads 100 MiB from versitygw in one GET.
func BenchmarkGetRaw(b *testing.B) {
	srv := tests3.Shared(b)
	bucket := srv.NewBucket(b)
	data := bytesOf(32, benchSize)
	if _, err := srv.Client().PutObject(b.Context(), bucket, "raw", bytes.NewReader(data), benchSize, minio.PutObjectOptions{}); err != nil {
		b.Fatal(err)
	}
	core := &minio.Core{Client: srv.Client()}
	b.SetBytes(benchSize)
	for b.Loop() {
		body, _, _, err := core.GetObject(b.Context(), bucket, "raw", minio.GetObjectOptions{})
		if err != nil {
			b.Fatal(err)
		}
		if n, err := io.Copy(io.Discard, body); n != benchSize || err != nil {
			b.Fatal(n, err)
		}
		body.Close()
	}
}

// BenchmarkOpen reads a 100 MiB blob through Open.
func BenchmarkOpen(b *testing.B) {
	srv := tests3.Shared(b)
	s := openStore(b, srv, srv.NewBucket(b))
	key := navette.NewID()
	write(b, s, key, 0, bytesOf(33, benchSize))
	if err := s.Finish(b.Context(), key); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(benchSize)
	for b.Loop() {
		r, err := s.Open(b.Context(), key, 0, -1)
		if err != nil {
			b.Fatal(err)
		}
		if n, err := io.Copy(io.Discard, r); n != benchSize || err != nil {
			b.Fatal(n, err)
		}
		r.Close()
	}
}

// Package apptest runs a whole navette node on the S3 blob store. It is
// apart from package s3's tests so that those depend on nothing but the
// store.
package apptest_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"

	"navette"
	"navette/api"
	"navette/app"
	"navette/client"
	"navette/internal/tests3"
)

func TestMain(m *testing.M) { tests3.Main(m) }

const mib = 1 << 20

// bytesOf returns size deterministic random bytes.
func bytesOf(seed uint64, size int64) []byte {
	var s [32]byte
	s[0], s[1] = byte(seed), byte(seed>>8)
	b, _ := io.ReadAll(io.LimitReader(rand.NewChaCha8(s), size))
	return b
}

// checkObjects checks that bucket holds exactly the objects named want and
// no multipart upload.
func checkObjects(t *testing.T, srv *tests3.Server, bucket string, want ...string) {
	t.Helper()
	var names []string
	for o := range srv.Client().ListObjects(t.Context(), bucket, minio.ListObjectsOptions{Recursive: true}) {
		if o.Err != nil {
			t.Fatalf("list: %v", o.Err)
		}
		names = append(names, o.Key)
	}
	core := &minio.Core{Client: srv.Client()}
	res, err := core.ListMultipartUploads(t.Context(), bucket, "", "", "", "", 1000)
	if err != nil {
		t.Fatalf("list multipart uploads: %v", err)
	}
	slices.Sort(names)
	if !slices.Equal(names, want) || len(res.Uploads) > 0 {
		t.Errorf("bucket holds %q and %d uploads, want %q and none", names, len(res.Uploads), want)
	}
}

// failingAt is a source that fails once when a read reaches off.
type failingAt struct {
	data   []byte
	off    int64
	failed bool
}

var errSourceGone = errors.New("the source went away")

func (f *failingAt) ReadAt(p []byte, off int64) (int, error) {
	if !f.failed && off+int64(len(p)) > f.off {
		f.failed = true
		n := copy(p, f.data[off:f.off])
		return n, errSourceGone
	}
	return bytes.NewReader(f.data).ReadAt(p, off)
}

// TestApp runs a navette node on the S3 store: an upload cut and resumed
// through tus, then whole and ranged downloads.
func TestApp(t *testing.T) {
	srv := tests3.Shared(t)
	bucket := srv.NewBucket(t)
	srv.Setenv(t)
	a, err := app.Listen(app.Config{
		DataDir:       t.TempDir(),
		Blobs:         srv.URL(bucket, "prefix=navette"),
		Addr:          "127.0.0.1:0",
		SweepInterval: time.Hour,
		Logger:        slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
		a.Close()
	})

	token := func(email string, role navette.Role) string {
		if _, err := a.Accounts.CreateUser(t.Context(), email, email, role); err != nil {
			t.Fatal(err)
		}
		tok, _, err := a.Accounts.CreateToken(t.Context(), email, "test", 0)
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}
	agent, lawyer := token("greffe@justice.example", navette.RoleAgent), token("avocat@avocat.example", navette.RolePartner)
	noRetry := client.WithRetry(client.RetryPolicy{})
	ca, err := client.New(a.URL(), agent, noRetry)
	if err != nil {
		t.Fatal(err)
	}
	cl, err := client.New(a.URL(), lawyer, noRetry)
	if err != nil {
		t.Fatal(err)
	}

	resp, err := http.Get(a.URL() + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("readyz: %d", resp.StatusCode)
	}

	d, err := ca.CreateDeposit(t.Context(), api.CreateDeposit{Recipients: []string{"avocat@avocat.example"}, Reference: "Parquet 26/12345"})
	if err != nil {
		t.Fatal(err)
	}
	data := bytesOf(20, 21*mib+12345)
	src := &failingAt{data: data, off: 9*mib + 777}
	id, err := ca.Upload(t.Context(), d.ID, "scelles.bin", src, int64(len(data)), nil)
	if !errors.Is(err, errSourceGone) {
		t.Fatalf("Upload with a failing source: %v", err)
	}
	if err := ca.ResumeUpload(t.Context(), "/api/v1/uploads/"+id, src, int64(len(data)), nil); err != nil {
		t.Fatalf("ResumeUpload: %v", err)
	}
	if _, err := ca.Submit(t.Context(), d.ID); err != nil {
		t.Fatal(err)
	}

	for _, off := range []int64{0, 13*mib + 5, int64(len(data)) - 1} {
		var got bytes.Buffer
		if _, err := cl.Download(t.Context(), d.ID, id, &got, off); err != nil {
			t.Fatalf("Download from %d: %v", off, err)
		}
		if !bytes.Equal(got.Bytes(), data[off:]) {
			t.Fatalf("Download from %d: %d bytes, want %d", off, got.Len(), len(data)-int(off))
		}
	}
	checkObjects(t, srv, bucket, "navette/blobs/"+id)
}

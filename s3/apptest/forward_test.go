package apptest_test

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"maps"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"

	"navette"
	"navette/api"
	"navette/app"
	"navette/client"
	"navette/internal/tests3"
)

// objects returns the size of each object of bucket, by name.
func objects(t *testing.T, srv *tests3.Server, bucket string) map[string]int64 {
	t.Helper()
	out := map[string]int64{}
	for o := range srv.Client().ListObjects(t.Context(), bucket, minio.ListObjectsOptions{Recursive: true}) {
		if o.Err != nil {
			t.Fatalf("list: %v", o.Err)
		}
		out[o.Key] = o.Size
	}
	return out
}

// TestForwardSharesObjects: on S3, a forward adds no object and no byte;
// the original purged, the forward still downloads from the shared object;
// the forward purged after, the object is gone.
func TestForwardSharesObjects(t *testing.T) {
	srv := tests3.Shared(t)
	bucket := srv.NewBucket(t)
	srv.Setenv(t)
	clock := navette.NewFakeClock(time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC))
	a, err := app.Listen(app.Config{DataDir: t.TempDir(), Blobs: srv.URL(bucket, "prefix=navette"), Addr: "127.0.0.1:0",
		SweepInterval: time.Hour, Clock: clock, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
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
	clientOf := func(email string) *client.Client {
		if _, err := a.Accounts.CreateUser(t.Context(), email, email, navette.RoleAgent); err != nil {
			t.Fatal(err)
		}
		tok, _, err := a.Accounts.CreateToken(t.Context(), email, "test", 0)
		if err != nil {
			t.Fatal(err)
		}
		c, err := client.New(a.URL(), tok, client.WithRetry(client.RetryPolicy{}))
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	parquet, greffe, collegue := clientOf("parquet@justice.example"), clientOf("greffe@justice.example"), clientOf("collegue@justice.example")

	d, err := parquet.CreateDeposit(t.Context(), api.CreateDeposit{Recipients: []string{"greffe@justice.example"}, Reference: "Parquet 26/4242", RetentionDays: 2})
	if err != nil {
		t.Fatal(err)
	}
	data := bytesOf(42, 3*mib+4321)
	if _, err := parquet.Upload(t.Context(), d.ID, "scelles.bin", bytes.NewReader(data), int64(len(data)), nil); err != nil {
		t.Fatal(err)
	}
	if _, err := parquet.Submit(t.Context(), d.ID); err != nil {
		t.Fatal(err)
	}
	before := objects(t, srv, bucket)
	if len(before) != 1 {
		t.Fatalf("objects after the deposit: %v", before)
	}

	fw, err := greffe.Forward(t.Context(), d.ID, api.Forward{Recipients: []string{"collegue@justice.example"}, RetentionDays: 10})
	if err != nil {
		t.Fatal(err)
	}
	fetch := func(what string) {
		t.Helper()
		var got bytes.Buffer
		if _, err := collegue.Download(t.Context(), fw.ID, fw.Files[0].ID, &got, 0); err != nil || !bytes.Equal(got.Bytes(), data) {
			t.Fatalf("%s: the forward's download: %d bytes, %v", what, got.Len(), err)
		}
	}
	fetch("after the forward")
	if after := objects(t, srv, bucket); !maps.Equal(after, before) {
		t.Errorf("objects after the forward: %v, want %v, unchanged", after, before)
	}

	clock.Advance(3 * 24 * time.Hour)
	if st, err := a.Deposits.Sweep(t.Context()); err != nil || st.Purged != 1 || st.BlobsDeleted != 0 {
		t.Fatalf("sweep at the original's expiry: %+v, %v", st, err)
	}
	if after := objects(t, srv, bucket); !maps.Equal(after, before) {
		t.Errorf("objects after the original's purge: %v, want %v, kept for the forward", after, before)
	}
	fetch("after the original's purge")

	clock.Advance(8 * 24 * time.Hour)
	if st, err := a.Deposits.Sweep(t.Context()); err != nil || st.Purged != 1 || st.BlobsDeleted < 1 {
		t.Fatalf("sweep at the forward's expiry: %+v, %v", st, err)
	}
	checkObjects(t, srv, bucket)
}

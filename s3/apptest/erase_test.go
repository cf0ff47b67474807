package apptest_test

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"

	"navette"
	"navette/api"
	"navette/app"
	"navette/app/apptest"
	"navette/client"
	"navette/internal/tests3"
)

// TestEndedDepositsLeaveNothing: on S3, every way a deposit or a file ends
// leaves no object and no incomplete multipart upload once swept: a draft
// abandoned with an upload cut half-way (parts, tail and state), a draft
// discarded while uploading, a file removed from a draft half-way, a
// withdrawn deposit and one that expired unfetched. The spool directory
// is empty too.
func TestEndedDepositsLeaveNothing(t *testing.T) {
	srv := tests3.Shared(t)
	bucket := srv.NewBucket(t)
	srv.Setenv(t)
	clock := navette.NewFakeClock(time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC))
	a := apptest.Start(t, clock, func(c *app.Config) { c.Blobs = srv.URL(bucket, "prefix=navette") })
	sender, err := a.Accounts.CreateUser(t.Context(), "greffe@justice.example", "Greffe", navette.RoleAgent)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.Accounts.CreateUser(t.Context(), "avocat@avocat.example", "Avocat", navette.RolePartner); err != nil {
		t.Fatal(err)
	}
	tok, _, err := a.Accounts.CreateToken(t.Context(), sender.Email, "test", 0)
	if err != nil {
		t.Fatal(err)
	}
	c, err := client.New(a.URL(), tok, client.WithRetry(client.RetryPolicy{}))
	if err != nil {
		t.Fatal(err)
	}
	draft := func(days int) *api.Deposit {
		d, err := c.CreateDeposit(t.Context(), api.CreateDeposit{Recipients: []string{"avocat@avocat.example"}, Reference: "Parquet 26/777", RetentionDays: days})
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	// cut uploads size bytes to d, the source failing at off, and returns
	// the upload's id.
	cut := func(d *api.Deposit, seed uint64, size, off int64) string {
		data := bytesOf(seed, size)
		id, err := c.Upload(t.Context(), d.ID, "scelles.bin", &failingAt{data: data, off: off}, size, nil)
		if !errors.Is(err, errSourceGone) {
			t.Fatalf("Upload with a failing source: %v", err)
		}
		return id
	}
	send := func(d *api.Deposit, seed uint64, size int64) {
		data := bytesOf(seed, size)
		if _, err := c.Upload(t.Context(), d.ID, "pv.bin", bytes.NewReader(data), size, nil); err != nil {
			t.Fatal(err)
		}
		if _, err := c.Submit(t.Context(), d.ID); err != nil {
			t.Fatal(err)
		}
	}

	cut(draft(7), 1, 21*mib, 9*mib+777) // abandoned
	discarded := draft(7)
	cut(discarded, 2, 12*mib, 7*mib+3)
	if err := a.Deposits.Discard(t.Context(), sender, discarded.ID); err != nil {
		t.Fatal(err)
	}
	removed := draft(7)
	id := cut(removed, 3, 12*mib, 6*mib+5)
	if err := c.DeleteUpload(t.Context(), "/api/v1/uploads/"+id); err != nil {
		t.Fatal(err)
	}
	revoked := draft(7)
	send(revoked, 4, 6*mib+1)
	if err := c.Revoke(t.Context(), revoked.ID); err != nil {
		t.Fatal(err)
	}
	send(draft(1), 5, mib+7) // expires unfetched

	core := &minio.Core{Client: srv.Client()}
	res, err := core.ListMultipartUploads(t.Context(), bucket, "", "", "", "", 1000)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Uploads) == 0 {
		t.Fatal("no multipart upload in flight: the cut uploads did not reach a part")
	}
	clock.Advance(2 * 24 * time.Hour)
	st, err := a.Deposits.Sweep(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if st.Purged != 5 {
		t.Errorf("sweep purged %d deposits, want 5: %+v", st.Purged, st)
	}
	checkObjects(t, srv, bucket)
	spool, err := os.ReadDir(filepath.Join(a.Config.DataDir, "tmp"))
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		t.Fatal(err)
	}
	if len(spool) > 0 {
		t.Errorf("spool directory holds %d files", len(spool))
	}
}

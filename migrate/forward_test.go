package migrate_test

import (
	"bytes"
	"context"
	"log/slog"
	"path/filepath"
	"testing"

	"navette"
	"navette/app"
	"navette/deposit"
	"navette/migrate"
)

// TestMigrateSharedBlob moves a forward whose original was withdrawn and
// purged: the blob they shared is copied once, under its own key, and the
// forward downloads on the target.
func TestMigrateSharedBlob(t *testing.T) {
	ctx := context.Background()
	src := newSource(t)
	parquet, err := src.a.Accounts.CreateUser(ctx, "parquet@justice.example", "Parquet", navette.RoleAgent)
	if err != nil {
		t.Fatal(err)
	}
	colleague, err := src.a.Accounts.CreateUser(ctx, "collegue@justice.example", "Collègue", navette.RoleAgent)
	if err != nil {
		t.Fatal(err)
	}
	src.recipient = parquet
	orig := src.deposit(t, true, 2*70000)
	fw, err := src.a.Deposits.Forward(ctx, parquet, orig.ID, deposit.Onward{Recipients: []string{colleague.Email}})
	if err != nil {
		t.Fatal(err)
	}
	if err := src.a.Deposits.Revoke(ctx, src.sender, orig.ID); err != nil {
		t.Fatal(err)
	}
	if st, err := src.a.Deposits.Sweep(ctx); err != nil || st.Purged != 1 || st.BlobsDeleted != 0 {
		t.Fatalf("sweep: %+v, %v", st, err)
	}
	toDB, toBlobs := pg.NewDatabase(t), "file://"+filepath.Join(t.TempDir(), "blobs")
	st, err := migrate.Run(ctx, migrate.Options{FromDataDir: src.dir, ToDB: toDB, ToBlobs: toBlobs, Final: true})
	if err != nil || st.BlobsCopied != 1 || st.Rows["files"] != 2 {
		t.Fatalf("migrate: %+v, %v; want one blob copied for two files", st, err)
	}
	dst, err := app.Open(app.Config{DataDir: src.dir, DB: toDB, Blobs: toBlobs, Clock: src.clock, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	defer dst.Close()
	dl, err := dst.Deposits.OpenFile(ctx, colleague, fw.ID, fw.Files[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := dl.WriteRange(ctx, &buf, 0, dl.Size()); err != nil || !bytes.Equal(buf.Bytes(), src.files[orig.Files[0].ID]) {
		t.Errorf("the forward on the target: %v, equal %v", err, bytes.Equal(buf.Bytes(), src.files[orig.Files[0].ID]))
	}
}

package migrate_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"testing"
	"time"

	"navette"
	"navette/app"
	"navette/deposit"
	"navette/internal/testpg"
	"navette/internal/tests3"
	"navette/migrate"
	"navette/seal"
	"navette/storetest"
)

var pg *testpg.Server

func TestMain(m *testing.M) {
	var err error
	if pg, err = testpg.StartServer(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	code := m.Run()
	pg.Close()
	os.Exit(code)
}

// source is an embedded-default deployment with deposits in every state.
type source struct {
	dir       string
	clock     *navette.FakeClock
	a         *app.App
	sender    *navette.User
	recipient *navette.User
	files     map[string][]byte // file id → content of available files
}

func newSource(t *testing.T) *source {
	t.Helper()
	s := &source{dir: t.TempDir(), clock: navette.NewFakeClock(time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)), files: map[string][]byte{}}
	a, err := app.Open(app.Config{DataDir: s.dir, Clock: s.clock, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	s.a = a
	ctx := context.Background()
	if s.sender, err = a.Accounts.CreateUser(ctx, "greffe@justice.example", "Greffe", navette.RoleAgent); err != nil {
		t.Fatal(err)
	}
	if s.recipient, err = a.Accounts.CreateUser(ctx, "avocat@avocat.example", "Avocat", navette.RolePartner); err != nil {
		t.Fatal(err)
	}
	return s
}

// deposit makes a deposit with files of the given sizes, submitted or not.
func (s *source) deposit(t *testing.T, submit bool, sizes ...int) *deposit.View {
	t.Helper()
	ctx := context.Background()
	d, err := s.a.Deposits.Create(ctx, s.sender, deposit.Draft{Recipients: []string{s.recipient.Email}, Reference: "RG 26/7", RetentionDays: 5})
	if err != nil {
		t.Fatal(err)
	}
	for i, n := range sizes {
		data := bytes.Repeat([]byte{byte(i + 1), 0xa5}, n/2+1)[:n]
		f, err := s.a.Deposits.StartFile(ctx, s.sender, d.ID, fmt.Sprintf("f%d.bin", i), int64(n))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.a.Deposits.Write(ctx, s.sender, f.ID, 0, bytes.NewReader(data)); err != nil {
			t.Fatal(err)
		}
		if err := s.a.Deposits.Finish(ctx, s.sender, f.ID); err != nil {
			t.Fatal(err)
		}
		s.files[f.ID] = data
	}
	if submit {
		if d, err = s.a.Deposits.Submit(ctx, s.sender, d.ID); err != nil {
			t.Fatal(err)
		}
	}
	return d
}

func TestMigrateToPostgresAndS3(t *testing.T) {
	ctx := context.Background()
	s3srv := tests3.New(t)
	s3srv.Setenv(t)
	src := newSource(t)
	toDB := pg.NewDatabase(t)
	toBlobs := s3srv.URL(s3srv.NewBucket(t))

	live := src.deposit(t, true, 3*seal.SegmentSize+100, 0, 777)
	gone := src.deposit(t, true, 1000)
	if err := src.a.Deposits.Revoke(ctx, src.sender, gone.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := src.a.Deposits.Sweep(ctx); err != nil {
		t.Fatal(err)
	}
	delete(src.files, gone.Files[0].ID)
	// A draft with an upload in progress.
	draft, err := src.a.Deposits.Create(ctx, src.sender, deposit.Draft{Recipients: []string{src.recipient.Email}, Reference: "en cours"})
	if err != nil {
		t.Fatal(err)
	}
	up, err := src.a.Deposits.StartFile(ctx, src.sender, draft.ID, "partiel.bin", 200000)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := src.a.Deposits.Write(ctx, src.sender, up.ID, 0, bytes.NewReader(make([]byte, 70000))); err != nil {
		t.Fatal(err)
	}

	opts := migrate.Options{FromDataDir: src.dir, ToDB: toDB, ToBlobs: toBlobs}
	// An interrupted first pass, then a complete one.
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := migrate.Run(cctx, opts); err == nil {
		t.Fatal("a cancelled run reported success")
	}
	st, err := migrate.Run(ctx, opts)
	if err != nil {
		t.Fatal(err)
	}
	if st.BlobsCopied != 3 || st.Rows["deposits"] != 3 || st.Rows["files"] != 5 {
		t.Errorf("first pass: %+v", st)
	}
	// The source keeps serving: a new deposit and a download happen.
	later := src.deposit(t, true, 5000)
	dl, err := src.a.Deposits.OpenFile(ctx, src.recipient, live.ID, live.Files[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	if err := dl.WriteRange(ctx, io.Discard, 0, dl.Size()); err != nil {
		t.Fatal(err)
	}
	// The final pass copies only what changed.
	opts.Final = true
	st, err = migrate.Run(ctx, opts)
	if err != nil {
		t.Fatal(err)
	}
	if st.BlobsCopied != 1 || st.BlobsPresent != 3 || st.UploadsReset != 1 {
		t.Errorf("final pass: %+v", st)
	}
	// Run again with verification: nothing to copy, everything compared.
	opts.Verify = true
	if st, err = migrate.Run(ctx, opts); err != nil || st.BlobsCopied != 0 || st.BlobsPresent != 4 {
		t.Errorf("verifying pass: %+v, %v", st, err)
	}

	// A node on the target stores, with the source's keys, serves it all.
	dst, err := app.Open(app.Config{DataDir: src.dir, DB: toDB, Blobs: toBlobs, Clock: src.clock, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	defer dst.Close()
	for _, d := range []*deposit.View{live, later} {
		for _, f := range d.Files {
			dl, err := dst.Deposits.OpenFile(ctx, src.recipient, d.ID, f.ID)
			if err != nil {
				t.Fatalf("file %s: %v", f.ID, err)
			}
			var buf bytes.Buffer
			if err := dl.WriteRange(ctx, &buf, 0, dl.Size()); err != nil || !bytes.Equal(buf.Bytes(), src.files[f.ID]) {
				t.Errorf("file %s on the target: %v, equal %v", f.ID, err, bytes.Equal(buf.Bytes(), src.files[f.ID]))
			}
		}
	}
	v, err := dst.Deposits.Get(ctx, src.sender, live.ID)
	if err != nil || v.Reference != "RG 26/7" || v.Recipients[0].FirstDownloadAt.IsZero() {
		t.Errorf("deposit on the target: %+v, %v", v, err)
	}
	if _, err := dst.Deposits.Get(ctx, src.recipient, gone.ID); navette.ErrorCode(err) != navette.EGONE {
		t.Errorf("revoked deposit on the target: %v", err)
	}
	f, err := dst.Meta.File(ctx, up.ID)
	if err != nil || f.Offset != 0 || f.Resume != nil || f.State != navette.FileUploading {
		t.Errorf("upload in progress on the target: %+v, %v", f, err)
	}
	// The journal is the same, sequence numbers included (the target has
	// since recorded the downloads above, the first opening of the deposit
	// not downloaded before, and the refusal, numbered after it).
	srcEv, _ := src.a.Meta.Events(ctx, navette.EventFilter{Limit: 1000})
	dstEv, _ := dst.Meta.Events(ctx, navette.EventFilter{Limit: 1000})
	if len(srcEv) == 0 || len(dstEv) != len(srcEv)+6 {
		t.Fatalf("journal: %d events in the source, %d in the target", len(srcEv), len(dstEv))
	}
	for i := range srcEv {
		if srcEv[i].Seq != dstEv[i].Seq || srcEv[i].Type != dstEv[i].Type || !srcEv[i].Time.Equal(dstEv[i].Time) || !bytes.Equal(srcEv[i].Hash, dstEv[i].Hash) {
			t.Fatalf("event %d: %+v vs %+v", i, srcEv[i], dstEv[i])
		}
	}
	// The chain goes on across the move: the target's appends extend it.
	if c, err := navette.VerifyJournal(ctx, dst.Meta, &srcEv[len(srcEv)-1]); err != nil || c.Events != len(dstEv) || c.Unchained != 0 {
		t.Errorf("the journal's chain on the target: %+v, %v", c, err)
	}
	// So does the tree: the target's appends are its next leaves.
	storetest.CheckJournalTree(t, dst.Meta)
	for _, ev := range dstEv[len(srcEv):] {
		if ev.Seq <= srcEv[len(srcEv)-1].Seq || (ev.Type != navette.EventFileDownloaded && ev.Type != navette.EventDepositOpened && ev.Type != navette.EventAccessDenied) {
			t.Errorf("event recorded on the target after migration: %+v", ev)
		}
	}
}

func TestMigrateRefusals(t *testing.T) {
	for _, o := range []migrate.Options{
		{ToDB: "sqlite:x", ToBlobs: "file:///tmp/x"},
		{FromDataDir: t.TempDir(), ToBlobs: "file:///tmp/x"},
	} {
		if _, err := migrate.Run(context.Background(), o); navette.ErrorCode(err) != navette.EINVALID {
			t.Errorf("%+v: got %v, want EINVALID", o, err)
		}
	}
}

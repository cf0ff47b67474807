package deposit_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"io"
	"log/slog"
	"math/rand/v2"
	"path/filepath"
	"testing"
	"time"

	"navette"
	"navette/account"
	"navette/deposit"
	"navette/disk"
	"navette/internal/testsqlite"
	"navette/keyring"
	"navette/seal"
	"navette/sqlite"
)

type fixture struct {
	svc       *deposit.Service
	meta      *sqlite.Store // svc.Meta, with every role
	sender    *navette.User
	recipient *navette.User
	blobs     navette.BlobStore
	dbPath    string
}

func newFixture(t testing.TB) *fixture {
	t.Helper()
	dir := t.TempDir()
	meta := testsqlite.Open(t, filepath.Join(dir, "navette.db"))
	blobs, err := disk.Open(filepath.Join(dir, "blobs"))
	if err != nil {
		t.Fatal(err)
	}
	keys, err := keyring.Open(filepath.Join(dir, "keys"))
	if err != nil {
		t.Fatal(err)
	}
	clock := navette.NewFakeClock(time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC))
	acc := &account.Service{Meta: meta, Clock: clock}
	sender, err := acc.CreateUser(context.Background(), "greffe@justice.example", "Greffe", navette.RoleAgent)
	if err != nil {
		t.Fatal(err)
	}
	recipient, err := acc.CreateUser(context.Background(), "avocat@avocat.example", "Avocat", navette.RolePartner)
	if err != nil {
		t.Fatal(err)
	}
	svc := &deposit.Service{Meta: meta, Blobs: blobs, Keys: keys, Clock: clock, Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	return &fixture{svc: svc, meta: meta, sender: sender, recipient: recipient, blobs: blobs, dbPath: filepath.Join(dir, "navette.db")}
}

func (f *fixture) draft(t *testing.T) *deposit.View {
	t.Helper()
	v, err := f.svc.Create(context.Background(), f.sender, deposit.Draft{Recipients: []string{f.recipient.Email}, Reference: "RG 26/1"})
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// TestWriteInPieces uploads files of awkward sizes in pieces of awkward
// sizes, so every way a piece can start and end relative to a segment is
// exercised, and checks hash and content.
func TestWriteInPieces(t *testing.T) {
	S := seal.SegmentSize
	ctx := context.Background()
	for _, tc := range []struct {
		name   string
		size   int
		pieces []int // cycled
	}{
		{"empty", 0, nil},
		{"one byte", 1, []int{1}},
		{"byte by byte across a boundary", S + 3, []int{S - 2, 1, 1, 1, 1, 1}},
		{"exact segments", 3 * S, []int{S}},
		{"segment minus one", 3*S + 5, []int{S - 1}},
		{"segment plus one", 3*S + 5, []int{S + 1}},
		{"odd pieces", 5*S + 12345, []int{7, 70000, 1, S, 131071, 3}},
		{"one piece", 4*S - 1, []int{4 * S}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fx := newFixture(t)
			d := fx.draft(t)
			data := make([]byte, tc.size)
			rand.NewChaCha8([32]byte{byte(tc.size)}).Read(data)
			f, err := fx.svc.StartFile(ctx, fx.sender, d.ID, "f.bin", int64(tc.size))
			if err != nil {
				t.Fatal(err)
			}
			off := 0
			for i := 0; off < tc.size; i++ {
				n := min(tc.pieces[i%len(tc.pieces)], tc.size-off)
				got, err := fx.svc.Write(ctx, fx.sender, f.ID, int64(off), bytes.NewReader(data[off:off+n]))
				if err != nil || got != int64(n) {
					t.Fatalf("piece %d at %d: wrote %d, %v", i, off, got, err)
				}
				off += n
			}
			if err := fx.svc.Finish(ctx, fx.sender, f.ID); err != nil {
				t.Fatal(err)
			}
			if _, err := fx.svc.Submit(ctx, fx.sender, d.ID); err != nil {
				t.Fatal(err)
			}
			dl, err := fx.svc.OpenFile(ctx, fx.recipient, d.ID, f.ID)
			if err != nil {
				t.Fatal(err)
			}
			if sum := sha256.Sum256(data); !bytes.Equal(dl.SHA256(), sum[:]) {
				t.Fatalf("sha256: got %x, want %x", dl.SHA256(), sum)
			}
			var buf bytes.Buffer
			if err := dl.WriteRange(ctx, &buf, 0, int64(tc.size)); err != nil || !bytes.Equal(buf.Bytes(), data) {
				t.Fatalf("read back: %v, equal %v", err, bytes.Equal(buf.Bytes(), data))
			}
		})
	}
}

// finishFails is a blob store whose Finish fails, standing in for a crash
// between the last write and the rename into place: a real disk cannot be
// made to fail at exactly that point.
type finishFails struct {
	navette.BlobStore
	fail bool
}

func (b *finishFails) Finish(ctx context.Context, key string) error {
	if b.fail {
		return errors.New("injected crash before finish")
	}
	return b.BlobStore.Finish(ctx, key)
}

func TestCrashBeforeFinishIsRepaired(t *testing.T) {
	ctx := context.Background()
	fx := newFixture(t)
	inj := &finishFails{BlobStore: fx.blobs, fail: true}
	fx.svc.Blobs = inj
	d := fx.draft(t)
	data := bytes.Repeat([]byte("pièce "), 30000)
	f, err := fx.svc.StartFile(ctx, fx.sender, d.ID, "f.txt", int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := fx.svc.Write(ctx, fx.sender, f.ID, 0, bytes.NewReader(data)); err == nil {
		t.Fatal("write succeeded despite the injected crash")
	}
	// Not acknowledged, so not submittable while the blob is unfinished…
	inj.fail = false
	// …but the next access (the client's HEAD, or submit) completes it.
	got, err := fx.svc.Upload(ctx, fx.sender, f.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.State != navette.FileStored || got.Offset != int64(len(data)) {
		t.Fatalf("after repair: state %s offset %d", got.State, got.Offset)
	}
	if _, err := fx.svc.Submit(ctx, fx.sender, d.ID); err != nil {
		t.Fatal(err)
	}
	dl, err := fx.svc.OpenFile(ctx, fx.recipient, d.ID, f.ID)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := dl.WriteRange(ctx, &buf, 0, dl.Size()); err != nil || !bytes.Equal(buf.Bytes(), data) {
		t.Fatalf("read back after repair: %v", err)
	}
}

func TestWriteRules(t *testing.T) {
	ctx := context.Background()
	fx := newFixture(t)
	d := fx.draft(t)
	f, err := fx.svc.StartFile(ctx, fx.sender, d.ID, "f.bin", 10)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name  string
		actor *navette.User
		off   int64
		data  string
		code  string
		// offset: the refusal is an offset mismatch (ErrUploadOffset),
		// which its client cures by asking the offset.
		offset bool
	}{
		{"wrong offset", fx.sender, 3, "abc", navette.ECONFLICT, true},
		{"recipient writes", fx.recipient, 0, "abc", navette.ENOTFOUND, false},
		{"too many bytes", fx.sender, 0, "0123456789X", navette.ETOOLARGE, false},
	} {
		_, err := fx.svc.Write(ctx, tc.actor, f.ID, tc.off, bytes.NewReader([]byte(tc.data)))
		if got := navette.ErrorCode(err); got != tc.code || errors.Is(err, navette.ErrUploadOffset) != tc.offset {
			t.Errorf("%q: got %v (%s), want %s, offset mismatch %v", tc.name, err, got, tc.code, tc.offset)
		}
	}
	// The refused over-long body left nothing behind.
	if got, err := fx.svc.Upload(ctx, fx.sender, f.ID); err != nil || got.Offset != 0 || got.State != navette.FileUploading {
		t.Errorf("after an over-long body: %+v, %v", got, err)
	}
	if _, err := fx.svc.StartFile(ctx, fx.sender, d.ID, "big", navette.DefaultLimits.MaxFileSize+1); navette.ErrorCode(err) != navette.ETOOLARGE {
		t.Errorf("over-size file: got %v", err)
	}
}

package deposit_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"testing"
	"time"

	"navette"
	"navette/deposit"
	"navette/seal"
)

// TestDownloadLimitClaim: with a cap of one, a whole download whose last
// segment fails to go out leaves no claim behind, so the next one
// completes; a claim left by a node that crashed between claiming and
// recording cuts the recipient's downloads before their last segment,
// records nothing and journals a refusal, until it expires.
func TestDownloadLimitClaim(t *testing.T) {
	fx := newFixture(t)
	ctx := context.Background()
	clock := fx.svc.Clock.(*navette.FakeClock)
	data := bytes.Repeat([]byte("scellé "), seal.SegmentSize/3)
	size := int64(len(data))
	last := size - (size-1)/seal.SegmentSize*seal.SegmentSize
	v, files := cappedDeposit(t, fx, 1, data)
	file := files[0]
	count := func(name string, want int) {
		t.Helper()
		if n, err := fx.meta.DownloadCount(ctx, v.ID, file.ID, fx.recipient.ID); err != nil || n != want {
			t.Fatalf("%s: %d downloads recorded (%v), want %d", name, n, err, want)
		}
	}
	fetch := func(w io.Writer) error {
		t.Helper()
		dl, err := fx.svc.OpenFile(ctx, fx.recipient, v.ID, file.ID)
		if err != nil {
			t.Fatalf("OpenFile: %v", err)
		}
		return dl.WriteRange(ctx, w, 0, size)
	}

	if err := fetch(&cutWriter{limit: int(size - 1)}); !errors.Is(err, errCut) {
		t.Fatalf("a download cut at its last byte: %v", err)
	}
	count("cut at its last byte", 0)

	crashed, err := fx.meta.ClaimDownload(ctx, v.ID, file.ID, fx.recipient.ID, 1, clock.Now(), clock.Now().Add(deposit.DownloadClaimTTL))
	if err != nil || crashed == "" {
		t.Fatalf("ClaimDownload: %q, %v", crashed, err)
	}
	var got bytes.Buffer
	if err := fetch(&got); !errors.Is(err, navette.ErrDownloadLimit) || !navette.IsCode(err, navette.EGONE) {
		t.Fatalf("a download while another holds the claim: %v, want EGONE wrapping ErrDownloadLimit", err)
	}
	if int64(got.Len()) != size-last {
		t.Errorf("a download refused at its last segment got %d bytes, want %d (all but its last segment)", got.Len(), size-last)
	}
	count("refused at its last segment", 0)
	denied := 0
	for _, e := range fx.events(t, navette.EventAccessDenied) {
		if e.Detail == "download_limit" && e.DepositID == v.ID {
			denied++
		}
	}
	if denied != 1 {
		t.Errorf("%d refusals for the cap journaled, want 1", denied)
	}

	clock.Advance(deposit.DownloadClaimTTL)
	got.Reset()
	if err := fetch(&got); err != nil || !bytes.Equal(got.Bytes(), data) {
		t.Fatalf("a download once the claim expired: %v, %d bytes", err, got.Len())
	}
	count("once the claim expired", 1)
	if _, err := fx.svc.OpenFile(ctx, fx.recipient, v.ID, file.ID); !errors.Is(err, navette.ErrDownloadLimit) {
		t.Errorf("opening after the download: %v, want ErrDownloadLimit", err)
	}
	if id, err := fx.meta.ClaimDownload(ctx, v.ID, file.ID, fx.recipient.ID, 2, clock.Now(), clock.Now().Add(deposit.DownloadClaimTTL)); err != nil || id == "" {
		t.Errorf("the recorded download left its claim behind: ClaimDownload under a cap of 2 = %q, %v", id, err)
	}
}

// cappedDeposit makes an available deposit from the fixture's sender to
// its recipient, capped at max complete downloads, of the files data, and
// returns it with its files.
func cappedDeposit(t *testing.T, fx *fixture, max int, data ...[]byte) (*deposit.View, []*navette.FileRecord) {
	t.Helper()
	ctx := context.Background()
	v, err := fx.svc.Create(ctx, fx.sender, deposit.Draft{Recipients: []string{fx.recipient.Email}, Reference: "RG 26/11", MaxDownloads: max})
	if err != nil {
		t.Fatal(err)
	}
	var files []*navette.FileRecord
	for i, b := range data {
		f, err := fx.svc.StartFile(ctx, fx.sender, v.ID, fmt.Sprintf("scellé-%d.bin", i), int64(len(b)))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := fx.svc.Write(ctx, fx.sender, f.ID, 0, bytes.NewReader(b)); err != nil {
			t.Fatal(err)
		}
		if err := fx.svc.Finish(ctx, fx.sender, f.ID); err != nil {
			t.Fatal(err)
		}
		files = append(files, f)
	}
	if _, err := fx.svc.Submit(ctx, fx.sender, v.ID); err != nil {
		t.Fatal(err)
	}
	return v, files
}

// TestZipRenewsClaims: a ZIP archive holds the claim its capped first
// entry took on its place under the cap (of one) until the archive is
// recorded, however long the later entries take: with the clock moved
// past the claim's TTL while they stream, a single download of that file
// by the same recipient is refused at its last segment, and the archive's
// download of it is recorded once.
func TestZipRenewsClaims(t *testing.T) {
	fx := newFixture(t)
	ctx := context.Background()
	clock := fx.svc.Clock.(*navette.FakeClock)
	first := bytes.Repeat([]byte("pièce "), seal.SegmentSize/4)
	later := randomData(8 * seal.SegmentSize)
	v, files := cappedDeposit(t, fx, 1, first, later)
	open := func(f *navette.FileRecord) *deposit.Download {
		t.Helper()
		dl, err := fx.svc.OpenFile(ctx, fx.recipient, v.ID, f.ID)
		if err != nil {
			t.Fatalf("OpenFile: %v", err)
		}
		return dl
	}

	w := &slowLink{clock: clock, step: deposit.DownloadClaimTTL / 4}
	w.meanwhile = func() error {
		var got bytes.Buffer
		return open(files[0]).WriteRange(ctx, &got, 0, int64(len(first)))
	}
	z := deposit.NewZip(w)
	if err := z.Add(ctx, open(files[0]), "a.bin", clock.Now()); err != nil {
		t.Fatal(err)
	}
	w.streaming = true
	if err := z.Add(ctx, open(files[1]), "b.bin", clock.Now()); err != nil {
		t.Fatal(err)
	}
	if err := z.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if w.steps*w.step <= deposit.DownloadClaimTTL || !w.tried {
		t.Fatalf("the clock moved %d steps of %s while the later entry streamed, tried meanwhile: %v; want past the TTL", w.steps, w.step, w.tried)
	}
	if !errors.Is(w.err, navette.ErrDownloadLimit) {
		t.Errorf("a single download while the archive holds the claim: %v, want ErrDownloadLimit", w.err)
	}
	for i, f := range files {
		if n, err := fx.meta.DownloadCount(ctx, v.ID, f.ID, fx.recipient.ID); err != nil || n != 1 {
			t.Errorf("file %d: %d downloads recorded (%v), want 1", i, n, err)
		}
	}
}

// slowLink is a client's link that takes a step of the clock for each
// write while streaming; once the clock moved past the claims' TTL, it
// runs meanwhile, once, keeping its error.
type slowLink struct {
	bytes.Buffer
	clock     *navette.FakeClock
	step      time.Duration
	streaming bool
	steps     time.Duration
	meanwhile func() error
	tried     bool
	err       error
}

func (l *slowLink) Write(p []byte) (int, error) {
	if l.streaming {
		l.clock.Advance(l.step)
		l.steps++
		if !l.tried && l.steps*l.step > deposit.DownloadClaimTTL {
			l.tried = true
			l.err = l.meanwhile()
		}
	}
	return l.Buffer.Write(p)
}

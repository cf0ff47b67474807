package deposit_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"testing"

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
	v, err := fx.svc.Create(ctx, fx.sender, deposit.Draft{Recipients: []string{fx.recipient.Email}, Reference: "RG 26/11", MaxDownloads: 1})
	if err != nil {
		t.Fatal(err)
	}
	file, err := fx.svc.StartFile(ctx, fx.sender, v.ID, "scellé.bin", size)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := fx.svc.Write(ctx, fx.sender, file.ID, 0, bytes.NewReader(data)); err != nil {
		t.Fatal(err)
	}
	if err := fx.svc.Finish(ctx, fx.sender, file.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := fx.svc.Submit(ctx, fx.sender, v.ID); err != nil {
		t.Fatal(err)
	}
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

package deposit_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"reflect"
	"strings"
	"testing"
	"time"

	"navette"
	"navette/deposit"
	"navette/seal"
)

// availableData makes an available deposit of one file holding data.
func (f *fixture) availableData(t testing.TB, data []byte) (*deposit.View, *navette.FileRecord) {
	t.Helper()
	ctx := context.Background()
	v, err := f.svc.Create(ctx, f.sender, deposit.Draft{Recipients: []string{f.recipient.Email}, Reference: "RG 26/7"})
	if err != nil {
		t.Fatal(err)
	}
	file, err := f.svc.StartFile(ctx, f.sender, v.ID, "pièce.bin", int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.Write(ctx, f.sender, file.ID, 0, bytes.NewReader(data)); err != nil {
		t.Fatal(err)
	}
	if err := f.svc.Finish(ctx, f.sender, file.ID); err != nil {
		t.Fatal(err)
	}
	if v, err = f.svc.Submit(ctx, f.sender, v.ID); err != nil {
		t.Fatal(err)
	}
	return v, file
}

// availableRandom is availableData of size random bytes, which it returns.
func (f *fixture) availableRandom(t *testing.T, size int64) (*deposit.View, *navette.FileRecord, []byte) {
	t.Helper()
	data := randomData(int(size))
	v, file := f.availableData(t, data)
	return v, file, data
}

// events returns the events of type typ in the journal.
func (f *fixture) events(t *testing.T, typ navette.EventType) []navette.Event {
	t.Helper()
	evs, err := f.svc.Meta.Events(context.Background(), navette.EventFilter{Limit: 100000})
	if err != nil {
		t.Fatal(err)
	}
	var out []navette.Event
	for _, e := range evs {
		if e.Type == typ {
			out = append(out, e)
		}
	}
	return out
}

// cutWriter accepts limit bytes, then fails, as a connection the client
// closed.
type cutWriter struct {
	buf   bytes.Buffer
	limit int
}

var errCut = errors.New("connection closed by the client")

func (w *cutWriter) Write(p []byte) (int, error) {
	if room := w.limit - w.buf.Len(); len(p) > room {
		w.buf.Write(p[:room])
		return room, errCut
	}
	return w.buf.Write(p)
}

// TestWriteRangeCountsWhatWasWritten reads a file in ways that do and do
// not deliver all of it: only the bytes the writer accepted count, and the
// download is recorded once, when they cover the file.
func TestWriteRangeCountsWhatWasWritten(t *testing.T) {
	S := int64(seal.SegmentSize)
	size := 3*S + 77
	fx := newFixture(t)
	ctx := context.Background()
	v, file, data := fx.availableRandom(t, size)
	ds := fx.svc.Meta.(navette.DeliveryStore)
	read := func(off, n int64, w io.Writer) error {
		t.Helper()
		dl, err := fx.svc.OpenFile(ctx, fx.recipient, v.ID, file.ID)
		if err != nil {
			t.Fatal(err)
		}
		return dl.WriteRange(ctx, w, off, n)
	}
	check := func(what string, downloads int, want []navette.ByteRange) {
		t.Helper()
		if got := len(fx.events(t, navette.EventFileDownloaded)); got != downloads {
			t.Errorf("%s: %d downloads recorded, want %d", what, got, downloads)
		}
		got, err := ds.Delivered(ctx, file.ID, fx.recipient.ID)
		if err != nil || !reflect.DeepEqual(got, want) {
			t.Errorf("%s: delivered %v (%v), want %v", what, got, err, want)
		}
	}

	// The last byte alone, then a transfer cut after S+10 bytes: what was
	// written counts, the rest does not.
	if err := read(size-1, 1, io.Discard); err != nil {
		t.Fatal(err)
	}
	check("last byte", 0, []navette.ByteRange{{Start: size - 1, End: size}})
	if err := read(0, size, &cutWriter{limit: int(S + 10)}); !errors.Is(err, errCut) {
		t.Fatalf("cut transfer: %v", err)
	}
	check("cut transfer", 0, []navette.ByteRange{{Start: 0, End: S + 10}, {Start: size - 1, End: size}})

	// The client resumes where it stopped: the file is covered.
	var rest bytes.Buffer
	if err := read(S+10, size-S-11, &rest); err != nil || !bytes.Equal(rest.Bytes(), data[S+10:size-1]) {
		t.Fatalf("resume: %v", err)
	}
	check("resumed", 1, nil)
	evs := fx.events(t, navette.EventFileDownloaded)
	if e := evs[0]; e.Detail != "ranges" || e.FileID != file.ID || e.ActorID != fx.recipient.ID || e.Size != size {
		t.Errorf("download event %+v", e)
	}
	d, _ := fx.svc.Meta.Deposit(ctx, v.ID)
	if d.Recipients[0].FirstDownloadAt.IsZero() {
		t.Error("first download not recorded")
	}

	// A later whole read is a new download; a failed one is not.
	if err := read(0, size, io.Discard); err != nil {
		t.Fatal(err)
	}
	check("whole", 2, nil)
	if e := fx.events(t, navette.EventFileDownloaded)[1]; e.Detail != "whole" {
		t.Errorf("whole download detail %q", e.Detail)
	}
	if err := read(0, size, &cutWriter{limit: int(size - 1)}); !errors.Is(err, errCut) {
		t.Fatalf("cut at the last byte: %v", err)
	}
	check("cut at the last byte", 2, []navette.ByteRange{{Start: 0, End: size - 1}})
	receipts := 0
	ns, _ := fx.notices(t, v.ID)
	for _, n := range ns {
		if n.Kind == navette.NoticeReceipt {
			receipts++
		}
	}
	if receipts != 1 {
		t.Errorf("%d receipts queued, want 1 (first download only)", receipts)
	}
}

// TestCorruptionJournaled: a blob that fails its check at download is
// refused and journaled, saying where it failed, and is no download.
func TestCorruptionJournaled(t *testing.T) {
	S := int64(seal.SegmentSize)
	data := make([]byte, 2*S+5)
	fx := newFixture(t)
	ctx := context.Background()
	v, file := fx.availableData(t, data)
	// Replace the blob by one whose second segment is damaged.
	rc, err := fx.blobs.Open(ctx, file.ID, 0, -1)
	if err != nil {
		t.Fatal(err)
	}
	blob, _ := io.ReadAll(rc)
	rc.Close()
	blob[seal.SegmentOffset(1)+9] ^= 1
	if err := fx.blobs.Delete(ctx, file.ID); err != nil {
		t.Fatal(err)
	}
	w, err := fx.blobs.Append(ctx, file.ID, 0)
	if err != nil {
		t.Fatal(err)
	}
	w.Write(blob)
	if err := errors.Join(w.Commit(), w.Close(), fx.blobs.Finish(ctx, file.ID)); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		dl, err := fx.svc.OpenFile(ctx, fx.recipient, v.ID, file.ID)
		if err != nil {
			t.Fatal(err)
		}
		if err := dl.WriteRange(ctx, io.Discard, 0, dl.Size()); !errors.Is(err, deposit.ErrCorrupt) {
			t.Fatalf("corrupt read: %v", err)
		}
	}
	evs := fx.events(t, navette.EventFileCorrupt)
	if len(evs) != 2 {
		t.Fatalf("%d file.corrupt events, want one per detection (2)", len(evs))
	}
	if e := evs[0]; e.FileID != file.ID || e.DepositID != v.ID || e.Detail != "segment 1" || e.ActorID != fx.recipient.ID {
		t.Errorf("file.corrupt event %+v", e)
	}
	if n := len(fx.events(t, navette.EventFileDownloaded)); n != 0 {
		t.Errorf("%d downloads recorded of a corrupt file", n)
	}
}

// TestDenialsCountedPerMinute: the first denied access of a person in a
// minute is journaled at once, the others as one event with their count.
func TestDenialsCountedPerMinute(t *testing.T) {
	fx := newFixture(t)
	ctx := context.Background()
	clock := fx.svc.Clock.(*navette.FakeClock)
	denied := func() []navette.Event { return fx.events(t, navette.EventAccessDenied) }
	guess := func(n int) {
		for range n {
			if _, err := fx.svc.Get(ctx, fx.recipient, navette.NewID()); !navette.IsCode(err, navette.ENOTFOUND) {
				t.Fatalf("guessed id: %v", err)
			}
		}
	}
	guess(500)
	if evs := denied(); len(evs) != 1 || evs[0].Detail != "not_found" || evs[0].DepositID == "" {
		t.Fatalf("after 500 guesses: %+v", evs)
	}
	// Not yet a minute: nothing more is journaled.
	clock.Advance(30 * time.Second)
	fx.svc.FlushDenials(ctx, false)
	if n := len(denied()); n != 1 {
		t.Fatalf("flushed early: %d events", n)
	}
	clock.Advance(31 * time.Second)
	fx.svc.FlushDenials(ctx, false)
	evs := denied()
	if len(evs) != 2 || evs[1].Detail != "count=499 not_found=499" || evs[1].ActorID != fx.recipient.ID {
		t.Fatalf("after the minute: %+v", evs)
	}
	// A new minute begins with an event at once; a window that ends on the
	// next denial is journaled then.
	guess(3)
	clock.Advance(2 * time.Minute)
	guess(1)
	evs = denied()
	if len(evs) != 5 || evs[2].Detail != "not_found" || evs[3].Detail != "count=2 not_found=2" || evs[4].Detail != "not_found" {
		var ds []string
		for _, e := range evs {
			ds = append(ds, e.Detail)
		}
		t.Fatalf("events: %s", strings.Join(ds, " | "))
	}
	// At shutdown every count is journaled; a window without repeats adds
	// nothing.
	fx.svc.FlushDenials(ctx, true)
	if n := len(denied()); n != 5 {
		t.Errorf("%d events after the final flush, want 5", n)
	}
}

// TestRangesOfTwoPeopleAreNoDownload: two people who each fetch a part of
// a file (here its sender and its recipient, who together hold every
// byte) make no download: the bytes delivered count for whoever fetched
// them, never for another, so that nobody can be said to have the file
// because someone else fetched the rest.
func TestRangesOfTwoPeopleAreNoDownload(t *testing.T) {
	fx := newFixture(t)
	S := int64(seal.SegmentSize)
	v, file, _ := fx.availableRandom(t, 2*S+9)
	for _, part := range []struct {
		who    *navette.User
		off, n int64
	}{{fx.sender, 0, S}, {fx.recipient, S, S + 9}} {
		dl, err := fx.svc.OpenFile(t.Context(), part.who, v.ID, file.ID)
		if err != nil {
			t.Fatal(err)
		}
		if err := dl.WriteRange(t.Context(), io.Discard, part.off, part.n); err != nil {
			t.Fatal(err)
		}
	}
	if evs := fx.events(t, navette.EventFileDownloaded); len(evs) != 0 {
		t.Errorf("downloads recorded from two people's parts: %+v", evs)
	}
}

// onFirstWrite runs do once, as its first bytes arrive, then accepts
// everything: a deposit that ends while it is being downloaded.
type onFirstWrite struct {
	buf bytes.Buffer
	do  func()
}

func (w *onFirstWrite) Write(p []byte) (int, error) {
	if w.do != nil {
		w.do()
		w.do = nil
	}
	return w.buf.Write(p)
}

// TestDownloadStopsWhenTheDepositEnds: a deposit withdrawn or expired
// while a recipient downloads it is no longer served: what is left stops
// within a second, its last segment never goes out, and no download nor
// receipt is recorded, as the recipient was told it can no longer be fetched.
func TestDownloadStopsWhenTheDepositEnds(t *testing.T) {
	S := int64(seal.SegmentSize)
	size := 3*S + 77
	ctx := context.Background()
	for _, tc := range []struct {
		name  string
		end   func(fx *fixture, id string) // while the first segment goes out
		want  error                        // wrapped by the download's error
		wrote int64
	}{
		{"revoked, at once", func(fx *fixture, id string) {
			if err := fx.svc.Revoke(ctx, fx.sender, id); err != nil {
				t.Fatal(err)
			}
		}, deposit.ErrRevoked, 3 * S},
		{"revoked, a second later", func(fx *fixture, id string) {
			if err := fx.svc.Revoke(ctx, fx.sender, id); err != nil {
				t.Fatal(err)
			}
			fx.svc.Clock.(*navette.FakeClock).Advance(time.Second)
		}, deposit.ErrRevoked, S},
		{"expired", func(fx *fixture, id string) {
			fx.svc.Clock.(*navette.FakeClock).Advance(31 * 24 * time.Hour)
		}, nil, S},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fx := newFixture(t)
			v, file, _ := fx.availableRandom(t, size)
			dl, err := fx.svc.OpenFile(ctx, fx.recipient, v.ID, file.ID)
			if err != nil {
				t.Fatal(err)
			}
			w := &onFirstWrite{do: func() { tc.end(fx, v.ID) }}
			err = dl.WriteRange(ctx, w, 0, size)
			if !navette.IsCode(err, navette.EGONE) || tc.want != nil && !errors.Is(err, tc.want) {
				t.Errorf("download of a deposit that ended: %v", err)
			}
			if got := int64(w.buf.Len()); got != tc.wrote {
				t.Errorf("%d bytes went out, want %d", got, tc.wrote)
			}
			if n := len(fx.events(t, navette.EventFileDownloaded)); n != 0 {
				t.Errorf("%d downloads recorded", n)
			}
			ns, _ := fx.notices(t, v.ID)
			for _, n := range ns {
				if n.Kind == navette.NoticeReceipt {
					t.Error("the sender is told of a download")
				}
			}
		})
	}
}

package deposit

import (
	"archive/zip"
	"context"
	"io"
	"time"
)

// Zip is a ZIP archive of whole files streamed to a client (a deposit's,
// a case's), each stored as it is. A file counts as downloaded only if the
// client acknowledged the end of its entry: the archive keeps where each
// entry's bytes end, and once it is closed or cut (Close, Abort) asks the
// writer under it, once, how many of the bytes written its client has not
// acknowledged (httpfile's settling writer, over HTTP/1 on Linux); each
// file is delivered up to what was acknowledged of its entry. Under a
// writer that cannot tell, the bytes count as they leave.
//
// The claims that capped files take on their place under the cap as their
// entries end (Download.claim) are held until then, however long the rest
// of the archive takes: the archive renews them (ExtendDownloadClaim) as
// it is written, once half their TTL has passed, and before it waits for
// the acknowledgements.
type Zip struct {
	zw      *zip.Writer
	w       io.Writer
	n       int64 // bytes written to w
	entries []zipEntry
	settled bool
	// claims counts the entries that hold a claim; renewed is when the
	// one renewed or taken first got its TTL, or earlier.
	claims  int
	renewed time.Time
}

// zipEntry is a file written to a Zip, waiting to know how much of it the
// client acknowledged.
type zipEntry struct {
	d       *Download
	claim   string // the download claim its last segment took, if capped
	end     int64  // where its bytes end in what was written to w
	written int64  // how many of its bytes were written
	whole   bool   // every byte of it was written
}

// NewZip returns an archive written to w, which should send on what it is
// given (httpfile.Flushing).
func NewZip(w io.Writer) *Zip {
	z := &Zip{w: w}
	z.zw = zip.NewWriter(zipCounter{z})
	return z
}

// zipCounter counts the bytes of the archive written under it.
type zipCounter struct{ z *Zip }

func (c zipCounter) Write(p []byte) (int, error) {
	n, err := c.z.w.Write(p)
	c.z.n += int64(n)
	return n, err
}

// Add writes the whole file of d to the archive as the stored
// (uncompressed) file name, modified at modified: read and checked as any
// download is, each write flushed through the archive to the writer under
// it. The file's delivery is recorded when the archive is closed or cut.
func (z *Zip) Add(ctx context.Context, d *Download, name string, modified time.Time) error {
	fh := &zip.FileHeader{Name: name, Method: zip.Store, Modified: modified}
	fh.UncompressedSize64 = uint64(d.Size())
	fw, err := z.zw.CreateHeader(fh)
	if err != nil {
		return err
	}
	e := zipEntry{d: d}
	started := d.s.Clock.Now()
	e.written, err = d.writeRange(ctx, renewing{flushed{fw, z.zw}, z, ctx}, 0, d.Size(), &e.claim)
	if err == nil {
		err = z.zw.Flush()
	}
	e.end, e.whole = z.n, err == nil
	z.entries = append(z.entries, e)
	if e.claim != "" {
		if z.claims == 0 {
			z.renewed = started
		}
		z.claims++
	}
	return err
}

// renewing is a writer of an entry of z that renews the claims z holds
// (Zip.renew) after each write.
type renewing struct {
	w   io.Writer
	z   *Zip
	ctx context.Context
}

func (r renewing) Write(p []byte) (int, error) {
	n, err := r.w.Write(p)
	if err == nil {
		r.z.renew(r.ctx, false)
	}
	return n, err
}

// renew extends to a TTL from now the claims the entries of z hold, if
// half a TTL passed since the first of them got its own, or if now. A
// claim found ended, which a renewal in time never lets happen, is
// forgotten: its download is recorded without it.
func (z *Zip) renew(ctx context.Context, now bool) {
	if z.claims == 0 {
		return
	}
	s := z.entries[0].d.s
	at := s.Clock.Now()
	if !now && at.Before(z.renewed.Add(DownloadClaimTTL/2)) {
		return
	}
	ctx, failed := context.WithoutCancel(ctx), false
	for i := range z.entries {
		e := &z.entries[i]
		if e.claim == "" {
			continue
		}
		ok, err := s.Meta.ExtendDownloadClaim(ctx, e.claim, at, at.Add(DownloadClaimTTL))
		switch {
		case err != nil:
			failed = true
			s.log().ErrorContext(ctx, "renewing a download claim", "file", e.d.file.ID, "err", err)
		case !ok:
			s.log().ErrorContext(ctx, "a download claim of a ZIP archive ended before the archive", "file", e.d.file.ID)
			e.claim = ""
			z.claims--
		}
	}
	if !failed {
		z.renewed = at
	}
}

// Create adds a file that is no download (a manifest) to the archive.
func (z *Zip) Create(fh *zip.FileHeader) (io.Writer, error) {
	return z.zw.CreateHeader(fh)
}

// Close ends the archive, then records what of each file the client
// acknowledged (Abort).
func (z *Zip) Close(ctx context.Context) error {
	err := z.zw.Close()
	z.Abort(ctx)
	return err
}

// Abort records, once, what of each file written the client acknowledged:
// the writer under the archive waits for the acknowledgements (not after a
// failed write), and a file whose entry ends beyond them counts only up to
// them. The caller of an archive cut short must then abort the transfer.
func (z *Zip) Abort(ctx context.Context) {
	if z.settled {
		return
	}
	z.settled = true
	acked := z.n
	if s, ok := z.w.(settler); ok && z.n > 0 {
		z.renew(ctx, true)
		acked = max(0, z.n-s.Settle(ctx))
	}
	for _, e := range z.entries {
		got := min(max(acked-(e.end-e.written), 0), e.written)
		e.d.finish(ctx, e.claim, 0, got, e.whole && acked >= e.end)
	}
}

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
type Zip struct {
	zw      *zip.Writer
	w       io.Writer
	n       int64 // bytes written to w
	entries []zipEntry
	settled bool
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
	e.written, err = d.writeRange(ctx, flushed{fw, z.zw}, 0, d.Size(), &e.claim)
	if err == nil {
		err = z.zw.Flush()
	}
	e.end, e.whole = z.n, err == nil
	z.entries = append(z.entries, e)
	return err
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
		acked = max(0, z.n-s.Settle(ctx))
	}
	for _, e := range z.entries {
		got := min(max(acked-(e.end-e.written), 0), e.written)
		e.d.finish(ctx, e.claim, 0, got, e.whole && acked >= e.end)
	}
}

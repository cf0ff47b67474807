package s3

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"hash"
	"io"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
)

// DefaultPartBuffers is how many part buffers the writers of a Store may
// hold at once when Config.PartBuffers is 0: 32 MiB, enough to keep two
// parts of two uploads in flight.
const DefaultPartBuffers = 4

// spoolPattern names the spool files of a Store in its spool directory.
const spoolPattern = "s3part-*"

// partPool lends the part buffers of a Store's writers and Finish, at most
// cap at once for all of them. Nobody ever waits for a buffer: when none is
// free, a part is spooled to an unnamed file of the spool directory instead
// (a writer whose own part is in flight waits for it first and reuses its
// buffer), so that writers whose clients stall hold disk, not the memory
// the others need, and no writer can wait for another.
type partPool struct {
	slots chan struct{} // one token per buffer lent
	pool  sync.Pool
	dir   string // spool directory; the system's temporary directory if empty
	// unsigned: the parts' requests do not sign their bytes (over HTTPS,
	// see Config.Secure), so their chunks do not hash them.
	unsigned bool

	inUse  atomic.Int64
	peak   atomic.Int64 // most buffers lent at once
	spools atomic.Int64 // parts spooled to a file
}

// newPartPool returns a pool of at most n buffers (none if n < 0, so that
// every part is spooled) spooling to dir.
func newPartPool(n int, dir string) *partPool {
	if n == 0 {
		n = DefaultPartBuffers
	}
	p := &partPool{slots: make(chan struct{}, max(n, 0)), dir: dir}
	p.pool.New = func() any { b := make([]byte, 0, PartSize); return &b }
	return p
}

// removeSpools removes the spool files a process that died left in dir.
// Those of live writers are unnamed already, so this never touches them.
func removeSpools(dir string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	names, err := filepath.Glob(filepath.Join(dir, spoolPattern))
	if err != nil {
		return err
	}
	for _, name := range names {
		if err := os.Remove(name); err != nil && !os.IsNotExist(err) {
			return err
		}
	}
	return nil
}

// tryBuf returns a free buffer, or nil if cap are lent.
func (p *partPool) tryBuf() *[]byte {
	select {
	case p.slots <- struct{}{}:
	default:
		return nil
	}
	n := p.inUse.Add(1)
	for {
		peak := p.peak.Load()
		if n <= peak || p.peak.CompareAndSwap(peak, n) {
			break
		}
	}
	b := p.pool.Get().(*[]byte)
	*b = (*b)[:0]
	return b
}

// get returns an empty chunk: in a free buffer, else in a spool file.
func (p *partPool) get() (*chunk, error) {
	if b := p.tryBuf(); b != nil {
		return p.inBuf(b), nil
	}
	return p.spool()
}

// spool returns an empty chunk in a new spool file. The file is unnamed at
// once: closing it, or the death of the process, frees its space.
func (p *partPool) spool() (*chunk, error) {
	f, err := os.CreateTemp(p.dir, spoolPattern)
	if err != nil {
		return nil, err
	}
	if err := os.Remove(f.Name()); err != nil {
		f.Close()
		return nil, err
	}
	p.spools.Add(1)
	return &chunk{f: f, unsigned: p.unsigned}, nil
}

// inBuf returns an empty chunk in b, a buffer of p.
func (p *partPool) inBuf(b *[]byte) *chunk { return &chunk{buf: b, unsigned: p.unsigned} }

// put gives back what c holds; nil does nothing.
func (p *partPool) put(c *chunk) {
	switch {
	case c == nil:
	case c.buf != nil:
		p.pool.Put(c.buf)
		c.buf = nil
		p.inUse.Add(-1)
		<-p.slots
	case c.f != nil:
		c.f.Close()
		c.f = nil
	}
}

// chunk holds the bytes of a part as they come, at most PartSize: in a
// pooled buffer, or in a spool file when no buffer was free. Their SHA-256,
// which signs the part's request over plain HTTP, is taken as they come,
// while they are in the processor's cache, so that a spooled part is read
// back only to be sent.
type chunk struct {
	buf      *[]byte
	f        *os.File
	n        int64     // bytes held
	scratch  []byte    // a file chunk's read buffer
	sum      hash.Hash // SHA-256 of the bytes held; nil for none yet
	unsigned bool      // the bytes are sent unsigned: no SHA-256
	// refs counts a writer's holds on c: its own, and a checkpoint's while
	// it reads c's first bytes as a tail. The last to let go gives c back.
	refs atomic.Int32
}

// hashed adds p, the bytes just appended, to the SHA-256 of c.
func (c *chunk) hashed(p []byte) {
	if c.unsigned {
		return
	}
	if c.sum == nil {
		c.sum = sha256.New()
	}
	c.sum.Write(p)
}

// room returns how many more bytes c takes.
func (c *chunk) room() int64 { return PartSize - c.n }

// write appends as much of p as c has room for.
func (c *chunk) write(p []byte) (int, error) {
	p = p[:min(int64(len(p)), c.room())]
	if c.buf != nil {
		*c.buf = append(*c.buf, p...)
		c.n += int64(len(p))
		c.hashed(p)
		return len(p), nil
	}
	m, err := c.f.WriteAt(p, c.n)
	c.n += int64(m)
	c.hashed(p[:m])
	return m, err
}

// readFrom reads r once into c's room. The error of r is returned as rerr,
// that of the spool file as err.
func (c *chunk) readFrom(r io.Reader) (n int, rerr, err error) {
	if c.buf != nil {
		b := *c.buf
		n, rerr = r.Read(b[len(b):PartSize])
		*c.buf = b[:len(b)+n]
		c.n += int64(n)
		c.hashed(b[len(b) : len(b)+n])
		return n, rerr, nil
	}
	if c.scratch == nil {
		c.scratch = make([]byte, 64<<10)
	}
	n, rerr = r.Read(c.scratch[:min(int64(len(c.scratch)), c.room())])
	m, err := c.f.WriteAt(c.scratch[:n], c.n)
	c.n += int64(m)
	c.hashed(c.scratch[:m])
	return m, rerr, err
}

// fill reads exactly n more bytes of r into c, or fails with
// io.ErrUnexpectedEOF.
func (c *chunk) fill(r io.Reader, n int64) error {
	r = io.LimitReader(r, n)
	for end := c.n + n; c.n < end; {
		_, rerr, err := c.readFrom(r)
		if err != nil {
			return err
		}
		if rerr == io.EOF && c.n < end {
			return io.ErrUnexpectedEOF
		} else if rerr != nil && rerr != io.EOF {
			return rerr
		}
	}
	return nil
}

// body returns a reader of the bytes c holds now, which may seek back for
// a retry and which later writes to c do not change, and their SHA-256 in
// hex: "" for an unsigned chunk, whose request then says UNSIGNED-PAYLOAD.
func (c *chunk) body() (io.ReadSeeker, string) {
	sum := ""
	if !c.unsigned {
		if c.sum == nil {
			c.sum = sha256.New()
		}
		sum = hex.EncodeToString(c.sum.Sum(nil))
	}
	if c.buf != nil {
		return bytes.NewReader(*c.buf), sum
	}
	return io.NewSectionReader(c.f, 0, c.n), sum
}

// reset empties c for the next part.
func (c *chunk) reset() error {
	c.n = 0
	if c.sum != nil {
		c.sum.Reset()
	}
	if c.buf != nil {
		*c.buf = (*c.buf)[:0]
		return nil
	}
	return c.f.Truncate(0)
}

package navette

import "io"

// BlobReader is what a BlobStore's Open returns over its source of the
// range asked for (a file, the body of a response): it reads Remain bytes
// of Source, then returns End. A source that ends before Remain bytes ends
// the range with io.ErrUnexpectedEOF; any other failure of the source, made
// an application error by Wrap, ends it too.
type BlobReader struct {
	Source io.ReadCloser     // nil for a range with nothing to read
	Remain int64             // bytes still to read
	End    error             // returned once Remain is 0: io.EOF, or io.ErrUnexpectedEOF for a short blob
	Wrap   func(error) error // makes a failure of Source an application error
}

// Read reads up to len(p) bytes of the range; the last ones come with End.
func (r *BlobReader) Read(p []byte) (int, error) {
	if r.Remain <= 0 {
		return 0, r.End
	}
	if int64(len(p)) > r.Remain {
		p = p[:r.Remain]
	}
	n, err := r.Source.Read(p)
	r.Remain -= int64(n)
	switch {
	case err == io.EOF || err == io.ErrUnexpectedEOF:
		if r.Remain > 0 {
			r.Remain, r.End = 0, io.ErrUnexpectedEOF
		}
		return n, r.End
	case err != nil:
		r.Remain, r.End = 0, r.Wrap(err)
		return n, r.End
	case r.Remain == 0:
		return n, r.End
	}
	return n, nil
}

// Close closes the source; Read then returns End. Closing twice does
// nothing.
func (r *BlobReader) Close() error {
	if r.Source == nil {
		return nil
	}
	err := r.Source.Close()
	r.Source, r.Remain = nil, 0
	if err != nil {
		return r.Wrap(err)
	}
	return nil
}

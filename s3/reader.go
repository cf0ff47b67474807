package s3

import "io"

// reader reads a range of a finished blob from a GET's body.
type reader struct {
	body   io.ReadCloser
	remain int64 // bytes still expected
	end    error // returned once remain is 0: io.EOF, or io.ErrUnexpectedEOF for a short blob
}

// endReader returns a reader with nothing to read, that ends with
// io.ErrUnexpectedEOF if short, else io.EOF.
func endReader(short bool) *reader {
	if short {
		return &reader{end: io.ErrUnexpectedEOF}
	}
	return &reader{end: io.EOF}
}

// Read reads up to len(p) bytes of the range. A body that ends early ends
// with io.ErrUnexpectedEOF; a failure of the connection is EUNAVAILABLE.
func (r *reader) Read(p []byte) (int, error) {
	if r.remain <= 0 {
		return 0, r.end
	}
	if int64(len(p)) > r.remain {
		p = p[:r.remain]
	}
	n, err := r.body.Read(p)
	r.remain -= int64(n)
	switch {
	case err == io.EOF || err == io.ErrUnexpectedEOF:
		if r.remain > 0 {
			r.remain, r.end = 0, io.ErrUnexpectedEOF
		}
		return n, r.end
	case err != nil:
		r.remain, r.end = 0, wrap(err)
		return n, r.end
	case r.remain == 0:
		return n, r.end
	}
	return n, nil
}

// Close closes the GET's body.
func (r *reader) Close() error {
	if r.body == nil {
		return nil
	}
	err := r.body.Close()
	r.body, r.remain = nil, 0
	return wrap(err)
}

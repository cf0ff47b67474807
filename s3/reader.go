package s3

import (
	"io"

	"navette"
)

// endReader returns a reader with nothing to read, that ends with
// io.ErrUnexpectedEOF if short, else io.EOF.
func endReader(short bool) *navette.BlobReader {
	if short {
		return bodyReader(nil, 0, io.ErrUnexpectedEOF)
	}
	return bodyReader(nil, 0, io.EOF)
}

// bodyReader returns the reader of n bytes of body, the answer to a GET,
// that ends with end.
func bodyReader(body io.ReadCloser, n int64, end error) *navette.BlobReader {
	return &navette.BlobReader{Source: body, Remain: n, End: end, Wrap: wrap}
}

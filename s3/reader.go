package s3

import (
	"io"
	"strconv"
	"strings"

	"navette"
)

// parseContentRange parses "bytes START-END/TOTAL".
func parseContentRange(v string) (start, total int64, ok bool) {
	rest, found := strings.CutPrefix(v, "bytes ")
	if !found {
		return 0, 0, false
	}
	rng, tot, found := strings.Cut(rest, "/")
	if !found {
		return 0, 0, false
	}
	a, _, found := strings.Cut(rng, "-")
	if !found {
		return 0, 0, false
	}
	start, err1 := strconv.ParseInt(a, 10, 64)
	total, err2 := strconv.ParseInt(tot, 10, 64)
	if err1 != nil || err2 != nil || start < 0 || total < 0 {
		return 0, 0, false
	}
	return start, total, true
}

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

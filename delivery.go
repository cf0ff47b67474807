package navette

import (
	"context"
	"time"
)

// ByteRange is the half-open interval [Start, End) of a file's bytes.
type ByteRange struct {
	Start, End int64
}

// Len returns the number of bytes in r.
func (r ByteRange) Len() int64 { return r.End - r.Start }

// MaxDeliveredRanges is how many disjoint ranges a DeliveryStore keeps per
// person and file. Beyond it the smallest are forgotten: a download is then
// recorded later than it could have been, never earlier.
const MaxDeliveredRanges = 1024

// DeliveryStore keeps, per person and file, which bytes were delivered to
// that person, so that a download is recorded only once every byte of the
// file reached them, in one request or over several (ranges, resumed
// downloads).
type DeliveryStore interface {
	// AddDelivered merges r into the bytes of file fileID delivered to
	// userID, at the given time, atomically against concurrent calls for
	// the same file. If they then cover the whole file (from 0 to its size
	// as stored), they are cleared and complete is true: of calls that
	// complete a cover together, exactly one reports it, and the calls
	// after it begin a new cover. A zero-size file is covered by any call;
	// for others an empty r changes nothing. Returns EINVALID if r is not
	// within the file (Start < 0, End < Start, End > size) or at is zero,
	// and ENOTFOUND if there is no such file or user.
	AddDelivered(ctx context.Context, fileID, userID string, r ByteRange, at time.Time) (complete bool, err error)
	// Delivered returns the bytes of file fileID delivered to userID since
	// their last complete cover, as sorted, disjoint, non-adjacent ranges;
	// none if nothing was.
	Delivered(ctx context.Context, fileID, userID string) ([]ByteRange, error)
}

package deposit

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"navette"
	"navette/seal"
)

// Room keeps uploads from filling the blob storage past a reserve of free
// space: an upload is refused at its creation (507) when the free space,
// less the reserve and less the bytes still to come of the uploads in
// progress on this node, cannot hold it. The free space is read afresh at
// every creation, so uploads are taken again as soon as space returns.
//
// An upload counts as in progress while a write to it runs, and for Hold
// after its creation and after each write: one paused longer is not
// counted until it resumes, so that uploads created and left idle cannot
// keep everyone else's out. Uploads on other nodes, or from before a
// restart, are not counted: the reserve is their margin.
type Room struct {
	Space   navette.SpaceReporter
	Reserve navette.Reserve
	Clock   navette.Clock
	// Hold is how long an upload keeps its room without writing
	// (DefaultRoomHold if zero).
	Hold time.Duration
	Log  *slog.Logger

	mu       sync.Mutex
	promised map[string]*promise // by file id
}

// DefaultRoomHold is how long an upload keeps its room without writing by
// default: long enough for a client to send its first PATCH, or the next
// after a cut connection.
const DefaultRoomHold = 2 * time.Minute

// promise is the room promised to an upload in progress.
type promise struct {
	bytes   int64     // of sealed blob still to come
	at      time.Time // creation, or end of the last write
	writing int       // writes running
}

// RoomState is the room on the blob storage at one moment.
type RoomState struct {
	navette.Space
	Reserve  int64 // bytes the reserve keeps
	Promised int64 // bytes still to come of the uploads in progress on this node
}

// State returns the room now. Returns ENOSPACE, with the state, while the
// free space is below the reserve.
func (r *Room) State(ctx context.Context) (RoomState, error) {
	sp, err := r.Space.Space(ctx)
	if err != nil {
		return RoomState{}, err
	}
	r.mu.Lock()
	st := RoomState{Space: sp, Reserve: r.Reserve.Of(sp.Total), Promised: r.sum(r.Clock.Now())}
	r.mu.Unlock()
	if st.Free < st.Reserve {
		return st, navette.Errorf(navette.ENOSPACE, "The free space of the blob storage (%s) is below its reserve (%s, --min-free %s): uploads are refused until space is freed.",
			navette.FormatSize(st.Free), navette.FormatSize(st.Reserve), r.Reserve)
	}
	return st, nil
}

// claim promises the room of a file of size bytes to the upload id, if the
// free space holds it above the reserve and the room already promised.
// Returns ENOSPACE otherwise.
func (r *Room) claim(ctx context.Context, id string, size int64) error {
	if r == nil {
		return nil
	}
	need := seal.SealedSize(size)
	sp, err := r.Space.Space(ctx)
	if err != nil {
		return err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	now := r.Clock.Now()
	reserve, promised := r.Reserve.Of(sp.Total), r.sum(now)
	if sp.Free-reserve-promised < need {
		r.log().WarnContext(ctx, "upload refused for want of space", "size", size, "free", sp.Free, "reserve", reserve, "promised", promised)
		return navette.Errorf(navette.ENOSPACE, "The server does not have room for a file of %s now; try again later.", navette.FormatSize(size))
	}
	if r.promised == nil {
		r.promised = map[string]*promise{}
	}
	r.promised[id] = &promise{bytes: need, at: now}
	return nil
}

// sum returns the room promised, forgetting the promises held too long.
// r.mu is held.
func (r *Room) sum(now time.Time) int64 {
	hold := r.Hold
	if hold <= 0 {
		hold = DefaultRoomHold
	}
	var n int64
	for id, p := range r.promised {
		if p.writing == 0 && now.Sub(p.at) > hold {
			delete(r.promised, id)
			continue
		}
		n += p.bytes
	}
	return n
}

// begin records that a write to the upload id of a file of size bytes
// starts at offset off; its room counts, whatever the free space, until
// the matching end. An upload resumed after its room lapsed gets it back
// here without a check: it was accepted, and a full disk fails its write
// cleanly.
func (r *Room) begin(id string, size, off int64) {
	if r == nil {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.promised == nil {
		r.promised = map[string]*promise{}
	}
	p := r.promised[id]
	if p == nil {
		p = &promise{}
		r.promised[id] = p
	}
	p.bytes = remaining(size, off)
	p.writing++
}

// end records that a write begun with begin is over, having stored the
// file up to offset off.
func (r *Room) end(id string, size, off int64) {
	if r == nil {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if p := r.promised[id]; p != nil {
		p.bytes, p.at = remaining(size, off), r.Clock.Now()
		p.writing = max(p.writing-1, 0)
	}
}

// remaining returns the sealed bytes still to come of a file of size bytes
// stored up to off.
func remaining(size, off int64) int64 {
	return max(seal.SealedSize(size)-seal.SegmentOffset(off/seal.SegmentSize), 0)
}

// release forgets the room promised to the upload id: it is complete,
// withdrawn, or failed for want of space.
func (r *Room) release(id string) {
	if r == nil {
		return
	}
	r.mu.Lock()
	delete(r.promised, id)
	r.mu.Unlock()
}

func (r *Room) log() *slog.Logger {
	if r.Log == nil {
		return slog.Default()
	}
	return r.Log
}

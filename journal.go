package navette

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
)

// The journal is a hash chain: storage gives each event, as it appends it,
// the hash of the event before it and of its own fields (ChainHash), so
// that altering, inserting or removing an event anywhere but at the end
// breaks every hash after it. VerifyJournal recomputes the chain; comparing
// its head with one written down earlier (a checkpoint) also catches the
// removal of the last events. docs/security.md describes the construction;
// testdata/journal-vectors.json holds test vectors.

// journalDomain separates these hashes from any other use of SHA-256.
const journalDomain = "navette journal v1\x00"

// ChainHash returns the hash of e in the journal after an event whose hash
// is prev; prev is nil for the first event of the chain. It is SHA-256 of
// the domain "navette journal v1" and a NUL byte, prev (32 bytes, zeros
// when nil), the time in Unix microseconds (8 bytes, big-endian, two's
// complement), the size (likewise), then the type, actor id, deposit id,
// file id, SHA-256 and detail, each as a 4-byte big-endian length and its
// bytes, then, only if it is set, the sign-in method (Auth) likewise, so
// that events without one hash as they always did. Seq and the notices
// are not covered: the chain orders the events.
func ChainHash(prev []byte, e *Event) []byte {
	h := sha256.New()
	h.Write([]byte(journalDomain))
	var p [sha256.Size]byte
	copy(p[:], prev)
	h.Write(p[:])
	var n [8]byte
	binary.BigEndian.PutUint64(n[:], uint64(e.Time.UnixMicro()))
	h.Write(n[:])
	binary.BigEndian.PutUint64(n[:], uint64(e.Size))
	h.Write(n[:])
	fields := [][]byte{[]byte(e.Type), []byte(e.ActorID), []byte(e.DepositID), []byte(e.FileID), e.SHA256, []byte(e.Detail)}
	if e.Auth != "" {
		fields = append(fields, []byte(e.Auth))
	}
	for _, f := range fields {
		binary.BigEndian.PutUint32(n[:4], uint32(len(f)))
		h.Write(n[:4])
		h.Write(f)
	}
	return h.Sum(nil)
}

// ErrJournalBroken is what VerifyJournal's error wraps when the chain does
// not hold.
var ErrJournalBroken = errors.New("the journal's hash chain is broken")

// JournalCheck is what VerifyJournal read.
type JournalCheck struct {
	Events int // events read
	// Unchained are the first events, journaled before the chain began
	// (by a version of navette without it); they are not covered.
	Unchained int
	LastSeq   int64  // sequence number of the last event; 0 if none
	Head      []byte // hash of the last event: the whole chain's
}

// VerifyJournal reads the whole journal in order and recomputes its hash
// chain. If checkpoint is set (a Seq and a Hash written down earlier), the
// event Seq must still have that hash, which also catches events removed
// from the end since. Returns an error wrapping ErrJournalBroken that names
// the first event that does not follow: altered, inserted, or preceded by
// an event removed or altered.
func VerifyJournal(ctx context.Context, s JournalStore, checkpoint *Event) (*JournalCheck, error) {
	c := &JournalCheck{}
	var prev []byte
	chained, checked := false, checkpoint == nil
	for {
		evs, err := s.Events(ctx, EventFilter{AfterSeq: c.LastSeq, Limit: 1000})
		if err != nil {
			return c, err
		}
		for i := range evs {
			e := &evs[i]
			c.Events++
			c.LastSeq = e.Seq
			switch {
			case len(e.Hash) == 0 && !chained:
				c.Unchained++
			case !bytes.Equal(e.Hash, ChainHash(prev, e)):
				return c, fmt.Errorf("%w at event %d: it was altered, or an event before it was removed or altered", ErrJournalBroken, e.Seq)
			default:
				chained, prev = true, e.Hash
			}
			if checkpoint != nil && e.Seq == checkpoint.Seq {
				if !bytes.Equal(e.Hash, checkpoint.Hash) {
					return c, fmt.Errorf("%w: event %d no longer has the checkpoint's hash", ErrJournalBroken, e.Seq)
				}
				checked = true
			}
		}
		if len(evs) < 1000 {
			break
		}
	}
	c.Head = prev
	if !checked {
		return c, fmt.Errorf("%w: the checkpoint's event %d is gone", ErrJournalBroken, checkpoint.Seq)
	}
	return c, nil
}

// The journal is also an RFC 6962 Merkle tree (a C2SP tlog): each event,
// in the order storage appends it, is the next leaf, so that a signed
// checkpoint of the tree (origin, size, root hash) commits to every event
// before it and an inclusion proof shows that one event is in it. The leaf
// of an event is EventLeaf; its hash is tlog.RecordHash of it, SHA-256 of
// a zero byte and the leaf. docs/proofs.md describes the tree.

// leafDomain starts every leaf.
const leafDomain = "navette event v1\x00"

// EventLeaf returns the bytes of e's leaf in the journal's Merkle tree: the
// domain "navette event v1" and a NUL byte, the time in Unix microseconds
// (8 bytes, big-endian, two's complement), the size (likewise), then the
// type, actor id, deposit id, file id, SHA-256, detail and claims digest,
// each as a 4-byte big-endian length and its bytes. Seq, Leaf, Hash and the
// notices are not covered: the tree orders the events.
func EventLeaf(e *Event) []byte {
	fields := [][]byte{[]byte(e.Type), []byte(e.ActorID), []byte(e.DepositID), []byte(e.FileID), e.SHA256, []byte(e.Detail), e.Claims}
	n := len(leafDomain) + 16 + 4*len(fields)
	for _, f := range fields {
		n += len(f)
	}
	b := make([]byte, 0, n)
	b = append(b, leafDomain...)
	b = binary.BigEndian.AppendUint64(b, uint64(e.Time.UnixMicro()))
	b = binary.BigEndian.AppendUint64(b, uint64(e.Size))
	for _, f := range fields {
		b = binary.BigEndian.AppendUint32(b, uint32(len(f)))
		b = append(b, f...)
	}
	return b
}

// Package seal encrypts navette's file blobs and small secret values with
// AES-256-GCM under a per-file (or per-deposit) random key.
//
// A blob is a 16-byte header followed by sealed segments at fixed positions,
// so that a Range read decrypts only the segments it covers:
//
//	blob    = header || segment(0) || segment(1) || ... || segment(n-1)
//	header  = "NVTSEAL\x00" || 0x01 (version) || 0x10 (log2 SegmentSize) || 6 zero bytes
//	segment = nonce (12) || ciphertext || tag (16)
//
// Every segment but the last holds exactly SegmentSize plaintext bytes; the
// last holds 0 to SegmentSize bytes (an empty file has one empty segment).
// Segment i starts at SegmentOffset(i).
//
// Segments are chained as in the STREAM construction (Hoang, Reyhanitabar,
// Rogaway and Vizár, 2015), with the position and the final flag carried in
// the associated data instead of the nonce:
//
//	AD = header || uint16be(len(fileID)) || fileID || uint64be(index) || last (1 byte: 1 or 0)
//
// A segment therefore authenticates only at its own index, in its own file,
// with its own final flag: reordering, truncation (dropping the final
// segment, or passing a non-final one off as final) and transplanting a
// segment into another blob are all detected.
//
// Nonces are 96 random bits per sealing, not counters: an upload that is
// resumed re-seals its partial last segment under the same key and index,
// and a counter nonce would then repeat. Per key, at most about 2^20
// segments are sealed (a 64 GiB file, re-seals included); the probability
// that two of n random nonces collide is about n²/2^97, about 2^-57 for
// n = 2^20, which is negligible.
//
// Small values (file names, references, messages, resume states) are sealed
// with the same kind of key by SealValue, with associated data that starts
// with "navette value v1" where a segment's starts with "NVTSEAL\x00", so a
// value can never be passed off as a segment or the reverse.
//
// The test vectors in testdata/vectors.json are the reference for other
// implementations.
package seal

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"sync"
)

// Sizes of the format.
const (
	// SegmentSize is the number of plaintext bytes in every segment but the last.
	SegmentSize = 64 << 10
	// NonceSize is the length of a segment's or value's random nonce.
	NonceSize = 12
	// TagSize is the length of the GCM authentication tag.
	TagSize = 16
	// Overhead is what sealing adds to a segment or a value.
	Overhead = NonceSize + TagSize
	// SealedSegmentSize is the length of a sealed full segment.
	SealedSegmentSize = SegmentSize + Overhead
	// HeaderSize is the length of a blob's header.
	HeaderSize = 16
	// KeySize is the length of a data key (AES-256).
	KeySize = 32
)

// Version is the format version written in the header.
const Version = 1

// header is the blob header: magic, version, log2 of SegmentSize, zeros.
var header = [HeaderSize]byte{'N', 'V', 'T', 'S', 'E', 'A', 'L', 0, Version, 16}

// valueDomain starts the associated data of every sealed value.
const valueDomain = "navette value v1"

// ErrCorrupt is wrapped by every error that reports a segment, a blob or a
// value that does not authenticate: tampered with, truncated, moved, or
// sealed under another key.
var ErrCorrupt = errors.New("seal: data is corrupt or was tampered with")

// Header returns a copy of the 16-byte header that starts every blob.
func Header() []byte {
	h := header
	return h[:]
}

// SegmentOffset returns the position in a blob of segment i.
func SegmentOffset(i int64) int64 { return HeaderSize + i*SealedSegmentSize }

// SegmentCount returns the number of segments of a file of size plaintext
// bytes, at least 1. It panics if size is negative.
func SegmentCount(size int64) int64 {
	if size < 0 {
		panic("seal: negative size")
	}
	if size == 0 {
		return 1
	}
	return (size-1)/SegmentSize + 1
}

// SealedSize returns the length of the blob of a file of size plaintext
// bytes. It panics if size is negative.
func SealedSize(size int64) int64 { return HeaderSize + SegmentCount(size)*Overhead + size }

// segmentLen returns the plaintext length of segment i of a file of size
// bytes, whose segment count is n.
func segmentLen(size, n, i int64) int {
	if i < n-1 {
		return SegmentSize
	}
	return int(size - (n-1)*SegmentSize)
}

// Key seals and opens segments and values under one data key. It is safe
// for concurrent use.
type Key struct {
	aead cipher.AEAD
}

// NewKey returns the Key for the data key k, which must be KeySize bytes.
func NewKey(k []byte) (*Key, error) {
	if len(k) != KeySize {
		return nil, fmt.Errorf("seal: key is %d bytes, want %d", len(k), KeySize)
	}
	b, err := aes.NewCipher(k)
	if err != nil {
		return nil, fmt.Errorf("seal: %w", err)
	}
	aead, err := cipher.NewGCM(b)
	if err != nil {
		return nil, fmt.Errorf("seal: %w", err)
	}
	return &Key{aead: aead}, nil
}

// GenerateKey returns a new random data key of KeySize bytes, to be wrapped
// and stored with the file or deposit it seals.
func GenerateKey() []byte {
	k := make([]byte, KeySize)
	randomize(k)
	return k
}

// randomize fills b with random bytes.
func randomize(b []byte) {
	if _, err := rand.Read(b); err != nil {
		panic("seal: no randomness: " + err.Error()) // crypto/rand never fails on Linux
	}
}

// adPool holds buffers for associated data, so that sealing and opening a
// segment allocate nothing.
var adPool = sync.Pool{New: func() any { b := make([]byte, 0, 128); return &b }}

// maxPooledAD bounds the buffers kept in adPool.
const maxPooledAD = 1 << 10

// appendSegmentAD appends the associated data of a segment to b.
func appendSegmentAD(b []byte, fileID string, index int64, last bool) []byte {
	b = append(b, header[:]...)
	b = binary.BigEndian.AppendUint16(b, uint16(len(fileID)))
	b = append(b, fileID...)
	b = binary.BigEndian.AppendUint64(b, uint64(index))
	if last {
		return append(b, 1)
	}
	return append(b, 0)
}

// appendValueAD appends the associated data of a value to b.
func appendValueAD(b []byte, purpose, id string) []byte {
	b = append(b, valueDomain...)
	b = binary.BigEndian.AppendUint16(b, uint16(len(purpose)))
	b = append(b, purpose...)
	b = binary.BigEndian.AppendUint16(b, uint16(len(id)))
	return append(b, id...)
}

// getAD returns a pooled buffer holding the associated data of a segment.
// Give it back with putAD.
func getAD(fileID string, index int64, last bool) *[]byte {
	p := adPool.Get().(*[]byte)
	*p = appendSegmentAD((*p)[:0], fileID, index, last)
	return p
}

// putAD returns an associated data buffer to the pool.
func putAD(p *[]byte) {
	if cap(*p) <= maxPooledAD {
		adPool.Put(p)
	}
}

// grow extends b by n bytes, reusing its capacity when it suffices.
func grow(b []byte, n int) []byte {
	if cap(b)-len(b) >= n {
		return b[:len(b)+n]
	}
	g := make([]byte, len(b)+n)
	copy(g, b)
	return g
}

// SealSegment seals plaintext as segment index of the file fileID, last
// telling whether it is the file's final segment, and appends
// nonce || ciphertext || tag to dst. It allocates nothing when dst has
// len(plaintext)+Overhead bytes of spare capacity.
//
// To seal in place, put the plaintext at buf[NonceSize:NonceSize+n] and pass
// buf[:0] as dst: the result is buf[:n+Overhead]. Otherwise plaintext must
// not overlap dst's spare capacity.
//
// It panics if plaintext is longer than SegmentSize, if index is negative,
// or if fileID is longer than 65535 bytes.
func (k *Key) SealSegment(dst []byte, fileID string, index int64, last bool, plaintext []byte) []byte {
	var nonce [NonceSize]byte
	randomize(nonce[:])
	return k.sealSegment(dst, nonce[:], fileID, index, last, plaintext)
}

// sealSegment is SealSegment with an explicit nonce, for the test vectors.
// A nonce must never be used twice under one key.
func (k *Key) sealSegment(dst, nonce []byte, fileID string, index int64, last bool, plaintext []byte) []byte {
	if len(plaintext) > SegmentSize {
		panic("seal: segment longer than SegmentSize")
	}
	if index < 0 {
		panic("seal: negative segment index")
	}
	if len(fileID) > math.MaxUint16 {
		panic("seal: file id too long")
	}
	ad := getAD(fileID, index, last)
	out := k.sealAD(dst, nonce, plaintext, *ad)
	putAD(ad)
	return out
}

// sealAD is the AEAD step of every sealing: it seals plaintext under nonce
// (NonceSize bytes) with associated data ad and appends
// nonce || ciphertext || tag to dst, with the aliasing rules of SealSegment.
// The Wycheproof test runs its vectors through it.
func (k *Key) sealAD(dst, nonce, plaintext, ad []byte) []byte {
	n := len(dst)
	out := grow(dst, NonceSize+len(plaintext)+TagSize)
	copy(out[n:], nonce)
	return k.aead.Seal(out[:n+NonceSize], out[n:n+NonceSize], plaintext, ad)
}

// openAD is the AEAD step of every opening: it authenticates and decrypts
// sealed, nonce || ciphertext || tag, with associated data ad and appends
// the plaintext to dst, with the aliasing rules of OpenSegment. sealed must
// be at least Overhead bytes long.
func (k *Key) openAD(dst, sealed, ad []byte) ([]byte, error) {
	return k.aead.Open(dst, sealed[:NonceSize], sealed[NonceSize:], ad)
}

// OpenSegment authenticates and decrypts sealed, which must be segment index
// of the file fileID (last telling whether it is the final one), and appends
// its plaintext to dst. Any failure returns an error wrapping ErrCorrupt.
// It allocates nothing when dst has enough spare capacity.
//
// To decrypt in place, pass sealed[NonceSize:NonceSize] as dst: the
// plaintext then overwrites the ciphertext and the result is
// sealed[NonceSize:len(sealed)-TagSize]. If authentication fails, that
// region is zeroed. Otherwise dst's spare capacity must not overlap sealed.
func (k *Key) OpenSegment(dst []byte, fileID string, index int64, last bool, sealed []byte) ([]byte, error) {
	if len(sealed) < Overhead || len(sealed) > SealedSegmentSize {
		return nil, fmt.Errorf("%w: segment %d has length %d", ErrCorrupt, index, len(sealed))
	}
	if index < 0 || len(fileID) > math.MaxUint16 {
		return nil, fmt.Errorf("%w: segment %d of file id of length %d cannot exist", ErrCorrupt, index, len(fileID))
	}
	ad := getAD(fileID, index, last)
	out, err := k.openAD(dst, sealed, *ad)
	putAD(ad)
	if err != nil {
		return nil, fmt.Errorf("%w: segment %d does not authenticate", ErrCorrupt, index)
	}
	return out, nil
}

// SealValue seals a small value (a file name, a reference, a message, an
// upload's resume state) and returns nonce || ciphertext || tag. purpose
// names what the value is and id the object it belongs to (a deposit or a
// file id); OpenValue needs both, so a sealed value cannot be moved to
// another field or another object. It panics if purpose or id is longer than
// 65535 bytes.
func (k *Key) SealValue(purpose, id string, plaintext []byte) []byte {
	var nonce [NonceSize]byte
	randomize(nonce[:])
	return k.sealValue(nonce[:], purpose, id, plaintext)
}

// sealValue is SealValue with an explicit nonce, for the test vectors.
func (k *Key) sealValue(nonce []byte, purpose, id string, plaintext []byte) []byte {
	if len(purpose) > math.MaxUint16 || len(id) > math.MaxUint16 {
		panic("seal: value purpose or id too long")
	}
	return k.sealAD(make([]byte, 0, NonceSize+len(plaintext)+TagSize), nonce, plaintext, appendValueAD(nil, purpose, id))
}

// OpenValue authenticates and decrypts a value sealed by SealValue with the
// same purpose and id. Any failure returns an error wrapping ErrCorrupt.
func (k *Key) OpenValue(purpose, id string, sealed []byte) ([]byte, error) {
	if len(sealed) < Overhead {
		return nil, fmt.Errorf("%w: sealed %s has length %d", ErrCorrupt, purpose, len(sealed))
	}
	if len(purpose) > math.MaxUint16 || len(id) > math.MaxUint16 {
		return nil, fmt.Errorf("%w: value purpose or id too long", ErrCorrupt)
	}
	out, err := k.openAD(nil, sealed, appendValueAD(nil, purpose, id))
	if err != nil {
		return nil, fmt.Errorf("%w: sealed %s does not authenticate", ErrCorrupt, purpose)
	}
	return out, nil
}

package receipt

import (
	"encoding/binary"

	"golang.org/x/mod/sumdb/tlog"
)

// leafDomain begins every leaf, separating it from any other use of the
// tree's hashes.
const leafDomain = "navette event v1\x00"

// LeafBytes returns the Merkle leaf of the event: "navette event v1" and a
// NUL byte, the time in Unix microseconds and the size (8 bytes each,
// big-endian, two's complement), then the type, actor id, deposit id, file
// id, SHA-256, detail and claims SHA-256, each as a 4-byte big-endian length
// followed by its bytes. The index is not part of the leaf: the tree places
// it.
func LeafBytes(e *Event) []byte {
	fields := [][]byte{[]byte(e.Type), []byte(e.ActorID), []byte(e.DepositID), []byte(e.FileID), e.SHA256, []byte(e.Detail), e.ClaimsSHA256}
	n := len(leafDomain) + 16
	for _, f := range fields {
		n += 4 + len(f)
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

// LeafHash returns the event's leaf hash in the tree: SHA-256 of a zero
// byte and LeafBytes (RFC 6962).
func LeafHash(e *Event) tlog.Hash {
	return tlog.RecordHash(LeafBytes(e))
}

package receipt

import (
	"navette"

	"golang.org/x/mod/sumdb/tlog"
)

// LeafBytes returns the Merkle leaf of the event, navette.EventLeaf of the
// journal event it stands for: "navette event v1" and a NUL byte, the time
// in Unix microseconds and the size (8 bytes each, big-endian, two's
// complement), then the type, actor id, deposit id, file id, SHA-256,
// detail and claims SHA-256, each as a 4-byte big-endian length followed by
// its bytes. The index is not part of the leaf: the tree places it.
func LeafBytes(e *Event) []byte {
	return navette.EventLeaf(&navette.Event{
		Time:      e.Time.Time,
		Type:      navette.EventType(e.Type),
		ActorID:   e.ActorID,
		DepositID: e.DepositID,
		FileID:    e.FileID,
		Size:      e.Size,
		SHA256:    e.SHA256,
		Detail:    e.Detail,
		Claims:    e.ClaimsSHA256,
	})
}

// LeafHash returns the event's leaf hash in the tree: SHA-256 of a zero
// byte and LeafBytes (RFC 6962).
func LeafHash(e *Event) tlog.Hash {
	return tlog.RecordHash(LeafBytes(e))
}

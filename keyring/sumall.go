package keyring

import "encoding/hex"

// SumAll returns the digests of msg under every MAC key, the active key's
// first, each as Sum makes it. A value looked up by its digest (a case by
// its reference) is found whichever key was active when it was stored;
// callers store the first.
func (m *MACKeys) SumAll(msg []byte) [][]byte {
	m.mu.RLock()
	defer m.mu.RUnlock()
	out := make([][]byte, 0, len(m.keys))
	add := func(id string) {
		rawID, err := hex.DecodeString(id)
		if err != nil {
			panic("keyring: malformed MAC key id") // loadMAC checks every id
		}
		out = append(out, append(rawID, mac(m.keys[id], msg)...))
	}
	add(m.active)
	for id := range m.keys {
		if id != m.active {
			add(id)
		}
	}
	return out
}

package keyring

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"navette/atomicfile"
)

// MAC keys live beside the KEKs, in the same directory and under the same
// rules (0700 directory, 0600 files, atomic writes), one file per key:
//
//	<dir>/<id>.hmac      64 lower-case hex digits (32 random bytes) and a newline
//	<dir>/hmac-active    the id of the key that makes new digests, and a newline
//
// They key the HMAC-SHA-256 digests that short secrets (e-mailed sign-in
// codes) are stored as, so that a copy of the database alone cannot test
// guesses against them. A digest starts with the raw id of its key, so keys
// can be rotated: older ones stay to check the digests they made.
const (
	macSuffix     = ".hmac"       // MAC key file name suffix (never ".key": those are KEKs)
	macActiveFile = "hmac-active" // name of the file holding the active MAC key id
	macKeySize    = 32            // bytes of a MAC key
)

// DigestSize is the length of a digest made by MACKeys.Sum: the key's raw
// id and the full HMAC-SHA-256 tag.
const DigestSize = idBytes + sha256.Size

// MACKeys holds the MAC keys of a key directory. It is safe for concurrent
// use.
type MACKeys struct {
	keySet[[]byte]
}

// OpenMAC loads the MAC keys in dir, creating the directory (mode 0700) and
// a first active key if there is none. When several processes share the
// directory and start together, they all end up with the same first key. It
// refuses a directory or key file that group or others may access, and any
// malformed key file.
func OpenMAC(dir string) (*MACKeys, error) {
	m := &MACKeys{keySet[[]byte]{dir: dir, files: macFiles, load: loadMAC}}
	if err := m.open(); err != nil {
		return nil, err
	}
	if m.active != "" {
		return m, nil
	}
	id, err := m.newKey()
	if err != nil {
		return nil, loadError(err)
	}
	if err := activateFirstMAC(dir, id); err != nil {
		return nil, loadError(err)
	}
	if err := m.Reload(); err != nil {
		return nil, err
	}
	return m, nil
}

// activateFirstMAC makes the MAC key id active in dir, unless another
// process made its own first key active meanwhile.
func activateFirstMAC(dir, id string) error {
	// A link never replaces an existing file.
	tmp := filepath.Join(dir, "."+macActiveFile+".first-"+id)
	if err := writeFileAtomic(dir, filepath.Base(tmp), []byte(id+"\n")); err != nil {
		return err
	}
	err := os.Link(tmp, filepath.Join(dir, macActiveFile))
	os.Remove(tmp)
	if err != nil && !errors.Is(err, fs.ErrExist) {
		// A file system without hard links: a plain atomic write, which
		// a process starting at the same instant could overwrite.
		if err := writeFileAtomic(dir, macActiveFile, []byte(id+"\n")); err != nil {
			return err
		}
	}
	return syncDir(dir)
}

// Reload rereads the key directory, to see MAC keys another process added
// or made active. On failure the MAC keys stay as they were.
func (m *MACKeys) Reload() error { return m.reload() }

// ActiveID returns the id of the MAC key that makes new digests.
func (m *MACKeys) ActiveID() string { return m.activeID() }

// Rotate creates a new MAC key and makes it active, and returns its id.
// Older keys stay to check the digests they made.
func (m *MACKeys) Rotate() (string, error) {
	id, err := m.newKey()
	if err != nil {
		return "", loadError(err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := writeFileAtomic(m.dir, macActiveFile, []byte(id+"\n")); err != nil {
		return "", loadError(err)
	}
	m.active = id
	return id, nil
}

// newKey writes a new MAC key file and adds the key, not active, and
// returns its id.
func (m *MACKeys) newKey() (string, error) {
	id, raw, err := newKeyFile(m.dir, macSuffix, macKeySize)
	if err != nil {
		return "", err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.keys == nil {
		m.keys = map[string][]byte{}
	}
	m.keys[id] = raw
	return id, nil
}

// Sum returns the digest of msg under the active MAC key: DigestSize
// bytes, the key's raw id then HMAC-SHA-256(key, msg). Callers put a
// domain of their own at the start of msg.
func (m *MACKeys) Sum(msg []byte) []byte {
	m.mu.RLock()
	id, key := m.active, m.keys[m.active]
	m.mu.RUnlock()
	rawID, err := hex.DecodeString(id)
	if err != nil || key == nil {
		panic("keyring: no active MAC key") // OpenMAC and Reload guarantee one
	}
	return append(rawID, mac(key, msg)...)
}

// Verify reports, in time that does not depend on where they differ,
// whether sum is the digest Sum made of msg under any MAC key, rereading
// the directory once if sum names a key it does not hold. Only full-length
// digests are accepted: a truncated one never matches.
func (m *MACKeys) Verify(msg, sum []byte) bool {
	if len(sum) != DigestSize {
		return false
	}
	id := hex.EncodeToString(sum[:idBytes])
	key := m.key(id)
	if key == nil {
		if m.Reload() != nil {
			return false
		}
		if key = m.key(id); key == nil {
			return false
		}
	}
	return verifyMAC(key, msg, sum[idBytes:])
}

// mac returns HMAC-SHA-256(key, msg): the MAC every digest is made with.
func mac(key, msg []byte) []byte {
	h := hmac.New(sha256.New, key)
	h.Write(msg)
	return h.Sum(nil)
}

// verifyMAC reports, in constant time, whether tag is mac(key, msg). A tag
// shorter (truncated) or longer than sha256.Size never matches.
func verifyMAC(key, msg, tag []byte) bool {
	if len(tag) != sha256.Size {
		return false
	}
	return hmac.Equal(mac(key, msg), tag)
}

// macFiles are the files of the MAC keys. A MAC key file has the shape of
// a KEK file.
var macFiles = keyFiles{suffix: macSuffix, active: macActiveFile, what: "MAC key"}

// loadMAC reads the MAC keys and the active MAC key id of dir. The active
// id is "" if the active file does not exist.
func loadMAC(dir string) (map[string][]byte, string, error) { return macFiles.load(dir) }

// syncDir makes the entries of dir durable.
func syncDir(dir string) error {
	if err := atomicfile.SyncDir(dir); err != nil {
		return fmt.Errorf("keyring: %w", err)
	}
	return nil
}

// Package keyring keeps navette's key-encryption keys (KEKs), which wrap the
// data keys of files and deposits stored in the database.
//
// The KEKs live in a directory outside the database, one file per key:
//
//	<dir>/<id>.key  64 lower-case hex digits (32 random bytes) and a newline, mode 0600
//	<dir>/active    the id of the key that wraps new data keys, and a newline
//
// An id is 16 lower-case hex digits. The directory must be 0700 and key files
// 0600: like ssh, the keyring refuses to load keys that group or others could
// read. Files are written atomically (temporary file, fsync, rename, fsync of
// the directory). Rotation adds a new active key; older keys stay to unwrap
// what they wrapped.
//
// A wrapped key is AES-256-GCM under the KEK, Data = nonce (12) ||
// ciphertext || tag (16), with associated data
//
//	"navette keywrap v1" || uint16be(len(keyID)) || keyID || ad
//
// where ad names the object that owns the data key (a file or deposit id),
// so a wrapped key cannot be moved to another object or passed off as
// wrapped by another KEK.
//
// A running server sees keys another process (the admin command, or an
// operator copying a key file from another node) added, activated or
// retired without a restart: Watch looks at the directory every few
// seconds and reloads it when its keys or active key change.
package keyring

import (
	"bytes"
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"navette"
	"navette/atomicfile"
)

const (
	kekSize    = 32                   // bytes of a KEK (AES-256)
	idBytes    = 8                    // random bytes of a key id
	nonceSize  = 12                   // GCM nonce
	tagSize    = 16                   // GCM tag
	keySuffix  = ".key"               // key file name suffix
	activeFile = "active"             // name of the file holding the active id
	wrapDomain = "navette keywrap v1" // starts the associated data of a wrapped key
	maxKeyFile = 4 << 10              // a key file is never larger
)

// ErrCorrupt is wrapped by the error of Unwrap when a wrapped key does not
// authenticate: it was altered, or it belongs to another object.
var ErrCorrupt = errors.New("keyring: wrapped key is corrupt or belongs to another object")

// Keyring holds the KEKs of a directory. It is safe for concurrent use.
type Keyring struct {
	keySet[cipher.AEAD]

	logMu     sync.Mutex
	log       *slog.Logger
	missing   map[string]bool // ids of keys logged as missing since the last change
	lastError string          // the last error Refresh logged
}

// Open loads the keyring in dir, creating the directory (mode 0700) and a
// first active key if there is none. It refuses a directory or key file that
// group or others may access, and any malformed key file. If keys exist but
// no active one is named, a new key is made active.
func Open(dir string) (*Keyring, error) {
	k := &Keyring{keySet: keySet[cipher.AEAD]{dir: dir, files: kekFiles, load: load}}
	if err := k.open(); err != nil {
		return nil, err
	}
	if k.active == "" {
		if _, err := k.Rotate(); err != nil {
			return nil, err
		}
	}
	return k, nil
}

// loadError makes err, a failure to read or write the key directory, an
// application error.
func loadError(err error) error {
	return navette.WrapError(navette.EINTERNAL, err, "cannot use the key ring")
}

// Reload rereads the key directory, to see keys another process (the admin
// command) added or made active. On failure the keyring keeps what it had.
func (k *Keyring) Reload() error { return k.reload() }

// SetLogger makes the keyring log to l what the operator must know: keys
// picked up by Watch, a directory it cannot read, a stored key whose KEK
// this node lacks.
func (k *Keyring) SetLogger(l *slog.Logger) {
	k.logMu.Lock()
	defer k.logMu.Unlock()
	k.log = l
}

// logger returns the keyring's logger, or one that discards.
func (k *Keyring) logger() *slog.Logger {
	k.logMu.Lock()
	defer k.logMu.Unlock()
	if k.log == nil {
		return slog.New(slog.DiscardHandler)
	}
	return k.log
}

// Refresh reloads the key directory if its keys or its active key differ
// from those held, and reports whether it did. It reads only the
// directory's listing and the active file unless something changed.
func (k *Keyring) Refresh() (bool, error) {
	ids, active, err := listing(k.dir)
	if err == nil {
		k.mu.RLock()
		same := active == k.active && len(ids) == len(k.keys)
		for _, id := range ids {
			same = same && k.keys[id] != nil
		}
		k.mu.RUnlock()
		if same {
			return false, nil
		}
		err = k.Reload()
	}
	if err != nil {
		return false, err
	}
	k.logMu.Lock()
	k.missing = nil
	k.logMu.Unlock()
	return true, nil
}

// Watch calls Refresh every interval until ctx is done, and logs the keys
// it picks up and, once until it changes, an error.
func (k *Keyring) Watch(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		changed, err := k.Refresh()
		msg := ""
		if err != nil {
			msg = err.Error()
		}
		k.logMu.Lock()
		logErr := msg != "" && msg != k.lastError
		k.lastError = msg
		k.logMu.Unlock()
		switch {
		case logErr:
			k.logger().Error("cannot reload the key ring; the keys loaded before stay in use", "dir", k.dir, "err", err)
		case changed:
			k.logger().Info("key ring reloaded", "dir", k.dir, "active", k.ActiveID(), "keys", strings.Join(k.IDs(), " "))
		}
	}
}

// listing returns the ids of the key files of dir, sorted, and the
// content of its active file ("" if there is none), without reading keys.
func listing(dir string) ([]string, string, error) {
	if err := checkDir(dir); err != nil {
		return nil, "", err
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, "", fmt.Errorf("keyring: %w", err)
	}
	var ids []string
	for _, e := range entries {
		if id, ok := strings.CutSuffix(e.Name(), keySuffix); ok {
			ids = append(ids, id)
		}
	}
	b, err := readPrivate(filepath.Join(dir, activeFile))
	if errors.Is(err, fs.ErrNotExist) {
		return ids, "", nil
	} else if err != nil {
		return nil, "", err
	}
	return ids, strings.TrimSuffix(string(b), "\n"), nil
}

// ActiveID returns the id of the key that wraps new data keys.
func (k *Keyring) ActiveID() string { return k.activeID() }

// IDs returns the ids of all the keys, sorted.
func (k *Keyring) IDs() []string {
	k.mu.RLock()
	defer k.mu.RUnlock()
	ids := make([]string, 0, len(k.keys))
	for id := range k.keys {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids
}

// Rotate creates a new key and makes it active, and returns its id. Older
// keys stay to unwrap the data keys they wrapped.
func (k *Keyring) Rotate() (string, error) { return k.Create(true) }

// Create creates a new key, makes it active if activate is set, and
// returns its id. An inactive key unwraps but does not wrap: on a cluster
// it is copied to every node before Activate makes it active, so that no
// node meets a data key wrapped by a key it lacks.
func (k *Keyring) Create(activate bool) (string, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	id, raw, err := newKeyFile(k.dir, keySuffix, kekSize)
	if err != nil {
		return "", loadError(err)
	}
	aead, err := newAEAD(raw)
	if err != nil {
		return "", loadError(err)
	}
	if k.keys == nil {
		k.keys = map[string]cipher.AEAD{}
	}
	k.keys[id] = aead
	if activate {
		if err := writeFileAtomic(k.dir, activeFile, []byte(id+"\n")); err != nil {
			return "", loadError(err)
		}
		k.active = id
	}
	return id, nil
}

// Activate makes key id, which must be in the directory, the one that
// wraps new data keys. Returns ENOTFOUND if there is no such key.
func (k *Keyring) Activate(id string) error {
	if err := k.Reload(); err != nil && k.key(id) == nil {
		return err
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	if !validID(id) || k.keys[id] == nil {
		return navette.Errorf(navette.ENOTFOUND, "There is no key-encryption key %q in %s.", id, k.dir)
	}
	if err := writeFileAtomic(k.dir, activeFile, []byte(id+"\n")); err != nil {
		return loadError(err)
	}
	k.active = id
	return nil
}

// Retire destroys key id: its file is overwritten, synced, then removed.
// Only the caller knows whether a stored key still needs it: check first
// (navette.KeyStore). Returns ECONFLICT if id is the active key (as the
// directory names it now), ENOTFOUND if there is no such key.
func (k *Keyring) Retire(id string) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	keys, active, err := load(k.dir)
	if err != nil {
		return loadError(err)
	}
	k.keys, k.active = keys, active
	if id == active {
		return navette.Errorf(navette.ECONFLICT, "Key-encryption key %s is the active key: rotate first.", id)
	}
	if !validID(id) || keys[id] == nil {
		return navette.Errorf(navette.ENOTFOUND, "There is no key-encryption key %q in %s.", id, k.dir)
	}
	path := filepath.Join(k.dir, id+keySuffix)
	if err := overwrite(path); err != nil {
		return loadError(err)
	}
	if err := os.Remove(path); err != nil {
		return loadError(fmt.Errorf("keyring: %w", err))
	}
	if err := syncDir(k.dir); err != nil {
		return loadError(err)
	}
	delete(k.keys, id)
	return nil
}

// overwrite writes zeros over the file at path, in place, and syncs it, so
// that the key is gone from the file system's blocks as far as it can tell.
func overwrite(path string) error {
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		return fmt.Errorf("keyring: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return fmt.Errorf("keyring: %w", err)
	}
	if _, err := f.WriteAt(make([]byte, fi.Size()), 0); err != nil {
		return fmt.Errorf("keyring: %w", err)
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("keyring: %w", err)
	}
	return f.Close()
}

// ActiveSince returns when the active key was last chosen: the
// modification time of the directory's active file.
func (k *Keyring) ActiveSince() (time.Time, error) {
	fi, err := os.Stat(filepath.Join(k.dir, activeFile))
	if err != nil {
		return time.Time{}, loadError(fmt.Errorf("keyring: %w", err))
	}
	return fi.ModTime(), nil
}

// Rewrap returns w wrapped by the active key for the same ad, or w itself
// if the active key wraps it already. Its errors are those of Unwrap.
func (k *Keyring) Rewrap(w navette.WrappedKey, ad string) (navette.WrappedKey, error) {
	if w.KeyID == k.ActiveID() {
		return w, nil
	}
	raw, err := k.Unwrap(w, ad)
	if err != nil {
		return navette.WrappedKey{}, err
	}
	defer clear(raw)
	return k.Wrap(raw, ad)
}

// Wrap seals dataKey under the active key. ad must name the object that
// owns the data key (its file or deposit id): Unwrap needs the same ad.
func (k *Keyring) Wrap(dataKey []byte, ad string) (navette.WrappedKey, error) {
	if len(dataKey) == 0 {
		return navette.WrappedKey{}, navette.Errorf(navette.EINTERNAL, "no data key to wrap")
	}
	k.mu.RLock()
	id, aead := k.active, k.keys[k.active]
	k.mu.RUnlock()
	if aead == nil {
		return navette.WrappedKey{}, navette.Errorf(navette.EINTERNAL, "the key ring has no active key")
	}
	data := make([]byte, nonceSize, nonceSize+len(dataKey)+tagSize)
	rand.Read(data)
	return navette.WrappedKey{KeyID: id, Data: aead.Seal(data, data, dataKey, wrapAD(id, ad))}, nil
}

// Unwrap opens a data key wrapped by Wrap with the same ad. It returns an
// error coded EGONE if w is zero (the key was destroyed at purge),
// EUNAVAILABLE wrapping ErrMissing if no key has w's id even after a
// Refresh (logged: the operator must install the key on this node), and
// EINTERNAL wrapping ErrCorrupt if w does not authenticate or names no
// possible key.
func (k *Keyring) Unwrap(w navette.WrappedKey, ad string) ([]byte, error) {
	if w.IsZero() {
		return nil, navette.Errorf(navette.EGONE, "key destroyed")
	}
	if !validID(w.KeyID) {
		return nil, corrupt(w.KeyID)
	}
	aead := k.key(w.KeyID)
	if aead == nil {
		// Another process may have added it since the last Watch.
		if _, err := k.Refresh(); err == nil {
			aead = k.key(w.KeyID)
		}
		if aead == nil {
			return nil, k.missingKey(w.KeyID)
		}
	}
	if len(w.Data) < nonceSize+tagSize {
		return nil, corrupt(w.KeyID)
	}
	dataKey, err := aead.Open(nil, w.Data[:nonceSize], w.Data[nonceSize:], wrapAD(w.KeyID, ad))
	if err != nil {
		return nil, corrupt(w.KeyID)
	}
	return dataKey, nil
}

// ErrMissing is wrapped by the error of Unwrap when the key-encryption key
// that wrapped a data key is not in this node's key directory.
var ErrMissing = errors.New("keyring: key-encryption key missing")

// missingKey logs, once per key until the keys change, that key id is
// missing, and returns the error of Unwrap for it.
func (k *Keyring) missingKey(id string) error {
	k.logMu.Lock()
	first := !k.missing[id]
	if first {
		if k.missing == nil {
			k.missing = map[string]bool{}
		}
		k.missing[id] = true
	}
	k.logMu.Unlock()
	if first {
		k.logger().Error("a stored data key is wrapped by a key-encryption key this node lacks: copy "+id+keySuffix+
			" from the node that made it into this node's key directory (mode 0600); it is picked up within seconds",
			"key", id, "dir", k.dir)
	}
	return navette.WrapError(navette.EUNAVAILABLE, fmt.Errorf("%w: %s not in %s", ErrMissing, id, k.dir),
		"This server cannot open this item yet: it lacks the key-encryption key %s. The operator has been told; try again later.", id)
}

// corrupt returns the error of a wrapped key that does not authenticate.
func corrupt(id string) error {
	return navette.WrapError(navette.EINTERNAL, fmt.Errorf("%w (key-encryption key %s)", ErrCorrupt, id), "cannot unwrap a data key")
}

// wrapAD returns the associated data of a key wrapped by key id for ad.
func wrapAD(id, ad string) []byte {
	b := make([]byte, 0, len(wrapDomain)+2+len(id)+len(ad))
	b = append(b, wrapDomain...)
	b = binary.BigEndian.AppendUint16(b, uint16(len(id)))
	b = append(b, id...)
	return append(b, ad...)
}

// newAEAD returns AES-256-GCM under raw.
func newAEAD(raw []byte) (cipher.AEAD, error) {
	b, err := aes.NewCipher(raw)
	if err != nil {
		return nil, fmt.Errorf("keyring: %w", err)
	}
	return cipher.NewGCM(b)
}

// newID returns a new random key id.
func newID() string {
	b := make([]byte, idBytes)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// validID reports whether s has the shape of a key id.
func validID(s string) bool { return len(s) == 2*idBytes && lowerHex(s) }

// lowerHex reports whether s is made of lower-case hex digits only.
func lowerHex(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}

// checkDir refuses a key directory that is not a directory or that group
// or others may access.
func checkDir(dir string) error {
	fi, err := os.Stat(dir)
	if err != nil {
		return fmt.Errorf("keyring: %w", err)
	}
	if !fi.IsDir() {
		return fmt.Errorf("keyring: %s is not a directory", dir)
	}
	if perm := fi.Mode().Perm(); perm&0o077 != 0 {
		return fmt.Errorf("keyring: %s has mode %04o, open to group or others; want 0700 (chmod 700 %s)", dir, perm, dir)
	}
	return nil
}

// load reads the keys and the active id of dir. The active id is "" if
// the active file does not exist.
func load(dir string) (map[string]cipher.AEAD, string, error) {
	raws, active, err := kekFiles.load(dir)
	if err != nil {
		return nil, "", err
	}
	keys := make(map[string]cipher.AEAD, len(raws))
	for id, raw := range raws {
		if keys[id], err = newAEAD(raw); err != nil {
			return nil, "", err
		}
	}
	return keys, active, nil
}

// keyFiles names the files of one kind of key in a key directory: one file
// per key, <id><suffix>, of hex digits and a newline, and a file naming the
// active key.
type keyFiles struct {
	suffix string // of the key files' names
	active string // name of the file holding the active key's id
	what   string // the kind of key, in errors
}

// kekFiles are the files of the key-encryption keys.
var kekFiles = keyFiles{suffix: keySuffix, active: activeFile, what: "key"}

// load reads the keys of kind f in dir, by id, and the active key's id: ""
// if the active file does not exist. It reads the active file before it
// lists the key files: a key's file is written before any active file names
// it, so a process that creates or rotates keys meanwhile cannot make the
// active id name a key the listing missed.
func (f keyFiles) load(dir string) (map[string][]byte, string, error) {
	if err := checkDir(dir); err != nil {
		return nil, "", err
	}
	path := filepath.Join(dir, f.active)
	b, err := readPrivate(path)
	exists := err == nil
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, "", err
	}
	keys, err := f.readKeys(dir)
	if err != nil {
		return nil, "", err
	}
	if !exists {
		return keys, "", nil
	}
	active, ok := bytes.CutSuffix(b, []byte("\n"))
	if !ok || !validID(string(active)) {
		return nil, "", fmt.Errorf("keyring: %s: malformed, want a %s id and a newline", path, f.what)
	}
	if keys[string(active)] == nil {
		return nil, "", fmt.Errorf("keyring: %s names %s %s, which has no key file", path, f.what, active)
	}
	return keys, string(active), nil
}

// readKeys reads the key files of kind f in dir, by id.
func (f keyFiles) readKeys(dir string) (map[string][]byte, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("keyring: %w", err)
	}
	keys := map[string][]byte{}
	for _, e := range entries {
		name := e.Name()
		if !strings.HasSuffix(name, f.suffix) {
			continue // another kind's file, or a temporary file left by a crash
		}
		id := strings.TrimSuffix(name, f.suffix)
		if !validID(id) {
			return nil, fmt.Errorf("keyring: %s: malformed %s file name, want 16 lower-case hex digits and %s", filepath.Join(dir, name), f.what, f.suffix)
		}
		if keys[id], err = readKeyFile(filepath.Join(dir, name)); err != nil {
			return nil, err
		}
	}
	return keys, nil
}

// newKeyFile makes a random key of size bytes, writes it to a new file of
// dir named for its id and suffix, and returns the id and the key.
func newKeyFile(dir, suffix string, size int) (string, []byte, error) {
	raw := make([]byte, size)
	rand.Read(raw)
	id := newID()
	if err := checkDir(dir); err != nil {
		return "", nil, err
	}
	if err := writeFileAtomic(dir, id+suffix, []byte(hex.EncodeToString(raw)+"\n")); err != nil {
		return "", nil, err
	}
	return id, raw, nil
}

// readKeyFile reads and decodes a key file.
func readKeyFile(path string) ([]byte, error) {
	b, err := readPrivate(path)
	if err != nil {
		return nil, err
	}
	h, ok := bytes.CutSuffix(b, []byte("\n"))
	if !ok || len(h) != 2*kekSize || !lowerHex(string(h)) {
		return nil, fmt.Errorf("keyring: %s: malformed key file, want %d lower-case hex digits and a newline", path, 2*kekSize)
	}
	return hex.DecodeString(string(h))
}

// readPrivate reads a regular file that group and others may not access.
func readPrivate(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("keyring: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("keyring: %w", err)
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("keyring: %s is not a regular file", path)
	}
	if perm := fi.Mode().Perm(); perm&0o077 != 0 {
		return nil, fmt.Errorf("keyring: %s has mode %04o, open to group or others; want 0600 (chmod 600 %s)", path, perm, path)
	}
	b, err := io.ReadAll(io.LimitReader(f, maxKeyFile+1))
	if err != nil {
		return nil, fmt.Errorf("keyring: %w", err)
	}
	if len(b) > maxKeyFile {
		return nil, fmt.Errorf("keyring: %s is too large", path)
	}
	return b, nil
}

// writeFileAtomic writes data to dir/name with mode 0600 so that readers
// see either the old file or the new one, never a part, even after a crash.
func writeFileAtomic(dir, name string, data []byte) error {
	if err := atomicfile.Write(dir, name, "."+name+".tmp-*", data); err != nil {
		return fmt.Errorf("keyring: %w", err)
	}
	return nil
}

// Held returns the active key-encryption key's id in dir ("" when there is
// none, so that Open would make one) and the ids of the key-encryption keys
// it holds. A directory that does not exist holds none.
func Held(dir string) (active string, ids []string, err error) {
	if _, err := os.Stat(dir); errors.Is(err, fs.ErrNotExist) {
		return "", nil, nil
	}
	keys, active, err := kekFiles.load(dir)
	if err != nil {
		return "", nil, err
	}
	return active, slices.Sorted(maps.Keys(keys)), nil
}

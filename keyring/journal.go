package keyring

import (
	"bytes"
	"crypto/rand"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"

	"golang.org/x/mod/sumdb/note"
)

// The journal's signing keys sign its checkpoints (package proof) as C2SP
// signed notes, with Ed25519. They live in the key directory beside the
// KEKs, never in the database:
//
//	<dir>/journal-<hash>.ed25519  the signer key, in note's text form
//	                              (PRIVATE+KEY+<name>+<hash>+<base64>) and a newline
//	<dir>/journal-<hash>.pub      its verifier key (<name>+<hash>+<base64>) and a newline
//	<dir>/journal-active          the hash of the key that signs, and a newline
//
// where <hash> is the key's note key hash, 8 lower-case hex digits, and
// <name> the journal's origin. Every file is mode 0600. Rotation makes a
// new active key and deletes the previous signer key, keeping its verifier
// key, so that checkpoints signed before still verify while nobody can
// sign with the old key any more.

const (
	journalPrefix      = "journal-"
	journalSignerExt   = ".ed25519"
	journalVerifierExt = ".pub"
	journalActiveFile  = "journal-active"
)

// JournalKeys holds the journal's signing keys of a key directory. It is
// safe for concurrent use.
type JournalKeys struct {
	dir  string
	name string

	mu        sync.Mutex
	signer    note.Signer
	verifiers []string // verifier keys, sorted
}

// DefaultJournalName names the first journal key when OpenJournalKeys is
// given no name.
const DefaultJournalName = "localhost/navette-journal"

// OpenJournalKeys loads the journal's keys in dir, creating the directory
// (mode 0700) and a first active key named name if there is none, or if
// the active key has another name (the origin changed). An empty name keeps
// the active key whatever its name, or names the first key
// DefaultJournalName: operator commands, which do not know the origin, pass
// it. It refuses a directory or key file that group or others may access
// and any malformed key file.
func OpenJournalKeys(dir, name string) (*JournalKeys, error) {
	if strings.ContainsAny(name, "+ \n") {
		return nil, loadError(fmt.Errorf("keyring: %q cannot name journal keys", name))
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, loadError(fmt.Errorf("keyring: %w", err))
	}
	k := &JournalKeys{dir: dir, name: name}
	k.mu.Lock()
	defer k.mu.Unlock()
	if err := k.load(); err != nil {
		return nil, loadError(err)
	}
	k.defaultName()
	if k.signer == nil || k.signer.Name() != k.name {
		if err := k.rotate(); err != nil {
			return nil, loadError(err)
		}
	}
	return k, nil
}

// defaultName names the keys, when OpenJournalKeys was given no name, for
// the active key, or DefaultJournalName if there is none.
func (k *JournalKeys) defaultName() {
	if k.name == "" && k.signer != nil {
		k.name = k.signer.Name()
	}
	if k.name == "" {
		k.name = DefaultJournalName
	}
}

// Signer returns the active signer, reloading the directory first so that
// a rotation made by another process (the admin command) is followed.
// Returns the signer loaded before if the directory cannot be read.
func (k *JournalKeys) Signer() (note.Signer, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if err := k.load(); err != nil && k.signer == nil {
		return nil, loadError(err)
	}
	if k.signer == nil {
		return nil, loadError(errors.New("keyring: no active journal key"))
	}
	return k.signer, nil
}

// Verifiers returns the verifier keys, current and past, in note's
// verifier key text form, sorted.
func (k *JournalKeys) Verifiers() []string {
	k.mu.Lock()
	defer k.mu.Unlock()
	_ = k.load() // on failure, what was loaded before
	return slices.Clone(k.verifiers)
}

// Verifier returns the verifier key of the active signer.
func (k *JournalKeys) Verifier() (string, error) {
	s, err := k.Signer()
	if err != nil {
		return "", err
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	if v, ok := verifierOf(k.verifiers, s); ok {
		return v, nil
	}
	return "", loadError(fmt.Errorf("keyring: the active journal key %08x has no verifier key file", s.KeyHash()))
}

// Rotate makes a new active key and deletes the previous signer key,
// keeping its verifier key. It returns the new verifier key.
func (k *JournalKeys) Rotate() (string, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if err := k.rotate(); err != nil {
		return "", loadError(err)
	}
	if v, ok := verifierOf(k.verifiers, k.signer); ok {
		return v, nil
	}
	return "", loadError(errors.New("keyring: the new journal key is missing"))
}

// verifierOf returns the verifier key of verifiers that is s's.
func verifierOf(verifiers []string, s note.Signer) (string, bool) {
	for _, v := range verifiers {
		if vk, err := note.NewVerifier(v); err == nil && vk.KeyHash() == s.KeyHash() && vk.Name() == s.Name() {
			return v, true
		}
	}
	return "", false
}

// rotate does Rotate's work with k.mu held.
func (k *JournalKeys) rotate() error {
	if err := checkDir(k.dir); err != nil {
		return err
	}
	skey, vkey, signer, err := newJournalKey(k.dir, k.name)
	if err != nil {
		return err
	}
	h := signer.KeyHash()
	if err := writeJournalKey(k.dir, h, skey, vkey); err != nil {
		return err
	}
	old := k.signer
	if err := k.load(); err != nil {
		return err
	}
	if old != nil && old.KeyHash() != h {
		if err := os.Remove(filepath.Join(k.dir, journalFile(old.KeyHash(), journalSignerExt))); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("keyring: %w", err)
		}
	}
	return nil
}

// newJournalKey generates a signer key named name, and its verifier key,
// whose hash no key file of dir has.
func newJournalKey(dir, name string) (skey, vkey string, signer note.Signer, err error) {
	for {
		if skey, vkey, err = note.GenerateKey(rand.Reader, name); err != nil {
			return "", "", nil, fmt.Errorf("keyring: %w", err)
		}
		if signer, err = note.NewSigner(skey); err != nil {
			return "", "", nil, fmt.Errorf("keyring: %w", err)
		}
		// A new key must not take an existing one's file name.
		if _, err := os.Lstat(filepath.Join(dir, journalFile(signer.KeyHash(), journalVerifierExt))); errors.Is(err, fs.ErrNotExist) {
			return skey, vkey, signer, nil
		}
	}
}

// writeJournalKey writes the verifier and signer keys of hash h in dir,
// then makes the key active.
func writeJournalKey(dir string, h uint32, skey, vkey string) error {
	if err := writeFileAtomic(dir, journalFile(h, journalVerifierExt), []byte(vkey+"\n")); err != nil {
		return err
	}
	if err := writeFileAtomic(dir, journalFile(h, journalSignerExt), []byte(skey+"\n")); err != nil {
		return err
	}
	return writeFileAtomic(dir, journalActiveFile, fmt.Appendf(nil, "%08x\n", h))
}

// journalFile returns the name of the file of key hash h with extension
// ext.
func journalFile(h uint32, ext string) string {
	return fmt.Sprintf("%s%08x%s", journalPrefix, h, ext)
}

// load reads the journal's keys of the directory, with k.mu held. A
// rotation by another process can remove the signer key it was reading;
// it then reads the new one.
func (k *JournalKeys) load() error {
	for try := 1; ; try++ {
		b, err := k.loadOnce()
		if err == nil || try == 10 {
			return err
		}
		if now, _ := readPrivate(filepath.Join(k.dir, journalActiveFile)); bytes.Equal(now, b) {
			return err
		}
	}
}

// loadOnce reads the journal's keys of the directory, with k.mu held, and
// returns the active file's contents it used.
func (k *JournalKeys) loadOnce() ([]byte, error) {
	// The active file first: a key's files are written before the active
	// file names it, so a rotation meanwhile cannot hide the active key.
	b, err := readPrivate(filepath.Join(k.dir, journalActiveFile))
	exists := err == nil
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	if !exists {
		verifiers, err := journalVerifiers(k.dir)
		if err != nil {
			return b, err
		}
		k.signer, k.verifiers = nil, verifiers
		return b, nil
	}
	active, ok := bytes.CutSuffix(b, []byte("\n"))
	if !ok || len(active) != 8 || !lowerHex(string(active)) {
		return b, fmt.Errorf("keyring: %s: malformed, want a key hash and a newline", filepath.Join(k.dir, journalActiveFile))
	}
	// The signer key next, before the verifier keys, whose number grows
	// with every rotation: a rotation removes the old signer key, and the
	// shorter the time since the active file was read, the less likely it
	// is that one did meanwhile.
	signer, err := journalSigner(k.dir, string(active))
	if err != nil {
		return b, err
	}
	verifiers, err := journalVerifiers(k.dir)
	if err != nil {
		return b, err
	}
	if _, ok := verifierOf(verifiers, signer); !ok {
		return b, fmt.Errorf("keyring: %s has no verifier key file %s", filepath.Join(k.dir, journalFile(signer.KeyHash(), journalSignerExt)), journalFile(signer.KeyHash(), journalVerifierExt))
	}
	k.signer, k.verifiers = signer, verifiers
	return b, nil
}

// journalVerifiers reads the verifier keys of the journal in dir, sorted.
func journalVerifiers(dir string) ([]string, error) {
	if err := checkDir(dir); err != nil {
		return nil, err
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("keyring: %w", err)
	}
	var verifiers []string
	for _, e := range entries {
		name := e.Name()
		if !strings.HasPrefix(name, journalPrefix) || !strings.HasSuffix(name, journalVerifierExt) {
			continue
		}
		v, err := readJournalVerifier(dir, name)
		if err != nil {
			return nil, err
		}
		verifiers = append(verifiers, v)
	}
	slices.Sort(verifiers)
	return verifiers, nil
}

// readJournalVerifier reads the verifier key file name of dir, which must
// be named for the key's hash.
func readJournalVerifier(dir, name string) (string, error) {
	b, err := readPrivate(filepath.Join(dir, name))
	if err != nil {
		return "", err
	}
	text, ok := bytes.CutSuffix(b, []byte("\n"))
	v, err := note.NewVerifier(string(text))
	if !ok || err != nil || name != journalFile(v.KeyHash(), journalVerifierExt) {
		return "", fmt.Errorf("keyring: %s: malformed, want a note verifier key of that hash and a newline", filepath.Join(dir, name))
	}
	return string(text), nil
}

// journalSigner reads the signer key of hash active in dir.
func journalSigner(dir, active string) (note.Signer, error) {
	path := filepath.Join(dir, journalPrefix+active+journalSignerExt)
	b, err := readPrivate(path)
	if err != nil {
		return nil, err
	}
	text, ok := bytes.CutSuffix(b, []byte("\n"))
	signer, err := note.NewSigner(string(text))
	if !ok || err != nil || fmt.Sprintf("%08x", signer.KeyHash()) != active {
		return nil, fmt.Errorf("keyring: %s: malformed, want a note signer key of that hash and a newline", path)
	}
	return signer, nil
}

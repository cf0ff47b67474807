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
	"strconv"
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
//	<dir>/journal-<hash>.retired  for a retired key: the journal's tree size
//	                              when it was retired, in decimal, and a newline
//
// where <hash> is the key's note key hash, 8 lower-case hex digits, and
// <name> the journal's origin. Every file is mode 0600. Rotation makes a
// new active key, deletes the previous signer key, keeping its verifier
// key, so that checkpoints signed before still verify while nobody can
// sign with the old key any more, and records the tree size at its
// retirement: the old key signed no checkpoint of a larger tree, and
// verifiers given that size refuse one (a copy of the old signer key, from
// a backup or a node's disk, cannot sign the journal's future).

const (
	journalPrefix      = "journal-"
	journalSignerExt   = ".ed25519"
	journalVerifierExt = ".pub"
	journalRetiredExt  = ".retired"
	journalActiveFile  = "journal-active"
)

// JournalKeys holds the journal's signing keys of a key directory. It is
// safe for concurrent use.
type JournalKeys struct {
	dir  string
	name string

	mu        sync.Mutex
	signer    note.Signer
	verifiers []string         // verifier keys, sorted
	retired   map[uint32]int64 // tree size at retirement, by key hash
}

// DefaultJournalName names the first journal key when OpenJournalKeys is
// given no name.
const DefaultJournalName = "localhost/navette-journal"

// OpenJournalKeys loads the journal's keys in dir, creating the directory
// (mode 0700) and a first active key named name if there is none. An
// active key of another name is kept: Name says which, and RotateAs
// replaces it deliberately. An empty name names the first key
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
	if k.signer == nil {
		if _, err := k.rotate(k.name, nil); err != nil {
			return nil, loadError(err)
		}
	}
	return k, nil
}

// Name returns the name of the active key: the origin of the checkpoints
// it signs.
func (k *JournalKeys) Name() string {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.signer == nil {
		return k.name
	}
	return k.signer.Name()
}

// HasJournalKey reports whether the key directory dir names an active
// journal key; OpenJournalKeys makes one where it does not.
func HasJournalKey(dir string) bool {
	_, err := os.Lstat(filepath.Join(dir, journalActiveFile))
	return !errors.Is(err, fs.ErrNotExist)
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
// Returns an error, not the signer loaded before, if the directory cannot
// be read: that signer may have been retired meanwhile, and must sign no
// tree larger than the one its retirement records.
func (k *JournalKeys) Signer() (note.Signer, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if err := k.load(); err != nil {
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

// Rotation is what a rotation did: the new key, and the key it retired.
type Rotation struct {
	Verifier string // the new active key's verifier key
	// Retired is the verifier key of the key the rotation retired, "" if
	// there was none; RetiredAt the journal's tree size at its retirement.
	Retired   string
	RetiredAt int64
}

// Rotate makes a new active key of the active key's name; see RotateAs.
func (k *JournalKeys) Rotate(treeSize func() (int64, error)) (Rotation, error) {
	return k.RotateAs("", treeSize)
}

// RotateAs makes a new active key named name ("" for the active key's
// name), deletes the previous signer key, keeping its verifier key, and
// records its retirement at the tree size that treeSize, called once the
// new key is active, returns: no checkpoint signed by the old key can be
// of a larger tree, as a signer reads the tree's size before it loads its
// key (proof.Checkpointer). A failure after the new key is active leaves
// the old key retired without its size.
func (k *JournalKeys) RotateAs(name string, treeSize func() (int64, error)) (Rotation, error) {
	if strings.ContainsAny(name, "+ \n") {
		return Rotation{}, loadError(fmt.Errorf("keyring: %q cannot name journal keys", name))
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	if name == "" {
		name = k.name
		if k.signer != nil {
			name = k.signer.Name()
		}
	}
	old, err := k.rotate(name, treeSize)
	if err != nil {
		return Rotation{}, loadError(err)
	}
	v, ok := verifierOf(k.verifiers, k.signer)
	if !ok {
		return Rotation{}, loadError(errors.New("keyring: the new journal key is missing"))
	}
	r := Rotation{Verifier: v}
	if old != nil {
		r.Retired, _ = verifierOf(k.verifiers, old)
		r.RetiredAt = k.retired[old.KeyHash()]
	}
	return r, nil
}

// Retirements returns the tree size at which each retired key was
// retired, by verifier key; keys retired before sizes were recorded are
// not in it.
func (k *JournalKeys) Retirements() map[string]int64 {
	k.mu.Lock()
	defer k.mu.Unlock()
	_ = k.load() // on failure, what was loaded before
	out := make(map[string]int64, len(k.retired))
	for _, v := range k.verifiers {
		if vk, err := note.NewVerifier(v); err == nil {
			if n, ok := k.retired[vk.KeyHash()]; ok {
				out[v] = n
			}
		}
	}
	return out
}

// JournalKeyList reads, without opening any signer, the journal's verifier
// keys in dir and the tree size at which each retired one was retired
// (keys retired before sizes were recorded are not in retired): what a
// backup lists so that a restored journal is bounded as the live one.
func JournalKeyList(dir string) (verifiers []string, retired map[string]int64, err error) {
	if verifiers, err = journalVerifiers(dir); err != nil {
		return nil, nil, err
	}
	sizes, err := journalRetired(dir)
	if err != nil {
		return nil, nil, err
	}
	retired = map[string]int64{}
	for _, v := range verifiers {
		if vk, err := note.NewVerifier(v); err == nil {
			if n, ok := sizes[vk.KeyHash()]; ok {
				retired[v] = n
			}
		}
	}
	return verifiers, retired, nil
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

// rotate does RotateAs's work with k.mu held, and returns the signer it
// retired, nil if there was none. Without treeSize, the retired key is
// recorded as having signed nothing (size 0).
func (k *JournalKeys) rotate(name string, treeSize func() (int64, error)) (note.Signer, error) {
	if err := checkDir(k.dir); err != nil {
		return nil, err
	}
	skey, vkey, signer, err := newJournalKey(k.dir, name)
	if err != nil {
		return nil, err
	}
	h := signer.KeyHash()
	if err := writeJournalKey(k.dir, h, skey, vkey); err != nil {
		return nil, err
	}
	old := k.signer
	if err := k.load(); err != nil {
		return nil, err
	}
	if old == nil || old.KeyHash() == h {
		return nil, nil
	}
	if err := os.Remove(filepath.Join(k.dir, journalFile(old.KeyHash(), journalSignerExt))); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("keyring: %w", err)
	}
	var size int64
	if treeSize != nil {
		if size, err = treeSize(); err != nil {
			return nil, err
		}
	}
	if err := writeFileAtomic(k.dir, journalFile(old.KeyHash(), journalRetiredExt), fmt.Appendf(nil, "%d\n", size)); err != nil {
		return nil, err
	}
	return old, k.load()
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
		retired, err := journalRetired(k.dir)
		if err != nil {
			return b, err
		}
		k.signer, k.verifiers, k.retired = nil, verifiers, retired
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
	retired, err := journalRetired(k.dir)
	if err != nil {
		return b, err
	}
	if _, ok := retired[signer.KeyHash()]; ok {
		return b, fmt.Errorf("keyring: the active journal key %s was retired (%s): it signs no more", journalFile(signer.KeyHash(), journalSignerExt), journalFile(signer.KeyHash(), journalRetiredExt))
	}
	k.signer, k.verifiers, k.retired = signer, verifiers, retired
	return b, nil
}

// journalRetired reads the retirement records of dir: the tree size at
// which each retired key was retired, by key hash.
func journalRetired(dir string) (map[uint32]int64, error) {
	names, err := filepath.Glob(filepath.Join(dir, journalPrefix+"*"+journalRetiredExt))
	if err != nil {
		return nil, fmt.Errorf("keyring: %w", err)
	}
	retired := make(map[uint32]int64, len(names))
	for _, path := range names {
		hex := strings.TrimSuffix(strings.TrimPrefix(filepath.Base(path), journalPrefix), journalRetiredExt)
		h, err1 := strconv.ParseUint(hex, 16, 32)
		b, err := readPrivate(path)
		if err != nil {
			return nil, err
		}
		text, ok := bytes.CutSuffix(b, []byte("\n"))
		n, err2 := strconv.ParseInt(string(text), 10, 64)
		if !ok || err1 != nil || err2 != nil || n < 0 || len(hex) != 8 || !lowerHex(hex) || strconv.FormatInt(n, 10) != string(text) {
			return nil, fmt.Errorf("keyring: %s: malformed, want a tree size in decimal and a newline", path)
		}
		retired[uint32(h)] = n
	}
	return retired, nil
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

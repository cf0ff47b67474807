package receipt

import (
	"bufio"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/mod/sumdb/note"
)

// algEd25519 is the signed-note algorithm byte of an Ed25519 key.
const algEd25519 = 0x01

// maxKeys bounds how many verifier keys a key list may hold.
const maxKeys = 1000

// Key is a journal verifier key: the public half of a key that signs
// checkpoints, in the signed-note verifier key form
// name+hash+base64(0x01 || 32-byte Ed25519 public key), where hash is the
// first 4 bytes, in 8 hex digits, of SHA-256(name || "\n" || 0x01 || key).
// It implements note.Verifier.
type Key struct {
	name string
	hash uint32
	pub  ed25519.PublicKey
	text string
	// retired says the key was retired when the journal had retiredAt
	// events: it signs no checkpoint of a larger tree.
	retired   bool
	retiredAt int64
}

// ParseKey reads one verifier key.
func ParseKey(text string) (*Key, error) {
	bad := func(why string) error {
		return failf("%q is not a journal verifier key (name+hash+base64 key): %s", "%q n'est pas une clé de vérification du journal (nom+empreinte+clé en base64) : %s", clip(text), why)
	}
	name, rest, ok1 := strings.Cut(text, "+")
	hash16, key64, ok2 := strings.Cut(rest, "+")
	if !ok1 || !ok2 || !validName(name) {
		return nil, bad("malformed")
	}
	hash, err := strconv.ParseUint(hash16, 16, 32)
	if len(hash16) != 8 || err != nil {
		return nil, bad("the hash is not 8 hex digits")
	}
	key, ok := decodeEd25519Key(key64)
	if !ok {
		return nil, bad("not an Ed25519 key")
	}
	if uint32(hash) != keyHash(name, key) {
		return nil, bad("the hash does not match the name and key")
	}
	if smallOrder(key[1:]) {
		return nil, smallOrderKey(text)
	}
	return &Key{name: name, hash: uint32(hash), pub: ed25519.PublicKey(key[1:]), text: text}, nil
}

// smallOrderKey is the refusal of a key of small order, named by what
// names it.
func smallOrderKey(what string) error {
	return failf("%q is an Ed25519 key of small order, with which anyone can sign without any secret: it is not a journal key",
		"%q est une clé Ed25519 d'ordre petit, avec laquelle n'importe qui peut signer sans aucun secret : ce n'est pas une clé du journal", clip(what))
}

// decodeEd25519Key decodes the base64 key of a verifier key: the Ed25519
// algorithm byte, then the 32-byte public key.
func decodeEd25519Key(key64 string) ([]byte, bool) {
	key, ok := decodeBase64(key64)
	return key, ok && len(key) == 1+ed25519.PublicKeySize && key[0] == algEd25519
}

// retiredPrefix starts the line of a key list that bounds a retired key:
// "# retired NAME+HASH SIZE", a comment to readers that do not know it.
const retiredPrefix = "# retired "

// RetiredLine returns the line of a key list saying that the verifier key
// key was retired when the journal had size events: it signs no
// checkpoint of a larger tree.
func RetiredLine(key string, size int64) string {
	name, rest, _ := strings.Cut(key, "+")
	hash, _, _ := strings.Cut(rest, "+")
	return retiredPrefix + name + "+" + hash + " " + strconv.FormatInt(size, 10)
}

// ParseKeys reads verifier keys, one a line, and the retirement lines
// (RetiredLine) that bound some of them; other lines starting with # and
// blank lines are skipped.
func ParseKeys(text string) ([]*Key, error) {
	var keys []*Key
	var retired []string
	sc := bufio.NewScanner(strings.NewReader(text))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if meantRetired(line) {
			retired = append(retired, line)
		}
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if len(keys) == maxKeys {
			return nil, failf("more than %d keys", "plus de %d clés", maxKeys)
		}
		k, err := ParseKey(line)
		if err != nil {
			return nil, err
		}
		keys = append(keys, k)
	}
	if err := sc.Err(); err != nil {
		return nil, failf("cannot read the keys: %v", "lecture des clés impossible : %v", err)
	}
	if err := applyRetired(keys, retired); err != nil {
		return nil, err
	}
	return keys, nil
}

// applyRetired bounds the keys that the retirement lines name, by name
// and hash (the hash's case does not matter, as it does not to a
// signature's); a line naming no key of keys bounds nothing.
func applyRetired(keys []*Key, lines []string) error {
	for _, line := range lines {
		name, hash, size, err := parseRetired(line)
		if err != nil {
			return err
		}
		for _, k := range keys {
			if k.name == name && k.hash == hash && (!k.retired || size < k.retiredAt) {
				k.retired, k.retiredAt = true, size
			}
		}
	}
	return nil
}

// meantRetired reports whether line, a trimmed line of a key list, is a
// retirement line or is meant as one ("#retired", "# Retired", a tab):
// such a line is read as one, and refused if it is not exactly one, rather
// than skipped as a comment, which would leave its key unbounded.
func meantRetired(line string) bool {
	rest, ok := strings.CutPrefix(line, "#")
	f := strings.Fields(rest)
	return ok && len(f) > 0 && strings.EqualFold(f[0], "retired")
}

// parseRetired reads a retirement line: the key's name and hash, and the
// tree size at its retirement.
func parseRetired(line string) (string, uint32, int64, error) {
	rest, prefixed := strings.CutPrefix(line, retiredPrefix)
	id, n, ok := strings.Cut(rest, " ")
	name, hash16, _ := strings.Cut(id, "+")
	size, err := strconv.ParseInt(n, 10, 64)
	hash, herr := strconv.ParseUint(hash16, 16, 32)
	if !prefixed || !ok || err != nil || size < 0 || strconv.FormatInt(size, 10) != n || strings.Count(id, "+") != 1 || len(hash16) != 8 || herr != nil {
		return "", 0, 0, failf("%q is not a retired key's line (# retired NAME+HASH TREE_SIZE)", "%q n'est pas la ligne d'une clé retirée (# retired NOM+EMPREINTE TAILLE_D_ARBRE)", clip(line))
	}
	return name, uint32(hash), size, nil
}

// Retired reports whether the key was retired, and the journal's tree
// size then: it signs no checkpoint of a larger tree.
func (k *Key) Retired() (size int64, retired bool) { return k.retiredAt, k.retired }

// Lines returns the key as lines of a key list: its verifier key, and its
// retirement line if it was retired.
func (k *Key) Lines() []string {
	if !k.retired {
		return []string{k.text}
	}
	return []string{k.text, RetiredLine(k.text, k.retiredAt)}
}

// NewKey returns the verifier key of an Ed25519 public key under name.
func NewKey(name string, pub ed25519.PublicKey) (*Key, error) {
	if !validName(name) || len(pub) != ed25519.PublicKeySize {
		return nil, failf("invalid key name or public key", "nom de clé ou clé publique invalide")
	}
	if smallOrder(pub) {
		return nil, smallOrderKey(name)
	}
	enc := append([]byte{algEd25519}, pub...)
	h := keyHash(name, enc)
	return &Key{name: name, hash: h, pub: append(ed25519.PublicKey(nil), pub...),
		text: fmt.Sprintf("%s+%08x+%s", name, h, base64.StdEncoding.EncodeToString(enc))}, nil
}

// Name returns the key's name, which is also the origin of the checkpoints
// it signs.
func (k *Key) Name() string { return k.name }

// KeyHash returns the key hash that signature lines carry.
func (k *Key) KeyHash() uint32 { return k.hash }

// String returns the key in verifier key form.
func (k *Key) String() string { return k.text }

// Verify reports whether sig is the key's Ed25519 signature of msg.
func (k *Key) Verify(msg, sig []byte) bool { return verifyEd25519(k.pub, msg, sig) }

// verifyEd25519 is the signature check of every checkpoint: RFC 8032
// Ed25519 with canonical encodings only (s < L, R and A valid points), as
// crypto/ed25519 does. Wycheproof's vectors drive it (and Key.Verify).
func verifyEd25519(pub, msg, sig []byte) bool {
	if len(pub) != ed25519.PublicKeySize || len(sig) != ed25519.SignatureSize {
		return false
	}
	return ed25519.Verify(pub, msg, sig)
}

// keyHash is the signed-note key hash of a name and an encoded key.
func keyHash(name string, key []byte) uint32 {
	h := sha256.New()
	h.Write([]byte(name))
	h.Write([]byte("\n"))
	h.Write(key)
	return binary.BigEndian.Uint32(h.Sum(nil))
}

// validName is the signed-note rule: non-empty UTF-8, no space, no "+".
func validName(name string) bool {
	return name != "" && utf8.ValidString(name) && strings.IndexFunc(name, unicode.IsSpace) < 0 && !strings.Contains(name, "+")
}

func clip(s string) string {
	if len(s) > 60 {
		return strings.ToValidUTF8(s[:60], "") + "…"
	}
	return s
}

var _ note.Verifier = (*Key)(nil)

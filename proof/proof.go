// Package proof makes the journal's proofs: signed checkpoints of its
// Merkle tree (C2SP tlog-checkpoint in a C2SP signed note, Ed25519), their
// time-stamps from a time-stamping authority, inclusion and consistency
// proofs, and the verification of the whole journal against its
// checkpoints. The tree itself is kept by storage (navette.JournalStore);
// docs/proofs.md describes the construction.
package proof

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"navette"
	"navette/receipt"
)

// Stamper obtains trusted time for a checkpoint: a time-stamping authority
// (RFC 3161) signs that digest existed at its time.
type Stamper interface {
	// Stamp returns a DER-encoded RFC 3161 TimeStampToken over digest, the
	// SHA-256 of a checkpoint's whole signed note.
	Stamp(ctx context.Context, digest []byte) (token []byte, err error)
}

// Keys gives the journal's signing keys (keyring.JournalKeys).
type Keys interface {
	// Signer returns the key that signs new checkpoints; its name is the
	// journal's origin.
	Signer() (note.Signer, error)
	// Verifiers returns the verifier keys, current and past, in note's
	// verifier key text form.
	Verifiers() []string
	// Retirements returns, by verifier key, the journal's tree size when
	// each retired key was retired: it signed no checkpoint of a larger
	// tree.
	Retirements() map[string]int64
}

// FormatCheckpoint returns the body of a C2SP tlog-checkpoint: the origin,
// the tree size in decimal and the root hash in standard base64, each on a
// line.
func FormatCheckpoint(origin string, size int64, root tlog.Hash) string {
	return fmt.Sprintf("%s\n%d\n%s\n", origin, size, base64.StdEncoding.EncodeToString(root[:]))
}

// ParseCheckpoint parses the body of a C2SP tlog-checkpoint; extension
// lines after the root hash are ignored.
func ParseCheckpoint(text string) (origin string, size int64, root tlog.Hash, err error) {
	lines := strings.SplitN(text, "\n", 4)
	if len(lines) < 4 || lines[0] == "" {
		return "", 0, root, errors.New("a checkpoint has an origin, a tree size and a root hash, each on a line")
	}
	size, err = strconv.ParseInt(lines[1], 10, 64)
	if err != nil || size < 0 || strconv.FormatInt(size, 10) != lines[1] {
		return "", 0, root, fmt.Errorf("malformed tree size %q", lines[1])
	}
	// Strict decoding still skips CR and LF inside the text: the encoding
	// read back must be the line itself, or two texts would be one
	// checkpoint.
	h, err := base64.StdEncoding.Strict().DecodeString(lines[2])
	if err != nil || len(h) != tlog.HashSize || base64.StdEncoding.EncodeToString(h) != lines[2] {
		return "", 0, root, fmt.Errorf("malformed root hash %q", lines[2])
	}
	return lines[0], size, tlog.Hash(h), nil
}

// Verifiers parses verifier keys in note's text form; blank strings and
// comments (#, as the retirement lines of the published key list) are
// skipped.
func Verifiers(keys []string) (note.Verifiers, error) {
	var vs []note.Verifier
	for _, k := range keys {
		if k = strings.TrimSpace(k); k == "" || strings.HasPrefix(k, "#") {
			continue
		}
		v, err := note.NewVerifier(k)
		if err != nil {
			return nil, fmt.Errorf("verifier key %q: %w", k, err)
		}
		vs = append(vs, v)
	}
	if len(vs) == 0 {
		return nil, errors.New("no verifier key")
	}
	return note.VerifierList(vs...), nil
}

// OpenCheckpoint checks that msg is a checkpoint signed by one of the
// verifier keys, whose origin is the key's name, and returns its size and
// root hash. keys may hold the retirement lines of the published key list
// (receipt.RetiredLine): a retired key cannot have signed a checkpoint of
// a larger tree than the journal had at its retirement.
func OpenCheckpoint(msg []byte, keys []string) (size int64, root tlog.Hash, err error) {
	vs, err := Verifiers(keys)
	if err != nil {
		return 0, root, err
	}
	retired, err := retiredAt(keys)
	if err != nil {
		return 0, root, err
	}
	n, err := note.Open(msg, vs)
	if err == nil {
		err = receipt.CheckSignatureLines(msg, vs)
	}
	if err != nil {
		return 0, root, fmt.Errorf("the checkpoint's signature does not verify: %w", err)
	}
	origin, size, root, err := ParseCheckpoint(n.Text)
	if err != nil {
		return 0, root, err
	}
	late := ""
	for _, s := range n.Sigs {
		id := fmt.Sprintf("%s+%08x", s.Name, s.Hash)
		if max, ok := retired[id]; ok && s.Name == origin && size > max {
			late = fmt.Sprintf("the checkpoint, of a tree of %d leaves, is signed by key %s, retired when the journal had %d: that key cannot have signed it", size, id, max)
		} else if s.Name == origin {
			return size, root, nil
		}
	}
	if late != "" {
		return 0, root, errors.New(late)
	}
	return 0, root, fmt.Errorf("the checkpoint's origin %q is not the name of the key that signed it", origin)
}

// retiredAt returns the tree size at the retirement of each retired key
// that the retirement lines among keys name, by name+hash.
func retiredAt(keys []string) (map[string]int64, error) {
	ks, err := receipt.ParseKeys(strings.Join(keys, "\n"))
	if err != nil {
		return nil, err
	}
	out := map[string]int64{}
	for _, k := range ks {
		if n, ok := k.Retired(); ok {
			out[fmt.Sprintf("%s+%08x", k.Name(), k.KeyHash())] = n
		}
	}
	return out, nil
}

// Sign returns the signed note of the checkpoint of a tree of size leaves
// whose root hash is root, by signer, whose name is the origin.
func Sign(signer note.Signer, size int64, root tlog.Hash) ([]byte, error) {
	return note.Sign(&note.Note{Text: FormatCheckpoint(signer.Name(), size, root)}, signer)
}

// HashReader reads the tree's stored hashes from s.
func HashReader(ctx context.Context, s navette.JournalStore) tlog.HashReader {
	return tlog.HashReaderFunc(func(indexes []int64) ([]tlog.Hash, error) { return s.ReadHashes(ctx, indexes) })
}

// Inclusion returns the proof that leaf is in the tree of size leaves
// (tlog.RecordProof). Returns EINVALID unless 0 <= leaf < size <= the tree's
// size.
func Inclusion(ctx context.Context, s navette.JournalStore, leaf, size int64) (tlog.RecordProof, error) {
	n, err := s.TreeSize(ctx)
	if err != nil {
		return nil, err
	}
	if leaf < 0 || leaf >= size || size > n {
		return nil, navette.Errorf(navette.EINVALID, "An inclusion proof needs 0 ≤ index < size ≤ %d, the journal's size.", n)
	}
	p, err := tlog.ProveRecord(size, leaf, HashReader(ctx, s))
	if err != nil {
		return nil, wrapTree(err)
	}
	return p, nil
}

// Consistency returns the proof that the tree of from leaves is a prefix
// of the tree of to leaves (tlog.TreeProof). Returns EINVALID unless
// 1 <= from <= to <= the tree's size.
func Consistency(ctx context.Context, s navette.JournalStore, from, to int64) (tlog.TreeProof, error) {
	n, err := s.TreeSize(ctx)
	if err != nil {
		return nil, err
	}
	if from < 1 || from > to || to > n {
		return nil, navette.Errorf(navette.EINVALID, "A consistency proof needs 1 ≤ from ≤ to ≤ %d, the journal's size.", n)
	}
	p, err := tlog.ProveTree(to, from, HashReader(ctx, s))
	if err != nil {
		return nil, wrapTree(err)
	}
	return p, nil
}

// wrapTree returns err, from tlog reading the store, as a navette error.
func wrapTree(err error) error {
	var e *navette.Error
	if errors.As(err, &e) {
		return err
	}
	return navette.WrapError(navette.EINTERNAL, fmt.Errorf("proof: journal tree: %w", err), "")
}

// checkStored checks that a stored checkpoint's note is signed by one of
// keys and states the size and root stored beside it.
func checkStored(c *navette.Checkpoint, keys []string) error {
	size, root, err := OpenCheckpoint(c.Note, keys)
	if err != nil {
		return err
	}
	if size != c.Size || !bytes.Equal(root[:], c.Root[:]) {
		return fmt.Errorf("the checkpoint stored for %d leaves signs a tree of %d leaves or another root", c.Size, size)
	}
	return nil
}

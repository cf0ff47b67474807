package receipt

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

// proofVectors is testdata/proof-vectors.json at the repository's root,
// written by testdata/proof-vectors.py, an independent implementation in
// Python; docs/proofs.md describes its schema.
type proofVectors struct {
	Leaves []struct {
		Event    Event  `json:"event"`
		Leaf     string `json:"leaf"`
		LeafHash string `json:"leaf_hash"`
		Claims   string `json:"claims"`
	} `json:"leaves"`
	Roots []struct {
		Size int64  `json:"size"`
		Root string `json:"root"`
	} `json:"roots"`
	Inclusion []struct {
		Index    int64    `json:"index"`
		TreeSize int64    `json:"tree_size"`
		Hashes   []string `json:"hashes"`
	} `json:"inclusion"`
	Checkpoint struct {
		Origin      string `json:"origin"`
		TreeSize    int64  `json:"tree_size"`
		Seed        string `json:"seed"`
		VerifierKey string `json:"verifier_key"`
		Body        string `json:"body"`
		Note        string `json:"note"`
	} `json:"checkpoint"`
	Receipt string `json:"receipt"`
}

// TestProofVectors: navette's leaf encoding, tree, inclusion proofs,
// checkpoint signature, claims serialisation and receipt agree byte for
// byte with the independent Python implementation's vectors.
func TestProofVectors(t *testing.T) {
	raw, err := os.ReadFile("../testdata/proof-vectors.json")
	if err != nil {
		t.Fatal(err)
	}
	var v proofVectors
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatal(err)
	}
	if len(v.Leaves) < 7 || len(v.Roots) != len(v.Leaves) || len(v.Inclusion) < 2 {
		t.Fatalf("vectors incomplete: %d leaves, %d roots, %d proofs", len(v.Leaves), len(v.Roots), len(v.Inclusion))
	}

	var stored []tlog.Hash
	reader := tlog.HashReaderFunc(func(idx []int64) ([]tlog.Hash, error) {
		out := make([]tlog.Hash, len(idx))
		for i, x := range idx {
			out[i] = stored[x]
		}
		return out, nil
	})
	for i, l := range v.Leaves {
		e := l.Event
		if got := hex.EncodeToString(LeafBytes(&e)); got != l.Leaf {
			t.Errorf("leaf %d: %s, want %s", i, got, l.Leaf)
		}
		h := LeafHash(&e)
		if got := hex.EncodeToString(h[:]); got != l.LeafHash {
			t.Errorf("leaf hash %d: %s, want %s", i, got, l.LeafHash)
		}
		if l.Claims != "" {
			sum := sha256.Sum256([]byte(l.Claims))
			if !bytes.Equal(sum[:], e.ClaimsSHA256) {
				t.Errorf("claims %d: SHA-256 differs from the event's", i)
			}
			c, err := ParseClaims([]byte(l.Claims))
			if err != nil {
				t.Fatal(err)
			}
			if again, _ := marshal(c); string(again) != l.Claims {
				t.Errorf("claims %d: written as\n%s\nwant\n%s", i, again, l.Claims)
			}
		}
		hs, err := tlog.StoredHashes(int64(i), LeafBytes(&e), reader)
		if err != nil {
			t.Fatal(err)
		}
		stored = append(stored, hs...)
	}
	for _, r := range v.Roots {
		root, err := tlog.TreeHash(r.Size, reader)
		if err != nil {
			t.Fatal(err)
		}
		if got := hex.EncodeToString(root[:]); got != r.Root {
			t.Errorf("root of %d: %s, want %s", r.Size, got, r.Root)
		}
	}
	for _, p := range v.Inclusion {
		var want []string
		if p.TreeSize == int64(len(v.Leaves)) || p.TreeSize == 1 {
			proof, err := tlog.ProveRecord(p.TreeSize, p.Index, reader)
			if err != nil {
				t.Fatal(err)
			}
			for _, h := range proof {
				want = append(want, hex.EncodeToString(h[:]))
			}
			if fmt.Sprint(want) != fmt.Sprint(p.Hashes) {
				t.Errorf("proof of %d in %d: %v, want %v", p.Index, p.TreeSize, p.Hashes, want)
			}
		}
	}

	cp := v.Checkpoint
	seed, err := hex.DecodeString(cp.Seed)
	if err != nil {
		t.Fatal(err)
	}
	priv := ed25519.NewKeyFromSeed(seed)
	key, err := NewKey(cp.Origin, priv.Public().(ed25519.PublicKey))
	if err != nil {
		t.Fatal(err)
	}
	if key.String() != cp.VerifierKey {
		t.Errorf("verifier key %s, want %s", key, cp.VerifierKey)
	}
	if _, err := note.NewVerifier(cp.VerifierKey); err != nil {
		t.Errorf("x/mod/sumdb/note refuses the verifier key: %v", err)
	}
	root, _ := tlog.TreeHash(cp.TreeSize, reader)
	if body := fmt.Sprintf("%s\n%d\n%s\n", cp.Origin, cp.TreeSize, base64.StdEncoding.EncodeToString(root[:])); body != cp.Body {
		t.Errorf("checkpoint body %q, want %q", body, cp.Body)
	}
	signer, err := note.NewSigner(fmt.Sprintf("PRIVATE+KEY+%s+%08x+%s", cp.Origin, key.KeyHash(), base64.StdEncoding.EncodeToString(append([]byte{algEd25519}, seed...))))
	if err != nil {
		t.Fatal(err)
	}
	signed, err := note.Sign(&note.Note{Text: cp.Body}, signer)
	if err != nil {
		t.Fatal(err)
	}
	if string(signed) != cp.Note {
		t.Errorf("signed note\n%s\nwant\n%s", signed, cp.Note)
	}

	r, err := Parse([]byte(v.Receipt))
	if err != nil {
		t.Fatal(err)
	}
	res, err := Verify(r, []string{cp.VerifierKey}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.Claims == nil || res.Claims.Deposit.Reference == "" || res.TimeSource != TimeSourceServer {
		t.Errorf("result %+v", res)
	}
	if again := mustMarshal(t, r); string(again) != v.Receipt {
		t.Errorf("receipt written as\n%s\nwant\n%s", again, v.Receipt)
	}
	p := Pieces{ID: r.ID, Kind: r.Kind, IssuedAt: r.IssuedAt.Time, Event: r.Event, Claims: []byte(r.Claims),
		TreeSize: r.Inclusion.TreeSize, Checkpoint: []byte(r.Checkpoint)}
	proof, _ := tlog.ProveRecord(r.Inclusion.TreeSize, r.Event.Index, reader)
	p.Proof = proof
	assembled, err := Assemble(p)
	if err != nil {
		t.Fatal(err)
	}
	if again := mustMarshal(t, assembled); string(again) != v.Receipt {
		t.Errorf("receipt assembled as\n%s\nwant\n%s", again, v.Receipt)
	}
	if r.IssuedAt.Location() != time.UTC {
		t.Errorf("issued_at in %v", r.IssuedAt.Location())
	}
}

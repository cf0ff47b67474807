package seal

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"
)

// Regenerate the vectors with: go test ./seal -run TestVectors -update
var update = flag.Bool("update", false, "rewrite testdata/vectors.json")

const vectorsFile = "testdata/vectors.json"

// vectorFile is the layout of testdata/vectors.json.
type vectorFile struct {
	Comment []string `json:"comment"`
	Vectors []vector `json:"vectors"`
}

// vector is one test vector; byte strings are hex. Segment vectors have
// file_id, index and last; value vectors have purpose and id.
type vector struct {
	Name      string `json:"name"`
	Kind      string `json:"kind"` // "segment" or "value"
	Key       string `json:"key"`
	FileID    string `json:"file_id,omitempty"`
	Index     int64  `json:"index"`
	Last      bool   `json:"last"`
	Purpose   string `json:"purpose,omitempty"`
	ID        string `json:"id,omitempty"`
	Nonce     string `json:"nonce"`
	AD        string `json:"ad"`
	Plaintext string `json:"plaintext"`
	Sealed    string `json:"sealed"`
}

// stream returns n deterministic pseudo-random bytes named by label.
func stream(label string, n int) []byte {
	var out []byte
	for i := uint32(0); len(out) < n; i++ {
		h := sha256.Sum256(binary.BigEndian.AppendUint32([]byte(label), i))
		out = append(out, h[:]...)
	}
	return out[:n]
}

// makeVectors computes the test vectors from deterministic inputs.
func makeVectors(tb testing.TB) vectorFile {
	rawKey := stream("navette seal test vector key", KeySize)
	k, err := NewKey(rawKey)
	if err != nil {
		tb.Fatal(err)
	}
	segments := []struct {
		name      string
		index     int64
		last      bool
		plaintext []byte
	}{
		{"empty final segment (a file of 0 bytes)", 0, true, nil},
		{"short final segment", 2, true, []byte("navette: short final segment\n")},
		{"full non-final segment", 0, false, stream("navette seal test vector segment 0", SegmentSize)},
		{"full final segment", 1, true, stream("navette seal test vector segment 1", SegmentSize)},
	}
	f := vectorFile{Comment: []string{
		"Test vectors of navette's sealing format (package navette/seal, docs/crypto.md).",
		"AES-256-GCM; byte strings are hex. sealed = nonce || ciphertext || tag.",
		"segment: ad = header || uint16be(len(file_id)) || file_id || uint64be(index) || (last ? 01 : 00),",
		"  header = 4e56545345414c00 01 10 000000000000.",
		"value: ad = \"navette value v1\" || uint16be(len(purpose)) || purpose || uint16be(len(id)) || id.",
		"Regenerate with: go test ./seal -run TestVectors -update",
	}}
	for _, s := range segments {
		nonce := stream("navette seal test vector nonce "+s.name, NonceSize)
		f.Vectors = append(f.Vectors, vector{
			Name: s.name, Kind: "segment", Key: hex.EncodeToString(rawKey),
			FileID: testFileID, Index: s.index, Last: s.last,
			Nonce:     hex.EncodeToString(nonce),
			AD:        hex.EncodeToString(appendSegmentAD(nil, testFileID, s.index, s.last)),
			Plaintext: hex.EncodeToString(s.plaintext),
			Sealed:    hex.EncodeToString(k.sealSegment(nil, nonce, testFileID, s.index, s.last, s.plaintext)),
		})
	}
	values := []struct{ name, purpose, id, plaintext string }{
		{"value: a file name", "file name", testFileID, "Conclusions récapitulatives n° 3.pdf"},
		{"value: empty message", "message", "q5p4o3n2m7l6k5j4i3h2g7f6e5d4c3b2", ""},
	}
	for _, v := range values {
		nonce := stream("navette seal test vector nonce "+v.name, NonceSize)
		f.Vectors = append(f.Vectors, vector{
			Name: v.name, Kind: "value", Key: hex.EncodeToString(rawKey),
			Purpose: v.purpose, ID: v.id,
			Nonce:     hex.EncodeToString(nonce),
			AD:        hex.EncodeToString(appendValueAD(nil, v.purpose, v.id)),
			Plaintext: hex.EncodeToString([]byte(v.plaintext)),
			Sealed:    hex.EncodeToString(k.sealValue(nonce, v.purpose, v.id, []byte(v.plaintext))),
		})
	}
	return f
}

func TestVectors(t *testing.T) {
	if *update {
		b, err := json.MarshalIndent(makeVectors(t), "", "  ")
		if err != nil {
			t.Fatal(err)
		}
		if err := os.MkdirAll(filepath.Dir(vectorsFile), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(vectorsFile, append(b, '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	b, err := os.ReadFile(vectorsFile)
	if err != nil {
		t.Fatal(err)
	}
	var f vectorFile
	if err := json.Unmarshal(b, &f); err != nil {
		t.Fatal(err)
	}
	if got, want := len(f.Vectors), 6; got != want {
		t.Fatalf("%s: got %d vectors, want %d", vectorsFile, got, want)
	}
	unhex := func(name, field, s string) []byte {
		b, err := hex.DecodeString(s)
		if err != nil {
			t.Fatalf("%q: %s: %v", name, field, err)
		}
		return b
	}
	for _, v := range f.Vectors {
		k, err := NewKey(unhex(v.Name, "key", v.Key))
		if err != nil {
			t.Fatalf("%q: %v", v.Name, err)
		}
		nonce, ad := unhex(v.Name, "nonce", v.Nonce), unhex(v.Name, "ad", v.AD)
		pt, sealed := unhex(v.Name, "plaintext", v.Plaintext), unhex(v.Name, "sealed", v.Sealed)
		var opened, resealed, wantAD []byte
		switch v.Kind {
		case "segment":
			wantAD = appendSegmentAD(nil, v.FileID, v.Index, v.Last)
			opened, err = k.OpenSegment(nil, v.FileID, v.Index, v.Last, sealed)
			resealed = k.sealSegment(nil, nonce, v.FileID, v.Index, v.Last, pt)
		case "value":
			wantAD = appendValueAD(nil, v.Purpose, v.ID)
			opened, err = k.OpenValue(v.Purpose, v.ID, sealed)
			resealed = k.sealValue(nonce, v.Purpose, v.ID, pt)
		default:
			t.Fatalf("%q: unknown kind %q", v.Name, v.Kind)
		}
		if !bytes.Equal(ad, wantAD) {
			t.Errorf("%q: got ad %x, want %x", v.Name, ad, wantAD)
		}
		if err != nil || !bytes.Equal(opened, pt) {
			t.Errorf("%q: opening: got %x, %v, want %x", v.Name, opened, err, pt)
		}
		if !bytes.Equal(resealed, sealed) {
			t.Errorf("%q: sealing with the nonce: got %x, want %x", v.Name, resealed, sealed)
		}
		if !bytes.Equal(sealed[:NonceSize], nonce) {
			t.Errorf("%q: got sealed nonce %x, want %x", v.Name, sealed[:NonceSize], nonce)
		}
	}
}

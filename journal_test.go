package navette_test

import (
	"encoding/hex"
	"encoding/json"
	"os"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/tlog"

	"navette"
)

// TestChainHashVectors checks ChainHash against testdata/journal-vectors.json,
// computed from the construction's description by a separate program (in
// Python), so that the description, the vectors and the code agree.
func TestChainHashVectors(t *testing.T) {
	b, err := os.ReadFile("testdata/journal-vectors.json")
	if err != nil {
		t.Fatal(err)
	}
	var file struct {
		Vectors []struct {
			Prev  string
			Event struct {
				Time      time.Time
				Type      string
				ActorID   string `json:"actor_id"`
				DepositID string `json:"deposit_id"`
				FileID    string `json:"file_id"`
				Size      int64
				SHA256    string
				Detail    string
			}
			Hash string
		}
	}
	if err := json.Unmarshal(b, &file); err != nil {
		t.Fatal(err)
	}
	if len(file.Vectors) < 3 {
		t.Fatalf("%d vectors", len(file.Vectors))
	}
	for i, v := range file.Vectors {
		prev, _ := hex.DecodeString(v.Prev)
		sum, _ := hex.DecodeString(v.Event.SHA256)
		e := &navette.Event{Time: v.Event.Time, Type: navette.EventType(v.Event.Type), ActorID: v.Event.ActorID,
			DepositID: v.Event.DepositID, FileID: v.Event.FileID, Size: v.Event.Size, SHA256: sum, Detail: v.Event.Detail}
		if got := hex.EncodeToString(navette.ChainHash(prev, e)); got != v.Hash {
			t.Errorf("vector %d: got %s, want %s", i, got, v.Hash)
		}
	}
}

// TestEventLeafVectors checks EventLeaf and the tree built over it against
// testdata/leaf-vectors.json, computed from the construction's description
// by a separate program (in Python).
func TestEventLeafVectors(t *testing.T) {
	b, err := os.ReadFile("testdata/leaf-vectors.json")
	if err != nil {
		t.Fatal(err)
	}
	var file struct {
		Leaves []struct {
			Event    vectorEvent
			Leaf     string
			LeafHash string `json:"leaf_hash"`
		}
		Roots []string
	}
	if err := json.Unmarshal(b, &file); err != nil {
		t.Fatal(err)
	}
	if len(file.Leaves) < 3 || len(file.Roots) != len(file.Leaves) {
		t.Fatalf("%d vectors, %d roots", len(file.Leaves), len(file.Roots))
	}
	var hashes []tlog.Hash
	for i, v := range file.Leaves {
		e := v.Event.event(t)
		leaf := navette.EventLeaf(e)
		if got := hex.EncodeToString(leaf); got != v.Leaf {
			t.Errorf("vector %d: leaf\n got %s\nwant %s", i, got, v.Leaf)
		}
		if got := tlog.RecordHash(leaf); hex.EncodeToString(got[:]) != v.LeafHash {
			t.Errorf("vector %d: leaf hash %x, want %s", i, got, v.LeafHash)
		}
		hs, err := tlog.StoredHashes(int64(i), leaf, tlog.HashReaderFunc(func(xs []int64) ([]tlog.Hash, error) {
			out := make([]tlog.Hash, len(xs))
			for j, x := range xs {
				out[j] = hashes[x]
			}
			return out, nil
		}))
		if err != nil {
			t.Fatal(err)
		}
		hashes = append(hashes, hs...)
		root, err := tlog.TreeHash(int64(i+1), tlog.HashReaderFunc(func(xs []int64) ([]tlog.Hash, error) {
			out := make([]tlog.Hash, len(xs))
			for j, x := range xs {
				out[j] = hashes[x]
			}
			return out, nil
		}))
		if err != nil {
			t.Fatal(err)
		}
		if hex.EncodeToString(root[:]) != file.Roots[i] {
			t.Errorf("root of %d leaves: %x, want %s", i+1, root, file.Roots[i])
		}
	}
}

// TestProofVectors checks EventLeaf against testdata/proof-vectors.json, the
// vectors of the receipt format, computed independently by
// testdata/proof-vectors.py.
func TestProofVectors(t *testing.T) {
	b, err := os.ReadFile("testdata/proof-vectors.json")
	if err != nil {
		t.Fatal(err)
	}
	var file struct {
		Leaves []struct {
			Event    vectorEvent
			Leaf     string
			LeafHash string `json:"leaf_hash"`
		}
	}
	if err := json.Unmarshal(b, &file); err != nil {
		t.Fatal(err)
	}
	if len(file.Leaves) == 0 {
		t.Fatal("no leaf vectors")
	}
	for i, v := range file.Leaves {
		leaf := navette.EventLeaf(v.Event.event(t))
		if v.Leaf != "" && hex.EncodeToString(leaf) != v.Leaf {
			t.Errorf("vector %d: leaf %x, want %s", i, leaf, v.Leaf)
		}
		if h := tlog.RecordHash(leaf); hex.EncodeToString(h[:]) != v.LeafHash {
			t.Errorf("vector %d: leaf hash %x, want %s", i, h, v.LeafHash)
		}
	}
}

// vectorEvent is an event as test vectors write it.
type vectorEvent struct {
	Time      time.Time
	Type      string
	ActorID   string `json:"actor_id"`
	DepositID string `json:"deposit_id"`
	FileID    string `json:"file_id"`
	Size      int64
	SHA256    string
	Detail    string
	Claims    string `json:"claims"`
	ClaimsSHA string `json:"claims_sha256"`
}

func (v vectorEvent) event(t *testing.T) *navette.Event {
	t.Helper()
	sum, err1 := hex.DecodeString(v.SHA256)
	claims, err2 := hex.DecodeString(v.Claims + v.ClaimsSHA)
	if err1 != nil || err2 != nil {
		t.Fatalf("bad hex in %+v", v)
	}
	return &navette.Event{Time: v.Time, Type: navette.EventType(v.Type), ActorID: v.ActorID, DepositID: v.DepositID,
		FileID: v.FileID, Size: v.Size, SHA256: sum, Detail: v.Detail, Claims: claims}
}

package navette_test

import (
	"encoding/hex"
	"encoding/json"
	"os"
	"testing"
	"time"

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

package clustertest

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"

	"navette"
	"navette/api"
)

// TestIdempotencyKeyAcrossNodes: one creation sent at once to both nodes
// of a cluster with one Idempotency-Key, as a client retrying through a
// load balancer may, makes one draft: every answer is that draft, or a 409
// from a node still busy with an earlier copy; the node whose copy the
// database refused for the other's answers with the other's draft.
func TestIdempotencyKeyAcrossNodes(t *testing.T) {
	c := newCluster(t, 2)
	const rounds, copies = 5, 6
	body := `{"recipients": ["` + lawyerEmail + `"], "reference": "RG 26/NOEUDS", "retention_days": 7}`
	for round := range rounds {
		key := fmt.Sprintf(`"round-%d"`, round)
		ids := make([]string, copies)
		var wg sync.WaitGroup
		for i := range copies {
			wg.Go(func() {
				resp, b, err := c.do(i%2, http.MethodPost, api.PathDeposits, c.agent, strings.NewReader(body), int64(len(body)),
					"Content-Type", "application/json", api.HeaderIdempotencyKey, key)
				switch {
				case err != nil:
					t.Error(err)
				case resp.StatusCode == http.StatusCreated:
					var d api.Deposit
					if err := json.Unmarshal(b, &d); err != nil {
						t.Errorf("round %d: %v in %s", round, err, b)
					}
					ids[i] = d.ID
				default:
					var p api.Problem
					if resp.StatusCode != http.StatusConflict || json.Unmarshal(b, &p) != nil || p.Type != navette.ProblemIdempotencyKeyInUse {
						t.Errorf("round %d, node %d: got %d %s, want 201, or 409 while the node is busy with the key", round, i%2+1, resp.StatusCode, b)
					}
				}
			})
		}
		wg.Wait()
		var first string
		for _, id := range ids {
			if id != "" && first == "" {
				first = id
			}
			if id != "" && id != first {
				t.Errorf("round %d: deposits %s and %s made with one key", round, first, id)
			}
		}
	}
	l, err := c.client(0, c.agent).List(context.Background(), "sent", "", 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(l.Deposits) != rounds {
		t.Errorf("drafts: got %d, want %d, one a key", len(l.Deposits), rounds)
	}
}

package clustertest

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"

	"golang.org/x/mod/sumdb/tlog"

	"navette/api"
	"navette/proof"
	"navette/receipt"
)

// checkReceipts checks that every receipt of every deposit of ids, as the
// sender gets them through the nodes in turn, verifies offline
// (receipt.Verify) with the journal's published keys, that each deposit
// has a receipt of each kind of want, and that every checkpoint the
// receipts rest on is of one tree: the tree of the latest checkpoint,
// proven consistent with it (through an auditor's token). It returns the
// number of receipts checked.
func (c *cluster) checkReceipts(ids []string, want ...string) int {
	c.t.Helper()
	_, body, err := c.do(0, "GET", api.PathJournalKeys, c.agent, nil, 0)
	if err != nil {
		c.t.Fatal(err)
	}
	keys := strings.Fields(string(body))
	type checkpoint struct {
		size int64
		root tlog.Hash
	}
	var (
		mu     sync.Mutex
		seen   = map[checkpoint]bool{}
		count  int
		errs   []error
		jobs   = make(chan int)
		wg     sync.WaitGroup
		failed = func(err error) {
			mu.Lock()
			defer mu.Unlock()
			errs = append(errs, err)
		}
	)
	for w := range 6 {
		wg.Go(func() {
			for k := range jobs {
				node := (k + w) % len(c.nodes)
				id := ids[k]
				resp, b, err := c.do(node, "GET", api.PathDeposits+"/"+id+"/receipts", c.agent, nil, 0)
				if err != nil || resp.StatusCode != http.StatusOK {
					failed(fmt.Errorf("receipts of %s through node %d: %v %s", id, node+1, err, b))
					continue
				}
				var list []api.ReceiptEntry
				if err := json.Unmarshal(b, &list); err != nil {
					failed(fmt.Errorf("receipts of %s: %w", id, err))
					continue
				}
				var kinds []string
				for _, e := range list {
					kinds = append(kinds, e.Kind)
					resp, b, err := c.do(node, "GET", e.URL, c.agent, nil, 0)
					if err != nil || resp.StatusCode != http.StatusOK {
						failed(fmt.Errorf("receipt %s through node %d: %v %s", e.URL, node+1, err, b))
						continue
					}
					r, err := receipt.Parse(b)
					if err != nil {
						failed(fmt.Errorf("receipt %s: %w", e.URL, err))
						continue
					}
					res, err := receipt.Verify(r, keys, nil)
					if err != nil {
						failed(fmt.Errorf("receipt %s (%s of %s) does not verify: %w", e.URL, e.Kind, id, err))
						continue
					}
					if res.Kind != e.Kind || res.Event.DepositID != id {
						failed(fmt.Errorf("receipt %s: a %s receipt of %s, listed as %s of %s", e.URL, res.Kind, res.Event.DepositID, e.Kind, id))
					}
					mu.Lock()
					seen[checkpoint{res.TreeSize, res.Root}] = true
					count++
					mu.Unlock()
				}
				for _, k := range want {
					if !slices.Contains(kinds, k) {
						failed(fmt.Errorf("deposit %s: receipts %v, no %s", id, kinds, k))
					}
				}
			}
		})
	}
	for k := range ids {
		jobs <- k
	}
	close(jobs)
	wg.Wait()
	for i, err := range errs {
		if i == 10 {
			c.t.Errorf("… and %d more", len(errs)-10)
			break
		}
		c.t.Error(err)
	}

	// One tree: each checkpoint is a prefix of the latest.
	resp, note, err := c.do(0, "GET", api.PathJournalCheckpoint, c.agent, nil, 0)
	if err != nil || resp.StatusCode != http.StatusOK {
		c.t.Fatalf("checkpoint: %v %s", err, note)
	}
	size, root, err := proof.OpenCheckpoint(note, keys)
	if err != nil {
		c.t.Fatal(err)
	}
	if c.auditor == "" {
		c.admin("user", "add", "--email", "audit@justice.example", "--name", "Inspection", "--role", "auditor")
		c.auditor = c.lastLine(c.admin("token", "create", "--email", "audit@justice.example"))
	}
	for cp := range seen {
		if cp.size > size {
			c.t.Errorf("a receipt rests on a tree of %d leaves, larger than the latest (%d)", cp.size, size)
			continue
		}
		if cp.size == size {
			if cp.root != root {
				c.t.Errorf("two trees of %d leaves: %v and %v", size, cp.root, root)
			}
			continue
		}
		resp, b, err := c.do(int(cp.size%int64(len(c.nodes))), "GET", api.PathJournalConsistency+"?from="+strconv.FormatInt(cp.size, 10)+"&to="+strconv.FormatInt(size, 10), c.auditor, nil, 0)
		if err != nil || resp.StatusCode != http.StatusOK {
			c.t.Fatalf("consistency %d → %d: %v %s", cp.size, size, err, b)
		}
		var p api.Proof
		if err := json.Unmarshal(b, &p); err != nil {
			c.t.Fatal(err)
		}
		tp := make(tlog.TreeProof, len(p.Hashes))
		for i, h := range p.Hashes {
			raw, err := base64.StdEncoding.DecodeString(h)
			if err != nil || len(raw) != tlog.HashSize {
				c.t.Fatalf("consistency %d → %d: hash %q", cp.size, size, h)
			}
			copy(tp[i][:], raw)
		}
		if err := tlog.CheckTree(tp, size, root, cp.size, cp.root); err != nil {
			c.t.Errorf("the checkpoint of %d leaves a receipt rests on is not a prefix of the latest (%d): %v", cp.size, size, err)
		}
	}
	c.t.Logf("%d receipts of %d deposits verify, on %d checkpoints of one tree of %d leaves", count, len(ids), len(seen), size)
	return count
}

package clustertest

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"navette"
	"navette/api"
	"navette/client"
	"navette/proof"
)

// TestMassExpiryPurgedOnce expires 500 deposits at the same instant while
// the sweepers of three nodes run every 200 ms: the journal holds exactly
// one expiry and one purge per deposit (per file), every receipt of every
// deposit verifies offline against one tree, every blob is gone from the
// bucket, and recipients get 410 Gone through every node.
func TestMassExpiryPurgedOnce(t *testing.T) {
	const deposits = 500
	const workers = 12
	c := newCluster(t, 3, sweepEvery(200*time.Millisecond), logLevel("info"))
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
	defer cancel()

	// Each deposit goes through its own node: created, one small file
	// uploaded and submitted there.
	var agents [3]*client.Client
	for i := range agents {
		agents[i] = c.client(i, c.agent)
	}
	ids := make([]string, deposits)
	files := make([]string, deposits)
	jobs := make(chan int)
	errs := make(chan error, workers)
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for k := range jobs {
				node := k % 3
				cl := agents[node]
				d, err := newDraft(ctx, cl, fmt.Sprintf("Parquet 26/%05d", k))
				if err == nil {
					files[k], err = cl.Upload(ctx, d.ID, "pv.pdf", bytes.NewReader(randomBytes(uint64(k), 1000+k)), int64(1000+k), nil)
				}
				if err == nil {
					_, err = cl.Submit(ctx, d.ID)
				}
				if err != nil {
					errs <- fmt.Errorf("deposit %d on node %d: %w", k, node+1, err)
					return
				}
				ids[k] = d.ID
			}
		})
	}
	start := time.Now()
feed:
	for k := range deposits {
		select {
		case jobs <- k:
		case err := <-errs:
			t.Error(err)
			break feed
		}
	}
	close(jobs)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if t.Failed() {
		t.FailNow()
	}
	t.Logf("%d deposits made through 3 nodes in %v", deposits, time.Since(start).Round(time.Millisecond))
	c.checkBucket(files...)
	// The receipts of the first deposits, while they are available, rest
	// on an earlier checkpoint than those checked after the purge.
	c.checkReceipts(ids[:30], "deposited", "available")

	// Test-only manipulation of the database: the nodes' clocks cannot be
	// moved, so the deposits' expiry is moved to the past, all in one
	// statement (times are Unix microseconds).
	db := c.sql()
	past := time.Now().Add(-time.Minute).UnixMicro()
	tag, err := db.Exec(ctx, `UPDATE deposits SET expires_at = $1 WHERE id = ANY($2) AND state = 'available'`, past, ids)
	if err != nil {
		t.Fatal(err)
	}
	if tag.RowsAffected() != deposits {
		t.Fatalf("expired %d deposits, want %d", tag.RowsAffected(), deposits)
	}
	start = time.Now()

	// The sweepers purge them and delete their blobs.
	var unpurged, blobs int
	for {
		err := db.QueryRow(ctx, `SELECT
			(SELECT count(*) FROM deposits WHERE id = ANY($1) AND purged_at IS NULL),
			(SELECT count(*) FROM files WHERE deposit_id = ANY($1) AND blob_deleted = 0)`, ids).Scan(&unpurged, &blobs)
		if err != nil {
			t.Fatal(err)
		}
		if unpurged == 0 && blobs == 0 {
			break
		}
		select {
		case <-ctx.Done():
			t.Fatalf("after %v, %d deposits are not purged and %d blobs not deleted", time.Since(start), unpurged, blobs)
		case <-time.After(pollEvery):
		}
	}
	t.Logf("500 deposits purged and their blobs deleted %v after they expired", time.Since(start).Round(time.Millisecond))

	// Exactly one expiry and one purge of each deposit in the journal.
	rows, err := db.Query(ctx, `SELECT deposit_id, type, count(*), min(detail), max(detail) FROM events
		WHERE deposit_id = ANY($1) AND type = ANY($2) GROUP BY deposit_id, type`,
		ids, []string{string(navette.EventDepositExpired), string(navette.EventDepositPurged)})
	if err != nil {
		t.Fatal(err)
	}
	counts := map[string]map[string]int64{}
	for rows.Next() {
		var id, typ, minDetail, maxDetail string
		var n int64
		if err := rows.Scan(&id, &typ, &n, &minDetail, &maxDetail); err != nil {
			t.Fatal(err)
		}
		if counts[id] == nil {
			counts[id] = map[string]int64{}
		}
		counts[id][typ] = n
		if typ == string(navette.EventDepositPurged) && (minDetail != "expired" || maxDetail != "expired") {
			t.Errorf("deposit %s purged with detail %q…%q, want expired", id, minDetail, maxDetail)
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	bad := 0
	for _, id := range ids {
		e, p := counts[id][string(navette.EventDepositExpired)], counts[id][string(navette.EventDepositPurged)]
		if e != 1 || p != 1 {
			if bad++; bad <= 10 {
				t.Errorf("deposit %s: %d expiry and %d purge events, want 1 and 1", id, e, p)
			}
		}
	}
	if bad > 0 {
		t.Errorf("%d of %d deposits are not journaled as expired and purged exactly once", bad, deposits)
	}
	// Three nodes appended to the journal at once: it is still one chain,
	// and one tree, whose checkpoint every node serves, signed with the
	// key they share, and which holds as a whole.
	_, keys, err := c.do(0, "GET", api.PathJournalKeys, c.agent, nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	for i := range c.nodes {
		resp, note, err := c.do(i, "GET", api.PathJournalCheckpoint, c.agent, nil, 0)
		if err != nil || resp.StatusCode != http.StatusOK {
			t.Fatalf("checkpoint from node %d: %v %s", i+1, err, note)
		}
		if size, _, err := proof.OpenCheckpoint(note, strings.Fields(string(keys))); err != nil || size < int64(2*deposits) {
			t.Errorf("checkpoint from node %d: %d leaves, %v", i+1, size, err)
		}
	}
	if out := c.admin("journal", "verify"); !strings.HasPrefix(out, "journal intact: ") || strings.Contains(out, "before the chain began") ||
		!strings.Contains(out, " signed checkpoints hold, the latest of ") {
		t.Errorf("journal verify: %s", out)
	}

	// Every receipt of every deposit verifies offline with the published
	// keys, on checkpoints of that one tree: the deposit's, its being made
	// available, left unclaimed and purged.
	c.checkReceipts(ids, "deposited", "available", "unclaimed", "purged")

	// Nothing left in the bucket, not even an aborted upload.
	if uploads := c.checkBucket(); len(uploads) > 0 {
		t.Errorf("multipart uploads left: %q", uploads)
	}
	for i, id := range ids[:3] {
		for n := range c.nodes {
			resp, b, err := c.do(n, "GET", "/api/v1/deposits/"+id+"/files/"+files[i], c.lawyer, nil, 0)
			if err != nil {
				t.Fatal(err)
			}
			if resp.StatusCode != http.StatusGone {
				t.Errorf("download of purged deposit %s through node %d: %d %s, want 410", id, n+1, resp.StatusCode, b)
			}
		}
	}

	// Which node did the work (from the nodes' "sweep" log lines): shown,
	// not asserted, as the share depends on timing.
	for _, nd := range c.nodes {
		e, p := nd.sweepStats()
		t.Logf("node %d: sweeps logged %d expiries, %d purges", nd.i+1, e, p)
	}
}

package clustertest

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"os/exec"
	"path"
	"strings"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"

	"navette/api"
	"navette/internal/testclamd"
)

// TestAntivirusAcrossNodes: uploads begun on one node and ended on
// another, on PostgreSQL and S3, are scanned from their sealed blob by the
// background checker of one node: EICAR split across the resume is found
// and the file destroyed; a clean file stored while clamd was down,
// submitted while it was checking, becomes available by itself once clamd
// is back. Then the scrubber finds a byte flipped in
// the clean file's object in one pass, and it is refused at download.
func TestAntivirusAcrossNodes(t *testing.T) {
	clamd := testclamd.New(t, testclamd.Options{})
	c := newCluster(t, 2, withClamd(clamd.URL))
	c.admin("user", "add", "--email", "admin@justice.example", "--name", "Administrateur", "--role", "admin")
	ctx, cancel := context.WithTimeout(t.Context(), 4*time.Minute)
	defer cancel()

	const size = 3 * mib
	cut := 2*mib - 20 // the resume falls inside EICAR
	infected := randomBytes(40, size)
	copy(infected[cut-30:], testclamd.EICAR)
	clean := randomBytes(41, size)

	upload := func(ref string, data []byte) (*api.Deposit, string) {
		t.Helper()
		d, err := c.newDeposit(ctx, 0, ref)
		if err != nil {
			t.Fatal(err)
		}
		loc := c.tusCreate(0, d.ID, "scelles.bin", size)
		for _, p := range []struct{ node, from, to int }{{0, 0, cut}, {1, cut, size}} {
			resp, b, err := c.tusPatch(p.node, loc, int64(p.from), bytes.NewReader(data[p.from:p.to]), int64(p.to-p.from))
			if err != nil || resp.StatusCode != http.StatusNoContent {
				t.Fatalf("PATCH on node %d: %v %v %s", p.node+1, err, resp, b)
			}
		}
		return d, path.Base(loc)
	}
	bad, badID := upload("Parquet 26/00066", infected)
	// clamd goes down before the clean file: it waits, and so does its
	// deposit, submitted meanwhile.
	if err := clamd.Stop(); err != nil {
		t.Fatal(err)
	}
	good, goodID := upload("Parquet 26/00067", clean)
	agent := c.client(1, c.agent)
	sub, err := agent.Submit(ctx, good.ID)
	if err != nil || sub.State != "checking" {
		t.Fatalf("submitting while checking: %+v, %v", sub, err)
	}
	if _, err := c.client(0, c.lawyer).Deposit(ctx, good.ID); err == nil {
		t.Errorf("the lawyer sees a deposit whose file is checking")
	}
	if err := clamd.Start(); err != nil {
		t.Fatal(err)
	}

	// The background checkers (one node at a time; the clean file after
	// its backoff of 30 s) decide.
	deadline := time.Now().Add(2 * time.Minute)
	for {
		b, err1 := agent.Deposit(ctx, bad.ID)
		g, err2 := agent.Deposit(ctx, good.ID)
		if err1 != nil || err2 != nil {
			t.Fatal(err1, err2)
		}
		if b.Files[0].State == "rejected" && g.State == "available" {
			if b.Files[0].Check != "infected" || b.Files[0].CheckDetail != testclamd.Signature {
				t.Errorf("infected file: %+v", b.Files[0])
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after two minutes: infected file %s, clean deposit %s", b.Files[0].State, g.State)
		}
		time.Sleep(200 * time.Millisecond)
	}
	if _, err := agent.Submit(ctx, bad.ID); err == nil || !strings.Contains(err.Error(), testclamd.Signature) {
		t.Errorf("submitting the infected deposit: %v", err)
	}
	var n int
	if err := c.sql().QueryRow(ctx, `SELECT count(*) FROM events WHERE type = 'file.infected' AND file_id = $1 AND detail = $2`,
		badID, "infected "+testclamd.Signature).Scan(&n); err != nil || n != 1 {
		t.Errorf("file.infected events: %d, %v", n, err)
	}
	if err := c.sql().QueryRow(ctx, `SELECT count(*) FROM notices WHERE kind = 'content_alert'`).Scan(&n); err != nil || n != 1 {
		t.Errorf("content alerts: %d, %v", n, err)
	}
	// The infected blob is gone from the bucket; the clean one is there.
	if uploads := c.checkBucket(goodID); len(uploads) > 0 {
		t.Errorf("multipart uploads left: %q", uploads)
	}
	for i := range c.nodes {
		if err := verifyDownload(ctx, c.client(i, c.lawyer), good.ID, goodID, clean); err != nil {
			t.Error(err)
		}
	}

	// A byte flipped in the clean file's object.
	key := blobPrefix + "blobs/" + goodID
	obj, err := s3srv.Client().GetObject(ctx, c.bucket, key, minio.GetObjectOptions{})
	if err != nil {
		t.Fatal(err)
	}
	blob, err := io.ReadAll(obj)
	obj.Close()
	if err != nil {
		t.Fatal(err)
	}
	blob[len(blob)/3] ^= 0x40
	if _, err := s3srv.Client().PutObject(ctx, c.bucket, key, bytes.NewReader(blob), int64(len(blob)), minio.PutObjectOptions{}); err != nil {
		t.Fatal(err)
	}
	cmd := exec.CommandContext(ctx, navetteBin, "admin", "scrub", "--data", c.nodes[0].dir, "--db", c.db, "--blobs", c.blobs, "--rate", "0")
	cmd.Env = nodeEnv()
	out, err := cmd.CombinedOutput()
	if err == nil || !strings.Contains(string(out), "corrupt file "+goodID) || !strings.Contains(string(out), "1 corrupt") {
		t.Fatalf("admin scrub: %v\n%s", err, out)
	}
	if err := c.sql().QueryRow(ctx, `SELECT count(*) FROM events WHERE type = 'file.corrupt' AND file_id = $1`, goodID).Scan(&n); err != nil || n != 1 {
		t.Errorf("file.corrupt events: %d, %v", n, err)
	}
	for i := range c.nodes {
		if err := verifyDownload(ctx, c.client(i, c.lawyer), good.ID, goodID, clean); err == nil {
			t.Errorf("node %d serves the corrupt file", i+1)
		}
	}
}

package clustertest

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"path"
	"strconv"
	"testing"
	"time"
)

// TestChunksOnAlternatingNodes sends the chunks of one tus upload to the
// three nodes in turn (created on node 1, chunk 1 through node 2, chunk 2
// through node 3, …), checking its offset through another node before each
// chunk; the deposit is submitted through yet another node, and each node
// then serves the file byte for byte.
func TestChunksOnAlternatingNodes(t *testing.T) {
	c := newCluster(t, 3)
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
	defer cancel()

	// Chunks that end inside 64 KiB segments and inside the store's 8 MiB
	// parts, below and above its 5 MiB minimum part, and one of a byte.
	chunks := []int{3*mib + 7, 9*mib + 1, 65536, 1, 5*mib - 3, 2*mib + 12345}
	size := 0
	for _, n := range chunks {
		size += n
	}
	data := randomBytes(1, size)

	d, err := c.newDeposit(ctx, 0, "Parquet 26/00001")
	if err != nil {
		t.Fatal(err)
	}
	loc := c.tusCreate(0, d.ID, "scelles.bin", int64(size))
	off := 0
	last := 0
	for k, n := range chunks {
		via := (k + 1) % 3
		if got := c.tusHead((via+1)%3, loc); got != int64(off) {
			t.Fatalf("before chunk %d, node %d says offset %d, want %d", k+1, (via+1)%3+1, got, off)
		}
		resp, b, err := c.tusPatch(via, loc, int64(off), bytes.NewReader(data[off:off+n]), int64(n))
		if err != nil {
			t.Fatal(err)
		}
		if resp.StatusCode != http.StatusNoContent || resp.Header.Get("Upload-Offset") != strconv.Itoa(off+n) {
			t.Fatalf("chunk %d on node %d: %d, Upload-Offset %q (%s), want 204 at %d", k+1, via+1, resp.StatusCode, resp.Header.Get("Upload-Offset"), b, off+n)
		}
		off += n
		last = via
	}
	for i := range c.nodes {
		if got := c.tusHead(i, loc); got != int64(size) {
			t.Errorf("after the last chunk, node %d says offset %d, want %d", i+1, got, size)
		}
	}

	submitVia := (last + 1) % 3
	if _, err := c.client(submitVia, c.agent).Submit(ctx, d.ID); err != nil {
		t.Fatalf("submit on node %d: %v", submitVia+1, err)
	}
	fileID := path.Base(loc)
	for i := range c.nodes {
		if got, err := c.checkAvailable(ctx, i, d.ID, data); err != nil {
			t.Error(err)
		} else if got != fileID {
			t.Errorf("node %d lists file %s, want %s", i+1, got, fileID)
		}
		if err := verifyDownload(ctx, c.client(i, c.lawyer), d.ID, fileID, data); err != nil {
			t.Error(err)
		}
	}
	if uploads := c.checkBucket(fileID); len(uploads) > 0 {
		t.Errorf("multipart uploads left: %q", uploads)
	}
}

// errClientGone is how the body of a PATCH ends when its node was killed.
var errClientGone = errors.New("the connection to the killed node is gone")

// TestNodeKilledMidUpload kills a node with SIGKILL while a PATCH streams
// to it. Another node reports the durable offset (which needs the upload's
// lock, held by the dead node's database session), the Go client resumes
// the upload there from that offset and completes it, and the file is
// intact through every node, the killed one restarted included.
func TestNodeKilledMidUpload(t *testing.T) {
	c := newCluster(t, 3)
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
	defer cancel()

	const size = 40*mib + 333
	const prefix = 5*mib + 100 // committed through node 1 first
	const gate = 20 * mib      // bytes of the second PATCH sent when node 2 dies
	data := randomBytes(2, size)
	d, err := c.newDeposit(ctx, 0, "Parquet 26/00002")
	if err != nil {
		t.Fatal(err)
	}
	loc := c.tusCreate(0, d.ID, "audition.mp4", size)
	resp, b, err := c.tusPatch(0, loc, 0, bytes.NewReader(data[:prefix]), prefix)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusNoContent {
		t.Fatalf("first PATCH: %d %s", resp.StatusCode, b)
	}

	body := newGatedReader(data[prefix:], gate, errClientGone)
	defer body.open() // should the test end early
	patched := make(chan error, 1)
	go func() {
		resp, b, err := c.tusPatch(1, loc, prefix, body, size-prefix)
		if err == nil {
			err = errors.New("the PATCH to the killed node got an answer: " + resp.Status + " " + string(b))
		}
		patched <- err
	}()
	select {
	case <-body.reached:
	case err := <-patched:
		t.Fatalf("the PATCH to node 2 ended before it sent %d bytes: %v", gate, err)
	case <-ctx.Done():
		t.Fatal("the PATCH to node 2 did not send its bytes")
	}
	// Node 2 is inside the upload: it has stored a part of its own in the
	// multipart upload, beyond the one node 1 committed.
	fileID := path.Base(loc)
	if err := c.waitParts(ctx, fileID, 2); err != nil {
		t.Fatal(err)
	}
	c.nodes[1].kill()
	body.open()
	select {
	case err := <-patched:
		t.Logf("the PATCH to the killed node: %v", err)
	case <-ctx.Done():
		t.Fatal("the PATCH to the killed node did not end")
	}

	// The durable offset: at least what node 1 committed, at most what was
	// sent. (Node 2 commits at the end of a body, so it is the former.)
	off := c.tusHead(2, loc)
	t.Logf("after the kill, node 3 says offset %d (committed before: %d, sent to node 2 up to: %d)", off, prefix, prefix+gate)
	if off < prefix || off > prefix+gate {
		t.Fatalf("after the kill, node 3 says offset %d, want between %d and %d", off, prefix, prefix+gate)
	}
	src := newWatchedSource(data)
	if err := c.client(2, c.agent).ResumeUpload(ctx, loc, src, size, nil); err != nil {
		t.Fatalf("resume through node 3: %v", err)
	}
	if low := src.lowest.Load(); low < off {
		t.Errorf("the resumed upload read the file from %d, before the durable offset %d", low, off)
	}
	if _, err := c.client(0, c.agent).Submit(ctx, d.ID); err != nil {
		t.Fatal(err)
	}

	if err := c.nodes[1].start(); err != nil {
		t.Fatal(err)
	}
	for i := range c.nodes {
		if _, err := c.checkAvailable(ctx, i, d.ID, data); err != nil {
			t.Error(err)
		}
		if err := verifyDownload(ctx, c.client(i, c.lawyer), d.ID, fileID, data); err != nil {
			t.Error(err)
		}
	}
	if uploads := c.checkBucket(fileID); len(uploads) > 0 {
		t.Errorf("multipart uploads left: %q", uploads)
	}
}

package clustertest

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// nodeAdmin runs "navette admin ARGS --data NODE --db DB" for node i and
// returns its exit status and its output, both streams.
func (c *cluster) nodeAdmin(i int, args ...string) (int, string) {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, navetteBin, append(append([]string{"admin"}, args...), "--data", c.nodes[i].dir, "--db", c.db)...)
	cmd.Env = nodeEnv()
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	if err != nil && cmd.ProcessState == nil {
		c.t.Fatalf("navette admin %s: %v", strings.Join(args, " "), err)
	}
	return cmd.ProcessState.ExitCode(), out.String()
}

// TestKeyRotationAcrossNodes rotates the key-encryption key of a running
// two-node cluster as docs/operations.md says (stage, copy, activate on
// each node, rewrap, retire on each node), without restarting a node: new
// deposits made through either node are wrapped under the new key, and a
// deposit made before downloads through both nodes after the old key is
// gone.
func TestKeyRotationAcrossNodes(t *testing.T) {
	c := newCluster(t, 2)
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
	defer cancel()
	db := c.sql()
	keyOf := func(depositID string) string {
		t.Helper()
		var id string
		if err := db.QueryRow(ctx, `SELECT key_id FROM deposits WHERE id = $1`, depositID).Scan(&id); err != nil {
			t.Fatal(err)
		}
		return id
	}

	data := randomBytes(7, 300_000)
	d, err := c.newDeposit(ctx, 0, "Parquet 26/00042")
	if err != nil {
		t.Fatal(err)
	}
	fileID, err := c.client(0, c.agent).Upload(ctx, d.ID, "pv.pdf", bytes.NewReader(data), int64(len(data)), nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.client(1, c.agent).Submit(ctx, d.ID); err != nil {
		t.Fatal(err)
	}
	old := keyOf(d.ID)

	code, out := c.nodeAdmin(0, "key", "rotate", "--stage")
	fresh := regexp.MustCompile(`[0-9a-f]{16}`).FindString(out)
	if code != 0 || fresh == "" {
		t.Fatalf("key rotate --stage: %d %q", code, out)
	}
	if d2, err := c.newDeposit(ctx, 0, "staged"); err != nil || keyOf(d2.ID) != old {
		t.Fatalf("a deposit made while the key is staged: %v, wrapped under %s; want %s", err, keyOf(d2.ID), old)
	}
	raw, err := os.ReadFile(filepath.Join(c.nodes[0].dir, "keys", fresh+".key"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(c.nodes[1].dir, "keys", fresh+".key"), raw, 0o600); err != nil {
		t.Fatal(err)
	}
	for i := range c.nodes {
		if code, out := c.nodeAdmin(i, "key", "activate", fresh); code != 0 {
			t.Fatalf("key activate on node %d: %d %q", i+1, code, out)
		}
	}
	// Each running node wraps new deposits under the new key within
	// seconds.
	for i := range c.nodes {
		for n := 0; ; n++ {
			d2, err := c.newDeposit(ctx, i, "after")
			if err != nil {
				t.Fatal(err)
			}
			if keyOf(d2.ID) == fresh {
				break
			}
			select {
			case <-ctx.Done():
				t.Fatalf("node %d never wrapped under the new key", i+1)
			case <-time.After(pollEvery):
			}
		}
	}

	if code, out := c.nodeAdmin(1, "key", "retire", old); code != 1 || !strings.Contains(out, "active key changed at") {
		t.Errorf("retire right after activation: %d %q; want refused", code, out)
	}
	// Every node reloaded (above): make the activation look as old as it
	// would be after the servers' reload delay, rather than wait for it.
	ago := time.Now().Add(-2 * time.Minute)
	for _, nd := range c.nodes {
		if err := os.Chtimes(filepath.Join(nd.dir, "keys", "active"), ago, ago); err != nil {
			t.Fatal(err)
		}
	}
	if code, out := c.nodeAdmin(1, "key", "retire", old); code != 1 || !strings.Contains(out, "deposit=") {
		t.Errorf("retire before rewrap: %d %q; want refused with counts", code, out)
	}
	if code, out := c.nodeAdmin(0, "key", "rewrap", "--batch", "3"); code != 0 || !strings.Contains(out, " 0 left") {
		t.Fatalf("rewrap: %d %q", code, out)
	}
	// The nodes have no --smtp: each keeps a local outbox of its own,
	// whose messages' keys only that node re-wraps (operations.md).
	for i := 1; i < len(c.nodes); i++ {
		if code, out := c.nodeAdmin(i, "key", "rewrap"); code != 0 || !strings.Contains(out, " 0 left") {
			t.Fatalf("rewrap of node %d's outbox: %d %q", i+1, code, out)
		}
	}
	var left int
	if err := db.QueryRow(ctx, `SELECT (SELECT COUNT(*) FROM deposits WHERE key_id NOT IN ('', $1))
		+ (SELECT COUNT(*) FROM deposits WHERE proof_key_id NOT IN ('', $1))
		+ (SELECT COUNT(*) FROM files WHERE key_id NOT IN ('', $1))
		+ (SELECT COUNT(*) FROM notices WHERE key_id NOT IN ('', $1))
		+ (SELECT COUNT(*) FROM users WHERE totp_key_id NOT IN ('', $1))`, fresh).Scan(&left); err != nil || left != 0 {
		t.Fatalf("after rewrap, %d stored keys not under %s (%v)", left, fresh, err)
	}
	for i := range c.nodes {
		if code, out := c.nodeAdmin(i, "key", "retire", old); code != 0 {
			t.Fatalf("retire on node %d: %d %q", i+1, code, out)
		}
		if _, err := os.Stat(filepath.Join(c.nodes[i].dir, "keys", old+".key")); !os.IsNotExist(err) {
			t.Errorf("node %d still has the retired key: %v", i+1, err)
		}
	}
	for i := range c.nodes {
		if err := verifyDownload(ctx, c.client(i, c.lawyer), d.ID, fileID, data); err != nil {
			t.Error(err)
		}
	}
}

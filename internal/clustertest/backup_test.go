package clustertest

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"

	"navette/api"
	"navette/backup"
)

// TestPostgresBackupRestore follows the procedure of docs/operations.md
// for PostgreSQL and S3 with the real servers: deposits are made, the
// database is dumped with the server's own pg_dump (custom format) while
// the node serves, another deposit is made, the bucket is copied after the
// dump and the keys exported apart; the dump is restored with pg_restore
// into a new, empty database, and a node started on it, the copied bucket
// and the imported keys serves the deposits made before the dump with the
// same SHA-256, not the one made after, takes new deposits, and
// "admin journal verify" passes on the restored database.
func TestPostgresBackupRestore(t *testing.T) {
	c := newCluster(t, 1)
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Minute)
	defer cancel()
	deposit := func(c *cluster, ref string, data []byte) (string, string) {
		t.Helper()
		d, err := c.newDeposit(ctx, 0, ref)
		if err != nil {
			t.Fatal(err)
		}
		agent := c.client(0, c.agent)
		if _, err := agent.Upload(ctx, d.ID, "pv.pdf", bytes.NewReader(data), int64(len(data)), nil); err != nil {
			t.Fatal(err)
		}
		if _, err := agent.Submit(ctx, d.ID); err != nil {
			t.Fatal(err)
		}
		fileID, err := c.checkAvailable(ctx, 0, d.ID, data)
		if err != nil {
			t.Fatal(err)
		}
		return d.ID, fileID
	}
	type kept struct {
		deposit, file string
		data          []byte
	}
	var before []kept
	for i, size := range []int{300 << 10, 3 * mib} {
		data := randomBytes(uint64(70+i), size)
		id, file := deposit(c, "RG 26/0007"+string(rune('0'+i)), data)
		before = append(before, kept{id, file, data})
	}
	// One of them downloaded before the dump: the restored server keeps
	// the record.
	if err := verifyDownload(ctx, c.client(0, c.lawyer), before[0].deposit, before[0].file, before[0].data); err != nil {
		t.Fatal(err)
	}

	tmp := t.TempDir()
	dump := filepath.Join(tmp, "navette.dump")
	pgTool(t, "pg_dump", "--format=custom", "--file="+dump, c.db)
	after, _ := deposit(c, "RG 26/00080", randomBytes(80, 100<<10))

	// The bucket is copied after the dump, as the procedure asks, so that
	// every blob the dump references is in the copy.
	bucket := s3srv.NewBucket(t)
	n := 0
	for o := range s3srv.Client().ListObjects(ctx, c.bucket, minio.ListObjectsOptions{Recursive: true}) {
		if o.Err != nil {
			t.Fatal(o.Err)
		}
		if _, err := s3srv.Client().CopyObject(ctx, minio.CopyDestOptions{Bucket: bucket, Object: o.Key}, minio.CopySrcOptions{Bucket: c.bucket, Object: o.Key}); err != nil {
			t.Fatal(err)
		}
		n++
	}
	if n != 3 {
		t.Fatalf("%d objects copied, want the 3 blobs", n)
	}
	keys := filepath.Join(tmp, "keys.tar")
	export := exec.CommandContext(ctx, navetteBin, "admin", "key", "export", "--data", c.nodes[0].dir, "--out", keys)
	export.Env = nodeEnv()
	if out, err := export.CombinedOutput(); err != nil {
		t.Fatalf("key export: %v\n%s", err, out)
	}

	db := pg.NewDatabase(t)
	pgTool(t, "pg_restore", "--dbname="+db, "--no-owner", "--exit-on-error", dump)
	dir := filepath.Join(tmp, "restored")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(keys)
	if err != nil {
		t.Fatal(err)
	}
	_, err = backup.ImportKeys(f, filepath.Join(dir, "keys"))
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	r := &cluster{t: t, db: db, bucket: bucket, set: c.set, agent: c.agent, lawyer: c.lawyer}
	r.blobs = s3srv.URL(bucket, "prefix="+strings.TrimSuffix(blobPrefix, "/"))
	r.nodes = []*node{{c: r, dir: dir, log: filepath.Join(tmp, "restored.log")}}
	t.Cleanup(r.shutdown)
	if err := r.nodes[0].start(); err != nil {
		t.Fatal(err)
	}

	for _, k := range before {
		if _, err := r.checkAvailable(ctx, 0, k.deposit, k.data); err != nil {
			t.Error(err)
		}
		if err := verifyDownload(ctx, r.client(0, r.lawyer), k.deposit, k.file, k.data); err != nil {
			t.Error(err)
		}
	}
	if d, err := r.client(0, r.agent).Deposit(ctx, before[0].deposit); err != nil || d.Recipients[0].FirstDownloadAt == nil {
		t.Errorf("the download made before the dump is not on the restored server: %+v, %v", d, err)
	}
	if resp, body, err := r.do(0, "GET", api.PathDeposits+"/"+after, r.agent, nil, 0); err != nil || resp.StatusCode != 404 {
		t.Errorf("the deposit made after the dump on the restored server: %v %s", err, body)
	}
	deposit(r, "RG 26/00081", randomBytes(81, 64<<10))
	code, out := r.nodeAdmin(0, "journal", "verify")
	if code != 0 || !strings.Contains(out, "journal intact: ") {
		t.Errorf("journal verify of the restored database: exit %d\n%s", code, out)
	}
}

// pgTool runs a client program of the PostgreSQL server's version, with
// none of the test process's PG* variables.
func pgTool(t *testing.T, name string, args ...string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, pg.Tool(name), args...)
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "PG") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%s: %v\n%s", name, err, out)
	}
}

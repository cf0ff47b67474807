package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"sync"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

	"navette/api"
	"navette/client"
	"navette/internal/testpg"
	"navette/internal/tests3"
	"navette/keyring"
	"navette/s3"
)

// rawPartSize is the part size of the raw PUT baseline: that of navette's
// S3 writer.
const rawPartSize = s3.PartSize

// clusterRound is one measured round of uploads to a set of nodes (none:
// the raw PUTs).
type clusterRound struct {
	elapsed time.Duration
	rss     []int64 // peak RSS of each node, KiB
	cpu     cpuUse  // CPU time of each process over the round
}

// cpuUse is the CPU time (user and system) of the processes of a round:
// the navette nodes, the S3 server, PostgreSQL (its postmaster and
// backends) and the bench's own clients.
type cpuUse struct {
	nodes, s3, pg, client time.Duration
}

// cpuMeter reads the CPU time of the processes of a round.
type cpuMeter struct {
	nodes      []int
	s3, pg     int
	start, end cpuUse
}

// read returns the CPU time of the processes so far.
func (m *cpuMeter) read() cpuUse {
	var u cpuUse
	for _, pid := range m.nodes {
		u.nodes += cpuTime(pid)
	}
	u.s3 = cpuTime(m.s3)
	if m.pg != 0 {
		u.pg = treeCPU(m.pg)
	}
	u.client = cpuTime(os.Getpid())
	return u
}

// used returns the CPU time spent between start and end.
func (m *cpuMeter) used() cpuUse {
	return cpuUse{
		nodes:  m.end.nodes - m.start.nodes,
		s3:     m.end.s3 - m.start.s3,
		pg:     m.end.pg - m.start.pg,
		client: m.end.client - m.start.client,
	}
}

// treeCPU returns the CPU time of process pid and of its children alive.
func treeCPU(pid int) time.Duration {
	t := cpuTime(pid)
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		child, err := strconv.Atoi(e.Name())
		if err != nil || parentPid(child) != pid {
			continue
		}
		t += cpuTime(child)
	}
	return t
}

// parentPid returns the parent of process pid, 0 if it cannot be read.
func parentPid(pid int) int {
	f := statFields(pid)
	if len(f) < 2 {
		return 0
	}
	ppid, _ := strconv.Atoi(f[1])
	return ppid
}

// clusterBench is a run of the cluster bench: the navette binary to
// measure (built when empty) and the profiler of its single node.
type clusterBench struct {
	base string
	bin  string
	prof *profiler
	// storeCore gives the S3 server a core of its own, and everything
	// else the others, as where the object store runs on machines of its
	// own: the two sides then do not take each other's CPU.
	storeCore bool
	// storeTLS runs the S3 server over HTTPS, as in production (the
	// store URL's default): its clients then send unsigned payloads.
	storeTLS bool
	// s3Params are parameters added to the nodes' S3 blob URL
	// (part_buffers=16).
	s3Params []string
}

// runCluster measures uploads concurrent uploads of size bytes, each its
// own deposit, through 1 node and through 3 nodes (round-robin) sharing a
// PostgreSQL server and an S3 server, and the S3 server's own throughput for
// as many concurrent PUTs of objects of that size, runs times each, in the
// same run on the same machine.
func runCluster(cb clusterBench, uploads int, size int64, runs int) error {
	tmp, err := os.MkdirTemp(cb.base, "navette-bench-cluster-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	bin := cb.bin
	if bin == "" {
		if bin, err = buildNavette(tmp, cb.prof.tags()...); err != nil {
			return err
		}
	}
	var storeCPUs []int
	if cb.storeCore {
		var rest []int
		if storeCPUs, rest, err = storeCores(); err != nil {
			return err
		}
		// PostgreSQL and the nodes, started from here, inherit it.
		if err := pin(os.Getpid(), rest); err != nil {
			return err
		}
		fmt.Printf("the S3 server on CPU %v, the nodes, PostgreSQL and the clients on CPUs %v\n", storeCPUs, rest)
	}
	fmt.Printf("starting PostgreSQL and versitygw…\n")
	pg, err := testpg.StartServer()
	if err != nil {
		return err
	}
	defer pg.Close()
	launch := tests3.Launch
	if cb.storeTLS {
		launch = tests3.LaunchTLS
	}
	srv, err := launch()
	if err != nil {
		return err
	}
	if cb.storeTLS {
		fmt.Printf("the S3 server over HTTPS: parts go unsigned, TLS checking them\n")
	}
	defer srv.Close()
	if storeCPUs != nil {
		if err := pin(srv.Pid(), storeCPUs); err != nil {
			return err
		}
	}
	data := make([]byte, size)
	rand.Read(data)

	var raw []clusterRound
	rounds := map[int][]clusterRound{}
	for r := range runs {
		fmt.Printf("run %d/%d: S3 raw PUTs…\n", r+1, runs)
		cr, err := rawPuts(srv, uploads, data, r)
		if err != nil {
			return fmt.Errorf("raw PUTs: %w", err)
		}
		raw = append(raw, cr)
		for _, n := range []int{1, 3} {
			fmt.Printf("run %d/%d: %d node(s)…\n", r+1, runs, n)
			var prof *profiler
			if n == 1 && r == 0 {
				prof = cb.prof
			}
			cr, err := clusterRun(tmp, bin, pg, srv, cb.s3Params, n, uploads, data, r, prof)
			if err != nil {
				return fmt.Errorf("%d node(s): %w", n, err)
			}
			rounds[n] = append(rounds[n], cr)
		}
	}
	reportCluster(uploads, size, runs, raw, rounds)
	return nil
}

// rawPuts PUTs uploads objects of data at once with minio-go and returns the
// time until the last is complete, and the CPU time spent.
func rawPuts(srv *tests3.Server, uploads int, data []byte, run int) (clusterRound, error) {
	var res clusterRound
	ctx := context.Background()
	cl, err := rawClient(srv, uploads)
	if err != nil {
		return res, err
	}
	bucket := fmt.Sprintf("raw-%d", run)
	if err := cl.MakeBucket(ctx, bucket, minio.MakeBucketOptions{}); err != nil {
		return res, err
	}
	defer emptyBucket(srv, bucket)
	errs := make([]error, uploads)
	var wg sync.WaitGroup
	m := cpuMeter{s3: srv.Pid()}
	m.start = m.read()
	start := time.Now()
	for i := range uploads {
		wg.Go(func() {
			_, errs[i] = cl.PutObject(ctx, bucket, fmt.Sprintf("obj-%03d", i), bytes.NewReader(data), int64(len(data)),
				minio.PutObjectOptions{PartSize: rawPartSize, ContentType: "application/octet-stream"})
		})
	}
	wg.Wait()
	res.elapsed = time.Since(start)
	m.end = m.read()
	res.cpu = m.used()
	return res, errors.Join(errs...)
}

// rawClient returns a client of srv for the raw PUTs: minio-go's, as an
// application would set it up, keeping its connections (the test client
// of tests3 opens one per request) for conns PUTs at once, and trusting
// srv's CA over HTTPS.
func rawClient(srv *tests3.Server, conns int) (*minio.Client, error) {
	tr, err := minio.DefaultTransport(srv.CAFile != "")
	if err != nil {
		return nil, err
	}
	tr.MaxIdleConnsPerHost = 4 * conns
	if srv.CAFile != "" {
		if tr.TLSClientConfig, err = srv.TLSConfig(); err != nil {
			return nil, err
		}
	}
	return minio.New(srv.Endpoint, &minio.Options{
		Creds:        credentials.NewStaticV4(srv.AccessKey, srv.SecretKey, ""),
		Secure:       srv.CAFile != "",
		Transport:    tr,
		Region:       "us-east-1",
		BucketLookup: minio.BucketLookupPath,
	})
}

// clusterRun starts n nodes on a new database and bucket, uploads through
// them round-robin, and stops them.
// With prof (n = 1), the node is profiled over the uploads.
func clusterRun(tmp, bin string, pg *testpg.Server, srv *tests3.Server, s3Params []string, n, uploads int, data []byte, run int, prof *profiler) (clusterRound, error) {
	var res clusterRound
	ctx := context.Background()
	name := fmt.Sprintf("bench_%d_%d", n, run)
	if err := pg.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		return res, err
	}
	defer pg.Exec(context.Background(), "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
	dbURL := pg.URL(name)
	bucket := fmt.Sprintf("nodes-%d-%d", n, run)
	if err := srv.Client().MakeBucket(ctx, bucket, minio.MakeBucketOptions{}); err != nil {
		return res, err
	}
	defer emptyBucket(srv, bucket)

	// Nodes with data directories of their own and the same keys.
	dirs := make([]string, n)
	for i := range dirs {
		dirs[i] = filepath.Join(tmp, name, "node"+strconv.Itoa(i+1))
		if err := os.MkdirAll(dirs[i], 0o700); err != nil {
			return res, err
		}
	}
	defer os.RemoveAll(filepath.Join(tmp, name))
	if _, err := keyring.Open(filepath.Join(dirs[0], "keys")); err != nil {
		return res, err
	}
	if _, err := keyring.OpenMAC(filepath.Join(dirs[0], "keys")); err != nil {
		return res, err
	}
	// The journal's signing keys too: with keys of its own, a node cannot
	// verify the checkpoints the others sign.
	if _, err := keyring.OpenJournalKeys(filepath.Join(dirs[0], "keys"), ""); err != nil {
		return res, err
	}
	for _, d := range dirs[1:] {
		if err := copyKeys(filepath.Join(dirs[0], "keys"), filepath.Join(d, "keys")); err != nil {
			return res, err
		}
	}
	sender, _, err := makeUsers(bin, dirs[0], "--db", dbURL)
	if err != nil {
		return res, err
	}
	env := append(os.Environ(), "NAVETTE_S3_ACCESS_KEY="+srv.AccessKey, "NAVETTE_S3_SECRET_KEY="+srv.SecretKey)
	var nodes []*exec.Cmd
	defer func() {
		for _, cmd := range nodes {
			stop(cmd)
		}
	}()
	var clients []*client.Client
	for _, d := range dirs {
		cmd := exec.Command(bin, "serve", "--addr", "127.0.0.1:0", "--data", d, "--db", dbURL, "--blobs", srv.URL(bucket, s3Params...),
			"--log-level", "warn", "--max-file-size", strconv.Itoa(len(data)), "--antivirus=off",
			// The uploads stand for as many people: no per-person cap.
			"--max-uploads-per-token", "0", "--max-uploads-per-user", "0")
		cmd.Env = append(env, prof.env()...)
		cmd, u, err := startCmd(cmd)
		if err != nil {
			return res, err
		}
		nodes = append(nodes, cmd)
		cl, err := client.New(u, sender)
		if err != nil {
			return res, err
		}
		clients = append(clients, cl)
	}

	sum := sha256.Sum256(data)
	want := hex.EncodeToString(sum[:])
	errs := make([]error, uploads)
	var wg sync.WaitGroup
	m := cpuMeter{s3: srv.Pid(), pg: pg.Pid()}
	for _, cmd := range nodes {
		m.nodes = append(m.nodes, cmd.Process.Pid)
	}
	prof.start(fmt.Sprintf("cluster-%d-%s.pprof", uploads, human(int64(len(data)))))
	m.start = m.read()
	start := time.Now()
	for i := range uploads {
		wg.Go(func() {
			cl := clients[i%n]
			d, err := cl.CreateDeposit(ctx, api.CreateDeposit{Recipients: []string{"avocat@bench.example"}, Reference: "bench " + strconv.Itoa(i)})
			if err == nil {
				_, err = cl.Upload(ctx, d.ID, "bench.bin", bytes.NewReader(data), int64(len(data)), nil)
			}
			if err == nil {
				d, err = cl.Submit(ctx, d.ID)
			}
			if err == nil && (len(d.Files) != 1 || d.Files[0].SHA256 != want) {
				err = fmt.Errorf("deposit %s: files %+v, want one with SHA-256 %s", d.ID, d.Files, want)
			}
			errs[i] = err
		})
	}
	wg.Wait()
	res.elapsed = time.Since(start)
	m.end = m.read()
	res.cpu = m.used()
	prof.stop()
	for _, cmd := range nodes {
		res.rss = append(res.rss, peakRSS(cmd))
	}
	return res, errors.Join(errs...)
}

// copyKeys copies a keys directory, keeping it private.
func copyKeys(from, to string) error {
	if err := os.Mkdir(to, 0o700); err != nil {
		return err
	}
	entries, err := os.ReadDir(from)
	if err != nil {
		return err
	}
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(from, e.Name()))
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(to, e.Name()), b, 0o600); err != nil {
			return err
		}
	}
	return nil
}

// emptyBucket removes a bucket and what it holds, to free the disk.
func emptyBucket(srv *tests3.Server, bucket string) {
	ctx := context.Background()
	cl := srv.Client()
	objs := cl.ListObjects(ctx, bucket, minio.ListObjectsOptions{Recursive: true})
	for e := range cl.RemoveObjects(ctx, bucket, objs, minio.RemoveObjectsOptions{}) {
		fmt.Fprintf(os.Stderr, "bench: removing %s: %v\n", e.ObjectName, e.Err)
	}
	if err := cl.RemoveBucket(ctx, bucket); err != nil {
		fmt.Fprintf(os.Stderr, "bench: removing bucket %s: %v\n", bucket, err)
	}
}

func reportCluster(uploads int, size int64, runs int, raw []clusterRound, rounds map[int][]clusterRound) {
	total := int64(uploads) * size
	fmt.Printf("\nnavette cluster bench: %d concurrent uploads of %s, each its own deposit (Go client, tus, one PATCH each);\n", uploads, human(size))
	fmt.Printf("median of %d runs; PostgreSQL (fsync off) and versitygw %s (posix) on this machine (%d CPUs), loopback; load %s\n", runs, tests3.Version, runtime.NumCPU(), loadAvg())
	fmt.Printf("baseline: the S3 server's own PUT throughput, %d concurrent minio-go PutObject of %s (%s parts, up to 4 in flight each)\n\n",
		uploads, human(size), human(rawPartSize))
	base := mbps(total, median(elapsed(raw)))
	fmt.Printf("%-30s %10s %14s\n", "", "MB/s", "ratio to raw")
	fmt.Printf("%-30s %10.0f %14.2f\n", "S3 raw PUT", base, 1.0)
	for _, n := range []int{1, 3} {
		m := mbps(total, median(elapsed(rounds[n])))
		fmt.Printf("%-30s %10.0f %14.2f\n", clusterLabel(n), m, m/base)
	}
	fmt.Printf("\nper run: MB/s, then CPU s/GiB uploaded of navette (all nodes), versitygw, PostgreSQL, the bench's clients\n")
	fmt.Printf("%-30s %4s %8s %8s %8s %8s %8s\n", "", "run", "MB/s", "navette", "s3", "pg", "client")
	for _, n := range []int{0, 1, 3} {
		rs := raw
		if n > 0 {
			rs = rounds[n]
		}
		for i, r := range rs {
			c := r.cpu
			fmt.Printf("%-30s %4d %8.0f %8.2f %8.2f %8.2f %8.2f\n", clusterLabel(n), i+1, mbps(total, r.elapsed),
				cpuPerGiB(c.nodes, total), cpuPerGiB(c.s3, total), cpuPerGiB(c.pg, total), cpuPerGiB(c.client, total))
		}
	}
	fmt.Printf("\npeak RSS of each node (VmHWM, MiB), per run:\n")
	for _, n := range []int{1, 3} {
		for i, r := range rounds[n] {
			fmt.Printf("  %d node(s), run %d:", n, i+1)
			for _, k := range r.rss {
				fmt.Printf(" %.1f", kib(k))
			}
			fmt.Println()
		}
	}
}

// clusterLabel names the rounds of n nodes, 0 for the raw PUTs.
func clusterLabel(n int) string {
	switch n {
	case 0:
		return "S3 raw PUT"
	case 1:
		return "navette, 1 node"
	}
	return fmt.Sprintf("navette, %d nodes round-robin", n)
}

// elapsed returns the wall times of rounds.
func elapsed(rounds []clusterRound) []time.Duration {
	ds := make([]time.Duration, len(rounds))
	for i, r := range rounds {
		ds[i] = r.elapsed
	}
	return ds
}

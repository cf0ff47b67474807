package clustertest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/minio/minio-go/v7"

	"navette/api"
	"navette/client"
	"navette/keyring"
)

const (
	mib = 1 << 20

	agentEmail  = "greffe@justice.example" // the sender of every cluster
	lawyerEmail = "avocat@barreau.example" // the recipient of every cluster

	blobPrefix = "navette/" // of the objects in a cluster's bucket

	startTimeout = time.Minute      // for a node to print its URL
	stopTimeout  = 30 * time.Second // for a node to stop on SIGTERM
	reqTimeout   = 2 * time.Minute  // for one request of the tests' own
	pollEvery    = 50 * time.Millisecond
)

// settings of a cluster's nodes.
type settings struct {
	sweepInterval time.Duration
	logLevel      string
	clamd         string
}

// option changes the settings of a cluster.
type option func(*settings)

// sweepEvery sets the nodes' --sweep-interval.
func sweepEvery(d time.Duration) option { return func(s *settings) { s.sweepInterval = d } }

// withClamd has the nodes scan every file with the clamd at url; without
// it they run with --antivirus=off.
func withClamd(url string) option { return func(s *settings) { s.clamd = url } }

// logLevel sets the nodes' --log-level.
func logLevel(l string) option { return func(s *settings) { s.logLevel = l } }

// cluster is a set of navette nodes, each a "navette serve" process with a
// data directory of its own, sharing a database, a bucket and the
// key-encryption keys, with an agent and a lawyer as users.
type cluster struct {
	t      *testing.T
	db     string // PostgreSQL URL
	bucket string
	blobs  string // the nodes' --blobs
	set    settings
	nodes  []*node

	agent, lawyer string // API tokens
	auditor       string // an auditor's API token, once checkReceipts made one
}

// node is one navette process of a cluster. Its URL changes when it is
// started again.
type node struct {
	c   *cluster
	i   int
	dir string // --data
	log string // stdout and stderr of every run

	mu     sync.Mutex
	url    string
	cmd    *exec.Cmd
	exited chan struct{} // closed when cmd has exited
	err    error         // cmd's exit status, once exited
}

// newCluster starts n nodes on a new database and bucket, makes the users
// with the admin commands, and stops the nodes when t ends.
func newCluster(t *testing.T, n int, opts ...option) *cluster {
	t.Helper()
	c := &cluster{
		t:      t,
		db:     pg.NewDatabase(t),
		bucket: s3srv.NewBucket(t),
		set:    settings{sweepInterval: time.Minute, logLevel: "warn"},
	}
	c.blobs = s3srv.URL(c.bucket, "prefix="+strings.TrimSuffix(blobPrefix, "/"))
	for _, o := range opts {
		o(&c.set)
	}
	base := t.TempDir()
	for i := range n {
		dir := filepath.Join(base, fmt.Sprintf("node%d", i+1))
		if err := os.Mkdir(dir, 0o700); err != nil {
			t.Fatal(err)
		}
		c.nodes = append(c.nodes, &node{c: c, i: i, dir: dir, log: filepath.Join(base, fmt.Sprintf("node%d.log", i+1))})
	}
	// Every node has the same keys (docs/deploy.md): made once in the
	// first node's directory, copied to the others.
	keys := filepath.Join(c.nodes[0].dir, "keys")
	if _, err := keyring.Open(keys); err != nil {
		t.Fatal(err)
	}
	if _, err := keyring.OpenJournalKeys(keys, ""); err != nil {
		t.Fatal(err)
	}
	if _, err := keyring.OpenMAC(keys); err != nil {
		t.Fatal(err)
	}
	for _, nd := range c.nodes[1:] {
		if err := copyDir(keys, filepath.Join(nd.dir, "keys")); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(c.shutdown)

	// The nodes migrate the new database together, one after the other.
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i, nd := range c.nodes {
		wg.Go(func() { errs[i] = nd.start() })
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	c.admin("user", "add", "--email", agentEmail, "--name", "Greffe correctionnel", "--role", "agent")
	c.admin("user", "add", "--email", lawyerEmail, "--name", "Maître Avocat", "--role", "partner")
	c.agent = c.lastLine(c.admin("token", "create", "--email", agentEmail))
	c.lawyer = c.lastLine(c.admin("token", "create", "--email", lawyerEmail))
	return c
}

// admin runs "navette admin ARGS --data NODE1 --db DB" and returns its
// standard output.
func (c *cluster) admin(args ...string) string {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, navetteBin, append(append([]string{"admin"}, args...), "--data", c.nodes[0].dir, "--db", c.db)...)
	cmd.Env = nodeEnv()
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		c.t.Fatalf("navette admin %s: %v\n%s", strings.Join(args, " "), err, stderr.Bytes())
	}
	return string(out)
}

func (c *cluster) lastLine(s string) string {
	f := strings.Fields(s)
	if len(f) == 0 {
		c.t.Fatalf("no output")
	}
	return f[len(f)-1]
}

// nodeEnv is the environment of the navette processes: the S3 credentials,
// and none of the test process's NAVETTE_ variables.
func nodeEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "NAVETTE_") {
			env = append(env, kv)
		}
	}
	return append(env, "NAVETTE_S3_ACCESS_KEY="+s3srv.AccessKey, "NAVETTE_S3_SECRET_KEY="+s3srv.SecretKey)
}

// shutdown stops every node and, if the test failed, shows the end of
// their logs.
func (c *cluster) shutdown() {
	var wg sync.WaitGroup
	for _, nd := range c.nodes {
		wg.Go(func() {
			if err := nd.stop(); err != nil {
				c.t.Errorf("node %d: %v", nd.i+1, err)
			}
		})
	}
	wg.Wait()
	if c.t.Failed() {
		for _, nd := range c.nodes {
			c.t.Logf("log of node %d (end):\n%s", nd.i+1, tail(nd.logText(), 6000))
		}
	}
}

// start starts the node and waits until it serves.
func (n *node) start() error {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.cmd != nil {
		return fmt.Errorf("node %d is running", n.i+1)
	}
	logf, err := os.OpenFile(n.log, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return err
	}
	s := n.c.set
	cmd := exec.Command(navetteBin, "serve", "--addr", "127.0.0.1:0", "--data", n.dir,
		"--db", n.c.db, "--blobs", n.c.blobs,
		"--log-level", s.logLevel, "--sweep-interval", s.sweepInterval.String())
	if s.clamd != "" {
		cmd.Args = append(cmd.Args, "--clamd", s.clamd)
	} else {
		cmd.Args = append(cmd.Args, "--antivirus=off")
	}
	cmd.Env = nodeEnv()
	lw := &lineWriter{w: logf, serving: make(chan string, 1)}
	cmd.Stdout, cmd.Stderr = lw, lw
	cmd.SysProcAttr = sysProcAttr()
	if err := cmd.Start(); err != nil {
		logf.Close()
		return fmt.Errorf("node %d: %w", n.i+1, err)
	}
	exited := make(chan struct{})
	go func() {
		err := cmd.Wait()
		logf.Close()
		n.mu.Lock()
		n.err = err
		n.mu.Unlock()
		close(exited)
	}()
	n.cmd, n.exited = cmd, exited
	t := time.NewTimer(startTimeout)
	defer t.Stop()
	select {
	case u := <-lw.serving:
		n.url = u
		return nil
	case <-exited:
		n.cmd = nil
		return fmt.Errorf("node %d exited at start:\n%s", n.i+1, tail(n.logText(), 3000))
	case <-t.C:
		cmd.Process.Kill()
		<-exited
		n.cmd = nil
		return fmt.Errorf("node %d did not start within %v:\n%s", n.i+1, startTimeout, tail(n.logText(), 3000))
	}
}

// URL returns the node's base URL.
func (n *node) URL() string {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.url
}

// kill kills the node with SIGKILL, as a crash of its machine would, and
// waits for it to be gone.
func (n *node) kill() {
	n.c.t.Helper()
	n.mu.Lock()
	cmd, exited := n.cmd, n.exited
	n.cmd = nil
	n.mu.Unlock()
	if cmd == nil {
		n.c.t.Fatalf("node %d is not running", n.i+1)
	}
	if err := cmd.Process.Kill(); err != nil {
		n.c.t.Fatalf("kill node %d: %v", n.i+1, err)
	}
	<-exited
}

// stop stops the node as its service manager would (SIGTERM) and checks
// that it shuts down cleanly. Stopping a stopped node does nothing.
func (n *node) stop() error {
	n.mu.Lock()
	cmd, exited := n.cmd, n.exited
	n.cmd = nil
	n.mu.Unlock()
	if cmd == nil {
		return nil
	}
	cmd.Process.Signal(syscall.SIGTERM)
	t := time.NewTimer(stopTimeout)
	defer t.Stop()
	select {
	case <-exited:
	case <-t.C:
		cmd.Process.Kill()
		<-exited
		return fmt.Errorf("did not stop within %v of SIGTERM", stopTimeout)
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.err != nil {
		return fmt.Errorf("stopped with %v", n.err)
	}
	return nil
}

func (n *node) logText() string {
	b, _ := os.ReadFile(n.log)
	return string(b)
}

var (
	sweepLine    = regexp.MustCompile(`(?m)^.*msg=sweep .*$`)
	sweepExpired = regexp.MustCompile(` expired=(\d+)`)
	sweepPurged  = regexp.MustCompile(` purged=(\d+)`)
)

// sweepStats adds up the "sweep" lines the node logged (at log level info).
func (n *node) sweepStats() (expired, purged int) {
	for _, line := range sweepLine.FindAllString(n.logText(), -1) {
		if m := sweepExpired.FindStringSubmatch(line); m != nil {
			e, _ := strconv.Atoi(m[1])
			expired += e
		}
		if m := sweepPurged.FindStringSubmatch(line); m != nil {
			p, _ := strconv.Atoi(m[1])
			purged += p
		}
	}
	return expired, purged
}

// lineWriter writes a node's output to its log and reports the URL of the
// line "navette: serving URL …".
type lineWriter struct {
	w       io.Writer
	serving chan string // receives the URL once
	partial []byte
	sent    bool
}

// Write logs p and looks for the serving line.
func (lw *lineWriter) Write(p []byte) (int, error) {
	lw.partial = append(lw.partial, p...)
	for {
		i := bytes.IndexByte(lw.partial, '\n')
		if i < 0 {
			break
		}
		line := string(lw.partial[:i])
		lw.partial = lw.partial[i+1:]
		if rest, ok := strings.CutPrefix(line, "navette: serving "); ok && !lw.sent {
			lw.sent = true
			lw.serving <- strings.Fields(rest)[0]
		}
	}
	return lw.w.Write(p)
}

func tail(s string, n int) string {
	if len(s) > n {
		return "…" + s[len(s)-n:]
	}
	return s
}

// copyDir copies the regular files of a keys directory, keeping it private.
func copyDir(from, to string) error {
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

// client returns a Go client of node i with token, retrying quickly.
func (c *cluster) client(i int, token string, opts ...client.Option) *client.Client {
	c.t.Helper()
	opts = append([]client.Option{
		client.WithRetry(client.RetryPolicy{InitialDelay: 100 * time.Millisecond, MaxDelay: time.Second, Budget: 30 * time.Second}),
		client.WithStallTimeout(time.Minute),
	}, opts...)
	cl, err := client.New(c.nodes[i].URL(), token, opts...)
	if err != nil {
		c.t.Fatal(err)
	}
	return cl
}

// newDeposit creates a draft for the lawyer through node i.
func (c *cluster) newDeposit(ctx context.Context, i int, ref string) (*api.Deposit, error) {
	return newDraft(ctx, c.client(i, c.agent), ref)
}

// newDraft creates a draft for the lawyer through an agent's client.
func newDraft(ctx context.Context, agent *client.Client, ref string) (*api.Deposit, error) {
	return agent.CreateDeposit(ctx, api.CreateDeposit{
		Recipients: []string{lawyerEmail}, Reference: ref, Message: "Pièces du dossier", RetentionDays: 7,
	})
}

// rawHTTP sends the tests' own requests. A PATCH announcing Expect:
// 100-continue sends its body only once the server asks for it, however
// long the server takes to refuse it.
var rawHTTP = &http.Client{Transport: func() *http.Transport {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.ExpectContinueTimeout = reqTimeout
	return tr
}()}

// do sends a request to node i with token and returns the answer with its
// body read, within reqTimeout. hdr holds header names and values.
func (c *cluster) do(i int, method, path, token string, body io.Reader, size int64, hdr ...string) (*http.Response, []byte, error) {
	ctx, cancel := context.WithTimeout(context.Background(), reqTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, c.nodes[i].URL()+path, body)
	if err != nil {
		return nil, nil, err
	}
	if body != nil {
		req.ContentLength = size
	}
	req.Header.Set("Authorization", "Bearer "+token)
	for j := 0; j+1 < len(hdr); j += 2 {
		req.Header.Set(hdr[j], hdr[j+1])
	}
	resp, err := rawHTTP.Do(req)
	if err != nil {
		return nil, nil, fmt.Errorf("%s %s on node %d: %w", method, path, i+1, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return resp, b, fmt.Errorf("%s %s on node %d: reading the answer: %w", method, path, i+1, err)
	}
	return resp, b, nil
}

// tusCreate creates an upload of size bytes in a draft through node i and
// returns its path.
func (c *cluster) tusCreate(i int, depositID, name string, size int64) string {
	c.t.Helper()
	meta := api.MetaDeposit + " " + base64.StdEncoding.EncodeToString([]byte(depositID)) + "," +
		api.MetaFilename + " " + base64.StdEncoding.EncodeToString([]byte(name))
	resp, b, err := c.do(i, "POST", api.PathUploads, c.agent, nil, 0,
		"Tus-Resumable", "1.0.0", "Upload-Length", strconv.FormatInt(size, 10), "Upload-Metadata", meta)
	if err != nil {
		c.t.Fatal(err)
	}
	if resp.StatusCode != http.StatusCreated {
		c.t.Fatalf("tus creation on node %d: %d %s", i+1, resp.StatusCode, b)
	}
	loc := resp.Header.Get("Location")
	if !strings.HasPrefix(loc, api.PathUploads) {
		c.t.Fatalf("tus creation on node %d: Location %q", i+1, loc)
	}
	return loc
}

// tusHead returns the offset of an upload as node i sees it.
func (c *cluster) tusHead(i int, path string) int64 {
	c.t.Helper()
	off, err := c.head(i, path)
	if err != nil {
		c.t.Fatal(err)
	}
	return off
}

// head is tusHead for any goroutine.
func (c *cluster) head(i int, path string) (int64, error) {
	resp, b, err := c.do(i, "HEAD", path, c.agent, nil, 0, "Tus-Resumable", "1.0.0")
	if err != nil {
		return 0, err
	}
	if resp.StatusCode != http.StatusOK {
		return 0, fmt.Errorf("tus HEAD on node %d: %d %s", i+1, resp.StatusCode, b)
	}
	off, err := strconv.ParseInt(resp.Header.Get("Upload-Offset"), 10, 64)
	if err != nil {
		return 0, fmt.Errorf("tus HEAD on node %d: Upload-Offset %q", i+1, resp.Header.Get("Upload-Offset"))
	}
	return off, nil
}

// tusPatch sends size bytes of body at off through node i.
func (c *cluster) tusPatch(i int, path string, off int64, body io.Reader, size int64) (*http.Response, []byte, error) {
	return c.do(i, "PATCH", path, c.agent, body, size,
		"Tus-Resumable", "1.0.0", "Upload-Offset", strconv.FormatInt(off, 10),
		"Content-Type", "application/offset+octet-stream", "Expect", "100-continue")
}

// checkProblem returns an error unless the answer is an RFC 9457 problem
// document with a 5xx status.
func checkProblem5xx(what string, resp *http.Response, body []byte) (api.Problem, error) {
	var p api.Problem
	if resp.StatusCode < 500 {
		return p, fmt.Errorf("%s: status %d (%s), want a 5xx", what, resp.StatusCode, body)
	}
	if ct := resp.Header.Get("Content-Type"); ct != api.ProblemContentType {
		return p, fmt.Errorf("%s: %d with Content-Type %q (%s), want a problem document", what, resp.StatusCode, ct, body)
	}
	if resp.Request.Method == http.MethodHead {
		return api.Problem{Status: resp.StatusCode}, nil
	}
	if err := json.Unmarshal(body, &p); err != nil || p.Status != resp.StatusCode || p.Code == "" || p.Title == "" {
		return p, fmt.Errorf("%s: bad problem document %s (%v)", what, body, err)
	}
	return p, nil
}

// randomBytes returns n deterministic random bytes.
func randomBytes(seed uint64, n int) []byte {
	var s [32]byte
	s[0], s[1], s[2] = byte(seed), byte(seed>>8), byte(seed>>16)
	b := make([]byte, n)
	rand.NewChaCha8(s).Read(b)
	return b
}

// errMismatch is wrapped by the errors of verifyDownload for a file that
// is not the one deposited.
var errMismatch = errors.New("not the file deposited")

// verifyDownload downloads a file through cl and checks that it is want,
// by SHA-256, and that the server's Repr-Digest says so too.
func verifyDownload(ctx context.Context, cl *client.Client, depositID, fileID string, want []byte) error {
	h := sha256.New()
	info, err := cl.Download(ctx, depositID, fileID, h, 0)
	if err != nil {
		return fmt.Errorf("download %s/%s from %s: %w", depositID, fileID, cl.ServerURL(), err)
	}
	sum := sha256.Sum256(want)
	if got := h.Sum(nil); !bytes.Equal(got, sum[:]) || info.Size != int64(len(want)) {
		return fmt.Errorf("download %s/%s from %s: %w: %d bytes with SHA-256 %x, want %d bytes with %x",
			depositID, fileID, cl.ServerURL(), errMismatch, info.Size, got, len(want), sum)
	}
	if !bytes.Equal(info.SHA256, sum[:]) {
		return fmt.Errorf("download %s/%s from %s: %w: Repr-Digest %x, want %x", depositID, fileID, cl.ServerURL(), errMismatch, info.SHA256, sum)
	}
	return nil
}

// checkAvailable checks, through node i, that the deposit is available
// with one file whose SHA-256 is that of want, and returns the file's id.
func (c *cluster) checkAvailable(ctx context.Context, i int, depositID string, want []byte) (string, error) {
	d, err := c.client(i, c.lawyer).Deposit(ctx, depositID)
	if err != nil {
		return "", fmt.Errorf("deposit %s on node %d: %w", depositID, i+1, err)
	}
	sum := sha256.Sum256(want)
	if d.State != "available" || len(d.Files) != 1 || d.Files[0].SHA256 != hex.EncodeToString(sum[:]) || d.Files[0].Size != int64(len(want)) {
		return "", fmt.Errorf("deposit %s on node %d: %+v, want available with one file of %d bytes, SHA-256 %x", depositID, i+1, d, len(want), sum)
	}
	return d.Files[0].ID, nil
}

// versityTemp matches the name versitygw gives the file of an object it is
// writing: a dot, the object's name, ".sgwtmp." and a number.
var versityTemp = regexp.MustCompile(`^\..+\.sgwtmp\.[0-9]+$`)

// checkBucket checks that the bucket holds exactly the finished blobs of
// files and nothing of unfinished uploads, and returns the multipart
// uploads it still lists.
func (c *cluster) checkBucket(files ...string) []string {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var names []string
	for o := range s3srv.Client().ListObjects(ctx, c.bucket, minio.ListObjectsOptions{Recursive: true}) {
		if o.Err != nil {
			c.t.Fatalf("list the bucket: %v", o.Err)
		}
		if versityTemp.MatchString(path.Base(o.Key)) {
			// The test S3 server's own file of an overwrite it was killed
			// in (TestS3Outage stops it): versitygw links the new object
			// to ".NAME.sgwtmp.N", then renames it over NAME
			// (linkatOTmpfile), and lists its bucket directory's files.
			// Not navette's: it never names an object so.
			continue
		}
		names = append(names, o.Key)
	}
	var want []string
	for _, f := range files {
		want = append(want, blobPrefix+"blobs/"+f)
	}
	slices.Sort(names)
	slices.Sort(want)
	if !slices.Equal(names, want) {
		c.t.Errorf("the bucket holds %q, want %q", names, want)
	}
	core := &minio.Core{Client: s3srv.Client()}
	res, err := core.ListMultipartUploads(ctx, c.bucket, "", "", "", "", 1000)
	if err != nil {
		c.t.Fatalf("list multipart uploads: %v", err)
	}
	var uploads []string
	for _, u := range res.Uploads {
		uploads = append(uploads, u.Key)
	}
	return uploads
}

// waitParts polls the bucket until the multipart upload of the blob of
// file holds at least n parts, for as long as ctx lasts.
func (c *cluster) waitParts(ctx context.Context, file string, n int) error {
	core := &minio.Core{Client: s3srv.Client()}
	key := blobPrefix + "blobs/" + file
	got := 0
	for {
		res, err := core.ListMultipartUploads(ctx, c.bucket, key, "", "", "", 10)
		if err == nil && len(res.Uploads) == 1 {
			var parts minio.ListObjectPartsResult
			if parts, err = core.ListObjectParts(ctx, c.bucket, key, res.Uploads[0].UploadID, 0, 1000); err == nil {
				if got = len(parts.ObjectParts); got >= n {
					return nil
				}
			}
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("the upload of %s has %d parts, want %d (%v)", file, got, n, err)
		case <-time.After(pollEvery):
		}
	}
}

// sql returns a connection to the cluster's database, closed when the test
// ends.
func (c *cluster) sql() *pgx.Conn {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	conn, err := pgx.Connect(ctx, c.db)
	if err != nil {
		c.t.Fatal(err)
	}
	c.t.Cleanup(func() { conn.Close(context.Background()) })
	return conn
}

// waitReady polls the readiness probe of every node until each answers 200,
// for at most d.
func (c *cluster) waitReady(d time.Duration) error {
	deadline := time.Now().Add(d)
	for _, nd := range c.nodes {
		nd.mu.Lock()
		running := nd.cmd != nil
		nd.mu.Unlock()
		if !running {
			continue
		}
		for {
			resp, _, err := c.do(nd.i, "GET", "/readyz", "", nil, 0)
			if err == nil && resp.StatusCode == http.StatusOK {
				break
			}
			if time.Now().After(deadline) {
				return fmt.Errorf("node %d not ready after %v: %v %v", nd.i+1, d, resp, err)
			}
			time.Sleep(pollEvery)
		}
	}
	return nil
}

// gatedReader is a request body that gives data[:gate] at once, then
// reports that it reached the gate and waits for release before going on
// with the rest, or failing with fail if set.
type gatedReader struct {
	data    []byte
	gate    int
	reached chan struct{}
	release chan struct{}
	fail    error

	n       atomic.Int64 // bytes given
	once    sync.Once
	opening sync.Once
}

// open releases the rest of the body; opening it again does nothing.
func (r *gatedReader) open() { r.opening.Do(func() { close(r.release) }) }

func newGatedReader(data []byte, gate int, fail error) *gatedReader {
	return &gatedReader{data: data, gate: gate, fail: fail, reached: make(chan struct{}), release: make(chan struct{})}
}

// Read gives the next bytes of the body, waiting at the gate.
func (r *gatedReader) Read(p []byte) (int, error) {
	n := int(r.n.Load())
	if n >= r.gate {
		r.once.Do(func() { close(r.reached) })
		<-r.release
		if r.fail != nil {
			return 0, r.fail
		}
	}
	if n >= len(r.data) {
		return 0, io.EOF
	}
	end := len(r.data)
	if n < r.gate {
		end = r.gate
	}
	m := copy(p, r.data[n:end])
	r.n.Add(int64(m))
	return m, nil
}

// watchedSource is a client's upload source that records the lowest offset
// read, to show what a resumed upload sent again.
type watchedSource struct {
	data   []byte
	lowest atomic.Int64
}

func newWatchedSource(data []byte) *watchedSource {
	s := &watchedSource{data: data}
	s.lowest.Store(int64(len(data)))
	return s
}

// ReadAt reads the file at off, noting how low off goes.
func (s *watchedSource) ReadAt(p []byte, off int64) (int, error) {
	for {
		low := s.lowest.Load()
		if off >= low || s.lowest.CompareAndSwap(low, off) {
			break
		}
	}
	return bytes.NewReader(s.data).ReadAt(p, off)
}

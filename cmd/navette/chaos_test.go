package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"navette"
	"navette/api"
	"navette/client"
	"navette/deposit"
	"navette/internal/testpg"
	"navette/internal/tests3"
	"navette/internal/testsmtp"
	"navette/internal/testtmpfs"
)

var chaosFull = flag.Bool("chaos.full", false, "TestChaos with the counts of issue 14 (also NAVETTE_CHAOS=full)")

// chaosRow is one line of the table of TestChaos: a fault, how many times
// it was injected, the checks that failed, and what was lost.
type chaosRow struct {
	fault    string
	tries    int
	failures []string
	lost     []string
	notes    []string
}

func (r *chaosRow) fail(t *testing.T, format string, args ...any) {
	t.Helper()
	msg := fmt.Sprintf(format, args...)
	r.failures = append(r.failures, msg)
	t.Errorf("%s: %s", r.fault, msg)
}

func (r *chaosRow) lose(t *testing.T, format string, args ...any) {
	t.Helper()
	msg := fmt.Sprintf(format, args...)
	r.lost = append(r.lost, msg)
	t.Errorf("%s: lost %s", r.fault, msg)
}

// chaosTable formats the rows.
func chaosTable(rows []*chaosRow) string {
	var b strings.Builder
	fmt.Fprintf(&b, "\n%-32s %6s %9s  %s\n", "fault", "tries", "failures", "lost")
	for _, r := range rows {
		lost := "nothing"
		if len(r.lost) > 0 {
			lost = strings.Join(r.lost, "; ")
		}
		fmt.Fprintf(&b, "%-32s %6d %9d  %s\n", r.fault, r.tries, len(r.failures), lost)
		for _, n := range r.notes {
			fmt.Fprintf(&b, "%-32s %6s %9s  (%s)\n", "", "", "", n)
		}
	}
	return b.String()
}

// chaosCounts are the sizes of a run of TestChaos.
type chaosCounts struct {
	kills, terms, downloadKills int
	full, rot, smtp, s3, pg     int   // disk full, bit rot, SMTP down, S3 down, PostgreSQL restarted
	cluster                     int   // PostgreSQL restarted under a cluster's load
	purgeKills, purgeBatch      int   // kill -9 during purges, expired deposits purged at once
	syncKills, lawyers          int   // kill -9 during directory syncs, lawyers in each flow
	slow                        int   // slow clients
	size, slowSize              int64 // bytes of each file; of the honest client's file among the slow clients
}

// TestChaos is the reliability suite of issue 14 for the faults a whole
// deployment meets: it runs the real navette binary, interrupts it or the
// parts it needs, then prints a table of each fault, how many times it was
// injected, how many checks failed and what was lost (nothing, or the test
// fails).
//
//   - kill -9 during uploads: after each restart the upload resumes
//     (HEAD) at or past every offset the server logged as committed, and
//     loses at most the commit interval and the pipeline of what it read;
//     the finished file downloads with its SHA-256.
//   - SIGTERM during uploads: the server answers the cut PATCH 503 with
//     Retry-After, exits 0, and keeps every byte it read.
//   - kill -9 during downloads: the recipient resumes with Range where the
//     bytes received stop, each byte received is the file's, no download
//     is recorded while the file is partial, and once complete the SHA-256
//     is the announced one; a whole download then is recorded.
//   - kill -9 during purges: expired deposits purged by a sweep killed
//     at random points; each is whole or purged, never half; no blob left
//     without its record (purgeKills).
//   - kill -9 during directory syncs: a lawyers' flow import killed at
//     random points; the directory is the one before or after the flow,
//     and the same once the import runs again (directoryKills).
//   - disk full with recovery: a real tmpfs filled during a PATCH gives
//     507, the server stays up, and once room is back the upload resumes
//     and the file downloads whole (diskFull).
//   - bit rot: a flipped byte of a stored blob is named by admin scrub,
//     the download fails, and none is recorded (bitRot).
//   - S3 stopped and restarted: a real S3 server (versitygw) killed during
//     a PATCH; 503 with Retry-After meanwhile, nothing lost (s3Down).
//   - SMTP down: a real SMTP server stopped while deposits are submitted;
//     the notices arrive once it is back, across a kill -9 too (smtpDown).
//   - PostgreSQL restarted: the metadata store restarted at once during a
//     PATCH; 204 or 503 with Retry-After, then the upload resumes and the
//     file downloads whole (pgRestart).
//   - PostgreSQL restarted, cluster: three nodes on one database and one
//     S3 bucket under deposits and downloads while PostgreSQL restarts:
//     only 503 with Retry-After meanwhile, every deposit acknowledged
//     downloads whole (pgCluster).
//   - slow clients: connections dribbling request bodies or sending none
//     while an honest client deposits and downloads a file: it succeeds,
//     every slow one is cut, the server's memory stays bounded
//     (slowClients).
//
// After each kill -9 or SIGTERM and the restarted server's first sweep, no
// temporary or partial file that nothing will remove is left in the data
// directory (leftovers): each would be counted as lost.
//
// The counts are small by default (the test suite's run); -chaos.full or
// NAVETTE_CHAOS=full gives those of the issue (kill -9 ×100, SIGTERM ×20,
// disk full ×10, 1,500 slow clients) and is what "make chaos" runs.
func TestChaos(t *testing.T) {
	if _, err := os.Stat("/proc/self/io"); err != nil {
		t.Fatalf("the test counts the server's reads in /proc/PID/io: %v", err)
	}
	n := chaosCounts{kills: 4, terms: 2, downloadKills: 4, full: 2, rot: 2, smtp: 1, s3: 2, pg: 2,
		purgeKills: 2, purgeBatch: 12, syncKills: 2, lawyers: 500, slow: 60, cluster: 1, size: 16 << 20, slowSize: 4 << 20}
	if *chaosFull || os.Getenv("NAVETTE_CHAOS") == "full" {
		n = chaosCounts{kills: 100, terms: 20, downloadKills: 100, full: 10, rot: 10, smtp: 4, s3: 10, pg: 10,
			purgeKills: 100, purgeBatch: 40, syncKills: 100, lawyers: 1000, slow: 1500, cluster: 5, size: 256 << 20, slowSize: 50 << 20}
	}
	bin := buildNavette(t)
	c := newChaos(t, bin, filepath.Join(t.TempDir(), "data"))
	ctx := context.Background()
	sc := c.client(t, c.sender)
	d, err := sc.CreateDeposit(ctx, api.CreateDeposit{Recipients: []string{"avocat@avocat.example"}, Reference: "RG 26/14 chaos"})
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(14, 9))
	kill := &chaosRow{fault: "kill -9 during uploads"}
	term := &chaosRow{fault: "SIGTERM during uploads"}
	down := &chaosRow{fault: "kill -9 during downloads"}
	full := &chaosRow{fault: "disk full with recovery"}
	rot := &chaosRow{fault: "bit rot"}
	mail := &chaosRow{fault: "SMTP down"}
	s3 := &chaosRow{fault: "S3 stopped and restarted"}
	pg := &chaosRow{fault: "PostgreSQL restarted"}
	purge := &chaosRow{fault: "kill -9 during purges"}
	sync := &chaosRow{fault: "kill -9 during directory syncs"}
	cluster := &chaosRow{fault: "PostgreSQL restarted, cluster"}
	slow := &chaosRow{fault: "slow clients"}
	rows := []*chaosRow{kill, term, down, purge, sync, full, rot, mail, s3, pg, cluster, slow}
	defer func() { t.Log(chaosTable(rows)) }()

	killSrc, termSrc := newStream(91), newStream(15)
	c.cutUpload(t, kill, d.ID, "kill.bin", killSrc, n.size, n.kills, false, rng)
	c.journalIntact(t, kill)
	c.stop(t) // the offsets logged as committed are then those of the next upload only
	c.cutUpload(t, term, d.ID, "term.bin", termSrc, n.size, n.terms, true, rng)
	c.journalIntact(t, term)
	if _, err := c.client(t, c.sender).Submit(ctx, d.ID); err != nil {
		t.Fatal(err)
	}
	files, err := c.client(t, c.sender).Files(ctx, d.ID)
	if err != nil || len(files.Files) != 2 {
		t.Fatalf("files: %+v, %v", files, err)
	}
	ids := map[string]string{}
	for _, f := range files.Files {
		ids[f.Name] = f.ID
	}
	// The first download of the deposit is that of kill.bin, whose record
	// cutDownload checks.
	c.cutDownload(t, down, d.ID, ids["kill.bin"], killSrc, n.size, n.downloadKills, rng)
	c.journalIntact(t, down)
	c.verify(t, kill, d.ID, ids["kill.bin"], killSrc, n.size)
	c.verify(t, term, d.ID, ids["term.bin"], termSrc, n.size)
	if dep, err := c.client(t, c.sender).Deposit(ctx, d.ID); err != nil {
		t.Fatal(err)
	} else if dep.Recipients[0].FirstDownloadAt == nil {
		down.fail(t, "a whole download after the restarts is not recorded")
	}
	for i := range n.rot {
		c.bitRot(t, rot, []string{ids["kill.bin"], ids["term.bin"]}, i, rng)
	}
	purgeKills(t, purge, bin, n.purgeKills, n.purgeBatch, rng)
	directoryKills(t, sync, bin, n.syncKills, n.lawyers, rng)
	diskFull(t, full, bin, n.full, rng)
	s3srv := tests3.New(t)
	s3Down(t, s3, bin, s3srv, n.s3, rng)
	pgsrv := testpg.Start(t)
	pgRestart(t, pg, bin, pgsrv, n.pg, rng)
	pgCluster(t, cluster, bin, pgsrv, s3srv, 3, n.cluster)
	smtpDown(t, mail, bin, n.smtp)
	slowClients(t, slow, bin, n.slow, n.slowSize)
}

// chaos is the binary under test, its data directory and the server
// running now.
type chaos struct {
	bin, data         string
	args              []string // added to the flags of serve
	sender, recipient string   // API tokens
	srv               *server
}

// built is the binary under test, built once for the tests of the package
// that run it (TestChaos, TestRestartKeepsUploads): each only executes it,
// and linking it again costs seconds. TestMain removes its directory.
var built struct {
	once     sync.Once
	dir, bin string
	err      error
}

func TestMain(m *testing.M) {
	code := m.Run()
	if built.dir != "" {
		os.RemoveAll(built.dir)
	}
	os.Exit(code)
}

// buildNavette returns the binary under test, built on the first call.
// Its packages compile as those of the binary "make deb" packages
// (CGO_ENABLED=0 -trimpath; -ldflags changes only the link), so that
// whichever of this build and TestDebPackage's comes second finds them in
// the build cache and only links.
func buildNavette(t *testing.T) string {
	t.Helper()
	built.once.Do(func() {
		if built.dir, built.err = os.MkdirTemp("", "navette-bin-"); built.err != nil {
			return
		}
		built.bin = filepath.Join(built.dir, "navette")
		build := exec.Command("go", "build", "-trimpath", "-o", built.bin, ".")
		build.Env = append(os.Environ(), "CGO_ENABLED=0")
		if out, err := build.CombinedOutput(); err != nil {
			built.err = fmt.Errorf("go build: %w\n%s", err, out)
		}
	})
	if built.err != nil {
		t.Fatal(built.err)
	}
	return built.bin
}

// newChaos creates a platform with a sender and a recipient in data and
// serves it, with args added to the flags of serve.
func newChaos(t *testing.T, bin, data string, args ...string) *chaos {
	c := &chaos{bin: bin, data: data, args: args}
	// The admin commands below run before the first serve: they take an
	// existing data directory, as the package makes one.
	if err := os.MkdirAll(data, 0o700); err != nil {
		t.Fatal(err)
	}
	var db []string
	if i := slices.Index(args, "--db"); i >= 0 {
		db = args[i : i+2]
	}
	admin := func(args ...string) string {
		t.Helper()
		cmd := exec.Command(c.bin, append([]string{"admin"}, append(append(args, "--data", c.data), db...)...)...)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("navette admin %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
		}
		return strings.TrimSpace(string(out))
	}
	admin("user", "add", "--email", "greffe@justice.example", "--name", "Greffe", "--role", "agent")
	admin("user", "add", "--email", "avocat@avocat.example", "--name", "Avocat", "--role", "partner")
	c.sender = admin("token", "create", "--email", "greffe@justice.example", "--scopes", "read,write", "--ttl", "24h")
	c.recipient = admin("token", "create", "--email", "avocat@avocat.example", "--scopes", "read", "--ttl", "24h")
	c.srv = startServer(t, c.bin, c.data, c.args...)
	return c
}

func (c *chaos) client(t *testing.T, token string) *client.Client {
	cl, err := client.New(c.srv.url, token)
	if err != nil {
		t.Fatal(err)
	}
	return cl
}

// restart waits for the server to exit and starts it again.
func (c *chaos) restart(t *testing.T) int {
	code := c.srv.wait(t)
	c.srv = startServer(t, c.bin, c.data, c.args...)
	return code
}

// journalIntact checks the journal with "navette admin journal verify",
// counting a failure as the journal lost.
func (c *chaos) journalIntact(t *testing.T, row *chaosRow) {
	out, err := exec.Command(c.bin, "admin", "journal", "verify", "--data", c.data).CombinedOutput()
	if err != nil {
		row.lose(t, "the journal's integrity: %v\n%s", err, out)
	}
}

// stop restarts the server with SIGTERM.
func (c *chaos) stop(t *testing.T) {
	if err := c.srv.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if code := c.restart(t); code != 0 {
		t.Fatalf("serve exited with %d after SIGTERM", code)
	}
}

// cutAt picks where the next cut falls among the remaining bytes, so that
// the cuts left spread over them.
func cutAt(rng *rand.Rand, remaining int64, cutsLeft int) int64 {
	span := max(2*remaining/int64(cutsLeft+1), 2)
	return min(1+rng.Int64N(span), remaining-1)
}

// cutUpload uploads a file of size bytes in PATCHes, cut cuts times by
// kill -9 or SIGTERM (term), restarting the server after each.
func (c *chaos) cutUpload(t *testing.T, row *chaosRow, depositID, name string, src stream, size int64, cuts int, term bool, rng *rand.Rand) {
	upload := c.createUpload(t, depositID, name, size)
	offset := int64(0)
	for i := 0; i < cuts && size-offset > 1; i++ {
		at := cutAt(rng, size-offset, cuts-i)
		var readAtCut int64
		r0 := c.srv.reads(t)
		cutDone := make(chan struct{})
		srv := c.srv
		body := &cutReader{r: src.reader(offset, size), at: at}
		body.cut = func() {
			defer close(cutDone)
			readAtCut = srv.reads(t) - r0
			sig := syscall.SIGKILL
			if term {
				sig = syscall.SIGTERM
			}
			if err := srv.cmd.Process.Signal(sig); err != nil {
				t.Errorf("signal: %v", err)
			}
		}
		status, retryAfter, err := srv.patch(upload, c.sender, offset, size, body)
		select {
		case <-cutDone:
		case <-time.After(time.Minute):
			t.Fatalf("%s: the PATCH from %d ended before its cut at %d: %d, %v", row.fault, offset, offset+at, status, err)
		}
		row.tries++
		code := c.restart(t)
		c.swept(t)
		c.leftovers(t, row)
		logged := srv.committed.Load()
		got := c.srv.head(t, upload, c.sender)
		if term {
			if code != 0 {
				row.fail(t, "try %d: serve exited with %d", i, code)
			}
			// The bytes after the cut are sent at once: when they are few,
			// all may be read before the server acts on SIGTERM, and the
			// upload then completes, as it should.
			finished := status == http.StatusNoContent && got == size
			if err == nil && !finished && (status != http.StatusServiceUnavailable || retryAfter == "") {
				row.fail(t, "try %d: the PATCH cut got %d, Retry-After %q", i, status, retryAfter)
			}
		}
		lag := offset + readAtCut - got
		switch {
		case got < offset || got < logged:
			row.lose(t, "try %d: committed bytes (resumes at %d, %d were committed)", i, got, max(logged, offset))
		case got > offset+body.n.Load():
			row.fail(t, "try %d: resumes at %d, past the %d bytes sent", i, got, offset+body.n.Load())
		case term && lag > otherReads:
			row.lose(t, "try %d: %d bytes the server had read before SIGTERM", i, lag)
		case !term && lag > deposit.DefaultCommitBytes+pipelineBytes+otherReads:
			row.lose(t, "try %d: %d bytes the server had read, more than the commit interval and the pipeline", i, lag)
		}
		offset = max(got, offset)
	}
	if offset == size {
		return
	}
	status, _, err := c.srv.patch(upload, c.sender, offset, size, src.reader(offset, size))
	if err != nil || status != http.StatusNoContent {
		t.Fatalf("%s: last PATCH from %d: %d, %v", row.fault, offset, status, err)
	}
}

func (c *chaos) createUpload(t *testing.T, depositID, name string, size int64) string {
	return c.createUploadAs(t, c.sender, depositID, name, size)
}

func (c *chaos) createUploadAs(t *testing.T, token, depositID, name string, size int64) string {
	req, err := c.srv.request(http.MethodPost, api.PathUploads, token, http.NoBody)
	if err != nil {
		t.Fatal(err)
	}
	b64 := base64.StdEncoding.EncodeToString
	req.Header.Set("Upload-Length", strconv.FormatInt(size, 10))
	req.Header.Set("Upload-Metadata", api.MetaDeposit+" "+b64([]byte(depositID))+","+api.MetaFilename+" "+b64([]byte(name)))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("creating the upload: %s", resp.Status)
	}
	return resp.Header.Get("Location")
}

// verify downloads a whole file as the recipient and compares its SHA-256
// with the source's and the announced one.
func (c *chaos) verify(t *testing.T, row *chaosRow, depositID, fileID string, src stream, size int64) {
	h := sha256.New()
	info, err := c.client(t, c.recipient).Download(context.Background(), depositID, fileID, h, 0)
	if err != nil {
		row.fail(t, "downloading the file: %v", err)
		return
	}
	want := sha256.New()
	if _, err := io.Copy(want, src.reader(0, size)); err != nil {
		t.Fatal(err)
	}
	if got, w := h.Sum(nil), want.Sum(nil); !bytes.Equal(got, w) || !bytes.Equal(info.SHA256, w) {
		row.lose(t, "the file (SHA-256 downloaded %x, announced %x, want %x)", got, info.SHA256, w)
	}
}

// cutDownload downloads a file as the recipient with GETs cut cuts times by
// kill -9, each resuming with Range where the bytes received stop.
func (c *chaos) cutDownload(t *testing.T, row *chaosRow, depositID, fileID string, src stream, size int64, cuts int, rng *rand.Rand) {
	path := api.PathDeposits + "/" + depositID + "/files/" + fileID
	held := int64(0)
	digest := ""
	for i := 0; held < size; i++ {
		last := i >= cuts || size-held < 2
		at := int64(-1)
		if !last {
			at = cutAt(rng, size-held, cuts-i)
		}
		srv := c.srv
		req, err := srv.request(http.MethodGet, path, c.recipient, nil)
		if err != nil {
			t.Fatal(err)
		}
		if held > 0 {
			req.Header.Set("Range", "bytes="+strconv.FormatInt(held, 10)+"-")
		}
		hc := &http.Client{Transport: &http.Transport{DisableKeepAlives: true, DisableCompression: true}}
		resp, err := hc.Do(req)
		if err != nil {
			t.Fatalf("%s: GET from %d: %v", row.fault, held, err)
		}
		want := http.StatusOK
		if held > 0 {
			want = http.StatusPartialContent
		}
		if resp.StatusCode != want {
			resp.Body.Close()
			t.Fatalf("%s: GET from %d: %s, want %d", row.fault, held, resp.Status, want)
		}
		if held > 0 && !strings.HasPrefix(resp.Header.Get("Content-Range"), "bytes "+strconv.FormatInt(held, 10)+"-") {
			row.fail(t, "try %d: Content-Range %q from %d", i, resp.Header.Get("Content-Range"), held)
		}
		if d := resp.Header.Get("Repr-Digest"); d != "" {
			digest = d
		}
		body := &cutReader{r: resp.Body, at: at, cut: func() {
			if err := srv.cmd.Process.Signal(syscall.SIGKILL); err != nil {
				t.Errorf("signal: %v", err)
			}
		}}
		n, err := chaosCompare(body, src.reader(held, size))
		resp.Body.Close()
		held += n
		if errors.Is(err, errChaosCorrupt) {
			row.lose(t, "try %d: %v at %d", i, err, held)
			return
		}
		if last {
			if err != nil || held != size {
				row.fail(t, "the last GET: %d of %d bytes, %v", held, size, err)
			}
			break
		}
		row.tries++
		c.restart(t)
		c.swept(t)
		c.leftovers(t, row)
		dep, err := c.client(t, c.sender).Deposit(context.Background(), depositID)
		if err != nil {
			t.Fatal(err)
		}
		if held < size && dep.Recipients[0].FirstDownloadAt != nil {
			row.fail(t, "try %d: a download was recorded with %d of %d bytes fetched", i, held, size)
		}
	}
	want := sha256.New()
	if _, err := io.Copy(want, src.reader(0, size)); err != nil {
		t.Fatal(err)
	}
	if w := "sha-256=:" + base64.StdEncoding.EncodeToString(want.Sum(nil)) + ":"; digest != w {
		row.fail(t, "Repr-Digest %q, want %q", digest, w)
	}
	dep, err := c.client(t, c.sender).Deposit(context.Background(), depositID)
	if err != nil {
		t.Fatal(err)
	}
	if dep.Recipients[0].FirstDownloadAt == nil {
		row.notes = append(row.notes, "the download completed across the restarts is not recorded: the server counts only the bytes it knows it delivered, and a kill -9 forgets those of the answer it cut")
	}
}

var errChaosCorrupt = errors.New("a byte received differs from the file's")

// chaosCompare reads got to its end and compares it with want, returning
// the number of bytes that matched before the end, an error of got, or a
// difference.
func chaosCompare(got, want io.Reader) (int64, error) {
	var n int64
	buf, exp := make([]byte, 64<<10), make([]byte, 64<<10)
	for {
		m, err := got.Read(buf)
		if m > 0 {
			if _, werr := io.ReadFull(want, exp[:m]); werr != nil {
				return n, fmt.Errorf("%w: past the end", errChaosCorrupt)
			}
			if !bytes.Equal(buf[:m], exp[:m]) {
				return n, errChaosCorrupt
			}
			n += int64(m)
		}
		if err == io.EOF {
			return n, nil
		}
		if err != nil {
			return n, err
		}
	}
}

// bitRot stores a small file, flips one of its bytes on disk, and checks
// that a scrub pass finds it and names no other file, that the recipient's
// download of it fails, and that no download of it is recorded.
func (c *chaos) bitRot(t *testing.T, row *chaosRow, healthy []string, try int, rng *rand.Rand) {
	ctx := context.Background()
	sc := c.client(t, c.sender)
	d, err := sc.CreateDeposit(ctx, api.CreateDeposit{Recipients: []string{"avocat@avocat.example"}, Reference: "RG 26/14 rot " + strconv.Itoa(try)})
	if err != nil {
		t.Fatal(err)
	}
	const size = 1 << 20
	content, err := io.ReadAll(newStream(uint64(1000+try)).reader(0, size))
	if err != nil {
		t.Fatal(err)
	}
	fid, err := sc.Upload(ctx, d.ID, "rot.bin", bytes.NewReader(content), size, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sc.Submit(ctx, d.ID); err != nil {
		t.Fatal(err)
	}
	blob := c.blobFile(t, fid)
	f, err := os.OpenFile(blob, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	fi, err := f.Stat()
	if err != nil {
		t.Fatal(err)
	}
	at := rng.Int64N(fi.Size())
	b := []byte{0}
	if _, err := f.ReadAt(b, at); err != nil {
		t.Fatal(err)
	}
	b[0] ^= 1 << rng.IntN(8)
	if _, err := f.WriteAt(b, at); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	row.tries++

	var out bytes.Buffer
	scrub := exec.Command(c.bin, "admin", "scrub", "--data", c.data, "--rate", "0")
	scrub.Stdout = &out
	scrub.Stderr = &out
	err = scrub.Run()
	if err == nil {
		row.fail(t, "try %d: the scrub pass after a flipped byte at %d of %d succeeded:\n%s", try, at, fi.Size(), out.String())
	}
	if !strings.Contains(out.String(), "corrupt file "+fid+" ") {
		row.fail(t, "try %d: the scrub pass does not name the file with a flipped byte at %d of %d:\n%s", try, at, fi.Size(), out.String())
	}
	for _, id := range healthy {
		if strings.Contains(out.String(), id) {
			row.fail(t, "try %d: the scrub pass names the healthy file %s:\n%s", try, id, out.String())
		}
	}
	h := sha256.New()
	dctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	if _, err := c.client(t, c.recipient).Download(dctx, d.ID, fid, h, 0); err == nil {
		row.fail(t, "try %d: the file with a flipped byte at %d downloaded (SHA-256 %x)", try, at, h.Sum(nil))
	}
	dep, err := sc.Deposit(ctx, d.ID)
	if err != nil {
		t.Fatal(err)
	}
	if dep.Recipients[0].FirstDownloadAt != nil {
		row.fail(t, "try %d: a download of the rotten file is recorded", try)
	}
}

// blobFile returns the path of the blob of file id in the data directory.
func (c *chaos) blobFile(t *testing.T, id string) string {
	var found string
	err := filepath.WalkDir(c.data, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && d.Name() == id {
			found = p
		}
		return err
	})
	if err != nil || found == "" {
		t.Fatalf("the blob of file %s is not under %s: %v", id, c.data, err)
	}
	return found
}

// diskFull runs a platform on a small tmpfs; each try fills the disk while
// an upload's PATCH runs, which must be refused 507 while the server stays
// up, then frees the room: the upload resumes where the server says,
// completes, and the file downloads with its SHA-256.
func diskFull(t *testing.T, row *chaosRow, bin string, tries int, rng *rand.Rand) {
	const size = 4 << 20
	dir := testtmpfs.Mount(t, int64(tries)*size+48<<20)
	c := newChaos(t, bin, filepath.Join(dir, "data"), "--min-free", "0")
	t.Cleanup(func() {
		_ = c.srv.cmd.Process.Kill()
		c.srv.wait(t)
	})
	ctx := context.Background()
	filler := filepath.Join(dir, "filler")
	for i := range tries {
		sc := c.client(t, c.sender)
		d, err := sc.CreateDeposit(ctx, api.CreateDeposit{Recipients: []string{"avocat@avocat.example"}, Reference: "RG 26/14 full " + strconv.Itoa(i)})
		if err != nil {
			t.Fatal(err)
		}
		src := newStream(uint64(2000 + i))
		upload := c.createUpload(t, d.ID, "plein.bin", size)
		room := rng.Int64N(size / 2)
		testtmpfs.Take(t, filler, testtmpfs.Free(t, dir)-room)
		row.tries++
		status, _, err := c.srv.patch(upload, c.sender, 0, size, src.reader(0, size))
		if err != nil || status != http.StatusInsufficientStorage {
			row.fail(t, "try %d: a PATCH of %d bytes with %d bytes of room: %d, %v, want 507", i, size, room, status, err)
		}
		select {
		case code := <-c.srv.exited:
			t.Fatalf("%s: try %d: serve exited with %d on a full disk:\n%s", row.fault, i, code, c.srv.tail())
		default:
		}
		if err := os.Remove(filler); err != nil {
			t.Fatal(err)
		}
		off := c.srv.head(t, upload, c.sender)
		if off < 0 || off >= size {
			row.fail(t, "try %d: resumes at %d of %d after the full disk", i, off, size)
			continue
		}
		if status, _, err := c.srv.patch(upload, c.sender, off, size, src.reader(off, size)); err != nil || status != http.StatusNoContent {
			row.fail(t, "try %d: the PATCH from %d once the room is back: %d, %v", i, off, status, err)
			continue
		}
		if _, err := sc.Submit(ctx, d.ID); err != nil {
			row.fail(t, "try %d: submitting once the room is back: %v", i, err)
			continue
		}
		files, err := sc.Files(ctx, d.ID)
		if err != nil || len(files.Files) != 1 {
			t.Fatalf("files: %+v, %v", files, err)
		}
		c.verify(t, row, d.ID, files.Files[0].ID, src, size)
	}
	c.journalIntact(t, row)
}

// smtpDown serves with a real SMTP server that is down when deposits are
// submitted: the recipient's notice fails, is kept, and is delivered once
// the mail server is back, also across a kill -9 of navette (every other
// try) while it waits.
func smtpDown(t *testing.T, row *chaosRow, bin string, tries int) {
	mail := testsmtp.Start(t, testsmtp.Options{})
	// A failed notice is tried again 2 s later rather than 30 (and the
	// outbox looked at as often): what is checked is that it is kept and
	// delivered, not how long the default wait is.
	c := newChaos(t, bin, filepath.Join(t.TempDir(), "data"), "--smtp", mail.URL(), "--public-url", "https://navette.example",
		"--mail-retry-after", "2s")
	ctx := context.Background()
	const to = "avocat@avocat.example"
	for i := range tries {
		mail.Stop()
		before := len(mail.To(to))
		failed := len(failedDeposit.FindAllString(c.srv.log.String(), -1))
		sc := c.client(t, c.sender)
		d, err := sc.CreateDeposit(ctx, api.CreateDeposit{Recipients: []string{to}, Reference: "RG 26/14 smtp " + strconv.Itoa(i)})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := sc.Upload(ctx, d.ID, "pv.bin", bytes.NewReader(make([]byte, 64<<10)), 64<<10, nil); err != nil {
			t.Fatal(err)
		}
		row.tries++
		if _, err := sc.Submit(ctx, d.ID); err != nil {
			row.fail(t, "try %d: submitting while the mail server is down: %v", i, err)
			continue
		}
		// The worker logs a failure once it is recorded, with the next
		// attempt 2 s ahead (--mail-retry-after): a kill -9 right after
		// it finds the notice held by no lease, which would keep it 5 min
		// (notify.DefaultLease) from the restarted server.
		if !waitFor(3*time.Minute, func() bool { return len(failedDeposit.FindAllString(c.srv.log.String(), -1)) > failed }) {
			row.fail(t, "try %d: no failed delivery logged while the mail server is down:\n%s", i, c.srv.tail())
		}
		if i%2 == 1 {
			if err := c.srv.cmd.Process.Signal(syscall.SIGKILL); err != nil {
				t.Fatal(err)
			}
			c.restart(t)
		}
		if err := mail.Start(); err != nil {
			t.Fatal(err)
		}
		if !waitFor(3*time.Minute, func() bool { return len(mail.To(to)) > before }) {
			row.lose(t, "try %d: the recipient's notice (not delivered once the mail server was back)", i)
		}
	}
	c.journalIntact(t, row)
}

// failedDeposit is in the log line of a recipient's notice whose
// delivery failed and will be tried again.
var failedDeposit = regexp.MustCompile(`msg="notice delivery failed; will retry" notice=\S+ kind=deposit `)

// waitFor polls cond for at most d.
func waitFor(d time.Duration, cond func() bool) bool {
	for end := time.Now().Add(d); time.Now().Before(end); {
		if cond() {
			return true
		}
		time.Sleep(200 * time.Millisecond)
	}
	return cond()
}

// s3Down serves with its blobs on a real S3 server (versitygw) that is
// killed during an upload's PATCH and restarted: the PATCH and a download
// meanwhile are answered 503 with Retry-After, and once S3 is back the
// upload resumes where the server says and both files download whole.
func s3Down(t *testing.T, row *chaosRow, bin string, s3 *tests3.Server, tries int, rng *rand.Rand) {
	s3.Setenv(t)
	c := newChaos(t, bin, filepath.Join(t.TempDir(), "data"), "--blobs", s3.URL(s3.NewBucket(t)))
	ctx := context.Background()
	const size = 8 << 20
	sc := c.client(t, c.sender)
	stored, err := sc.CreateDeposit(ctx, api.CreateDeposit{Recipients: []string{"avocat@avocat.example"}, Reference: "RG 26/14 s3"})
	if err != nil {
		t.Fatal(err)
	}
	storedSrc := newStream(3000)
	if _, err := sc.Upload(ctx, stored.ID, "stocke.bin", io.NewSectionReader(readerAt{storedSrc}, 0, size), size, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := sc.Submit(ctx, stored.ID); err != nil {
		t.Fatal(err)
	}
	files, err := sc.Files(ctx, stored.ID)
	if err != nil || len(files.Files) != 1 {
		t.Fatalf("files: %+v, %v", files, err)
	}
	storedID := files.Files[0].ID
	reset := 0
	for i := range tries {
		d, err := sc.CreateDeposit(ctx, api.CreateDeposit{Recipients: []string{"avocat@avocat.example"}, Reference: "RG 26/14 s3 " + strconv.Itoa(i)})
		if err != nil {
			t.Fatal(err)
		}
		src := newStream(uint64(3001 + i))
		upload := c.createUpload(t, d.ID, "s3.bin", size)
		body := &cutReader{r: src.reader(0, size), at: 1 + rng.Int64N(size-1), cut: func() {
			if err := s3.Stop(); err != nil {
				t.Errorf("stopping S3: %v", err)
			}
		}}
		row.tries++
		// The server answers while the body is still coming: the client
		// may see the connection reset before it reads the answer.
		status, retryAfter, err := c.srv.patch(upload, c.sender, 0, size, body)
		if err != nil {
			reset++
		} else if status != http.StatusServiceUnavailable || retryAfter == "" {
			row.fail(t, "try %d: the PATCH cut by S3's death: %d, Retry-After %q; want 503 with Retry-After", i, status, retryAfter)
		}
		req, err := c.srv.request(http.MethodGet, api.PathDeposits+"/"+stored.ID+"/files/"+storedID, c.recipient, nil)
		if err != nil {
			t.Fatal(err)
		}
		if resp, err := http.DefaultClient.Do(req); err != nil {
			row.fail(t, "try %d: a download while S3 is down: %v", i, err)
		} else {
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") == "" {
				row.fail(t, "try %d: a download while S3 is down: %s, Retry-After %q; want 503 with Retry-After", i, resp.Status, resp.Header.Get("Retry-After"))
			}
		}
		if err := s3.Start(); err != nil {
			t.Fatal(err)
		}
		off := c.srv.head(t, upload, c.sender)
		if off < 0 || off > body.n.Load() {
			row.fail(t, "try %d: resumes at %d once S3 is back, %d bytes sent", i, off, body.n.Load())
			continue
		}
		if status, _, err := c.srv.patch(upload, c.sender, off, size, src.reader(off, size)); err != nil || status != http.StatusNoContent {
			row.fail(t, "try %d: the PATCH from %d once S3 is back: %d, %v", i, off, status, err)
			continue
		}
		if _, err := sc.Submit(ctx, d.ID); err != nil {
			row.fail(t, "try %d: submitting once S3 is back: %v", i, err)
			continue
		}
		files, err := sc.Files(ctx, d.ID)
		if err != nil || len(files.Files) != 1 {
			t.Fatalf("files: %+v, %v", files, err)
		}
		c.verify(t, row, d.ID, files.Files[0].ID, src, size)
	}
	c.verify(t, row, stored.ID, storedID, storedSrc, size)
	if reset > 0 {
		row.notes = append(row.notes, fmt.Sprintf("%d of %d PATCHes saw their connection reset while sending, before reading the 503", reset, tries))
	}
}

// readerAt reads a stream at any offset.
type readerAt struct{ s stream }

func (r readerAt) ReadAt(p []byte, off int64) (int, error) {
	return io.ReadFull(r.s.reader(off, off+int64(len(p))), p)
}

// pgRestart serves with its metadata in a real PostgreSQL server that is
// restarted at once (as after a crash) during an upload's PATCH: the
// upload resumes where the server says once the database is back, and
// the file downloads whole.
func pgRestart(t *testing.T, row *chaosRow, bin string, pg *testpg.Server, tries int, rng *rand.Rand) {
	c := newChaos(t, bin, filepath.Join(t.TempDir(), "data"), "--db", pg.NewDatabase(t))
	t.Cleanup(func() {
		_ = c.srv.cmd.Process.Kill()
		c.srv.wait(t)
	})
	ctx := context.Background()
	const size = 24 << 20
	sc := c.client(t, c.sender)
	outcomes := map[string]int{}
	defer func() {
		var o []string
		for _, k := range slices.Sorted(maps.Keys(outcomes)) {
			o = append(o, fmt.Sprintf("%s ×%d", k, outcomes[k]))
		}
		row.notes = append(row.notes, "the PATCHes across the restart: "+strings.Join(o, ", "))
	}()
	for i := range tries {
		// A request may meet a connection of the pool the restart broke:
		// it is refused 503 and tried again.
		var d *api.Deposit
		if !waitFor(time.Minute, func() bool {
			var err error
			d, err = sc.CreateDeposit(ctx, api.CreateDeposit{Recipients: []string{"avocat@avocat.example"}, Reference: "RG 26/14 pg " + strconv.Itoa(i)})
			if err != nil {
				outcomes["deposit refused after the restart"]++
			}
			return err == nil
		}) {
			t.Fatalf("%s: try %d: no deposit can be created once the database is back", row.fault, i)
		}
		src := newStream(uint64(4000 + i))
		upload := c.createUpload(t, d.ID, "pg.bin", size)
		body := &cutReader{r: src.reader(0, size), at: 1 + rng.Int64N(size-1), cut: func() {
			if err := pg.Restart(); err != nil {
				t.Errorf("restarting PostgreSQL: %v", err)
			}
		}}
		row.tries++
		status, retryAfter, err := c.srv.patch(upload, c.sender, 0, size, body)
		if err != nil {
			outcomes["connection cut"]++
		} else {
			outcomes[strconv.Itoa(status)]++
		}
		if err == nil && status != http.StatusNoContent && (status != http.StatusServiceUnavailable || retryAfter == "") {
			row.fail(t, "try %d: the PATCH across the database's restart: %d, Retry-After %q; want 204, or 503 with Retry-After", i, status, retryAfter)
		}
		off := int64(-1)
		if !waitFor(3*time.Minute, func() bool {
			req, err := c.srv.request(http.MethodHead, upload, c.sender, nil)
			if err != nil {
				t.Fatal(err)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				return false
			}
			resp.Body.Close()
			off, err = strconv.ParseInt(resp.Header.Get("Upload-Offset"), 10, 64)
			return resp.StatusCode == http.StatusOK && err == nil
		}) {
			row.fail(t, "try %d: the upload's offset cannot be had once the database is back", i)
			continue
		}
		if off < size {
			if status, _, err := c.srv.patch(upload, c.sender, off, size, src.reader(off, size)); err != nil || status != http.StatusNoContent {
				row.fail(t, "try %d: the PATCH from %d once the database is back: %d, %v", i, off, status, err)
				continue
			}
		}
		// A connection of the server's pool that the restart broke may
		// still answer one request 503 (with Retry-After): a client tries
		// again, and so does this one.
		var subErr error
		if !waitFor(time.Minute, func() bool {
			_, subErr = sc.Submit(ctx, d.ID)
			return !navette.IsCode(subErr, navette.EUNAVAILABLE)
		}) || subErr != nil {
			row.fail(t, "try %d: submitting once the database is back: %v", i, subErr)
			continue
		}
		files, err := sc.Files(ctx, d.ID)
		if err != nil || len(files.Files) != 1 {
			t.Fatalf("files: %+v, %v", files, err)
		}
		c.verify(t, row, d.ID, files.Files[0].ID, src, size)
	}
}

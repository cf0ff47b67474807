package clustertest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"path"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"navette"
	"navette/api"
	"navette/client"
)

// recorder collects what the load of an outage test met: every 5xx answer
// by status, method and code, and every failure that was not clean.
type recorder struct {
	stopped context.Context // done once the load is over
	n5xx    atomic.Int64    // 5xx answers so far
	on5xx   func()          // called at each

	mu       sync.Mutex
	statuses map[string]int
	unclean  []string
}

func newRecorder(stopped context.Context) *recorder {
	return &recorder{stopped: stopped, statuses: map[string]int{}}
}

func (r *recorder) bad(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.unclean = append(r.unclean, fmt.Sprintf(format, args...))
}

// leaky lists what a problem document must not tell a client: the internals
// of a failure (addresses, drivers, stores).
var leaky = []string{"127.0.0.1", "dial ", "postgres", "pgx", "minio", "connection refused", "sql:"}

// checkingTransport is the transport of the load's clients: it checks that
// every 5xx answer is a problem document that hides its cause, and that no
// request fails below HTTP while the nodes are up.
type checkingTransport struct {
	base http.RoundTripper
	rec  *recorder
}

// RoundTrip sends req and checks the answer.
func (ct *checkingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := ct.base.RoundTrip(req)
	if err != nil {
		// The load's end cancels requests; anything else is a node that
		// cut a connection or never answered.
		if ct.rec.stopped.Err() == nil {
			ct.rec.bad("%s %s: %v", req.Method, req.URL.Path, err)
		}
		return nil, err
	}
	if resp.StatusCode < 500 {
		return resp, nil
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	resp.Body = io.NopCloser(bytes.NewReader(body))
	if err != nil {
		ct.rec.bad("%s %s: %d with a body cut short: %v", req.Method, req.URL.Path, resp.StatusCode, err)
		return resp, nil
	}
	resp.Request = req
	p, err := checkProblem5xx(req.Method+" "+req.URL.Path, resp, body)
	if err != nil {
		ct.rec.bad("%v", err)
	}
	for _, s := range leaky {
		if strings.Contains(strings.ToLower(p.Detail), s) {
			ct.rec.bad("%s %s: the problem document tells internals: %q", req.Method, req.URL.Path, p.Detail)
			break
		}
	}
	ct.rec.mu.Lock()
	ct.rec.statuses[fmt.Sprintf("%d %s %s", resp.StatusCode, req.Method, p.Code)]++
	ct.rec.mu.Unlock()
	ct.rec.n5xx.Add(1)
	if ct.rec.on5xx != nil {
		ct.rec.on5xx()
	}
	return resp, nil
}

// acked is a deposit whose submission was acknowledged (200).
type acked struct {
	id, file string
	seed     uint64
	size     int
	after    bool // made wholly after the outage
}

// pause paces a load goroutine after a failure, so that an outage does not
// make it spin.
func pause(ctx context.Context) {
	select {
	case <-ctx.Done():
	case <-time.After(50 * time.Millisecond):
	}
}

// TestPostgresRestartUnderLoad stops PostgreSQL (as a crash would) while
// uploads, submissions, listings and downloads run against three nodes,
// keeps it down until the load has met failures, and starts it again.
// Failures during the outage are 5xx problem documents that hide their
// cause, with no request cut or hung; the nodes recover by themselves
// (ready, and whole deposits made again, within bounded waits); and every
// deposit whose submission was acknowledged, before or after, is listed and
// downloads intact at the end.
func TestPostgresRestartUnderLoad(t *testing.T) {
	c := newCluster(t, 3)
	ctx, cancel := context.WithTimeout(t.Context(), 4*time.Minute)
	defer cancel()
	restarted := false
	defer func() {
		if !restarted {
			if err := pg.Start(); err != nil {
				t.Errorf("start PostgreSQL: %v", err)
			}
		}
	}()

	loadCtx, stopLoad := context.WithCancel(ctx)
	defer stopLoad()
	rec := newRecorder(loadCtx)
	clientOf := func(i int, token string) *client.Client {
		tr := http.DefaultTransport.(*http.Transport).Clone()
		return c.client(i, token, client.WithHTTPClient(&http.Client{Transport: &checkingTransport{base: tr, rec: rec}}))
	}
	var agents, lawyers [3]*client.Client
	for i := range 3 {
		agents[i], lawyers[i] = clientOf(i, c.agent), clientOf(i, c.lawyer)
	}

	var (
		mu       sync.Mutex
		done     []acked
		phase    atomic.Int32 // 0 before the outage, 1 during, 2 after
		failures [3]atomic.Int64
		serial   atomic.Uint64
		progress = make(chan struct{}, 1) // pinged at each acknowledgement or failure
	)
	ping := func() {
		select {
		case progress <- struct{}{}:
		default:
		}
	}
	rec.on5xx = ping
	const opTimeout = 90 * time.Second // a request stuck longer is a hang
	failed := func(what string, err error) {
		if loadCtx.Err() != nil {
			return
		}
		if errors.Is(err, context.DeadlineExceeded) {
			rec.bad("%s hung for %v: %v", what, opTimeout, err)
		}
		failures[phase.Load()].Add(1)
		ping()
	}
	uploader := func() {
		for loadCtx.Err() == nil {
			k := serial.Add(1)
			node := int(k % 3)
			startPhase := phase.Load()
			size := 256<<10 + int(k%8)*mib
			data := randomBytes(1000+k, size)
			opCtx, cancel := context.WithTimeout(loadCtx, opTimeout)
			d, err := agents[node].CreateDeposit(opCtx, api.CreateDeposit{Recipients: []string{lawyerEmail}, Reference: fmt.Sprintf("Parquet 26/%05d", k), RetentionDays: 7})
			var fid string
			if err == nil {
				fid, err = agents[node].Upload(opCtx, d.ID, "pv.pdf", bytes.NewReader(data), int64(size), nil)
			}
			if err == nil {
				_, err = agents[(node+1)%3].Submit(opCtx, d.ID)
			}
			cancel()
			if err != nil {
				failed(fmt.Sprintf("deposit %d", k), err)
				pause(loadCtx)
				continue
			}
			mu.Lock()
			done = append(done, acked{id: d.ID, file: fid, seed: 1000 + k, size: size, after: startPhase == 2})
			mu.Unlock()
			ping()
		}
	}
	reader := func(g int) {
		rnd := rand.New(rand.NewPCG(uint64(g), 1))
		for n := 0; loadCtx.Err() == nil; n++ {
			node := (g + n) % 3
			opCtx, cancel := context.WithTimeout(loadCtx, opTimeout)
			box, cl := client.BoxInbox, lawyers[node]
			if n%2 == 1 {
				box, cl = client.BoxSent, agents[node]
			}
			_, err := cl.List(opCtx, box, "", 20)
			if err != nil {
				failed("list", err)
				pause(loadCtx)
			}
			mu.Lock()
			var a acked
			if len(done) > 0 {
				a = done[rnd.IntN(len(done))]
			}
			mu.Unlock()
			if a.id != "" {
				err := verifyDownload(opCtx, lawyers[node], a.id, a.file, randomBytes(a.seed, a.size))
				if errors.Is(err, errMismatch) {
					rec.bad("%v", err)
				} else if err != nil {
					failed("download", err)
				}
			}
			cancel()
		}
	}
	var wg sync.WaitGroup
	for range 3 {
		wg.Go(uploader)
	}
	for g := range 2 {
		wg.Go(func() { reader(g) })
	}
	count := func(after bool) int {
		mu.Lock()
		defer mu.Unlock()
		n := 0
		for _, a := range done {
			if !after || a.after {
				n++
			}
		}
		return n
	}
	// waitFor waits, at each acknowledgement or failure, until cond holds.
	waitFor := func(what string, d time.Duration, cond func() bool) {
		t.Helper()
		timer := time.NewTimer(d)
		defer timer.Stop()
		for !cond() {
			select {
			case <-progress:
			case <-timer.C:
				stopLoad()
				wg.Wait()
				t.Fatalf("%s: not within %v (unclean failures: %q)", what, d, rec.unclean)
			}
		}
	}

	waitFor("deposits before the outage", time.Minute, func() bool { return count(false) >= 6 })
	before := count(false)

	// One upload is surely in the middle of a PATCH when PostgreSQL stops:
	// its body is held until then.
	const sizeG, gateG = 12*mib + 3, 4 * mib
	dataG := randomBytes(99, sizeG)
	dG, err := c.newDeposit(ctx, 0, "Parquet 26/99999")
	if err != nil {
		t.Fatal(err)
	}
	locG := c.tusCreate(0, dG.ID, "g.bin", sizeG)
	bodyG := newGatedReader(dataG, gateG, nil)
	defer bodyG.open() // should the test end early
	type answer struct {
		resp *http.Response
		body []byte
		err  error
	}
	patchedG := make(chan answer, 1)
	go func() {
		resp, b, err := c.tusPatch(1, locG, 0, bodyG, sizeG)
		patchedG <- answer{resp, b, err}
	}()
	select {
	case <-bodyG.reached:
	case a := <-patchedG:
		t.Fatalf("the held PATCH ended early: %v %v %s", a.err, a.resp, a.body)
	}

	phase.Store(1)
	if err := pg.Stop(); err != nil {
		t.Fatal(err)
	}
	down := time.Now()
	n5xx := rec.n5xx.Load()
	bodyG.open()
	a := <-patchedG
	if a.err != nil {
		t.Errorf("the PATCH in flight when PostgreSQL stopped: %v", a.err)
	} else if p, err := checkProblem5xx("the PATCH in flight when PostgreSQL stopped", a.resp, a.body); err != nil {
		t.Error(err)
	} else {
		t.Logf("the PATCH in flight when PostgreSQL stopped: %d %s %q after %v", a.resp.StatusCode, p.Code, p.Detail, time.Since(down).Round(time.Millisecond))
	}
	// Down until the load has met errors: the Go client retries uploads
	// and downloads, so whole operations may not fail before it is back.
	waitFor("errors during the outage", time.Minute, func() bool { return rec.n5xx.Load()-n5xx >= 30 })
	if err := pg.Start(); err != nil {
		t.Fatal(err)
	}
	restarted = true
	phase.Store(2)
	up := time.Now()
	t.Logf("PostgreSQL was down for %v; %d deposits acknowledged before; %d 5xx answers during the outage",
		up.Sub(down).Round(time.Millisecond), before, rec.n5xx.Load()-n5xx)

	if err := c.waitReady(time.Minute); err != nil {
		t.Fatal(err)
	}
	t.Logf("all nodes ready %v after the restart", time.Since(up).Round(time.Millisecond))
	waitFor("deposits after the restart", 2*time.Minute, func() bool { return count(true) >= 6 })
	t.Logf("%d deposits made wholly after the restart, %v after it", count(true), time.Since(up).Round(time.Millisecond))

	// The upload cut by the outage resumes from its durable offset.
	offG := c.tusHead(2, locG)
	srcG := newWatchedSource(dataG)
	if err := c.client(2, c.agent).ResumeUpload(ctx, locG, srcG, sizeG, nil); err != nil {
		t.Fatalf("resuming the upload cut by the outage: %v", err)
	}
	if low := srcG.lowest.Load(); low < offG {
		t.Errorf("the upload cut by the outage was resent from %d, before its durable offset %d", low, offG)
	}
	if _, err := c.client(0, c.agent).Submit(ctx, dG.ID); err != nil {
		t.Fatal(err)
	}
	t.Logf("the upload cut by the outage resumed at %d and completed", offG)
	mu.Lock()
	done = append(done, acked{id: dG.ID, file: path.Base(locG), seed: 99, size: sizeG, after: true})
	mu.Unlock()

	stopLoad()
	wg.Wait()
	if n := failures[0].Load(); n > 0 {
		t.Errorf("%d operations failed before the outage", n)
	}

	rec.mu.Lock()
	for _, u := range rec.unclean {
		t.Errorf("unclean: %s", u)
	}
	keys := make([]string, 0, len(rec.statuses))
	for k := range rec.statuses {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		t.Logf("5xx answers %s: %d", k, rec.statuses[k])
	}
	rec.mu.Unlock()
	t.Logf("failed operations: %d before, %d during, %d after the outage", failures[0].Load(), failures[1].Load(), failures[2].Load())

	// Nothing acknowledged is lost: listed in both boxes, intact.
	vctx, vcancel := context.WithTimeout(ctx, 2*time.Minute)
	defer vcancel()
	inbox, sent := c.listAll(vctx, 0, c.lawyer, client.BoxInbox), c.listAll(vctx, 1, c.agent, client.BoxSent)
	for k, a := range done {
		if inbox[a.id] != "available" || sent[a.id] != "available" {
			t.Errorf("acknowledged deposit %s: %q in the inbox, %q in the sent box, want available in both", a.id, inbox[a.id], sent[a.id])
		}
		if err := verifyDownload(vctx, c.client(k%3, c.lawyer), a.id, a.file, randomBytes(a.seed, a.size)); err != nil {
			t.Error(err)
		}
	}
	t.Logf("%d acknowledged deposits listed and intact", len(done))
}

// listAll returns the state of every deposit in a box, through node i.
func (c *cluster) listAll(ctx context.Context, i int, token, box string) map[string]string {
	c.t.Helper()
	states := map[string]string{}
	cl := c.client(i, token)
	before := ""
	for {
		l, err := cl.List(ctx, box, before, 100)
		if err != nil {
			c.t.Fatalf("list %s through node %d: %v", box, i+1, err)
		}
		for _, d := range l.Deposits {
			states[d.ID] = d.State
		}
		if l.Next == "" {
			return states
		}
		before = l.Next
	}
}

// TestS3Outage takes the S3 server down for 30 seconds. During the outage:
// a PATCH streaming when it began, a PATCH sent during it, a download and
// the readiness probes fail with 5xx problem documents; the database side
// still works (offsets, new drafts); a Go client with a short retry budget
// gives up with the server's error, one with a long budget keeps trying.
// Afterwards the long-budget upload completes by itself, the others resume
// from their durable offset and complete, and everything, the deposit
// committed before the outage included, downloads intact from every node.
func TestS3Outage(t *testing.T) {
	// The issue asks for 30 s. Nothing in navette counts the outage's
	// length (the nodes keep no state about it; the Go client's budget does,
	// and is set apart from it below), so a shorter one tests the same; the
	// full length costs the package 30 s.
	const outage = 30 * time.Second
	c := newCluster(t, 3)
	ctx, cancel := context.WithTimeout(t.Context(), 4*time.Minute)
	defer cancel()
	s3up := true
	defer func() {
		if !s3up {
			if err := s3srv.Start(); err != nil {
				t.Errorf("start the S3 server: %v", err)
			}
		}
	}()

	// Committed before the outage.
	data0 := randomBytes(50, 9*mib+50)
	d0, err := c.newDeposit(ctx, 0, "Parquet 26/00050")
	if err != nil {
		t.Fatal(err)
	}
	file0, err := c.client(0, c.agent).Upload(ctx, d0.ID, "avant.bin", bytes.NewReader(data0), int64(len(data0)), nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.client(1, c.agent).Submit(ctx, d0.ID); err != nil {
		t.Fatal(err)
	}

	// Upload A: a prefix committed before the outage.
	const sizeA, prefixA = 14*mib + 1, 6*mib + 5
	dataA := randomBytes(51, sizeA)
	dA, err := c.newDeposit(ctx, 1, "Parquet 26/00051")
	if err != nil {
		t.Fatal(err)
	}
	locA := c.tusCreate(1, dA.ID, "a.bin", sizeA)
	if resp, b, err := c.tusPatch(1, locA, 0, bytes.NewReader(dataA[:prefixA]), prefixA); err != nil || resp.StatusCode != http.StatusNoContent {
		t.Fatalf("PATCH of A's prefix: %v %v %s", err, resp, b)
	}

	// Upload B: a PATCH streaming to node 2 when the outage begins, after
	// node 2 stored a part.
	const sizeB, gateB = 30*mib + 7, 20 * mib
	dataB := randomBytes(52, sizeB)
	dB, err := c.newDeposit(ctx, 1, "Parquet 26/00052")
	if err != nil {
		t.Fatal(err)
	}
	locB := c.tusCreate(1, dB.ID, "b.bin", sizeB)
	bodyB := newGatedReader(dataB, gateB, nil)
	defer bodyB.open() // should the test end early
	type answer struct {
		resp *http.Response
		body []byte
		err  error
	}
	patchedB := make(chan answer, 1)
	go func() {
		resp, b, err := c.tusPatch(1, locB, 0, bodyB, sizeB)
		patchedB <- answer{resp: resp, body: b, err: err}
	}()
	select {
	case <-bodyB.reached:
	case a := <-patchedB:
		t.Fatalf("the PATCH of B ended early: %v %v %s", a.err, a.resp, a.body)
	}
	if err := c.waitParts(ctx, path.Base(locB), 1); err != nil {
		t.Fatal(err)
	}

	if err := s3srv.Stop(); err != nil {
		t.Fatal(err)
	}
	s3up = false
	down := time.Now()
	bodyB.open()

	// During the outage.
	var wg sync.WaitGroup
	clean := func(what string, resp *http.Response, body []byte, err error, took time.Duration) {
		if err != nil {
			t.Errorf("%s during the outage: %v", what, err)
			return
		}
		p, err := checkProblem5xx(what, resp, body)
		if err != nil {
			t.Errorf("during the outage: %v", err)
			return
		}
		for _, s := range leaky {
			if strings.Contains(strings.ToLower(p.Detail), s) {
				t.Errorf("%s during the outage: the problem document tells internals: %q", what, p.Detail)
			}
		}
		t.Logf("%s during the outage: %d %s %q after %v", what, resp.StatusCode, p.Code, p.Detail, took.Round(time.Millisecond))
	}
	timed := func(f func() (*http.Response, []byte, error)) (*http.Response, []byte, time.Duration, error) {
		start := time.Now()
		resp, b, err := f()
		return resp, b, time.Since(start), err
	}
	wg.Go(func() {
		a := <-patchedB
		clean("the PATCH of B streaming when S3 stopped", a.resp, a.body, a.err, time.Since(down))
	})
	for i := range c.nodes {
		wg.Go(func() {
			resp, b, took, err := timed(func() (*http.Response, []byte, error) { return c.do(i, "GET", "/readyz", "", nil, 0) })
			clean(fmt.Sprintf("readyz of node %d", i+1), resp, b, err, took)
		})
	}
	wg.Go(func() {
		resp, b, took, err := timed(func() (*http.Response, []byte, error) {
			return c.do(0, "GET", "/api/v1/deposits/"+d0.ID+"/files/"+file0, c.lawyer, nil, 0)
		})
		clean("a download", resp, b, err, took)
	})
	// The Go client with a short budget gives up with the server's error.
	var depC, fileC string
	dataC := randomBytes(53, 3*mib+3)
	agentC := c.client(1, c.agent, client.WithRetry(client.RetryPolicy{InitialDelay: 200 * time.Millisecond, MaxDelay: time.Second, Budget: 3 * time.Second}))
	long := client.RetryPolicy{InitialDelay: 200 * time.Millisecond, MaxDelay: 2 * time.Second, Budget: 2 * time.Minute}
	agentA := c.client(2, c.agent, client.WithRetry(long))
	wg.Go(func() {
		dC, err := newDraft(ctx, agentC, "Parquet 26/00053")
		if err != nil {
			t.Errorf("creating a draft during the outage (the database is up): %v", err)
			return
		}
		depC = dC.ID
		start := time.Now()
		fileC, err = agentC.Upload(ctx, dC.ID, "c.bin", bytes.NewReader(dataC), int64(len(dataC)), nil)
		var ne *navette.Error
		if !errors.As(err, &ne) || ne.Code != navette.EUNAVAILABLE && ne.Code != navette.EINTERNAL || fileC == "" {
			t.Errorf("upload with a 3 s budget during the outage: %v (file %q), want the server's unavailable or internal error", err, fileC)
		} else {
			t.Logf("upload with a 3 s budget gave up after %v: %v", time.Since(start).Round(time.Millisecond), err)
		}
	})
	// Upload A: its offset is still known; a PATCH fails cleanly; then a
	// Go client with a long budget keeps trying until the store is back.
	srcA := newWatchedSource(dataA)
	resumedA := make(chan error, 1)
	wg.Go(func() {
		if off, err := c.head(2, locA); err != nil || off != prefixA {
			t.Errorf("during the outage, node 3 says A is at %d (%v), want %d", off, err, prefixA)
		}
		resp, b, took, err := timed(func() (*http.Response, []byte, error) {
			return c.tusPatch(2, locA, prefixA, bytes.NewReader(dataA[prefixA:]), sizeA-prefixA)
		})
		clean("a PATCH", resp, b, err, took)
		go func() { resumedA <- agentA.ResumeUpload(ctx, locA, srcA, sizeA, nil) }()
	})
	wg.Wait()
	if rest := outage - time.Since(down); rest > 0 {
		time.Sleep(rest) // the outage's length, not a synchronisation
	}
	select {
	case err := <-resumedA:
		t.Fatalf("the upload with a long budget ended while S3 was down: %v", err)
	default:
	}
	if err := s3srv.Start(); err != nil {
		t.Fatal(err)
	}
	s3up = true
	up := time.Now()
	t.Logf("S3 was down for %v", up.Sub(down).Round(time.Millisecond))
	if t.Failed() {
		t.FailNow()
	}

	// Afterwards.
	if err := <-resumedA; err != nil {
		t.Fatalf("the upload with a long budget, after the outage: %v", err)
	}
	t.Logf("the upload with a long budget completed %v after the outage", time.Since(up).Round(time.Millisecond))
	if low := srcA.lowest.Load(); low < prefixA {
		t.Errorf("A was resent from %d, before its durable offset %d", low, prefixA)
	}
	offB := c.tusHead(2, locB)
	t.Logf("after the outage, B is at %d (its PATCH was cut at about %d)", offB, gateB)
	if offB > gateB {
		t.Errorf("B is at %d, beyond what was sent before the outage", offB)
	}
	srcB := newWatchedSource(dataB)
	if err := c.client(2, c.agent).ResumeUpload(ctx, locB, srcB, sizeB, nil); err != nil {
		t.Fatalf("resuming B: %v", err)
	}
	if low := srcB.lowest.Load(); low < offB {
		t.Errorf("B was resent from %d, before its durable offset %d", low, offB)
	}
	locC := api.PathUploads + fileC
	offC := c.tusHead(0, locC)
	srcC := newWatchedSource(dataC)
	if err := c.client(0, c.agent).ResumeUpload(ctx, locC, srcC, int64(len(dataC)), nil); err != nil {
		t.Fatalf("resuming C: %v", err)
	}
	if low := srcC.lowest.Load(); low < offC {
		t.Errorf("C was resent from %d, before its durable offset %d", low, offC)
	}

	files := map[string][]byte{file0: data0, path.Base(locA): dataA, path.Base(locB): dataB, fileC: dataC}
	deposits := map[string]string{file0: d0.ID, path.Base(locA): dA.ID, path.Base(locB): dB.ID, fileC: depC}
	for k, id := range []string{dA.ID, dB.ID, depC} {
		if _, err := c.client(k, c.agent).Submit(ctx, id); err != nil {
			t.Fatal(err)
		}
	}
	for f, data := range files {
		id := deposits[f]
		for i := range c.nodes {
			if _, err := c.checkAvailable(ctx, i, id, data); err != nil {
				t.Error(err)
			}
			if err := verifyDownload(ctx, c.client(i, c.lawyer), id, f, data); err != nil {
				t.Error(err)
			}
		}
	}
	uploads := c.checkBucket(file0, path.Base(locA), path.Base(locB), fileC)
	t.Logf("multipart uploads left in the bucket: %q", uploads)
}

package app_test

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"navette"
	"navette/api"
	"navette/app"
	"navette/internal/testtmpfs"
	"navette/seal"
)

// syncBuffer is a buffer the server's logger writes to while the test
// reads it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// insufficientStorage checks that an answer is the 507 problem of a full
// disk.
func (e *env) insufficientStorage(resp *http.Response, body []byte) {
	e.t.Helper()
	p := e.problem(resp, body, http.StatusInsufficientStorage)
	if p.Type != "tag:navette,2026:problem:insufficient_storage" || p.Code != navette.ENOSPACE || p.Detail == "" {
		e.t.Fatalf("%s %s: problem %+v, want the insufficient_storage type with a detail", resp.Request.Method, resp.Request.URL.Path, p)
	}
}

// TestFullDisk runs a node whose data directory (SQLite and blobs) is a
// real 64 MiB tmpfs, and fills it. Uploads too large for the free space
// above the reserve are refused at creation with 507, and concurrent
// creations cannot share the same room; an upload that fills the disk gets
// 507 and leaves no bytes behind, so the next deposit goes through; on a
// full disk authenticated requests still work (the token's and session's
// use is recorded best-effort), writes of the database get 507 and
// /readyz 503 with the reason; once space returns everything works again
// without a restart, and the journal verifies.
func TestFullDisk(t *testing.T) {
	const (
		fsSize  = 64 << 20
		reserve = 8 << 20
	)
	dir := testtmpfs.Mount(t, fsSize)
	logs := &syncBuffer{}
	e := newEnv(t, func(c *app.Config) {
		c.DataDir = dir
		c.MinFree = "8MiB"
		c.MaxUploadsPerUser, c.MaxUploadsPerToken, c.MaxUploadsPerIP = -1, -1, -1
		c.Logger = slog.New(slog.NewTextHandler(logs, nil))
	})
	ctx := context.Background()
	fillers := filepath.Join(dir, "filler")
	if err := os.Mkdir(fillers, 0o700); err != nil {
		t.Fatal(err)
	}
	// The lawyer signs in while there is room for the code's e-mail.
	lawyer, _ := e.signIn(t, lawyerEmail)
	storage, _ := e.ready()["storage"].(map[string]any)
	if storage["reserve_bytes"] != float64(reserve) || storage["total_bytes"] != float64(fsSize) {
		t.Errorf("/readyz storage = %v, want a reserve of %d on %d bytes", storage, reserve, fsSize)
	}

	// Upload-Length beyond the disk: refused at creation.
	d := e.createDeposit(e.agent, lawyerEmail)
	create := func(name string, size int64) (*http.Response, []byte) {
		return e.do("POST", api.PathUploads, e.agent, nil,
			"Tus-Resumable", "1.0.0", "Upload-Length", strconv.FormatInt(size, 10),
			"Upload-Metadata", tusMeta(api.MetaDeposit, d.ID, api.MetaFilename, name))
	}
	resp, body := create("trop-gros.bin", 100<<20)
	e.insufficientStorage(resp, body)

	// Ten creations at once, each of a third of the room: at most two get
	// it, since the room promised to one counts against the others.
	room := testtmpfs.Free(t, dir) - reserve
	third := room/3 + 1
	var (
		wg      sync.WaitGroup
		mu      sync.Mutex
		created []string
		refused int
	)
	for i := range 10 {
		wg.Go(func() {
			req, _ := http.NewRequest("POST", e.url+api.PathUploads, nil)
			req.Header.Set("Authorization", "Bearer "+e.agent)
			req.Header.Set("Tus-Resumable", "1.0.0")
			req.Header.Set("Upload-Length", strconv.FormatInt(third, 10))
			req.Header.Set("Upload-Metadata", tusMeta(api.MetaDeposit, d.ID, api.MetaFilename, "tiers-"+strconv.Itoa(i)+".bin"))
			resp, err := e.client.Do(req)
			if err != nil {
				t.Error(err)
				return
			}
			resp.Body.Close()
			mu.Lock()
			defer mu.Unlock()
			switch resp.StatusCode {
			case http.StatusCreated:
				created = append(created, resp.Header.Get("Location"))
			case http.StatusInsufficientStorage:
				refused++
			default:
				t.Errorf("concurrent creation: %d", resp.StatusCode)
			}
		})
	}
	wg.Wait()
	if len(created) < 1 || len(created) > 2 || refused != 10-len(created) {
		t.Fatalf("10 concurrent creations of %d bytes with %d bytes of room: %d created, %d refused; want 1 or 2 created, the rest 507", third, room, len(created), refused)
	}
	for _, loc := range created {
		resp, _ := e.do("DELETE", loc[strings.Index(loc, api.PathUploads):], e.agent, nil, "Tus-Resumable", "1.0.0")
		if resp.StatusCode != http.StatusNoContent {
			t.Fatalf("terminating %s: %d", loc, resp.StatusCode)
		}
	}

	// An upload that fits when created, then finds the disk filled by
	// something else: its PATCH gets 507; what it committed while the body
	// arrived (every 8 MiB) is kept, to resume from, and the bytes it wrote
	// after are gone at once.
	const bigSize = 24 << 20
	path := e.createUpload(e.agent, d.ID, "scelles.bin", bigSize)
	testtmpfs.Take(t, filepath.Join(fillers, "1"), testtmpfs.Free(t, dir)-reserve-4<<20)
	before := testtmpfs.Free(t, dir)
	resp, body = e.do("PATCH", path, e.agent, bytes.NewReader(randomBytes(bigSize, 7)),
		"Tus-Resumable", "1.0.0", "Upload-Offset", "0", "Content-Type", "application/offset+octet-stream")
	e.insufficientStorage(resp, body)
	after := testtmpfs.Free(t, dir)
	kept := e.head(e.agent, path)
	if kept%seal.SegmentSize != 0 || kept >= bigSize {
		t.Errorf("offset after the failed PATCH: %d, want a commit point", kept)
	}
	var sealed int64
	if kept > 0 {
		sealed = seal.SegmentOffset(kept / seal.SegmentSize)
	}
	if fi, err := os.Stat(e.blobFile(path[strings.LastIndexByte(path, '/')+1:])); err == nil && fi.Size() > max(sealed, seal.HeaderSize) {
		t.Errorf("the failed upload's blob holds %d bytes; its offset %d stands for %d", fi.Size(), kept, sealed)
	}
	if diff := before - after - sealed; diff > 256<<10 || diff < -256<<10 {
		t.Errorf("free space before the failed PATCH %d, after %d, %d committed: %d bytes left behind", before, after, sealed, diff)
	}
	if !strings.Contains(logs.String(), "insufficient_storage") {
		t.Errorf("the failed upload is not in the logs:\n%s", logs.String())
	}
	// The sender gives up on it: its room is free again.
	if resp, b := e.do("DELETE", path, e.agent, nil, "Tus-Resumable", "1.0.0"); resp.StatusCode != http.StatusNoContent {
		t.Fatalf("terminating the failed upload: %d %s", resp.StatusCode, b)
	}

	// The next small deposit goes through.
	small := randomBytes(100<<10, 8)
	d2 := e.createDeposit(e.agent, lawyerEmail)
	e.upload(e.agent, d2.ID, "pv.pdf", small)
	if got := e.submit(e.agent, d2.ID); got.State != string(navette.DepositAvailable) {
		t.Fatalf("small deposit after the failed upload: %s", got.State)
	}

	// The disk full to the last byte, with nothing left of the database's
	// write-ahead log to write into.
	if cp, ok := e.app.Meta.(interface{ Checkpoint(context.Context) error }); !ok {
		t.Fatal("the SQLite store cannot checkpoint")
	} else if err := cp.Checkpoint(ctx); err != nil {
		t.Fatal(err)
	}
	testtmpfs.Fill(t, filepath.Join(fillers, "2"))
	e.clock.Advance(2 * time.Minute) // the token's and session's use are recorded again
	resp, body = e.do("GET", "/readyz", "", nil)
	if p := e.problem(resp, body, http.StatusServiceUnavailable); !strings.Contains(p.Detail, "below its reserve") {
		t.Errorf("/readyz on a full disk: %q, want the reason", p.Detail)
	}
	var me api.Me
	e.doJSON("GET", api.PathMe, e.agent, nil, http.StatusOK, &me)
	e.doJSON("GET", api.PathDeposits+"?box=sent", e.agent, nil, http.StatusOK, nil)
	if resp, body := lawyer.do(t, "GET", api.PathMe, nil); resp.StatusCode != http.StatusOK {
		t.Errorf("a session's request on a full disk: %d %s", resp.StatusCode, body)
	}
	// Uses are recorded in the background: wait for those writes.
	e.app.Accounts.Wait()
	e.app.Auth.Wait()
	for _, want := range []string{"recording a token's use failed", "recording a session's use failed"} {
		if !strings.Contains(logs.String(), want) {
			t.Errorf("no %q in the logs", want)
		}
	}
	// Reading a deposit and downloading it work; their records (first
	// opening, download) fail and are logged.
	var files struct{ Files []api.File }
	e.doJSON("GET", api.PathDeposits+"/"+d2.ID+"/files", e.lawyer, nil, http.StatusOK, &files)
	resp, body = e.do("GET", api.PathDeposits+"/"+d2.ID+"/files/"+files.Files[0].ID, e.lawyer, nil)
	if resp.StatusCode != http.StatusOK || !bytes.Equal(body, small) {
		t.Errorf("a download on a full disk: %d, %d bytes", resp.StatusCode, len(body))
	}
	resp, body = create("encore.bin", 1)
	e.insufficientStorage(resp, body)
	resp, body = e.do("POST", api.PathDeposits, e.agent, strings.NewReader(`{"recipients":["`+lawyerEmail+`"],"reference":"Parquet 26/00043","retention_days":7}`),
		"Content-Type", "application/json")
	e.insufficientStorage(resp, body)

	// Space returns: ready again, deposits again, no restart.
	if err := os.Remove(filepath.Join(fillers, "2")); err != nil {
		t.Fatal(err)
	}
	e.ready()
	d3 := e.createDeposit(e.agent, lawyerEmail)
	e.upload(e.agent, d3.ID, "pv.pdf", small)
	e.submit(e.agent, d3.ID)
	if _, err := navette.VerifyJournal(ctx, e.app.Meta, nil); err != nil {
		t.Errorf("VerifyJournal: %v", err)
	}
}

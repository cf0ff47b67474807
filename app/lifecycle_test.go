package app_test

import (
	"bytes"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"navette"
	"navette/api"
	"navette/app"
	"navette/deposit"
	"navette/seal"
)

// blobFile returns the path of the blob of file id under the data dir.
func (e *env) blobFile(id string) string {
	e.t.Helper()
	var found string
	filepath.WalkDir(e.dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && d.Name() == id {
			found = p
		}
		return nil
	})
	return found
}

func TestExpiryThenPurge(t *testing.T) {
	e := newEnv(t)
	data := randomBytes(seal.SegmentSize+5, 5)
	d := e.send(map[string][]byte{"pv.pdf": data})
	fid := d.Files[0].ID
	blob := e.blobFile(fid)
	if blob == "" {
		t.Fatal("no blob on disk")
	}
	e.clock.Advance(7*24*time.Hour - time.Second)
	if resp, _ := e.do("GET", filePath(d, d.Files[0]), e.lawyer, nil); resp.StatusCode != 200 {
		t.Fatalf("one second before expiry: got %d, want 200", resp.StatusCode)
	}
	e.clock.Advance(time.Second)
	// 410 at once, before any sweep.
	for _, p := range []string{api.PathDeposits + "/" + d.ID, api.PathDeposits + "/" + d.ID + "/files", filePath(d, d.Files[0])} {
		resp, b := e.do("GET", p, e.lawyer, nil)
		e.problem(resp, b, http.StatusGone)
	}
	var inbox api.DepositList
	e.doJSON("GET", api.PathDeposits, e.lawyer, nil, 200, &inbox)
	if len(inbox.Deposits) != 0 {
		t.Errorf("expired deposit still in the inbox: %+v", inbox.Deposits)
	}
	var seen api.Deposit
	e.doJSON("GET", api.PathDeposits+"/"+d.ID, e.agent, nil, 200, &seen)
	if seen.State != "expired" {
		t.Errorf("sender sees state %q, want expired", seen.State)
	}

	st, err := e.app.Deposits.Sweep(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if st.Expired != 1 || st.Purged != 1 || st.BlobsDeleted != 1 {
		t.Errorf("sweep: %+v", st)
	}
	if _, err := os.Stat(blob); !os.IsNotExist(err) {
		t.Errorf("blob still there after purge: %v", err)
	}
	rec, err := e.app.Meta.Deposit(t.Context(), d.ID)
	if err != nil {
		t.Fatal(err)
	}
	f, err := e.app.Meta.File(t.Context(), fid)
	if err != nil {
		t.Fatal(err)
	}
	if !rec.Key.IsZero() || rec.Reference != nil || rec.Message != nil || rec.PurgedAt.IsZero() || rec.State != navette.DepositExpired {
		t.Errorf("deposit tombstone keeps secrets or lacks purge: %+v", rec)
	}
	if !f.Key.IsZero() || f.Name != nil || f.State != navette.FilePurged || !f.BlobDeleted || f.Size != int64(len(data)) || len(f.SHA256) != 32 {
		t.Errorf("file tombstone: %+v", f)
	}
	// The tombstone still answers 410, and a second sweep does nothing.
	resp, b := e.do("GET", api.PathDeposits+"/"+d.ID, e.lawyer, nil)
	e.problem(resp, b, http.StatusGone)
	if st, _ := e.app.Deposits.Sweep(t.Context()); st != (deposit.SweepStats{}) {
		t.Errorf("second sweep did work: %+v", st)
	}
	evs, _ := e.app.Meta.Events(t.Context(), navette.EventFilter{DepositID: d.ID})
	var kinds []string
	for _, ev := range evs {
		kinds = append(kinds, string(ev.Type))
	}
	if got := strings.Join(kinds, " "); !strings.Contains(got, "deposit.expired deposit.purged") {
		t.Errorf("events: %s", got)
	}
}

func TestRevoke(t *testing.T) {
	e := newEnv(t)
	d := e.send(map[string][]byte{"a.txt": []byte("contenu")})
	resp, b := e.do("DELETE", api.PathDeposits+"/"+d.ID, e.lawyer, nil)
	e.problem(resp, b, http.StatusForbidden)
	if resp, b := e.do("DELETE", api.PathDeposits+"/"+d.ID, e.agent, nil); resp.StatusCode != http.StatusNoContent {
		t.Fatalf("revoke: %d %s", resp.StatusCode, b)
	}
	resp, b = e.do("GET", filePath(d, d.Files[0]), e.lawyer, nil)
	p := e.problem(resp, b, http.StatusGone)
	if !strings.Contains(p.Detail, "withdrawn") {
		t.Errorf("revoked detail: %q", p.Detail)
	}
	resp, b = e.do("DELETE", api.PathDeposits+"/"+d.ID, e.agent, nil)
	e.problem(resp, b, http.StatusGone)
	var seen api.Deposit
	e.doJSON("GET", api.PathDeposits+"/"+d.ID, e.agent, nil, 200, &seen)
	if seen.State != "revoked" || seen.RevokedAt == nil {
		t.Errorf("sender sees %+v", seen)
	}
	st, err := e.app.Deposits.Sweep(t.Context())
	if err != nil || st.Purged != 1 || st.BlobsDeleted != 1 {
		t.Errorf("sweep after revoke: %+v %v", st, err)
	}
}

func TestAbandonedDraftPurged(t *testing.T) {
	e := newEnv(t)
	d := e.createDeposit(e.agent, lawyerEmail)
	path := e.createUpload(e.agent, d.ID, "x.bin", 3*seal.SegmentSize)
	e.patch(e.agent, path, 0, randomBytes(seal.SegmentSize+3, 6))
	id := path[strings.LastIndexByte(path, '/')+1:]
	if e.blobFile(id) == "" {
		t.Fatal("no unfinished blob")
	}
	resp, _ := e.do("HEAD", path, e.agent, nil, "Tus-Resumable", "1.0.0")
	if exp, err := http.ParseTime(resp.Header.Get("Upload-Expires")); err != nil || !exp.Equal(e.clock.Now().Add(24*time.Hour).Truncate(time.Second)) {
		t.Errorf("Upload-Expires %q (%v)", resp.Header.Get("Upload-Expires"), err)
	}
	e.clock.Advance(23 * time.Hour)
	if st, _ := e.app.Deposits.Sweep(t.Context()); st.Abandoned != 0 {
		t.Fatalf("draft purged too early: %+v", st)
	}
	e.clock.Advance(2 * time.Hour)
	st, err := e.app.Deposits.Sweep(t.Context())
	if err != nil || st.Abandoned != 1 || st.BlobsDeleted != 1 {
		t.Fatalf("sweep: %+v %v", st, err)
	}
	if p := e.blobFile(id); p != "" {
		t.Errorf("unfinished blob left at %s", p)
	}
	resp, b := e.do("HEAD", path, e.agent, nil, "Tus-Resumable", "1.0.0")
	e.problem(resp, b, http.StatusNotFound)
}

func TestSubmitRules(t *testing.T) {
	e := newEnv(t, func(c *app.Config) { c.Limits.MaxFiles = 2 })
	d := e.createDeposit(e.agent, lawyerEmail)
	resp, b := e.do("POST", api.PathDeposits+"/"+d.ID+"/submit", e.agent, nil)
	if p := e.problem(resp, b, http.StatusConflict); !strings.Contains(p.Detail, "at least one file") {
		t.Errorf("empty submit: %q", p.Detail)
	}
	path := e.createUpload(e.agent, d.ID, "a.bin", 10)
	e.patch(e.agent, path, 0, []byte("12345"))
	resp, b = e.do("POST", api.PathDeposits+"/"+d.ID+"/submit", e.agent, nil)
	if p := e.problem(resp, b, http.StatusConflict); !strings.Contains(p.Detail, "still uploading") {
		t.Errorf("submit while uploading: %q", p.Detail)
	}
	e.patch(e.agent, path, 5, []byte("67890"))
	e.upload(e.agent, d.ID, "b.bin", []byte("b"))
	// A third file exceeds the limit before any byte is sent.
	resp, b = e.do("POST", api.PathUploads, e.agent, nil, "Tus-Resumable", "1.0.0", "Upload-Length", "1",
		"Upload-Metadata", tusMeta(api.MetaDeposit, d.ID, api.MetaFilename, "c.bin"))
	e.problem(resp, b, http.StatusRequestEntityTooLarge)
	e.submit(e.agent, d.ID)
	// Nothing can be added after submission.
	resp, b = e.do("POST", api.PathUploads, e.agent, nil, "Tus-Resumable", "1.0.0", "Upload-Length", "1",
		"Upload-Metadata", tusMeta(api.MetaDeposit, d.ID, api.MetaFilename, "d.bin"))
	e.problem(resp, b, http.StatusConflict)
	resp, b = e.do("POST", api.PathDeposits+"/"+d.ID+"/submit", e.agent, nil)
	e.problem(resp, b, http.StatusConflict)
}

func TestTermination(t *testing.T) {
	e := newEnv(t)
	d := e.createDeposit(e.agent, lawyerEmail)
	path := e.createUpload(e.agent, d.ID, "erreur.pdf", 100)
	e.patch(e.agent, path, 0, bytes.Repeat([]byte("x"), 50))
	e.upload(e.agent, d.ID, "bon.pdf", []byte("ok"))
	if resp, b := e.do("DELETE", path, e.agent, nil, "Tus-Resumable", "1.0.0"); resp.StatusCode != http.StatusNoContent {
		t.Fatalf("terminate: %d %s", resp.StatusCode, b)
	}
	resp, b := e.do("HEAD", path, e.agent, nil, "Tus-Resumable", "1.0.0")
	e.problem(resp, b, http.StatusNotFound)
	sub := e.submit(e.agent, d.ID)
	if len(sub.Files) != 1 || sub.Files[0].Name != "bon.pdf" || sub.FileCount != 1 {
		t.Errorf("after termination: %+v", sub.Files)
	}
	// Its blob is deleted at once, so that its room is free, and the
	// sweeper finds nothing left to delete.
	if p := e.blobFile(path[strings.LastIndexByte(path, '/')+1:]); p != "" {
		t.Errorf("terminated upload's blob still at %s", p)
	}
	if st, _ := e.app.Deposits.Sweep(t.Context()); st.BlobsDeleted != 0 {
		t.Errorf("the sweeper deleted blobs of a terminated upload: %+v", st)
	}
}

func TestOrphanBlobsRemoved(t *testing.T) {
	e := newEnv(t)
	d := e.createDeposit(e.agent, lawyerEmail)
	live := e.createUpload(e.agent, d.ID, "live.bin", 100)
	e.patch(e.agent, live, 0, make([]byte, 10))
	// A blob no file record owns (a crash between creating it and
	// recording it, or a write racing a purge).
	orphan := navette.NewID()
	w, err := e.app.Blobs.Append(t.Context(), orphan, 0)
	if err != nil {
		t.Fatal(err)
	}
	w.Write([]byte("ciphertext"))
	w.Commit()
	w.Close()
	st, err := e.app.Deposits.Sweep(t.Context())
	if err != nil || st.Orphans != 1 {
		t.Fatalf("sweep: %+v %v", st, err)
	}
	if e.blobFile(orphan) != "" {
		t.Error("orphan blob still there")
	}
	if id := live[strings.LastIndexByte(live, '/')+1:]; e.blobFile(id) == "" {
		t.Error("a live upload's blob was removed")
	}
}

func TestProbes(t *testing.T) {
	e := newEnv(t)
	for _, p := range []string{"/healthz", "/readyz"} {
		if resp, b := e.do("GET", p, "", nil); resp.StatusCode != 200 {
			t.Errorf("%s: %d %s", p, resp.StatusCode, b)
		}
	}
	// tus discovery advertises what is supported, expiration included.
	resp, _ := e.do("OPTIONS", api.PathUploads, "", nil)
	if ext := resp.Header.Get("Tus-Extension"); !strings.Contains(ext, "creation") || !strings.Contains(ext, "termination") || !strings.Contains(ext, "expiration") {
		t.Errorf("Tus-Extension %q", ext)
	}
	if resp.Header.Get("Tus-Max-Size") != "1073741824" || resp.Header.Get("Tus-Version") != "1.0.0" {
		t.Errorf("tus discovery headers: %v", resp.Header)
	}
	var doc map[string]any
	e.doJSON("GET", api.PathOpenAPI, "", nil, 200, &doc)
	if doc["openapi"] != "3.1.0" {
		t.Errorf("openapi document: %v", doc["openapi"])
	}
}

func TestBackendErrorsHideURLs(t *testing.T) {
	_, err := app.OpenMeta("postgress://user:s3cret@db/navette", t.TempDir())
	if navette.ErrorCode(err) != navette.EINVALID || strings.Contains(err.Error(), "s3cret") {
		t.Errorf("OpenMeta: %v", err)
	}
	_, err = app.OpenBlobs("s4://bucket?secret=s3cret", t.TempDir())
	if navette.ErrorCode(err) != navette.EINVALID || strings.Contains(err.Error(), "s3cret") {
		t.Errorf("OpenBlobs: %v", err)
	}
	_, err = app.OpenBlobs("s3://bucket?endpoint=h:1&part_buffers=512", t.TempDir())
	if navette.ErrorCode(err) != navette.EINVALID || !strings.Contains(err.Error(), "part_buffers must be a whole number from 1 to 128") {
		t.Errorf("OpenBlobs with part_buffers=512: %v", err)
	}
}

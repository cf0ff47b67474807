package app_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"math/rand/v2"
	"net/http"
	"strings"
	"testing"
	"time"

	"navette"
	"navette/api"
	"navette/seal"
)

func randomBytes(n int, seed uint64) []byte {
	b := make([]byte, n)
	r := rand.NewChaCha8([32]byte{byte(seed), byte(seed >> 8)})
	_, _ = r.Read(b)
	return b
}

func sha(b []byte) string { s := sha256.Sum256(b); return hex.EncodeToString(s[:]) }

func TestRoundTrip(t *testing.T) {
	e := newEnv(t)
	files := map[string][]byte{
		"empty.txt":   {},
		"small.pdf":   []byte("%PDF-1.7 pièce n°1"),
		"exact.bin":   randomBytes(2*seal.SegmentSize, 1),
		"scellés.bin": randomBytes(3*seal.SegmentSize+12345, 2),
	}
	d := e.createDeposit(e.agent, lawyerEmail)
	if d.State != "draft" || d.UploadURL != api.PathUploads {
		t.Fatalf("new deposit: got state %q upload_url %q", d.State, d.UploadURL)
	}
	// A draft is invisible to its recipient.
	resp, b := e.do("GET", api.PathDeposits+"/"+d.ID, e.lawyer, nil)
	e.problem(resp, b, http.StatusNotFound)

	for name, data := range files {
		e.upload(e.agent, d.ID, name, data)
	}
	sub := e.submit(e.agent, d.ID)
	if sub.State != "available" || len(sub.Files) != len(files) || sub.ExpiresAt == nil {
		t.Fatalf("submitted: %+v", sub)
	}
	if want := sub.SubmittedAt.Add(7 * 24 * time.Hour); !sub.ExpiresAt.Equal(want) {
		t.Errorf("expires_at: got %v, want %v", sub.ExpiresAt, want)
	}

	var inbox api.DepositList
	e.doJSON("GET", api.PathDeposits+"?box=inbox", e.lawyer, nil, http.StatusOK, &inbox)
	if len(inbox.Deposits) != 1 || inbox.Deposits[0].ID != d.ID || inbox.Deposits[0].Reference != "Parquet 26/00042" || inbox.Deposits[0].FileCount != 4 {
		t.Fatalf("inbox: %+v", inbox)
	}
	var got api.Deposit
	e.doJSON("GET", api.PathDeposits+"/"+d.ID, e.lawyer, nil, http.StatusOK, &got)
	if got.Message != "Pièces du dossier" || got.Sender.Email != agentEmail {
		t.Errorf("deposit seen by recipient: %+v", got)
	}
	for _, f := range got.Files {
		data := files[f.Name]
		if f.SHA256 != sha(data) || f.Size != int64(len(data)) || f.State != "available" {
			t.Errorf("%q: listed %+v, want sha %s size %d", f.Name, f, sha(data), len(data))
		}
		resp, body := e.do("GET", filePath(got, f), e.lawyer, nil)
		if resp.StatusCode != http.StatusOK || !bytes.Equal(body, data) {
			t.Fatalf("%q: download status %d, %d bytes, want %d", f.Name, resp.StatusCode, len(body), len(data))
		}
		sum := sha256.Sum256(data)
		for k, want := range map[string]string{
			"Content-Type":           "application/octet-stream",
			"X-Content-Type-Options": "nosniff",
			"Repr-Digest":            "sha-256=:" + base64.StdEncoding.EncodeToString(sum[:]) + ":",
		} {
			if v := resp.Header.Get(k); v != want {
				t.Errorf("%q: %s: got %q, want %q", f.Name, k, v, want)
			}
		}
		if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "sandbox") {
			t.Errorf("%q: CSP %q lacks sandbox", f.Name, csp)
		}
		if cd := resp.Header.Get("Content-Disposition"); !strings.HasPrefix(cd, "attachment;") || !strings.Contains(cd, "filename*=UTF-8''") {
			t.Errorf("%q: Content-Disposition %q", f.Name, cd)
		}
	}
	// The download was recorded for the recipient.
	e.doJSON("GET", api.PathDeposits+"/"+d.ID, e.agent, nil, http.StatusOK, &got)
	if got.Recipients[0].FirstDownloadAt == nil {
		t.Errorf("first download not recorded: %+v", got.Recipients)
	}
	evs, err := e.app.Meta.Events(t.Context(), navette.EventFilter{DepositID: d.ID})
	if err != nil {
		t.Fatal(err)
	}
	counts := map[navette.EventType]int{}
	for _, ev := range evs {
		counts[ev.Type]++
	}
	for typ, want := range map[navette.EventType]int{navette.EventDepositCreated: 1, navette.EventFileStored: 4, navette.EventDepositSubmitted: 1, navette.EventDepositAvailable: 1, navette.EventFileDownloaded: 4} {
		if counts[typ] != want {
			t.Errorf("events %s: got %d, want %d", typ, counts[typ], want)
		}
	}
}

func TestResumeAfterCutConnection(t *testing.T) {
	e := newEnv(t)
	data := randomBytes(5*seal.SegmentSize+777, 3)
	d := e.createDeposit(e.agent, lawyerEmail)
	path := e.createUpload(e.agent, d.ID, "gros.bin", int64(len(data)))

	// Send 2.5 segments then cut the connection mid-body.
	cut := 2*seal.SegmentSize + seal.SegmentSize/2
	sendAndCut(t, e, path, 0, data, cut)
	off := waitOffset(t, e, path, int64(cut))
	if off != int64(cut) {
		t.Fatalf("offset after cut: got %d, want %d", off, cut)
	}
	// Resume a few bytes at a time, then the rest.
	off = e.patch(e.agent, path, off, data[off:off+10])
	off = e.patch(e.agent, path, off, data[off:off+seal.SegmentSize])
	if off = e.patch(e.agent, path, off, data[off:]); off != int64(len(data)) {
		t.Fatalf("final offset %d, want %d", off, len(data))
	}
	// A PATCH at a stale offset is refused, as an offset mismatch: a
	// problem type of its own tells it from the upload's other conflicts.
	resp, b := e.do("PATCH", path, e.agent, bytes.NewReader([]byte("x")), "Tus-Resumable", "1.0.0", "Upload-Offset", "3", "Content-Type", "application/offset+octet-stream")
	if p := e.problem(resp, b, http.StatusConflict); p.Type != navette.ProblemUploadOffset || p.Code != navette.ECONFLICT || p.Detail != "mismatched offset" {
		t.Errorf("PATCH at a stale offset: %+v", p)
	}

	sub := e.submit(e.agent, d.ID)
	if sub.Files[0].SHA256 != sha(data) {
		t.Fatalf("sha after resume: got %s, want %s", sub.Files[0].SHA256, sha(data))
	}
	resp, body := e.do("GET", filePath(sub, sub.Files[0]), e.lawyer, nil)
	if resp.StatusCode != 200 || !bytes.Equal(body, data) {
		t.Fatalf("download after resume: status %d, equal %v", resp.StatusCode, bytes.Equal(body, data))
	}
}

func TestRangeReads(t *testing.T) {
	e := newEnv(t)
	data := randomBytes(4*seal.SegmentSize+100, 4)
	d := e.send(map[string][]byte{"a.bin": data})
	p := filePath(d, d.Files[0])
	etag := ""
	size := len(data)
	S := seal.SegmentSize
	for _, tc := range []struct {
		rng      string
		from, to int // inclusive
	}{
		{"bytes=0-0", 0, 0},
		{"bytes=10-99", 10, 99},
		{"bytes=" + itoa(S-5) + "-" + itoa(S+5), S - 5, S + 5},
		{"bytes=" + itoa(S) + "-", S, size - 1},
		{"bytes=-50", size - 50, size - 1},
		{"bytes=" + itoa(2*S-1) + "-" + itoa(3*S), 2*S - 1, 3 * S},
		{"bytes=0-999999999", 0, size - 1},
	} {
		resp, body := e.do("GET", p, e.lawyer, nil, "Range", tc.rng)
		if resp.StatusCode != http.StatusPartialContent {
			t.Fatalf("%q: got status %d, want 206", tc.rng, resp.StatusCode)
		}
		if !bytes.Equal(body, data[tc.from:tc.to+1]) {
			t.Errorf("%q: got %d bytes, want bytes %d-%d", tc.rng, len(body), tc.from, tc.to)
		}
		if want := "bytes " + itoa(tc.from) + "-" + itoa(tc.to) + "/" + itoa(size); resp.Header.Get("Content-Range") != want {
			t.Errorf("%q: Content-Range got %q, want %q", tc.rng, resp.Header.Get("Content-Range"), want)
		}
		etag = resp.Header.Get("ETag")
	}
	// A stale If-Range gets the whole file; a matching one the range.
	resp, body := e.do("GET", p, e.lawyer, nil, "Range", "bytes=5-9", "If-Range", `"other"`)
	if resp.StatusCode != 200 || len(body) != size {
		t.Errorf("stale If-Range: got %d with %d bytes, want 200 with %d", resp.StatusCode, len(body), size)
	}
	resp, body = e.do("GET", p, e.lawyer, nil, "Range", "bytes=5-9", "If-Range", etag)
	if resp.StatusCode != 206 || !bytes.Equal(body, data[5:10]) {
		t.Errorf("matching If-Range: got %d %q", resp.StatusCode, body)
	}
	resp, body = e.do("GET", p, e.lawyer, nil, "Range", "bytes="+itoa(size)+"-")
	e.problem(resp, body, http.StatusRequestedRangeNotSatisfiable)
	if resp.Header.Get("Content-Range") != "bytes */"+itoa(size) {
		t.Errorf("416 Content-Range: got %q", resp.Header.Get("Content-Range"))
	}
	// Several ranges: the whole file is served instead.
	resp, body = e.do("GET", p, e.lawyer, nil, "Range", "bytes=0-1,5-6")
	if resp.StatusCode != 200 || len(body) != size {
		t.Errorf("multi-range: got %d with %d bytes", resp.StatusCode, len(body))
	}
}

// TestUploadProblemsNameTheirResource: every refusal of the upload
// endpoint, whether the deposit service or the tus protocol refuses, is a
// problem document whose instance is the path asked for.
func TestUploadProblemsNameTheirResource(t *testing.T) {
	e := newEnv(t)
	d := e.createDeposit(e.agent, lawyerEmail)
	for _, c := range []struct {
		method, path string
		status       int
		hdr          []string
	}{
		{"POST", api.PathUploads, http.StatusUnprocessableEntity, []string{"Upload-Length", "5", "Upload-Metadata", tusMeta(api.MetaDeposit, d.ID)}},
		{"POST", api.PathUploads, http.StatusNotFound, []string{"Upload-Length", "5", "Upload-Metadata", tusMeta(api.MetaDeposit, strings.Repeat("a", 32), api.MetaFilename, "a.txt")}},
		{"POST", api.PathUploads, http.StatusRequestEntityTooLarge, []string{"Upload-Length", "99999999999999"}},
		{"HEAD", api.PathUploads + strings.Repeat("b", 32), http.StatusNotFound, nil},
		{"PATCH", api.PathUploads + strings.Repeat("b", 32), http.StatusNotFound, []string{"Upload-Offset", "0", "Content-Type", "application/offset+octet-stream"}},
	} {
		resp, b := e.do(c.method, c.path, e.agent, strings.NewReader(""), append([]string{"Tus-Resumable", "1.0.0"}, c.hdr...)...)
		if p := e.problem(resp, b, c.status); c.method != "HEAD" && p.Instance != c.path {
			t.Errorf("%s %s: instance %q in %s", c.method, c.path, p.Instance, b)
		}
	}
}

// TestHeadIsNoOpening: a HEAD of a deposit or of its list of files shows
// its recipient nothing, so it is no opening (no deposit.opened, no
// "first opened" for the sender), as a HEAD of a file is no download; the
// first GET is.
func TestHeadIsNoOpening(t *testing.T) {
	e := newEnv(t)
	d := e.send(map[string][]byte{"a.txt": []byte("a")})
	for _, path := range []string{api.PathDeposits + "/" + d.ID, api.PathDeposits + "/" + d.ID + "/files", filePath(d, d.Files[0])} {
		if resp, b := e.do("HEAD", path, e.lawyer, nil); resp.StatusCode != http.StatusOK {
			t.Fatalf("HEAD %s: %d %s", path, resp.StatusCode, b)
		}
	}
	if evs := e.events(d.ID, navette.EventDepositOpened); len(evs) != 0 {
		t.Errorf("a HEAD was journaled as an opening: %+v", evs[0])
	}
	var seen api.Deposit
	e.doJSON("GET", api.PathDeposits+"/"+d.ID, e.agent, nil, http.StatusOK, &seen)
	if r := seen.Recipients[0]; r.FirstOpenedAt != nil {
		t.Errorf("the sender sees the deposit opened at %v by a HEAD", r.FirstOpenedAt)
	}
	e.doJSON("GET", api.PathDeposits+"/"+d.ID, e.lawyer, nil, http.StatusOK, &seen)
	if evs := e.events(d.ID, navette.EventDepositOpened); len(evs) != 1 {
		t.Errorf("%d openings journaled by a GET, want 1", len(evs))
	}
}

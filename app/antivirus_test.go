package app_test

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"navette"
	"navette/api"
	"navette/app"
	"navette/app/apptest"
	"navette/cli"
	"navette/internal/testclamd"
	"navette/notify"
	"navette/receipt"
)

const adminEmail = "admin@justice.example"

// withClamd scans with the clamd at url, the background checker left to
// the test.
func withClamd(url string) func(*app.Config) {
	return func(c *app.Config) {
		c.Clamd = url
		c.CheckInterval = time.Hour
	}
}

func zipped(t *testing.T, name string, data []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w, err := zw.Create(name)
	if err != nil {
		t.Fatal(err)
	}
	w.Write(data)
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// withEICAR returns random bytes with the EICAR test file at off.
func withEICAR(seed uint64, n, off int) []byte {
	b := randomBytes(n, seed)
	copy(b[off:], testclamd.EICAR)
	return b
}

func (e *env) file(id string) *navette.FileRecord {
	e.t.Helper()
	f, err := e.app.Meta.File(e.t.Context(), id)
	if err != nil {
		e.t.Fatal(err)
	}
	return f
}

func (e *env) events(depositID string, typ navette.EventType) []navette.Event {
	e.t.Helper()
	evs, err := e.app.Meta.Events(e.t.Context(), navette.EventFilter{DepositID: depositID})
	if err != nil {
		e.t.Fatal(err)
	}
	var out []navette.Event
	for _, ev := range evs {
		if ev.Type == typ {
			out = append(out, ev)
		}
	}
	return out
}

// checkRejected checks that file id of deposit d was rejected with check
// and detail, destroyed, journaled, reported to the admin, and keeps d
// from being submitted and from the lawyer.
func (e *env) checkRejected(d api.Deposit, id string, check navette.FileCheck, detail string, evType navette.EventType) {
	e.t.Helper()
	ctx := e.t.Context()
	f := e.file(id)
	if f.State != navette.FileRejected || f.Check != check || f.CheckDetail != detail {
		e.t.Fatalf("file: state %s, check %q %q; want rejected, %q %q", f.State, f.Check, f.CheckDetail, check, detail)
	}
	if !f.Key.IsZero() || !f.BlobDeleted {
		e.t.Errorf("rejected file keeps its key (%v) or blob (deleted %v)", !f.Key.IsZero(), f.BlobDeleted)
	}
	if _, err := e.app.Blobs.Open(ctx, id, 0, -1); !navette.IsCode(err, navette.ENOTFOUND) {
		e.t.Errorf("blob of a rejected file: %v, want ENOTFOUND", err)
	}
	evs := e.events(d.ID, evType)
	if len(evs) != 1 || evs[0].FileID != id || evs[0].Detail != string(check)+" "+detail {
		e.t.Errorf("%s events: %+v", evType, evs)
	}
	alerts, err := e.app.Meta.Notices(ctx, navette.NoticeFilter{DepositID: d.ID})
	if err != nil {
		e.t.Fatal(err)
	}
	admin, _ := e.app.Meta.UserByEmail(ctx, adminEmail)
	found := false
	for _, n := range alerts {
		found = found || (n.Kind == navette.NoticeContentAlert && n.UserID == admin.ID)
	}
	if !found {
		e.t.Errorf("no content alert to the admin among %d notices", len(alerts))
	}
	resp, b := e.do("POST", api.PathDeposits+"/"+d.ID+"/submit", e.agent, nil)
	p := e.problem(resp, b, http.StatusConflict)
	named := check == navette.CheckInfected || check == navette.CheckRefusedType
	if !strings.Contains(p.Detail, "was refused") || (named && !strings.Contains(p.Detail, detail)) {
		e.t.Errorf("submit with a rejected file: %q", p.Detail)
	}
	e.noInbox(d.ID)
}

// noInbox checks that the lawyer's inbox does not show deposit id.
func (e *env) noInbox(id string) {
	e.t.Helper()
	var list api.DepositList
	e.doJSON("GET", api.PathDeposits+"?box=inbox", e.lawyer, nil, http.StatusOK, &list)
	for _, d := range list.Deposits {
		if d.ID == id {
			e.t.Fatalf("the lawyer's inbox shows deposit %s (%s)", id, d.State)
		}
	}
}

func TestAntivirusInfected(t *testing.T) {
	srv := testclamd.New(t, testclamd.Options{})
	e := newEnv(t, withClamd(srv.URL))
	e.user(adminEmail, "Admin", navette.RoleAdmin)
	eicarAt := seg64 + 30
	tests := []struct {
		name   string
		upload func(d api.Deposit) string
	}{
		{"plain", func(d api.Deposit) string { return e.upload(e.agent, d.ID, "eicar.com", []byte(testclamd.EICAR)) }},
		{"inside a zip", func(d api.Deposit) string {
			return e.upload(e.agent, d.ID, "pieces.zip", zipped(t, "pv.txt", withEICAR(1, 200000, 1000)))
		}},
		{"split across PATCHes", func(d api.Deposit) string {
			data := withEICAR(2, 3*seg64, eicarAt)
			path := e.createUpload(e.agent, d.ID, "rapport.pdf", int64(len(data)))
			for _, cut := range [][2]int{{0, eicarAt + 20}, {eicarAt + 20, eicarAt + 50}, {eicarAt + 50, len(data)}} {
				e.patch(e.agent, path, int64(cut[0]), data[cut[0]:cut[1]])
			}
			return path[strings.LastIndexByte(path, '/')+1:]
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e.t = t
			d := e.createDeposit(e.agent, lawyerEmail)
			id := tt.upload(d)
			e.checkRejected(d, id, navette.CheckInfected, testclamd.Signature, navette.EventFileInfected)
			// Once it is removed, a clean file goes.
			resp, b := e.do("DELETE", api.PathUploads+id, e.agent, nil, "Tus-Resumable", "1.0.0")
			if resp.StatusCode != http.StatusNoContent {
				t.Fatalf("removing the rejected file: %d %s", resp.StatusCode, b)
			}
			e.upload(e.agent, d.ID, "propre.txt", []byte("procès-verbal"))
			got := e.submit(e.agent, d.ID)
			clean := 0
			for _, f := range got.Files {
				if f.State == string(navette.FileAvailable) && f.Check == "clean" {
					clean++
				}
			}
			if got.State != string(navette.DepositAvailable) || clean != 1 {
				t.Fatalf("after removing the infected file: %+v", got)
			}
			// Its receipts say so, and which antivirus.
			for _, kind := range []string{"deposited", "available"} {
				res, _ := e.receiptOf(e.agent, got.ID, kind)
				if fs := res.Claims.Files; len(fs) != 1 || fs[0].Name != "propre.txt" || fs[0].Check != "clean" || !strings.HasPrefix(res.Claims.Antivirus, "ClamAV ") {
					t.Errorf("%s receipt: files %+v, antivirus %q", kind, fs, res.Claims.Antivirus)
				}
				if txt := res.Text("fr"); !strings.Contains(txt, "propre.txt — 14 octets — SHA-256 "+sha([]byte("procès-verbal"))+" — aucun virus détecté par l'antivirus") {
					t.Errorf("%s receipt's text:\n%s", kind, txt)
				}
			}
		})
	}
}

// seg64 is the size of a plaintext segment.
const seg64 = 64 << 10

// TestAntivirusResumeElsewhere: an upload begun on one node and ended on
// another (here a second node on the same data, as after a restart) is
// checked from its stored blob by the background checker, woken by the
// last byte. (A deposit submitted while its files are checking is in
// TestAntivirusOutage and the cluster's TestAntivirusAcrossNodes.)
func TestAntivirusResumeElsewhere(t *testing.T) {
	srv := testclamd.New(t, testclamd.Options{})
	e := newEnv(t, withClamd(srv.URL))
	e.user(adminEmail, "Admin", navette.RoleAdmin)
	other := apptest.Start(t, e.clock, withClamd(srv.URL), func(c *app.Config) { c.DataDir = e.dir })
	eicarAt := 2*seg64 - 10
	for _, tt := range []struct {
		name string
		data []byte
		want navette.FileState
	}{
		{"infected", withEICAR(3, 4*seg64+7, eicarAt), navette.FileRejected},
		{"clean", randomBytes(4*seg64+7, 4), navette.FileStored},
	} {
		t.Run(tt.name, func(t *testing.T) {
			e.t = t
			d := e.createDeposit(e.agent, lawyerEmail)
			path := e.createUpload(e.agent, d.ID, "scelle.bin", int64(len(tt.data)))
			e.patch(e.agent, path, 0, tt.data[:eicarAt+30])
			first := e.url
			e.url = other.URL()
			e.patch(e.agent, path, int64(eicarAt+30), tt.data[eicarAt+30:])
			e.url = first
			id := path[strings.LastIndexByte(path, '/')+1:]
			// The other node's background checker is woken at once: the
			// file is checked from its blob without anyone asking.
			waitFor(t, "the background check", func() bool {
				f := e.file(id)
				return f.State != navette.FileChecking && (f.State != navette.FileRejected || f.BlobDeleted)
			})
			if f := e.file(id); f.State != tt.want {
				t.Fatalf("after the background check: %s %s %s", f.State, f.Check, f.CheckDetail)
			}
			if tt.want == navette.FileStored {
				e.submit(e.agent, d.ID)
			}
			var got api.Deposit
			e.doJSON("GET", api.PathDeposits+"/"+d.ID, e.agent, nil, http.StatusOK, &got)
			if tt.want == navette.FileRejected {
				if got.State != string(navette.DepositDraft) {
					t.Fatalf("deposit with an infected file: %s", got.State)
				}
				e.checkRejected(d, id, navette.CheckInfected, testclamd.Signature, navette.EventFileInfected)
				return
			}
			if got.State != string(navette.DepositAvailable) {
				t.Fatalf("deposit with a clean file: %s", got.State)
			}
			resp, b := e.do("GET", filePath(got, got.Files[0]), e.lawyer, nil)
			if resp.StatusCode != http.StatusOK || !bytes.Equal(b, tt.data) {
				t.Fatalf("download: %d, %d bytes", resp.StatusCode, len(b))
			}
		})
	}
}

// bigReader yields n pseudo-random bytes.
type bigReader struct {
	r *rand.PCG
	n int64
}

func (b *bigReader) Read(p []byte) (int, error) {
	if b.n == 0 {
		return 0, io.EOF
	}
	p = p[:min(int64(len(p)), b.n)&^7]
	if len(p) == 0 {
		return 0, io.ErrShortBuffer
	}
	for i := 0; i < len(p); i += 8 {
		v := b.r.Uint64()
		for j := range 8 {
			p[i+j] = byte(v >> (8 * j))
		}
	}
	b.n -= int64(len(p))
	return len(p), nil
}

func TestAntivirusLargeClean(t *testing.T) {
	const size = 150 << 20
	srv := testclamd.New(t, testclamd.Options{})
	e := newEnv(t, withClamd(srv.URL), func(c *app.Config) { c.Limits.MaxFileSize = size })
	d := e.createDeposit(e.agent, lawyerEmail)
	path := e.createUpload(e.agent, d.ID, "scelles.tar", size)
	req, err := http.NewRequest("PATCH", e.url+path, &bigReader{r: rand.NewPCG(5, 5), n: size})
	if err != nil {
		t.Fatal(err)
	}
	req.ContentLength = size
	for k, v := range map[string]string{"Authorization": "Bearer " + e.agent, "Tus-Resumable": "1.0.0", "Upload-Offset": "0", "Content-Type": "application/offset+octet-stream"} {
		req.Header.Set(k, v)
	}
	resp, err := e.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNoContent {
		t.Fatalf("PATCH: %d", resp.StatusCode)
	}
	got := e.submit(e.agent, d.ID)
	if got.State != string(navette.DepositAvailable) || got.Files[0].Check != "clean" {
		t.Fatalf("after one PATCH: deposit %s, file %+v", got.State, got.Files[0])
	}
	dl, err := http.NewRequest("GET", e.url+filePath(got, got.Files[0]), nil)
	if err != nil {
		t.Fatal(err)
	}
	dl.Header.Set("Authorization", "Bearer "+e.lawyer)
	resp, err = e.client.Do(dl)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	h := sha256.New()
	n, err := io.Copy(h, resp.Body)
	want := sha256.New()
	io.Copy(want, &bigReader{r: rand.NewPCG(5, 5), n: size})
	if err != nil || n != size || !bytes.Equal(h.Sum(nil), want.Sum(nil)) {
		t.Fatalf("download: %d bytes, %v, hash match %v", n, err, bytes.Equal(h.Sum(nil), want.Sum(nil)))
	}
	if files := srv.TempFiles(); len(files) != 0 {
		t.Errorf("clamd left %v in its temporary directory", files)
	}
}

func TestAntivirusOverLimit(t *testing.T) {
	srv := testclamd.New(t, testclamd.Options{StreamMaxLength: 1 << 20, MaxFileSize: 512 << 10})
	for _, marked := range []bool{false, true} {
		t.Run("deliver-marked="+strconv.FormatBool(marked), func(t *testing.T) {
			e := newEnv(t, withClamd(srv.URL), func(c *app.Config) { c.DeliverMarked = marked })
			e.user(adminEmail, "Admin", navette.RoleAdmin)
			// The start-up probe found clamd's StreamMaxLength (1 MiB) under
			// the largest file allowed (1 GiB).
			if r := e.ready(); !strings.Contains(fmt.Sprint(r["antivirus_limit"]), "StreamMaxLength") || r["antivirus"] != "ok" {
				t.Errorf("/readyz: %v", r)
			}
			for _, tt := range []struct {
				name   string
				size   int
				detail string
			}{
				{"over StreamMaxLength", 2 << 20, "INSTREAM size limit exceeded."},
				{"over MaxFileSize", 700 << 10, "Heuristics.Limits.Exceeded.MaxFileSize"},
			} {
				d := e.createDeposit(e.agent, lawyerEmail)
				data := randomBytes(tt.size, 6)
				id := e.upload(e.agent, d.ID, "gros.bin", data)
				if !marked {
					e.checkRejected(d, id, navette.CheckOverLimit, tt.detail, navette.EventFileRejected)
					continue
				}
				got := e.submit(e.agent, d.ID)
				if got.State != string(navette.DepositAvailable) || got.Files[0].Check != string(navette.CheckOverLimit) || got.Files[0].CheckDetail != tt.detail {
					t.Fatalf("%s, deliver-marked: %s %+v", tt.name, got.State, got.Files[0])
				}
				var seen api.Deposit
				e.doJSON("GET", api.PathDeposits+"/"+d.ID, e.lawyer, nil, http.StatusOK, &seen)
				if seen.Files[0].Check != string(navette.CheckOverLimit) {
					t.Errorf("the recipient does not see the mark: %+v", seen.Files[0])
				}
				if resp, b := e.do("GET", filePath(got, got.Files[0]), e.lawyer, nil); resp.StatusCode != http.StatusOK || !bytes.Equal(b, data) {
					t.Errorf("download of a marked file: %d", resp.StatusCode)
				}
				if !e.noticeSays(d.ID, "non analysés par un antivirus") {
					t.Errorf("the notice of a marked file does not say it was not scanned")
				}
			}
		})
	}
}

// receiptOf returns deposit id's receipt of kind, as token gets it,
// verified against the published keys, and its URL.
func (e *env) receiptOf(token, id, kind string) (*receipt.Result, string) {
	e.t.Helper()
	for _, r := range e.receipts(token, id) {
		if r.Kind == kind {
			res, _ := e.verifyReceipt(token, r.URL)
			if res.Claims == nil {
				e.t.Fatalf("the %s receipt of %s has no claims", kind, id)
			}
			return res, r.URL
		}
	}
	e.t.Fatalf("deposit %s has no %s receipt", id, kind)
	return nil, ""
}

// noticeSays reports whether the deposit notice of depositID, as the
// outbox received it, holds text, in its text and HTML bodies alike.
func (e *env) noticeSays(depositID, text string) bool {
	e.t.Helper()
	ns, err := e.app.Meta.Notices(e.t.Context(), navette.NoticeFilter{DepositID: depositID})
	if err != nil {
		e.t.Fatal(err)
	}
	for _, n := range ns {
		if n.Kind != navette.NoticeDeposit {
			continue
		}
		var m *notify.Message
		waitFor(e.t, "the notice in the outbox", func() bool {
			m, err = e.app.Outbox.Get(n.ID)
			return err == nil
		})
		return strings.Contains(m.Text, text) && strings.Contains(m.HTML, text)
	}
	e.t.Fatalf("no deposit notice")
	return false
}

// ready returns /readyz's answer.
func (e *env) ready() map[string]any {
	e.t.Helper()
	var out map[string]any
	e.doJSON("GET", "/readyz", "", nil, http.StatusOK, &out)
	return out
}

// TestAntivirusOutage: clamd killed mid-scan, then started again; clamd
// never started; a fake answering garbage. Files wait in checking, never
// offered, /readyz says so; once clamd answers they are checked.
func TestAntivirusOutage(t *testing.T) {
	srv := testclamd.New(t, testclamd.Options{})
	garbage := testclamd.Garbage(t)
	for _, tt := range []struct {
		name string
		url  string
		down func()
		mend func()
	}{
		{"killed mid-scan", srv.URL, func() { srv.Stop() }, func() { srv.Start() }},
		{"not started", "unix:" + filepath.Join(t.TempDir(), "clamd.sock"), nil, nil},
		{"garbage", garbage, nil, nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, withClamd(tt.url))
			d := e.createDeposit(e.agent, lawyerEmail)
			data := randomBytes(3*seg64, 7)
			path := e.createUpload(e.agent, d.ID, "pv.pdf", int64(len(data)))
			e.patch(e.agent, path, 0, data[:seg64+5])
			if tt.down != nil {
				tt.down()
			}
			e.patch(e.agent, path, seg64+5, data[seg64+5:])
			id := path[strings.LastIndexByte(path, '/')+1:]
			if f := e.file(id); f.State != navette.FileChecking {
				t.Fatalf("file after the last byte: %s, want checking", f.State)
			}
			if got := e.submit(e.agent, d.ID); got.State != string(navette.DepositChecking) {
				t.Fatalf("submit: %s, want checking", got.State)
			}
			e.noInbox(d.ID)
			if resp, _ := e.do("GET", api.PathDeposits+"/"+d.ID, e.lawyer, nil); resp.StatusCode != http.StatusNotFound {
				t.Errorf("the lawyer gets a checking deposit: %d", resp.StatusCode)
			}
			if r := e.ready(); r["antivirus"] != "degraded" || r["files_checking"] != float64(1) {
				t.Errorf("/readyz: %v", r)
			}
			for range 2 {
				e.clock.Advance(time.Hour)
				st, err := e.app.Deposits.CheckFiles(t.Context())
				if err != nil || st.Waiting != 1 || st.Checked != 0 {
					t.Fatalf("CheckFiles while down: %+v, %v", st, err)
				}
			}
			if f := e.file(id); f.CheckAttempts < 2 || !f.CheckAfter.After(e.clock.Now()) {
				t.Errorf("no backoff: %d attempts, next %v", f.CheckAttempts, f.CheckAfter)
			}
			e.noInbox(d.ID)
			if tt.mend == nil {
				return
			}
			tt.mend()
			e.clock.Advance(time.Hour)
			if st, err := e.app.Deposits.CheckFiles(t.Context()); err != nil || st.Checked != 1 {
				t.Fatalf("CheckFiles once clamd is back: %+v, %v", st, err)
			}
			var got api.Deposit
			e.doJSON("GET", api.PathDeposits+"/"+d.ID, e.lawyer, nil, http.StatusOK, &got)
			if got.State != string(navette.DepositAvailable) || got.Files[0].Check != "clean" {
				t.Fatalf("once clamd is back: %s %+v", got.State, got.Files)
			}
			// Its deposit receipt lists the file, submitted unchecked; the
			// receipt of its being made available, clean.
			dep, _ := e.receiptOf(e.agent, d.ID, "deposited")
			avail, _ := e.receiptOf(e.agent, d.ID, "available")
			if fs := dep.Claims.Files; len(fs) != 1 || fs[0].Name != "pv.pdf" || fs[0].Check != "" {
				t.Errorf("deposited receipt's files: %+v", fs)
			}
			if fs := avail.Claims.Files; len(fs) != 1 || fs[0].Name != "pv.pdf" || fs[0].Check != "clean" {
				t.Errorf("available receipt's files: %+v", fs)
			}
			if r := e.ready(); r["antivirus"] != "ok" || r["files_checking"] != float64(0) {
				t.Errorf("/readyz once clamd is back: %v", r)
			}
		})
	}
}

func TestRefusedTypes(t *testing.T) {
	srv := testclamd.New(t, testclamd.Options{})
	for _, url := range []string{srv.URL, ""} {
		t.Run("clamd="+strconv.FormatBool(url != ""), func(t *testing.T) {
			e := newEnv(t, withClamd(url), func(c *app.Config) { c.RefusedTypes = []string{"pe", "elf"} })
			e.user(adminEmail, "Admin", navette.RoleAdmin)
			d := e.createDeposit(e.agent, lawyerEmail)
			exe := append([]byte("MZ\x90\x00"), randomBytes(5000, 8)...)
			id := e.upload(e.agent, d.ID, "rapport.pdf", exe)
			e.checkRejected(d, id, navette.CheckRefusedType, "pe", navette.EventFileRejected)
			d = e.createDeposit(e.agent, lawyerEmail)
			e.upload(e.agent, d.ID, "setup.exe", []byte("%PDF-1.7 pas un exécutable"))
			got := e.submit(e.agent, d.ID)
			want := "clean"
			if url == "" {
				want = "unscanned"
			}
			if got.State != string(navette.DepositAvailable) || got.Files[0].Check != want {
				t.Fatalf("a PDF named .exe: %s %+v", got.State, got.Files[0])
			}
		})
	}
}

func TestAntivirusOff(t *testing.T) {
	e := newEnv(t)
	d := e.send(map[string][]byte{"pv.txt": []byte("procès-verbal")})
	if d.State != string(navette.DepositAvailable) || d.Files[0].Check != "unscanned" {
		t.Fatalf("without antivirus: %s %+v", d.State, d.Files[0])
	}
	if !e.noticeSays(d.ID, "non analysés par un antivirus") {
		t.Errorf("the notice does not say the files were not scanned")
	}
	// So do its receipts, in their text and in the PDF.
	for _, kind := range []string{"deposited", "available"} {
		res, url := e.receiptOf(e.agent, d.ID, kind)
		if fs := res.Claims.Files; len(fs) != 1 || fs[0].Check != "unscanned" || res.Claims.Antivirus != "" {
			t.Errorf("%s receipt: files %+v, antivirus %q", kind, fs, res.Claims.Antivirus)
		}
		if txt := res.Text("fr"); !strings.Contains(txt, " — non analysé par un antivirus") {
			t.Errorf("%s receipt's text:\n%s", kind, txt)
		}
		if txt := res.Text("en"); !strings.Contains(txt, " — not scanned by an antivirus") {
			t.Errorf("%s receipt's English text:\n%s", kind, txt)
		}
		if txt := pdfText(t, e.get(e.agent, url+"?format=pdf")); !strings.Contains(txt, "non analysé par un antivirus") {
			t.Errorf("%s receipt's PDF:\n%s", kind, txt)
		}
	}
	if r := e.ready(); r["antivirus"] != "off" {
		t.Errorf("/readyz: %v", r)
	}
	// The command line will not start without --clamd unless told.
	var out, errOut bytes.Buffer
	code := cli.Main([]string{"serve", "--data", t.TempDir()}, &cli.Env{Stdout: &out, Stderr: &errOut, Getenv: func(string) string { return "" }})
	if code != 2 || !strings.Contains(errOut.String(), "--antivirus=off") {
		t.Errorf("serve without --clamd: %d %q", code, errOut.String())
	}
}

// blobFile returns the path of the blob of file id under the data
// directory.
func blobFile(t *testing.T, dir, id string) string {
	var found string
	filepath.WalkDir(filepath.Join(dir, "blobs"), func(path string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.Contains(filepath.Base(path), id) {
			found = path
		}
		return nil
	})
	if found == "" {
		t.Fatalf("no blob for %s", id)
	}
	return found
}

func TestScrub(t *testing.T) {
	e := newEnv(t)
	e.user(adminEmail, "Admin", navette.RoleAdmin)
	d := e.send(map[string][]byte{"a.txt": randomBytes(3*seg64+100, 9), "b.txt": randomBytes(1000, 10)})
	var bad, good api.File
	for _, f := range d.Files {
		if f.Name == "a.txt" {
			bad = f
		} else {
			good = f
		}
	}
	path := blobFile(t, e.dir, bad.ID)
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	b[len(b)/2] ^= 1
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	before := lastScrub(t, e.app)
	var out, errOut bytes.Buffer
	code := cli.Main([]string{"admin", "scrub", "--data", e.dir, "--rate", "0"}, &cli.Env{Stdout: &out, Stderr: &errOut, Getenv: func(string) string { return "" }})
	if code != 1 || !strings.Contains(out.String(), bad.ID) || !strings.Contains(out.String(), "1 corrupt") {
		t.Fatalf("admin scrub: %d %q %q", code, out.String(), errOut.String())
	}
	// The manual pass is the platform's last: the scrubber counts from it.
	if run := lastScrub(t, e.app); !run.End.After(before.End) || run.Start.After(run.End) {
		t.Errorf("admin scrub recorded %+v as the last pass, before %+v", run, before)
	}
	f := e.file(bad.ID)
	if f.State != navette.FileRejected || f.Check != navette.CheckCorrupt || !strings.Contains(f.CheckDetail, "segment 1") {
		t.Fatalf("corrupt file: %s %s %q", f.State, f.Check, f.CheckDetail)
	}
	if evs := e.events(d.ID, navette.EventFileCorrupt); len(evs) != 1 || evs[0].FileID != bad.ID {
		t.Errorf("file.corrupt events: %+v", evs)
	}
	if resp, _ := e.do("GET", filePath(d, bad), e.lawyer, nil); resp.StatusCode < 400 {
		t.Errorf("download of a corrupt file: %d", resp.StatusCode)
	}
	if resp, b := e.do("GET", filePath(d, good), e.lawyer, nil); resp.StatusCode != http.StatusOK || len(b) != 1000 {
		t.Errorf("download of the other file: %d", resp.StatusCode)
	}
	// A second pass finds nothing new.
	st, err := e.app.Deposits.Scrub(context.Background(), 0)
	if err != nil || len(st.Corrupt) != 0 || st.Files != 1 {
		t.Errorf("second pass: %+v, %v", st, err)
	}
}

package app_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"testing"

	"navette"
	"navette/api"
	"navette/auth"
	"navette/seal"
)

// route fetches a deposit's files as one client would: through the API
// with a token, or through the web pages with a session cookie.
type route struct {
	name string
	path func(d api.Deposit, f api.File) string
	auth func(req *http.Request)
}

// routes returns the API route with the lawyer's token and the web route
// with a session of the lawyer's signed in through the pages.
func (e *env) routes(t *testing.T) []route {
	b, _ := e.signIn(t, lawyerEmail)
	return []route{
		{"api", filePath, bearer(e.lawyer)},
		{"web", func(d api.Deposit, f api.File) string { return "/deposits/" + d.ID + "/files/" + f.ID }, b.authorize},
	}
}

// bearer authorises a request with the API token.
func bearer(token string) func(req *http.Request) {
	return func(req *http.Request) { req.Header.Set("Authorization", "Bearer "+token) }
}

// authorize authorises a request with the browser's session cookie.
func (b *browser) authorize(req *http.Request) {
	req.AddCookie(&http.Cookie{Name: auth.CookieName, Value: b.cookie})
}

// fetch sends method to the route's path of file f with the headers hdr
// and returns the answer with its body read.
func (e *env) fetch(t *testing.T, rt route, method string, d api.Deposit, f api.File, hdr ...string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, e.url+rt.path(d, f), nil)
	if err != nil {
		t.Fatal(err)
	}
	rt.auth(req)
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := e.noRedirect.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: %v", method, rt.name, err)
	}
	return resp, body
}

// downloads returns the file.downloaded events of file fid.
func (e *env) downloads(t *testing.T, fid string) []navette.Event {
	t.Helper()
	evs, err := e.app.Meta.Events(t.Context(), navette.EventFilter{Limit: 100000})
	if err != nil {
		t.Fatal(err)
	}
	var out []navette.Event
	for _, ev := range evs {
		if ev.Type == navette.EventFileDownloaded && ev.FileID == fid {
			out = append(out, ev)
		}
	}
	return out
}

// receiptMails returns how many download receipts were queued for deposit id.
func (e *env) receiptMails(id string) int {
	n := 0
	for _, no := range e.notices(id) {
		if no.Kind == navette.NoticeReceipt {
			n++
		}
	}
	return n
}

// delivered returns the bytes of file fid delivered to the user of email
// since their last complete download.
func (e *env) delivered(t *testing.T, email, fid string) []navette.ByteRange {
	t.Helper()
	u, err := e.app.Meta.UserByEmail(t.Context(), email)
	if err != nil {
		t.Fatal(err)
	}
	got, err := e.app.Meta.(navette.DeliveryStore).Delivered(t.Context(), fid, u.ID)
	if err != nil {
		t.Fatal(err)
	}
	return got
}

// waitDelivered waits until the server has recorded what it delivered of
// fid to the lawyer as want (it does so once the bytes left it, after the
// client may have read them).
func (e *env) waitDelivered(t *testing.T, fid string, want ...int64) {
	t.Helper()
	var rs []navette.ByteRange
	for i := 0; i+1 < len(want); i += 2 {
		rs = append(rs, navette.ByteRange{Start: want[i], End: want[i+1]})
	}
	waitFor(t, fmt.Sprintf("delivered bytes %v", rs), func() bool {
		return reflect.DeepEqual(e.delivered(t, lawyerEmail, fid), rs)
	})
}

// noDownloadYet checks that nothing recorded a download of f in d.
func (e *env) noDownloadYet(t *testing.T, what string, d api.Deposit, f api.File) {
	t.Helper()
	if n := len(e.downloads(t, f.ID)); n != 0 {
		t.Errorf("%s: %d downloads recorded, want none", what, n)
	}
	if n := e.receiptMails(d.ID); n != 0 {
		t.Errorf("%s: %d receipts queued, want none", what, n)
	}
	dep, err := e.app.Meta.Deposit(t.Context(), d.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !dep.Recipients[0].FirstDownloadAt.IsZero() {
		t.Errorf("%s: first download recorded", what)
	}
}

// TestDownloadsRecordedTruthfully fetches a file through the API and the
// web pages in every way that does not deliver all of it (the last byte, a
// HEAD, ranges that leave a gap): no download is recorded, no receipt is
// mailed. Ranges that cover it, overlapping and out of order, make exactly
// one download and one receipt; a later whole GET another download but no
// second receipt.
func TestDownloadsRecordedTruthfully(t *testing.T) {
	S := seal.SegmentSize
	size := 3*S + 123
	data := randomBytes(size, 11)
	for _, name := range []string{"api", "web"} {
		t.Run(name, func(t *testing.T) {
			e := newEnv(t)
			var rt route
			for _, r := range e.routes(t) {
				if r.name == name {
					rt = r
				}
			}
			d := e.send(map[string][]byte{"pièce.bin": data})
			f := d.Files[0]
			n := int64(size)

			// HEAD, with and without a range: headers only.
			for _, hdr := range [][]string{nil, {"Range", "bytes=0-"}} {
				resp, body := e.fetch(t, rt, "HEAD", d, f, hdr...)
				if resp.StatusCode/100 != 2 || len(body) != 0 || resp.Header.Get("Content-Length") != strconv.Itoa(size) {
					t.Fatalf("HEAD %v: %d, %d bytes, Content-Length %s", hdr, resp.StatusCode, len(body), resp.Header.Get("Content-Length"))
				}
			}
			// The last byte alone.
			resp, body := e.fetch(t, rt, "GET", d, f, "Range", "bytes=-1")
			if resp.StatusCode != http.StatusPartialContent || !bytes.Equal(body, data[size-1:]) {
				t.Fatalf("bytes=-1: %d, %d bytes", resp.StatusCode, len(body))
			}
			e.waitDelivered(t, f.ID, n-1, n) // the HEADs added nothing
			e.noDownloadYet(t, "HEAD and bytes=-1", d, f)

			// Two ranges with a gap between them.
			for _, r := range []string{"bytes=0-99", "bytes=200-" + itoa(size-2)} {
				if resp, _ := e.fetch(t, rt, "GET", d, f, "Range", r); resp.StatusCode != http.StatusPartialContent {
					t.Fatalf("%s: %d", r, resp.StatusCode)
				}
			}
			e.waitDelivered(t, f.ID, 0, 100, 200, n)
			e.noDownloadYet(t, "two ranges with a gap", d, f)

			// Several ranges in one request get the whole file.
			resp, body = e.fetch(t, rt, "GET", d, f, "Range", "bytes=0-1,5-6")
			if resp.StatusCode != 200 || !bytes.Equal(body, data) {
				t.Fatalf("multi-range: %d, %d bytes", resp.StatusCode, len(body))
			}
			waitFor(t, "the whole download", func() bool { return len(e.downloads(t, f.ID)) == 1 })
			if ev := e.downloads(t, f.ID)[0]; ev.Detail != "whole" || ev.Size != n {
				t.Errorf("whole download event %+v", ev)
			}
			if got := e.delivered(t, lawyerEmail, f.ID); len(got) != 0 {
				t.Errorf("delivered after a whole download: %v, want none", got)
			}

			// Ranges that cover the file again, out of order and
			// overlapping: a second download, recorded once.
			for _, r := range []string{"bytes=" + itoa(2*S) + "-", "bytes=50-" + itoa(2*S+10), "bytes=-5"} {
				resp, body := e.fetch(t, rt, "GET", d, f, "Range", r)
				if resp.StatusCode != http.StatusPartialContent || len(body) == 0 {
					t.Fatalf("%s: %d", r, resp.StatusCode)
				}
			}
			e.waitDelivered(t, f.ID, 50, n)
			if n := len(e.downloads(t, f.ID)); n != 1 {
				t.Errorf("%d downloads before the cover is complete, want 1", n)
			}
			if resp, body := e.fetch(t, rt, "GET", d, f, "Range", "bytes=0-60"); resp.StatusCode != http.StatusPartialContent || !bytes.Equal(body, data[:61]) {
				t.Fatalf("bytes=0-60: %d", resp.StatusCode)
			}
			waitFor(t, "the second download", func() bool { return len(e.downloads(t, f.ID)) == 2 })
			e.waitDelivered(t, f.ID)
			if ev := e.downloads(t, f.ID)[1]; ev.Detail != "ranges" {
				t.Errorf("ranged download detail %q, want ranges", ev.Detail)
			}

			// One receipt, for the first download only.
			if n := e.receiptMails(d.ID); n != 1 {
				t.Errorf("%d receipts queued, want 1", n)
			}
			waitFor(t, "every notice sent", func() bool {
				e.app.Worker.Kick()
				for _, no := range e.notices(d.ID) {
					if no.State != navette.NoticeSent {
						return false
					}
				}
				return true
			})
			ms, err := e.app.Outbox.List(1000)
			if err != nil {
				t.Fatal(err)
			}
			mails := 0
			for _, m := range ms {
				if m.To.Email == agentEmail {
					mails++
				}
			}
			if mails != 1 {
				t.Errorf("%d mails to the sender, want 1 receipt", mails)
			}
		})
	}
}

// TestAbortedDownloadResumed: a GET the client abandons mid-body records no
// download, only the bytes that left the server; resuming it in another
// session (the web pages after the API) completes it: one download, one
// receipt.
func TestAbortedDownloadResumed(t *testing.T) {
	e := newEnv(t)
	rts := e.routes(t)
	size := 32 << 20 // more than the kernel's socket buffers hold
	data := randomBytes(size, 12)
	d := e.send(map[string][]byte{"gros.bin": data})
	f := d.Files[0]

	req, _ := http.NewRequest("GET", e.url+rts[0].path(d, f), nil)
	rts[0].auth(req)
	resp, err := e.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	got := make([]byte, 1<<20)
	if _, err := io.ReadFull(resp.Body, got); err != nil {
		t.Fatal(err)
	}
	resp.Body.Close() // before the end: the connection is dropped
	var cover []navette.ByteRange
	waitFor(t, "the aborted transfer's bytes recorded", func() bool {
		cover = e.delivered(t, lawyerEmail, f.ID)
		return len(cover) > 0
	})
	if len(cover) != 1 || cover[0].Start != 0 || cover[0].End < int64(len(got)) || cover[0].End >= int64(size) {
		t.Fatalf("delivered after the abort: %v (client read %d of %d)", cover, len(got), size)
	}
	e.noDownloadYet(t, "aborted GET", d, f)

	// The client resumes, in a session of the web pages.
	resp2, body := e.fetch(t, rts[1], "GET", d, f, "Range", "bytes="+itoa(len(got))+"-", "If-Range", resp.Header.Get("ETag"))
	if resp2.StatusCode != http.StatusPartialContent || !bytes.Equal(append(got, body...), data) {
		t.Fatalf("resume: %d, %d bytes", resp2.StatusCode, len(body))
	}
	waitFor(t, "the resumed download", func() bool { return len(e.downloads(t, f.ID)) == 1 })
	if ev := e.downloads(t, f.ID)[0]; ev.Detail != "ranges" {
		t.Errorf("resumed download detail %q", ev.Detail)
	}
	if n := e.receiptMails(d.ID); n != 1 {
		t.Errorf("%d receipts, want 1", n)
	}
	dep, _ := e.app.Meta.Deposit(t.Context(), d.ID)
	if dep.Recipients[0].FirstDownloadAt.IsZero() {
		t.Error("first download not recorded")
	}
}

// TestDownloadsAreSandboxed: every answer carrying file bytes, on the API
// and the web routes (one file, a range, a HEAD, the ZIP), tells the browser
// to download it and never run it.
func TestDownloadsAreSandboxed(t *testing.T) {
	e := newEnv(t)
	rts := e.routes(t)
	d := e.send(map[string][]byte{"<script>alert(1)</script>.html": []byte("<html><script>alert(1)</script></html>")})
	f := d.Files[0]
	check := func(what string, resp *http.Response) {
		t.Helper()
		if resp.StatusCode/100 != 2 {
			t.Fatalf("%s: status %d", what, resp.StatusCode)
		}
		for k, want := range map[string]string{
			"Content-Security-Policy": "sandbox; default-src 'none'",
			"X-Content-Type-Options":  "nosniff",
			"Cache-Control":           "private, no-store",
		} {
			if got := resp.Header.Get(k); got != want {
				t.Errorf("%s: %s %q, want %q", what, k, got, want)
			}
		}
		if cd := resp.Header.Get("Content-Disposition"); !strings.HasPrefix(cd, "attachment; filename=\"") || !strings.Contains(cd, "filename*=UTF-8''") {
			t.Errorf("%s: Content-Disposition %q", what, cd)
		}
	}
	for _, rt := range rts {
		for _, c := range []struct {
			method string
			hdr    []string
		}{{"GET", nil}, {"GET", []string{"Range", "bytes=2-5"}}, {"HEAD", nil}} {
			resp, _ := e.fetch(t, rt, c.method, d, f, c.hdr...)
			check(rt.name+" "+c.method+" "+strings.Join(c.hdr, " "), resp)
			if ct := resp.Header.Get("Content-Type"); ct != "application/octet-stream" {
				t.Errorf("%s %s: Content-Type %q", rt.name, c.method, ct)
			}
		}
	}
	zip := route{"zip", func(d api.Deposit, _ api.File) string { return "/deposits/" + d.ID + "/zip" }, rts[1].auth}
	resp, body := e.fetch(t, zip, "GET", d, f)
	check("zip", resp)
	if !bytes.HasPrefix(body, []byte("PK")) {
		t.Errorf("zip: %.40q", body)
	}
	// The ZIP counts as a download of each file in it; its HEAD does not.
	resp, body = e.fetch(t, zip, "HEAD", d, f)
	check("zip HEAD", resp)
	if len(body) != 0 {
		t.Errorf("zip HEAD: %d bytes", len(body))
	}
	waitFor(t, "the ZIP's download", func() bool { return len(e.downloads(t, f.ID)) == 3 })
	// Before the answer carries bytes, refusals are ordinary pages and
	// problems.
	resp, _ = e.fetch(t, rts[1], "GET", d, api.File{ID: navette.NewID()})
	if resp.StatusCode != http.StatusNotFound || resp.Header.Get("Content-Disposition") != "" {
		t.Errorf("web 404: %d, Content-Disposition %q", resp.StatusCode, resp.Header.Get("Content-Disposition"))
	}
	resp, _ = e.fetch(t, rts[1], "GET", d, f, "Range", "bytes=999-")
	if resp.StatusCode != http.StatusRequestedRangeNotSatisfiable || resp.Header.Get("Content-Disposition") != "" {
		t.Errorf("web 416: %d, Content-Disposition %q", resp.StatusCode, resp.Header.Get("Content-Disposition"))
	}
}

// TestCaseBundleHeadIsNoDownload: a HEAD of a case's ZIP, on the API and
// the web route alike, answers the GET's headers with no body and records
// no download; the GET that follows counts as the download.
func TestCaseBundleHeadIsNoDownload(t *testing.T) {
	e := newEnv(t)
	rts := e.routes(t)
	d := e.send(map[string][]byte{"acte.pdf": []byte("%PDF-1.7 an act")})
	f := d.Files[0]
	if d.CaseID == "" {
		t.Fatal("the deposit is in no case")
	}
	bundles := []route{
		{"api bundle", func(d api.Deposit, _ api.File) string { return api.PathCases + "/" + d.CaseID + "/bundle" }, rts[0].auth},
		{"web zip", func(d api.Deposit, _ api.File) string { return "/cases/" + d.CaseID + "/zip" }, rts[1].auth},
	}
	for _, rt := range bundles {
		resp, body := e.fetch(t, rt, "HEAD", d, f)
		if resp.StatusCode != http.StatusOK || len(body) != 0 || resp.Header.Get("Content-Type") != "application/zip" ||
			!strings.HasPrefix(resp.Header.Get("Content-Disposition"), "attachment; ") {
			t.Fatalf("%s HEAD: %d, %d bytes, Content-Type %q, Content-Disposition %q", rt.name, resp.StatusCode, len(body),
				resp.Header.Get("Content-Type"), resp.Header.Get("Content-Disposition"))
		}
	}
	e.noDownloadYet(t, "the bundles' HEADs", d, f)
	resp, body := e.fetch(t, bundles[0], "GET", d, f)
	if resp.StatusCode != http.StatusOK || !bytes.HasPrefix(body, []byte("PK")) {
		t.Fatalf("api bundle GET: %d, %.40q", resp.StatusCode, body)
	}
	waitFor(t, "the bundle's download", func() bool { return len(e.downloads(t, f.ID)) == 1 })
}

// TestGuessedIDsDoNotFloodTheJournal: 2,000 guessed deposit ids from one
// person are all answered 404, and journaled as two access.denied events
// that still count them (the first, then one aggregate). 2,000 show the
// bound as well as 10,000 did, in a fifth of the suite's time (10,000 took
// six minutes under the race detector on a loaded machine).
func TestGuessedIDsDoNotFloodTheJournal(t *testing.T) {
	e := newEnv(t)
	const guesses, workers = 2000, 4
	var wg sync.WaitGroup
	var mu sync.Mutex
	statuses := map[int]int{}
	for w := range workers {
		wg.Go(func() {
			for i := w; i < guesses; i += workers {
				req, _ := http.NewRequest("GET", e.url+api.PathDeposits+"/"+navette.NewID(), nil)
				req.Header.Set("Authorization", "Bearer "+e.stranger)
				resp, err := e.client.Do(req)
				if err != nil {
					t.Error(err)
					return
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				mu.Lock()
				statuses[resp.StatusCode]++
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if statuses[http.StatusNotFound] != guesses {
		t.Fatalf("statuses %v, want %d × 404", statuses, guesses)
	}
	e.app.Deposits.FlushDenials(context.Background(), true)
	stranger, _ := e.app.Meta.UserByEmail(t.Context(), strangerEmail)
	evs, err := e.app.Meta.Events(t.Context(), navette.EventFilter{Limit: 100000})
	if err != nil {
		t.Fatal(err)
	}
	var details []string
	for _, ev := range evs {
		if ev.Type == navette.EventAccessDenied && ev.ActorID == stranger.ID {
			details = append(details, ev.Detail)
		}
	}
	want := []string{"not_found", "count=" + itoa(guesses-1) + " not_found=" + itoa(guesses-1)}
	if !reflect.DeepEqual(details, want) {
		t.Errorf("access.denied events: %q, want %q", details, want)
	}
}

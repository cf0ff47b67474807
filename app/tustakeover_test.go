package app_test

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"navette"
)

// TestConcurrentPatches: a PATCH that comes while another is writing the
// same upload takes it over (tusd asks the holder of the upload's lock to
// let go): the request cut answers 409, saying that another request is
// writing the upload and to ask its offset with HEAD, and keeps what it
// wrote; the newcomer, sent from an offset that is no longer the
// upload's, gets tusd's 409 too; a HEAD then gives the offset to resume
// from, and the upload completes.
func TestConcurrentPatches(t *testing.T) {
	e := newEnv(t)
	d := e.createDeposit(e.agent, lawyerEmail)
	const size = 64 << 20
	data := randomBytes(size, 17)
	loc := e.createUpload(e.agent, d.ID, "scelle.bin", size)
	patch := func(off int64, body io.Reader) (*http.Response, []byte) {
		return e.do("PATCH", loc, e.agent, body, "Tus-Resumable", "1.0.0", "Upload-Offset", strconv.FormatInt(off, 10),
			"Content-Type", "application/offset+octet-stream", "Content-Length", strconv.FormatInt(size-off, 10))
	}

	type answer struct {
		resp *http.Response
		body []byte
	}
	pr, pw := io.Pipe()
	req, err := http.NewRequest("PATCH", e.url+loc, pr)
	if err != nil {
		t.Fatal(err)
	}
	req.ContentLength = size // e.do would send the pipe chunked, which a PATCH may not be
	for k, v := range map[string]string{"Authorization": "Bearer " + e.agent, "Tus-Resumable": "1.0.0", "Upload-Offset": "0",
		"Content-Type": "application/offset+octet-stream"} {
		req.Header.Set(k, v)
	}
	first := make(chan answer, 1)
	go func() {
		resp, err := e.client.Do(req)
		if err != nil {
			first <- answer{}
			return
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		first <- answer{resp, b}
	}()
	// Half the file through the pipe is more than the connection's
	// buffers hold: the server is reading it, so the first PATCH holds
	// the upload's lock.
	if _, err := pw.Write(data[:size/2]); err != nil {
		t.Fatal(err)
	}

	resp, b := patch(0, bytes.NewReader(data))
	e.problem(resp, b, http.StatusConflict)
	a := <-first
	pw.CloseWithError(errors.New("the test is done with this body"))
	if a.resp == nil {
		t.Fatal("the first PATCH got no answer")
	}
	p := e.problem(a.resp, a.body, http.StatusConflict)
	if p.Code != navette.ECONFLICT || p.Type == navette.ProblemUploadOffset || !strings.Contains(p.Detail, "Another request is writing this upload; retry with HEAD to find the offset") {
		t.Errorf("the PATCH taken over answered %+v", p)
	}

	resp, _ = e.do("HEAD", loc, e.agent, nil, "Tus-Resumable", "1.0.0")
	off, err := strconv.ParseInt(resp.Header.Get("Upload-Offset"), 10, 64)
	if resp.StatusCode != http.StatusOK || err != nil || off <= 0 || off > size/2 {
		t.Fatalf("HEAD after the takeover: %d, Upload-Offset %q", resp.StatusCode, resp.Header.Get("Upload-Offset"))
	}
	if resp, b := patch(off, bytes.NewReader(data[off:])); resp.StatusCode != http.StatusNoContent {
		t.Fatalf("PATCH resumed at %d: %d %s", off, resp.StatusCode, b)
	}
}

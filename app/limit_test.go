package app_test

import (
	"bytes"
	"net/http"
	"strings"
	"testing"

	"navette"
	"navette/api"
	"navette/seal"
)

// TestDownloadLimit sends a deposit capped at two complete downloads per
// recipient: ranges that do not cover the file never count, two complete
// downloads (one through the API, one through the pages) use the cap up,
// then the file answers 410 with the download_limit problem to the API
// and a page saying so to the browser, while its sender still gets it.
func TestDownloadLimit(t *testing.T) {
	size := seal.SegmentSize + 321
	data := randomBytes(size, 20)
	e := newEnv(t)
	var d api.Deposit
	e.doJSON("POST", api.PathDeposits, e.agent, api.CreateDeposit{Recipients: []string{lawyerEmail}, Reference: "Parquet 26/00043",
		RetentionDays: 7, MaxDownloads: 2}, http.StatusCreated, &d)
	if d.MaxDownloads != 2 {
		t.Fatalf("max_downloads %d, want 2", d.MaxDownloads)
	}
	e.upload(e.agent, d.ID, "pièce.bin", data)
	d = e.submit(e.agent, d.ID)
	f := d.Files[0]
	rts := e.routes(t)
	apiRoute, webRoute := rts[0], rts[1]

	for _, r := range []string{"bytes=0-99", "bytes=100-199", "bytes=-1"} {
		if resp, _ := e.fetch(t, apiRoute, "GET", d, f, "Range", r); resp.StatusCode != http.StatusPartialContent {
			t.Fatalf("%s: %d", r, resp.StatusCode)
		}
	}
	e.waitDelivered(t, f.ID, 0, 200, int64(size-1), int64(size))
	e.noDownloadYet(t, "partial fetches", d, f)

	for i, rt := range []route{apiRoute, webRoute} {
		resp, body := e.fetch(t, rt, "GET", d, f)
		if resp.StatusCode != http.StatusOK || !bytes.Equal(body, data) {
			t.Fatalf("download %d (%s): %d, %d bytes", i+1, rt.name, resp.StatusCode, len(body))
		}
		waitFor(t, "the download recorded", func() bool { return len(e.downloads(t, f.ID)) == i+1 })
	}

	for _, r := range [][]string{nil, {"Range", "bytes=0-0"}} {
		resp, body := e.fetch(t, apiRoute, "GET", d, f, r...)
		p := e.problem(resp, body, http.StatusGone)
		if p.Type != navette.ProblemDownloadLimit || p.Code != navette.EGONE || !strings.Contains(p.Detail, "limit of 2") {
			t.Errorf("API after the cap %v: %+v", r, p)
		}
	}
	resp, body := e.fetch(t, webRoute, "GET", d, f)
	if resp.StatusCode != http.StatusGone || !strings.Contains(resp.Header.Get("Content-Type"), "text/html") ||
		!strings.Contains(string(body), "Limite de téléchargements atteinte") && !strings.Contains(string(body), "Download limit reached") {
		t.Errorf("page after the cap: %d %s", resp.StatusCode, body)
	}
	if n := len(e.downloads(t, f.ID)); n != 2 {
		t.Errorf("%d downloads recorded, want 2", n)
	}

	sender := route{"sender", filePath, func(req *http.Request) { req.Header.Set("Authorization", "Bearer "+e.agent) }}
	for i := range 3 {
		if resp, body := e.fetch(t, sender, "GET", d, f); resp.StatusCode != http.StatusOK || !bytes.Equal(body, data) {
			t.Fatalf("sender's download %d: %d", i+1, resp.StatusCode)
		}
	}
}

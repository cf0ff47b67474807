package app_test

import (
	"bytes"
	"net/http"
	"strings"
	"testing"

	"navette"
	"navette/api"
	"navette/cli"
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

// TestSendMaxDownloads: navette send --max-downloads sets the deposit's cap.
func TestSendMaxDownloads(t *testing.T) {
	e := newEnv(t)
	file := t.TempDir() + "/pv.pdf"
	if err := writeFile(file, []byte("%PDF")); err != nil {
		t.Fatal(err)
	}
	var out, errOut bytes.Buffer
	vars := map[string]string{"NAVETTE_SERVER": e.url, "NAVETTE_TOKEN": e.agent}
	env := &cli.Env{Stdout: &out, Stderr: &errOut, Getenv: func(k string) string { return vars[k] }}
	if code := cli.Main([]string{"send", "--to", lawyerEmail, "--ref", "RG 2", "--max-downloads", "3", file}, env); code != 0 {
		t.Fatalf("send: %d %s", code, errOut.String())
	}
	var d api.Deposit
	e.doJSON("GET", api.PathDeposits+"/"+strings.TrimSpace(out.String()), e.agent, nil, http.StatusOK, &d)
	if d.MaxDownloads != 3 {
		t.Errorf("send --max-downloads 3 made a deposit with max_downloads %d", d.MaxDownloads)
	}
	out.Reset()
	errOut.Reset()
	if code := cli.Main([]string{"send", "--to", lawyerEmail, "--ref", "RG 3", "--max-downloads", "101", file}, env); code == 0 ||
		!strings.Contains(errOut.String(), "download limit") {
		t.Errorf("send --max-downloads 101: %d %q", code, errOut.String())
	}
}

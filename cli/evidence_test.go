package cli

import (
	"archive/zip"
	"bytes"
	"io"
	"strings"
	"testing"

	"navette/receipt"
)

// TestAdminEvidence: the operator exports a deposit's evidence bundle from
// the data directory while the server runs; its receipts verify with the
// keys it carries, and an unknown deposit is an error.
func TestAdminEvidence(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	f := writeFile(t, t.TempDir(), "conclusions.pdf", randomBytes(5000, 3))
	r := runCLI(t, e.vars(e.agent), false, "send", "--to", lawyer, "--ref", "RG 26/777", f)
	if r.code != 0 {
		t.Fatalf("send: %+v", r)
	}
	id := lastLine(r.stdout)
	r = runCLI(t, nil, false, "admin", "evidence", "--data", e.dir, id)
	if r.code != 0 || !strings.Contains(r.stderr, id) {
		t.Fatalf("admin evidence: exit %d, %s", r.code, r.stderr)
	}
	zr, err := zip.NewReader(strings.NewReader(r.stdout), int64(len(r.stdout)))
	if err != nil {
		t.Fatal(err)
	}
	files := map[string][]byte{}
	for _, zf := range zr.File {
		rc, err := zf.Open()
		if err != nil {
			t.Fatal(err)
		}
		files[zf.Name], _ = io.ReadAll(rc)
		rc.Close()
	}
	keys := strings.Fields(string(files["cles-publiques.txt"]))
	n := 0
	for name, b := range files {
		if !strings.HasPrefix(name, "recus/") || !strings.HasSuffix(name, ".json") {
			continue
		}
		n++
		rc, err := receipt.Parse(b)
		if err == nil {
			var res *receipt.Result
			res, err = receipt.Verify(rc, keys, nil)
			if err == nil && res.Claims != nil && res.Claims.Deposit.Reference != "RG 26/777" {
				t.Errorf("%s: reference %q", name, res.Claims.Deposit.Reference)
			}
		}
		if err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	if n < 2 || !bytes.Contains(files["LISEZMOI.txt"], []byte("navette verify")) {
		t.Errorf("bundle: %d receipts, files %d", n, len(files))
	}

	r = runCLI(t, nil, false, "admin", "evidence", "--data", e.dir, "a234567abcdefghijklmnopqrstuvwxy")
	if r.code != 1 || r.stdout != "" || !strings.Contains(r.stderr, "No such deposit") {
		t.Errorf("unknown deposit: exit %d, %q", r.code, r.stderr)
	}
	if r := runCLI(t, nil, false, "admin", "evidence", "--data", e.dir); r.code != 2 {
		t.Errorf("no deposit id: exit %d", r.code)
	}
}

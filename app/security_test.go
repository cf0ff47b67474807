package app_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"navette"
	"navette/api"
	"navette/app"
	"navette/seal"
)

func TestStrangerGetsNotFound(t *testing.T) {
	e := newEnv(t)
	d := e.send(map[string][]byte{"a.txt": []byte("secret")})
	draft := e.createDeposit(e.agent, lawyerEmail)
	upload := e.createUpload(e.agent, draft.ID, "b.txt", 10)
	unknown := navette.NewID()

	// Every way of touching someone else's deposit answers exactly like an id
	// that does not exist.
	type probe struct{ method, path string }
	probes := func(id, fid, up string) []probe {
		return []probe{
			{"GET", api.PathDeposits + "/" + id},
			{"GET", api.PathDeposits + "/" + id + "/files"},
			{"GET", api.PathDeposits + "/" + id + "/files/" + fid},
			{"DELETE", api.PathDeposits + "/" + id},
			{"POST", api.PathDeposits + "/" + id + "/submit"},
			{"HEAD", up},
			{"PATCH", up},
			{"DELETE", up},
		}
	}
	real := probes(d.ID, d.Files[0].ID, upload)
	fake := probes(unknown, navette.NewID(), api.PathUploads+navette.NewID())
	for i := range real {
		var bodies [2]string
		for j, p := range []probe{real[i], fake[i]} {
			resp, b := e.do(p.method, p.path, e.stranger, strings.NewReader(""), "Tus-Resumable", "1.0.0", "Upload-Offset", "0", "Content-Type", "application/offset+octet-stream")
			pr := e.problem(resp, b, http.StatusNotFound)
			pr.Instance = ""
			out, _ := json.Marshal(pr)
			bodies[j] = string(out)
		}
		if bodies[0] != bodies[1] {
			t.Errorf("%s %s: stranger got %s, unknown id got %s", real[i].method, real[i].path, bodies[0], bodies[1])
		}
	}
	// The lawyer, a recipient, cannot touch the sender's draft upload either.
	resp, b := e.do("HEAD", upload, e.lawyer, nil, "Tus-Resumable", "1.0.0")
	e.problem(resp, b, http.StatusNotFound)
	// Malformed ids are simply not found.
	for _, p := range []string{"/../../etc/passwd", "/%2e%2e", "/" + strings.Repeat("a", 500)} {
		resp, b := e.do("GET", api.PathDeposits+p, e.lawyer, nil)
		if resp.StatusCode != http.StatusNotFound {
			t.Errorf("%q: got %d %s", p, resp.StatusCode, b)
		}
	}
	// Denied accesses are journaled.
	evs, _ := e.app.Meta.Events(t.Context(), navette.EventFilter{DepositID: d.ID})
	denied := 0
	for _, ev := range evs {
		if ev.Type == navette.EventAccessDenied {
			denied++
		}
	}
	if denied == 0 {
		t.Error("no access.denied event recorded")
	}
}

func TestAuthentication(t *testing.T) {
	e := newEnv(t)
	for _, tok := range []string{"", "nvt_forged", "Basic abc", e.agent + "x"} {
		resp, b := e.do("GET", api.PathDeposits, tok, nil)
		e.problem(resp, b, http.StatusUnauthorized)
		if resp.Header.Get("WWW-Authenticate") == "" {
			t.Errorf("%q: no WWW-Authenticate", tok)
		}
	}
	resp, b := e.do("GET", "/no/such/route", e.agent, nil)
	e.problem(resp, b, http.StatusNotFound)
}

func TestCreateValidation(t *testing.T) {
	e := newEnv(t)
	for _, tc := range []struct {
		name   string
		body   string
		token  string
		status int
	}{
		{"unknown recipient", `{"recipients":["nobody@avocat.example"],"reference":"R"}`, e.agent, 422},
		{"no recipient", `{"recipients":[],"reference":"R"}`, e.agent, 422},
		{"no reference", `{"recipients":["` + lawyerEmail + `"],"reference":"  "}`, e.agent, 422},
		{"retention over ceiling", `{"recipients":["` + lawyerEmail + `"],"reference":"R","retention_days":31}`, e.agent, 422},
		{"negative retention", `{"recipients":["` + lawyerEmail + `"],"reference":"R","retention_days":-1}`, e.agent, 422},
		{"unknown field", `{"recipients":["` + lawyerEmail + `"],"reference":"R","x":1}`, e.agent, 422},
		{"two values", `{"recipients":["` + lawyerEmail + `"],"reference":"R"}{}`, e.agent, 422},
		{"not json", `recipients=a`, e.agent, 422},
		{"control char", `{"recipients":["` + lawyerEmail + `"],"reference":"R\u0007"}`, e.agent, 422},
		{"partner to partner", `{"recipients":["` + strangerEmail + `"],"reference":"R"}`, e.lawyer, 422},
		{"to oneself", `{"recipients":["` + agentEmail + `"],"reference":"R"}`, e.agent, 422},
		{"huge", `{"recipients":["` + lawyerEmail + `"],"reference":"` + strings.Repeat("a", 2<<20) + `"}`, e.agent, 413},
		{"case-insensitive e-mail", `{"recipients":["` + strings.ToUpper(lawyerEmail) + `"],"reference":"R"}`, e.agent, 201},
	} {
		resp, b := e.do("POST", api.PathDeposits, tc.token, strings.NewReader(tc.body), "Content-Type", "application/json")
		if tc.status == 201 {
			if resp.StatusCode != 201 {
				t.Errorf("%s: got %d %s, want 201", tc.name, resp.StatusCode, b)
			}
			continue
		}
		e.problem(resp, b, tc.status)
	}
	// Nothing was half-created.
	var sent api.DepositList
	e.doJSON("GET", api.PathDeposits+"?box=sent", e.agent, nil, 200, &sent)
	if len(sent.Deposits) != 1 {
		t.Errorf("sent box has %d deposits, want 1", len(sent.Deposits))
	}
}

// TestJSONMediaType: a JSON body sent as another media type, or with none,
// is refused 415 with the media type the API takes (the detail says it, and
// Accept-Post names it); a request whose body is optional is not refused
// for sending none.
func TestJSONMediaType(t *testing.T) {
	e := newEnv(t)
	body := `{"recipients":["` + lawyerEmail + `"],"reference":"R"}`
	for _, ct := range []string{"text/plain", "application/x-www-form-urlencoded", "", "application/jsonx", "not a media type"} {
		hdr := []string{}
		if ct != "" {
			hdr = []string{"Content-Type", ct}
		}
		resp, b := e.do("POST", api.PathDeposits, e.agent, strings.NewReader(body), hdr...)
		p := e.problem(resp, b, http.StatusUnsupportedMediaType)
		if !strings.Contains(p.Detail, "application/json") {
			t.Errorf("Content-Type %q: the detail %q does not name application/json", ct, p.Detail)
		}
		if got := resp.Header.Get("Accept-Post"); got != "application/json" {
			t.Errorf("Content-Type %q: Accept-Post %q, want application/json", ct, got)
		}
	}
	resp, b := e.do("POST", api.PathDeposits, e.agent, strings.NewReader(body), "Content-Type", "application/json; charset=utf-8")
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("application/json; charset=utf-8: got %d %s, want 201", resp.StatusCode, b)
	}
	// A body that is optional: none is fine, a body of another type is not.
	d := e.createDeposit(e.agent, lawyerEmail)
	resp, b = e.do("DELETE", api.PathDeposits+"/"+d.ID, e.agent, strings.NewReader(`{"reason":"erreur"}`), "Content-Type", "text/plain")
	e.problem(resp, b, http.StatusUnsupportedMediaType)
	resp, b = e.do("DELETE", api.PathDeposits+"/"+d.ID, e.agent, nil)
	if resp.StatusCode >= 300 {
		t.Errorf("DELETE without a body: got %d %s", resp.StatusCode, b)
	}
}

func TestUploadValidation(t *testing.T) {
	e := newEnv(t, func(c *app.Config) { c.Limits.MaxFileSize = 1 << 20 })
	d := e.createDeposit(e.agent, lawyerEmail)
	create := func(length string, meta string, extra ...string) (*http.Response, []byte) {
		h := append([]string{"Tus-Resumable", "1.0.0", "Upload-Metadata", meta}, extra...)
		if length != "" {
			h = append(h, "Upload-Length", length)
		}
		return e.do("POST", api.PathUploads, e.agent, nil, h...)
	}
	good := tusMeta(api.MetaDeposit, d.ID, api.MetaFilename, "f.bin")
	for _, tc := range []struct {
		name, length, meta string
		extra              []string
		status             int
	}{
		{"over the size limit", "1048577", good, nil, 413},
		{"no length", "", good, nil, 400},
		{"deferred length", "", good, []string{"Upload-Defer-Length", "1"}, 501},
		{"negative length", "-1", good, nil, 400},
		{"no deposit", "10", tusMeta(api.MetaFilename, "f.bin"), nil, 422},
		{"no file name", "10", tusMeta(api.MetaDeposit, d.ID), nil, 422},
		{"bad base64", "10", "deposit !!!,filename ???", nil, 422},
		{"unknown deposit", "10", tusMeta(api.MetaDeposit, navette.NewID(), api.MetaFilename, "f.bin"), nil, 404},
		{"garbage deposit id", "10", tusMeta(api.MetaDeposit, "../../x", api.MetaFilename, "f.bin"), nil, 404},
		{"dot-dot name", "10", tusMeta(api.MetaDeposit, d.ID, api.MetaFilename, ".."), nil, 422},
		{"control in name", "10", tusMeta(api.MetaDeposit, d.ID, api.MetaFilename, "a\x00b"), nil, 422},
		{"long name", "10", tusMeta(api.MetaDeposit, d.ID, api.MetaFilename, strings.Repeat("é", 200)), nil, 422},
		{"wrong tus version", "10", good, []string{"Tus-Resumable", "0.2.0"}, 412},
	} {
		resp, b := create(tc.length, tc.meta, tc.extra...)
		if tc.name == "wrong tus version" {
			resp, b = e.do("POST", api.PathUploads, e.agent, nil, "Tus-Resumable", "0.2.0", "Upload-Length", "10", "Upload-Metadata", good)
		}
		if resp.StatusCode != tc.status {
			t.Errorf("%s: got %d %s, want %d", tc.name, resp.StatusCode, b, tc.status)
			continue
		}
		if resp.Header.Get("Content-Type") != api.ProblemContentType {
			t.Errorf("%s: Content-Type %q, want problem+json", tc.name, resp.Header.Get("Content-Type"))
		}
	}
	// A body longer than announced is refused, and what was announced is
	// kept intact.
	path := e.createUpload(e.agent, d.ID, "f.bin", 10)
	resp, b := e.do("PATCH", path, e.agent, bytes.NewReader(make([]byte, 11)), "Tus-Resumable", "1.0.0", "Upload-Offset", "0", "Content-Type", "application/offset+octet-stream")
	e.problem(resp, b, http.StatusRequestEntityTooLarge)
	if off := e.head(e.agent, path); off != 0 {
		t.Errorf("offset after refused oversize body: %d", off)
	}
	// A chunked PATCH, whose length is unknown in advance, is refused.
	req, _ := http.NewRequest("PATCH", e.url+path, io.MultiReader(strings.NewReader("0123456789"), strings.NewReader("X")))
	req.ContentLength = -1
	for k, v := range map[string]string{"Authorization": "Bearer " + e.agent, "Tus-Resumable": "1.0.0", "Upload-Offset": "0", "Content-Type": "application/offset+octet-stream"} {
		req.Header.Set(k, v)
	}
	cresp, err := e.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	cb, _ := io.ReadAll(cresp.Body)
	cresp.Body.Close()
	e.problem(cresp, cb, http.StatusLengthRequired)
	if off := e.head(e.agent, path); off != 0 {
		t.Errorf("offset after refused chunked body: %d", off)
	}
	// Only the draft's sender may add files to it.
	resp, b = e.do("POST", api.PathUploads, e.lawyer, nil, "Tus-Resumable", "1.0.0", "Upload-Length", "1", "Upload-Metadata", good)
	e.problem(resp, b, http.StatusNotFound)
}

func TestHostileFileNames(t *testing.T) {
	e := newEnv(t)
	names := map[string]string{
		`"><img src=x onerror=alert(1)>.pdf`: `"><img src=x onerror=alert(1)>.pdf`,
		`../../etc/passwd`:                   `passwd`,
		`C:\Windows\system32\evil.exe`:       `evil.exe`,
		`rapport ; rm -rf ~.pdf`:             `rapport ; rm -rf ~.pdf`,
		"\u202egnp.exe":                      "",
	}
	d := e.createDeposit(e.agent, lawyerEmail)
	for in, want := range names {
		if want == "" {
			path := api.PathUploads
			resp, b := e.do("POST", path, e.agent, nil, "Tus-Resumable", "1.0.0", "Upload-Length", "1", "Upload-Metadata", tusMeta(api.MetaDeposit, d.ID, api.MetaFilename, in))
			e.problem(resp, b, http.StatusUnprocessableEntity)
			continue
		}
		e.upload(e.agent, d.ID, in, []byte(in))
	}
	sub := e.submit(e.agent, d.ID)
	for _, f := range sub.Files {
		found := false
		for _, want := range names {
			found = found || f.Name == want
		}
		if !found {
			t.Errorf("stored name %q is none of the expected", f.Name)
		}
		resp, _ := e.do("GET", filePath(sub, f), e.lawyer, nil)
		cd := resp.Header.Get("Content-Disposition")
		fallback := cd[strings.Index(cd, `filename="`)+10:]
		fallback = fallback[:strings.IndexByte(fallback, '"')]
		if strings.ContainsAny(fallback, `"\/<>;`) && strings.ContainsAny(fallback, `"\/`) {
			t.Errorf("%q: unsafe Content-Disposition %q", f.Name, cd)
		}
	}
	// Every path in the data directory is made of server-made names: ids,
	// and the store's own fixed names.
	filepath.WalkDir(e.dir, func(p string, d fs.DirEntry, err error) error {
		rel, _ := filepath.Rel(e.dir, p)
		for _, el := range strings.Split(rel, string(filepath.Separator)) {
			if el == "." || strings.HasPrefix(el, ".tmp-") && strings.Trim(el[5:], "0123456789") == "" {
				continue // the root, or a file being written atomically
			}
			base := strings.TrimSuffix(strings.SplitN(el, ".", 2)[0], "-wal")
			if navette.ValidID(base) || len(base) == 2 || strings.Contains(el, "navette.db") ||
				map[string]bool{".": true, "keys": true, "active": true, "hmac-active": true, "blobs": true, "uploads": true, "mail": true}[base] {
				continue
			}
			if len(base) == 16 && strings.Trim(base, "0123456789abcdef") == "" {
				continue // a key-encryption key's id
			}
			if h, ok := strings.CutPrefix(base, "journal-"); ok && (h == "active" || len(h) == 8 && strings.Trim(h, "0123456789abcdef") == "") {
				continue // the journal's signing keys
			}
			t.Errorf("unexpected path element %q in %s", el, rel)
		}
		return nil
	})
}

// TestCanary proves that no plaintext of a file, file name, reference or
// message reaches the data directory (database, WAL, blobs, keys), whether
// an upload is finished, interrupted mid-segment, or downloaded.
func TestCanary(t *testing.T) {
	e := newEnv(t)
	const (
		ref  = "CANARY-REF-7d1e"
		msg  = "CANARY-MSG-5a9c"
		name = "CANARY-NAME-0b3f.pdf"
		body = "CANARY-CONTENT-c4e2 "
	)
	content := bytes.Repeat([]byte(body), 3*seal.SegmentSize/len(body))
	var d api.Deposit
	e.doJSON("POST", api.PathDeposits, e.agent, api.CreateDeposit{Recipients: []string{lawyerEmail}, Reference: ref, Message: msg}, 201, &d)
	e.upload(e.agent, d.ID, name, content)
	// A second file left mid-segment keeps its partial segment and hash
	// state in the database: sealed too.
	partial := e.createUpload(e.agent, d.ID, "2-"+name, int64(len(content)))
	e.patch(e.agent, partial, 0, content[:seal.SegmentSize+1000])
	d2 := e.createDeposit(e.agent, lawyerEmail)
	e.upload(e.agent, d2.ID, name, content)
	sub := e.submit(e.agent, d2.ID)
	if resp, b := e.do("GET", filePath(sub, sub.Files[0]), e.lawyer, nil); resp.StatusCode != 200 || !bytes.Equal(b, content) {
		t.Fatalf("download: %d", resp.StatusCode)
	}
	canaries := [][]byte{[]byte(ref), []byte(msg), []byte("CANARY-NAME"), []byte("CANARY-CONTENT")}
	files := 0
	err := filepath.WalkDir(e.dir, func(p string, de fs.DirEntry, err error) error {
		if err != nil || de.IsDir() {
			return err
		}
		files++
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		for _, c := range canaries {
			if bytes.Contains(b, c) {
				t.Errorf("%s holds plaintext %q", p, c)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if files < 4 {
		t.Fatalf("only %d files scanned", files)
	}
}

// TestCorruptionRefused alters blobs at rest in every way the format must
// catch; the client never receives altered bytes.
func TestCorruptionRefused(t *testing.T) {
	S := int64(seal.SealedSegmentSize)
	for _, tc := range []struct {
		name   string
		damage func(t *testing.T, blob, other []byte) []byte
		// early: caught before the answer begins (a problem document);
		// otherwise the transfer is cut.
		early bool
		// where is what the journal says of the failure.
		where string
	}{
		{"flip a byte in the first segment", func(t *testing.T, b, _ []byte) []byte { b[seal.HeaderSize+100] ^= 1; return b }, true, "segment 0"},
		{"flip a byte in the last segment", func(t *testing.T, b, _ []byte) []byte { b[len(b)-20] ^= 0x80; return b }, false, "segment 3"},
		{"flip a byte of the header", func(t *testing.T, b, _ []byte) []byte { b[3] ^= 1; return b }, true, "header"},
		{"swap two segments", func(t *testing.T, b, _ []byte) []byte {
			s1 := append([]byte(nil), b[seal.HeaderSize:seal.HeaderSize+S]...)
			copy(b[seal.HeaderSize:], b[seal.HeaderSize+S:seal.HeaderSize+2*S])
			copy(b[seal.HeaderSize+S:], s1)
			return b
		}, true, "segment 0"},
		{"drop the last segment", func(t *testing.T, b, _ []byte) []byte { return b[:seal.HeaderSize+3*S] }, false, "segment 3"},
		{"truncate the last segment", func(t *testing.T, b, _ []byte) []byte { return b[:len(b)-7] }, false, "segment 3"},
		{"segment moved from another file", func(t *testing.T, b, o []byte) []byte {
			copy(b[seal.HeaderSize+S:seal.HeaderSize+2*S], o[seal.HeaderSize+S:seal.HeaderSize+2*S])
			return b
		}, false, "segment 1"},
		{"whole blob replaced by another file's", func(t *testing.T, b, o []byte) []byte { return append([]byte(nil), o...) }, true, "segment 0"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			data := randomBytes(3*seal.SegmentSize+500, 7)
			other := randomBytes(3*seal.SegmentSize+500, 8)
			d := e.send(map[string][]byte{"a.bin": data, "b.bin": other})
			var fa, fb api.File
			for _, f := range d.Files {
				if f.Name == "a.bin" {
					fa = f
				} else {
					fb = f
				}
			}
			pa, pb := e.blobFile(fa.ID), e.blobFile(fb.ID)
			blob, _ := os.ReadFile(pa)
			ob, _ := os.ReadFile(pb)
			if err := os.WriteFile(pa, tc.damage(t, blob, ob), 0o600); err != nil {
				t.Fatal(err)
			}
			req, _ := http.NewRequest("GET", e.url+filePath(d, fa), nil)
			req.Header.Set("Authorization", "Bearer "+e.lawyer)
			resp, err := e.client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			got, rerr := io.ReadAll(resp.Body)
			// The refusal is journaled, once, saying where it failed; it
			// is no download.
			defer func() {
				var corrupt []navette.Event
				waitFor(t, "the corruption journaled", func() bool {
					evs, err := e.app.Meta.Events(t.Context(), navette.EventFilter{DepositID: d.ID})
					if err != nil {
						t.Fatal(err)
					}
					corrupt = corrupt[:0]
					for _, ev := range evs {
						if ev.Type == navette.EventFileCorrupt {
							corrupt = append(corrupt, ev)
						}
						if ev.Type == navette.EventFileDownloaded {
							t.Errorf("a download of the corrupt file was recorded: %+v", ev)
						}
					}
					return len(corrupt) > 0
				})
				if len(corrupt) != 1 || corrupt[0].FileID != fa.ID || corrupt[0].Detail != tc.where {
					t.Errorf("file.corrupt events %+v, want one for %s at %q", corrupt, fa.ID, tc.where)
				}
			}()
			if tc.early {
				e.problem(resp, got, http.StatusInternalServerError)
				return
			}
			if resp.StatusCode == 200 && rerr == nil {
				t.Fatalf("corrupt blob served whole: %d bytes, equal to original %v", len(got), bytes.Equal(got, data))
			}
			if !errors.Is(rerr, io.ErrUnexpectedEOF) {
				t.Errorf("transfer ended with %v, want unexpected EOF", rerr)
			}
			if !bytes.Equal(got, data[:len(got)]) {
				t.Error("altered bytes reached the client")
			}
		})
	}
}

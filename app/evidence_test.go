package app_test

import (
	"archive/zip"
	"bytes"
	"encoding/hex"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"navette"
	"navette/api"
	"navette/deposit"
	"navette/receipt"
)

// receipts lists the receipts of deposit id as token sees them.
func (e *env) receipts(token, id string) []api.ReceiptEntry {
	e.t.Helper()
	var out []api.ReceiptEntry
	e.doJSON("GET", api.PathDeposits+"/"+id+"/receipts", token, nil, http.StatusOK, &out)
	return out
}

func kinds(rs []api.ReceiptEntry) []string {
	var out []string
	for _, r := range rs {
		out = append(out, r.Kind)
	}
	return out
}

// verifyReceipt gets a receipt as token and verifies it with the
// published keys.
func (e *env) verifyReceipt(token, url string) (*receipt.Result, []byte) {
	e.t.Helper()
	resp, b := e.do("GET", url, token, nil)
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != api.MediaTypeReceipt {
		e.t.Fatalf("GET %s: %d %s %s", url, resp.StatusCode, resp.Header.Get("Content-Type"), b)
	}
	r, err := receipt.Parse(b)
	if err != nil {
		e.t.Fatalf("receipt %s: %v", url, err)
	}
	res, err := receipt.Verify(r, e.journalKeys(), nil)
	if err != nil {
		e.t.Fatalf("receipt %s does not verify: %v", url, err)
	}
	return res, b
}

// journalKeys returns the journal's published key list, one line a
// string: the verifier keys, and the retirement lines of retired ones.
func (e *env) journalKeys() []string {
	e.t.Helper()
	resp, keys := e.do("GET", api.PathJournalKeys, "", nil)
	if resp.StatusCode != http.StatusOK {
		e.t.Fatalf("keys: %d", resp.StatusCode)
	}
	return strings.Split(strings.TrimSpace(string(keys)), "\n")
}

// TestReceiptsEndToEnd: a deposit sent, notified, opened and downloaded
// gives receipts to its sender, its recipient and an auditor, each
// verifying against the published keys and stating the reference, the
// files and their SHA-256; the PDF says the same and carries the JSON;
// the evidence bundle holds them all; a stranger gets 404; a year after
// the purge the receipts still name the case and the files, and after the
// proof retention they are gone.
func TestReceiptsEndToEnd(t *testing.T) {
	e := newEnv(t)
	auditor := e.user("audit@justice.example", "Inspection", navette.RoleAuditor)
	const ref = "Parquet 26/00042 — Dupont"
	data := randomBytes(3000, 7)
	d := e.createDepositRef(e.agent, ref, lawyerEmail)
	e.upload(e.agent, d.ID, "procès-verbal.pdf", data)
	d = e.submit(e.agent, d.ID)
	e.waitNoticesSent(d.ID)
	if resp, b := e.do("GET", filePath(d, d.Files[0]), e.lawyer, nil); resp.StatusCode != 200 || !bytes.Equal(b, data) {
		t.Fatalf("download: %d", resp.StatusCode)
	}

	want := []string{"deposited", "available", "notified", "opened", "downloaded"}
	for who, tok := range map[string]string{"sender": e.agent, "recipient": e.lawyer, "auditor": auditor} {
		if got := kinds(e.receipts(tok, d.ID)); !slices.Equal(got, want) {
			t.Errorf("%s's receipts: %v, want %v", who, got, want)
		}
	}
	resp, b := e.do("GET", api.PathDeposits+"/"+d.ID+"/receipts", e.stranger, nil)
	e.problem(resp, b, http.StatusNotFound)

	list := e.receipts(e.lawyer, d.ID)
	hash := sha(data)
	for _, r := range list {
		res, _ := e.verifyReceipt(e.lawyer, r.URL)
		if res.Kind != r.Kind || res.Claims == nil || res.Claims.Deposit == nil || res.Claims.Deposit.Reference != ref {
			t.Errorf("%s receipt: kind %s, claims %+v", r.Kind, res.Kind, res.Claims)
		}
		resp, b := e.do("GET", r.URL, e.stranger, nil)
		e.problem(resp, b, http.StatusNotFound)
	}
	dep, _ := e.verifyReceipt(e.agent, list[0].URL)
	if len(dep.Claims.Files) != 1 || dep.Claims.Files[0].Name != "procès-verbal.pdf" || hex.EncodeToString(dep.Claims.Files[0].SHA256) != hash {
		t.Errorf("deposited receipt's files: %+v", dep.Claims.Files)
	}
	down, _ := e.verifyReceipt(e.agent, list[4].URL)
	if down.Claims.File == nil || hex.EncodeToString(down.Claims.File.SHA256) != hash || down.Claims.By == nil || down.Claims.By.Email != lawyerEmail ||
		down.Claims.By.Auth == nil || down.Claims.By.Auth.Method != "token" {
		t.Errorf("downloaded receipt: file %+v by %+v", down.Claims.File, down.Claims.By)
	}

	// The PDF: pdftotext finds the reference, the SHA-256 and the date;
	// its attached JSON verifies.
	resp, pdf := e.do("GET", list[4].URL+"?format=pdf", e.agent, nil)
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "application/pdf" {
		t.Fatalf("PDF: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	text := pdfText(t, pdf)
	paris, _ := time.LoadLocation("Europe/Paris")
	// The attestation prints a SHA-256 on two lines of 32 digits.
	for _, s := range []string{ref, hash[:32], hash[32:], down.Time.In(paris).Format("02/01/2006 15:04:05")} {
		if !strings.Contains(text, s) {
			t.Errorf("the PDF's text lacks %q:\n%s", s, text)
		}
	}
	attached := pdfAttachments(t, pdf)
	if len(attached) != 1 {
		t.Fatalf("%d files attached to the PDF, want 1", len(attached))
	}
	for _, js := range attached {
		r, err := receipt.Parse(js)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := receipt.Verify(r, e.journalKeys(), nil); err != nil {
			t.Errorf("the PDF's attached receipt does not verify: %v", err)
		}
	}

	// The bundle, for the auditor: every receipt in both forms, the
	// checkpoint, the keys, the README; journaled. The recipient may not.
	resp, b = e.do("GET", api.PathDeposits+"/"+d.ID+"/evidence", e.lawyer, nil)
	e.problem(resp, b, http.StatusForbidden)
	resp, zb := e.do("GET", api.PathDeposits+"/"+d.ID+"/evidence", auditor, nil)
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "application/zip" {
		t.Fatalf("bundle: %d %s", resp.StatusCode, b)
	}
	zr, err := zip.NewReader(bytes.NewReader(zb), int64(len(zb)))
	if err != nil {
		t.Fatal(err)
	}
	files := map[string][]byte{}
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		files[f.Name], _ = io.ReadAll(rc)
		rc.Close()
	}
	keys := strings.Fields(string(files["cles-publiques.txt"]))
	jsons, pdfs, checkpoints := 0, 0, 0
	for name, body := range files {
		switch {
		case strings.HasPrefix(name, "recus/") && strings.HasSuffix(name, ".json"):
			jsons++
			r, err := receipt.Parse(body)
			if err == nil {
				_, err = receipt.Verify(r, keys, nil)
			}
			if err != nil {
				t.Errorf("%s: %v", name, err)
			}
		case strings.HasPrefix(name, "recus/") && strings.HasSuffix(name, ".pdf"):
			pdfs++
		case strings.HasPrefix(name, "points-de-controle/"):
			checkpoints++
		}
	}
	if jsons != 5 || pdfs != 5 || checkpoints < 1 || !strings.Contains(string(files["LISEZMOI.txt"]), "navette verify") || len(keys) == 0 {
		t.Errorf("bundle: %d JSON, %d PDF, %d checkpoints, files %v", jsons, pdfs, checkpoints, slices.Sorted(mapsKeys(files)))
	}
	evs, _ := e.app.Meta.Events(t.Context(), navette.EventFilter{DepositID: d.ID})
	if !slices.ContainsFunc(evs, func(ev navette.Event) bool { return ev.Type == navette.EventEvidenceExported }) {
		t.Error("the export is not journaled")
	}

	// A year after the purge the receipts still state the reference and
	// the file names; then the proof retention ends.
	e.clock.Advance(8 * 24 * time.Hour)
	if st, err := e.app.Deposits.Sweep(t.Context()); err != nil || st.Purged != 1 {
		t.Fatalf("sweep after expiry: %+v, %v", st, err)
	}
	e.clock.Advance(deposit.DefaultProofRetention - 24*time.Hour)
	if _, err := e.app.Deposits.Sweep(t.Context()); err != nil {
		t.Fatal(err)
	}
	agent := e.token(agentEmail) // the first one expired meanwhile
	all := e.receipts(agent, d.ID)
	if got := kinds(all); !slices.Contains(got, "purged") {
		t.Fatalf("after the purge: %v", got)
	}
	for _, r := range all {
		if r.Kind != "purged" && r.Kind != "deposited" {
			continue
		}
		res, _ := e.verifyReceipt(agent, r.URL)
		if res.Claims == nil || res.Claims.Deposit.Reference != ref || len(res.Claims.Files) != 1 || res.Claims.Files[0].Name != "procès-verbal.pdf" {
			t.Errorf("%s receipt a year after the purge: %+v", r.Kind, res.Claims)
		}
		if text := pdfText(t, e.get(agent, r.URL+"?format=pdf")); !strings.Contains(text, ref) || strings.Contains(text, "sans référence") {
			t.Errorf("%s PDF a year after the purge:\n%s", r.Kind, text)
		}
	}
	e.clock.Advance(25 * time.Hour)
	if st, err := e.app.Deposits.Sweep(t.Context()); err != nil || st.ProofsEnded != 1 {
		t.Fatalf("sweep at the end of the proof retention: %+v, %v", st, err)
	}
	resp, b = e.do("GET", api.PathDeposits+"/"+d.ID+"/receipts", agent, nil)
	e.problem(resp, b, http.StatusGone)
	resp, b = e.do("GET", all[0].URL, e.token("audit@justice.example"), nil)
	e.problem(resp, b, http.StatusGone)
}

// waitNoticesSent waits until every notice about deposit id is sent.
func (e *env) waitNoticesSent(id string) {
	e.t.Helper()
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		ns, err := e.app.Meta.Notices(e.t.Context(), navette.NoticeFilter{DepositID: id})
		if err != nil {
			e.t.Fatal(err)
		}
		if len(ns) > 0 && !slices.ContainsFunc(ns, func(n *navette.Notice) bool { return n.State != navette.NoticeSent }) {
			return
		}
	}
	e.t.Fatalf("the notices of deposit %s were not sent", id)
}

// token returns a new API token of the user with the given e-mail.
func (e *env) token(email string) string {
	e.t.Helper()
	tok, _, err := e.app.Accounts.CreateToken(e.t.Context(), email, "test", 0)
	if err != nil {
		e.t.Fatal(err)
	}
	return tok
}

// get returns the body of a GET as token, failing unless 200.
func (e *env) get(token, url string) []byte {
	e.t.Helper()
	resp, b := e.do("GET", url, token, nil)
	if resp.StatusCode != http.StatusOK {
		e.t.Fatalf("GET %s: %d %s", url, resp.StatusCode, b)
	}
	return b
}

func mapsKeys(m map[string][]byte) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

// createDepositRef makes a draft from token to recipients with reference
// ref.
func (e *env) createDepositRef(token, ref string, to ...string) api.Deposit {
	e.t.Helper()
	var d api.Deposit
	e.doJSON("POST", api.PathDeposits, token, api.CreateDeposit{Recipients: to, Reference: ref, RetentionDays: 7}, http.StatusCreated, &d)
	return d
}

// pdfText returns the text of a PDF, as poppler's pdftotext reads it.
func pdfText(t *testing.T, pdf []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "r.pdf")
	if err := os.WriteFile(p, pdf, 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("pdftotext", "-layout", "-enc", "UTF-8", p, "-").Output()
	if err != nil {
		t.Fatalf("pdftotext: %v", err)
	}
	return string(out)
}

// pdfAttachments returns the files attached to a PDF, as poppler's
// pdfdetach extracts them.
func pdfAttachments(t *testing.T, pdf []byte) map[string][]byte {
	t.Helper()
	dir := t.TempDir()
	p := filepath.Join(dir, "r.pdf")
	if err := os.WriteFile(p, pdf, 0o600); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "out")
	if err := os.Mkdir(out, 0o700); err != nil {
		t.Fatal(err)
	}
	if b, err := exec.Command("pdfdetach", "-saveall", "-o", out, p).CombinedOutput(); err != nil {
		t.Fatalf("pdfdetach: %v %s", err, b)
	}
	entries, err := os.ReadDir(out)
	if err != nil {
		t.Fatal(err)
	}
	files := map[string][]byte{}
	for _, en := range entries {
		b, err := os.ReadFile(filepath.Join(out, en.Name()))
		if err != nil {
			t.Fatal(err)
		}
		files[en.Name()] = b
	}
	return files
}

// TestReceiptsForRecipients: a recipient gets the receipts about the
// deposit as a whole and those about them, not another recipient's; a
// member of a recipient mailbox gets the mailbox's; the expiry's receipt,
// which names who never fetched, is theirs without its claims; the sender
// gets everything.
func TestReceiptsForRecipients(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	op := &navette.User{Role: navette.RoleAdmin}
	court, err := e.app.Accounts.CreateCourt(ctx, op, "TJ-X", "Tribunal judiciaire X")
	if err != nil {
		t.Fatal(err)
	}
	svc, err := e.app.Accounts.CreateService(ctx, op, court.ID, "Greffe X", "greffe.x@justice.example")
	if err != nil {
		t.Fatal(err)
	}
	member := e.user("membre@justice.example", "Membre", navette.RoleAgent)
	m, err := e.app.Meta.UserByEmail(ctx, "membre@justice.example")
	if err != nil {
		t.Fatal(err)
	}
	if err := e.app.Accounts.AddMember(ctx, op, svc.ID, m.ID); err != nil {
		t.Fatal(err)
	}
	d := e.createDeposit(e.agent, lawyerEmail, svc.Email, strangerEmail)
	e.upload(e.agent, d.ID, "a.pdf", []byte("contenu"))
	d = e.submit(e.agent, d.ID)
	e.waitNoticesSent(d.ID)
	if resp, _ := e.do("GET", filePath(d, d.Files[0]), member, nil); resp.StatusCode != 200 {
		t.Fatalf("member's download: %d", resp.StatusCode)
	}
	if resp, _ := e.do("GET", api.PathDeposits+"/"+d.ID, e.lawyer, nil); resp.StatusCode != 200 {
		t.Fatalf("lawyer's opening: %d", resp.StatusCode)
	}
	e.clock.Advance(8 * 24 * time.Hour)
	if _, err := e.app.Deposits.Sweep(ctx); err != nil {
		t.Fatal(err)
	}

	count := func(rs []api.ReceiptEntry, kind string) int {
		n := 0
		for _, r := range rs {
			if r.Kind == kind {
				n++
			}
		}
		return n
	}
	sender := e.receipts(e.agent, d.ID)
	if count(sender, "notified") != 3 || count(sender, "opened") != 2 || count(sender, "downloaded") != 1 || count(sender, "unclaimed") != 1 || count(sender, "purged") != 1 {
		t.Errorf("sender's receipts: %v", kinds(sender))
	}
	lawyer := e.receipts(e.lawyer, d.ID)
	if count(lawyer, "notified") != 1 || count(lawyer, "opened") != 1 || count(lawyer, "downloaded") != 0 || count(lawyer, "deposited") != 1 || count(lawyer, "unclaimed") != 1 {
		t.Errorf("lawyer's receipts: %v", kinds(lawyer))
	}
	mine := e.receipts(member, d.ID)
	if count(mine, "notified") != 1 || count(mine, "opened") != 1 || count(mine, "downloaded") != 1 {
		t.Errorf("member's receipts: %v", kinds(mine))
	}
	for _, r := range lawyer {
		res, _ := e.verifyReceipt(e.lawyer, r.URL)
		if r.Kind == "unclaimed" {
			if res.Claims != nil || !res.Redacted {
				t.Errorf("the lawyer's unclaimed receipt discloses its claims: %+v", res.Claims)
			}
		} else if res.Claims == nil {
			t.Errorf("the lawyer's %s receipt has no claims", r.Kind)
		}
	}
	for _, r := range sender {
		if r.Kind != "unclaimed" {
			continue
		}
		res, _ := e.verifyReceipt(e.agent, r.URL)
		// The lawyer opened the deposit but fetched nothing, the stranger
		// did neither; the mailbox's member fetched the file.
		if res.Claims == nil || len(res.Claims.NotFetchedBy) != 2 || res.Claims.NotFetchedBy[0].Email != strangerEmail || res.Claims.NotFetchedBy[1].Email != lawyerEmail {
			t.Errorf("the sender's unclaimed receipt: %+v", res.Claims)
		}
	}
	// Another recipient's receipt is a 404, like an unknown one.
	for _, r := range sender {
		if r.Kind == "downloaded" {
			resp, b := e.do("GET", r.URL, e.lawyer, nil)
			e.problem(resp, b, http.StatusNotFound)
		}
	}
}

// TestEventsNameTheirLeaf: GET /api/v1/events gives each event its leaf
// in the journal's tree, the number a receipt gives it ("n° 175 du
// journal"), so that an auditor finds the receipt's event by it, not by
// its sequence number, which may differ.
func TestEventsNameTheirLeaf(t *testing.T) {
	e := newEnv(t)
	auditor := e.user("audit@justice.example", "Audit", navette.RoleAuditor)
	d := e.send(map[string][]byte{"pv.pdf": []byte("pdf")})
	res, _ := e.receiptOf(e.agent, d.ID, "deposited")
	var evs api.EventList
	e.doJSON("GET", api.PathEvents+"?limit=1000", auditor, nil, http.StatusOK, &evs)
	var found []api.Event
	for _, ev := range evs.Events {
		if ev.Leaf != nil && *ev.Leaf == res.Event.Index {
			found = append(found, ev)
		}
	}
	if len(found) != 1 || found[0].Type != res.Event.Type || found[0].DepositID != d.ID {
		t.Fatalf("events with the receipt's index %d: %+v; want the %s event of %s", res.Event.Index, found, res.Event.Type, d.ID)
	}
}

// TestEventsFiltersRefused: a malformed filter of GET /api/v1/events is
// refused (422), not answered with an empty page that reads as "nothing
// happened".
func TestEventsFiltersRefused(t *testing.T) {
	e := newEnv(t)
	auditor := e.user("audit@justice.example", "Audit", navette.RoleAuditor)
	for _, q := range []string{"deposit=bad", "deposit=" + strings.Repeat("A", navette.IDLen), "after=abc", "limit=-1"} {
		resp, body := e.do("GET", api.PathEvents+"?"+q, auditor, nil)
		e.problem(resp, body, http.StatusUnprocessableEntity)
	}
	var evs api.EventList
	e.doJSON("GET", api.PathEvents+"?deposit="+navette.NewID(), auditor, nil, http.StatusOK, &evs)
	if len(evs.Events) != 0 {
		t.Errorf("events of an unknown deposit: %+v", evs.Events)
	}
}

// TestUnclaimedAttestationListsFiles: a deposit of three files expires
// with a lawyer who fetched one of them and a recipient who fetched none:
// its non-collection attestation, JSON and PDF, lists the three files made
// available with their sizes and SHA-256, the recipient who fetched none,
// and the lawyer with the one file fetched and the two not.
func TestUnclaimedAttestationListsFiles(t *testing.T) {
	e := newEnv(t)
	d := e.createDeposit(e.agent, lawyerEmail, strangerEmail)
	names := []string{"conclusions.pdf", "pièce-1.pdf", "pièce-2.pdf"}
	contents := map[string][]byte{}
	for i, n := range names {
		contents[n] = randomBytes(1000+i, uint64(i+1))
		e.upload(e.agent, d.ID, n, contents[n])
	}
	d = e.submit(e.agent, d.ID)
	e.waitNoticesSent(d.ID)
	if resp, _ := e.do("GET", filePath(d, d.Files[0]), e.lawyer, nil); resp.StatusCode != 200 {
		t.Fatalf("the lawyer's download: %d", resp.StatusCode)
	}
	waitFor(t, "the lawyer's download recorded", func() bool { return len(e.downloads(t, d.Files[0].ID)) == 1 })
	e.clock.Advance(8 * 24 * time.Hour)
	if _, err := e.app.Deposits.Sweep(t.Context()); err != nil {
		t.Fatal(err)
	}
	res, url := e.receiptOf(e.agent, d.ID, "unclaimed")
	c := res.Claims
	if len(c.Files) != 3 {
		t.Fatalf("the unclaimed claims list %d files, want 3: %+v", len(c.Files), c.Files)
	}
	for i, f := range c.Files {
		if f.ID != d.Files[i].ID || f.Name != d.Files[i].Name || f.Size != int64(len(contents[f.Name])) || hex.EncodeToString(f.SHA256) != sha(contents[f.Name]) {
			t.Errorf("file %d: %+v", i, f)
		}
	}
	if len(c.NotFetchedBy) != 1 || c.NotFetchedBy[0].Email != strangerEmail {
		t.Errorf("not fetched by %+v", c.NotFetchedBy)
	}
	if len(c.PartlyFetchedBy) != 1 || c.PartlyFetchedBy[0].Email != lawyerEmail || !slices.Equal(c.PartlyFetchedBy[0].Fetched, []string{d.Files[0].ID}) ||
		!slices.Equal(c.PartlyFetchedBy[0].NotFetched, []string{d.Files[1].ID, d.Files[2].ID}) {
		t.Errorf("partly fetched by %+v", c.PartlyFetchedBy)
	}
	resp, pdf := e.do("GET", url+"?format=pdf", e.agent, nil)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("PDF: %d", resp.StatusCode)
	}
	text := strings.Join(strings.Fields(pdfText(t, pdf)), " ")
	want := []string{"Attestation de non-retrait", "Non retiré par", "Retiré en partie par",
		"a téléchargé le fichier n° 1 ; n'a pas téléchargé les fichiers n° 2, 3"}
	for _, n := range names {
		want = append(want, n, sha(contents[n])[:32], sha(contents[n])[32:])
	}
	for _, s := range want {
		if !strings.Contains(text, s) {
			t.Errorf("the attestation's text lacks %q:\n%s", s, text)
		}
	}
}

package app_test

import (
	"archive/zip"
	"bytes"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"navette"
	"navette/api"
	"navette/app"
	"navette/evidence"
	"navette/receipt"
)

// unzip returns the files of a ZIP by name.
func unzip(t *testing.T, b []byte) map[string][]byte {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]byte{}
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		out[f.Name], err = io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatal(err)
		}
	}
	return out
}

// TestCaseEvidence: an auditor exports the evidence of a whole case, by a
// deposit of it or by the case id: each submitted deposit's bundle, whose
// receipts verify offline, a manifest (CSV and JSON) whose SHA-256s match
// them and that says why the draft reply has none; journaled per deposit;
// others are refused.
func TestCaseEvidence(t *testing.T) {
	e := newEnv(t, func(c *app.Config) { c.PartnersToAgents = true })
	auditor := e.user("audit@justice.example", "Inspection", navette.RoleAuditor)
	const ref = "Parquet 26/00777"
	var deps []api.Deposit
	for i := range 2 {
		e.clock.Advance(time.Minute)
		d := e.createDepositRef(e.agent, ref, lawyerEmail)
		e.upload(e.agent, d.ID, "piece.pdf", randomBytes(500, uint64(i+1)))
		deps = append(deps, e.submit(e.agent, d.ID))
	}
	if deps[0].CaseID == "" || deps[1].CaseID != deps[0].CaseID {
		t.Fatalf("cases %q and %q, want one", deps[0].CaseID, deps[1].CaseID)
	}
	var reply api.Deposit
	e.clock.Advance(time.Minute)
	e.doJSON("POST", api.PathDeposits+"/"+deps[0].ID+"/reply", e.lawyer, api.Reply{Message: "Observations"}, http.StatusCreated, &reply)

	for _, tc := range []struct {
		who, path string
		status    int
	}{
		{e.lawyer, api.PathDeposits + "/" + deps[0].ID + "/case-evidence", http.StatusForbidden},
		{e.agent, api.PathCases + "/" + deps[0].CaseID + "/evidence", http.StatusForbidden},
		{auditor, api.PathCases + "/" + navette.NewID() + "/evidence", http.StatusNotFound},
		{auditor, api.PathDeposits + "/" + navette.NewID() + "/case-evidence", http.StatusNotFound},
	} {
		resp, b := e.do("GET", tc.path, tc.who, nil)
		e.problem(resp, b, tc.status)
	}

	resp, zb := e.do("GET", api.PathDeposits+"/"+deps[1].ID+"/case-evidence", auditor, nil)
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "application/zip" {
		t.Fatalf("case evidence: %d %s", resp.StatusCode, zb)
	}
	files := unzip(t, zb)
	var man evidence.CaseManifest
	if err := json.Unmarshal(files["manifeste.json"], &man); err != nil {
		t.Fatal(err)
	}
	if man.Case != deps[0].CaseID || len(man.Deposits) != 3 {
		t.Fatalf("manifest of case %s with %d deposits, want %s with 3", man.Case, len(man.Deposits), deps[0].CaseID)
	}
	rows, err := csv.NewReader(bytes.NewReader(files["manifeste.csv"])).ReadAll()
	if err != nil || len(rows) != 4 {
		t.Fatalf("manifeste.csv: %d rows, %v", len(rows), err)
	}
	for i, want := range []string{deps[0].ID, deps[1].ID, reply.ID} {
		md := man.Deposits[i]
		if md.Deposit != want || rows[i+1][0] != want {
			t.Errorf("deposit %d of the manifest is %s (CSV %s), want %s, oldest first", i, md.Deposit, rows[i+1][0], want)
		}
		if want == reply.ID {
			if md.Absent != "no_receipt" || md.Bundle != "" || files[md.Bundle] != nil {
				t.Errorf("the draft reply: %+v, want no bundle (no_receipt)", md)
			}
			continue
		}
		inner := files[md.Bundle]
		if sum := sha256.Sum256(inner); inner == nil || hex.EncodeToString(sum[:]) != md.SHA256 || rows[i+1][8] != md.SHA256 || int64(len(inner)) != md.Size {
			t.Errorf("%s: bundle of %d bytes does not match the manifest's %+v", md.Bundle, len(inner), md)
			continue
		}
		checkInnerBundle(t, md.Bundle, unzip(t, inner))
	}
	if !strings.Contains(string(files["LISEZMOI.txt"]), deps[0].CaseID) {
		t.Error("LISEZMOI.txt does not name the case")
	}

	// By the case id, the same deposits; each export journaled.
	resp, zb2 := e.do("GET", api.PathCases+"/"+deps[0].CaseID+"/evidence", auditor, nil)
	if resp.StatusCode != http.StatusOK || len(unzip(t, zb2)) != len(files) {
		t.Fatalf("case evidence by case id: %d", resp.StatusCode)
	}
	for _, d := range deps {
		evs, _ := e.app.Meta.Events(t.Context(), navette.EventFilter{DepositID: d.ID})
		n := 0
		for _, ev := range evs {
			if ev.Type == navette.EventEvidenceExported && strings.HasSuffix(ev.Detail, "case:"+d.CaseID) {
				n++
			}
		}
		if n != 2 {
			t.Errorf("deposit %s: %d case exports journaled, want 2", d.ID, n)
		}
	}
}

// checkInnerBundle verifies offline, as navette verify does, every receipt
// of a deposit's evidence bundle with the keys it carries.
func checkInnerBundle(t *testing.T, name string, files map[string][]byte) {
	t.Helper()
	keys := strings.Fields(string(files["cles-publiques.txt"]))
	n := 0
	for f, body := range files {
		if !strings.HasPrefix(f, "recus/") || !strings.HasSuffix(f, ".json") {
			continue
		}
		n++
		r, err := receipt.Parse(body)
		if err == nil {
			_, err = receipt.Verify(r, keys, nil)
		}
		if err != nil {
			t.Errorf("%s: %s: %v", name, f, err)
		}
	}
	if n == 0 || len(keys) == 0 {
		t.Errorf("%s: %d receipts, %d keys", name, n, len(keys))
	}
}

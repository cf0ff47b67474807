package cli

import (
	"bytes"
	"context"
	"crypto/sha256"
	"path/filepath"
	"strings"
	"testing"

	"codeberg.org/go-pdf/fpdf"

	"navette/internal/testtsa"
	"navette/receipt/receipttest"
	"navette/tsa"
)

// TestVerifyReceipts: navette verify, with no server and no database, accepts
// valid receipts (JSON, or attached to a PDF; keys from a file or given
// themselves; with or without the TSA's root), prints what they prove, in
// French or English, and refuses invalid ones with one line each and exit
// status 1.
func TestVerifyReceipts(t *testing.T) {
	dir := t.TempDir()
	log := receipttest.NewLog(t, "navette.test/navette-journal")
	tsa := receipttest.NewTSA(t)
	for i := range 3 {
		log.AddDownload("dep1", "file"+string(rune('a'+i)), "conclusions.pdf", []byte{byte(i)})
	}
	withTSA := writeFile(t, dir, "tsa.json", receipttest.JSON(t, log.Receipt(1, tsa, false)))
	oldKey := log.Key
	log.Rotate()
	plain := writeFile(t, dir, "plain.json", receipttest.JSON(t, log.Receipt(2, nil, true)))
	keys := writeFile(t, dir, "keys.txt", []byte("# navette.test journal keys\n"+oldKey+"\n\n"+log.Key+"\n"))
	root := writeFile(t, dir, "root.pem", tsa.RootPEM)

	p := fpdf.New("P", "mm", "A4", "")
	p.AddPage()
	p.SetAttachments([]fpdf.Attachment{{Content: receipttest.JSON(t, log.Receipt(0, tsa, false)), Filename: "receipt.json"}})
	var pdf bytes.Buffer
	if err := p.Output(&pdf); err != nil {
		t.Fatal(err)
	}
	pdfFile := writeFile(t, dir, "receipt.pdf", pdf.Bytes())

	flipped := receipttest.JSON(t, log.Receipt(2, nil, false))
	flipped[bytes.Index(flipped, []byte(`"size":`))+7] ^= 1
	forged := writeFile(t, dir, "forged.json", flipped)
	other := receipttest.NewLog(t, "navette.test/navette-journal")
	other.AddDownload("dep1", "filea", "conclusions.pdf", []byte{0})
	otherKey := writeFile(t, dir, "other.json", receipttest.JSON(t, other.Receipt(0, nil, false)))

	for _, tc := range []struct {
		name           string
		args           []string
		code           int
		stdout, stderr []string
	}{
		{"json, keys file", []string{"--key", keys, withTSA}, 0,
			[]string{"REÇU VALIDE — Téléchargement complet d'un fichier", "Référence : RG 26/00042", "signé par un certificat au nom de", "n'a pas été vérifié jusqu'à une racine", "ne prouve pas la date"}, nil},
		{"english, trusted root", []string{"--key", keys, "--tsa-ca", root, "--lang", "en", withTSA}, 0,
			[]string{"VALID RECEIPT", "checked up to a trusted root"}, nil},
		{"key given itself, redacted, server clock", []string{"--key", log.Key, plain}, 0,
			[]string{"horloge du serveur navette", "ne sont pas divulgués"}, nil},
		{"pdf", []string{"--key", keys, pdfFile}, 0, []string{"REÇU VALIDE", "n° 0 du journal"}, nil},
		{"several", []string{"--key", keys, withTSA, pdfFile}, 0, []string{"==> " + withTSA + " <==", "==> " + pdfFile + " <=="}, nil},
		{"old key only", []string{"--key", oldKey, withTSA, plain}, 1, nil,
			[]string{"navette verify: " + plain + ": le point de contrôle n'est signé par aucune des clés fournies\n"}},
		{"invalid ones", []string{"--key", keys, forged, withTSA, otherKey}, 1, []string{"REÇU VALIDE"},
			[]string{"navette verify: " + forged + ": l'événement ne figure pas dans le journal signé à l'index 2", "navette verify: " + otherKey + ": le point de contrôle n'est signé par aucune des clés fournies"}},
		{"invalid in english", []string{"--lang", "en", "--key", keys, forged}, 1, nil, []string{"the event is not in the signed journal at index 2"}},
		{"a missing file", []string{"--key", keys, "--tsa-ca", root, plain, filepath.Join(dir, "missing.json")}, 1, []string{"REÇU VALIDE"}, []string{"missing.json: open"}},
		{"no key", []string{withTSA}, 2, nil, []string{"give the journal's verifier keys with --key"}},
		{"bad key", []string{"--key", "nokey+1+2", withTSA}, 2, nil, []string{"neither a verifier key nor a readable file"}},
		{"bad lang", []string{"--key", keys, "--lang", "de", withTSA}, 2, nil, []string{"--lang is fr or en"}},
		{"no receipt", []string{"--key", keys}, 2, nil, []string{"name at least one receipt"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := runCLI(t, nil, false, append([]string{"verify"}, tc.args...)...)
			if r.code != tc.code {
				t.Fatalf("exit %d, want %d: %+v", r.code, tc.code, r)
			}
			for _, s := range tc.stdout {
				if !strings.Contains(r.stdout, s) {
					t.Errorf("stdout lacks %q:\n%s", s, r.stdout)
				}
			}
			for _, s := range tc.stderr {
				if !strings.Contains(r.stderr, s) {
					t.Errorf("stderr lacks %q:\n%s", s, r.stderr)
				}
			}
			if tc.code != 2 && strings.Count(r.stderr, "\n") != len(tc.stderr) {
				t.Errorf("not one line per invalid receipt:\n%s", r.stderr)
			}
		})
	}
}

// TestVerifyKeyIDReceipt: navette verify accepts a receipt whose token
// comes, through the server's TSA client, from an authority that names its
// signer by subject key identifier (SignerInfo version 3), and refuses one
// whose token names by that identifier a certificate other than the one
// the signature is by.
func TestVerifyKeyIDReceipt(t *testing.T) {
	dir := t.TempDir()
	log := receipttest.NewLog(t, "navette.test/navette-journal")
	log.AddDownload("dep1", "filea", "conclusions.pdf", []byte{1})
	srv := testtsa.Start(t, testtsa.Options{KeyID: true})
	c, err := tsa.New(tsa.Config{URL: srv.URL(), CAFile: srv.CAFile()})
	if err != nil {
		t.Fatal(err)
	}
	var token []byte
	valid := writeFile(t, dir, "keyid.json", receipttest.JSON(t, log.ReceiptStamped(0, func(cp []byte) []byte {
		sum := sha256.Sum256(cp)
		if token, err = c.Stamp(context.Background(), sum[:]); err != nil {
			t.Fatal(err)
		}
		return token
	}, false)))
	forgeries, err := srv.KeyIDForgeries(token)
	if err != nil {
		t.Fatal(err)
	}
	var impostor []byte
	for _, f := range forgeries {
		if f.Name == testtsa.ForgedImpostorFirst {
			impostor = f.Token
		}
	}
	forged := writeFile(t, dir, "forged.json", receipttest.JSON(t, log.ReceiptStamped(0, func([]byte) []byte { return impostor }, false)))
	for _, tc := range []struct {
		args           []string
		code           int
		stdout, stderr string
	}{
		{[]string{valid}, 0, "n'a pas été vérifié jusqu'à une racine", ""},
		{[]string{"--tsa-ca", srv.CAFile(), "--lang", "en", valid}, 0, "checked up to a trusted root", ""},
		{[]string{"--lang", "en", forged}, 1, "", "its signer is not the certificate its subject key identifier names"},
	} {
		r := runCLI(t, nil, false, append([]string{"verify", "--key", log.Key}, tc.args...)...)
		if r.code != tc.code || !strings.Contains(r.stdout, tc.stdout) || !strings.Contains(r.stderr, tc.stderr) {
			t.Errorf("%q: exit %d, want %d with %q, %q: %+v", tc.args, r.code, tc.code, tc.stdout, tc.stderr, r)
		}
	}
}

// TestVerifyPDFSaysPagesUnproven: a receipt PDF whose pages were rewritten
// (another lawyer, another file) around its genuine attached receipt
// verifies, since only the attachment is proven: navette verify says so,
// in both languages, so that a judge does not take "REÇU VALIDE" for the
// pages; a JSON receipt has no pages and no such line.
func TestVerifyPDFSaysPagesUnproven(t *testing.T) {
	dir := t.TempDir()
	log := receipttest.NewLog(t, "navette.test/navette-journal")
	log.AddDownload("dep1", "filea", "conclusions.pdf", []byte{1})
	p := fpdf.New("P", "mm", "A4", "")
	p.AddPage()
	p.SetFont("Helvetica", "", 12)
	p.Cell(0, 10, "Attestation de telechargement : Me Martin a telecharge expertise.pdf")
	p.SetAttachments([]fpdf.Attachment{{Content: receipttest.JSON(t, log.Receipt(0, nil, false)), Filename: "receipt.json"}})
	var pdf bytes.Buffer
	if err := p.Output(&pdf); err != nil {
		t.Fatal(err)
	}
	pdfFile := writeFile(t, dir, "attestation.pdf", pdf.Bytes())
	jsonFile := writeFile(t, dir, "receipt.json", receipttest.JSON(t, log.Receipt(0, nil, false)))
	for _, tc := range []struct {
		lang, file string
		want       string // "" when the line must be absent
	}{
		{"fr", pdfFile, "le texte des pages du PDF n'est couvert par aucune preuve"},
		{"en", pdfFile, "the text of the PDF's pages is covered by no proof"},
		{"fr", jsonFile, ""},
	} {
		r := runCLI(t, nil, false, "verify", "--lang", tc.lang, "--key", log.Key, tc.file)
		if r.code != 0 {
			t.Fatalf("%s %s: exit %d: %+v", tc.lang, tc.file, r.code, r)
		}
		if got := strings.Contains(r.stdout, "PDF"); tc.want == "" && got {
			t.Errorf("%s %s: got a line about a PDF, want none:\n%s", tc.lang, tc.file, r.stdout)
		}
		if tc.want != "" && !strings.Contains(r.stdout, tc.want) {
			t.Errorf("%s %s: stdout lacks %q:\n%s", tc.lang, tc.file, tc.want, r.stdout)
		}
	}
}

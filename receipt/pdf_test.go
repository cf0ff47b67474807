package receipt

import (
	"bytes"
	"compress/zlib"
	"fmt"
	"testing"

	"codeberg.org/go-pdf/fpdf"
)

// pdfWith returns a PDF made by fpdf with the given attachments, as
// tsapdf's receipt PDF attaches its JSON.
func pdfWith(t testing.TB, as ...fpdf.Attachment) []byte {
	t.Helper()
	p := fpdf.New("P", "mm", "A4", "")
	p.AddPage()
	p.SetFont("Helvetica", "", 12)
	p.Cell(40, 10, "Attestation")
	p.SetAttachments(as)
	var b bytes.Buffer
	if err := p.Output(&b); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// TestFromPDF: the receipt attached to a PDF by fpdf is found, by its name
// among other attachments or as the only one, and verifies.
func TestFromPDF(t *testing.T) {
	l := smallLog(t, 1)
	tsa := newTestTSA(t, true)
	data := mustMarshal(t, l.receipt(2, 0, tsa, false))
	for _, tc := range []struct {
		name string
		pdf  []byte
		ok   bool
	}{
		{"only attachment", pdfWith(t, fpdf.Attachment{Content: data, Filename: "receipt.json", Description: "Reçu (JSON)"}), true},
		{"among others", pdfWith(t, fpdf.Attachment{Content: []byte("x"), Filename: "readme (1).txt"},
			fpdf.Attachment{Content: data, Filename: "receipt.json"}, fpdf.Attachment{Content: []byte("{}"), Filename: "keys.txt"}), true},
		{"only one, other name", pdfWith(t, fpdf.Attachment{Content: data, Filename: "reçu.json"}), true},
		{"uncompressed", []byte(fmt.Sprintf("%%PDF-1.4\n3 0 obj\n<</Type/EmbeddedFile/Length %d>>\nstream\n%s\nendstream\nendobj\n", len(data), data)), true},
		{"none", pdfWith(t), false},
		{"two, none named", pdfWith(t, fpdf.Attachment{Content: data, Filename: "a.json"}, fpdf.Attachment{Content: data, Filename: "b.json"}), false},
		{"not a PDF", data, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := FromPDF(tc.pdf)
			if !tc.ok {
				if err == nil {
					t.Fatalf("extracted %q", got)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, data) {
				t.Fatalf("extracted %q", got)
			}
			r, err := Parse(got)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := Verify(r, []string{l.vkey}, nil); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// TestFromPDFBomb: an attachment that inflates beyond a receipt's size is
// refused without inflating it all.
func TestFromPDFBomb(t *testing.T) {
	var z bytes.Buffer
	w := zlib.NewWriter(&z)
	w.Write(make([]byte, 64<<20))
	w.Close()
	pdf := fmt.Appendf(nil, "%%PDF-1.4\n1 0 obj\n<< /Type /EmbeddedFile /Length %d /Filter /FlateDecode >>\nstream\n", z.Len())
	pdf = append(append(pdf, z.Bytes()...), "\nendstream\nendobj\n"...)
	if _, err := FromPDF(pdf); err == nil {
		t.Fatal("a bomb was extracted")
	}
}

// FuzzFromPDF: the extractor never panics and never returns more than a
// receipt's size.
func FuzzFromPDF(f *testing.F) {
	f.Add(pdfWith(f, fpdf.Attachment{Content: []byte(`{"format":"navette-receipt/v1"}`), Filename: "receipt.json"}))
	f.Add([]byte("%PDF-1.4\n1 0 obj\n<</Type/EmbeddedFile/Length 3>>\nstream\n{}\n\nendstream\nendobj\n2 0 obj <</F (receipt.json) /EF <</F 1 0 R>> >> endobj"))
	f.Add([]byte("%PDF-1.4\n1 0 obj <</A [1 2 R (a\\(b\\)) <414> /N] /B <</C -1.5>> >> endobj"))
	f.Fuzz(func(t *testing.T, pdf []byte) {
		out, err := FromPDF(pdf)
		if err == nil && len(out) > MaxReceiptSize {
			t.Fatalf("%d bytes out", len(out))
		}
	})
}

// TestFromPDFRefusesTwoReceipts: a genuine attestation to which a second
// attachment named receipt.json was added (what a reader's attachments
// pane or pdfdetach might show first) is refused, whichever comes first:
// navette verify must not call valid a PDF whose receipt is a guess.
func TestFromPDFRefusesTwoReceipts(t *testing.T) {
	genuine, forged := genuineAndForged(t)
	updated := embeddedFile(nil, 3, forged)
	updated = embeddedFile(updated, 3, genuine)
	for name, pdf := range map[string][]byte{
		"one object defined twice, by an incremental update": updated,
		"the genuine one last":                               pdfWith(t, fpdf.Attachment{Content: forged, Filename: "receipt.json"}, fpdf.Attachment{Content: genuine, Filename: "receipt.json"}),
		"the genuine one first":                              pdfWith(t, fpdf.Attachment{Content: genuine, Filename: "receipt.json"}, fpdf.Attachment{Content: forged, Filename: "receipt.json"}),
	} {
		if got, err := FromPDF(pdf); err == nil {
			t.Errorf("%s: extracted %.60q…", name, got)
		}
	}
}

// TestFromPDFRefusesTwoStreamsOfOneSpec: a file specification whose
// embedded-file dictionary names one stream under F and another under UF
// is refused: which of them a reader's attachments pane extracts depends
// on the reader, so navette verify would vouch for a receipt the judge may
// not be shown.
func TestFromPDFRefusesTwoStreamsOfOneSpec(t *testing.T) {
	genuine, forged := genuineAndForged(t)
	pdf := embeddedFile(embeddedFile(nil, 1, genuine), 2, forged)
	for name, ef := range map[string]string{
		"F the genuine one, UF the other": "<</F 1 0 R/UF 2 0 R>>",
		"UF the genuine one, F the other": "<</F 2 0 R/UF 1 0 R>>",
	} {
		doc := fmt.Appendf(bytes.Clone(pdf), "3 0 obj\n<</Type/Filespec/F (receipt.json)/UF (receipt.json)/EF %s>>\nendobj\n", ef)
		if got, err := FromPDF(doc); err == nil {
			t.Errorf("%s: got %.60q…, want the PDF refused", name, got)
		}
	}
	one := fmt.Appendf(bytes.Clone(pdf), "3 0 obj\n<</Type/Filespec/F (receipt.json)/UF (receipt.json)/EF <</F 1 0 R/UF 1 0 R>> >>\nendobj\n")
	if got, err := FromPDF(one); err != nil || !bytes.Equal(got, genuine) {
		t.Errorf("F and UF of one stream: got %.60q, %v, want the receipt", got, err)
	}
}

// genuineAndForged returns a genuine receipt's text and a copy of it
// claiming another kind.
func genuineAndForged(t *testing.T) (genuine, forged []byte) {
	l := smallLog(t, 1)
	genuine = mustMarshal(t, l.receipt(2, 0, nil, false))
	return genuine, bytes.Replace(genuine, []byte(`"kind":"downloaded"`), []byte(`"kind":"opened"`), 1)
}

// embeddedFile appends to pdf (the header first if it is empty) object
// num, an uncompressed embedded file holding data.
func embeddedFile(pdf []byte, num int, data []byte) []byte {
	if len(pdf) == 0 {
		pdf = []byte("%PDF-1.4\n")
	}
	return fmt.Appendf(pdf, "%d 0 obj\n<</Type/EmbeddedFile/Length %d>>\nstream\n%s\nendstream\nendobj\n", num, len(data), data)
}

package web

import (
	"archive/zip"
	"bytes"
	"html"
	"io"
	"strings"
	"testing"

	"navette/safename"
)

// TestZipEntriesOpenOnWindows: a deposit's ZIP gives each file a name that
// Windows' Explorer and macOS' Finder extract (no : * ? " < > |, no device
// name, no trailing dot, not too long), and names that those systems would
// take for one file (case, Unicode normalisation, characters replaced)
// names of their own; the page still shows each name as it was sent.
func TestZipEntriesOpenOnWindows(t *testing.T) {
	f := newFixture(t, "")
	long := strings.Repeat("é", 120) + ".pdf"
	sent := []string{"a:b.pdf", "a?b.pdf", "A_B.pdf", "CON.txt", "con.TXT", "fin. ", `"<x>|*.pdf`,
		"Pièce.pdf", "Pie\u0300ce.pdf", "PIÈCE.pdf", long, "lpt¹", "plain.pdf"}
	files := map[string][]byte{}
	byContent := map[string]string{}
	for i, name := range sent {
		data := []byte(strings.Repeat("x", i+1))
		files[name] = data
		byContent[string(data)] = name
	}
	v := f.deposit(t, "RG 26/9", files)
	w := f.get(t, f.lawyer, "/deposits/"+v.ID+"/zip")
	if w.Code != 200 {
		t.Fatalf("zip: %d %s", w.Code, w.Body.String())
	}
	zr, err := zip.NewReader(bytes.NewReader(w.Body.Bytes()), int64(w.Body.Len()))
	if err != nil {
		t.Fatal(err)
	}
	keys := map[string]string{}
	for _, zf := range zr.File {
		rc, err := zf.Open()
		if err != nil {
			t.Fatal(err)
		}
		data, _ := io.ReadAll(rc)
		rc.Close()
		orig, ok := byContent[string(data)]
		if !ok {
			t.Fatalf("%s: not a file sent", zf.Name)
		}
		delete(byContent, string(data))
		if !safename.Valid(zf.Name) {
			t.Errorf("%q is in the ZIP as %q, which Windows cannot extract", orig, zf.Name)
		}
		if other, dup := keys[safename.Key(zf.Name)]; dup {
			t.Errorf("%q and %q are one file once extracted on Windows or macOS", other, zf.Name)
		}
		keys[safename.Key(zf.Name)] = zf.Name
		if !cleanOrNumbered(zf.Name, safename.Clean(orig, "fichier")) {
			t.Errorf("%q is in the ZIP as %q, neither %q nor a numbered variant", orig, zf.Name, safename.Clean(orig, "fichier"))
		}
	}
	if len(byContent) != 0 {
		t.Errorf("missing from the ZIP: %q", byContent)
	}
	page := f.get(t, f.lawyer, "/deposits/"+v.ID).Body.String()
	for _, name := range []string{"a:b.pdf", "CON.txt", `"<x>|*.pdf`} {
		if !strings.Contains(page, html.EscapeString(name)) && !strings.Contains(page, strings.ReplaceAll(html.EscapeString(name), "&#34;", "&quot;")) {
			t.Errorf("the page does not show %q as it was sent", name)
		}
	}
}

// cleanOrNumbered reports whether name is clean or one of its first
// numbered variants.
func cleanOrNumbered(name, clean string) bool {
	for n := 2; n < 20 && name != clean; n++ {
		if name == safename.Numbered(clean, n) {
			return true
		}
	}
	return name == clean
}

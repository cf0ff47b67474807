package safename

import (
	"path/filepath"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

// TestClean is the rule, case by case: what a name chosen by a person
// becomes in a ZIP and on disk.
func TestClean(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"rapport.pdf", "rapport.pdf"},
		{"Pièce n°3 (copie).pdf", "Pièce n°3 (copie).pdf"},
		{`a:b*c?d"e<f>g|h.pdf`, "a_b_c_d_e_f_g_h.pdf"},
		{"...", "ID"},
		{" . ", "ID"},
		{"", "ID"},
		{"a/..", "ID"},
		{"../../etc/passwd", "passwd"},
		{`C:\Users\x\evil.lnk`, "evil.lnk"},
		{".bashrc", "bashrc"},
		{"nul", "_nul"},
		{"CON", "_CON"},
		{"con.txt", "_con.txt"},
		{"Lpt1.tar.gz", "_Lpt1.tar.gz"},
		{"COM9 .pdf", "_COM9 .pdf"},
		{"COM¹.txt", "_COM¹.txt"},
		{"conin$", "_conin$"},
		{"console.txt", "console.txt"},
		{"COM10.txt", "COM10.txt"},
		{"trailing. . ", "trailing"},
		{"fin.", "fin"},
		{"  espaces  ", "espaces"},
		{"\xff\xfe.txt", "_.txt"},
		{"tab\there", "tab_here"},
		{"nbsp\u00a0here", "nbsp here"},
		{"zero\u200bwidth", "zerowidth"},
		{"facture\u202egnp.exe", "facturegnp.exe"},
		{"esc\x1b[2J\r\n.txt", "esc_[2J__.txt"},
		{"x\x00y", "x_y"},
		{"del\x7f", "del_"},
	} {
		got := Clean(c.in, "ID")
		if got != c.want {
			t.Errorf("Clean(%q) = %q, want %q", c.in, got, c.want)
		}
		if !Valid(got) {
			t.Errorf("Clean(%q) = %q, not valid", c.in, got)
		}
	}
}

// TestCutLong: over-long names are cut at a character, their extension
// kept; a reference's separators become "_".
func TestCutLong(t *testing.T) {
	long := Clean(strings.Repeat("é", 150)+".pdf", "ID")
	if len(long) > MaxBytes || !strings.HasSuffix(long, ".pdf") || strings.Trim(strings.TrimSuffix(long, ".pdf"), "é") != "" {
		t.Errorf("long: %q (%d bytes)", long, len(long))
	}
	if got := Clean("a."+strings.Repeat("x", 300), "ID"); len(got) > MaxBytes || !Valid(got) {
		t.Errorf("long extension: %q", got)
	}
	if got := Clean(strings.Repeat("a", 195)+"  .  .pdf", "ID"); !Valid(got) {
		t.Errorf("cut before dots and spaces: %q", got)
	}
	if got := Cut("RG 24/7: appel", "x", 80); got != "RG 24_7_ appel" {
		t.Errorf("Cut = %q", got)
	}
	if got := Cut("COM1"+strings.Repeat(" ", 60)+"x", "x", 40); got != "_COM1" {
		t.Errorf("a name cut to a reserved one: %q", got)
	}
	if got := Cut("...", "", 80); got != "" {
		t.Errorf("Cut with no fallback = %q", got)
	}
}

// TestSetKeepsEntriesApart: names that differ only in case, in Unicode
// normalisation, or in characters the rule replaces get numbers, so that
// no entry of a ZIP overwrites another once unpacked on Windows or macOS.
func TestSetKeepsEntriesApart(t *testing.T) {
	var s Set
	var got []string
	for _, in := range []string{"Pièce.pdf", "Pie\u0300ce.pdf", "PIÈCE.pdf", "pièce.PDF", "a:b.txt", "a_b.txt", "a?b.txt", "Pièce (2).pdf", "CON", "con"} {
		got = append(got, s.Add(Clean(in, "fichier")))
	}
	want := []string{"Pièce.pdf", "Pie\u0300ce (2).pdf", "PIÈCE (3).pdf", "pièce (4).PDF", "a_b.txt", "a_b (2).txt", "a_b (3).txt", "Pièce (2) (2).pdf", "_CON", "_con (2)"}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("entry %d: %q, want %q", i, got[i], want[i])
		}
	}
	var t2 Set
	long := Clean(strings.Repeat("x", 250)+".pdf", "f")
	a, b := t2.Add(long), t2.Add(long)
	if a == b || len(b) > MaxBytes || !strings.HasSuffix(b, " (2).pdf") {
		t.Errorf("a long name twice: %q, %q", a, b)
	}
}

// TestCleanLookalikes: a name made of the fullwidth or small forms of the
// separators, dots and other forbidden characters, or of the slashes
// Windows' best-fit mapping turns into separators, was kept as it was: a
// program on Windows that reads a ZIP's names through the legacy code-page
// functions (an older unzip, a script) reads "．．＼．．＼x.exe" as
// "..\..\x.exe", out of its folder. Such characters are replaced as the
// real ones; a bidi override, which shows "exe.pdf" for "fdp.exe", is
// dropped.
func TestCleanLookalikes(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"．．＼．．＼Windows＼evil.exe", "_.._Windows_evil.exe"},
		{"．．／．．／etc／passwd", "_.._etc_passwd"},
		{"a∕b⁄c⧸d⧹e∖f.pdf", "a_b_c_d_e_f.pdf"},
		{"﹨﹒﹒﹨x", "_.._x"},
		{"rapport．", "rapport"},
		{"．bashrc", "bashrc"},
		{"C：＜x＞＂y＂｜？＊.pdf", "C__x__y____.pdf"},
		{"rapport\u202efdp.exe", "rapportfdp.exe"},
		{"Suite….pdf", "Suite….pdf"},
		{"Ｒａｐｐｏｒｔ.pdf", "Ｒａｐｐｏｒｔ.pdf"},
	} {
		got := Clean(c.in, "ID")
		if got != c.want || !Valid(got) {
			t.Errorf("Clean(%q) = %q (valid %v), want %q", c.in, got, Valid(got), c.want)
		}
	}
	for _, bad := range []string{"a／b", "a＼b", "．．", "x∕y", "a：b"} {
		if Valid(bad) {
			t.Errorf("Valid(%q)", bad)
		}
	}
}

// FuzzClean: whatever a name, what Clean gives is valid, one element of a
// path that stays in its folder, and a Set never gives two names one key.
func FuzzClean(f *testing.F) {
	for _, s := range []string{"../../etc/passwd", `a/b\c`, "..", "x\x00y", strings.Repeat("é", 150) + ".pdf", "CON", ".a.", "a\u202eb", "COM1 .x", "a:b", "Ω.pdf", "．．＼．．＼x.exe", "a∕b"} {
		f.Add(s, "A.pdf")
	}
	f.Fuzz(func(t *testing.T, in, other string) {
		got := Clean(in, "fallback")
		check(t, in, got)
		cut := Cut(in, "fallback", 80)
		check(t, in, cut)
		if len(cut) > 80 {
			t.Fatalf("Cut(%q, 80) = %q: %d bytes", in, cut, len(cut))
		}
		var s Set
		a, b, c := s.Add(got), s.Add(Clean(other, "fallback")), s.Add(got)
		for _, n := range []string{a, b, c} {
			check(t, in, n)
		}
		if Key(a) == Key(b) || Key(a) == Key(c) || Key(b) == Key(c) {
			t.Fatalf("%q, %q: one key for %q, %q, %q", in, other, a, b, c)
		}
	})
}

// check fails t unless got, made of in, is a valid name, checked here
// without Valid.
func check(t *testing.T, in, got string) {
	t.Helper()
	switch {
	case got == "" || got == "." || got == "..":
		t.Fatalf("%q → %q", in, got)
	case len(got) > MaxBytes || !utf8.ValidString(got):
		t.Fatalf("%q → %q: too long or invalid", in, got)
	case strings.ContainsAny(got, "/\\\x00<>:\"|?*") || strings.HasPrefix(got, ".") || strings.HasPrefix(got, " ") || strings.HasSuffix(got, ".") || strings.HasSuffix(got, " "):
		t.Fatalf("%q → %q: unsafe character", in, got)
	case filepath.Base(got) != got || filepath.Clean(got) != got || filepath.Join("dir", got) != "dir"+string(filepath.Separator)+got:
		t.Fatalf("%q → %q: not one path element", in, got)
	case reserved(got):
		t.Fatalf("%q → %q: reserved", in, got)
	case !Valid(got):
		t.Fatalf("%q → %q: not Valid", in, got)
	}
	for _, r := range got {
		if unicode.IsControl(r) || unicode.Is(unicode.Cf, r) {
			t.Fatalf("%q → %q: control character", in, got)
		}
	}
}

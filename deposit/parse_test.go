package deposit

import (
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"navette"
)

func TestCleanFileName(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"pv.pdf", "pv.pdf"},
		{"../../etc/passwd", "passwd"},
		{`C:\Users\x\scellé n°3.zip`, "scellé n°3.zip"},
		{"  espace.txt ", "espace.txt"},
		{`"><img src=x onerror=alert(1)>.pdf`, `"><img src=x onerror=alert(1)>.pdf`},
		{"..", ""}, {".", ""}, {"dir/", ""}, {"", ""}, {"a\x00b", ""}, {"a\nb", ""},
		{"\u202egnp.exe", ""}, {"\xff.bin", ""}, {strings.Repeat("a", 256), ""},
	} {
		got, err := CleanFileName(tc.in)
		if tc.want == "" {
			if err == nil {
				t.Errorf("%q: got %q, want an error", tc.in, got)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("%q: got %q, %v, want %q", tc.in, got, err, tc.want)
		}
	}
}

func FuzzCleanFileName(f *testing.F) {
	for _, s := range []string{"a.pdf", "../x", "a\\b", "..", "\u202e", "é"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		got, err := CleanFileName(in)
		if err != nil {
			return
		}
		if got == "" || got == "." || got == ".." || strings.ContainsAny(got, "/\\") || len(got) > MaxNameLen || !utf8.ValidString(got) || !printable(got, false) {
			t.Fatalf("%q gave unsafe %q", in, got)
		}
	})
}

func FuzzParseCursor(f *testing.F) {
	f.Add(formatCursor(time.Date(2026, 1, 2, 3, 4, 5, 6000, time.UTC), navette.NewID()))
	f.Add("0.x")
	f.Add("-1." + navette.NewID())
	f.Fuzz(func(t *testing.T, s string) {
		ts, id, ok := parseCursor(s)
		if !ok {
			return
		}
		if !navette.ValidID(id) || ts.Before(time.Unix(0, 0)) {
			t.Fatalf("%q: accepted %v %q", s, ts, id)
		}
		ts2, id2, ok2 := parseCursor(formatCursor(ts, id))
		if !ok2 || !ts2.Equal(ts) || id2 != id {
			t.Fatalf("%q: round trip gave %v %q %v", s, ts2, id2, ok2)
		}
	})
}

// Package safename is navette's one rule for the name a file of a deposit
// is given on someone's disk: the entries of a deposit's or a case's ZIP,
// the folders of a case's ZIP, and the files navette get writes. The name
// a person chose stays what the journal, receipts and pages show; only
// the name on disk changes, so that Windows' Explorer, macOS' Finder and
// any Unix extract and keep every file, none outside its folder and none
// over another.
//
// A name is valid (Valid) when it is one path element of valid UTF-8 of 1
// to MaxBytes bytes, with no control or invisible formatting character, none
// of / \ < > : " | ? * nor a look-alike of one or of a dot (fullwidth,
// small forms, other slashes: Windows' best-fit mapping turns them into
// the real ones for a program using its legacy functions), no leading dot or space (no hidden file, no ".."),
// no trailing dot or space (which Windows drops), and no name Windows
// reserves for a device (CON, PRN, AUX, NUL, COM0-9, LPT0-9, with any
// extension). Two names are taken for one file where Key gives them the
// same key (Windows and macOS fold case, macOS Unicode normalisation too);
// a Set hands out names no two of which have one key.
package safename

import (
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/cases"
	"golang.org/x/text/unicode/norm"
)

// MaxBytes bounds the length of a name. File systems take 255 bytes
// (Linux) or UTF-16 units (Windows, macOS) in one element; 200 UTF-8
// bytes, never more UTF-16 units, leave room for a " (n)" and for
// Windows' 260-character paths under a short folder.
const MaxBytes = 200

// maxExt bounds the extension a shortened name keeps.
const maxExt = 16

// forbidden are the characters Windows refuses in a name (macOS' Finder
// refuses ':' too); the separators are among them.
const forbidden = `/\<>:"|?*`

// Clean returns the file name name as a valid name: its last element
// (after the last / or \, as the server keeps a name at upload), its
// control and forbidden characters and their look-alikes (lookalike)
// replaced by "_", fullwidth and small dots made plain, invisible formatting
// characters (bidi overrides, zero widths) dropped, other spaces made
// plain, dots and spaces trimmed at both ends, "_" before a reserved
// name, cut to MaxBytes with its extension kept. A name left empty becomes
// fallback, which must be valid itself.
func Clean(name, fallback string) string {
	name = strings.ToValidUTF8(name, "_")
	if i := strings.LastIndexAny(name, `/\`); i >= 0 {
		name = name[i+1:]
	}
	return Cut(name, fallback, MaxBytes)
}

// Cut returns s, a reference or a name, as a valid name of at most limit
// bytes (taken from 32 to MaxBytes), as Clean does but with a separator in s
// replaced by "_" like the other forbidden characters: "RG 24/7" becomes
// "RG 24_7". A name left empty becomes fallback, which may be "" here.
func Cut(s, fallback string, limit int) string {
	limit = min(max(limit, 32), MaxBytes)
	s = strings.Trim(replaceRunes(strings.ToValidUTF8(s, "_")), ". ")
	if len(s) > limit {
		s = shorten(s, limit)
	}
	if s == "" {
		return fallback
	}
	if reserved(s) {
		s = "_" + s
		if len(s) > limit {
			s = shorten(s, limit) // "_" stays: no longer reserved
		}
	}
	return s
}

// replaceRunes drops invisible formatting characters from s, and replaces
// control and forbidden characters by "_", and other spaces by " ".
func replaceRunes(s string) string {
	var b strings.Builder
	for _, r := range s {
		if a, ok := lookalike(r); ok {
			r = a
		}
		switch {
		case unicode.Is(unicode.Cf, r):
			// invisible: dropped
		case unicode.IsControl(r) || strings.ContainsRune(forbidden, r):
			b.WriteByte('_')
		case unicode.IsSpace(r):
			b.WriteByte(' ')
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// slashLookalikes are characters that are no compatibility form of a
// separator, but that Windows' best-fit mapping turns into one for a
// program using the legacy code-page functions (an older unzip, a script).
const slashLookalikes = "\u2215\u2044\u29f8\u29f9\u2216"

// lookalike returns the ASCII character that r stands for where a file
// system or a tool may read it so: a forbidden character or a dot whose
// compatibility form (NFKC) it is ("／", "＼", "．", "：", the small
// forms), which Windows' best-fit mapping also gives, and the other slashes
// it maps to a separator (slashLookalikes). Kept, "．．＼．．＼x.exe" in a
// ZIP is a path out of the folder for such a program.
func lookalike(r rune) (rune, bool) {
	if r < utf8.RuneSelf {
		return 0, false
	}
	if strings.ContainsRune(slashLookalikes, r) {
		return '/', true
	}
	d := norm.NFKC.String(string(r))
	if len(d) == 1 && (d == "." || strings.Contains(forbidden, d)) {
		return rune(d[0]), true
	}
	return 0, false
}

// shorten cuts the name s to limit bytes, keeping an extension of up to
// maxExt bytes and whole characters, with no trailing dot or space; it
// returns "" if nothing else than dots and spaces is left.
func shorten(s string, limit int) string {
	ext := extension(s)
	if len(ext) > maxExt || len(ext) >= limit {
		ext = ""
	}
	stem := cutRunes(s[:len(s)-len(ext)], limit-len(ext))
	s = strings.TrimRight(stem, ". ") + ext
	if strings.Trim(s, ". ") == "" {
		return ""
	}
	return s
}

// cutRunes returns the longest prefix of s of at most n bytes that does
// not cut a character in two.
func cutRunes(s string, n int) string {
	if len(s) <= n {
		return s
	}
	s = s[:n]
	for len(s) > 0 && !utf8.ValidString(s) {
		s = s[:len(s)-1]
	}
	return s
}

// extension returns the extension of a name ("" for none), the dot
// included; a name that is only an extension has none.
func extension(name string) string {
	i := strings.LastIndexByte(name, '.')
	if i <= 0 || i == len(name)-1 {
		return ""
	}
	return name[i:]
}

// reserved reports whether Windows reserves name for a device: the part
// before the first dot, trailing spaces dropped, is a device's name.
func reserved(name string) bool {
	base, _, _ := strings.Cut(name, ".")
	switch strings.ToUpper(strings.TrimRight(base, " ")) {
	case "CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$",
		"COM0", "COM1", "COM2", "COM3", "COM4", "COM5", "COM6", "COM7", "COM8", "COM9", "COM¹", "COM²", "COM³",
		"LPT0", "LPT1", "LPT2", "LPT3", "LPT4", "LPT5", "LPT6", "LPT7", "LPT8", "LPT9", "LPT¹", "LPT²", "LPT³":
		return true
	}
	return false
}

// Valid reports whether name obeys the rule (see the package's doc):
// what Clean, Cut with a valid fallback, Numbered and Set give always is.
func Valid(name string) bool {
	switch {
	case name == "" || len(name) > MaxBytes || !utf8.ValidString(name):
		return false
	case strings.ContainsAny(name, forbidden) || strings.Trim(name, ". ") != name || reserved(name):
		return false
	}
	for _, r := range name {
		if _, ok := lookalike(r); ok || unicode.IsControl(r) || unicode.Is(unicode.Cf, r) || (unicode.IsSpace(r) && r != ' ') {
			return false
		}
	}
	return true
}

// Numbered returns the n-th other name for the valid name name: "stem
// (n).ext", the stem cut if need be so that it stays within MaxBytes.
func Numbered(name string, n int) string {
	suffix := " (" + strconv.Itoa(n) + ")"
	ext := extension(name)
	if len(ext) > maxExt {
		ext = ""
	}
	stem := strings.TrimSuffix(name, ext)
	if len(stem)+len(suffix)+len(ext) > MaxBytes {
		stem = cutRunes(stem, max(MaxBytes-len(suffix)-len(ext), 1))
	}
	return stem + suffix + ext
}

// Key is the form under which file systems that fold names (Windows and
// macOS: case; macOS: Unicode normalisation) take two names for one file:
// NFC, case folded. Full case folding joins more names than either system
// does (ß and ss), which only ever gives a name one more number.
func Key(name string) string {
	return norm.NFC.String(cases.Fold().String(norm.NFC.String(name)))
}

// Set hands out names for the entries of one folder, no two of which have
// the same Key. The zero Set is ready to use.
type Set struct {
	used map[string]bool
}

// Add returns the valid name name, or the first of Numbered(name, 2),
// Numbered(name, 3)… whose key no name handed out before has, and counts
// it as used.
func (s *Set) Add(name string) string {
	if s.used == nil {
		s.used = map[string]bool{}
	}
	out := name
	for n := 2; s.used[Key(out)]; n++ {
		out = Numbered(name, n)
	}
	s.used[Key(out)] = true
	return out
}

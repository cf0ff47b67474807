package i18n

import (
	"fmt"
	"strings"
	"unicode"
)

// Codes returns s with each character for which hidden reports true
// written as its code, <U+XXXX>: how receipts and attestations show, in
// text from users, what would hide or reorder what a reader sees (control
// and bidirectional characters, and whatever else hidden names).
func Codes(s string, hidden func(rune) bool) string {
	if !strings.ContainsFunc(s, hidden) {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		if hidden(r) {
			fmt.Fprintf(&b, "<U+%04X>", r)
		} else {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// lookAlikeScripts are the scripts whose letters pass for Latin ones (the
// Cyrillic а, the Greek ο, the Armenian օ, the Cherokee Ꭺ).
var lookAlikeScripts = []*unicode.RangeTable{unicode.Cyrillic, unicode.Greek, unicode.Armenian, unicode.Cherokee}

// LookAlikes returns s with, in each word (a run of letters and marks)
// that mixes Latin letters with letters of a script whose letters pass for
// Latin ones, those letters written as their code, <U+XXXX>: "Dur<U+0430>nd"
// for a Durand whose a is Cyrillic, which reads as the real one. A word
// wholly of one script ("Иванов") is kept as it is.
func LookAlikes(s string) string {
	var b strings.Builder
	word := func(r rune) bool { return unicode.IsLetter(r) || unicode.IsMark(r) }
	for len(s) > 0 {
		i := strings.IndexFunc(s, word)
		if i < 0 {
			i = len(s)
		}
		b.WriteString(s[:i])
		s = s[i:]
		j := strings.IndexFunc(s, func(r rune) bool { return !word(r) })
		if j < 0 {
			j = len(s)
		}
		w := s[:j]
		if strings.ContainsFunc(w, latin) && strings.ContainsFunc(w, lookAlike) {
			w = Codes(w, lookAlike)
		}
		b.WriteString(w)
		s = s[j:]
	}
	return b.String()
}

func latin(r rune) bool { return unicode.Is(unicode.Latin, r) }

func lookAlike(r rune) bool { return unicode.In(r, lookAlikeScripts...) }
